import dataclasses
import json

import nbformat
import pytest

from grader.intake.discover import discover, identify, slugify
from tests.conftest import code, notebook, write


def test_finds_notebooks_recursively_with_student_ids(tmp_path):
    write(notebook(code("1")), tmp_path / "alice" / "hw.ipynb")
    write(notebook(code("1")), tmp_path / "bob_hw.ipynb")
    write(notebook(code("1")), tmp_path / "alice" / ".ipynb_checkpoints" / "hw-checkpoint.ipynb")
    (tmp_path / "notes.txt").write_text("not a notebook")
    found = discover(tmp_path)
    assert [(s.id, s.student, s.relative_path) for s in found] == [
        ("alice__hw", "alice", "alice/hw.ipynb"),
        ("bob_hw", "bob_hw", "bob_hw.ipynb"),
    ]
    assert all(len(s.notebook_hash) == 16 for s in found)


def test_slugify_keeps_ids_file_name_safe():
    assert slugify("section a/Jo Ann (1)") == "section-a__Jo-Ann-1"


def test_identifies_by_metadata_then_tags_then_text(mini):
    by_metadata = notebook(code("x = 1"), assignment="mini")
    assert identify(by_metadata, [mini]).assignment == mini
    by_tags = notebook(code("layer = 1", "ex1"), code("y = 2", "ex2"))
    assert "tags" in identify(by_tags, [mini]).how
    reference = json.loads(mini.notebook.read_text())
    for cell in reference["cells"]:
        cell["metadata"].pop("tags", None)
    reference["metadata"].pop("grader")
    found = identify(reference, [mini])
    assert found.assignment == mini and "text matches" in found.how


def test_unrelated_notebook_is_unknown(mini):
    unrelated = notebook(code("print('hello world, completely different homework about pandas')"))
    assert identify(unrelated, [mini]).assignment is None



# ------------------------------------------------------------------ identification by what students keep


def bundled():
    from grader.core.assignment import load_assignments
    from tests.conftest import ROOT

    return load_assignments(ROOT / "solutions")


def released_markdown(assignment) -> list:
    """The markdown cells of the assignment's released notebook, tags and metadata stripped."""
    released = nbformat.read(assignment.student_notebook, as_version=4)
    cells = [cell for cell in released.cells if cell.cell_type == "markdown"]
    for cell in cells:
        cell.metadata = {}
    return cells


def plain(*cells) -> dict:
    """A notebook as a student's copy would be: no grader metadata, no tags."""
    nb = nbformat.v4.new_notebook(cells=list(cells))
    return json.loads(nbformat.writes(nb))


STUDENT_CODE = "import torch\nfrom torch import nn\nmodel = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))"


@pytest.mark.parametrize("assignment", bundled(), ids=lambda a: a.id)
def test_a_notebook_that_keeps_only_the_released_markdown_is_identified(assignment):
    found = identify(plain(*released_markdown(assignment), nbformat.v4.new_code_cell(STUDENT_CODE)), bundled())
    assert found.assignment is not None and found.assignment.id == assignment.id


@pytest.mark.parametrize("assignment", bundled(), ids=lambda a: a.id)
def test_a_notebook_that_keeps_a_few_exercise_headings_only_is_identified_by_them(assignment):
    from nbformat.v4 import new_code_cell, new_markdown_cell

    headings = [cell.source.splitlines()[0] for cell in released_markdown(assignment) if cell.source.startswith("## Exercise")]
    cells = [c for heading in headings[:3] for c in (new_markdown_cell(heading), new_code_cell(STUDENT_CODE))]
    found = identify(plain(*cells), bundled())
    assert found.assignment is not None and found.assignment.id == assignment.id
    assert found.how.startswith("it keeps ") and "of this assignment's headings" in found.how
    one = identify(plain(*cells[:2]), bundled())  # a single heading is not enough
    assert one.assignment is None


def test_an_unrelated_notebook_with_a_shared_or_single_heading_is_still_unknown(mini):
    from nbformat.v4 import new_code_cell, new_markdown_cell

    unrelated = plain(
        new_markdown_cell("# Homework 3: house prices with pandas\nWe fit a regression model to the data."),
        new_markdown_cell("## Exercise 1: load the data"),
        new_code_cell("import pandas as pd\nprices = pd.read_csv('houses.csv')"),
        new_markdown_cell("## Exercise 3: loss function and optimizer"),  # in three bundled assignments: tells none apart
        new_markdown_cell("## Train the network"),  # one heading of the blobs mini-project only
        new_code_cell(STUDENT_CODE),
    )
    found = identify(unrelated, [*bundled(), mini])
    assert found.assignment is None and found.how == "no metadata, tags, text or headings matched any assignment"
