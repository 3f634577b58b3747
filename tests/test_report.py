"""Tests for the report stage: HTML rendered from in-memory SubmissionResults."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.core.feedback import HIDDEN_MESSAGE
from grader.report.html import (
    ReportError,
    format_points,
    format_seconds,
    render_index,
    render_submission,
    score_histogram,
    summarise_assignments,
    templates_dir,
    write_reports,
)
from grader.core.results import (
    CellResult,
    CheckResult,
    ExecutionResult,
    ExerciseResult,
    Figure,
    Resolution,
    SubmissionResult,
)

XSS = "<script>alert(1)</script>"


class PageText(HTMLParser):
    """Collects a page's visible text, the text of its <pre> blocks and its links."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.pres: list[str] = []
        self.links: list[str] = []
        self.tags: list[str] = []
        self._pre_depth = 0
        self._in_style = False  # <style> and <script> text is not visible text
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "pre":
            self._pre_depth += 1
            self.pres.append("")
        elif tag in ("style", "script"):
            self._in_style = True
        elif tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre_depth -= 1
        elif tag in ("style", "script"):
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            return
        self.chunks.append(data)
        if self._pre_depth:
            self.pres[-1] += data

    @property
    def text(self) -> str:
        """Return the visible text, one space between text nodes and runs of whitespace."""
        return " ".join(" ".join(self.chunks).split())


def graded_result() -> SubmissionResult:
    """A fully graded submission with one failed check and one errored cell."""
    cells = [
        CellResult(index=0, tags=[], source="import torch", status="ok", duration=1.5),
        CellResult(
            index=3,
            tags=["train"],
            source="model = MoonsModel()\nloss = train(model, epochs=10)",
            status="error",
            duration=0.2,
            ename="NameError",
            evalue="name 'train' is not defined",
            traceback=(
                "Cell In[4], line 2\n"
                "----> 2 loss = train(model, epochs=10)\n"
                "NameError: name 'train' is not defined"
            ),
        ),
        CellResult(
            index=4,
            tags=[],
            source="!pip install torch",
            status="ok",
            note="shell escape neutralised",
        ),
        CellResult(index=5, tags=[], source="print('never')", status="not-run"),
    ]
    checks = [
        CheckResult(
            id="spec_moons.py::test_model_shape",
            exercise="ex1",
            description="The model maps 2 features to 1 logit",
            points=2.0,
            max_points=2.0,
            outcome="passed",
            duration=0.01,
        ),
        CheckResult(
            id="spec_moons.py::test_accuracy",
            exercise="ex1",
            description="Test accuracy is at least 0.9",
            points=0.0,
            max_points=3.0,
            outcome="failed",
            message="expected accuracy >= 0.90 on the held-out split\nfound 0.71",
            duration=0.4,
        ),
        CheckResult(
            id="spec_moons.py::test_loss_curve",
            exercise="ex2",
            description="A loss curve list is returned",
            points=0.0,
            max_points=2.5,
            outcome="error",
            message="expected an object named loss_history; none was found",
        ),
    ]
    return SubmissionResult(
        submission="alice",
        student="Alice Martin",
        path="alice/moons.ipynb",
        assignment="moons",
        assignment_title="Classifying the moons",
        identified_by="notebook metadata",
        status="graded",
        message="1 of 3 checks passed",
        score=2.0,
        max_score=7.5,
        exercises=[
            ExerciseResult("ex1", "Build the model", 2.0, 5.0, checks[:2]),
            ExerciseResult("ex2", "Train it", 0.0, 2.5, checks[2:]),
        ],
        resolutions=[
            Resolution("moons_model", "model", "tag", "tagged cell `model` defines `model`"),
            Resolution("loss_history", "", "not-found", "no list of floats in the namespace"),
        ],
        execution=ExecutionResult(
            cells=cells,
            device="cuda:0",
            seed=1234,
            versions={"torch": "2.3.1", "numpy": "1.26.4"},
            kernel_boot_seconds=0.4,
            kernel_wait_seconds=1.5,
            execute_seconds=14.0,
        ),
        notebook_hash="sha256:aaaa1111",
        spec_hash="sha256:bbbb2222",
        grader_version="0.1.0",
        graded_at="2024-05-01T12:00:00Z",
        seconds=17.3,
    )


