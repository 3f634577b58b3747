"""Overrides, comments, reviewed marks and the audit trail on a gradebook (no kernels: results built in memory)."""

from __future__ import annotations

import itertools
import sqlite3
import threading

import pytest

from grader.core.feedback import for_audience
from grader.record.gradebook import Gradebook
from grader.review.book import ReviewBook
from grader.core.results import CheckResult, ExerciseResult, SubmissionResult
from grader.review.overlay import ReviewError, next_unreviewed


def graded(submission: str = "ada__mini", square: str = "failed", notebook_hash: str = "aaaa", penalty: float = 0.0) -> SubmissionResult:
    checks1 = [CheckResult("test_mini.py::test_layer_shape", "ex1", "layer", 2, 2, "passed")]
    square_points = 1.0 if square == "passed" else 0.0
    checks2 = [
        CheckResult("test_mini.py::test_square_values", "ex2", "square", square_points, 1, square, visibility="hidden"),  # type: ignore[arg-type]
        CheckResult("test_mini.py::test_square_printed", "ex2", "printed", 1, 1, "passed"),
    ]
    earned = 3 + square_points
    return SubmissionResult(
        submission, submission.split("__")[0], f"{submission}.ipynb", "mini", "Mini", "metadata", "graded", "", max(0.0, earned - penalty), 4,
        exercises=[ExerciseResult("ex1", "Ex 1", 2, 2, checks1), ExerciseResult("ex2", "Ex 2", 1 + square_points, 2, checks2)],
        notebook_hash=notebook_hash, late_penalty=penalty,
    )


@pytest.fixture
def book(tmp_path):
    gradebook = Gradebook(tmp_path / "gradebook.sqlite")
    gradebook.save(graded())
    gradebook.save(graded("bo__mini", square="passed"))
    return gradebook, ReviewBook(gradebook.path)


def stored_score(gradebook: Gradebook, submission: str) -> float:
    with sqlite3.connect(gradebook.path) as db:
        return float(db.execute("SELECT score FROM submissions WHERE submission = ?", (submission,)).fetchone()[0])


def test_an_override_replaces_the_automatic_points_everywhere_it_is_read(book):
    gradebook, reviews = book
    reviews.set_override("ada__mini", "test_mini.py::test_square_values", 1, "x*x and x**2 are the same", who="tom")
    ada = reviews.result("ada__mini")
    assert (ada.score, ada.automatic_score) == (4, 3)
    assert [e.points for e in ada.exercises] == [2, 2]
    assert stored_score(gradebook, "ada__mini") == 4  # the gradebook's score column too
    assert gradebook.result("ada__mini").score == 3  # the grader's own result is kept untouched
    (override,) = ada.overrides
    assert (override.automatic_points, override.automatic_outcome, override.author, override.flag) == (0, "failed", "tom", "")


def test_a_whole_exercise_can_be_overridden_and_the_penalty_applies_after(tmp_path):
    gradebook = Gradebook(tmp_path / "gradebook.sqlite")
    gradebook.save(graded(penalty=1.0))  # 3 earned − 1 late = 2
    reviews = ReviewBook(gradebook.path)
    reviews.set_override("ada__mini", "exercise:ex2", 2, "full marks: the hidden check was too strict", who="tom")
    assert reviews.result("ada__mini").score == 3  # 4 − 1


def test_overrides_need_a_reason_and_points_in_range(book):
    _, reviews = book
    with pytest.raises(ReviewError, match="reason is required"):
        reviews.set_override("ada__mini", "test_mini.py::test_square_values", 1, "  ", who="tom")
    with pytest.raises(ReviewError, match="from 0 to 1"):
        reviews.set_override("ada__mini", "test_mini.py::test_square_values", 5, "bonus", who="tom")
    with pytest.raises(ReviewError, match="no check or exercise"):
        reviews.set_override("ada__mini", "nope", 1, "why not", who="tom")
    assert reviews.audit() == []  # refused changes leave no trace


def test_a_regrade_keeps_the_override_and_flags_it_when_the_notebook_or_the_check_changed(book):
    gradebook, reviews = book
    reviews.set_override("ada__mini", "test_mini.py::test_square_values", 1, "accepted", who="tom")
    regraded = graded(square="failed")  # same notebook, same automatic result: the override stands
    gradebook.save(regraded)
    reviews.after_grading(regraded)
    assert reviews.result("ada__mini").overrides[0].flag == ""
    changed = graded(square="passed", notebook_hash="bbbb")
    gradebook.save(changed)
    reviews.after_grading(changed)
    (override,) = reviews.result("ada__mini").overrides
    assert override.points == 1 and "notebook changed" in override.flag
    assert "from 0 points (failed) to 1 points (passed)" in override.flag
    assert reviews.audit()[-1].action == "flag override" and reviews.audit()[-1].who == "grader"
    # confirming it again clears the flag
    reviews.set_override("ada__mini", "test_mini.py::test_square_values", 1, "still right", who="tom")
    assert reviews.result("ada__mini").overrides[0].flag == ""


