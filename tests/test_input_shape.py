"""Roles with `input_shape`: every candidate module is run on a batch of that shape while resolving (a real kernel)."""

import dataclasses

import numpy as np
import pytest

from grader.core.assignment import ObjectSpec
from grader.probe.figure_requests import ObjectNotFound
from grader.probe.probe import Probe
from grader.probe.sections import exercise_starts
from tests.conftest import code, live_kernel, notebook

CNN = (
    "import torch\nfrom torch import nn\n"
    "cnn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))"
)
# defined and used after the CNN, so that without an input shape it is the one a scan prefers
MLP = "mlp = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 10))\nmlp(torch.zeros(1, 2)).shape"


def role(key: str, **kwargs: object) -> ObjectSpec:
    return ObjectSpec(key=key, kind="module", exercise="ex1", names=("model",), **kwargs)  # type: ignore[arg-type]


ROLES = {
    "digits": role("digits", input_shape=(1, 8, 8), out_features=10),
    "digits_classes": role("digits_classes", input_shape=(1, 8, 8), out_features=3, outputs="classes"),
    "digits_five": role("digits_five", input_shape=(1, 8, 8), out_features=5),
    "flat": role("flat", input_shape=(2,), out_features=10),
    "undeclared": role("undeclared", out_features=10),  # no input: today's behaviour, any model fits
}


def probe_of(live, mini) -> Probe:
    assignment = dataclasses.replace(mini, objects=ROLES)
    return Probe(live, assignment, live.result.cells, exercise_starts(None, assignment, live.result.cells))


@pytest.fixture(scope="module")
def probe(tmp_path_factory, mini):
    for live in live_kernel(notebook(code(CNN, "ex1"), code(MLP, "ex1")), tmp_path_factory.mktemp("cnn")):
        yield probe_of(live, mini)


def test_a_role_with_an_image_input_shape_resolves_to_the_cnn_not_the_later_mlp(probe):
    assert probe.resolve("digits") == "cnn"
    detail = probe.resolutions["digits"].detail
    assert "passed over `mlp` (cell 3): raised RuntimeError: mat1 and mat2 shapes cannot be multiplied" in detail
    assert probe.forward("digits", np.zeros((5, 1, 8, 8), dtype=np.float32)).shape == (5, 10)


def test_the_output_contract_applies_to_inputs_of_any_rank(probe):
    assert probe.resolve("digits_classes") == "cnn"  # 10 class scores are at least 3
    assert probe.resolve("flat") == "mlp"  # input_shape = [2] is in_features = 2


def test_without_an_input_shape_resolution_keeps_todays_choice(probe):
    assert probe.resolve("undeclared") == "mlp"  # never run while resolving: the last one used wins


def test_a_cnn_with_the_wrong_number_of_outputs_is_not_found_and_the_message_says_why(probe):
    with pytest.raises(ObjectNotFound) as raised:
        probe.resolve("digits_five")
    message = str(raised.value)
    assert message.startswith("no nn.Module taking inputs of shape (1, 8, 8) and 5 outputs found for digits_five")
    assert "`cnn` (cell 2): a batch of 4 gave output shape (4, 10), expected (4, 5)" in message


def test_the_only_candidate_of_the_wrong_size_is_not_found(tmp_path, mini):
    for live in live_kernel(notebook(code(CNN, "ex1")), tmp_path):
        with pytest.raises(ObjectNotFound) as raised:
            probe_of(live, mini).resolve("digits_five")
    assert str(raised.value) == (
        "no nn.Module taking inputs of shape (1, 8, 8) and 5 outputs found for digits_five in the section of "
        "Ex 1 · a linear layer (cells 2–end) (names asked for: `model`); rejected `cnn` (cell 2): a batch of 4 "
        "gave output shape (4, 10), expected (4, 5)"
    )