def invalid_result() -> SubmissionResult:
    """A file that is not a notebook: nothing executed, nothing checked."""
    return SubmissionResult(
        submission="bob",
        student="Bob",
        path="bob/homework.ipynb",
        assignment="",
        assignment_title="",
        identified_by="",
        status="invalid",
        message="not valid JSON at line 1, column 1: is this really a notebook?",
        score=0.0,
        max_score=0.0,
    )


def hostile_result() -> SubmissionResult:
    """A submission whose student name and traceback carry a script tag."""
    cell = CellResult(
        index=1,
        tags=[XSS],
        source=f"raise ValueError('{XSS}')",
        status="error",
        ename="ValueError",
        evalue=XSS,
        traceback=f"ValueError: {XSS}",
    )
    return SubmissionResult(
        submission="mallory",
        student=XSS,
        path="mallory/nb.ipynb",
        assignment="moons",
        assignment_title="Classifying the moons",
        identified_by="title",
        status="kernel-died",
        message=XSS,
        score=0.0,
        max_score=7.5,
        execution=ExecutionResult(cells=[cell], kernel_died=True, kernel_message=XSS),
    )


def test_templates_dir_is_the_repo_folder() -> None:
    assert templates_dir() == Path(__file__).resolve().parent.parent / "templates"
    assert (templates_dir() / "report.html.j2").is_file()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3.0, "3"), (2.5, "2.5"), (0.0, "0"), (1 / 3, "0.33"), (10.0, "10"), (-0.001, "0")],
)
def test_format_points_drops_trailing_zeros(value: float, expected: str) -> None:
    assert format_points(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(1.23, "1.2 s"), (0.0, "0.0 s"), (0.01, "< 0.1 s"), (61.0, "61.0 s")]
)
def test_format_seconds(value: float, expected: str) -> None:
    assert format_seconds(value) == expected


def test_report_header_shows_student_score_and_status() -> None:
    page = PageText(render_submission(graded_result()))
    assert "Alice Martin" in page.text
    assert "Classifying the moons" in page.text
    assert "alice/moons.ipynb" in page.text
    assert "2 / 7.5" in page.text
    assert "graded" in page.text
    assert "1 of 3 checks passed" in page.text


def test_report_lists_every_check_with_outcome_points_and_message() -> None:
    result = graded_result()
    html = render_submission(result)
    page = PageText(html)
    for exercise in result.exercises:
        assert exercise.title in page.text
        for check in exercise.checks:
            assert check.description in page.text
            assert f'class="badge outcome-{check.outcome}">{check.outcome}<' in html
            if check.message:
                assert check.message in page.pres
    assert "Build the model 2 / 5 points" in page.text
    assert "Train it 0 / 2.5 points" in page.text
    assert "0 / 3" in page.text


def test_report_shows_how_objects_were_found() -> None:
    page = PageText(render_submission(graded_result()))
    assert "How your objects were found" in page.text
    assert "moons_model model tag tagged cell `model` defines `model`" in page.text
    assert "loss_history — not-found no list of floats in the namespace" in page.text


def test_report_shows_failing_cell_source_and_traceback_only() -> None:
    result = graded_result()
    assert result.execution is not None
    failing = result.execution.cells[1]
    page = PageText(render_submission(result))
    assert "Cell 3" in page.text
    assert "train" in page.text
    assert failing.source in page.pres
    assert failing.traceback in page.pres
    assert "NameError: name 'train' is not defined" in page.text
    assert "import torch" not in page.pres
    assert "print('never')" not in page.pres


