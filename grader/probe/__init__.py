"""The questions specs ask of a live kernel, and which student object each role is (sections, resolution).

May import `grader.execute` and `grader.core`.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """The names of the old module `grader.probe` (before the packages), kept for one release."""
    from grader.core import legacy

    return legacy.attribute(__name__, name)
