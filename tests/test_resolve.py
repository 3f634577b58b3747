"""Resolution as real notebooks need it: sections, reused names, several candidates, devices the machine lacks."""

import dataclasses
import re

import numpy as np
import pytest
from nbformat.v4 import new_markdown_cell

from grader.core.assignment import Exercise, ObjectSpec
from grader.core.results import CellResult
from grader.probe.probe import Probe
from grader.probe.resolve import Resolver
from grader.probe.sections import exercise_starts
from grader.spec import assert_trained
from tests.conftest import code, live_kernel, notebook

TRAIN = (
    "opt = torch.optim.SGD({model}.parameters(), lr=0.1)\n"
    "for _ in range(20):\n"
    "    opt.zero_grad()\n"
    "    loss = ({model}(torch.ones(4, 2)) ** 2).mean()\n"
    "    loss.backward()\n"
    "    opt.step()\n"
)
# a student's notebook: no tags, the course's headings, names reused from one exercise to the next
CELLS = [
    new_markdown_cell("# 02. My classification exercises"),
    code("import torch\nfrom torch import nn\ndevice = 'cuda' if torch.cuda.is_available else 'cpu'"),
    new_markdown_cell("## 1. Make a linear layer"),
    code("model = nn.Linear(2, 1).to(device)\nspare = nn.Linear(2, 1)"),
    code(TRAIN.format(model="model") + "loss_fn = nn.BCEWithLogitsLoss()"),
    code("spare_copy = nn.Linear(2, 1).cuda()\nzeros = torch.zeros(3, device=device)\nprint(zeros.device)"),
    new_markdown_cell("## 2. Now three classes"),
    code("model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3)).to(device)\nloss_fn = nn.CrossEntropyLoss()"),
    code(TRAIN.format(model="model")),
]


@pytest.fixture(scope="module")
def probe(tmp_path_factory, mini):
    objects = {
        "first": ObjectSpec(key="first", kind="module", exercise="ex1", names=(), in_features=2, out_features=1),
        "first_loss": ObjectSpec(key="first_loss", kind="loss", exercise="ex1", names=("loss_fn",)),
        "second": ObjectSpec(key="second", kind="module", exercise="ex2", names=(), in_features=2, out_features=3),
        "second_loss": ObjectSpec(key="second_loss", kind="loss", exercise="ex2", names=("loss_fn",)),
    }
    assignment = dataclasses.replace(mini, objects=objects)
    nb = notebook(*CELLS)
    for live in live_kernel(nb, tmp_path_factory.mktemp("resolve")):
        yield Probe(live, assignment, live.result.cells, exercise_starts(nb, assignment, live.result.cells))


def test_sections_start_at_the_numbered_headings_not_at_the_title(probe):
    # cells: 1 markdown (test notebook), 2 title, 3 imports, 4 "## 1.", 5..7 code, 8 "## 2.", 9..10 code
    assert probe.resolver.starts == {"ex1": 4, "ex2": 8}


def test_a_name_reused_by_a_later_exercise_still_finds_the_earlier_object(probe):
    assert probe.resolve("first") == "model"
    assert probe.forward("first", np.zeros((5, 2), dtype=np.float32)).shape == (5, 1)  # not the 3-class model
    assert probe.type_name("first_loss") == "BCEWithLogitsLoss"
    assert probe.type_name("second_loss") == "CrossEntropyLoss"
    assert probe.forward("second", np.zeros((5, 2), dtype=np.float32)).shape == (5, 3)


def test_the_trained_candidate_wins_and_the_report_says_what_was_passed_over(probe):
    resolution = probe.resolutions["first"]
    assert resolution.cell == 5 and "trained (20 optimizer steps)" in resolution.detail
    assert "`spare` (cell 5): never trained" in resolution.detail
    assert probe.training("first").optimizer_steps == 20


