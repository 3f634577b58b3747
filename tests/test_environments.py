"""Kernel environments: `[environment]` specifiers built with uv, checked, cached, and the kernels that run in them.

The builds install real packages from PyPI (small ones: torchmetrics, setuptools, bottleneck; torch and NumPy
come from the grader's environment): they skip, saying why, where PyPI cannot be reached.
"""

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest

from grader.core.assignment import AssignmentError
from grader.core.kernel_needs import kernel_settings, with_kernel_pins
from grader.core.settings import KERNEL_STARTS, ExecuteSettings
from grader.execute import environments, sandbox
from grader.execute.environments import MANIFEST, EnvironmentProblem, ensure_environment, environment_key
from grader.cli.commands import main
from grader.core.results import SubmissionResult
from tests.conftest import FAST, FIXTURE_SOLUTIONS, ROOT, code, live_kernel, notebook, report_submissions, write

# torchmetrics 0.10.3 (the last before `task` became required) imports pkg_resources, which setuptools 81 dropped
COURSE_PINS = (("setuptools", "<81"), ("torchmetrics", "<0.11"))


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


needs_pypi = pytest.mark.skipif(not _pypi_reachable(), reason="PyPI is not reachable from here: the builds install from it")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """The user's cache folder, a fresh one for this module: the first build is really a build."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield environments.cache_root()


@pytest.fixture(scope="module")
def course_env(cache):
    """The classification course's environment, built cold once for the module."""
    started = time.perf_counter()
    built = ensure_environment(COURSE_PINS)
    return built, time.perf_counter() - started


