"""The whole pipeline on the tiny `mini` assignment, through the library and the CLI."""

import csv
import json
import sqlite3

import pytest

from grader.cli.commands import main
from grader.pipeline import BatchOptions, grade_folder
from grader.record.gradebook import Gradebook
from tests.conftest import FAST, FIXTURE_SOLUTIONS, code, notebook, write

SOLVED = [code("import torch\nfrom torch import nn"), code("layer = nn.Linear(2, 1)", "ex1"),
          code("def square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))", "ex2")]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    folder, out = root / "submissions", root / "out"
    write(notebook(*SOLVED, assignment="mini"), folder / "ada" / "mini.ipynb")
    renamed = [code("import torch\nfrom torch import nn"), code("my_layer = nn.Linear(2, 1)"),
               code("def square_it(x):\n    return x * x\nprint(square_it(torch.tensor(3.0)))")]
    write(notebook(*renamed, assignment="mini"), folder / "bo" / "mini.ipynb")
    write(notebook(code("layer = 1\nsquare = 2\nraise KeyError('x')", "ex1"), assignment="mini"), folder / "cy" / "mini.ipynb")
    (folder / "dee").mkdir()
    (folder / "dee" / "mini.ipynb").write_text("{ this is not json", encoding="utf-8")
    write(notebook(code("print('a pandas homework about something else entirely')")), folder / "eve" / "other.ipynb")
    summary = grade_folder(folder, BatchOptions(out, FIXTURE_SOLUTIONS, FAST))
    return folder, out, summary


def _result(batch, student):
    return next(r for r in batch[2].results if r.student == student)


def test_solution_scores_full_marks(batch):
    ada = _result(batch, "ada")
    assert (ada.status, ada.score, ada.max_score) == ("graded", 4, 4)
    assert [r.how for r in ada.resolutions] == ["tag", "tag"]


def test_figures_the_checks_asked_for_are_drawn_after_them(batch):
    ada = _result(batch, "ada")
    (figure,) = ada.figures
    assert (figure.kind, figure.check, figure.exercise, figure.visibility) == (
        "decision-boundary", "test_mini.py::test_layer_shape", "ex1", "hidden"
    )
    assert figure.title == "The layer on hidden points" and figure.caption.startswith("Decision regions of `layer` with the 50 points")
    assert ada.notes == [] and 0 < ada.figure_seconds < ada.seconds
    # no layer, no figure, and no note either: the check failed before it asked for one
    assert _result(batch, "cy").figures == [] and _result(batch, "cy").notes == []


def test_phases_account_for_the_wall_time(batch):
    _, out, summary = batch
    ada, dee = _result(batch, "ada"), _result(batch, "dee")
    phases = ada.phases
    assert phases.worker_total() == pytest.approx(ada.seconds, abs=0.005)
    assert phases.execution == pytest.approx(ada.execution.execute_seconds, abs=0.001)
    assert min(phases.read, phases.setup, phases.checks, phases.digests, phases.figures, phases.shutdown) > 0
    assert phases.other < 0.05 * ada.seconds  # the residual no phase measured stays small
    assert phases.drawing > 0 and phases.record > 0  # off the worker: not in `seconds`
    assert ada.figure_seconds == pytest.approx(phases.figures + phases.drawing, abs=0.002)
    stored = json.loads((out / "ada__mini" / "result.json").read_text())["phases"]
    assert stored["execution"] == phases.execution and stored["record"] == phases.record
    # nothing executed for an unreadable notebook: its time is the reading
    assert dee.phases.execution == 0 and dee.phases.worker_total() == pytest.approx(dee.seconds, abs=0.005)
    executed = [r for r in summary.results if r.execution is not None]
    assert summary.phases.execution == pytest.approx(sum(r.phases.execution for r in executed), abs=0.01)


def test_renamed_untagged_objects_are_found_by_fallback(batch):
    bo = _result(batch, "bo")
    assert bo.score == 3  # the 'printed in ex2' check needs the tag
    assert {(r.object, r.found, r.how) for r in bo.resolutions} == {("layer", "my_layer", "fallback"), ("square", "square_it", "fallback")}


def test_broken_notebook_gets_zero_with_its_traceback(batch):
    cy = _result(batch, "cy")
    assert (cy.status, cy.score) == ("graded", 0)
    assert cy.message == "locked cell 1 (import torch) is missing; 1 failing cell (cell 2)"
    assert cy.execution.cells[0].ename == "KeyError"


def test_invalid_and_unknown_notebooks_get_a_row_with_a_reason(batch):
    dee, eve = _result(batch, "dee"), _result(batch, "eve")
    assert dee.status == "invalid" and dee.message.startswith("not a readable notebook")
    assert eve.status == "unknown-assignment" and "could not tell which assignment" in eve.message


def test_output_contract(batch):
    _, out, summary = batch
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert [r["submission"] for r in rows] == ["ada__mini", "bo__mini", "cy__mini", "dee__mini", "eve__other"]
    assert {"submission", "student", "assignment", "score", "max_score", "status"} <= set(rows[0])
    result = json.loads((out / "ada__mini" / "result.json").read_text())
    assert result["execution"]["seed"] == 0 and result["spec_hash"] and result["notebook_hash"]
    assert result["exercises"][0]["checks"][0]["outcome"] == "passed"
    assert (out / "ada__mini" / "report.html").is_file() and (out / "index.html").is_file()
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM submissions").fetchone() == (5,)
    gradescope = json.loads((out / "ada__mini" / "gradescope" / "results.json").read_text())
    assert gradescope["score"] == 4 and len(gradescope["tests"]) == 3
    assert all((out / r["submission"] / "gradescope" / "results.json").is_file() for r in rows)


