"""Kernel environments: `[environment]` specifiers built with uv, checked, cached, and the kernels that run in them.

The builds install real packages from PyPI (small ones: torchmetrics, setuptools, bottleneck; torch and NumPy
come from the grader's environment): they skip, saying why, where PyPI cannot be reached.
"""

import dataclasses
import json
import socket
import time
from importlib import metadata

import pytest

from grader.core.assignment import AssignmentError, kernel_settings, load_assignment, with_kernel_pins
from grader.core.settings import KERNEL_STARTS, ExecuteSettings
from grader.execute import environments, sandbox
from grader.execute.environments import MANIFEST, EnvironmentProblem, ensure_environment, environment_key
from tests.conftest import ROOT, code, live_kernel, notebook

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


def test_the_course_declares_the_versions_it_was_written_for():
    course = load_assignment(ROOT / "solutions" / "classification-exercises")
    assert course.kernel_pins() == COURSE_PINS
    assert kernel_settings(ExecuteSettings(), [course]).kernel_pins == COURSE_PINS


def test_two_assignments_pinning_a_package_differently_are_refused(mini):
    one = dataclasses.replace(mini, environment={"torchmetrics": "<0.11"})
    other = dataclasses.replace(mini, id="other", environment={"torchmetrics": ">=1", "torch": "2.1"})
    with pytest.raises(AssignmentError, match="needs torchmetrics >=1 in the kernel but mini needs torchmetrics <0.11"):
        with_kernel_pins(ExecuteSettings(), [one, other])
    assert with_kernel_pins(ExecuteSettings(), [mini]).kernel_pins == ()  # no specifiers: the grader's own kernel


def test_the_cache_lives_under_the_users_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert environments.cache_root() == tmp_path / "nbgrade-torch" / "envs"
