"""What `grade calibrate` measured: the distribution of every number a check judges, as plain data.

`calibration.json` (beside assignment.toml) records, per check and per kind of data it
measured on (the hidden draw, the notebook's own test split), the spread of the reference
over training seeds and hidden draws, the threshold the spec states, how often the reference
passes (with a Wilson 95 % interval), a suggested threshold and what the usual wrong answers
(the reference with its activations removed, the blank notebook) measure. It also records the
hashes of the reference notebook and the specs (which include the course secret): `grade
validate` reports a calibration that no longer matches them.

Precision when points share items. A hidden set made of perturbations of fewer distinct images
(`items=` on `assert_accuracy`) does not hold as many independent observations as points: a model
that misreads an image misreads most of its perturbations, and what a grade stands for is the
accuracy on images of the kind, of which the check saw only the distinct ones. The standard error
of one measurement is therefore the binomial one over the distinct items, sqrt(p(1-p)/k) for k
items, a design effect of n/k over the n points. This is the limit of an intra-class correlation
of 1, chosen over estimating the correlation (from one reference, on one draw, it is itself noisy,
and an underestimate would promise a precision the items cannot give) and over resampling items
(which needs every point's outcome in calibration.json, not only the proportion); it errs on the
side of wider intervals. The failure message's 95 % interval (`assert_accuracy`) is computed the
same way, and `precision` states the half-width of the 95 % interval the items allow.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.check.helpers import effective_count, wilson_interval
from grader.core.assignment import Assignment
from grader.core.digests import Difficulty, reference_difficulty
from grader.core.results import PredictionRecord

CALIBRATION_FILE = "calibration.json"
PASS_RATE_REQUIRED = 0.99  # a check a correct solution fails more often than 1 run in 100 is flagged
Z95 = 1.96


@dataclass
class Observation:
    """One check in one run: a variant ("reference", "linear", "blank") at a training seed, on a hidden draw."""

    variant: str
    seed: int  # 0: the notebook's own seeds, as graded; k > 0: every seed it sets mixed with k
    draw: int  # 0: the hidden draw grading uses; others only calibration measures on
    check: str
    outcome: str
    quantity: str = ""  # "" when the check measured no number
    value: float = math.nan
    count: int = 0
    data: str = ""
    lower: float | None = None
    upper: float | None = None
    judged: bool = True
    items: int | None = None  # distinct items behind the `count` points (None: every point its own)
    message: str = ""  # the check's message when it did not pass
    grader_fault: bool = False  # the spec itself raised: calibrate stops at once
    # on the graded draw (0), the points the run got wrong, as its PredictionRecord (for the integrity stage)
    wrong: str = ""
    points: int = 0
    draw_digest: str = ""


@dataclass
class MeasuredCheck:
    """The calibration of one check's number on one kind of data."""

    check: str
    quantity: str
    data: str  # "hidden draw" or "notebook test split"
    judged: bool  # whether the check's outcome depends on it
    count: int  # points per measurement
    lower: float | None  # the spec's threshold: more than this is required
    upper: float | None  # less than this is required
    runs: int
    minimum: float
    q01: float
    q05: float
    median: float
    mean: float
    maximum: float
    standard_error: float  # of the mean over runs
    draw_error: float  # the standard error of one measurement at the mean, over the distinct items when fewer
    passed: int  # reference runs whose value meets the thresholds
    pass_rate: float
    pass_low: float  # Wilson 95 % interval of the pass rate
    pass_high: float
    suggested_lower: float | None  # the strictest fair threshold: the reference's worst run less 1.96 draw errors
    suggested_upper: float | None
    wrong: dict[str, float] = field(default_factory=dict)  # wrong-answer variant -> its worst value for a cheat
    separates: bool | None = None  # the thresholds fail every wrong answer measured (None: none measured)
    items: int | None = None  # distinct items per measurement (None: every point its own)
    binomial_error: float = 0.0  # what draw_error would be if every point were independent
    precision: float = 0.0  # half-width of one measurement's 95 % interval: ±1.96 draw errors

    @property
    def items_for_half_point(self) -> int:
        """Distinct items one measurement would need for a 95 % interval of ±0.5 points at the mean."""
        return math.ceil(self.mean * (1 - self.mean) * (Z95 / 0.005) ** 2)

    @property
    def in_range(self) -> bool:
        """The spec's thresholds are no stricter than the suggested ones."""
        low_ok = self.lower is None or self.suggested_lower is None or self.lower <= self.suggested_lower
        high_ok = self.upper is None or self.suggested_upper is None or self.upper >= self.suggested_upper
        return low_ok and high_ok