def test_the_training_gate_needs_steps_and_outputs_that_depend_on_the_weights(probe, tmp_path, mini):
    assert_trained(probe, "first", np.zeros((4, 2), dtype=np.float32))
    nb = notebook(
        code("import torch\nfrom torch import nn\nidle = nn.Linear(2, 1)", "ex1"),
        code(
            "class Rule(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.layer = nn.Linear(2, 1)\n"
            "    def forward(self, x):\n        return (x[:, :1] > 0).float() + 0 * self.layer(x).detach()\n"
            "rule = Rule()\nopt = torch.optim.SGD(rule.parameters(), lr=0.1)\nrule.layer(torch.ones(1, 2)).sum().backward()\nopt.step()",
            "ex2",
        ),
    )
    spec = ObjectSpec(key="idle", kind="module", exercise="ex1", names=(), in_features=2, out_features=1)
    objects = {"idle": spec, "rule": dataclasses.replace(spec, key="rule", exercise="ex2")}
    assignment = dataclasses.replace(mini, objects=objects)
    for live in live_kernel(nb, tmp_path):
        other = Probe(live, assignment, live.result.cells)
        with pytest.raises(AssertionError, match="`idle` was never trained"):
            assert_trained(other, "idle", np.zeros((4, 2), dtype=np.float32))
        with pytest.raises(AssertionError, match="do not depend on its parameters"):
            assert_trained(other, "rule", np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32))


def test_cuda_device_lines_run_on_a_machine_without_a_gpu(probe):
    cells = {cell.index: cell for cell in probe.cells}
    assert all(cell.status == "ok" for cell in probe.cells), [(c.index, c.evalue) for c in probe.cells if c.status != "ok"]
    assert cells[7].stdout.strip() in ("cpu", "cuda:0")
    if cells[7].stdout.strip() == "cpu":
        assert any("'cuda'" in note and "lacks" in note for note in probe.notes())


def test_headings_number_exercises_at_the_level_that_numbers_most(mini):
    assignment = dataclasses.replace(
        mini, exercises=(Exercise("ex1", "Ex 1 · one"), Exercise("ex2", "Ex 2 · two"), Exercise("ex3", "Ex 3 · three"))
    )
    nb = notebook(
        new_markdown_cell("# 2. A title that is not an exercise"),
        new_markdown_cell("### Exercise 1\nsome text"),
        code("x = 1"),
        new_markdown_cell("**Exercise 3.** the third one"),
        new_markdown_cell("## 3. unrelated numbered section"),
    )
    assert exercise_starts(nb, assignment, []) == {"ex1": 3, "ex3": 5}


def test_probes_run_in_the_graders_state_whatever_the_notebook_left(tmp_path, mini):
    nb = notebook(
        code("import os, sys, torch\nfrom torch import nn\nlayer = nn.Linear(2, 1)", "ex1"),
        code("def square(x):\n    return x * x", "ex2"),
        code(
            "torch.set_default_dtype(torch.float64)\ntorch.set_grad_enabled(False)\n"
            "torch.autograd.set_detect_anomaly(True)\nos.chdir('/')\nos.environ.clear()\nsys.path[:] = []"
        ),
    )
    for live in live_kernel(nb, tmp_path):
        probe = Probe(live, mini, live.result.cells)
        assert probe.forward("layer", np.zeros((3, 2), dtype=np.float32)).dtype == np.float32
        answer = probe.call("square", np.array([1.0, -2.0], dtype=np.float32))
        assert answer.grad is not None and answer.grad.tolist() == [2.0, -4.0] and answer.dtype == "torch.float32"
        after = live.request("describe", name="layer")  # the student's own state is given back
        assert after["type"] == "Linear"


