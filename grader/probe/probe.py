"""Probe stage: ask the live kernel about the student's objects and get plain data back.

Specs ask for objects by role ("the moons model"), not by variable name; the
resolver (grader/probe/resolve.py) decides which kept object a role is, as of its
exercise's section, and every question is then asked of that object by handle.
Answers are arrays and dictionaries decoded from JSON; nothing is unpickled.
The figure requests the specs make live in grader/probe/figure_requests.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from grader.core.assignment import Assignment
from grader.core.digests import PROBE_POINTS, output_digest, parameter_digest
from grader.core.results import CellResult, Measurement, ObjectDigest, Resolution
from grader.execute.channel import KernelDied, LiveKernel, ProbeError, ProbeTimeout
from grader.probe.asking import (
    CallAnswer,
    ObjectQuestions,
    OptimizerInfo,
    TensorInfo,
    TrainingEvidence,
    decode,
    encode,
)
from grader.probe.figure_requests import FigureRequests, ObjectNotFound
from grader.probe.resolve import Resolver

# the questions and their answers' types live in grader/probe/asking.py (the in-notebook checks ask them too)
__all__ = ["CallAnswer", "ObjectNotFound", "OptimizerInfo", "Probe", "TensorInfo", "TrainingEvidence", "decode", "encode"]


class Probe(ObjectQuestions, FigureRequests):
    """The specs' window onto one executed submission."""

    def __init__(
        self,
        kernel: LiveKernel,
        assignment: Assignment,
        cells: list[CellResult],
        starts: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.kernel = kernel
        self.assignment = assignment
        self.cells = cells
        self._cache: dict[str, Any] = {}
        self.measurements: dict[str, list[Measurement]] = {}  # check id -> what it measured
        self.resolver = Resolver(self._ask, assignment, cells, starts)

    @property
    def resolutions(self) -> dict[str, Resolution]:
        return self.resolver.resolutions

    def measure(self, measurement: Measurement) -> None:
        """File a number the running check measured under that check (staff reports, calibration)."""
        self.measurements.setdefault(self._check[0], []).append(measurement)

    def notes(self) -> list[str]:
        """What the staff should know about how objects were found (e.g. a device this machine lacks);
        never raises: a dead or silenced kernel has nothing to add."""
        try:
            self.resolver.bindings()
        except (ProbeError, ProbeTimeout, KernelDied):
            return []
        return list(self.resolver.device_notes)

    def object_digests(self) -> list[ObjectDigest]:
        """Digests of the trained models and the functions the checks found, for the integrity stage
        (staff only); never raises: an object that cannot be asked is left out."""
        found = []
        for key, spec in self.assignment.objects.items():
            resolution = self.resolutions.get(key)
            if resolution is None or not resolution.found:
                continue
            try:
                evidence = self.training(key) if spec.kind == "module" else None
                if evidence is not None and _trained(evidence):
                    values = self.parameter_values(key)
                    found += [parameter_digest(key, values, evidence.optimizer_steps, evidence.loaded)] if values else []
                elif spec.kind == "function":
                    answer = self.call(key, PROBE_POINTS)
                    found += [output_digest(key, answer.values)] if answer.values is not None else []
            except (ProbeError, ProbeTimeout, KernelDied, ObjectNotFound, ValueError):
                continue
        return found

    # ------------------------------------------------------------ illustrations
    def _ask(self, method: str, **arguments: Any) -> Any:
        key = method + json.dumps(arguments, sort_keys=True)
        if key not in self._cache:
            self._cache[key] = self.kernel.request(method, **arguments)
        return self._cache[key]


def _trained(evidence: TrainingEvidence) -> bool:
    """Trained models only: two untrained models made with the same seed are the same and prove nothing."""
    return bool(evidence.optimizer_steps or evidence.changed)
