"""Collecting submissions as instructors get them: LMS file names, zips, the latest notebook, late penalties."""

import csv
import os
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from grader.cli.commands import main
from grader.intake.discover import discover
from grader.intake.lms import IntakeError, LmsName, extract_notebooks, latest_per_student, parse_lms_name
from grader.intake.lateness import LatePolicy, assess, parse_penalty, parse_time, read_submission_times
from grader.intake.lateness import submission_time
from grader.record.gradebook import Gradebook
from tests.conftest import FIXTURE_SOLUTIONS, code, notebook, write

UTC = timezone.utc
DEADLINE = datetime(2025, 3, 1, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("smithjane_12345_67890_notebook.ipynb", LmsName("canvas", "12345", "smithjane", False, 67890)),
        ("smithjane_LATE_12345_67891_notebook-1.ipynb", LmsName("canvas", "12345", "smithjane", True, 67891)),
        ("smithjane_late_12345_67892_my_notebook.ipynb", LmsName("canvas", "12345", "smithjane", True, 67892)),
        ("Jane Smith_4242_assignsubmission_file_/notebook.ipynb", LmsName("moodle", "4242", "Jane Smith")),
        ("Jane Smith_4242_assignsubmission_file_/sub/dir/nb.ipynb", LmsName("moodle", "4242", "Jane Smith")),
        ("Jane Smith_4242_assignsubmission_file_notebook.ipynb", LmsName("moodle", "4242", "Jane Smith")),
        (
            "Homework 6_jsmith_attempt_2025-03-02-10-30-00_notebook.ipynb",
            LmsName("blackboard", "jsmith", "", attempt_time=datetime(2025, 3, 2, 10, 30)),
        ),
        ("ada/assignment-6.ipynb", None),
        ("bob_hw.ipynb", None),
        ("week_3_notebook.ipynb", None),
    ],
)
def test_lms_file_names_map_to_student_ids(path, expected):
    assert parse_lms_name(path) == expected


def test_discover_names_students_by_their_lms_ids(tmp_path):
    write(notebook(code("1")), tmp_path / "Jane Smith_4242_assignsubmission_file_" / "nb.ipynb")
    write(notebook(code("1")), tmp_path / "doejohn_LATE_777_31_nb.ipynb")
    write(notebook(code("1")), tmp_path / "ada" / "nb.ipynb")
    found = {s.relative_path: (s.student, s.student_name, s.lms, s.lms_late) for s in discover(tmp_path)}
    assert found == {
        "Jane Smith_4242_assignsubmission_file_/nb.ipynb": ("4242", "Jane Smith", "moodle", False),
        "doejohn_LATE_777_31_nb.ipynb": ("777", "doejohn", "canvas", True),
        "ada/nb.ipynb": ("ada", "", "", False),
    }


def test_latest_notebook_of_a_student_by_file_time_others_compete_with_nothing(tmp_path):
    older = write(notebook(code("1"), assignment="mini"), tmp_path / "ada" / "v2.ipynb")
    newer = write(notebook(code("1"), assignment="mini"), tmp_path / "ada" / "v1.ipynb")
    scratch = write(notebook(code("1")), tmp_path / "ada" / "scratch.ipynb")
    os.utime(older, (1_000, 1_000))
    os.utime(newer, (2_000, 2_000))
    found = discover(tmp_path)
    kept, replaced = latest_per_student(found, lambda s: None if s.path == scratch else "mini")
    assert [s.relative_path for s in kept] == ["ada/scratch.ipynb", "ada/v1.ipynb"]
    assert [s.relative_path for s in replaced["ada__v1"]] == ["ada/v2.ipynb"] and replaced["ada__scratch"] == []


def _zip(path, members):
    """A zip of (name, text, date_time) members, as an LMS bulk download would be."""
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text, when in members:
            bundle.writestr(zipfile.ZipInfo(name, date_time=when), text)
    return path


def test_zip_extraction_keeps_notebooks_and_their_times_only(tmp_path):
    archive = _zip(tmp_path / "class.zip", [
        ("Jane Smith_4242_assignsubmission_file_/nb.ipynb", "{}", (2025, 3, 1, 12, 0, 0)),
        ("__MACOSX/._nb.ipynb", "junk", (2025, 3, 1, 12, 0, 0)),
        ("Jane Smith_4242_assignsubmission_file_/data.csv", "a,b", (2025, 3, 1, 12, 0, 0)),
    ])
    written = extract_notebooks(archive, tmp_path / "out")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in written] == ["Jane Smith_4242_assignsubmission_file_/nb.ipynb"]
    assert datetime.fromtimestamp(os.path.getmtime(written[0])) == datetime(2025, 3, 1, 12, 0, 0)