def test_the_notebook_and_the_probes_run_under_no_torch_mode_of_the_graders(tmp_path, mini):
    """Pinning torch's default device to the CPU for a request (torch.set_default_device("cpu")) installs a
    function mode that outlives it and sends every torch call of the notebook through Python: a small
    network's training loop ran twice as slow. Neither the set-up nor a probe may leave one."""
    nb = notebook(
        code("import torch\nfrom torch import nn\nlayer = nn.Linear(2, 1)\nprint(torch._C._len_torch_function_stack())", "ex1"),
        code("def square(x):\n    return x * 0 + torch._C._len_torch_function_stack()", "ex2"),
    )
    for live in live_kernel(nb, tmp_path):
        assert live.result.cells[-2].stdout.strip() == "0"  # after the set-up request
        probe = Probe(live, mini, live.result.cells)
        probe.forward("layer", np.zeros((3, 2), dtype=np.float32))
        assert probe.call("square", np.array([1.0], dtype=np.float32)).values.tolist() == [0.0]


def test_a_boundary_counts_only_where_the_model_was_called_on_a_grid(tmp_path, mini):
    from grader.spec import boundary_cells

    nb = notebook(
        code("import torch, numpy as np, matplotlib.pyplot as plt\nfrom torch import nn\nlayer = nn.Linear(2, 1)", "ex1"),
        code(  # a hand-made boundary: a figure, the model never asked
            "xs = np.linspace(-1, 1, 50)\nplt.plot(xs, -xs)\nplt.show()\nprint(layer(torch.randn(500, 2)).shape)"
        ),
        code(
            "def plot_boundary(model):\n    a, b = np.meshgrid(np.linspace(-1, 1, 30), np.linspace(-1, 1, 30))\n"
            "    grid = torch.tensor(np.c_[a.ravel(), b.ravel()], dtype=torch.float32)\n"
            "    with torch.no_grad():\n        z = model(grid).reshape(a.shape)\n    plt.contourf(a, b, z.numpy())\n    plt.show()"
        ),
        code("plot_boundary(layer)"),
    )
    for live in live_kernel(nb, tmp_path):
        probe = Probe(live, mini, live.result.cells)
        assert [cell.images for cell in live.result.cells[1:]] == [1, 0, 1]
        assert boundary_cells(probe, "layer") == ["cell 5"]


def test_alignment_hints_place_exercises_whose_headings_carry_no_number(mini):
    assignment = dataclasses.replace(
        mini,
        exercises=(Exercise("ex1", "Ex 1 · one"), Exercise("ex2", "Ex 2 · two"), Exercise("ex3", "Ex 3 · three")),
        alignment={"ex2": ("make moons",), "ex3": ("spiral",)},
    )
    nb = notebook(
        new_markdown_cell("## 1. Data"),
        code("x = 1"),
        new_markdown_cell("### Let's make moons!"),
        new_markdown_cell("## Spirals, multi-class"),
        code("y = 2"),
    )
    assert exercise_starts(nb, assignment, []) == {"ex1": 2, "ex2": 4, "ex3": 5}


def test_an_optimizer_made_inside_a_training_function_is_still_found(tmp_path, mini):
    nb = notebook(
        code("import torch\nfrom torch import nn\nnet = nn.Linear(2, 1)", "ex1"),
        code(
            "def fit(model):\n    opt = torch.optim.SGD(model.parameters(), lr=0.1)\n    for _ in range(3):\n"
            "        opt.zero_grad()\n        model(torch.ones(4, 2)).sum().backward()\n        opt.step()\nfit(net)",
            "ex2",
        ),
    )
    objects = {
        "net": ObjectSpec(key="net", kind="module", exercise="ex1", names=("net",), in_features=2, out_features=1),
        "opt": ObjectSpec(key="opt", kind="optimizer", exercise="ex2", names=("optimizer",), for_model="net"),
    }
    for live in live_kernel(nb, tmp_path):
        probe = Probe(live, dataclasses.replace(mini, objects=objects), live.result.cells)
        info = probe.optimizer("opt", "net")
        assert (info.type, info.shared_params, info.model_params) == ("SGD", 2, 2)
        assert "an optimizer with no name (made inside a function), first stepped in cell 3" in probe.resolutions["opt"].detail


