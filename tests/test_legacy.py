"""The import paths of the flat grader/ (before its packages) keep working for one release, and are listed."""

import importlib
import shutil
import subprocess
import sys

import pytest

from grader.cli.commands import main
from grader.core import legacy
from tests.conftest import FIXTURE_SOLUTIONS, ROOT

MINI = FIXTURE_SOLUTIONS / "mini"
OLD_SPEC = ROOT / "tests" / "fixtures" / "legacy" / "test_old_imports.py"
FAST = ["--cell-timeout", "20", "--probe-timeout", "10"]


@pytest.fixture
def old_style_assignment(tmp_path):
    """The mini assignment with one more spec, written against the old flat imports."""
    folder = tmp_path / "solutions" / "mini"
    shutil.copytree(MINI, folder)
    shutil.copytree(FIXTURE_SOLUTIONS.parent / "assignments", tmp_path / "assignments")
    shutil.copy(OLD_SPEC, folder / "specs" / OLD_SPEC.name)
    return folder


def test_an_old_module_path_answers_with_its_new_module_and_a_warning():
    from grader.execute.channel import ProbeError

    sys.modules.pop("grader.channel", None)
    with pytest.warns(DeprecationWarning, match=r"grader\.channel moved to grader\.execute\.channel"):
        old = importlib.import_module("grader.channel")
    with pytest.warns(DeprecationWarning, match=r"grader\.channel\.ProbeError moved to grader\.execute\.channel"):
        assert old.ProbeError is ProbeError


def test_a_package_answers_for_the_old_module_of_its_name():
    from grader.probe.probe import Probe

    with pytest.warns(DeprecationWarning, match=r"grader\.probe\.Probe moved to grader\.probe\.probe\.Probe"):
        from grader.probe import Probe as old
    assert old is Probe
    with pytest.raises(AttributeError, match="has no attribute 'nothing_of_the_kind'"):
        importlib.import_module("grader.probe").nothing_of_the_kind


def test_names_split_off_into_the_bottom_layer_are_found_under_their_old_module():
    from grader.core.digests import parameter_digest

    sys.modules.pop("grader.behaviour", None)
    with pytest.warns(DeprecationWarning) as caught:
        from grader.behaviour import parameter_digest as old
    assert old is parameter_digest
    assert [str(w.message).split(";")[0] for w in caught] == [
        "grader.behaviour moved to grader.integrity.behaviour",
        "grader.behaviour.parameter_digest moved to grader.core.digests.parameter_digest",
    ]
    with pytest.raises(AttributeError, match="'grader.behaviour' has no attribute 'nothing'"):
        importlib.import_module("grader.behaviour").nothing


def test_the_old_console_entry_point_still_runs():
    run = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", "from grader.cli import main; raise SystemExit(main(['--help']))"],
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0 and "usage: grade" in run.stdout


def test_spec_imports_lists_every_import_but_grader_spec(old_style_assignment):
    found = legacy.spec_imports(old_style_assignment)
    assert found == [
        "mini/specs/test_old_imports.py:10: imports grader.channel (now grader.execute.channel); import from grader.spec, the stable API",
        "mini/specs/test_old_imports.py:11: imports grader.probe (now grader.probe.probe); import from grader.spec, the stable API",
        "mini/specs/test_old_imports.py:12: imports grader.results (now grader.core.results); import from grader.spec, the stable API",
    ]
    assert legacy.spec_imports(MINI) == []
    for bundled in sorted((ROOT / "solutions").glob("*/assignment.toml")):
        assert legacy.spec_imports(bundled.parent) == [], "the bundled specs import only from grader.spec"


def test_validate_grades_with_an_old_style_spec_and_lists_its_imports(old_style_assignment, capsys):
    assert main(["validate", str(old_style_assignment), *FAST]) == 1  # 1: the calibration is stale (a new spec)
    captured = capsys.readouterr()
    rows = [line for line in captured.out.splitlines() if line.startswith("│ ") and line.split("│")[1].strip()]
    assert [row.split("│")[1].strip() for row in rows] == ["reference", "blank", "reference", "reference"]
    assert "│ 6 / 6 │" in rows[0] and "│ 0 / 6 │" in rows[1], "the old-style spec's checks ran: 2 more points"
    assert [row.split("│")[8].strip() for row in rows] == ["ok"] * 4
    deprecated = [line for line in captured.out.splitlines() if line.startswith("deprecated: ")]
    assert len(deprecated) == 3 and "imports grader.probe (now grader.probe.probe)" in deprecated[1]
    violations = [line for line in captured.out.splitlines() if line.startswith("violation: ")]
    assert violations and all("calibrat" in line for line in violations), violations


def test_calibrate_lists_the_old_imports_before_it_runs(old_style_assignment, capsys):
    assert main(["calibrate", str(old_style_assignment), "--seeds", "1", "--draws", "1", *FAST]) in (0, 1)
    err = capsys.readouterr().err
    deprecated = [line for line in err.splitlines() if line.startswith("deprecated: ")]
    assert len(deprecated) == 3 and "grader.channel" in deprecated[0]
    assert err.index("deprecated: ") < err.index("seeds x")
