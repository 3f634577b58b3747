"""Which submissions look copied: code similarity, shared wrong answers, identical models.

Runs over stored results; may import the stages below it (check, probe, intake, execute, core).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """The names of the old module `grader.integrity` (before the packages), kept for one release."""
    from grader.core import legacy

    return legacy.attribute(__name__, name)