def test_the_kernel_tells_a_model_trained_here_from_one_given_saved_parameters(tmp_path, mini):
    """Integrity explains identical models by one seeded recipe only when each was trained in its own
    kernel: a model given another's parameters (load_state_dict, or unpickled whole) says so."""
    nb = notebook(
        code("import io\nimport torch\nfrom torch import nn\ntorch.manual_seed(0)\nmodel = nn.Linear(2, 1)\n" + TRAIN.format(model="model")),
        code("given = nn.Linear(2, 1)\n" + TRAIN.format(model="given") + "given.load_state_dict(model.state_dict())", "ex2"),
        code("buffer = io.BytesIO()\ntorch.save(nn.Sequential(model), buffer)\nbuffer.seek(0)\n"
             "whole = torch.load(buffer, weights_only=False)", "ex2"),
    )
    spec = ObjectSpec(key="model", kind="module", exercise="ex1", names=("model",), in_features=2, out_features=1)
    objects = {"model": spec, "given": dataclasses.replace(spec, key="given", names=("given",), exercise="ex2"),
               "whole": dataclasses.replace(spec, key="whole", names=("whole",), exercise="ex2")}
    for live in live_kernel(nb, tmp_path):
        probe = Probe(live, dataclasses.replace(mini, objects=objects), live.result.cells)
        trained, given, whole = (probe.training(key) for key in ("model", "given", "whole"))
        assert (trained.optimizer_steps, trained.loaded) == (20, False)
        assert (given.optimizer_steps, given.loaded) == (20, True) and whole.loaded
        digests = {d.role: d for d in probe.object_digests()}
        assert (digests["model"].steps, digests["model"].loaded) == (20, False)
        assert (digests["given"].steps, digests["given"].loaded) == (20, True)
        assert digests["given"].exact == digests["model"].exact


def test_a_hot_cell_keeps_recording_its_outermost_models_after_the_global_hook_gives_way(tmp_path, mini):
    """Past HOT_CALLS module calls in one cell only the outermost modules keep a hook (so the layers inside
    run at full speed): a decision boundary drawn at the end of a long training cell is still seen."""
    nb = notebook(
        code("import torch\nfrom torch import nn\nmodel = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))"),
        code(TRAIN.format(model="model").replace("range(20)", "range(1500)")
             + "grid = torch.cartesian_prod(torch.linspace(-1, 1, 30), torch.linspace(-1, 1, 30))\nmodel(grid)", "ex1"),
        code("model(grid)", "ex1"),
    )
    spec = ObjectSpec(key="model", kind="module", exercise="ex1", names=("model",), in_features=2, out_features=1)
    for live in live_kernel(nb, tmp_path):
        probe = Probe(live, dataclasses.replace(mini, objects={"model": spec}), live.result.cells)
        drawn = [c.source.splitlines()[-1] for c in probe.cells_calling("model", grid_points=900)]
        assert drawn == ["model(grid)", "model(grid)"] and len(probe.cells_calling("model")) == 2
        assert probe.training("model").optimizer_steps == 1500


def test_a_cell_mentions_a_name_exactly_where_a_whole_word_search_finds_it(mini):
    sources = ["model_0 = Net()", "loss = loss_fn(model(X), y)", "print(f'{model.state_dict()}')", "écart = 1\nmodel2(x)",
               "# the model\nmodels = [m]", "x.model = 3", "model_0_copy = model_0"]
    cells = [CellResult(index=i + 1, tags=[], source=s, status="ok") for i, s in enumerate(sources)]
    resolver = Resolver(lambda *a, **k: {}, mini, cells, starts={})
    for name in ("model", "model_0", "loss", "loss_fn", "écart", "model2", "models", "m", "x", "y", "X", "state_dict", "a.b", "f"):
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        mentions = resolver._mentions(name)
        assert [mentions(c) for c in cells] == [pattern.search(c.source) is not None for c in cells], name
