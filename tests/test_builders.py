"""The reference notebooks and demo submissions are what the builder scripts write (cell ids aside).

The committed files are the source of truth; this test says the builders still agree with them, so
that changing one without the other shows up.
"""

import importlib.util
import json
import shutil
import sys

import pytest

from tests.conftest import ROOT

BUILDERS = {
    "classification-exercises": "build_classification_notebooks",
    "assignment-6": "build_assignment6_notebooks",
    "blobs-mini-project": "build_blobs_mini_project_notebooks",
}


def _comparable(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".ipynb":
        return text
    nb = json.loads(text)
    for cell in nb["cells"]:
        cell.pop("id", None)  # random per build
    return nb


@pytest.mark.parametrize("assignment", sorted(BUILDERS))  # digits-cnn has no builder: written by hand
def test_builder_reproduces_the_committed_notebooks(assignment, tmp_path, monkeypatch):
    for folder in ("specs", "public_specs"):
        shutil.copytree(ROOT / "solutions" / assignment / folder, tmp_path / "solutions" / assignment / folder)
    shutil.copy(ROOT / "solutions" / assignment / "assignment.toml", tmp_path / "solutions" / assignment)
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    name = BUILDERS[assignment]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    written = module.build_all(tmp_path)
    assert written
    differ = [
        str(path.relative_to(tmp_path))
        for path in written
        if _comparable(path) != _comparable(ROOT / path.relative_to(tmp_path))
    ]
    assert not differ, f"the builder writes something else than the committed files: {differ}"