@dataclass
class CheckPassRate:
    check: str
    runs: int
    passed: int
    low: float
    high: float
    message: str = ""  # the check's own message in the first run it did not pass

    @property
    def flagged(self) -> bool:
        return self.runs > 0 and self.passed / self.runs < PASS_RATE_REQUIRED


@dataclass
class WrongAnswerRate:
    """How often one wrong answer passes one check."""

    variant: str  # the wrong answer's name: "linear", "blank" or one declared in [[wrong_answers]]
    check: str
    runs: int
    passed: int
    must_lose: bool  # declared in its must_lose: passing it even once is flagged
    message: str = ""  # the check's message in the first run it passed (or did not), for the report

    @property
    def flagged(self) -> bool:
        return self.must_lose and self.passed > 0


@dataclass
class Calibration:
    assignment: str
    notebook_hash: str
    spec_hash: str
    seeds: int
    draws: int
    measured: list[MeasuredCheck]
    pass_rates: list[CheckPassRate]  # every check, on the reference over all its runs
    variants: list[str]  # what ran: "reference" and the wrong answers
    seconds: float = 0.0
    wrong_answers: list[WrongAnswerRate] = field(default_factory=list)  # every wrong answer on every check
    # per check, how often the reference's runs missed each point of the graded draw (grader/core/digests.py)
    difficulty: list[Difficulty] = field(default_factory=list)

    @property
    def flagged(self) -> list[str]:
        """The checks the reference fails too often, and those a wrong answer passes that it must lose."""
        failing = [rate.check for rate in self.pass_rates if rate.flagged]
        return failing + [r.check for r in self.wrong_answers if r.flagged and r.check not in failing]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1) + "\n"


def notebook_hash(assignment: Assignment) -> str:
    return hashlib.sha256(assignment.notebook.read_bytes()).hexdigest()[:16]


def summarise(
    assignment: Assignment, observations: list[Observation], seeds: int, draws: int,
    must_lose: dict[str, tuple[str, ...]] | None = None,
) -> Calibration:
    """The calibration of `assignment` from every run's observations; `must_lose`: wrong answer -> the checks it must fail."""
    reference = [o for o in observations if o.variant == "reference"]
    wrong = [o for o in observations if o.variant != "reference"]
    measured = [
        _measured_check(check, quantity, data, group, wrong)
        for (check, quantity, data), group in _groups(reference).items()
    ]
    rates = []
    for check in sorted({o.check for o in reference}):
        runs = _outcomes(reference, check)
        passed = sum(o.outcome == "passed" for o in runs)
        low, high = wilson_interval(passed, len(runs))
        message = next((o.message for o in runs if o.outcome != "passed"), "")
        rates.append(CheckPassRate(check, len(runs), passed, low, high, message))
    variants = sorted({o.variant for o in observations}, key=lambda v: (v != "reference", v))
    calibration = Calibration(
        assignment.id, notebook_hash(assignment), assignment.spec_hash(), seeds, draws, measured, rates, variants
    )
    calibration.wrong_answers = _wrong_answer_rates(wrong, must_lose or {})
    calibration.difficulty = reference_difficulty([
        PredictionRecord(check=o.check, exercise="", draw=o.draw_digest, points=o.points, wrong=o.wrong)
        for o in reference if o.draw == 0 and o.wrong and not o.quantity
    ])
    return calibration


def _outcomes(observations: list[Observation], check: str) -> list[Observation]:
    """One observation per run of `check`: the first at each (seed, draw)."""
    runs: dict[tuple[int, int], Observation] = {}
    for o in observations:
        if o.check == check:
            runs.setdefault((o.seed, o.draw), o)
    return list(runs.values())


def _wrong_answer_rates(wrong: list[Observation], must_lose: dict[str, tuple[str, ...]]) -> list[WrongAnswerRate]:
    rates = []
    for variant, check in sorted({(o.variant, o.check) for o in wrong}):
        runs = _outcomes([o for o in wrong if o.variant == variant], check)
        passed = [o for o in runs if o.outcome == "passed"]
        message = next((o.message for o in runs if o.outcome != "passed"), "")
        rates.append(WrongAnswerRate(variant, check, len(runs), len(passed), check in must_lose.get(variant, ()), message))
    return rates


