"""Kernel environments: the packages an assignment pins (`[environment]` specifiers), built once with uv.

An environment is an *overlay* virtualenv made by `uv venv` on the grader's own
interpreter: its site-packages holds only the pinned distributions, and a `.pth`
file adds the grader environment's site-packages after them, so torch, NumPy and
ipykernel come from the grader's environment (nothing heavy is downloaded or
copied) while a pinned `torchmetrics<0.11` shadows the grader's torchmetrics.

Before it is used, the environment is checked: each pinned distribution's own
requirements against the combined environment, and an import of each in the
environment's Python (a set that resolves but is broken, such as a package built
for NumPy 1 on NumPy 2, is refused with the import error). It is built in a
temporary folder renamed into place under a lock, so a concurrent or killed build
never leaves half an environment, and cached under the user's cache folder
(`$XDG_CACHE_HOME/nbgrade-torch/envs/<key>`), keyed by the pins, the Python and the
grader environment's package versions: a warm start only reads its manifest.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from grader.execute.sandbox import BASE_ROOTS_FILE, python_roots

MANIFEST = "nbgrade-environment.json"  # written last: a folder without it is not an environment
Pins = tuple[tuple[str, str], ...]

# Run in the environment's Python: every pinned distribution present in a version its specifier allows,
# its requirements met by the combined environment, and each of its top-level modules importable.
_CHECK = r"""
import importlib, json, sys, traceback
from importlib import metadata
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
pins = json.loads(sys.argv[1])
owners = metadata.packages_distributions()
versions, problems = {}, []
def normal(name):
    return name.lower().replace("_", "-").replace(".", "-")
