"""The loss fits the model: each loss against each kind of output, measured on models in a real kernel.

The moons and spirals loss checks ask what the graded model outputs (`grader.spec.output_kind` on probe
points) and fail a loss that cannot train it, naming the fix (`grader.spec.loss_mismatch`). A binary
task answered with K >= 3 class scores is found, labelled by argmax, and only loses the shape check.
"""

import dataclasses
import importlib.util

import numpy as np
import pytest

from grader.core.assignment import load_assignment
from grader.probe.probe import Probe
from grader.spec import (
    LOG_PROBABILITIES,
    LOGITS,
    PROBABILITIES,
    SCORES,
    loss_mismatch,
    output_kind,
)
from tests.conftest import ROOT, code, live_kernel, notebook

SOLUTION = ROOT / "solutions" / "classification-exercises"

SETUP = """import torch
from torch import nn
torch.manual_seed(0)

def mlp(outputs, *last):
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, outputs), *last)

class FunctionalSigmoid(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = mlp(1)
    def forward(self, x):
        return torch.sigmoid(self.body(x))

def fit(model, loss, steps=150):  # trained on the moons with the loss that suits it, as a student would
    from sklearn.datasets import make_moons
    X, y = make_moons(n_samples=200, noise=0.07, random_state=0)
    X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.03)
    for _ in range(steps):
        out = model(X)
        value = loss(out.squeeze(1), y.float()) if out.shape[1] == 1 else loss(out, y)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    return model
"""
# name -> the model's expression in the kernel (trained on the moons with the loss that suits it, so that
# its outputs look like a student's), the kind of output it gives and its columns
MODELS = {
    "logit_model": ("fit(mlp(1), nn.BCEWithLogitsLoss())", LOGITS, 1),
    "sigmoid_model": ("fit(mlp(1, nn.Sigmoid()), nn.BCELoss())", PROBABILITIES, 1),
    "functional_sigmoid": ("fit(FunctionalSigmoid(), nn.BCELoss())", PROBABILITIES, 1),
    # a sigmoid between the layers, raw logits out: the operator alone must not decide
    "hidden_sigmoid": ("fit(nn.Sequential(nn.Linear(2, 16), nn.Sigmoid(), nn.Linear(16, 1)), nn.BCEWithLogitsLoss())",
                       LOGITS, 1),
    "two_scores": ("fit(mlp(2), nn.CrossEntropyLoss())", SCORES, 2),
    "three_scores": ("fit(mlp(3), nn.CrossEntropyLoss())", SCORES, 3),
    "softmax_model": ("fit(mlp(3, nn.Softmax(dim=1)), nn.CrossEntropyLoss())", PROBABILITIES, 3),
    "log_softmax_model": ("fit(mlp(3, nn.LogSoftmax(dim=1)), nn.NLLLoss())", LOG_PROBABILITIES, 3),
}
LOSSES = {
    "bce_logits": "nn.BCEWithLogitsLoss()",
    "bce": "nn.BCELoss()",
    "cross_entropy": "nn.CrossEntropyLoss()",
    "nll": "nn.NLLLoss()",
}
# (model, moons loss) -> None when the moons loss check passes, else a phrase of its message
MOONS_PAIRINGS = {
    ("logit_model", "bce_logits"): None,
    ("hidden_sigmoid", "bce_logits"): None,
    ("sigmoid_model", "bce"): None,
    ("functional_sigmoid", "bce"): None,
    ("two_scores", "cross_entropy"): None,
    ("three_scores", "cross_entropy"): None,
    ("log_softmax_model", "cross_entropy"): None,  # CrossEntropyLoss's log_softmax leaves log-probabilities as they are
    ("sigmoid_model", "bce_logits"): "your model already applies a sigmoid; use nn.BCELoss or remove the Sigmoid",
    ("functional_sigmoid", "bce_logits"): "your model already applies a sigmoid; use nn.BCELoss or remove the Sigmoid",
    ("logit_model", "bce"): "nn.BCELoss needs probabilities; use nn.BCEWithLogitsLoss or end the model in a Sigmoid",
    ("hidden_sigmoid", "bce"): "nn.BCELoss needs probabilities",
    ("logit_model", "cross_entropy"): "nn.CrossEntropyLoss needs one score per class",
    ("two_scores", "bce_logits"): "gives 2 class scores per point, but nn.BCEWithLogitsLoss takes one output",
    ("three_scores", "bce"): "gives 3 class scores per point, but nn.BCELoss takes one output",
    ("softmax_model", "cross_entropy"): "already applies a softmax",
}
# (model, spirals loss) -> as above, for the spirals loss check
SPIRALS_PAIRINGS = {
    ("three_scores", "cross_entropy"): None,
    ("log_softmax_model", "nll"): None,
    ("log_softmax_model", "cross_entropy"): None,
    ("softmax_model", "cross_entropy"): "CrossEntropyLoss applies its own log_softmax; remove the Softmax",
    ("softmax_model", "nll"): "nn.NLLLoss needs log-probabilities; use log_softmax instead",
    ("three_scores", "nll"): "raw class scores (rows neither sum to 1 nor logsumexp to 0) but nn.NLLLoss needs log-probabilities",
}

