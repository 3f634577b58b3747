"""Behaviour fingerprints: what the trained models do, compared across a class.

Two students who share weights or a training script make the same mistakes on the same hidden
points; independent students do not, beyond the points that are hard for everyone. So:

* **Shared errors.** For every check that measured an accuracy on a hidden draw, the points each
  model got wrong (`PredictionRecord`). A pair's shared wrong points are set against what
  independence predicts *given how hard each point is for the class*: point i is missed by a
  student with a errors with probability a·q_i/Σq, q_i the smoothed share of the rest of the class
  (the pair left out) that missed it. The shared count is then approximately Poisson with mean
  λ = a·b·Σq²/(Σq)², and the flag is its upper tail (below 0.001 over all the pairs compared) with
  at least twice the shared points λ predicts. With a class of two, q is uniform and λ is the
  hypergeometric mean a·b/n. A plain hypergeometric test would flag most independent pairs:
  everyone misses the points on the boundary.
  *Items*: when the check says which item each input came from (noisy copies of one image), the
  unit is the item, not the input: a model misses an item when it misses any of its copies, and
  shared wrong items are counted. Copies of one hard image are missed together by everyone, so
  counting them one by one multiplies a single coincidence.
  *The reference's runs*: where `grade calibrate` kept which points of the graded draw the
  reference's training runs missed (calibration.json's `difficulty`), each of those runs counts as
  one more member of the class in q: a class of eight cannot tell which digits are hard, twenty
  training runs of the reference can.
  *The class's dispersion*: a class that follows one template (its seeds, data order, network)
  trains models alike beyond per-point difficulty, so every prediction is scaled by how much the
  class's median pair shares beyond it (`class_dispersion`): only a pair that stands out from its
  class is evidence. Measured (benchmarks/integrity_digits.py, and the real-world corpus graded
  and compared): seven independently written digits notebooks and a planted copy, 0 of 27
  independent pairs flagged, the copy found; the corpus's 37 notebooks, 0 of 666 pairs flagged
  (410 on shared errors without the dispersion).
* **Same parameters.** A digest of each trained model's parameters, exact and up to a
  permutation of hidden units (per parameter, the sorted multiset of its rows, each row's values
  sorted: permuting hidden units permutes rows of one layer and columns of the next). Identical
  models that each kernel saw trained by the same steps, none given saved parameters, are what one
  seeded recipe gives (`same_recipe`): explained, not evidence, unless something else ties the pair.
* **Same function outputs.** A function's outputs on fixed probe points, to the last bit: only a
  *rare* set of identical outputs is evidence (many students write the same formula).
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import pdtrc  # P(X > k), X ~ Poisson

from grader.core.digests import decode_items, wrong_points
from grader.core.results import ObjectDigest, PredictionRecord

FAMILY_ALPHA = 1e-3  # chance that any independent pair of a class is flagged (Bonferroni over the pairs)
LEAST_SHARED_ERRORS = 5  # fewer shared wrong points than this are never evidence
# Shared wrong points must also be this many times what chance predicts: the difficulty model is only
# approximate (weak models saturate on the same hard points), so a large class of weak models would
# otherwise reach tiny probabilities on a modest excess.
LEAST_EXCESS = 2.0
DISPERSION_PAIRS = 6  # pairs a class needs (four students) before its typical pair says what chance is
RARE_OUTPUTS = 0.05  # identical function outputs are evidence when at most this share of the class has them


@dataclass(frozen=True)
class ErrorOverlap:
    """Two models' wrong points on the same hidden draw, against chance."""

    left: str
    right: str
    check: str
    points: int  # size of the hidden draw (its items, when the check gave them)
    left_errors: int
    right_errors: int
    shared: int  # points both got wrong
    same_label: int  # of those, points where both predicted the same wrong label (counted for flagged pairs only)
    expected: float  # shared wrong points independence predicts (given each point's difficulty)
    probability: float  # P(at least `shared` | independence)
    flagged: bool
    unit: str = "points"  # "items" when shared errors were counted per item (noisy copies of one image as one)


@dataclass(frozen=True)
class SameObject:
    """Submissions whose object for a role is the same: identical or permuted parameters, or outputs."""

    role: str
    how: str  # "identical parameters", "parameters identical up to a permutation of hidden units", "identical outputs"
    submissions: tuple[str, ...]
    class_share: float  # of the submissions with a digest for the role
    # why independent work gives it too, or "": identical models each trained in its own kernel by the
    # same number of steps, none given saved parameters, are what one seeded recipe gives every time
    explained: str = ""


