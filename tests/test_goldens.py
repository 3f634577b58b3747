"""Golden files for the HTML: what the reports render, normalised for times, durations, hashes and paths.

After an intended change to the templates, rewrite them with `python -m pytest tests/test_goldens.py
--update-goldens` and review the diff of tests/goldens/ like any other change.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from grader.integrity.behaviour import ErrorOverlap, SameObject
from grader.integrity.evidence import IntegrityReport, PairEvidence
from grader.report.html import render_index, render_submission
from grader.core.results import SubmissionResult
from grader.integrity.similarity import CodeMatch, CodeRegion, ExerciseSimilarity
from tests.test_report import figured_result, graded_result, hostile_result, invalid_result

GOLDENS = Path(__file__).parent / "goldens"
NORMALISE = [
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"), "<TIME>"),
    (re.compile(r"(?:&lt; )?\d+\.\d s\b"), "<DURATION>"),
    (re.compile(r"\b(?:sha256:)?[0-9a-f]{16}\b"), "<HASH>"),
    (re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+"), "data:image/png;base64,<PNG>"),
    (re.compile(r"(?:/private)?/(?:tmp|var/folders)/[^\s\"'<>]+"), "<PATH>"),
    (re.compile(r"(<li><code>[^<]+</code>) [^<]+(</li>)"), r"\1 <VERSION>\2"),
    (re.compile(r"(<dt>Device</dt><dd>)[^<]*(</dd>)"), r"\1<DEVICE>\2"),
    (re.compile(r"(<dt>Isolation</dt><dd>)[^<]*(</dd>)"), r"\1<ISOLATION>\2"),  # depends on the machine and user
    (re.compile(r"(<dt>Grader version</dt><dd>)[^<]*(</dd>)"), r"\1<VERSION>\2"),
]


def normalise(html: str) -> str:
    """The page with everything that changes from run to run replaced by a placeholder."""
    for pattern, placeholder in NORMALISE:
        html = pattern.sub(placeholder, html)
    return html


def assert_matches_golden(name: str, html: str, update: bool) -> None:
    path = GOLDENS / name
    text = normalise(html)
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"no golden file {path}; create it with: python -m pytest {__file__} --update-goldens")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(list(difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True), str(path), "rendered now"
        ))[:80])
        pytest.fail(f"{name} differs from its golden file (update with --update-goldens if intended):\n{diff}")


@pytest.fixture
def update(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--update-goldens"))


def test_normalise_replaces_what_changes_between_runs():
    html = (
        "<dd>2024-05-01T12:00:00+00:00</dd> 1.5 s &lt; 0.1 s <dd class=\"mono\">0fb1db0e71e17818</dd> "
        'src="data:image/png;base64,iVBOR+/=" /tmp/pytest-of-root/x/out <li><code>torch</code> 2.13.0+cpu</li>'
        "<dt>Device</dt><dd>cuda:0</dd>"
    )
    assert normalise(html) == (
        '<dd><TIME></dd> <DURATION> <DURATION> <dd class="mono"><HASH></dd> src="data:image/png;base64,<PNG>" '
        "<PATH> <li><code>torch</code> <VERSION></li><dt>Device</dt><dd><DEVICE></dd>"
    )


@pytest.mark.parametrize("audience", ["ta", "student"])
def test_report_matches_its_golden_file(audience, update):
    assert_matches_golden(f"report-{audience}.html", render_submission(figured_result(), audience), update)


def test_malformed_and_hostile_reports_match_their_golden_files(update):
    assert_matches_golden("report-invalid.html", render_submission(invalid_result()), update)
    assert_matches_golden("report-hostile.html", render_submission(hostile_result()), update)


def test_index_matches_its_golden_file(update):
    second = figured_result()
    second.submission, second.student = "dave", "Dave"
    results = [graded_result(), second, invalid_result(), hostile_result()]
    assert_matches_golden("index.html", render_index(results), update)


def integrity_report() -> IntegrityReport:
    """Two flagged pairs: students by code and behaviour, and a student and a known solution (hostile code kept escaped)."""
    regions = (CodeRegion("ex2", 6, 1, 3, "class Net(nn.Module):\n    # </pre><script>alert(1)</script>\n    pass"),)
    match = CodeMatch("dave", "erin", False, 0.93, 120, (ExerciseSimilarity("ex2", 0.97, 80), ExerciseSimilarity("ex4", 0.88, 40)), regions, regions)
    known = CodeMatch("dave", "earlier/<term>.ipynb", True, 0.9, 60, (ExerciseSimilarity("ex2", 0.9, 60),), regions, regions)
    overlap = ErrorOverlap("dave", "erin", "test_moons.py::test_accuracy", 4000, 120, 118, 117, 117, 9.5, 1.2e-60, True)
    same = SameObject("moons_model", "parameters identical up to a permutation of hidden units", ("dave", "erin"), 0.05)
    pairs = (
        PairEvidence("dave", "erin", False, match, (overlap,), (same,), ("93 % of the code matches (120 fingerprints)", "117 shared wrong points")),
        PairEvidence("dave", "earlier/<term>.ipynb", True, known, (), (), ("90 % of the code matches (60 fingerprints)",)),
    )
    return IntegrityReport(pairs, (("dave", "erin", "finn"),), 3, ("earlier/<term>.ipynb",), 3, 3, 0.2, {"similarity": 0.85})


def test_integrity_section_matches_its_golden_file(update):
    dave = figured_result()
    dave.submission, dave.student = "dave", "Dave"
    report = integrity_report()
    assert_matches_golden("index-integrity.html", render_index([graded_result(), dave], "ta", report), update)
    assert_matches_golden("report-integrity.html", render_submission(dave, "ta", report.pairs_of("dave")), update)
    assert render_submission(dave, "student", report.pairs_of("dave")) == render_submission(dave, "student")


@pytest.mark.parametrize(("submission", "audience"), [("ada__mini", "ta"), ("ada__mini", "student"), ("mallory-script-__mini", "ta")])
def test_reports_of_a_graded_batch_match_their_golden_files(report_batch, submission, audience, update):
    result = SubmissionResult.from_json((report_batch / submission / "result.json").read_text(encoding="utf-8"))
    assert_matches_golden(f"graded-{submission}-{audience}.html", render_submission(result, audience), update)


def reviewed_result() -> SubmissionResult:
    """figured_result with an override (flagged by a re-grade), a whole-exercise override, comments and a staff note."""
    from grader.core.results import Comment, Override
    from grader.review.overlay import Review, apply_review

    accuracy = "spec_moons.py::test_accuracy"
    review = Review(
        overrides=[
            Override(accuracy, "ex1", 2, 0, "failed", "0123456789abcdef", "0.88 is <close> enough: the split was unlucky",
                     "tom", "2026-12-01T10:00:00+00:00", flag="the notebook changed since the override"),
            Override("exercise:ex2", "ex2", 1, 0, "", "0123456789abcdef", "Curve drawn by hand, half marks", "ann",
                     "2026-12-01T10:05:00+00:00"),
        ],
        comments=[
            Comment(1, "ex1", "Plot the decision boundary before tuning <b>epochs</b>.", "tom", "2026-12-01T10:01:00+00:00"),
            Comment(2, "", "Good structure overall.", "tom", "2026-12-01T10:02:00+00:00"),
            Comment(3, "", "Staff note: asked about an extension.", "ann", "2026-12-01T10:03:00+00:00", private=True),
        ],
        reviewed_by="tom",
    )
    return apply_review(figured_result(), review)


@pytest.mark.parametrize("audience", ["ta", "student"])
def test_reviewed_report_matches_its_golden_file(audience, update):
    assert_matches_golden(f"report-reviewed-{audience}.html", render_submission(reviewed_result(), audience), update)


def test_index_with_what_changed_matches_its_golden_file(update):
    from grader.core.regrades import Change, Regrading

    regrading = Regrading("2026-12-01T11:00:00+00:00", 2, [
        Change("ada", "Ada", "moons", 5, 4, "notebook changed", ["spec_moons.py::test_accuracy: passed (3) → failed (0)"], 5),
    ])
    results = [graded_result(), reviewed_result(), hostile_result()]
    assert_matches_golden("index-reviewed.html", render_index(results, "ta", regrading=regrading), update)