def test_zip_with_an_escaping_path_is_refused(tmp_path):
    archive = _zip(tmp_path / "evil.zip", [("../escape.ipynb", "{}", (2025, 1, 1, 0, 0, 0))])
    with pytest.raises(IntakeError, match=r"holds an unsafe path '../escape.ipynb'; refusing to extract it"):
        extract_notebooks(archive, tmp_path / "out")
    assert not (tmp_path / "escape.ipynb").exists()


# --------------------------------------------------------------------------- lateness


def test_penalty_per_started_day_of_the_maximum_score():
    policy = LatePolicy(DEADLINE, percent_per_unit=10, unit="day", max_percent=50)
    on_time = assess(policy, DEADLINE - timedelta(minutes=5), "from the list of submission times")
    assert (on_time.percent, on_time.summary) == (0, "")
    assert on_time.note == "Submitted 2025-03-01 23:54 UTC (from the list of submission times), before the deadline (2025-03-01 23:59 UTC)."
    late = assess(policy, DEADLINE + timedelta(days=1, hours=2), "from the list of submission times")
    assert (late.percent, late.summary) == (20, "late by 1 d 2 h: −20 %")
    assert late.note.endswith("1 d 2 h after the deadline (2025-03-01 23:59 UTC): 2 started days × 10 % = 20 % of the maximum score taken off.")
    capped = assess(policy, DEADLINE + timedelta(days=9), "x")
    assert capped.percent == 50 and "9 started days × 10 %, capped at 50 % = 50 %" in capped.note


def test_unknown_time_never_costs_points_and_says_why():
    policy = LatePolicy(DEADLINE, percent_per_unit=10)
    flagged = assess(policy, None, "", lms_late=True)
    assert flagged.percent == 0 and flagged.note.startswith("Canvas marked this submission late, but its file name carries no submission time")
    assert assess(None, None, "").note == ""


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_penalty, "10 per day", "Invalid late penalty '10 per day' from --late-penalty: write it as a percentage per unit, e.g. 10%/day"),
        (parse_time, "tomorrow", "Invalid time 'tomorrow' from --late-penalty: use ISO 8601, e.g. 2025-03-01T23:59 or 2025-03-01T23:59+01:00"),
    ],
)
def test_bad_late_settings_say_where_they_came_from(parse, text, message):
    with pytest.raises(ValueError) as error:
        parse(text, "--late-penalty")
    assert str(error.value) == message


def test_submission_times_csv(tmp_path):
    path = tmp_path / "times.csv"
    path.write_text("student,submitted_at\n101,2025-03-03T01:00:00+00:00\nsmithjane,2025-03-01T10:00Z\n", encoding="utf-8")
    assert read_submission_times(path) == {
        "101": datetime(2025, 3, 3, 1, 0, tzinfo=UTC),
        "smithjane": datetime(2025, 3, 1, 10, 0, tzinfo=UTC),
    }
    path.write_text("who,when\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs a header row with the columns student,submitted_at"):
        read_submission_times(path)


def test_a_file_that_is_not_a_zip_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "grades.xlsx").write_text("not a zip", encoding="utf-8")
    assert main([str(tmp_path / "grades.xlsx")]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'grades.xlsx'} is neither a folder nor a .zip file; pass the folder or the LMS download\n"
    )


def test_submission_time_from_the_csv_else_the_blackboard_name(tmp_path):
    write(notebook(code("1")), tmp_path / "Homework 6_jsmith_attempt_2025-03-02-10-30-00_nb.ipynb")
    write(notebook(code("1")), tmp_path / "smithjane_101_5001_nb.ipynb")
    blackboard, canvas = sorted(discover(tmp_path), key=lambda s: s.lms)
    assert submission_time(blackboard, {}) == (datetime(2025, 3, 2, 10, 30).astimezone(), "from the Blackboard file name")
    listed = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert submission_time(blackboard, {"jsmith": listed}) == (listed, "from the list of submission times")
    assert submission_time(canvas, {"smithjane": listed}) == (listed, "from the list of submission times")
    assert submission_time(canvas, {}) == (None, "")


