#!/usr/bin/env python
"""Measure the real-world corpus independently of the grader, and compare with its ground truth.

    python scripts/measure_realworld.py [--jobs 2] [--only NAME ...] [--json measured.json] [--python PATH]

For every notebook in tests/realworld/notebooks/ this script does what a careful person would do
by hand, without the `grader` package: it runs the notebook top to bottom in a fresh Jupyter
kernel (nbclient), cell by cell, as a user without a GPU would (device requests for "cuda"/"mps"
and `.cuda()` calls become CPU ones; `!pip`-style shell lines are skipped: there is no network),
and at the points tests/realworld/expected.toml declares (the object's variable name and the
0-based index of the cell after which it is judged) it inspects the objects in the kernel:

* models: outputs on a fresh draw of moons (make_moons, 1000 points, noise 0.07, seed 123456) or of
  CS231n spirals (100 points per class, seed 424242), the operators their forward pass dispatches,
  and how far they are from an affine map on random probe points;
* losses: their class, their value on probe inputs, and whether they fit what the model outputs on a
  wide grid (one output in [0, 1]: probabilities, for BCELoss; else logits, for BCEWithLogitsLoss;
  rows summing to 1: softmax probabilities, for no loss; rows whose logsumexp is 0: log-probabilities,
  for NLLLoss or CrossEntropyLoss; other rows: class scores, for CrossEntropyLoss); optimizers: the
  parameters they update;
* tanh: values and autograd gradient against the true tanh, whether the built-in tanh operator is
  dispatched or named in its source, shape and dtype on a 2-D input (where expected.toml says the
  answer is a function of no arguments over a global, `bind`, or an inline `expression` on a tensor
  `variable`, that is what is run, with the global or the variable set to the input);
* the spirals split: shapes and dtypes.

A forward hook on every module records, per cell, which models were run on a grid of points (the
decision boundary) and which ones were run with autograd on a batch (training); with the cells'
outputs this decides "prints progress every 10 epochs" (the epochs printed by the cell that trained
the moons model) and "plots the decision boundary" (a cell that ran the model on a grid, drew a
figure and raised nothing).

`--python` runs the kernels on another interpreter: the course's pinned environment (the README's "Kernel
environments" says where the grader builds it; `--python ~/.cache/nbgrade-torch/envs/<hash>/bin/python`), so
that the notebooks are measured in the environment they are graded in.

It prints one row per notebook (measured verdicts and accuracies) and every disagreement with
expected.toml, and exits 1 when there is one. It is a tool to run by hand, not a test.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "realworld"
NOTEBOOKS = CORPUS / "notebooks"
EXPECTED = CORPUS / "expected.toml"

MOONS_THRESHOLD = 0.96  # the exercise: more than 96 %
SPIRALS_THRESHOLD = 0.95  # the exercise: more than 95 %
AFFINE_TOLERANCE = 1e-3  # relative deviation from an affine map below which a model counts as affine
MARKER = "@@MEASURED@@"

# check id -> short label for the table
CHECKS = {
    "test_moons.py::test_moons_model_outputs_one_value_per_point": "m1",
    "test_moons.py::test_moons_model_is_not_affine": "m2",
    "test_moons.py::test_moons_model_uses_an_activation": "m3",
    "test_moons.py::test_moons_loss_is_binary_cross_entropy": "m4",
    "test_moons.py::test_optimizer_updates_the_moons_model": "m5",
    "test_moons.py::test_moons_accuracy_on_hidden_data": "m6",
    "test_moons.py::test_training_reports_every_10_epochs": "m7",
    "test_moons.py::test_moons_decision_boundary_is_plotted": "m8",
    "test_tanh.py::test_tanh_matches_reference_values": "t1",
    "test_tanh.py::test_tanh_is_differentiable_pytorch": "t2",
    "test_tanh.py::test_tanh_keeps_shape_and_dtype": "t3",
    "test_spirals.py::test_spirals_split_into_tensors": "s1",
    "test_spirals.py::test_spirals_model_outputs_three_logits": "s2",
    "test_spirals.py::test_spirals_model_is_not_affine": "s3",
    "test_spirals.py::test_spirals_loss_and_optimizer": "s4",
    "test_spirals.py::test_spirals_accuracy_on_hidden_data": "s5",
    "test_spirals.py::test_spirals_decision_boundary_is_plotted": "s6",
}
ROLE_KINDS = {
    "moons_model": "model:moons",
    "moons_loss": "loss",
    "moons_optimizer": "optimizer",
    "tanh": "function",
    "spirals_X_train": "tensor",
    "spirals_X_test": "tensor",
    "spirals_y_train": "tensor",
    "spirals_y_test": "tensor",
    "spirals_model": "model:spirals",
    "spirals_loss": "loss",
    "spirals_optimizer": "optimizer",
}
SPLIT = {
    "spirals_X_train": ([240, 2], "torch.float32"),
    "spirals_X_test": ([60, 2], "torch.float32"),
    "spirals_y_train": ([240], "torch.int64"),
    "spirals_y_test": ([60], "torch.int64"),
}
ACTIVATION_OPS = {
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "gelu", "elu",
    "elu_", "selu", "celu", "silu", "silu_", "mish", "softplus", "hardtanh", "hardtanh_", "hardswish", "hardsigmoid",
    "prelu", "_prelu_kernel", "clamp_min", "clamp_min_", "threshold", "threshold_", "log_sigmoid_forward",
    "_softmax", "_log_softmax", "softmax", "log_softmax",
}
TANH_OPS = {"tanh", "tanh_", "tanh_backward"}
BUILTIN_TANH_NAMES = {"tanh", "Tanh", "tanh_"}

# Data and probes: the same source runs here (for the labels) and in the kernel (for the inputs).
DATA_SOURCE = r'''
import numpy as _np
from sklearn.datasets import make_moons as _make_moons

MOONS_SEED = 123_456
SPIRALS_SEED = 424_242


def fresh_moons():
    X, y = _make_moons(n_samples=1000, noise=0.07, random_state=MOONS_SEED)
    return X.astype(_np.float32), y.astype(_np.int64)


def fresh_spirals(N=100, K=3):
    rng = _np.random.RandomState(SPIRALS_SEED)
    X = _np.zeros((N * K, 2), dtype=_np.float32)
    y = _np.zeros(N * K, dtype=_np.int64)
    for j in range(K):
        r = _np.linspace(0.0, 1, N)
        t = _np.linspace(j * 4, (j + 1) * 4, N) + rng.randn(N) * 0.2
        X[N * j:N * (j + 1)] = _np.c_[r * _np.sin(t), r * _np.cos(t)]
        y[N * j:N * (j + 1)] = j
    return X, y


def loss_probe():
    rng = _np.random.RandomState(7)
    targets = rng.randint(0, 2, size=24).astype(_np.float32)
    logits = rng.normal(0.0, 2.0, size=24).astype(_np.float32)
    probabilities = rng.uniform(0.05, 0.95, size=24).astype(_np.float32)
    return targets, logits, probabilities


# Far beyond both datasets: raw logits leave [0, 1] here, a sigmoid's or softmax's outputs cannot.
WIDE_GRID = _np.stack(_np.meshgrid(_np.linspace(-8, 8, 17), _np.linspace(-8, 8, 17)), -1).reshape(-1, 2).astype(_np.float32)

TANH_PROBE = _np.concatenate([_np.linspace(-10, 10, 401), [-0.003, 0.0, 0.003]]).astype(_np.float32)
TANH_GRID = _np.linspace(-2.5, 2.5, 12, dtype=_np.float32).reshape(3, 4)
'''
DATA: dict[str, Any] = {}
exec(DATA_SOURCE, DATA)  # noqa: S102 - our own constant source, shared with the kernel

KERNEL_PREAMBLE = DATA_SOURCE + r'''
import inspect as _inspect
import json as _json
import torch as _torch
from torch.utils._python_dispatch import TorchDispatchMode as _DispatchMode

_measure_pinned = []  # every module and object looked at, kept alive so that ids stay unique
_measure_seen = set()
_measure_current = {}  # id(module) -> [run on a grid, run with autograd on a batch] in the current cell
_measure_by_cell = {}
_measure_busy = [False]


def _measure_hook(module, args, output):
    if _measure_busy[0]:
        return
    try:
        x = args[0] if args else None
        if not isinstance(x, _torch.Tensor) or x.dim() != 2 or x.shape[0] < 100:
            return
        if id(module) not in _measure_seen:
            _measure_seen.add(id(module))
            _measure_pinned.append(module)
        flags = _measure_current.setdefault(id(module), [False, False])
        if _torch.is_grad_enabled() and not _torch.is_inference_mode_enabled():
            flags[1] = True
        if not flags[0] and x.shape[1] == 2:
            with _torch.no_grad():
                points = x.detach()
                n0 = _torch.unique(points[:, 0]).numel()
                n1 = _torch.unique(points[:, 1]).numel()
            flags[0] = n0 > 1 and n1 > 1 and n0 * n1 == points.shape[0]
    except Exception:
        pass


_measure_handle = _torch.nn.modules.module.register_module_forward_hook(_measure_hook)


def _measure_cell_done(index):
    _measure_by_cell[index] = {str(key): flags[:] for key, flags in _measure_current.items()}
    _measure_current.clear()


class _MeasureOps(_DispatchMode):
    def __init__(self):
        super().__init__()
        self.ops = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.add(func.overloadpacket.__name__)
        return func(*args, **(kwargs or {}))


def _measure_affine_deviation(forward, low, high):
    rng = _np.random.RandomState(2024)
    a = rng.uniform(low, high, size=(200, 2)).astype(_np.float32)
    b = rng.uniform(low, high, size=(200, 2)).astype(_np.float32)
    t = rng.choice(_np.array([-1.0, 0.3, 0.5, 0.7, 2.0], dtype=_np.float32), size=(200, 1))
    mixed = (t * a + (1 - t) * b).astype(_np.float32)
    out = forward(_np.concatenate([a, b, mixed])).astype(_np.float64).reshape(600, -1)
    fa, fb, fm = out[:200], out[200:400], out[400:]
    spread = max(float(_np.abs(out - out.mean(axis=0)).max()), 1e-6)
    return float(_np.abs(fm - (t * fa + (1 - t) * fb)).max() / spread)


def _measure_model(obj, data):
    result = {"type": type(obj).__name__, "id": id(obj)}
    if not isinstance(obj, _torch.nn.Module):
        result["error"] = "not an nn.Module"
        return result
    params = list(obj.parameters())
    result["param_ids"] = [id(p) for p in params]
    device = params[0].device if params else _torch.device("cpu")
    was_training = obj.training
    obj.eval()

    def forward(points):
        with _torch.no_grad():
            return obj(_torch.as_tensor(points, dtype=_torch.float32, device=device)).detach().float().cpu().numpy()

    try:
        X, _ = fresh_moons() if data == "moons" else fresh_spirals()
        result["outputs"] = forward(X).tolist()
        result["shape8"] = list(forward(X[:8]).shape)
        result["wide_outputs"] = forward(WIDE_GRID).reshape(len(WIDE_GRID), -1).tolist()
        mode = _MeasureOps()
        with mode, _torch.no_grad():
            obj(_torch.as_tensor(X[:8], dtype=_torch.float32, device=device))
        result["ops"] = sorted(mode.ops)
        result["affine_deviation"] = _measure_affine_deviation(forward, -3, 3) if data == "moons" \
            else _measure_affine_deviation(forward, -1.5, 1.5)
    except Exception as exc:
        result["error"] = repr(exc)
    finally:
        obj.train(was_training)
    return result


def _measure_loss(obj):
    result = {"type": type(obj).__name__}
    targets, logits, probabilities = loss_probe()
    for key, inputs in (("on_logits", logits), ("on_probabilities", probabilities)):
        try:
            result[key] = float(obj(_torch.tensor(inputs), _torch.tensor(targets)))
        except Exception as exc:
            result[key] = None
            result[key + "_error"] = repr(exc)
    return result


def _measure_optimizer(obj):
    groups = getattr(obj, "param_groups", None)
    if groups is None:
        return {"type": type(obj).__name__, "error": "no param_groups"}
    return {"type": type(obj).__name__, "param_ids": [id(p) for g in groups for p in g["params"]]}


def _measure_tensor(obj):
    if not isinstance(obj, _torch.Tensor):
        return {"type": type(obj).__name__, "error": "not a torch tensor"}
    return {"type": "Tensor", "shape": list(obj.shape), "dtype": str(obj.dtype)}


def _measure_call_tanh(function, array):
    x = _torch.tensor(array, requires_grad=True)
    mode = _MeasureOps()
    entry = {}
    try:
        with mode:
            y = function(x)
    except Exception as exc:
        return {"error": repr(exc), "ops": sorted(mode.ops)}
    entry["type"] = type(y).__name__
    if isinstance(y, _torch.Tensor):
        entry["values"] = y.detach().double().cpu().numpy().reshape(-1).tolist()
        entry["shape"] = list(y.shape)
        entry["dtype"] = str(y.dtype)
        if y.requires_grad:
            backward = _MeasureOps()
            with backward:
                y.sum().backward()
            mode.ops |= backward.ops
            if x.grad is not None:
                entry["grad"] = x.grad.double().numpy().reshape(-1).tolist()
    entry["ops"] = sorted(mode.ops)
    return entry


def _measure_function(obj, how):
    """tanh's answer, however the student wrote it (`how`, from expected.toml): a function of the input;
    {"bind": "x"}: a function of no arguments over the global x, run with x set to the input in a copy
    of its globals; {"expression": "...", "variable": "A"}: a statement's value, run with A set to it."""
    result = {"type": type(obj).__name__}
    try:
        result["source"] = _inspect.getsource(obj) if "expression" not in how else how["expression"]
    except Exception:
        result["source"] = ""
    function = obj
    if "bind" in how:
        def function(x, _f=obj, _name=how["bind"]):
            scope = dict(_f.__globals__)
            scope[_name] = x
            return type(_f)(_f.__code__, scope)()
    elif "expression" in how:
        function = eval("lambda " + how["variable"] + ": (" + how["expression"] + ")", dict(get_ipython().user_ns))
    result["probe"] = _measure_call_tanh(function, TANH_PROBE)
    result["grid"] = _measure_call_tanh(function, TANH_GRID)
    return result


