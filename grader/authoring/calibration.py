"""What `grade calibrate` measured: the distribution of every number a check judges, as plain data.

`calibration.json` (beside assignment.toml) records, per check and per kind of data it
measured on (the hidden draw, the notebook's own test split), the spread of the reference
over training seeds and hidden draws, the threshold the spec states, how often the reference
passes (with a Wilson 95 % interval), a suggested threshold and what the usual wrong answers
(the reference with its activations removed, the blank notebook) measure. It also records the
hashes of the reference notebook and the specs (which include the course secret): `grade
validate` reports a calibration that no longer matches them.
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

from grader.check.helpers import wilson_interval
from grader.core.assignment import Assignment

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
    draw_error: float  # the binomial standard error of one measurement at the mean
    passed: int  # reference runs whose value meets the thresholds
    pass_rate: float
    pass_low: float  # Wilson 95 % interval of the pass rate
    pass_high: float
    suggested_lower: float | None  # the strictest fair threshold: the reference's worst run less 1.96 draw errors
    suggested_upper: float | None
    wrong: dict[str, float] = field(default_factory=dict)  # wrong-answer variant -> its worst value for a cheat
    separates: bool | None = None  # the thresholds fail every wrong answer measured (None: none measured)

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

    @property
    def flagged(self) -> bool:
        return self.runs > 0 and self.passed / self.runs < PASS_RATE_REQUIRED


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

    @property
    def flagged(self) -> list[str]:
        return [rate.check for rate in self.pass_rates if rate.flagged]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1) + "\n"


def notebook_hash(assignment: Assignment) -> str:
    return hashlib.sha256(assignment.notebook.read_bytes()).hexdigest()[:16]


def summarise(assignment: Assignment, observations: list[Observation], seeds: int, draws: int) -> Calibration:
    """The calibration of `assignment` from every run's observations."""
    reference = [o for o in observations if o.variant == "reference"]
    wrong = [o for o in observations if o.variant != "reference"]
    measured = [
        _measured_check(check, quantity, data, group, wrong)
        for (check, quantity, data), group in _groups(reference).items()
    ]
    rates = []
    for check in sorted({o.check for o in reference}):
        # one outcome per run: the first observation of the check at each (seed, draw)
        runs = {(o.seed, o.draw): o.outcome for o in reference if o.check == check}
        passed = sum(outcome == "passed" for outcome in runs.values())
        low, high = wilson_interval(passed, len(runs))
        rates.append(CheckPassRate(check, len(runs), passed, low, high))
    variants = sorted({o.variant for o in observations}, key=lambda v: (v != "reference", v))
    return Calibration(
        assignment.id, notebook_hash(assignment), assignment.spec_hash(), seeds, draws, measured, rates, variants
    )


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
    draw_error = math.sqrt(max(mean * (1 - mean), 0.0) / first.count) if first.count else 0.0
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
        wrong=wrong_values,
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
