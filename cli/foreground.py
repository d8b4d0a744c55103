"""Keep a command in the foreground until Ctrl-C, then stop what it started."""

from __future__ import annotations

import time
from collections.abc import Callable


def run_until_interrupted(stop: Callable[[], object]) -> None:
    """Sleep until Ctrl-C (or the process is told to stop), then call ``stop`` once."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