def test_unchanged_batch_is_not_executed_again(batch):
    folder, out, _ = batch
    again = grade_folder(folder, BatchOptions(out, FIXTURE_SOLUTIONS, FAST))
    # only the unreadable and the unknown notebook are looked at again (no kernel for either)
    assert (again.regraded, again.reused) == (2, 3)
    assert [r.score for r in again.results] == [r.score for r in batch[2].results]
    with sqlite3.connect(out / "gradebook.sqlite") as db:  # the history has every grading, reused ones once
        assert db.execute("SELECT submission, COUNT(*) FROM gradings GROUP BY submission").fetchall() == [
            ("ada__mini", 1), ("bo__mini", 1), ("cy__mini", 1), ("dee__mini", 2), ("eve__other", 2)
        ]


def test_cli_grades_and_exits_zero_even_when_submissions_fail(tmp_path, capsys):
    write(notebook(code("raise SystemExit('bye')", "ex1"), assignment="mini"), tmp_path / "s" / "zed.ipynb")
    code_ = main([str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--solutions", str(FIXTURE_SOLUTIONS), "--quiet"])
    assert code_ == 0
    assert "zed" in capsys.readouterr().out
    assert (tmp_path / "o" / "grades.csv").read_text().splitlines()[1].startswith("zed,zed,mini,0,4,graded")


def test_cli_usage_errors_exit_2_with_the_fix(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 2
    assert "submissions folder" in capsys.readouterr().err
    (tmp_path / "s").mkdir()
    assert main([str(tmp_path / "s"), "--cell-timeout", "0"]) == 2
    assert "Invalid cell_timeout 0: must be at least 1 (from the command line)" in capsys.readouterr().err


def test_unknown_kernel_is_a_usage_error_naming_the_installed_ones(tmp_path, capsys):
    (tmp_path / "s").mkdir()
    assert main([str(tmp_path / "s"), "--kernel", "julia-9", "--solutions", str(FIXTURE_SOLUTIONS)]) == 2
    assert "Invalid kernel 'julia-9' from --kernel: installed kernels are python3" in capsys.readouterr().err


def test_report_command_rebuilds_html_from_the_gradebook_alone(batch, capsys):
    _, out, _ = batch
    (out / "index.html").unlink()
    (out / "ada__mini" / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "index.html").is_file() and (out / "ada__mini" / "report.html").is_file()
    assert "re-rendered 5 report(s)" in capsys.readouterr().err


def test_feedback_option_writes_student_reports(tmp_path, capsys):
    (tmp_path / "s" / "zed").mkdir(parents=True)
    (tmp_path / "s" / "zed" / "mini.ipynb").write_text("{ not a notebook", encoding="utf-8")
    out = tmp_path / "o"
    assert main([str(tmp_path / "s"), "--out", str(out), "--solutions", str(FIXTURE_SOLUTIONS), "--quiet", "--feedback", "student"]) == 0
    assert '<meta name="grader-audience" content="student">' in (out / "zed__mini" / "report.html").read_text()
    assert main(["report", str(out)]) == 0  # the staff view again, from the gradebook
    assert '<meta name="grader-audience" content="ta">' in (out / "zed__mini" / "report.html").read_text()
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(out), "--feedback", "parents"])
    assert exit_.value.code == 2 and "invalid choice: 'parents' (choose from" in capsys.readouterr().err


def test_report_command_without_a_gradebook_names_the_fix(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "grade a folder into" in capsys.readouterr().err


def test_one_worker_and_two_workers_give_the_same_grades(batch, tmp_path):
    folder, out, _ = batch  # graded with the default: one worker per core
    serial = grade_folder(folder, BatchOptions(tmp_path / "serial", FIXTURE_SOLUTIONS, FAST, workers=1))
    parallel = grade_folder(folder, BatchOptions(tmp_path / "parallel", FIXTURE_SOLUTIONS, FAST, workers=2))
    assert (tmp_path / "serial" / "grades.csv").read_text() == (tmp_path / "parallel" / "grades.csv").read_text()
    assert [r.score for r in serial.results] == [r.score for r in parallel.results]


def test_gpu_slots_cap_workers_per_gpu_and_fall_back_to_the_cpu():
    from grader.pool import gpu_assignments

    assert gpu_assignments(["0", "1"], per_gpu=1, workers=3) == ["0", "1", ""]
    assert gpu_assignments(["0"], per_gpu=2, workers=3) == ["0", "0", ""]
    assert gpu_assignments([], per_gpu=1, workers=2) == [None, None]


def test_assignment_option_grades_an_unidentifiable_notebook_as_the_batchs_assignment(tmp_path, capsys):
    terse = notebook(code("import torch\nfrom torch import nn\nlayer = nn.Linear(2, 1)\ndef square(x):\n    return x * x"))
    write(terse, tmp_path / "s" / "zed.ipynb")
    out = tmp_path / "o"
    args = [str(tmp_path / "s"), "--out", str(out), "--solutions", str(FIXTURE_SOLUTIONS), "--quiet"]
    assert main([*args, "--assignment", "nope"]) == 2
    assert "Invalid assignment 'nope' from --assignment: the solutions folder has mini" in capsys.readouterr().err
    assert main([*args, "--assignment", "mini"]) == 0
    result = Gradebook(out / "gradebook.sqlite").results()[0]
    assert result.status == "graded" and result.assignment == "mini" and result.score > 0
    assert result.identified_by.startswith("graded as mini, the assignment given for the batch")
