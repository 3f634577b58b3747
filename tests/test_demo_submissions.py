"""End to end: `grade submissions/` on the bundled demo class, check by check."""

import pytest

from tests.browser import chromium, chromium_path, open_index_and_reports, problems
from tests.conftest import demo_expectations

ASSIGNMENT = "classification-exercises"
EXPECTED = demo_expectations(ASSIGNMENT)["demos"]


@pytest.fixture(scope="module")
def graded(demo_batch):
    return demo_batch.of(ASSIGNMENT), demo_batch.out


def _checks(result):
    return {c.id: c for e in result.exercises for c in e.checks}


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
    assert all(f"{student}__classification-exercises/report.html" in index for student in EXPECTED)


@pytest.mark.slow
@pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_reports_show_their_figures_in_chromium(graded, tmp_path):
    _, out = graded
    with chromium(tmp_path / "profile") as browser:
        index, pages = open_index_and_reports(browser, out, tmp_path / "shots")
    for page in [index, *pages]:
        assert problems(page) == [], page.path
    images = {
        page.path.parent.name.removesuffix("__classification-exercises"): page.images
        for page in pages
        if page.path.parent.name.endswith("__classification-exercises")
    }
    # moons decision boundary; spirals decision boundary and confusion matrix, where the checks got that far
    assert images == {"ada": 3, "renamed-untagged": 3, "wrong-tanh": 3, "builtin-tanh": 3, "broken-cell": 3,
                      "linear-moons": 3, "unfinished": 1, "blank": 0}
