"""Running a notebook once in a sandboxed kernel, and the channel that asks the live kernel questions.

May import `grader.core` only; sends the sources of `grader.inside` as text, never imports them.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """The names of the old module `grader.execute` (before the packages), kept for one release."""
    from grader.core import legacy

    return legacy.attribute(__name__, name)
