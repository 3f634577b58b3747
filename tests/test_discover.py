import dataclasses
import json

import nbformat

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