# ------------------------------------------------------------------ records (grader side, at check time)


def wrong_labels(record: PredictionRecord) -> np.ndarray:
    return np.frombuffer(base64.b64decode(record.wrong_labels), dtype=np.uint8)


# ------------------------------------------------------------------ comparing a class


def error_overlaps(
    predictions: Mapping[str, Sequence[PredictionRecord]],
    reference: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> list[ErrorOverlap]:
    """Every pair's shared wrong points (or items) on each (check, draw) both were measured on, with the odds.

    `reference`: (check, draw) -> in how many of the reference's calibration runs each point was missed
    (`grader.core.digests.reference_misses`): each run counts as one more student of the class, so that
    a small class still knows which points are hard."""
    groups: dict[tuple[str, str], list[tuple[str, PredictionRecord]]] = {}
    for submission, records in predictions.items():
        for record in records:
            groups.setdefault((record.check, record.draw), []).append((submission, record))
    pairs = sum(len(g) * (len(g) - 1) // 2 for g in groups.values())
    found: list[ErrorOverlap] = []
    for (check, _), members in sorted(groups.items()):
        if len(members) > 1:
            misses = (reference or {}).get((check, members[0][1].draw))
            found.extend(_overlaps_of(check, members, FAMILY_ALPHA / max(1, pairs), misses))
    return found


def shared_items(records: Sequence[PredictionRecord]) -> np.ndarray | None:
    """The item of each input when every record gives the same items (None otherwise: then every input counts)."""
    items = [decode_items(record) for record in records]
    first = items[0]
    if first is None or any(other is None or not np.array_equal(first, other) for other in items[1:]):
        return None
    return first


def by_item(wrong: np.ndarray, items: np.ndarray) -> np.ndarray:
    """m × k: whether each member missed any input of each item."""
    counts = np.zeros((int(items.max()) + 1, wrong.shape[0]))
    np.add.at(counts, items, wrong.T)
    return (counts.T > 0).astype(np.float64)


def _overlaps_of(
    check: str, members: list[tuple[str, PredictionRecord]], alpha: float, misses: np.ndarray | None = None
) -> list[ErrorOverlap]:
    """Every pair of `members` (same check, same draw) with a shared wrong point, vectorised over the pairs."""
    wrong = np.array([wrong_points(record) for _, record in members], dtype=np.float64)  # m × n
    items = shared_items([record for _, record in members])
    per_input = wrong
    prior = misses if misses is not None and misses.shape == (wrong.shape[1],) else None
    if items is not None:
        wrong = by_item(wrong, items)
        if prior is not None:  # an item as hard as its hardest copy
            hardest = np.zeros(wrong.shape[1])
            np.maximum.at(hardest, items, prior)
            prior = hardest
    errors = wrong.sum(axis=1)
    shared = wrong @ wrong.T
    u = wrong.sum(axis=0) + 1.0  # per point: misses in the class, smoothed
    if prior is not None:
        u = u + prior  # and the reference's runs, one student each
    own = wrong @ u  # Σ_i u_i A_i per member
    left, right = np.triu_indices(len(members), k=1)
    a, b, s = errors[left], errors[right], shared[left, right]
    # q_i ∝ u_i - A_i - B_i: the rest of the class, the pair left out
    total = u.sum() - a - b
    squares = (u**2).sum() - 2 * (own[left] + own[right]) + a + b + 2 * s
    expected = np.where(total > 0, a * b * squares / np.maximum(total, 1e-12) ** 2, a * b / wrong.shape[1])
    expected = expected * class_dispersion(s, expected)
    probability = np.where(s > 0, pdtrc(np.maximum(s - 1, 0), np.maximum(expected, 1e-12)), 1.0)
    flagged = (s >= LEAST_SHARED_ERRORS) & (s >= LEAST_EXCESS * expected) & (probability < alpha)
    found = []
    for k in np.flatnonzero(s > 0):
        i, j = int(left[k]), int(right[k])
        found.append(
            ErrorOverlap(
                left=members[i][0], right=members[j][0], check=check, points=int(wrong.shape[1]),
                left_errors=int(a[k]), right_errors=int(b[k]), shared=int(s[k]),
                same_label=(
                    _same_labels(members[i][1], members[j][1], per_input[i] > 0, per_input[j] > 0) if flagged[k] else 0
                ),
                expected=round(float(expected[k]), 2), probability=float(probability[k]), flagged=bool(flagged[k]),
                unit="items" if items is not None else "points",
            )
        )
    return found


def class_dispersion(shared: np.ndarray, expected: np.ndarray) -> float:
    """How much more the class's pairs share than per-point difficulty predicts, at the median pair (at least 1).

    Per-point difficulty treats two students as independent given how hard each point is, but a
    class that follows one template (its seed, data order and network) trains models alike in
    more than difficulty: nearly every pair then shares "beyond chance", and only a pair that
    stands out from its class is evidence. The median pair's ratio of shared to predicted errors
    scales every pair's prediction (a quasi-Poisson dispersion; a few copies barely move a
    median). A class with fewer than `DISPERSION_PAIRS` compared pairs cannot say what is
    typical, and keeps the plain prediction."""
    measured = expected > 0
    if int(measured.sum()) < DISPERSION_PAIRS:
        return 1.0
    return max(1.0, float(np.median(shared[measured] / expected[measured])))


def _same_labels(left: PredictionRecord, right: PredictionRecord, a: np.ndarray, b: np.ndarray) -> int:
    """Points both got wrong with the same predicted label."""
    labels_a, labels_b = np.zeros(a.size, np.int16) - 1, np.zeros(b.size, np.int16) - 2
    la, lb = wrong_labels(left), wrong_labels(right)
    if la.size != a.sum() or lb.size != b.sum():
        return 0
    labels_a[a], labels_b[b] = la, lb
    return int((labels_a == labels_b).sum())


def poisson_tail(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean) (SciPy's regularised incomplete gamma: tiny tails stay positive)."""
    if k <= 0:
        return 1.0
    return float(pdtrc(k - 1, mean)) if mean > 0 else 0.0


def same_objects(digests: Mapping[str, Sequence[ObjectDigest]]) -> list[SameObject]:
    """Groups of submissions with the same parameters (exact, else up to permutation) or rare identical outputs."""
    by_role: dict[tuple[str, str], dict[str, ObjectDigest]] = {}
    for submission, items in digests.items():
        for digest in items:
            by_role.setdefault((digest.role, digest.kind), {})[submission] = digest
    found: list[SameObject] = []
    for (role, kind), members in sorted(by_role.items()):
        if kind == "parameters":
            found.extend(_parameter_groups(role, members))
        else:
            found.extend(_rare_output_groups(role, members))
    return found


def _groups(members: Mapping[str, str]) -> list[tuple[str, ...]]:
    counts = Counter(members.values())
    return [tuple(sorted(s for s, v in members.items() if v == value)) for value, n in sorted(counts.items()) if n > 1]


def _parameter_groups(role: str, members: Mapping[str, ObjectDigest]) -> list[SameObject]:
    found = [
        SameObject(role, "identical parameters", g, len(g) / len(members), same_recipe([members[s] for s in g]))
        for g in _groups({s: d.exact for s, d in members.items()})
    ]
    for group in _groups({s: d.permuted for s, d in members.items() if d.permuted}):
        if len({members[s].exact for s in group}) > 1:
            found.append(SameObject(role, "parameters identical up to a permutation of hidden units", group, len(group) / len(members)))
    return found


def same_recipe(digests: Sequence[ObjectDigest]) -> str:
    """Why models with identical parameters need not be copies, or "" when nothing explains it.

    Training is deterministic: two notebooks that follow one exercise text to the letter (its seed,
    network, data order and epochs) train the very same model, each in its own kernel. Identical
    parameters are then what independent work gives, not evidence, when every kernel saw its model
    trained by the same number of optimizer steps and none gave it saved parameters (load_state_dict,
    an unpickled model: a copied model file arrives that way). Code alike still flags such a pair."""
    steps = {d.steps for d in digests}
    if len(steps) != 1 or not min(steps) or any(d.loaded for d in digests):
        return ""
    return (f"each trained in its own kernel by {steps.pop()} optimizer steps, none given saved parameters: "
            "what following the same seeded recipe gives")


def _rare_output_groups(role: str, members: Mapping[str, ObjectDigest]) -> list[SameObject]:
    if len(members) < 2 / RARE_OUTPUTS:  # too few to tell a rare formula from a common one
        return []
    most = max(2, int(RARE_OUTPUTS * len(members)))
    return [
        SameObject(role, "identical outputs", g, len(g) / len(members))
        for g in _groups({s: d.exact for s, d in members.items()})
        if len(g) <= most
    ]
