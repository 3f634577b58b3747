"""Probe stage: resolving objects by tag, name and fallback; plain-data answers."""

import dataclasses

import numpy as np
import pytest

from grader.core.assignment import ObjectSpec
from grader.execute.channel import ProbeError, ProbeTimeout
from grader.core.settings import ExecuteSettings
from grader.probe.figure_requests import GRID_SIZE, default_labeller
from grader.probe.probe import ObjectNotFound, Probe, decode, encode
from tests.conftest import code, live_kernel, notebook

CELLS = [
    code("import time\nimport torch\nfrom torch import nn"),
    code("net = nn.Linear(2, 1)", "ex1"),
    code("layer = nn.Linear(2, 1)"),
    code("too_wide = nn.Linear(3, 1)\nclf = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))"),
    code(
        "class Boom(nn.Module):\n    def forward(self, x):\n        raise RuntimeError('boom')\nboom = Boom()\n"
        "class Slow(nn.Module):\n    def forward(self, x):\n        time.sleep(60)\nslow = Slow()"
    ),
    code("def my_square(x):\n    return x * x", "ex2"),
    code("def cube_numpy(x):\n    return torch.from_numpy(x.detach().numpy() ** 3)"),
]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    for live in live_kernel(notebook(*CELLS), tmp_path_factory.mktemp("probe")):
        # A short probe timeout for the hanging model, set after start-up: the first request
        # imports torch in the kernel, which takes longer than 3 s on a busy machine.
        live.settings = ExecuteSettings(cell_timeout=20, probe_timeout=3)
        yield live


def _probe(kernel, mini, **objects: ObjectSpec) -> Probe:
    return Probe(kernel, dataclasses.replace(mini, objects=objects), kernel.result.cells)


def _module(exercise="ex9", names=(), **kwargs) -> ObjectSpec:
    return ObjectSpec(key="model", kind="module", exercise=exercise, names=names, in_features=2, out_features=1, **kwargs)


def test_resolves_by_tag_first(kernel, mini):
    probe = _probe(kernel, mini, model=_module(exercise="ex1", names=("layer",)))
    assert probe.resolve("model") == "net"
    assert probe.resolutions["model"].how == "tag"


def test_resolves_by_the_assignment_name_when_untagged(kernel, mini):
    probe = _probe(kernel, mini, model=_module(names=("layer",)))
    assert (probe.resolve("model"), probe.resolutions["model"].how) == ("layer", "name")


def test_falls_back_to_the_latest_fitting_module(kernel, mini):
    probe = _probe(kernel, mini, model=_module(names=("missing",)))
    assert probe.resolve("model") == "clf"
    resolution = probe.resolutions["model"]
    assert resolution.how == "fallback" and "`clf` as bound in cell 5" in resolution.detail
    assert "`boom` (cell 6): raised RuntimeError: boom" in resolution.detail  # what was passed over, and why


def test_not_found_says_where_it_looked(kernel, mini):
    spec = ObjectSpec(key="model", kind="module", exercise="ex9", names=("gone",), in_features=5, out_features=7)
    probe = _probe(kernel, mini, model=spec)
    with pytest.raises(ObjectNotFound, match=r"no nn.Module with 5 inputs and 7 outputs found for model .*`gone`"):
        probe.resolve("model")
    assert probe.resolutions["model"].how == "not-found"


def test_forward_returns_an_array_for_the_graders_inputs(kernel, mini):
    probe = _probe(kernel, mini, model=_module(names=("clf",)))
    out = probe.forward("model", np.zeros((7, 2), dtype=np.float32))
    assert out.shape == (7, 1) and out.dtype == np.float32
    assert "relu" in probe.forward_ops("model", np.zeros((3, 2), dtype=np.float32))
    assert [row[1] for row in probe.structure("model")] == ["Sequential", "Linear", "ReLU", "Linear"]
    assert probe.parameter_shapes("model") == [("0.weight", (4, 2)), ("0.bias", (4,)), ("2.weight", (1, 4)), ("2.bias", (1,))]


def test_student_exception_becomes_probe_error(kernel, mini):
    probe = _probe(kernel, mini, model=ObjectSpec(key="model", kind="module", exercise="x", names=("boom",)))
    with pytest.raises(ProbeError, match="RuntimeError: boom"):
        probe.forward("model", np.zeros((2, 2), dtype=np.float32))


