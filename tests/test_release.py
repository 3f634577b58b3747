"""`grade release`: solution stripping, locked-cell checksums, what is (never) copied, and assignments/ up to date."""

import ast
import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_output

from grader.core.assignment import load_assignment, load_assignments, load_public_assignment
from grader.cli.commands import main
from grader.authoring.release import out_of_date, release
from grader.core.markers import ReleaseError, clean_solution, locked_checksum, release_notebook, strip_solutions
from tests.conftest import FIXTURE_SOLUTIONS, ROOT, code, notebook

ALL_ASSIGNMENTS = [*load_assignments(ROOT / "solutions"), *load_assignments(FIXTURE_SOLUTIONS)]


def test_solution_region_becomes_the_placeholder_at_its_indent():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\nprint(f(1))"
    assert strip_solutions(source) == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\nprint(f(1))"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1", "cell 7: '### BEGIN SOLUTION' is never closed with '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION", "cell 7, line 2: '### END SOLUTION' without '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION", "cell 7, line 2: '### BEGIN SOLUTION' inside another solution region"),
    ],
)
def test_unbalanced_markers_name_the_cell_and_line(source, message):
    with pytest.raises(ReleaseError) as error:
        strip_solutions(source, where="cell 7")
    assert str(error.value) == message


def test_checksum_ignores_trailing_spaces_and_line_endings_only():
    assert locked_checksum("x = 1  \r\ny = 2\n") == locked_checksum("x = 1\ny = 2")
    assert locked_checksum("x = 1\ny = 2") != locked_checksum("x = 1\ny = 3")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", locked_checksum("x = 1"))


def _reference():
    given = code("import torch", "locked")
    given.outputs = [new_output("stream", name="stdout", text="secret output\n")]
    given.execution_count = 3
    answer = code("### BEGIN SOLUTION\nanswer = 'the-solution'\n### END SOLUTION", "ex1")
    answer.metadata["collapsed"] = True
    written = new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause of the-solution.\n### END SOLUTION")
    note = code("print('instructor only: timing the reference')", "hidden")
    nb = notebook(given, answer, written, note, assignment="demo")
    nb.metadata["widgets"] = {"state": "instructor"}
    return nb


def test_release_strips_solutions_outputs_and_hidden_cells_and_checksums_locked_cells():
    released = release_notebook(_reference())
    text = nbformat.writes(released)
    # a word, not a number: cell ids and checksums are hexadecimal and may hold any digits
    assert "the-solution" not in text and "secret output" not in text and "instructor" not in text
    assert [cell.source for cell in released.cells[1:]] == [
        "import torch",
        "# YOUR CODE HERE\nraise NotImplementedError()",
        "Why?\n_YOUR ANSWER HERE_",
    ]
    given, answer = released.cells[1], released.cells[2]
    assert (given.outputs, given.execution_count) == ([], None)
    assert given.metadata == {"tags": ["locked"], "grader": {"checksum": locked_checksum("import torch")}}
    assert answer.metadata == {"tags": ["ex1"]}
    assert released.metadata == {"kernelspec": released.metadata["kernelspec"], "grader": {"assignment": "demo"}}


def test_clean_solution_keeps_the_code_without_markers():
    solved = clean_solution(_reference())
    assert solved.cells[2].source == "answer = 'the-solution'"
    assert "grader" in solved.cells[1].metadata and len(solved.cells) == 4


def test_locked_cell_with_a_solution_is_refused():
    nb = notebook(code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "locked"), assignment="demo")
    with pytest.raises(ReleaseError, match=r"cell 2 \(id '[0-9a-f]+'\) is tagged 'locked' but holds a solution region; a locked cell is given code"):
        release_notebook(nb)


def test_notebook_without_its_assignment_id_is_refused():
    with pytest.raises(ReleaseError, match=r"no metadata.grader.assignment"):
        release_notebook(notebook(code("x = 1")))


def test_public_definition_reads_back_as_the_same_roles(tmp_path):
    for assignment in ALL_ASSIGNMENTS:
        written = release(assignment, tmp_path / assignment.id)
        for path, text in written.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        public = load_public_assignment(tmp_path / assignment.id / assignment.id)
        assert (public.id, public.title, public.exercises) == (assignment.id, assignment.title, assignment.exercises)
        assert public.objects == assignment.objects
        assert public.specs_dir == tmp_path / assignment.id / assignment.id / "public_specs"


@pytest.mark.parametrize("assignment", ALL_ASSIGNMENTS, ids=lambda a: a.id)
def test_released_files_are_up_to_date(assignment):
    stale = out_of_date(assignment)
    assert not stale, f"run `grade release {assignment.folder.relative_to(ROOT)}`: out of date: {stale}"


@pytest.mark.parametrize("assignment", load_assignments(ROOT / "solutions"), ids=lambda a: a.id)
def test_blank_demo_submission_is_the_released_notebook(assignment):
    blank = ROOT / "submissions" / "blank" / f"{assignment.id}.ipynb"
    assert blank.read_text(encoding="utf-8") == assignment.student_notebook.read_text(encoding="utf-8")


def _hidden_constants(assignment):
    """Names and values of the hidden specs' constants that must never reach students (seeds, thresholds, sizes)."""
    secret = {}
    for path in assignment.specs_dir.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and re.search(r"HIDDEN|ACCURACY|THRESHOLD", target.id):
                        secret[target.id] = node.value.value
    return secret


@pytest.mark.parametrize("assignment", ALL_ASSIGNMENTS, ids=lambda a: a.id)
def test_release_holds_no_hidden_material(assignment):
    files = release(assignment).files
    hidden_names = {p.name for p in assignment.specs_dir.glob("*.py")} - {p.name for p in assignment.folder.glob("public_specs/*.py")}
    assert not hidden_names & {path.name for path in files}
    text = "\n".join(files.values())
    for name, value in _hidden_constants(assignment).items():
        assert name not in text
        if name.endswith("SEED") and isinstance(value, int) and value > 100:  # a seed (hidden draws now take none)
            assert not re.search(rf"\b{value}\b|\b{value:_}\b", text), f"{name}'s value appears in the release"
    assert "BEGIN SOLUTION" not in text


def test_release_command_writes_the_files_and_names_them(tmp_path, capsys):
    folder = tmp_path / "solutions" / "mini"
    shutil.copytree(FIXTURE_SOLUTIONS / "mini", folder)
    assert main(["release", str(folder)]) == 0
    captured = capsys.readouterr()
    assignments = tmp_path / "assignments"
    assert captured.out.split() == [
        str(assignments / "mini.ipynb"),
        str(assignments / "mini" / "assignment.toml"),
        str(assignments / "mini" / "public_specs" / "test_mini_public.py"),
    ]
    assert captured.err == "released mini: 3 file(s)\n"
    assert load_assignment(folder).student_notebook == assignments / "mini.ipynb"
    (folder / "public_specs" / "test_mini_public.py").rename(folder / "public_specs" / "test_renamed.py")
    assert main(["release", str(folder / "mini.ipynb")]) == 0
    assert [p.name for p in (assignments / "mini" / "public_specs").iterdir()] == ["test_renamed.py"]


def test_release_command_without_an_assignment_names_the_fix(tmp_path, capsys):
    assert main(["release", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path} has no assignment.toml; pass an assignment folder such as solutions/<id>\n"
    )
