"""Function roles resolved by meaning: what takes the role's input and computes, not what the name says.

Each notebook is built in memory and run in a real kernel; the classification exercises' own tanh
checks (solutions/classification-exercises/specs/test_tanh.py) then grade what was resolved.
"""

import dataclasses
import importlib.util

import pytest
from nbformat.v4 import new_markdown_cell

from grader.core.assignment import load_assignment
from grader.execute.channel import ProbeError
from grader.probe.figure_requests import ObjectNotFound
from grader.probe.probe import Probe
from grader.probe.sections import exercise_starts
from tests.conftest import ROOT, code, live_kernel, notebook

SPECS = ROOT / "solutions" / "classification-exercises" / "specs"
IMPORTS = "import torch\nimport numpy as np\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt"
FORMULA = "(torch.exp({v}) - torch.exp(-{v})) / (torch.exp({v}) + torch.exp(-{v}))"
CHECKS = ("test_tanh_matches_reference_values", "test_tanh_is_differentiable_pytorch", "test_tanh_keeps_shape_and_dtype")

PLOT_AND_FUNCTION = f"""
def tanh_func(x):
    return {FORMULA.format(v="x")}

def plot_tanh():
    x = torch.arange(-10, 10, 1.0)
    plt.plot(x, tanh_func(x))
    plt.show()

plot_tanh()
"""
OVER_A_GLOBAL = f"""
x = torch.arange(-10, 10, 1.0)

def tanh():
    return {FORMULA.format(v="x")}

plt.plot(x, tanh())
"""
INLINE = f"A = torch.arange(-10, 10, 1.)\ntanh_A = {FORMULA.format(v='A')}\nplt.plot(A, tanh_A)"
WRONG_INLINE = (  # the precedence typo of the real-world tanh-typo, inline
    "A = torch.arange(-10, 10, 1.)\ntanh_A = torch.exp(A) - torch.exp(-A) / torch.exp(A) + torch.exp(-A)\nplt.plot(tanh_A)"
)
NUMPY = (
    "def tanh(x):\n    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))\n\n"
    "A = torch.arange(-10, 10, 1.)\nplt.plot(tanh(A))"
)
# after the tanh exercise: a tensor expression of the next exercise must not stand for tanh
SPIRALS = "X_spirals = torch.randn(10, 2)\nscaled = torch.sigmoid(X_spirals)"

CASES = {
    "plot_and_function": PLOT_AND_FUNCTION,
    "over_a_global": OVER_A_GLOBAL,
    "inline": INLINE,
    "wrong_inline": WRONG_INLINE,
    "numpy": NUMPY,
    "no_answer": "A = torch.arange(-10, 10, 1.)",
}


def _tanh_checks():
    """The hidden tanh checks, then the public one (solutions/…/public_specs)."""
    return [getattr(_spec_module(SPECS / "test_tanh.py"), name) for name in CHECKS] + [
        _spec_module(SPECS.parent / "public_specs" / "test_public.py").test_tanh_returns_a_tensor_of_the_same_shape
    ]


def _spec_module(path):
    spec = importlib.util.spec_from_file_location(f"spec_{path.parent.name}_{path.stem}_roles", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=sorted(CASES))
def graded(request, tmp_path_factory):
    """(case, probe, outcome of each tanh check, hidden then public: "passed", "failed: …" or "not found: …")."""
    nb = notebook(
        code(IMPORTS),
        new_markdown_cell("## 6. Replicate tanh in pure PyTorch"),
        code(CASES[request.param]),
        new_markdown_cell("## 7. Spirals"),
        code(SPIRALS),
    )
    assignment = load_assignment(SPECS.parent)
    assignment = dataclasses.replace(assignment, objects={"tanh": assignment.objects["tanh"]})
    for live in live_kernel(nb, tmp_path_factory.mktemp(request.param)):
        probe = Probe(live, assignment, live.result.cells, exercise_starts(nb, assignment, live.result.cells))
        yield request.param, probe, [_outcome(check, probe) for check in _tanh_checks()]


