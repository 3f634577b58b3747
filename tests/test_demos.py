"""The demo class graded end to end, held to each assignment's demos.toml: every check's points, per demo.

One batch grades every demo submission of every assignment (tests/conftest.py `demo_batch`); each
demo must lose exactly the checks its demos.toml lists, pass every other check with full points,
and the blank notebook must score zero with a message on every check.
"""

import pytest

from tests.conftest import ASSIGNMENTS, ROOT, demo_expectations

DEMOS = [(assignment, student) for assignment in ASSIGNMENTS for student in demo_expectations(assignment)["demos"]]


def _checks(result):
    return {c.id: c for e in result.exercises for c in e.checks}


def test_every_demo_notebook_is_listed_in_its_demos_file():
    on_disk = {(path.stem, path.parent.name) for path in (ROOT / "submissions").glob("*/*.ipynb")}
    assert on_disk == set(DEMOS)


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "student"), DEMOS, ids=[f"{a}:{s}" for a, s in DEMOS])
def test_demo_gives_every_check_the_points_its_demos_file_says(demo_batch, assignment, student):
    expected = demo_expectations(assignment)
    result = demo_batch.results[(assignment, student)]
    assert (result.status, result.max_score) == ("graded", expected["max_score"])
    checks = _checks(result)
    loses = expected["demos"][student]["loses"]
    if loses == "all":
        assert result.score == 0 and all(c.points == 0 and c.message and not c.grader_fault for c in checks.values())
        return
    wrong = {
        check_id: (c.outcome, c.points, c.message[:200])
        for check_id, c in checks.items()
        if (c.points != 0 if check_id in loses else (c.outcome != "passed" or c.points != c.max_points))
    }
    assert not wrong, f"{student} ({expected['demos'][student]['made']}): checks off their expected points: {wrong}"
    assert set(loses) <= set(checks), set(loses) - set(checks)
    assert result.score == expected["max_score"] - sum(checks[c].max_points for c in loses)