def test_report_lists_cells_with_notes() -> None:
    page = PageText(render_submission(graded_result()))
    assert "Cell notes" in page.text
    assert "4 ok — shell escape neutralised" in page.text


def test_report_footer_shows_reproducibility_details() -> None:
    page = PageText(render_submission(graded_result()))
    for expected in [
        "cuda:0",
        "1234",
        "torch 2.3.1",
        "numpy 1.26.4",
        "sha256:aaaa1111",
        "sha256:bbbb2222",
        "0.1.0",
        "2024-05-01T12:00:00Z",
        "kernel boot 0.4 s · waited for it 1.5 s · execution 14.0 s · total 17.3 s",
        "notebook metadata",
    ]:
        assert expected in page.text


def test_report_of_invalid_notebook_shows_status_and_message() -> None:
    result = invalid_result()
    html = render_submission(result)
    page = PageText(html)
    assert f"invalid: {result.message}" in page.text
    assert "The notebook was not executed." in page.text
    assert "0 / 0" in page.text
    assert "not executed" in page.text
    assert 'class="badge status-invalid"' in html
    assert "Failing cells" not in page.text
    assert "pre" not in page.tags


def test_report_escapes_student_supplied_text() -> None:
    html = render_submission(hostile_result())
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = PageText(html)
    assert f"ValueError: {XSS}" in page.pres
    assert "script" not in page.tags


def test_report_renders_the_same_from_stored_json() -> None:
    result = graded_result()
    reloaded = SubmissionResult.from_json(result.to_json())
    assert render_submission(reloaded) == render_submission(result)


def test_index_links_each_report_sorted_by_student() -> None:
    results = [invalid_result(), hostile_result(), graded_result()]
    page = PageText(render_index(results))
    reports = [link for link in page.links if not link.startswith("#")]
    assert reports == ["mallory/report.html", "alice/report.html", "bob/report.html"]


def test_index_counts_statuses_and_means_per_assignment() -> None:
    second = graded_result()
    second.submission, second.student, second.score = "carol", "Carol", 6.5
    page = PageText(render_index([graded_result(), second, invalid_result(), hostile_result()]))
    assert "4 submissions" in page.text
    for count_and_status in ["2 graded", "1 kernel-died", "1 invalid", "0 unknown-assignment"]:
        assert count_and_status in page.text
    # (2 + 6.5 + 0) / 3 over the three "moons" submissions
    assert "Classifying the moons (moons) 3 2.83 / 7.5 38 %" in page.text
    assert "Carol Classifying the moons 6.5 / 7.5 87 % graded — 1 of 3 checks passed" in page.text


def test_index_escapes_student_supplied_text() -> None:
    html = render_index([hostile_result()])
    assert html.count("<script") == 1 and "<script>\n// Sort the submissions table" in html  # only our own
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_write_reports_creates_every_report_and_the_index(tmp_path: Path) -> None:
    results = [graded_result(), invalid_result(), hostile_result()]
    nested = graded_result()
    nested.submission = "section-b/dave"
    results.append(nested)
    write_reports(results, tmp_path)
    for result in results:
        report = tmp_path / result.submission / "report.html"
        assert report.read_text(encoding="utf-8") == render_submission(result)
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == render_index(results)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    expected = ["index.html", "alice/report.html", "bob/report.html", "mallory/report.html"]
    expected.append(os.path.join("section-b", "dave", "report.html"))
    assert written == sorted(os.path.normpath(name) for name in expected)


def test_write_reports_replaces_old_reports(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "report.html").write_text("stale", encoding="utf-8")
    write_reports([graded_result()], tmp_path)
    assert "Alice Martin" in (tmp_path / "alice" / "report.html").read_text(encoding="utf-8")


def test_write_reports_refuses_ids_outside_out_dir_but_writes_the_rest(tmp_path: Path) -> None:
    escaping = invalid_result()
    escaping.submission = "../elsewhere"
    out_dir = tmp_path / "reports"
    with pytest.raises(ReportError, match=r"1 of 2 reports were not written:\n  \.\./elsewhere"):
        write_reports([escaping, graded_result()], out_dir)
    assert (out_dir / "alice" / "report.html").is_file()
    assert (out_dir / "index.html").is_file()
    assert not (tmp_path / "elsewhere").exists()