def _outcome(check, probe) -> str:
    try:
        check(probe)
    except ObjectNotFound as exc:
        return f"not found: {exc}"
    except (AssertionError, ProbeError) as exc:
        return f"failed: {exc}"
    return "passed"


def _plot_and_function(probe, outcomes):
    """plot_tanh() (no argument, draws) and tanh_func(x): graded on tanh_func, plot_tanh never run."""
    assert outcomes == ["passed"] * 4
    resolution = probe.resolutions["tanh"]
    assert resolution.found == "tanh_func"
    assert "`plot_tanh` (cell 4): a plotting function that takes no argument" in resolution.detail


def _over_a_global(probe, outcomes):
    """def tanh(): … over the global x: called with x bound to the input in a copy of its globals."""
    assert outcomes == ["passed"] * 4
    resolution = probe.resolutions["tanh"]
    assert resolution.found == "tanh" and "called with its global tensor `x` bound to the input" in resolution.detail
    assert probe.kernel.request("describe", name="x")["shape"] == [20]  # the student's x is untouched
    assert "def tanh():" in probe.source("tanh")  # the structural check reads the student's function


def _inline(probe, outcomes):
    """tanh_A = <formula on A>: re-evaluated on the input, quoted in the report."""
    assert outcomes == ["passed"] * 4
    _assert_inline(probe)


def _wrong_inline(probe, outcomes):
    """A wrong formula written inline is found and fails the value checks (not "not found")."""
    assert all(o.startswith("failed:") for o in outcomes[:3]) and "tanh(-10.00) gave" in outcomes[0], outcomes
    assert outcomes[3] == "passed"  # the public check only asks for a tensor of the input's shape
    _assert_inline(probe)


def _assert_inline(probe):
    resolution = probe.resolutions["tanh"]
    assert resolution.found == "tanh_A" and resolution.cell == 4
    assert resolution.detail.startswith("the expression `") and "torch.exp(A)" in resolution.detail
    assert "re-evaluated with the tensor `A` bound to the input" in resolution.detail
    assert probe.source("tanh").startswith("tanh_A = ")
    assert probe.kernel.request("describe", name="tanh_A")["shape"] == [20]  # the student's value is untouched


def _numpy(probe, outcomes):
    """np.exp fits a tensor without gradients, then raises where the checks need autograd: fails as before."""
    assert probe.resolve("tanh") == "tanh"
    assert all(o.startswith("failed:") for o in outcomes), outcomes


def _no_answer(probe, outcomes):
    """A tensor and no computation on it (the next exercise's sigmoid is not in the section): not found."""
    assert all(o.startswith("not found: no function found for tanh") for o in outcomes), outcomes


EXPECTED = {
    "plot_and_function": _plot_and_function,
    "over_a_global": _over_a_global,
    "inline": _inline,
    "wrong_inline": _wrong_inline,
    "numpy": _numpy,
    "no_answer": _no_answer,
}


def test_a_function_role_is_what_computes_on_its_input(graded):
    case, probe, outcomes = graded
    EXPECTED[case](probe, outcomes)


def test_the_builtin_written_inline_still_fails_the_structural_check(tmp_path):
    nb = notebook(code(IMPORTS), new_markdown_cell("## 6. tanh"), code("A = torch.arange(-10, 10, 1.)\ntanh_A = A.tanh()"))
    assignment = load_assignment(SPECS.parent)
    assignment = dataclasses.replace(assignment, objects={"tanh": assignment.objects["tanh"]})
    for live in live_kernel(nb, tmp_path):
        probe = Probe(live, assignment, live.result.cells, exercise_starts(nb, assignment, live.result.cells))
        outcomes = [_outcome(check, probe) for check in _tanh_checks()[:3]]
        assert probe.resolve("tanh") == "tanh_A"
        assert all(o.startswith("failed: your tanh calls the built-in tanh") for o in outcomes), outcomes
