"""The parts of `grade package` that run no kernel: the kernel's packages, setup.sh, the derived secret, the CLI."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from grader.cli.commands import main
from grader.core.assignment import load_assignment
from grader.core.secret import DERIVED_FILE, SecretMissing, derive_assignment_secret, hidden_generator, hidden_rng_of, read_secret
from grader.platforms.bundle import PackageError, grader_torch_version, kernel_packages, setup_script
from tests.conftest import ROOT

SOLUTION = ROOT / "solutions" / "classification-exercises"


def _with_environment(environment):
    return dataclasses.replace(load_assignment(SOLUTION), environment=environment)


def test_environment_specifiers_make_the_kernel_environment_and_bare_versions_are_only_reported(tmp_path):
    packages = kernel_packages(_with_environment({"torch": ">=2.2,<3", "pandas": ">=2.0", "numpy": "1.26", "tqdm": "~=4.60"}))
    assert packages.torch == "torch>=2.2,<3"
    assert packages.install == ("pandas>=2.0", "tqdm~=4.60")
    assert packages.reported == ("numpy 1.26",)
    script = setup_script(packages, "", "$ROOT/venv", "$HERE")
    assert "built with uv beside the virtualenv): 'pandas>=2.0' 'tqdm~=4.60'" in script and "'torch>=2.2,<3'" in script
    assert '-m grader.platforms warm --root "$HERE"' in script
    assert 'TORCH_INDEX="${NBGRADE_TORCH_INDEX-}"' in script and "reported, not installed: numpy 1.26" in script


def test_without_environment_torch_is_the_graders_own(tmp_path):
    packages = kernel_packages(_with_environment({}))
    assert packages.torch == f"torch=={grader_torch_version()}" and packages.install == () and packages.reported == ()
    with pytest.raises(PackageError, match="Invalid torch index"):
        setup_script(packages, 'https://x" ; rm -rf /', "$ROOT/venv", "$HERE")


def test_the_derived_secret_gives_the_same_draws_and_nothing_else(tmp_path):
    copy = tmp_path / SOLUTION.name
    shutil.copytree(SOLUTION, copy)
    derived = derive_assignment_secret(SOLUTION, SOLUTION.name, SOLUTION / "specs")
    (copy / DERIVED_FILE).write_text(json.dumps(derived))
    assert sorted(derived["draws"]) == ["moons", "spirals"]
    rng = hidden_rng_of(copy, SOLUTION.name)
    assert (rng("moons").rand(5) == hidden_generator(read_secret(SOLUTION), SOLUTION.name, "moons").rand(5)).all()
    with pytest.raises(SecretMissing, match="no hidden draw 'circles'"):
        rng("circles")
    with pytest.raises(SecretMissing, match="grading draws of 'classification-exercises' only"):
        hidden_rng_of(copy, "assignment-6")


def test_a_draw_named_by_an_expression_cannot_be_derived(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "conftest.py").write_text("def draw(hidden_rng, name):\n    return hidden_rng(name)\n")
    (tmp_path / "course-secret").write_text("ab" * 16)
    with pytest.raises(SecretMissing, match="names its hidden draw by an expression"):
        derive_assignment_secret(tmp_path, "x", specs)


def test_package_names_the_fix_for_a_missing_assignment(tmp_path, capsys):
    assert main(["package", "gradescope", str(tmp_path / "nope"), "--out", str(tmp_path / "a.zip")]) == 2
    assert f"error: cannot read {tmp_path / 'nope' / 'assignment.toml'}" in capsys.readouterr().err and not (tmp_path / "a.zip").exists()
