"""Tests for the report stage: HTML rendered from in-memory SubmissionResults."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.report import (
    ReportError,
    format_points,
    format_seconds,
    render_index,
    render_submission,
    templates_dir,
    write_reports,
)
from grader.results import (
    CellResult,
    CheckResult,
    ExecutionResult,
    ExerciseResult,
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
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "pre":
            self._pre_depth += 1
            self.pres.append("")
        elif tag == "style":
            self._in_style = True
        elif tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._pre_depth -= 1
        elif tag == "style":
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
            kernel_start_seconds=2.25,
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
        "kernel start 2.2 s · execution 14.0 s · total 17.3 s",
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
    assert page.links == ["mallory/report.html", "alice/report.html", "bob/report.html"]


def test_index_counts_statuses_and_means_per_assignment() -> None:
    second = graded_result()
    second.submission, second.student, second.score = "carol", "Carol", 6.5
    page = PageText(render_index([graded_result(), second, invalid_result(), hostile_result()]))
    assert "4 submissions" in page.text
    for count_and_status in ["2 graded", "1 kernel-died", "1 invalid", "0 unknown-assignment"]:
        assert count_and_status in page.text
    # (2 + 6.5 + 0) / 3 over the three "moons" submissions
    assert "Classifying the moons (moons) 3 2.83 / 7.5 38 %" in page.text
    assert "Carol Classifying the moons 6.5 / 7.5 graded 1 of 3 checks passed" in page.text


def test_index_escapes_student_supplied_text() -> None:
    html = render_index([hostile_result()])
    assert "<script" not in html
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