# --------------------------------------------------------------------------- figures, audiences, item analysis

PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYPj/HwADAgH/kuvQ5gAAAABJRU5ErkJggg=="


def figured_result() -> SubmissionResult:
    """graded_result with a figure for its failed accuracy check, a hidden check and a grader note."""
    result = graded_result()
    accuracy = result.exercises[0].checks[1]
    accuracy.visibility = "hidden"
    result.figures = [
        Figure("Moons model on hidden moons", "decision-boundary", "ex1", accuracy.id, "hidden",
               "Decision regions of `model` with the 1000 points it was checked on: 290 misclassified.",
               data=PNG_1PX, width=400, height=360),
        Figure("Curves", "curves", "ex9", "spec_moons.py::test_curves", "visible", "Curves recorded by the notebook.",
               data=PNG_1PX, width=640, height=270),
    ]
    result.notes = ["the confusion matrix of moons_model was not drawn: ValueError: 3 classes"]
    result.locked_cells_changed = ["cell 2 is tagged locked but differs from the assignment's locked cells"]
    return result


def test_report_shows_figures_as_data_uris_in_their_exercise():
    html = render_submission(figured_result())
    assert html.count("<img ") == 2
    assert f'<img src="data:image/png;base64,{PNG_1PX}" width="400" height="360" alt="Decision regions of `model`' in html
    exercise = html.split('id="exercise-1"')[1].split("</section>")[0]
    assert 'id="figure-1"' in exercise and "figure-2" not in exercise
    assert 'id="figures"' in html  # the figure of exercise ex9, which has no section, is still shown
    assert '<a href="#figure-1">figure: Moons model on hidden moons</a>' in html  # linked from the lost check


def test_staff_report_marks_hidden_checks_and_shows_notes_and_changed_locked_cells():
    page = PageText(render_submission(figured_result(), "ta"))
    assert "Grading report · staff view" in page.text and "← Class summary" in page.text
    assert "Test accuracy is at least 0.9 hidden data" in page.text
    assert "Grader notes for the staff the confusion matrix of moons_model was not drawn" in page.text
    assert "Locked cells changed cell 2 is tagged locked" in page.text


def test_student_report_shows_outcomes_not_hidden_details():
    html = render_submission(figured_result(), "student")
    page = PageText(html)
    assert "Your feedback" in page.text and "Class summary" not in page.text
    assert "Checks marked hidden data were run on data you have not seen" in page.text
    assert "expected accuracy >= 0.90" not in html and HIDDEN_MESSAGE in page.pres
    assert html.count("<img ") == 1 and "Moons model on hidden moons" not in html
    assert "Grader notes" not in page.text and "Locked cells changed" not in page.text


def test_report_says_where_points_were_lost_first():
    page = PageText(render_submission(graded_result()))
    lost = page.text.split("Where points were lost")[1].split("Exercises")[0]
    assert lost.startswith(" 2 checks, 5.5 points")
    assert "failed Build the model : Test accuracy is at least 0.9 0 / 3 expected accuracy" in lost
    assert "error Train it : A loss curve list is returned 0 / 2.5 expected an object" in lost
    perfect = graded_result()
    perfect.exercises = perfect.exercises[:1]
    perfect.exercises[0].checks = perfect.exercises[0].checks[:1]
    assert "Where points were lost nowhere Every check passed." in PageText(render_submission(perfect)).text


def test_score_histogram_counts_shares_in_ten_bins():
    bins = score_histogram([0.0, 0.05, 0.5, 0.99, 1.0, 1.0])
    assert [b.count for b in bins] == [2, 0, 0, 0, 0, 1, 0, 0, 0, 3]
    assert (bins[0].label, bins[-1].label) == ("0–9 %", "90–100 %")
    assert bins[-1].share == 1.0 and bins[0].share == 2 / 3


