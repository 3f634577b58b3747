"""The classification specs against tricky student code: tanh aliases, hidden activations."""

import dataclasses
import importlib.util

import numpy as np
import pytest

from grader.core.assignment import load_assignment
from grader.execute.channel import ProbeError
from grader.probe.probe import Probe
from tests.conftest import ROOT, code, live_kernel, notebook

SPECS = ROOT / "solutions" / "classification-exercises" / "specs"

TANHS = {
    "tanh_formula": "return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))",
    "tanh_via_sigmoid": "return 2 * torch.sigmoid(2 * x) - 1",
    "tanh_torch": "return torch.tanh(x)",
    "tanh_method": "return x.tanh()",
    "tanh_module": "return nn.Tanh()(x)",
    "tanh_functional": "return F.tanh(x)",
    "tanh_aten": "return torch.ops.aten.tanh(x)",
    "tanh_getattr": "return getattr(torch, 'ta' + 'nh')(x)",
    "tanh_numpy_alias": "return torch.from_numpy(np_t(x.detach().numpy()))",
    "tanh_wrong_sign": "return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) - torch.exp(-x))",
    # the built-in run in a worker thread, where a thread-local dispatch mode would see nothing
    "tanh_in_a_thread": "return ThreadPoolExecutor(1).submit(torch.tanh, x).result()",
    "tanh_in_a_raw_thread": "out = []\n    t = threading.Thread(target=lambda: out.append(torch.tanh(x)))\n    t.start()\n    t.join()\n    return out[0]",
}
PASSING_TANHS = {"tanh_formula", "tanh_via_sigmoid"}

MODELS = {
    "relu_module": "nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))",
    "relu_functional": "FunctionalRelu()",
    "hidden_in_custom_module": "nn.Sequential(nn.Linear(2, 8), Sneaky(), nn.Linear(8, 1))",
    "linear_stack": "nn.Sequential(nn.Linear(2, 8), nn.Linear(8, 1))",
    "linear_with_identity_dropout": "nn.Sequential(nn.Flatten(), nn.Linear(2, 8), nn.Identity(), nn.Dropout(0.5), nn.Linear(8, 1))",
}
NONLINEAR_MODELS = {"relu_module", "relu_functional", "hidden_in_custom_module"}

SETUP = """import threading
from concurrent.futures import ThreadPoolExecutor
import torch
from torch import nn
import torch.nn.functional as F
from numpy import tanh as np_t
torch.manual_seed(0)

class FunctionalRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 8), nn.Linear(8, 1)
    def forward(self, x):
        return self.b(F.relu(self.a(x)))

class Sneaky(nn.Module):
    def forward(self, x):
        return x.clamp(min=0)
"""


def _load(name):
    spec = importlib.util.spec_from_file_location(f"spec_{name}", SPECS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    cells = [code(SETUP)]
    cells += [code(f"def {name}(x):\n    {body}") for name, body in TANHS.items()]
    cells += [code(f"{name} = {expr}") for name, expr in MODELS.items()]
    yield from live_kernel(notebook(*cells), tmp_path_factory.mktemp("specs"))


def _probe(kernel, key, name):
    assignment = load_assignment(SPECS.parent)
    objects = dict(assignment.objects)
    objects[key] = dataclasses.replace(objects[key], names=(name,), exercise="none")
    return Probe(kernel, dataclasses.replace(assignment, objects=objects), kernel.result.cells)


def _passes(check, *args) -> bool:
    try:
        check(*args)
    except (AssertionError, ProbeError):  # a wrong answer, or the student's function raised
        return False
    return True


@pytest.mark.parametrize("name", sorted(TANHS))
def test_every_tanh_check_needs_the_formula(kernel, name):
    tanh = _load("test_tanh")
    probe = _probe(kernel, "tanh", name)
    checks = [tanh.test_tanh_matches_reference_values, tanh.test_tanh_is_differentiable_pytorch, tanh.test_tanh_keeps_shape_and_dtype]
    outcomes = [_passes(check, probe) for check in checks]
    assert outcomes == [name in PASSING_TANHS] * 3


@pytest.mark.parametrize("name", sorted(MODELS))
def test_nonlinearity_is_checked_functionally_and_structurally(kernel, name):
    moons = _load("test_moons")
    probe = _probe(kernel, "moons_model", name)
    hidden = moons_draw()
    functional = _passes(moons.test_moons_model_is_not_affine, probe)
    structural = _passes(moons.test_moons_model_uses_an_activation, probe, hidden)
    assert (functional, structural) == (name in NONLINEAR_MODELS,) * 2


def moons_draw():
    return _load("conftest").moons_draw(np.random.RandomState(0))


def test_a_disarmed_guard_is_never_a_pass(tmp_path):
    """A cell that makes Python-level dispatch modes inert before tanh is checked: could not verify, not a pass."""
    disarm = code(
        "import torch.utils._python_dispatch as dispatch\n"
        "dispatch._push_mode = lambda *args, **kwargs: None\n"
        "dispatch._pop_mode = lambda *args, **kwargs: None\n"
        "def tanh(x):\n    return torch.tanh(x)"
    )
    for live in live_kernel(notebook(code(SETUP), disarm), tmp_path):
        probe = _probe(live, "tanh", "tanh")
        with pytest.raises(AssertionError, match="could not verify that your tanh avoids the built-in"):
            _load("test_tanh").test_tanh_matches_reference_values(probe)