def test_hanging_forward_times_out_and_kernel_keeps_answering(kernel, mini):
    probe = _probe(
        kernel, mini,
        model=ObjectSpec(key="model", kind="module", exercise="x", names=("slow",)),
        other=_module(names=("layer",)),
    )
    with pytest.raises(ProbeTimeout):
        probe.forward("model", np.zeros((2, 2), dtype=np.float32))
    assert probe.forward("other", np.ones((1, 2), dtype=np.float32)).shape == (1, 1)


def test_function_call_reports_values_ops_and_gradient(kernel, mini):
    square = ObjectSpec(key="f", kind="function", exercise="ex2", names=())
    answer = _probe(kernel, mini, f=square).call("f", np.array([1.0, -2.0], dtype=np.float32))
    assert answer.values.tolist() == [1.0, 4.0] and answer.grad.tolist() == [2.0, -4.0]
    assert answer.ops == ["mul", "ones_like", "sum"] or "mul" in answer.ops


def test_numpy_round_trip_has_no_gradient(kernel, mini):
    cube = ObjectSpec(key="f", kind="function", exercise="x", names=("cube_numpy",))
    answer = _probe(kernel, mini, f=cube).call("f", np.array([2.0], dtype=np.float32))
    assert answer.values.tolist() == [8.0] and answer.grad is None


def test_function_fallback_needs_a_matching_name(kernel, mini):
    hinted = ObjectSpec(key="f", kind="function", exercise="x", names=(), name_hint="square")
    assert _probe(kernel, mini, f=hinted).resolve("f") == "my_square"
    unhinted = ObjectSpec(key="f", kind="function", exercise="x", names=())
    with pytest.raises(ObjectNotFound):
        _probe(kernel, mini, f=unhinted).resolve("f")


def test_arrays_round_trip_and_bad_dtypes_are_refused():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(decode(encode(array)), array)
    with pytest.raises(ValueError):
        decode({"dtype": "O", "shape": [1], "data": ""})


def test_arrays_and_devices_of_student_values(tmp_path, mini):
    nb = notebook(code("import torch\ncurve = [torch.tensor(0.5), 0.25]\nt = torch.arange(3)\nm = torch.nn.Linear(2, 1)"))
    for live in live_kernel(nb, tmp_path):
        objects = {k: ObjectSpec(key=k, kind="value", exercise="x", names=(k,)) for k in ("curve", "t", "m")}
        probe = Probe(live, dataclasses.replace(mini, objects=objects), live.result.cells)
        assert probe.array("curve").tolist() == [0.5, 0.25]
        assert probe.array("t").tolist() == [0.0, 1.0, 2.0]
        assert (probe.device("t"), probe.device("m")) == ("cpu", "cpu")


def test_same_shaped_roles_map_onto_objects_in_notebook_order(tmp_path, mini):
    nb = notebook(code("from torch import nn\nfirst = nn.Linear(2, 1)"), code("second = nn.Linear(2, 1)"))
    for live in live_kernel(nb, tmp_path):
        early = _module(exercise="ex1", names=("gone",))
        late = _module(exercise="ex2", names=("gone",))
        objects = {"early": dataclasses.replace(early, key="early"), "late": dataclasses.replace(late, key="late")}
        probe = Probe(live, dataclasses.replace(mini, objects=objects), live.result.cells)
        assert (probe.resolve("late"), probe.resolve("early")) == ("second", "first")
        alone = Probe(live, dataclasses.replace(mini, objects={"late": objects["late"]}), live.result.cells)
        assert alone.resolve("late") == "second"


def test_values_are_only_recognised_by_name_or_type(tmp_path, mini):
    nb = notebook(code("losses = [1.0, 0.5]\nfor step in range(3): pass", "ex1"))
    for live in live_kernel(nb, tmp_path):
        named = ObjectSpec(key="v", kind="value", exercise="ex1", names=("losses",))
        typed = ObjectSpec(key="w", kind="value", exercise="ex1", names=("curve",), types=("list",))
        probe = Probe(live, dataclasses.replace(mini, objects={"v": named, "w": typed}), live.result.cells)
        assert (probe.resolve("v"), probe.resolutions["v"].how) == ("losses", "tag")
        assert (probe.resolve("w"), probe.resolutions["w"].how) == ("losses", "tag")  # of the declared type, bound in the tagged cell


