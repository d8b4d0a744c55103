"""The ``suuupra`` command line (``python -m cli`` or the ``suuupra`` script)."""

from cli.app import app, main

__all__ = ["app", "main"]