def test_late_penalty_without_a_deadline_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "s").mkdir()
    assert main([str(tmp_path / "s"), "--late-penalty", "10%/day", "--solutions", str(FIXTURE_SOLUTIONS)]) == 2
    assert capsys.readouterr().err == "error: --late-penalty needs --deadline\n"


# --------------------------------------------------------------------------- end to end

SOLVED = notebook(
    code("import torch\nfrom torch import nn"),
    code("layer = nn.Linear(2, 1)", "ex1"),
    code("def square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))", "ex2"),
    assignment="mini",
)
HALF = notebook(code("import torch\nfrom torch import nn"), code("layer = nn.Linear(2, 1)", "ex1"), assignment="mini")


@pytest.fixture(scope="module")
def canvas(tmp_path_factory):
    """A Canvas download graded in three rounds into one results folder."""
    root = tmp_path_factory.mktemp("canvas")
    out = root / "out"
    text = {name: _notebook_text(nb) for name, nb in (("solved", SOLVED), ("half", HALF))}
    when = (2025, 3, 1, 12, 0, 0)
    old = ("smithjane_101_5001_mini.ipynb", text["half"], when)
    new = ("smithjane_LATE_101_5007_mini-1.ipynb", text["solved"], when)
    doe = ("doejohn_102_5003_mini.ipynb", text["half"], when)
    first = _zip(root / "first.zip", [old, doe])
    second = _zip(root / "second.zip", [old, new, doe])
    times = root / "times.csv"
    times.write_text("student,submitted_at\n101,2025-03-03T01:00:00+00:00\ndoejohn,2025-03-01T20:00:00+00:00\n", encoding="utf-8")
    rounds = {}
    common = ["--out", str(out), "--solutions", str(FIXTURE_SOLUTIONS), "--quiet"]
    for name, argv in {
        "first": [str(first), *common],
        "second": [str(second), *common],
        "late": [str(second), *common, "--deadline", "2025-03-01T23:59+00:00", "--late-penalty", "10%/day",
                 "--submitted-at", str(times)],
    }.items():
        assert main(argv) == 0
        rounds[name] = {r.student: r for r in Gradebook(out / "gradebook.sqlite").results()}
        rounds[f"{name}.csv"] = list(csv.DictReader((out / "grades.csv").read_text(encoding="utf-8").splitlines()))
    return out, rounds


def _notebook_text(nb):
    import nbformat

    return nbformat.writes(nb)


def test_first_download_grades_each_student_once(canvas):
    _, rounds = canvas
    first = rounds["first"]
    assert {s: (r.student_name, r.score, r.superseded) for s, r in first.items()} == {
        "101": ("smithjane", 2, []),
        "102": ("doejohn", 2, []),
    }


def test_latest_canvas_upload_wins_and_the_older_is_listed_and_forgotten(canvas):
    out, rounds = canvas
    second = rounds["second"]
    assert set(second) == {"101", "102"}  # the older upload's row is gone from the gradebook
    jane = second["101"]
    assert (jane.path, jane.score, jane.superseded) == ("smithjane_LATE_101_5007_mini-1.ipynb", 4, ["smithjane_101_5001_mini.ipynb"])
    assert jane.message == "late (Canvas); 1 older notebook not graded"
    assert not (out / "smithjane_101_5001_mini").exists()
    rows = rounds["second.csv"]
    assert [(r["student"], r["student_name"], r["score"]) for r in rows] == [("102", "doejohn", "2"), ("101", "smithjane", "4")]


def test_late_policy_applies_without_regrading_and_the_report_says_how(canvas):
    out, rounds = canvas
    jane, john = rounds["late"]["101"], rounds["late"]["102"]
    # 1 day 1 h 1 min after the deadline: 2 started days × 10 % of 4 points
    assert (jane.score, jane.late_penalty, jane.submitted_at) == (3.2, 0.8, "2025-03-03T01:00+00:00")
    assert jane.late_note == (
        "Submitted 2025-03-03 01:00 UTC (from the list of submission times), 1 d 1 h after the deadline "
        "(2025-03-01 23:59 UTC): 2 started days × 10 % = 20 % of the maximum score taken off."
    )
    assert jane.message == "late by 1 d 1 h: −20 %; 1 older notebook not graded"
    assert (jane.graded_at, jane.seconds) == (rounds["second"]["101"].graded_at, rounds["second"]["101"].seconds)
    assert (john.score, john.late_penalty) == (2, 0)
    rows = {row["student"]: row for row in rounds["late.csv"]}
    assert (rows["101"]["score"], rows["101"]["late_penalty"], rows["101"]["submitted_at"]) == ("3.2", "0.8", "2025-03-03T01:00+00:00")
    html = (out / "smithjane_LATE_101_5007_mini-1" / "report.html").read_text(encoding="utf-8")
    assert "of the maximum score taken off" in html and "smithjane_101_5001_mini.ipynb" in html