def _graded(name: str, outcomes: dict[str, str]) -> SubmissionResult:
    checks = [
        CheckResult(f"t.py::{check}", "ex1" if check != "c" else "ex2", check.upper(), 1.0 if outcome == "passed" else 0.0,
                    1.0, outcome, "" if outcome == "passed" else f"{check} is wrong")  # type: ignore[arg-type]
        for check, outcome in outcomes.items()
    ]
    exercises = [ExerciseResult(e, f"Ex {e}", sum(c.points for c in checks if c.exercise == e),
                                sum(c.max_points for c in checks if c.exercise == e), [c for c in checks if c.exercise == e])
                 for e in ("ex1", "ex2")]
    score = sum(c.points for c in checks)
    return SubmissionResult(name, name, f"{name}/hw.ipynb", "hw", "HW", "metadata", "graded", "", score, 3.0, exercises)


def test_item_analysis_puts_the_most_failed_check_first():
    results = [
        _graded("s1", {"a": "passed", "b": "passed", "c": "passed"}),
        _graded("s2", {"a": "passed", "b": "passed", "c": "failed"}),
        _graded("s3", {"a": "passed", "b": "error", "c": "failed"}),
        _graded("s4", {"a": "passed", "b": "failed", "c": "failed"}),
    ]
    (summary,) = summarise_assignments(results)
    assert [(c.check, c.passed, c.attempts) for c in summary.checks] == [
        ("t.py::c", 1, 4), ("t.py::b", 2, 4), ("t.py::a", 4, 4)
    ]
    c, b, a = summary.checks
    assert c.outcomes == [("failed", 3)] and c.common_message == "c is wrong"
    assert round(b.discrimination or 0, 3) == 0.577  # those who pass b do better on the rest
    assert a.discrimination is None  # everyone passed: it tells no one apart
    assert [(e.exercise, e.full_marks) for e in summary.exercises] == [("ex2", 1), ("ex1", 2)]
    assert (summary.median_score, [bin.count for bin in summary.histogram][-4:]) == (1.5, [1, 0, 0, 1])


def test_index_shows_flags_histogram_item_analysis_and_a_sortable_table():
    crashed = graded_result()
    crashed.submission, crashed.student, crashed.status = "carol", "Carol", "kernel-died"
    tampered = figured_result()
    tampered.submission, tampered.student = "dave", "Dave"
    html = render_index([graded_result(), crashed, tampered, invalid_result()])
    page = PageText(html)
    assert "0 timed out 1 crashed 1 tampered" in page.text
    assert 'aria-label="Histogram of scores as a share of 7.5 points: 0–9 %: 0; 10–19 %: 0; 20–29 %: 3;' in html
    analysis = page.text.split("Item analysis: checks, most failed first")[1]
    assert analysis.startswith(" Check Passed Lost as Discrimination Test accuracy is at least 0.9")
    assert "2 checks every submission passed" not in analysis and "1 check every submission passed" in analysis
    assert html.count('<table class="sortable">') == 1 and 'data-type="number"' in html
    assert "Carol Classifying the moons 2 / 7.5 27 % kernel-died crashed 1 of 3 checks passed" in page.text
    assert "Dave Classifying the moons 2 / 7.5 27 % graded tampered" in page.text


def test_index_in_student_mode_says_the_reports_are_the_student_view():
    page = PageText(render_index([graded_result()], "student"))
    assert "The reports linked here are the student view" in page.text


def test_a_new_grader_version_is_named_as_the_reason_of_a_regrade() -> None:
    import dataclasses

    from grader.review.changes import reason

    old = graded_result()
    new = dataclasses.replace(old, grader_version="0.2.0")
    assert reason(old, new) == "grader changed (0.1.0 → 0.2.0)"
    assert reason(old, dataclasses.replace(old)) == "re-graded with nothing changed (--force)"