def _measure_roles(requests):
    _measure_busy[0] = True
    out = {}
    try:
        namespace = get_ipython().user_ns
        for role, name, kind, how in requests:
            if name not in namespace:
                out[role] = {"missing": name}
                continue
            obj = namespace[name]
            _measure_pinned.append(obj)
            try:
                if kind.startswith("model:"):
                    out[role] = _measure_model(obj, kind.split(":")[1])
                elif kind == "loss":
                    out[role] = _measure_loss(obj)
                elif kind == "optimizer":
                    out[role] = _measure_optimizer(obj)
                elif kind == "function":
                    out[role] = _measure_function(obj, how)
                else:
                    out[role] = _measure_tensor(obj)
            except Exception as exc:
                out[role] = {"error": repr(exc)}
            out[role]["name"] = name
    finally:
        _measure_busy[0] = False
    print("@@MEASURED@@" + _json.dumps(out))


def _measure_calls():
    print("@@MEASURED@@" + _json.dumps(_measure_by_cell))
'''

# A user without a GPU: "cuda" / "cuda:0" / "mps" device strings and .cuda() become the CPU.
DEVICE_REQUESTS = [
    (re.compile(r"""(["'])(?:cuda(?::\d+)?|mps)\1"""), r"\1cpu\1"),
    (re.compile(r"\.cuda\(\s*\)"), ".cpu()"),
]
SHELL_LINE = re.compile(r"^([ \t]*)(?:!|%pip\b|%conda\b).*$", re.M)


def cpu_only(source: str) -> str:
    for pattern, replacement in DEVICE_REQUESTS:
        source = pattern.sub(replacement, source)
    return SHELL_LINE.sub(r"\1pass  # shell line skipped (no network)", source)


# --------------------------------------------------------------------------- running a notebook


def _run_code(client: NotebookClient, source: str, index: int) -> dict[str, Any]:
    """Run measurement code in the kernel, as the scratch cell `index` (after the notebook's own cells)."""
    cell = nbformat.v4.new_code_cell(source)
    client.nb.cells[index] = cell
    client.execute_cell(cell, index)
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
    errors = [o for o in cell.outputs if o.get("output_type") == "error"]
    if errors:
        raise RuntimeError(f"measurement code failed: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    found = [line[len(MARKER):] for line in text.splitlines() if line.startswith(MARKER)]
    return json.loads(found[-1]) if found else {}


def run_notebook(name: str, roles: dict[str, dict[str, Any]], python: str = "") -> dict[str, Any]:
    """Execute one notebook with the measurements at the declared cells (its kernel on `python` when given, else
    on the python3 kernel spec's); return what was measured."""
    started = time.perf_counter()
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    at: dict[int, list[tuple[str, str, str, dict[str, str]]]] = {}
    for role, where in roles.items():
        how = {key: str(where[key]) for key in ("bind", "expression", "variable") if key in where}
        at.setdefault(int(where["after_cell"]), []).append((role, where["name"], ROLE_KINDS[role], how))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = cpu_only(cell.source)
            cell.outputs = []
    measured: dict[str, Any] = {}
    cells = []
    extra = len(nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell(""))  # the scratch cell the measurement code runs as
    with tempfile.TemporaryDirectory(prefix="measure-") as workdir:
        manager = KernelManager(kernel_name="python3", transport="ipc",
                                connection_file=str(Path(workdir) / "kernel.json"))
        if python:
            manager.kernel_spec.argv[0] = python  # ipykernel_launcher on that interpreter
        client = NotebookClient(nb, km=manager, timeout=600, allow_errors=True,
                                resources={"metadata": {"path": workdir}})
        try:
            with client.setup_kernel():
                _run_code(client, KERNEL_PREAMBLE, extra)
                for index, cell in enumerate(nb.cells[:extra]):
                    if cell.cell_type == "code":
                        client.execute_cell(cell, index)
                        _run_code(client, f"_measure_cell_done({index})", extra)
                    if index in at:
                        measured.update(_run_code(client, f"_measure_roles({at[index]!r})", extra))
                calls = _run_code(client, "_measure_calls()", extra)
        finally:  # the client only shuts down kernels it started itself
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
    for index, cell in enumerate(nb.cells[:extra]):
        if cell.cell_type != "code":
            continue
        outputs = cell.outputs
        error = next((o for o in outputs if o.get("output_type") == "error"), None)
        cells.append({
            "index": index,
            "error": f"{error.get('ename')}: {error.get('evalue')}" if error else "",
            "stdout": "".join(o.get("text", "") for o in outputs
                              if o.get("output_type") == "stream" and o.get("name") == "stdout"),
            "images": sum(1 for o in outputs if o.get("output_type") in ("display_data", "execute_result")
                          and any(k.startswith("image/") for k in o.get("data", {}))),
            "calls": calls.get(str(index), {}),
        })
    return {"name": name, "measured": measured, "cells": cells, "seconds": time.perf_counter() - started}


# --------------------------------------------------------------------------- verdicts


def _covers(optimizer: dict[str, Any], model: dict[str, Any]) -> tuple[bool, str]:
    if "param_ids" not in optimizer or "param_ids" not in model:
        return False, f"optimizer or model not measurable ({optimizer.get('error') or model.get('error') or 'missing'})"
    model_ids, optimizer_ids = set(model["param_ids"]), set(optimizer["param_ids"])
    shared = len(model_ids & optimizer_ids)
    return bool(model_ids) and shared == len(model_ids), f"{optimizer['type']} updates {shared}/{len(model_ids)} tensors"


def _bce(targets: np.ndarray, inputs: np.ndarray, probabilities: bool) -> float:
    x = inputs.astype(np.float64)
    if probabilities:
        return float(-np.mean(targets * np.log(x) + (1 - targets) * np.log(1 - x)))
    return float(np.mean(np.logaddexp(0, x) - targets * x))


# What each kind of output pairs with: logits with BCEWithLogitsLoss, probabilities with BCELoss (one output),
# class scores with CrossEntropyLoss, log-probabilities with NLLLoss or CrossEntropyLoss (whose log_softmax
# leaves log-probabilities unchanged); K softmax probabilities with none of them.
PAIRS = {
    ("logits", 1): {"BCEWithLogitsLoss"},
    ("probabilities", 1): {"BCELoss"},
    ("scores", 2): {"CrossEntropyLoss"},
    ("log-probabilities", 2): {"CrossEntropyLoss", "NLLLoss"},
    ("probabilities", 2): set(),
}


def _output_kind(model: dict[str, Any]) -> tuple[str, int] | None:
    """(kind, 1 for one output or 2 for several) of a model's outputs on the wide grid; None if not measured."""
    if "wide_outputs" not in model:
        return None
    out = np.asarray(model["wide_outputs"], dtype=np.float64)
    if out.shape[1] == 1:
        return ("probabilities" if out.min() >= 0 and out.max() <= 1 else "logits"), 1
    if out.min() >= 0 and np.allclose(out.sum(axis=1), 1.0, atol=1e-3):
        return "probabilities", 2
    peak = out.max(axis=1)
    if np.allclose(peak + np.log(np.exp(out - peak[:, None]).sum(axis=1)), 0.0, atol=1e-3):
        return "log-probabilities", 2
    return "scores", 2


def _pairs(loss: str, model: dict[str, Any]) -> tuple[bool, str]:
    """Whether the loss class can train the model's outputs (True when the outputs were not measured)."""
    kind = _output_kind(model)
    if kind is None:
        return True, "outputs not measured"
    return loss in PAIRS[kind], f"{loss} on {kind[0]} ({'one output' if kind[1] == 1 else 'several outputs'})"


def _epochs(stdout: str) -> list[int]:
    return [int(n) for n in re.findall(r"epoch\W{0,4}(\d+)", stdout, flags=re.I)]


def verdicts(run: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    m = run["measured"]
    get = lambda role: m.get(role, {"missing": role})  # noqa: E731
    out: dict[str, tuple[bool, str]] = {}
    targets, logits, probabilities = DATA["loss_probe"]()

    # ---- moons model, loss, optimizer
    model, loss, optimizer = get("moons_model"), get("moons_loss"), get("moons_optimizer")
    ok_model = "outputs" in model and "error" not in model
    shape8 = tuple(model.get("shape8", ()))
    out["m1"] = (ok_model and shape8 in {(8, 1), (8,), (8, 2)}, f"8 points -> {list(shape8) or model}")
    deviation = model.get("affine_deviation")
    out["m2"] = (deviation is not None and deviation > AFFINE_TOLERANCE, f"deviation {deviation}")
    activations = sorted(set(model.get("ops", [])) & ACTIVATION_OPS)
    out["m3"] = (bool(activations), f"activations {activations}")
    kind = loss.get("type", "missing")
    pairs, pairing = _pairs(kind, model)
    if kind in {"BCEWithLogitsLoss", "BCELoss"}:
        as_probabilities = kind == "BCELoss"
        value = loss.get("on_probabilities" if as_probabilities else "on_logits")
        wanted = _bce(targets, probabilities if as_probabilities else logits, as_probabilities)
        out["m4"] = (pairs and value is not None and abs(value - wanted) < 1e-4,
                     f"{kind}: {value} vs {wanted:.5f}; {pairing}")
    else:
        out["m4"] = (kind == "CrossEntropyLoss" and len(shape8) == 2 and shape8[1] >= 2 and pairs,
                     f"{kind} with model output {list(shape8)}; {pairing}")
    out["m5"] = _covers(optimizer, model)
    accuracy = None
    if ok_model:
        outputs = np.asarray(model["outputs"], dtype=np.float64)
        _, y = DATA["fresh_moons"]()
        if outputs.ndim == 2 and outputs.shape[1] >= 2:  # class scores: the argmax
            labels = outputs.argmax(axis=1)
        else:
            flat = outputs.reshape(len(outputs), -1)[:, 0]
            labels = (flat > (0.5 if kind == "BCELoss" else 0.0)).astype(np.int64)
        accuracy = float((labels == y).mean())
    out["m6"] = (accuracy is not None and accuracy > MOONS_THRESHOLD,
                         f"accuracy {accuracy:.3f}" if accuracy is not None else f"no outputs: {model}")
    model_id = str(model.get("id"))
    trained_in = [c for c in run["cells"] if c["calls"].get(model_id, [False, False])[1]]
    best = max((_epochs(c["stdout"]) for c in trained_in), key=len, default=[])
    steps = {b - a for a, b in zip(best, best[1:])}
    out["m7"] = (len(best) >= 3 and steps == {10},
                        f"cells {[c['index'] for c in trained_in]} printed epochs {best[:5]}…")
    plotted = [c["index"] for c in run["cells"]
               if c["calls"].get(model_id, [False, False])[0] and c["images"] and not c["error"]]
    out["m8"] = (bool(plotted), f"grid + figure in cells {plotted}")

    # ---- tanh
    tanh = get("tanh")
    expected_probe = np.tanh(DATA["TANH_PROBE"].astype(np.float64))
    base = _tanh_base(tanh, "probe")
    values = np.asarray(tanh.get("probe", {}).get("values", []), dtype=np.float64)
    error = float(np.abs(values - expected_probe).max()) if values.size == expected_probe.size else None
    out["t1"] = (base == "" and error is not None and error < 1e-5, base or f"max error {error}")
    grad = np.asarray(tanh.get("probe", {}).get("grad", []), dtype=np.float64)
    grad_error = float(np.abs(grad - (1 - expected_probe**2)).max()) if grad.size == expected_probe.size else None
    out["t2"] = (base == "" and grad_error is not None and grad_error < 1e-4, base or f"gradient error {grad_error}")
    base_grid = _tanh_base(tanh, "grid")
    grid = tanh.get("grid", {})
    grid_values = np.asarray(grid.get("values", []), dtype=np.float64)
    grid_ok = (grid.get("shape") == [3, 4] and grid.get("dtype") == "torch.float32" and grid_values.size == 12
               and float(np.abs(grid_values - np.tanh(DATA["TANH_GRID"].astype(np.float64)).ravel()).max()) < 1e-5)
    out["t3"] = (base_grid == "" and grid_ok, base_grid or f"{grid.get('shape')} {grid.get('dtype')}")

    # ---- spirals
    wrong = []
    for role, (shape, dtype) in SPLIT.items():
        info = get(role)
        if info.get("shape") != shape or info.get("dtype") != dtype:
            wrong.append(f"{info.get('name', role)}: {info.get('shape')} {info.get('dtype') or info}")
    out["s1"] = (not wrong, "; ".join(wrong) or "240/60, float32/int64")
    smodel = get("spirals_model")
    ok_smodel = "outputs" in smodel and "error" not in smodel
    out["s2"] = (ok_smodel and smodel.get("shape8") == [8, 3], f"8 points -> {smodel.get('shape8') or smodel}")
    sdeviation = smodel.get("affine_deviation")
    out["s3"] = (sdeviation is not None and sdeviation > AFFINE_TOLERANCE, f"deviation {sdeviation}")
    skind = get("spirals_loss").get("type", "missing")
    covers, how = _covers(get("spirals_optimizer"), smodel)
    spairs, spairing = _pairs(skind, smodel)
    out["s4"] = (skind in {"CrossEntropyLoss", "NLLLoss"} and covers and spairs, f"{skind}; {how}; {spairing}")
    saccuracy = None
    if ok_smodel:
        outputs = np.asarray(smodel["outputs"], dtype=np.float64)
        _, y = DATA["fresh_spirals"]()
        if outputs.ndim == 2 and outputs.shape[1] >= 3:
            saccuracy = float((outputs.argmax(axis=1) == y).mean())
    out["s5"] = (saccuracy is not None and saccuracy > SPIRALS_THRESHOLD,
                         f"accuracy {saccuracy:.3f}" if saccuracy is not None else f"no usable outputs: {smodel}")
    sid = str(smodel.get("id"))
    splotted = [c["index"] for c in run["cells"]
                if c["calls"].get(sid, [False, False])[0] and c["images"] and not c["error"]]
    out["s6"] = (bool(splotted), f"grid + figure in cells {splotted}")
    out["_accuracies"] = (True, json.dumps({"moons": accuracy, "spirals": saccuracy}))
    return out


def _tanh_base(tanh: dict[str, Any], key: str) -> str:
    """Why tanh fails every check ('' when it does not): built-in, no tensor, no gradient, an error."""
    if "missing" in tanh or "error" in tanh:
        return f"tanh not measurable: {tanh}"
    call = tanh.get(key, {})
    if "error" in call:
        return f"calling it raised {call['error']}"
    if set(call.get("ops", [])) & TANH_OPS:
        return "dispatches the built-in tanh"
    if _mentions_builtin(tanh.get("source", "")):
        return "its source names a built-in tanh"
    if "values" not in call:
        return f"returned {call.get('type')}, not a tensor"
    if "grad" not in call:
        return "no gradient flows through it"
    return ""


def _mentions_builtin(source: str) -> bool:
    try:
        tree = ast.parse(source.strip() or "pass")
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Attribute) and node.attr in BUILTIN_TANH_NAMES for node in ast.walk(tree))


# --------------------------------------------------------------------------- main


def _limit_threads() -> None:
    # two kernels side by side on a small machine: one BLAS/OpenMP thread each
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = "1"


def _measure_one(job: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    name, roles, python = job
    try:
        return run_notebook(name, roles, python)
    except Exception as exc:  # a broken run is reported, not fatal to the others
        return {"name": name, "failed": repr(exc), "seconds": 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--only", nargs="*", default=[], help="measure only these notebooks")
    parser.add_argument("--json", type=Path, help="write every measurement and verdict to this file")
    parser.add_argument("--python", default="", help="run the kernels on this interpreter (a kernel environment's bin/python)")
    args = parser.parse_args(argv)

    expected = tomllib.loads(EXPECTED.read_text(encoding="utf-8"))
    on_disk = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    problems = [f"{n}: notebook without an entry in expected.toml" for n in on_disk if n not in expected]
    problems += [f"{n}: entry without a notebook" for n in expected if n not in on_disk]
    names = [n for n in on_disk if n in expected and (not args.only or n in args.only)]

    started = time.perf_counter()
    _limit_threads()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = list(pool.map(_measure_one, [(n, expected[n]["roles"], args.python) for n in names]))
    elapsed = time.perf_counter() - started

    labels = list(CHECKS.values())
    print(f"{'notebook':32} {'kind':7} {'moons':>6} {'spir.':>6}  " + " ".join(f"{label:>3}" for label in labels)
          + "   seconds")
    report: dict[str, Any] = {}
    disagreements = []
    for run in runs:
        name = run["name"]
        entry = expected[name]
        if "failed" in run:
            problems.append(f"{name}: could not be measured: {run['failed']}")
            continue
        measured = verdicts(run)
        accuracies = json.loads(measured.pop("_accuracies")[1])
        marks = []
        for check_id, label in CHECKS.items():
            want = entry["checks"].get(check_id)
            got, detail = measured[label]
            mark = "✓" if got else "✗"
            if want is None:
                problems.append(f"{name}: expected.toml has no verdict for {check_id}")
            elif want != got:
                mark = "!" + mark
                disagreements.append(f"{name} · {check_id}: expected {want}, measured {got} ({detail})")
            marks.append(f"{mark:>3}")
        fmt = lambda a: f"{a * 100:5.1f}%" if a is not None else "   — "  # noqa: E731
        print(f"{name:32} {entry['kind']:7} {fmt(accuracies['moons']):>6} {fmt(accuracies['spirals']):>6}  "
              + " ".join(marks) + f"   {run['seconds']:.1f}")
        report[name] = {"seconds": run["seconds"], "accuracies": accuracies,
                        "verdicts": {cid: measured[label] for cid, label in CHECKS.items()}, "cells": run["cells"],
                        "measured": {k: {kk: vv for kk, vv in v.items() if kk not in ("outputs", "wide_outputs", "values", "grad")}
                                     for k, v in run["measured"].items() if isinstance(v, dict)}}

    print("\ncolumns (✓ passes, ✗ fails, ! disagrees with expected.toml): "
          + ", ".join(f"{label}={check_id.split('::')[1].removeprefix('test_')}" for check_id, label in CHECKS.items()))
    print(f"{len(runs)} notebooks measured in {elapsed:.0f} s with {args.jobs} kernel(s) at a time")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    for line in problems:
        print("PROBLEM:", line)
    for line in disagreements:
        print("DISAGREES:", line)
    if problems or disagreements:
        print(f"{len(disagreements)} verdict(s) disagree with expected.toml, {len(problems)} other problem(s)")
        return 1
    print("every measured verdict agrees with expected.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