# --------------------------------------------------------------------------- illustrations

POINTS = np.random.default_rng(0).uniform(-2, 2, size=(60, 2)).astype(np.float32)
TRUTH = (POINTS[:, 0] > 0).astype(np.int64)


def test_illustrations_wait_until_the_checks_are_done(kernel, mini):
    probe = _probe(kernel, mini, model=_module(names=("clf",)))
    probe.begin_check("test_x.py::test_accuracy", "ex4")
    before = kernel.requests
    probe.illustrate_decision_boundary("model", POINTS, TRUTH, title="clf on points")
    probe.illustrate_confusion_matrix("model", POINTS, TRUTH, title="clf confusion")
    assert kernel.requests == before  # asking for a figure asks the kernel nothing
    (boundary, confusion), notes = probe.illustrations()
    assert notes == []
    assert (boundary.title, boundary.check, boundary.exercise, boundary.visibility) == (
        "clf on points", "test_x.py::test_accuracy", "ex4", "hidden"
    )
    assert boundary.model == "clf" and boundary.points.shape == (60, 2) and boundary.labels.tolist() == TRUTH.tolist()
    assert boundary.grid_predicted.shape == (GRID_SIZE, GRID_SIZE) and set(np.unique(boundary.grid_predicted)) <= {0, 1}
    assert boundary.grid_x[0] < POINTS[:, 0].min() and boundary.grid_y[-1] > POINTS[:, 1].max()
    expected = (probe.forward("model", POINTS)[:, 0] > 0).astype(np.int64)  # logits: cut at 0
    assert boundary.predicted.tolist() == expected.tolist()
    assert confusion.matrix.sum() == 60 and np.trace(confusion.matrix) == (expected == TRUTH).sum()


def test_an_illustration_that_fails_becomes_a_note(kernel, mini):
    probe = _probe(
        kernel, mini,
        model=ObjectSpec(key="model", kind="module", exercise="x", names=("boom",)),
        gone=ObjectSpec(key="gone", kind="value", exercise="x", names=("no_such_curve",), types=("list",)),
    )
    probe.illustrate_decision_boundary("model", POINTS, TRUTH, title="boom")
    probe.illustrate_decision_boundary("model", np.zeros((4, 3), dtype=np.float32), TRUTH[:4], title="3-D")
    probe.illustrate_curves("curves", {"loss": {"train": "gone"}})
    plots, notes = probe.illustrations()
    assert plots == [] and len(notes) == 3
    assert notes[0].startswith("the decision boundary of model was not drawn: ProbeError: RuntimeError: boom")
    assert "needs 2-D points, got shape (4, 3)" in notes[1]
    assert notes[2].startswith("the curves 'curves' was not drawn: ObjectNotFound: no recorded curve could be read")


def test_default_labeller_tells_probabilities_from_logits():
    logits = np.array([[-1.0], [0.2], [3.0]])
    probabilities = np.array([[0.1], [0.4], [0.9]])
    assert default_labeller(logits)(logits).tolist() == [0, 1, 1]
    assert default_labeller(probabilities)(probabilities).tolist() == [0, 0, 1]
    scores = np.array([[0.1, 0.7, 0.2], [2.0, 0.0, 1.0]])
    assert default_labeller(scores)(scores).tolist() == [1, 0]


def test_curves_keep_the_series_that_were_found(tmp_path, mini):
    nb = notebook(code("train_losses = [0.9, 0.5, float('nan')]\ntest_accs = list(range(3))"))
    for live in live_kernel(nb, tmp_path):
        objects = {
            key: ObjectSpec(key=key, kind="value", exercise="x", names=(name,), types=(kind,))
            for key, name, kind in (("train", "train_losses", "list"), ("test", "test_accs", "list"), ("gone", "nothing", "dict"))
        }
        probe = Probe(live, dataclasses.replace(mini, objects=objects), live.result.cells)
        probe.illustrate_curves("curves", {"loss": {"train": "train", "test": "gone"}, "accuracy": {"test": "test"}})
        (curves,), notes = probe.illustrations()
        assert notes == [] and curves.visibility == "visible"
        assert [(panel, [label for label, _ in series]) for panel, series in curves.panels] == [
            ("loss", ["train"]), ("accuracy", ["test"])
        ]
        assert np.isnan(curves.panels[0][1][0][1][-1])
