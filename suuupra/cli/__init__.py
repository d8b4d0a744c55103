"""The ``suuupra`` command line.

Sub-command groups live next to the code they drive (``crawlers/cli.py``,
``models/cli.py`` ...) and are registered in :mod:`suuupra.cli.registry`. Heavy
libraries are imported inside commands, so ``suuupra --help`` stays fast.
"""

from suuupra.cli.app import app, main

__all__ = ["app", "main"]