def _groups(observations: list[Observation]) -> dict[tuple[str, str, str], list[Observation]]:
    groups: dict[tuple[str, str, str], list[Observation]] = {}
    for o in observations:
        if o.quantity and math.isfinite(o.value):
            groups.setdefault((o.check, o.quantity, o.data), []).append(o)
    return groups


def _measured_check(
    check: str, quantity: str, data: str, group: list[Observation], wrong: list[Observation]
) -> MeasuredCheck:
    if data != "hidden draw":  # the notebook's own split does not change with the hidden draw
        group = list({o.seed: o for o in group}.values())
    values = np.array([o.value for o in group], dtype=float)
    first = group[0]
    passed = sum(_meets(o.value, first.lower, first.upper) for o in group)
    pass_low, pass_high = wilson_interval(passed, len(group))
    mean = float(values.mean())
    binomial_error = math.sqrt(max(mean * (1 - mean), 0.0) / first.count) if first.count else 0.0
    effective = effective_count(first.count, first.items)
    draw_error = math.sqrt(max(mean * (1 - mean), 0.0) / effective) if effective else 0.0
    worst_low, worst_high = float(values.min()), float(values.max())
    wrong_values = _wrong_values(check, quantity, data, wrong, first.lower, first.upper)
    return MeasuredCheck(
        check=check, quantity=quantity, data=data, judged=first.judged, count=first.count,
        lower=first.lower, upper=first.upper, runs=len(group),
        minimum=worst_low, q01=_quantile(values, 0.01), q05=_quantile(values, 0.05), median=_quantile(values, 0.5),
        mean=mean, maximum=worst_high,
        standard_error=float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0,
        draw_error=draw_error, passed=passed, pass_rate=passed / len(group), pass_low=pass_low, pass_high=pass_high,
        suggested_lower=_round_down(worst_low - Z95 * draw_error) if first.lower is not None else None,
        suggested_upper=_round_up(worst_high + Z95 * draw_error) if first.upper is not None else None,
        wrong=wrong_values, items=first.items, binomial_error=binomial_error, precision=Z95 * draw_error,
        separates=(
            None if not wrong_values or not first.judged
            else not any(_meets(v, first.lower, first.upper) for v in wrong_values.values())
        ),
    )


def _wrong_values(
    check: str, quantity: str, data: str, wrong: list[Observation], lower: float | None, upper: float | None
) -> dict[str, float]:
    """Per wrong answer, its value closest to passing (the one a lucky cheat would get)."""
    values: dict[str, list[float]] = {}
    for o in wrong:
        if (o.check, o.quantity, o.data) == (check, quantity, data) and math.isfinite(o.value):
            values.setdefault(o.variant, []).append(o.value)
    best = max if lower is not None else min
    return {variant: best(found) for variant, found in sorted(values.items())}


def _meets(value: float, lower: float | None, upper: float | None) -> bool:
    return (lower is None or value > lower) and (upper is None or value < upper)


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q))


def _round_down(value: float) -> float:
    """To the half point below (0.9537 -> 0.95)."""
    return math.floor(value * 200) / 200


def _round_up(value: float) -> float:
    return math.ceil(value * 200) / 200


def write_calibration(calibration: Calibration, folder: Path) -> Path:
    path = folder / CALIBRATION_FILE
    path.write_text(calibration.to_json(), encoding="utf-8")
    return path


def read_calibration(folder: Path) -> dict[str, Any] | None:
    """The stored calibration as plain data, None when there is none or it cannot be read."""
    try:
        data = json.loads((folder / CALIBRATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def calibration_problems(assignment: Assignment) -> list[str]:
    """Why the assignment's calibration.json does not stand for its reference and specs now ([] when it does)."""
    fix = f"run `grade calibrate {assignment.folder}` and commit calibration.json"
    stored = read_calibration(assignment.folder)
    if stored is None:
        return [f"{assignment.folder / CALIBRATION_FILE} is missing or unreadable: {fix}"]
    stale = [
        what
        for what, now in (("notebook_hash", notebook_hash(assignment)), ("spec_hash", assignment.spec_hash()))
        if stored.get(what) != now
    ]
    if stale:
        changed = " and ".join("the reference notebook" if s == "notebook_hash" else "the specs or course secret" for s in stale)
        return [f"{CALIBRATION_FILE} is stale: {changed} changed since it was measured; {fix}"]
    return []
