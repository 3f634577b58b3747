"""End to end: `grade submissions/` on the bundled demo class, check by check."""

import shutil

import pytest

from grader.cli import main
from grader.record import Gradebook
from tests.browser import chromium, chromium_path, open_index_and_reports, problems
from tests.conftest import ROOT

TANH = {"test_tanh.py::test_tanh_matches_reference_values", "test_tanh.py::test_tanh_is_differentiable_pytorch",
        "test_tanh.py::test_tanh_keeps_shape_and_dtype"}
SPIRALS = {"test_spirals.py::test_spirals_split_into_tensors", "test_spirals.py::test_spirals_model_outputs_three_logits",
           "test_spirals.py::test_spirals_model_is_not_affine", "test_spirals.py::test_spirals_loss_and_optimizer",
           "test_spirals.py::test_spirals_accuracy_on_hidden_data", "test_spirals.py::test_spirals_decision_boundary_is_plotted"}
MOONS_LINEAR = {"test_moons.py::test_moons_model_is_not_affine", "test_moons.py::test_moons_model_uses_an_activation",
                "test_moons.py::test_moons_accuracy_on_hidden_data"}
# submission -> the checks it must lose (every other check must pass)
EXPECTED_LOSSES = {
    "ada": set(),
    "renamed-untagged": set(),
    "wrong-tanh": TANH,
    "builtin-tanh": TANH,
    "broken-cell": TANH,
    "linear-moons": MOONS_LINEAR,
    "unfinished": {"test_moons.py::test_moons_decision_boundary_is_plotted"} | TANH | SPIRALS,
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    # A copy holding only this assignment's notebooks: other assignments' demos have their own tests.
    batch = tmp_path_factory.mktemp("demo")
    for path in sorted((ROOT / "submissions").glob("*/classification-exercises.ipynb")):
        (batch / path.parent.name).mkdir()
        shutil.copy(path, batch / path.parent.name / path.name)
    out = batch / "reports"
    assert main([str(batch), "--out", str(out), "--solutions", str(ROOT / "solutions"), "--quiet"]) == 0
    return {r.student: r for r in Gradebook(out / "gradebook.sqlite").results()}, out


def _checks(result):
    return {c.id: c for e in result.exercises for c in e.checks}


@pytest.mark.slow
def test_every_demo_submission_was_graded(graded):
    results, _ = graded
    assert set(results) == set(EXPECTED_LOSSES) | {"blank"}
    assert {r.status for r in results.values()} == {"graded"}
    assert {r.max_score for r in results.values()} == {22}


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(EXPECTED_LOSSES))
def test_variant_loses_exactly_its_checks(graded, student):
    checks = _checks(graded[0][student])
    lost = {check_id for check_id, c in checks.items() if c.points < c.max_points}
    assert lost == EXPECTED_LOSSES[student]
    assert all(c.outcome == "passed" for check_id, c in checks.items() if check_id not in lost)
    assert graded[0][student].score == 22 - sum(checks[c].max_points for c in lost)


@pytest.mark.slow
def test_blank_notebook_scores_zero_and_every_check_says_why(graded):
    blank = graded[0]["blank"]
    assert blank.score == 0
    assert all(c.message for c in _checks(blank).values())
    assert "not attempted" in _checks(blank)["test_tanh.py::test_tanh_matches_reference_values"].message


@pytest.mark.slow
def test_renamed_untagged_objects_are_found_without_tags(graded):
    renamed = graded[0]["renamed-untagged"]
    assert "text matches" in renamed.identified_by
    found = {r.object: (r.found, r.how) for r in renamed.resolutions}
    assert found["moons_model"] == ("clf", "fallback") and found["tanh"] == ("my_tanh", "fallback")
    assert found["spirals_model"] == ("net", "fallback")


@pytest.mark.slow
def test_messages_say_what_was_expected_and_found(graded):
    linear = _checks(graded[0]["linear-moons"])
    message = linear["test_moons.py::test_moons_accuracy_on_hidden_data"].message
    assert message.startswith("accuracy 8") and "more than 96% is required" in message
    assert "\nassert" not in message
    builtin = _checks(graded[0]["builtin-tanh"])["test_tanh.py::test_tanh_matches_reference_values"]
    assert builtin.message == "your tanh calls the built-in tanh (dispatched tanh); write the formula"


@pytest.mark.slow
def test_reports_show_failing_cell_source_and_traceback(graded):
    _, out = graded
    html = (out / "broken-cell__classification-exercises" / "report.html").read_text()
    assert "troch" in html and "NameError" in html
    index = (out / "index.html").read_text()
    assert all(f"{student}__classification-exercises/report.html" in index for student in EXPECTED_LOSSES)


@pytest.mark.slow
@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_reports_show_their_figures_in_chromium(graded, tmp_path):
    _, out = graded
    with chromium(tmp_path / "profile") as browser:
        index, pages = open_index_and_reports(browser, out, tmp_path / "shots")
    for page in [index, *pages]:
        assert problems(page) == [], page.path
    images = {page.path.parent.name.removesuffix("__classification-exercises"): page.images for page in pages}
    # moons decision boundary; spirals decision boundary and confusion matrix, where the checks got that far
    assert images == {"ada": 3, "renamed-untagged": 3, "wrong-tanh": 3, "builtin-tanh": 3, "broken-cell": 3,
                      "linear-moons": 3, "unfinished": 1, "blank": 0}