def _moodle_split(path):
    """The participant id Moodle's feedback import reads from a zip path (importziplib.php's rule)."""
    for part in path.split("/"):
        info = part.split("_", 4)
        if len(info) >= 4 and info[1].isdigit() and (info[2], info[3]) == ("assignsubmission", "file"):
            return info[1]
    return None


def test_moodle_feedback_zip_holds_one_student_report_per_participant(tmp_path):
    from grader.core.feedback import for_audience
    from grader.report.html import render_submission

    when = (2025, 3, 1, 12, 0, 0)
    download = _zip(tmp_path / "moodle.zip", [
        ("Jane Smith_4242_assignsubmission_file_/mini.ipynb", _notebook_text(SOLVED), when),
        ("Ann_Lee Jones_4243_assignsubmission_file_/mini.ipynb", _notebook_text(HALF), when),
    ])
    plain = tmp_path / "plain"
    write(HALF, plain / "bob" / "mini.ipynb")
    out = tmp_path / "out"
    for source in (download, plain):
        assert main([str(source), "--out", str(out), "--solutions", str(FIXTURE_SOLUTIONS), "--quiet"]) == 0

    assert main(["export", str(out), "--format", "moodle-feedback", "--dry-run"]) == 0
    assert not (out / "moodle-feedback-mini.zip").exists()
    assert main(["export", str(out), "--format", "moodle-feedback"]) == 0
    with zipfile.ZipFile(out / "moodle-feedback-mini.zip") as bundle:
        names = sorted(bundle.namelist())
        reports = {name: bundle.read(name).decode("utf-8") for name in names}
    # A name's underscore would split where Moodle splits the folder name; the intake reads it back as a space.
    assert names == [
        "Ann Lee Jones_4243_assignsubmission_file_/feedback.html",
        "Jane Smith_4242_assignsubmission_file_/feedback.html",
    ]
    assert [_moodle_split(name) for name in names] == ["4243", "4242"]
    assert [parse_lms_name(name).student for name in names] == ["4243", "4242"]
    results = {r.student: r for r in Gradebook(out / "gradebook.sqlite").results()}
    assert reports[names[1]] == render_submission(results["4242"], "student")
    assert reports[names[1]] != render_submission(results["4242"], "ta")
    assert for_audience(results["4242"], "student").score == 4 and for_audience(results["4243"], "student").score == 2

    # With the grading worksheet, the names are Moodle's own, and only its participants are written.
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text("Identifier,Full name,Grade\nParticipant 4242,Jane Q. Smith,\n", encoding="utf-8")
    target = tmp_path / "feedback.zip"
    assert main(["export", str(out), "--format", "moodle-feedback", "--gradebook", str(sheet), "--output", str(target)]) == 0
    with zipfile.ZipFile(target) as bundle:
        assert bundle.namelist() == ["Jane Q. Smith_4242_assignsubmission_file_/feedback.html"]
    first = target.read_bytes()
    assert main(["export", str(out), "--format", "moodle-feedback", "--gradebook", str(sheet), "--output", str(target)]) == 0
    assert target.read_bytes() == first  # the same results give the same zip


def test_moodle_feedback_zip_refuses_a_file_that_is_no_worksheet(tmp_path, capsys):
    out = tmp_path / "out"
    write(HALF, tmp_path / "plain" / "bob" / "mini.ipynb")
    assert main([str(tmp_path / "plain"), "--out", str(out), "--solutions", str(FIXTURE_SOLUTIONS), "--quiet"]) == 0
    sheet = tmp_path / "grades.csv"
    sheet.write_text("student,score\nbob,1\n", encoding="utf-8")
    assert main(["export", str(out), "--format", "moodle-feedback", "--gradebook", str(sheet)]) == 2
    assert "is not a Moodle grading worksheet (it needs the columns 'Identifier' and 'Full name')" in capsys.readouterr().err
