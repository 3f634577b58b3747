"""The API for hidden and public specs: everything a spec may import, in one module.

Specs import from here only (`from grader.spec import assert_accuracy, ObjectNotFound`); what it
exports stays stable across releases, while the modules behind it may move. The fixtures a spec
receives are typed here too: `submission` is a `Probe`, `hidden_rng` a `HiddenRng` (a function of a
hidden draw's name that returns its NumPy `RandomState`, for `random_state=`), `hidden_set` a
`HiddenSetLoader` (a function of a hidden set's name, `hidden/<name>.npz`, that returns its `HiddenSet`).

The names, by what they are for:

* the fixtures and the submission: `Probe` (`submission`), `HiddenRng` (`hidden_rng`), `HiddenSetLoader`
  (`hidden_set`) and `HiddenSet`, `CallAnswer`, `TensorInfo`, `OptimizerInfo`,
  `TrainingEvidence`, `CellResult`, `Measurement`;
* what can go wrong asking it: `ObjectNotFound` (no object fits the role), `ProbeError` (the
  student's object raised), `ProbeTimeout`, `KernelDied`;
* what outputs are and which loss trains them: `output_kind` (an `OutputKind`: logits, probabilities,
  log-probabilities or class scores, with the constants `LOGITS`, `PROBABILITIES`, `LOG_PROBABILITIES`,
  `SCORES`) and `loss_mismatch` (why a loss cannot train such outputs, naming the fix, or None);
* measuring: `class_labels`, `class_scores`, `accuracy`, `assert_accuracy`, `record_accuracy`,
  `wilson_interval`, `assert_trained`, `affine_deviation`, `uses_any`, `activation_modules`,
  `boundary_cells`, `distinct_items`, and the operator sets `NONLINEAR_OPS`, `TANH_OPS`, `BOUNDARY_GRID_POINTS`;
* hidden data from a fixed public dataset: `pixel_noise`, `integer_shifts`, `horizontal_flips` (each
  returns the perturbed images and the item each came from, for `items=`).

The grader's own code never imports this module (an import-linter contract in pyproject.toml).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name is imported when first used
    from grader.check.helpers import (
        BOUNDARY_GRID_POINTS,
        NONLINEAR_OPS,
        TANH_OPS,
        accuracy,
        activation_modules,
        affine_deviation,
        assert_accuracy,
        assert_trained,
        boundary_cells,
        distinct_items,
        horizontal_flips,
        integer_shifts,
        pixel_noise,
        record_accuracy,
        uses_any,
        wilson_interval,
    )
    from grader.core.hidden import HiddenSet, HiddenSetLoader
    from grader.core.outputs import (
        LOG_PROBABILITIES,
        LOGITS,
        PROBABILITIES,
        SCORES,
        OutputKind,
        class_labels,
        class_scores,
        loss_mismatch,
        output_kind,
    )
    from grader.core.results import CellResult, Measurement
    from grader.core.secret import HiddenRng
    from grader.execute.channel import KernelDied, ProbeError, ProbeTimeout
    from grader.probe.figure_requests import ObjectNotFound
    from grader.probe.probe import CallAnswer, OptimizerInfo, Probe, TensorInfo, TrainingEvidence

# Where each name lives. They are imported when a spec first asks for one, so a spec that needs only
# `output_kind` loads only grader/core/outputs.py: the public checks run that way in the student package
# (grader/notebook/), which carries this module and not the grader's checking machinery.
_HOMES = {
    "BOUNDARY_GRID_POINTS": "grader.check.helpers",
    "CallAnswer": "grader.probe.probe",
    "CellResult": "grader.core.results",
    "HiddenRng": "grader.core.secret",
    "HiddenSet": "grader.core.hidden",
    "HiddenSetLoader": "grader.core.hidden",
    "KernelDied": "grader.execute.channel",
    "LOGITS": "grader.core.outputs",
    "LOG_PROBABILITIES": "grader.core.outputs",
    "Measurement": "grader.core.results",
    "NONLINEAR_OPS": "grader.check.helpers",
    "ObjectNotFound": "grader.probe.figure_requests",
    "OptimizerInfo": "grader.probe.probe",
    "OutputKind": "grader.core.outputs",
    "PROBABILITIES": "grader.core.outputs",
    "Probe": "grader.probe.probe",
    "ProbeError": "grader.execute.channel",
    "ProbeTimeout": "grader.execute.channel",
    "SCORES": "grader.core.outputs",
    "TANH_OPS": "grader.check.helpers",
    "TensorInfo": "grader.probe.probe",
    "TrainingEvidence": "grader.probe.probe",
    "accuracy": "grader.check.helpers",
    "activation_modules": "grader.check.helpers",
    "affine_deviation": "grader.check.helpers",
    "assert_accuracy": "grader.check.helpers",
    "assert_trained": "grader.check.helpers",
    "boundary_cells": "grader.check.helpers",
    "class_labels": "grader.core.outputs",
    "class_scores": "grader.core.outputs",
    "distinct_items": "grader.check.helpers",
    "horizontal_flips": "grader.check.helpers",
    "integer_shifts": "grader.check.helpers",
    "loss_mismatch": "grader.core.outputs",
    "output_kind": "grader.core.outputs",
    "pixel_noise": "grader.check.helpers",
    "record_accuracy": "grader.check.helpers",
    "uses_any": "grader.check.helpers",
    "wilson_interval": "grader.check.helpers",
}

__all__ = [
    "BOUNDARY_GRID_POINTS",
    "LOGITS",
    "LOG_PROBABILITIES",
    "NONLINEAR_OPS",
    "PROBABILITIES",
    "SCORES",
    "TANH_OPS",
    "CallAnswer",
    "CellResult",
    "HiddenRng",
    "HiddenSet",
    "HiddenSetLoader",
    "KernelDied",
    "Measurement",
    "ObjectNotFound",
    "OptimizerInfo",
    "OutputKind",
    "Probe",
    "ProbeError",
    "ProbeTimeout",
    "TensorInfo",
    "TrainingEvidence",
    "accuracy",
    "activation_modules",
    "affine_deviation",
    "assert_accuracy",
    "assert_trained",
    "boundary_cells",
    "class_labels",
    "class_scores",
    "distinct_items",
    "horizontal_flips",
    "integer_shifts",
    "loss_mismatch",
    "output_kind",
    "pixel_noise",
    "record_accuracy",
    "uses_any",
    "wilson_interval",
]


def __getattr__(name: str) -> Any:
    """A name of the stable API, imported from its home on first use; else a name the old `grader/spec.py`
    had beyond it (kept for one release)."""
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value  # the next lookup finds it without this hook
        return value
    from grader.core import legacy

    return legacy.attribute("grader.spec", name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