# A binary task answered with three class scores, CrossEntropyLoss and argmax, trained well (ex1-ex4 tagged).
THREE_SCORES_MOONS = [
    code("import torch\nfrom torch import nn\nfrom sklearn.datasets import make_moons\n"
         "X, y = make_moons(n_samples=1000, noise=0.07, random_state=42)\n"
         "X, y = torch.tensor(X, dtype=torch.float32), torch.tensor(y)", "ex1"),
    code("torch.manual_seed(42)\n"
         "model_1 = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))", "ex2"),
    code("loss_fn = nn.CrossEntropyLoss()\noptimizer = torch.optim.Adam(model_1.parameters(), lr=0.01)", "ex3"),
    code("for epoch in range(500):\n"
         "    loss = loss_fn(model_1(X), y)\n"
         "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
         "    if epoch % 10 == 0:\n        print(f'Epoch: {epoch} | Loss: {loss:.4f}')", "ex4"),
]


def _load(folder, name):
    spec = importlib.util.spec_from_file_location(f"pairing_{folder}_{name}", SOLUTION / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    cells = [code(SETUP)]
    # each object in a cell of its own tag: a role bound to that tag finds it whichever was trained or called last
    cells += [code(f"{name} = {expression}", f"pair-{name}") for name, (expression, _, _) in MODELS.items()]
    cells += [code(f"{name} = {expression}", f"pair-{name}") for name, expression in LOSSES.items()]
    cells += [code(f"opt_{name} = torch.optim.SGD({name}.parameters(), lr=0.1)", f"pair-opt_{name}") for name in MODELS]
    yield from live_kernel(notebook(*cells), tmp_path_factory.mktemp("pairing"))


def _probe(kernel, **names):
    """A probe of the assignment with each role in `names` bound to the kernel's variable of that name (by its tag)."""
    assignment = load_assignment(SOLUTION)
    objects = dict(assignment.objects)
    for key, name in names.items():
        objects[key] = dataclasses.replace(objects[key], names=(name,), exercise=f"pair-{name}")
    return Probe(kernel, dataclasses.replace(assignment, objects=objects), kernel.result.cells)


def _message(check, *args) -> str | None:
    """None when the check passes, else its message."""
    try:
        check(*args)
    except AssertionError as failure:
        return str(failure)
    return None


@pytest.mark.parametrize("name", sorted(MODELS))
def test_output_kind_reads_what_each_model_outputs(kernel, name):
    probe = _probe(kernel, moons_model=name)
    moons = _load("specs", "test_moons")
    points = moons.PAIRING_POINTS
    kind = output_kind(probe.forward("moons_model", points), probe.forward_ops("moons_model", points[:8]))
    assert (kind.kind, kind.columns) == MODELS[name][1:], kind


@pytest.mark.parametrize(("model", "loss"), sorted(MOONS_PAIRINGS))
def test_moons_loss_check_judges_the_pairing(kernel, model, loss):
    probe = _probe(kernel, moons_model=model, moons_loss=loss)
    message = _message(_load("specs", "test_moons").test_moons_loss_is_binary_cross_entropy, probe)
    wanted = MOONS_PAIRINGS[(model, loss)]
    assert (message is None) == (wanted is None), message
    if wanted is not None:
        assert wanted in message


@pytest.mark.parametrize(("model", "loss"), sorted(SPIRALS_PAIRINGS))
def test_spirals_loss_check_judges_the_pairing(kernel, model, loss):
    probe = _probe(kernel, spirals_model=model, spirals_loss=loss, spirals_optimizer=f"opt_{model}")
    message = _message(_load("specs", "test_spirals").test_spirals_loss_and_optimizer, probe)
    wanted = SPIRALS_PAIRINGS[(model, loss)]
    assert (message is None) == (wanted is None), message
    if wanted is not None:
        assert wanted in message


@pytest.mark.parametrize(("model", "loss"), [("sigmoid_model", "bce_logits"), ("three_scores", "cross_entropy")])
def test_the_public_loss_check_judges_the_pairing_too(kernel, model, loss):
    probe = _probe(kernel, moons_model=model, moons_loss=loss, moons_optimizer=f"opt_{model}")
    message = _message(_load("public_specs", "test_public").test_moons_loss_and_optimizer_exist, probe)
    wanted = MOONS_PAIRINGS[(model, loss)]
    assert (message is None) == (wanted is None), message
    assert wanted is None or wanted in message


def test_a_sigmoid_is_named_only_when_the_forward_pass_ran_one():
    """Probabilities from an unnamed squashing say what was measured instead of guessing the layer."""
    values = np.linspace(0.0, 1.0, 32).reshape(32, 1)
    assert loss_mismatch("BCEWithLogitsLoss", output_kind(values, ["sigmoid", "addmm"])).startswith(
        "your model already applies a sigmoid")
    assert "already outputs probabilities (all 32 outputs lie in [0, 1])" in loss_mismatch(
        "BCEWithLogitsLoss", output_kind(values, ["clamp", "addmm"]))
    assert loss_mismatch("MSELoss", output_kind(values)) is None  # left to the check that asks for a cross-entropy


@pytest.fixture(scope="module")
def three_scores(tmp_path_factory):
    yield from live_kernel(notebook(*THREE_SCORES_MOONS), tmp_path_factory.mktemp("three-scores"))


def test_a_binary_model_with_three_class_scores_is_found_and_labelled_by_argmax(three_scores):
    assignment = load_assignment(SOLUTION)
    probe = Probe(three_scores, assignment, three_scores.result.cells)
    assert probe.resolve("moons_model") == "model_1"  # the binary contract takes K >= 2 class scores
    moons, conftest = _load("specs", "test_moons"), _load("specs", "conftest")
    hidden = conftest.moons_draw(np.random.RandomState(0))
    assert _message(moons.test_moons_accuracy_on_hidden_data, probe, hidden, conftest.notebook_moons_test_split()) is None
    assert _message(moons.test_moons_loss_is_binary_cross_entropy, probe) is None
    shape = _message(moons.test_moons_model_outputs_one_value_per_point, probe, hidden)
    assert shape is not None and "got (8, 3): 3 class scores for 2 classes" in shape
    public = _load("public_specs", "test_public")
    assert _message(public.test_moons_loss_and_optimizer_exist, probe) is None
    assert "got (4, 3)" in (_message(public.test_moons_model_gives_one_output_per_point, probe) or "")
