"""The import paths of the flat `grader/` before its packages, kept working for one release.

Until the grader became packages (core, intake, execute, inside, probe, check, ...), every module
sat in `grader/` itself, and instructors' specs import from there: `grader.probe`, `grader.channel`.
Those paths still work, with a DeprecationWarning: a module that is now a package answers for the
old module's names (its `__getattr__` calls `attribute`), and any other old module is an alias of
its new home (`install` adds a finder to `sys.meta_path`). Specs should import from `grader.spec`
only; `grade validate` and `grade calibrate` list every spec that does not (`spec_imports`).

Only the standard library is imported here, and the new modules only when an old path is used.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

# old module -> its new home
MOVED = {
    "grader.assignment": "grader.core.assignment",
    "grader.results": "grader.core.results",
    "grader.secret": "grader.core.secret",
    "grader.files": "grader.core.files",
    "grader.feedback": "grader.core.feedback",
    "grader.settings": "grader.core.settings",
    "grader.discover": "grader.intake.discover",
    "grader.intake": "grader.intake.lms",
    "grader.lateness": "grader.intake.lateness",
    "grader.tamper": "grader.intake.tamper",
    "grader.execute": "grader.execute.notebook",
    "grader.kernels": "grader.execute.kernels",
    "grader.template": "grader.execute.template",
    "grader.sandbox": "grader.execute.sandbox",
    "grader.channel": "grader.execute.channel",
    "grader.probe": "grader.probe.probe",
    "grader.resolve": "grader.probe.resolve",
    "grader.sections": "grader.probe.sections",
    "grader.figure_requests": "grader.probe.figure_requests",
    "grader.check": "grader.check.collector",
    "grader.spec": "grader.check.helpers",
    "grader.record": "grader.record.gradebook",
    "grader.plots": "grader.report.plots",
    "grader.report": "grader.report.html",
    "grader.review": "grader.review.overlay",
    "grader.record_review": "grader.review.book",
    "grader.changes": "grader.review.changes",
    "grader.serve": "grader.review.serve",
    "grader.export": "grader.review.export",
    "grader.integrity": "grader.integrity.evidence",
    "grader.similarity": "grader.integrity.similarity",
    "grader.code_documents": "grader.integrity.code_documents",
    "grader.behaviour": "grader.integrity.behaviour",
    "grader.release": "grader.authoring.release",
    "grader.validate": "grader.authoring.validate",
    "grader.calibrate": "grader.authoring.calibrate",
    "grader.calibration": "grader.authoring.calibration",
    "grader.selfcheck": "grader.authoring.selfcheck",
    "grader.cli": "grader.cli.commands",  # `grade = "grader.cli:main"` of older installs still runs
    "grader.cli_authoring": "grader.cli.authoring",
    "grader.cli_options": "grader.cli.options",
    "grader.cli_review": "grader.cli.review",
    "grader.console": "grader.cli.console",
}
# Names that moved out of their old module into the bottom layer (old module, name) -> new module.
SPLIT = {
    ("grader.spec", "class_labels"): "grader.core.outputs",
    ("grader.spec", "class_scores"): "grader.core.outputs",
    ("grader.behaviour", "PROBE_POINTS"): "grader.core.digests",
    ("grader.behaviour", "ROUNDING"): "grader.core.digests",
    ("grader.behaviour", "prediction_record"): "grader.core.digests",
    ("grader.behaviour", "parameter_digest"): "grader.core.digests",
    ("grader.behaviour", "output_digest"): "grader.core.digests",
    ("grader.sandbox", "Limits"): "grader.core.settings",
    ("grader.sandbox", "SANDBOX_MODES"): "grader.core.settings",
    ("grader.changes", "Change"): "grader.core.results",
    ("grader.changes", "Regrading"): "grader.core.results",
}
# What a spec may import: the stable API.
SPEC_API = "grader.spec"
_PACKAGES = ("core", "intake", "execute", "inside", "probe", "check", "record", "report", "review",
             "integrity", "authoring", "cli")


def _warn(old: str, new: str) -> None:
    warnings.warn(f"{old} moved to {new}; specs import from grader.spec", DeprecationWarning, stacklevel=3)


def attribute(old: str, name: str) -> Any:
    """The value `name` of the old module `old`, from where it lives now (AttributeError if it never was).

    A package's own submodule comes first: `from grader.execute import template` asks the package
    for the attribute before importing the submodule, and must get the submodule."""
    if name.startswith("__"):  # the import system's own questions (`__path__`, `__wrapped__`): not an old name
        raise AttributeError(f"module {old!r} has no attribute {name!r}")
    package = sys.modules.get(old)
    is_package = package is not None and "__path__" in vars(package)
    if is_package and importlib.util.find_spec(f"{old}.{name}") is not None:
        return importlib.import_module(f"{old}.{name}")
    home = SPLIT.get((old, name), MOVED.get(old))
    if home is None:
        raise AttributeError(f"module {old!r} has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(home), name)
    except AttributeError:
        raise AttributeError(f"module {old!r} has no attribute {name!r}") from None
    _warn(f"{old}.{name}", f"{home}.{name}")
    return value


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old flat module that is not a package now, and makes it a module that answers for the
    old module's names from where they live now (its new home, or the bottom layer for the names
    split off into `grader.core`)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED or fullname.split(".")[1] in _PACKAGES:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        _warn(spec.name, MOVED[spec.name])
        return ModuleType(spec.name, f"The old path of {MOVED[spec.name]} (see grader/core/legacy.py).")

    def exec_module(self, module: ModuleType) -> None:
        old = module.__name__
        module.__getattr__ = lambda name: attribute(old, name)  # type: ignore[method-assign]


def install() -> None:
    """Put the finder of old paths on `sys.meta_path` (once)."""
    if not any(isinstance(finder, _OldPaths) for finder in sys.meta_path):
        sys.meta_path.append(_OldPaths())


def spec_imports(assignment: Path) -> list[str]:
    """Every import of the grader in an assignment folder's specs (hidden and public) that is not
    `grader.spec`, as '<id>/specs/test_x.py:3: imports grader.probe (now …); …'."""
    found = []
    paths = [path for kind in ("specs", "public_specs") for path in sorted((assignment / kind).rglob("*.py"))]
    for path in paths:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError, ValueError):
            continue  # the spec's own error is reported when it is collected
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for module in _grader_modules(node):
                if module != SPEC_API:
                    home = MOVED.get(module, module)
                    found.append(
                        f"{path.relative_to(assignment.parent)}:{node.lineno}: imports {module} "
                        f"(now {home}); import from grader.spec, the stable API"
                    )
    return found


def _grader_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "grader":
            return [f"grader.{alias.name}" for alias in node.names]
        return [node.module] if node.module.startswith("grader.") else []
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name == "grader" or alias.name.startswith("grader.")]
    return []  # a relative import: the spec's own modules