def test_comments_bank_and_private_notes(book):
    _, reviews = book
    reviews.add_comment("ada__mini", "ex2", "Compare with x**2 on negative inputs.", who="tom")
    reviews.add_comment("bo__mini", "ex2", "Compare with x**2 on negative inputs.", who="ann")
    reviews.add_comment("bo__mini", "", "Nice work overall.", who="ann")
    reviews.add_comment("ada__mini", "", "Asked for an extension by mail.", who="tom", private=True)
    assert reviews.bank("mini") == ["Compare with x**2 on negative inputs.", "Nice work overall."]
    ada = reviews.result("ada__mini")
    assert [(c.exercise, c.private) for c in ada.comments] == [("ex2", False), ("", True)]
    student = for_audience(ada, "student")
    assert [c.text for c in student.comments] == ["Compare with x**2 on negative inputs."]


def test_reviewed_marks_and_the_next_unreviewed_submission(book):
    _, reviews = book
    reviews.mark_reviewed("ada__mini", who="tom")
    results = reviews.results()
    assert [r.reviewed_by for r in results] == ["tom", ""]
    assert next_unreviewed(results).submission == "bo__mini"
    assert next_unreviewed(results, after="bo__mini") is None
    reviews.mark_reviewed("ada__mini", who="tom", reviewed=False)
    assert next_unreviewed(reviews.results(), after="ada__mini").submission == "bo__mini"


def test_every_change_is_one_append_only_audit_row(book):
    gradebook, reviews = book
    reviews.set_override("ada__mini", "test_mini.py::test_square_values", 1, "accepted", who="tom")
    reviews.set_override("ada__mini", "test_mini.py::test_square_values", 0.5, "half: it fails on negatives", who="ann")
    reviews.remove_override("ada__mini", "test_mini.py::test_square_values", "the check was right", who="tom")
    reviews.add_comment("ada__mini", "ex2", "See x**2.", who="tom")
    reviews.mark_reviewed("ada__mini", who="tom")
    audit = reviews.audit("ada__mini")
    assert [(a.who, a.action) for a in audit] == [
        ("tom", "override"), ("ann", "override"), ("tom", "remove override"), ("tom", "comment"), ("tom", "reviewed")
    ]
    assert '"points": 1' in audit[1].before and '"points": 0.5' in audit[1].after and audit[2].after == ""
    assert audit[1].why == "half: it fails on negatives"
    with sqlite3.connect(gradebook.path) as db, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit")
    assert stored_score(gradebook, "ada__mini") == 3


def test_two_writers_at_once_lose_nothing(book):
    gradebook, _ = book
    errors: list[BaseException] = []

    def write(who: str, submission: str) -> None:
        reviews = ReviewBook(gradebook.path)  # its own connections, as a second server would have
        try:
            for n in range(25):
                reviews.add_comment(submission, "ex1", f"{who} comment {n}", who=who)
                reviews.set_override(submission, "test_mini.py::test_layer_shape", (n % 3) / 2, f"{who} pass {n}", who=who)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=("tom", "ada__mini")), threading.Thread(target=write, args=("ann", "ada__mini"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reviews = ReviewBook(gradebook.path)
    assert len(reviews.result("ada__mini").comments) == 50
    audit = reviews.audit("ada__mini")
    assert len(audit) == 100 and sum(a.action == "override" for a in audit) == 50
    # each override row's "before" is exactly the previous one's "after": no write saw a stale state
    overrides = [a for a in audit if a.action == "override"]
    assert all(later.before == earlier.after for earlier, later in itertools.pairwise(overrides))


def test_a_removed_comment_leaves_the_bank_and_the_audit_row(book):
    _, reviews = book
    comment = reviews.add_comment("ada__mini", "ex2", "Use x**2.", who="tom")
    with pytest.raises(ReviewError, match="reason is required"):
        reviews.remove_comment("ada__mini", comment.id, "", who="tom")
    reviews.remove_comment("ada__mini", comment.id, "meant for another student", who="tom")
    assert reviews.result("ada__mini").comments == []
    assert reviews.bank("mini") == ["Use x**2."]
    assert [(a.action, a.why) for a in reviews.audit()][-1] == ("remove comment", "meant for another student")
