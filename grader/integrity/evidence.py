"""Integrity stage: which submissions look copied, from each other or from known solutions.

Runs over stored results (so `grade report OUT` rebuilds it) after everything is graded, and
produces an `IntegrityReport` for the staff: pairs of submissions, or of a submission and a known
solution, whose code (grader/integrity/similarity.py) or whose models' behaviour (grader/integrity/behaviour.py)
coincide far beyond what independent work shows. A flag is evidence for a person to review:
it never changes a score, and nothing of it reaches a student report or an export.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from grader.core.assignment import Assignment
from grader.core.digests import reference_misses
from grader.core.results import SubmissionResult
from grader.integrity.behaviour import ErrorOverlap, SameObject, error_overlaps, same_objects
from grader.integrity.code_documents import (
    known_documents,
    reference_document,
    result_document,
    template_document,
)
from grader.integrity.similarity import (
    CodeDocument,
    CodeMatch,
    Fingerprints,
    baseline_hashes,
    candidate_pairs,
    common_hashes,
    compare,
    fingerprint,
)

SIMILARITY_THRESHOLD = 0.85  # share of the smaller side's fingerprints found in the other: a flag from here
LEAST_SHARED = 12  # fingerprints a flagged pair shares at least (a short exercise is no evidence)
COMMON_SHARE, COMMON_LEAST = 0.2, 12  # code in more than 20 % (and more than 12) of the class is the course's
KNOWN_COMMON_SHARE = 0.5  # against a known solution, only code most of the class has is common
CALIBRATION_FILE = "calibration.json"  # beside assignment.toml, written by grade calibrate (grader/authoring/)


@dataclass(frozen=True)
class PairEvidence:
    """Everything that ties two submissions (or a submission and a known solution) together."""

    left: str  # a submission id
    right: str  # a submission id, or a known solution's path
    known: bool  # `right` is a known solution
    code: CodeMatch | None
    errors: tuple[ErrorOverlap, ...] = ()  # flagged shared-error overlaps, per check
    same: tuple[SameObject, ...] = ()  # same parameters or rare identical outputs, per role
    reasons: tuple[str, ...] = ()  # why the pair is flagged (or, in `explained`, why it is not), in words


@dataclass(frozen=True)
class IntegrityReport:
    pairs: tuple[PairEvidence, ...]  # flagged pairs, strongest first
    clusters: tuple[tuple[str, ...], ...]  # groups of three or more submissions tied by flagged pairs
    submissions: int  # submissions compared
    known: tuple[str, ...]  # the known solutions compared against
    code_pairs: int  # pairs that share any fingerprint (found through the index)
    behaviour_pairs: int  # pairs of models compared on the same hidden draw
    seconds: float
    thresholds: dict[str, float] = field(default_factory=dict)
    # pairs whose only ties are identical models that one seeded recipe explains (behaviour.same_recipe):
    # listed for the staff, not flagged
    explained: tuple[PairEvidence, ...] = ()

    def pairs_of(self, submission: str) -> list[PairEvidence]:
        return [p for p in self.pairs if submission in (p.left, p.right)]


def check_integrity(
    results: Sequence[SubmissionResult], assignments: Sequence[Assignment], known_folders: Iterable[Path] = ()
) -> IntegrityReport:
    """Compare every stored submission's code and models with the others' and with known solutions."""
    started = time.perf_counter()
    by_id = {a.id: a for a in assignments}
    documents = [d for r in results if (d := result_document(r, by_id.get(r.assignment))) is not None]
    graded = [a for a in assignments if a.id in {d.assignment for d in documents}]
    known = [d for a in graded if (d := reference_document(a)) is not None]  # the course's own solution is a known one
    for folder in dict.fromkeys(known_folders):
        known += known_documents(folder, list(assignments))
    templates = [d for a in graded if (d := template_document(a)) is not None]
    matches, code_pairs = code_matches(documents, known, templates)
    reference = {key: rates for a in graded for key, rates in reference_misses(a.folder / CALIBRATION_FILE).items()}
    overlaps = error_overlaps({r.submission: r.predictions for r in results if r.predictions}, reference)
    same = same_objects({r.submission: r.digests for r in results if r.digests})
    pairs, explained = _combine(matches, [o for o in overlaps if o.flagged], same)
    return IntegrityReport(
        pairs=tuple(pairs),
        explained=tuple(explained),
        clusters=clusters(pairs),
        submissions=len(documents),
        known=tuple(d.name for d in known),
        code_pairs=code_pairs,
        behaviour_pairs=len(overlaps),
        seconds=round(time.perf_counter() - started, 3),
        thresholds={"similarity": SIMILARITY_THRESHOLD, "least_shared": LEAST_SHARED, "common_share": COMMON_SHARE},
    )


def code_matches(
    documents: Sequence[CodeDocument], known: Sequence[CodeDocument], templates: Sequence[CodeDocument]
) -> tuple[list[CodeMatch], int]:
    """The flagged code matches among `documents` and against `known`, and how many pairs shared enough to score."""
    baseline: set[int] = set()
    for template in templates:
        baseline |= baseline_hashes(template)
    students = [fingerprint(d, baseline) for d in documents]
    common = common_hashes(students, COMMON_SHARE, COMMON_LEAST)
    pairs = [(students[a], students[b], common) for a, b in candidate_pairs(students, common, LEAST_SHARED)]
    near_universal = common_hashes(students, KNOWN_COMMON_SHARE, COMMON_LEAST)
    for solution in (fingerprint(d, baseline) for d in known):  # a few known solutions: each against everyone
        theirs = solution.hashes() - near_universal
        assignment = solution.document.assignment
        pairs += [
            (student, solution, near_universal)
            for student in students
            if (not assignment or assignment == student.document.assignment)
            and len(student.hashes() & theirs) >= LEAST_SHARED
        ]
    flagged = [compare(a, b, ignored) for a, b, ignored in pairs if _may_flag(a, b, ignored)]
    return [m for m in flagged if is_flagged(m)], len(pairs)


def _may_flag(left: Fingerprints, right: Fingerprints, ignored: AbstractSet[int]) -> bool:
    """The overall similarity alone, before the regions and exercises of a full comparison."""
    a, b = left.hashes() - ignored, right.hashes() - ignored
    shared = len(a & b)
    return shared >= LEAST_SHARED and shared / max(1, min(len(a), len(b))) >= SIMILARITY_THRESHOLD


def is_flagged(match: CodeMatch) -> bool:
    return match.similarity >= SIMILARITY_THRESHOLD and match.shared >= LEAST_SHARED


def _combine(
    matches: list[CodeMatch], overlaps: list[ErrorOverlap], same: list[SameObject]
) -> tuple[list[PairEvidence], list[PairEvidence]]:
    """One PairEvidence per flagged pair, from whichever kinds of evidence flagged it; and the pairs tied
    only by what one seeded recipe explains (identical models, and the errors those models share)."""
    keys: dict[tuple[str, str], dict[str, list[object]]] = {}

    def entry(left: str, right: str) -> dict[str, list[object]]:
        return keys.setdefault((left, right) if left <= right else (right, left), {"code": [], "errors": [], "same": []})

    known = {m.right for m in matches if m.right_known}
    for match in matches:
        entry(match.left, match.right)["code"].append(match)
    for overlap in overlaps:
        entry(overlap.left, overlap.right)["errors"].append(overlap)
    for group in same:
        for i, left in enumerate(group.submissions):
            for right in group.submissions[i + 1 :]:
                entry(left, right)["same"].append(group)
    pairs = [_evidence(left, right, found, known) for (left, right), found in keys.items()]
    flagged = [p for p in pairs if not _explained(p)]
    return sorted(flagged, key=_strength, reverse=True), [p for p in pairs if _explained(p)]


def _explained(pair: PairEvidence) -> bool:
    """Whether all that ties a pair is identical models one seeded recipe explains, and their shared errors.

    The errors explained are those of the same model: each side's wrong points are exactly the shared
    ones. Code alike, another object the same, or other errors in common keep the pair flagged."""
    if pair.code is not None or not pair.same or any(not s.explained for s in pair.same):
        return False
    return all(o.shared == o.left_errors == o.right_errors for o in pair.errors)

def _evidence(left: str, right: str, found: dict[str, list[object]], known: set[str]) -> PairEvidence:
    if left in known:
        left, right = right, left
    code = next((m for m in found["code"] if isinstance(m, CodeMatch)), None)
    if code is not None and code.left != left:  # the report reads a pair from the left submission's side
        code = CodeMatch(left, right, code.right_known, code.similarity, code.shared, code.exercises, code.right_regions, code.left_regions)
    errors = tuple(o for o in found["errors"] if isinstance(o, ErrorOverlap))
    same = tuple(s for s in found["same"] if isinstance(s, SameObject))
    reasons = (
        ([f"{code.similarity * 100:.0f} % of the code matches ({code.shared} fingerprints)"] if code else [])
        + [f"{o.shared} shared wrong points in {o.check} (chance {o.probability:.1e})" for o in errors]
        + [f"{s.role}: {s.how}" + (f" ({s.explained})" if s.explained else "") for s in same]
    )
    return PairEvidence(left, right, right in known, code, errors, same, tuple(reasons))


def _strength(pair: PairEvidence) -> tuple[int, float]:
    kinds = (pair.code is not None) + bool(pair.errors) + bool(pair.same)
    return kinds, pair.code.similarity if pair.code else 0.0


def clusters(pairs: Sequence[PairEvidence]) -> tuple[tuple[str, ...], ...]:
    """Connected groups of three or more submissions tied by flagged pairs (known solutions left out)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for pair in pairs:
        if not pair.known:
            parent[root(pair.left)] = root(pair.right)
    groups: dict[str, list[str]] = {}
    for member in parent:
        groups.setdefault(root(member), []).append(member)
    return tuple(sorted(tuple(sorted(g)) for g in groups.values() if len(g) >= 3))