@needs_pypi
def test_a_cold_build_installs_only_the_pins_and_a_warm_one_reuses_the_cache(course_env, cache):
    built, _ = course_env
    assert built.built and built.versions["torchmetrics"].startswith("0.10.")
    assert built.prefix == cache / environment_key(COURSE_PINS)
    site_packages = next(built.prefix.glob("lib/python*/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site_packages.glob("*.dist-info")}
    assert installed == {"setuptools", "torchmetrics"}  # torch and NumPy are read from the grader's environment
    started = time.perf_counter()
    again = ensure_environment(COURSE_PINS)
    assert not again.built and again.prefix == built.prefix and again.versions == built.versions  # no uv call
    assert time.perf_counter() - started < 1.0
    assert not list(cache.glob(".building-*"))  # nothing half built left behind


@needs_pypi
def test_a_half_built_folder_is_not_an_environment(course_env, cache):
    built, _ = course_env
    manifest = json.loads((built.prefix / MANIFEST).read_text())
    assert environments._load(built.prefix).key == manifest["key"]
    (built.prefix / MANIFEST).rename(built.prefix / "moved")
    try:
        assert environments._load(built.prefix) is None
    finally:
        (built.prefix / "moved").rename(built.prefix / MANIFEST)


def test_the_key_changes_with_the_pins_and_not_with_their_order():
    assert environment_key(COURSE_PINS) == environment_key(tuple(reversed(COURSE_PINS)))
    assert environment_key(COURSE_PINS) != environment_key((("torchmetrics", "<0.12"),))


@needs_pypi
@pytest.mark.parametrize("start", KERNEL_STARTS)
def test_a_kernel_in_the_environment_imports_the_pinned_version_and_stays_sandboxed(course_env, tmp_path, start):
    built, _ = course_env
    site_packages = next(built.prefix.glob("lib/python*/site-packages"))
    nb = notebook(
        code("import torchmetrics, torch\nprint(torchmetrics.__version__, torch.__version__)"),
        code("from torchmetrics import Accuracy\nprint(float(Accuracy()(torch.tensor([0.9, 0.2]), torch.tensor([1, 0]))))"),
        code(f"import os\nprint(os.path.exists({str(ROOT / 'solutions')!r}), os.access({str(site_packages)!r}, os.W_OK))"),
    )
    settings = ExecuteSettings(kernel_start=start, kernel_pins=COURSE_PINS)
    for live in live_kernel(nb, tmp_path, settings):
        cells = live.result.cells
        assert [c.status for c in cells] == ["ok", "ok", "ok"], [c.evalue for c in cells]
        assert cells[0].stdout.split() == [built.versions["torchmetrics"], metadata.version("torch")]
        assert cells[1].stdout == "1.0\n"  # the 0.x API: Accuracy() without `task`
        assert live.result.versions["torchmetrics"] == built.versions["torchmetrics"]
        # in the sandbox the specs stay invisible and the environment is read-only
        if sandbox.bubblewrap_works():
            assert cells[2].stdout.split() == ["False", "False"]


@needs_pypi
def test_a_pin_that_cannot_be_satisfied_is_refused_with_the_package_and_the_reason(cache):
    with pytest.raises(EnvironmentProblem, match=r"cannot install torchmetrics >=99\.0 .*torchmetrics>=99\.0.* unsatisfiable"):
        ensure_environment((("torchmetrics", ">=99.0"),))
    assert not list(cache.glob(".building-*"))


@needs_pypi
def test_a_set_that_resolves_but_does_not_import_is_refused_with_the_import_error(cache):
    # bottleneck 1.3 is built against NumPy 1; the grader's environment has NumPy 2
    with pytest.raises(EnvironmentProblem, match=r"bottleneck 1\.3\.\d+: `import bottleneck` fails: ImportError: numpy"):
        ensure_environment((("bottleneck", "<1.4"),))
    # torchmetrics 0.10 imports pkg_resources without declaring setuptools: only the import finds that out
    with pytest.raises(EnvironmentProblem, match=r"`import torchmetrics` fails: ModuleNotFoundError: No module named 'pkg_resources'"):
        ensure_environment((("torchmetrics", "<0.11"),))


def test_an_assignments_specifiers_reach_the_kernel_settings_and_bare_versions_do_not(mini):
    pinned = dataclasses.replace(mini, environment={"torchmetrics": "<0.11", "setuptools": "<81", "torch": "2.1"})
    assert pinned.kernel_pins() == COURSE_PINS
    settings = kernel_settings(ExecuteSettings(), [pinned])
    assert settings.kernel_pins == COURSE_PINS and settings == dataclasses.replace(ExecuteSettings(), kernel_pins=COURSE_PINS)


def test_two_assignments_pinning_a_package_differently_are_refused(mini):
    one = dataclasses.replace(mini, environment={"torchmetrics": "<0.11"})
    other = dataclasses.replace(mini, id="other", environment={"torchmetrics": ">=1", "torch": "2.1"})
    with pytest.raises(AssignmentError, match="needs torchmetrics >=1 in the kernel but mini needs torchmetrics <0.11"):
        with_kernel_pins(ExecuteSettings(), [one, other])
    assert with_kernel_pins(ExecuteSettings(), [mini]).kernel_pins == ()  # no specifiers: the grader's own kernel


def test_the_cache_lives_under_the_users_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert environments.cache_root() == tmp_path / "nbgrade-torch" / "envs"


def _pinned_mini(tmp_path, pins: str):
    """A copy of the mini assignment whose assignment.toml pins `pins` (TOML lines) for the kernel."""
    solutions = tmp_path / "solutions"
    shutil.copytree(FIXTURE_SOLUTIONS / "mini", solutions / "mini")
    toml = solutions / "mini" / "assignment.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f"\n[environment]\n{pins}\n", encoding="utf-8")
    return solutions


@needs_pypi
def test_a_graded_batch_runs_in_the_environment_and_records_it(course_env, tmp_path):
    from grader.pipeline import BatchOptions, grade_folder

    built, _ = course_env
    solutions = _pinned_mini(tmp_path, 'torchmetrics = "<0.11"\nsetuptools = "<81"')
    imports = code("import torch\nfrom torch import nn", "locked")
    square = code("import torchmetrics\n\ndef square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))\nprint(torchmetrics.__version__)", "ex2")
    write(notebook(imports, code("layer = nn.Linear(2, 1)", "ex1"), square, assignment="mini"), tmp_path / "in" / "ada" / "mini.ipynb")
    summary = grade_folder(tmp_path / "in", BatchOptions(tmp_path / "out", solutions, FAST))
    result = summary.results[0]
    failed = [c.message for e in result.exercises for c in e.checks if c.outcome != "passed"]
    assert (result.status, failed) == ("graded", [])
    assert result.execution.cells[-1].stdout.splitlines()[-1] == built.versions["torchmetrics"]
    assert result.execution.versions["torchmetrics"] == built.versions["torchmetrics"]
    stored = json.loads(next((tmp_path / "out").rglob("result.json")).read_text())
    assert (stored["environment"], stored["environment_versions"]) == (built.key, built.versions)
    old = {k: v for k, v in stored.items() if k not in ("environment", "environment_versions")}
    assert SubmissionResult.from_dict(old).environment == ""  # results written before the field still load


@needs_pypi
def test_a_batch_whose_pin_cannot_be_satisfied_is_refused_before_grading(cache, tmp_path, capsys):
    solutions = _pinned_mini(tmp_path, 'torchmetrics = ">=99.0"')
    report_submissions(tmp_path / "in")
    out = tmp_path / "out"
    assert main([str(tmp_path / "in"), "--solutions", str(solutions), "--out", str(out), "--quiet"]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert error.startswith("error: cannot install torchmetrics >=99.0 for the kernel ([environment] in assignment.toml)")
    assert "unsatisfiable" in error and not (out / "gradebook.sqlite").exists()


@needs_pypi
def test_concurrent_builders_build_once(tmp_path):
    # two graders starting at once on an empty cache: one builds under the lock, the other waits and reuses it
    script = (
        "import json, sys\n"
        "from grader.execute.environments import ensure_environment\n"
        "built = ensure_environment(((sys.argv[1], sys.argv[2]),))\n"
        "print(json.dumps([str(built.prefix), built.built]))\n"
    )
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    builders = [
        subprocess.Popen([sys.executable, "-c", script, "tqdm", "<4.66"], stdout=subprocess.PIPE, text=True, env=environment)
        for _ in range(2)
    ]
    answers = [json.loads(builder.communicate(timeout=300)[0]) for builder in builders]
    assert answers[0][0] == answers[1][0] and sorted(built for _, built in answers) == [False, True]
    envs = tmp_path / "nbgrade-torch" / "envs"
    assert [p.name for p in envs.iterdir() if p.is_dir()] == [Path(answers[0][0]).name]  # no half-built folder left


@needs_pypi
@pytest.mark.parametrize("backend", ["pool", "dask"])
def test_pool_and_dask_workers_grade_in_the_same_environment(course_env, tmp_path, backend):
    from grader.pipeline import BatchOptions, grade_folder

    built, _ = course_env
    solutions = _pinned_mini(tmp_path, 'torchmetrics = "<0.11"\nsetuptools = "<81"')
    cells = [code("import torch\nfrom torch import nn", "locked"), code("layer = nn.Linear(2, 1)", "ex1"),
             code("import torchmetrics\n\ndef square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))", "ex2")]
    for student in ("ada", "bob"):
        write(notebook(*cells, assignment="mini"), tmp_path / "in" / student / "mini.ipynb")
    if backend == "pool":
        summary = grade_folder(tmp_path / "in", BatchOptions(tmp_path / "out", solutions, FAST, workers=2))
    else:
        distributed = pytest.importorskip("distributed")
        # the workers inherit this process's environment, the module's cache folder included
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            summary = grade_folder(tmp_path / "in", BatchOptions(tmp_path / "out", solutions, FAST, dask=cluster.scheduler_address))
    assert [(r.status, r.environment, r.environment_versions) for r in summary.results] == [("graded", built.key, built.versions)] * 2
    assert [r.execution.versions["torchmetrics"] for r in summary.results] == [built.versions["torchmetrics"]] * 2


def test_the_report_names_the_kernel_environment(tmp_path):
    from grader.report.html import render_submission

    result = SubmissionResult("ada", "ada", "ada/mini.ipynb", "mini", "Mini", "metadata", "graded", "", 4, 4,
                              environment="f6e05adc10defd0a", environment_versions={"torchmetrics": "0.10.3", "setuptools": "80.10.2"})
    page = " ".join(render_submission(result, "ta").split())
    assert ("<dt>Kernel environment</dt> <dd>built for the assignment's <code>[environment]</code> pins: "
            "<code>setuptools</code> 80.10.2, <code>torchmetrics</code> 0.10.3 (<code>f6e05adc10defd0a</code>)</dd>") in page
    assert "Kernel environment" not in render_submission(dataclasses.replace(result, environment="", environment_versions={}), "ta")


def _graded_with_spy(tmp_path, monkeypatch, cells):
    """Grade one notebook of `cells` for the pinned mini; the result and how many times it was executed."""
    from grader.execute import fallback
    from grader.pipeline import BatchOptions, grade_folder

    executions = []
    real = fallback.run_notebook

    def counted(nb, settings, kernel=None):  # the real execution, counted: which Python each run used
        executions.append(settings.kernel_pins)
        return real(nb, settings, kernel)

    monkeypatch.setattr(fallback, "run_notebook", counted)
    solutions = _pinned_mini(tmp_path, 'torchmetrics = "<0.11"\nsetuptools = "<81"')
    write(notebook(code("import torch\nfrom torch import nn\nimport torchmetrics", "locked"),
                   code("layer = nn.Linear(2, 1)", "ex1"), *cells, assignment="mini"), tmp_path / "in" / "ada" / "mini.ipynb")
    summary = grade_folder(tmp_path / "in", BatchOptions(tmp_path / "out", solutions, FAST, workers=1))  # in this process
    return summary.results[0], executions


SQUARE = "def square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))"


def _failed(result):
    return [c.message for e in result.exercises for c in e.checks if c.outcome != "passed"]


@needs_pypi
def test_a_notebook_written_for_the_newer_api_falls_back_to_the_graders_environment_and_passes(course_env, tmp_path, monkeypatch):
    built, _ = course_env
    # torchmetrics 1.x's form: 0.10 asserts top_k is an int inside Accuracy.__new__, so square is never defined there
    newer = code('metric = torchmetrics.Accuracy(task="multiclass", num_classes=3)\n' + SQUARE, "ex2")
    result, executions = _graded_with_spy(tmp_path, monkeypatch, [newer])
    assert (result.status, _failed(result)) == ("graded", [])
    assert executions == [COURSE_PINS, ()]  # once in the course's environment, once in the grader's
    choice = result.environment_choice
    grader_version = metadata.version("torchmetrics")
    assert (choice.graded_in, choice.cell, choice.package, choice.failing_course, choice.failing_grader) == (
        "grader", 4, f"torchmetrics {built.versions['torchmetrics']}", 1, 0)
    assert result.execution.versions["torchmetrics"] == grader_version and choice.grader_versions == {"torchmetrics": grader_version}
    assert (result.environment, result.environment_versions) == ("", {})  # the kept kernel had no kernel environment
    assert choice.reason.startswith(
        f"graded in the grader's environment (torchmetrics {grader_version}): in the course's "
        f"(torchmetrics {built.versions['torchmetrics']}), cell 4 raised inside torchmetrics: AssertionError")
    assert choice.reason in result.notes and choice.fallback_seconds > 0
    stored = json.loads(next((tmp_path / "out").rglob("result.json")).read_text())
    assert SubmissionResult.from_dict(stored).environment_choice == choice


@needs_pypi
def test_a_notebook_written_for_the_old_api_stays_in_the_courses_environment(course_env, tmp_path, monkeypatch):
    built, _ = course_env
    older = code("metric = torchmetrics.Accuracy()\n" + SQUARE, "ex2")  # 0.x form: raises in torchmetrics 1.x
    result, executions = _graded_with_spy(tmp_path, monkeypatch, [older])
    assert (result.status, _failed(result), executions) == ("graded", [], [COURSE_PINS])
    assert (result.environment_choice.graded_in, result.environment_choice.reason) == ("course", "")
    assert (result.environment, result.environment_versions) == (built.key, built.versions)


@needs_pypi
def test_a_notebook_whose_own_code_raises_is_executed_once(course_env, tmp_path, monkeypatch):
    own = code("def square(x):\n    return x * x\nraise ValueError('my own mistake')", "ex2")
    also = code("torch.zeros(2) @ torch.zeros(3)", "ex2")  # raises inside torch, which the course does not pin
    result, executions = _graded_with_spy(tmp_path, monkeypatch, [own, also])
    assert [c.ename for c in result.execution.cells if c.status == "error"] == ["ValueError", "RuntimeError"]
    assert executions == [COURSE_PINS]
    choice = result.environment_choice
    assert (choice.graded_in, choice.failing_grader, choice.fallback_seconds, choice.reason) == ("course", -1, 0.0, "")


@needs_pypi
def test_a_tie_keeps_the_courses_environment(course_env, tmp_path, monkeypatch):
    built, _ = course_env
    # raises inside torchmetrics 0.10 (the 1.x form) and inside the grader's (the 0.x form): one failing cell each
    both = code('torchmetrics.Accuracy(task="multiclass", num_classes=3)', "ex1")
    other = code("torchmetrics.Accuracy()\n" + SQUARE, "ex2")
    result, executions = _graded_with_spy(tmp_path, monkeypatch, [both, other])
    assert executions == [COURSE_PINS, ()]
    choice = result.environment_choice
    assert (choice.graded_in, choice.failing_course, choice.failing_grader) == ("course", 1, 1)
    assert result.execution.versions["torchmetrics"] == built.versions["torchmetrics"]
    assert choice.reason.startswith(f"graded in the course's environment (torchmetrics {built.versions['torchmetrics']}): cell 4")


def test_the_environment_choice_is_reloaded_defensively_and_reported(tmp_path):
    from grader.core.results import EnvironmentChoice
    from grader.report.html import render_submission

    reason = ("graded in the grader's environment (torchmetrics 1.9.0): in the course's (torchmetrics 0.10.3), "
              "cell 14 raised inside torchmetrics: TypeError: boom")
    result = SubmissionResult("ada", "ada", "ada/mini.ipynb", "mini", "Mini", "metadata", "graded", "", 4, 4,
                              environment_choice=EnvironmentChoice("grader", reason, 14, "torchmetrics 0.10.3",
                                                                   "TypeError: boom", 3, 0, {"torchmetrics": "1.9.0"}, 12.5))
    assert SubmissionResult.from_json(result.to_json()) == result
    page = " ".join(render_submission(result, "ta").split())
    assert f"<dt>Graded in</dt> <dd>{reason.replace(chr(39), '&#39;')}</dd>" in page
    broken = {**result.to_dict(), "environment_choice": {"graded_in": "elsewhere", "cell": "14", "grader_versions": [1]}}
    assert SubmissionResult.from_dict(broken).environment_choice == EnvironmentChoice()
    assert SubmissionResult.from_dict({**result.to_dict(), "environment_choice": None}).environment_choice == EnvironmentChoice()
    assert "Graded in" not in render_submission(dataclasses.replace(result, environment_choice=EnvironmentChoice()), "ta")
