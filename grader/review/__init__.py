"""The TAs' review over the automatic result: overrides, comments, the audit trail, re-grade changes,
the review app and the LMS export.

May import record, report and below.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """The names of the old module `grader.review` (before the packages), kept for one release."""
    from grader.core import legacy

    return legacy.attribute(__name__, name)
