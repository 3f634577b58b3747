"""What came in: notebooks found and named, LMS downloads, submission times and lateness, tampering.

May import `grader.core` only.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """The names of the old module `grader.intake` (before the packages), kept for one release."""
    from grader.core import legacy

    return legacy.attribute(__name__, name)
