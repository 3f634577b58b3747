"""The `grade` command: argparse subcommands, each calling one library function, and the console output.

The top layer: may import everything; the only room that prints.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """The names of the old module `grader.cli` (before the packages), kept for one release."""
    from grader.core import legacy

    return legacy.attribute(__name__, name)
