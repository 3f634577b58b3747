"""What people read: HTML reports rendered with Jinja2 from stored results, and the figures drawn.

May import integrity and below; renders from data, never opens the gradebook.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """The names of the old module `grader.report` (before the packages), kept for one release."""
    from grader.core import legacy

    return legacy.attribute(__name__, name)
