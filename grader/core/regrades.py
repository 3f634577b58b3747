"""What a re-grade changed, as stored data: per submission the old and new score and why (grader/review/changes.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Change:
    """One re-graded submission whose score or checks changed."""

    submission: str
    student: str
    assignment: str
    old_score: float
    new_score: float  # automatic + overrides − penalty after the re-grade
    reason: str  # spec changed, notebook changed, grader changed, seed changed, forced
    flipped: list[str] = field(default_factory=list)  # "check id: passed → failed"
    kept_score: float | None = None  # the score --no-decrease kept, when it kept the old one


@dataclass(frozen=True)
class Regrading:
    """The latest batch that re-graded submissions graded before, for the index's "What changed"."""

    at: str
    regraded: int
    changes: list[Change]


def changes_to_json(changes: list[Change]) -> str:
    return json.dumps([change.__dict__ for change in changes])


def changes_from_json(text: str) -> list[Change]:
    return [Change(**item) for item in json.loads(text or "[]") if isinstance(item, dict)]