for package, specifier in pins:
    try:
        version = metadata.version(package)
    except metadata.PackageNotFoundError:
        problems.append(f"{package} {specifier}: not installed in the environment")
        continue
    versions[package] = version
    if not SpecifierSet(specifier).contains(version, prereleases=True):
        problems.append(f"{package} {specifier}: the environment has {version}")
    for line in metadata.requires(package) or []:
        need = Requirement(line)
        if need.marker is not None and not need.marker.evaluate({"extra": ""}):
            continue
        try:
            have = metadata.version(need.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{package} {version} requires {need}, which is not installed: pin it in [environment]")
            continue
        if not need.specifier.contains(have, prereleases=True):
            problems.append(f"{package} {version} requires {need}; the environment has {need.name} {have}")
    modules = sorted(m for m, owner in owners.items() if normal(package) in map(normal, owner)
                     and m.isidentifier() and not m.startswith("_"))
    for module in modules:
        try:
            importlib.import_module(module)
        except BaseException as exc:
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            problems.append(f"{package} {version}: `import {module}` fails: {last}")
print(json.dumps({"versions": versions, "problems": problems}))
"""


class EnvironmentProblem(ValueError):
    """The kernel environment that `[environment]` asks for cannot be built, or is broken: the reason and the fix."""


@dataclass(frozen=True)
class KernelEnvironment:
    """A built kernel environment: where it is, what it was built for, and what it holds."""

    key: str  # the hash of the pins, the Python and the grader environment's package versions
    prefix: Path
    pins: Pins
    versions: dict[str, str] = field(default_factory=dict)  # each pinned distribution's installed version
    build_seconds: float = 0.0  # how long building it took (when it was built)
    built: bool = False  # True when this call built it, False when it came from the cache

    @property
    def python(self) -> str:
        return str(self.prefix / "bin" / "python")


CACHE_VARIABLE = "NBGRADE_ENV_CACHE"  # where a platform package keeps them: beside its virtualenv, readable by kernels


def cache_root() -> Path:
    """Where environments are kept: `$NBGRADE_ENV_CACHE`, else `$XDG_CACHE_HOME/nbgrade-torch/envs`, else
    `~/.cache/nbgrade-torch/envs`."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nbgrade-torch" / "envs"


@functools.lru_cache(maxsize=1)
def _grader_packages() -> tuple[str, ...]:
    """`name==version` of every distribution of the grader's environment, sorted (part of the key)."""
    return tuple(sorted({f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions()}))


def _grader_site_packages() -> list[str]:
    """The grader's site-packages folders, which the environment's Python reads after its own."""
    return [path for path in site.getsitepackages() if os.path.isdir(path)]


def environment_key(pins: Pins) -> str:
    """The cache key of an environment for `pins` on this grader: a hash of everything it depends on."""
    identity = {
        "pins": [list(pin) for pin in sorted(pins)],
        "python": sys.version,
        "executable": os.path.realpath(sys.executable),
        "base": _grader_site_packages(),
        "packages": list(_grader_packages()),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def ensure_environment(pins: Pins, root: Path | None = None) -> KernelEnvironment:
    """The environment for `pins`, from the cache or built now; raise EnvironmentProblem naming the package and why."""
    root = root or cache_root()
    key = environment_key(pins)
    cached = _load(root / key)
    if cached is not None:
        return cached
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{key}.lock", "w") as lock:  # concurrent graders: one builds, the others wait and reuse it
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = _load(root / key)
        return cached if cached is not None else _build(pins, key, root)


def _load(prefix: Path) -> KernelEnvironment | None:
    """The environment recorded in `prefix`'s manifest, or None when there is none (not built, or half built)."""
    try:
        manifest = json.loads((prefix / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pins = tuple((str(p), str(s)) for p, s in manifest["pins"])
    return KernelEnvironment(manifest["key"], prefix, pins, dict(manifest["versions"]), float(manifest["build_seconds"]))


def _build(pins: Pins, key: str, root: Path) -> KernelEnvironment:
    """Build the environment in a temporary folder, check it, and rename it into place."""
    started = time.perf_counter()
    building = Path(tempfile.mkdtemp(prefix=f".building-{key}-", dir=root))
    try:
        _uv("venv", "--quiet", "--python", sys.executable, str(building))
        _add_grader_packages(building)
        _uv("pip", "install", "--quiet", "--python", str(building / "bin" / "python"), "--no-deps",
            *(f"{package}{specifier}" for package, specifier in pins), pins=pins)
        versions = _check(building, pins)
        seconds = round(time.perf_counter() - started, 2)
        manifest = {"key": key, "pins": [list(p) for p in pins], "versions": versions, "build_seconds": seconds,
                    "python": sys.version.split()[0], "grader_python": sys.executable}
        (building / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        building.chmod(0o755)  # mkdtemp made it private to the grader; kernels read it
        os.rename(building, root / key)  # atomic: readers see all of it or nothing
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return KernelEnvironment(key, root / key, pins, versions, seconds, built=True)


def _uv(*arguments: str, pins: Pins = ()) -> None:
    """Run uv; raise EnvironmentProblem with uv's own reason when it fails."""
    from uv import find_uv_bin  # a dependency of the grader; imported here so that importing this module stays cheap

    run = subprocess.run([find_uv_bin(), *arguments], capture_output=True, text=True, timeout=600, check=False)
    if run.returncode != 0:
        asked = ", ".join(f"{package} {specifier}" for package, specifier in pins) or "the environment"
        reason = " ".join(run.stderr.split())[:800]
        raise EnvironmentProblem(
            f"cannot install {asked} for the kernel ([environment] in assignment.toml): {reason}; "
            "change the specifier to versions that exist for this Python"
        )


def _add_grader_packages(prefix: Path) -> None:
    """Make the environment's Python read the grader's site-packages after its own, and tell the sandbox to bind them.

    `site.addsitedir` (rather than a bare path) also runs the `.pth` files there, as the grader's Python does.
    """
    site_packages = next((prefix / "lib").glob("python*/site-packages"))
    lines = [f"import site; site.addsitedir({path!r})" for path in _grader_site_packages()]
    (site_packages / "zz_nbgrade_grader_packages.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")
    roots = [str(p) for p in python_roots(sys.executable)]
    (prefix / BASE_ROOTS_FILE).write_text(json.dumps(roots), encoding="utf-8")


def _check(prefix: Path, pins: Pins) -> dict[str, str]:
    """The pinned distributions' versions; raise EnvironmentProblem when a requirement is unmet or an import fails."""
    report = _run_check(prefix, pins)
    if report["problems"]:
        raise EnvironmentProblem(
            "the kernel environment that [environment] in assignment.toml asks for is broken: "
            + "; ".join(report["problems"]) + "; pin versions that work together (or pin what they need too)"
        )
    return dict(report["versions"])


def _run_check(prefix: Path, pins: Pins) -> dict[str, Any]:
    """What `_CHECK` reports from the environment's own Python (outside the sandbox, as the grader's user)."""
    command = [str(prefix / "bin" / "python"), "-I", "-c", _CHECK, json.dumps([list(p) for p in pins])]
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(prefix), "PYTHONNOUSERSITE": "1"}
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=prefix, env=environment, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentProblem(f"the kernel environment's Python could not run its check: {exc}") from None
    try:
        report: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise EnvironmentProblem(
            f"the kernel environment's Python failed its check (status {run.returncode}): {run.stderr.strip()[-800:]}"
        ) from None
    return report
