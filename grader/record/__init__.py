"""Storage of results: the SQLite gradebook, result.json, grades.csv, the Gradescope export.

With `grader.review`, the only room that opens the gradebook; may import integrity and below.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """The names of the old module `grader.record` (before the packages), kept for one release."""
    from grader.core import legacy

    return legacy.attribute(__name__, name)
