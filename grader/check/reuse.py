"""Spec modules imported once per process and kept while nothing can leak through them.

Every submission's checks run in a fresh pytest session, but importing an assignment's spec
modules (its conftest and test files, each one's asserts rewritten by pytest) again for every
submission costs more than running them. So the modules stay in `sys.modules` from one
submission to the next, as long as

* the assignment's spec hash (its specs and hidden files) and folder are the ones they were
  imported from, and the hidden draw is the same one (`grade calibrate` measures other draws);
* no module-level name of theirs was rebound, and no module-level list, dict, set or array
  changed, between the end of collection and the end of the run (`ModuleState`): a spec that
  keeps something of one submission at module level gets its modules imported afresh for the
  next one, as every submission did before.

Anything else forgets the modules, so the next session imports them from their files.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from grader.core.assignment import Assignment

_MUTABLE = (list, dict, set, bytearray)


@dataclass
class _Kept:
    key: tuple[str, str, int]  # (folder, spec hash, draw) the modules were imported for
    collected: dict[str, tuple[tuple[str, int, str], ...]] = field(default_factory=dict)  # module -> its state


_kept: dict[str, _Kept] = {}  # the assignment's package name (its folder's name) -> what is kept of it


def prepare(assignment: Assignment, draw: int) -> None:
    """Before a session: forget the assignment's spec modules unless they may be used again (see above)."""
    package = assignment.folder.name
    key = (str(assignment.folder.resolve()), assignment.spec_hash(), draw)
    kept = _kept.get(package)
    if kept is None or kept.key != key or not kept.collected:
        forget(package)
        _kept[package] = _Kept(key)


def collected(assignment: Assignment) -> None:
    """At the end of collection: the state of the modules the session uses (imported or kept)."""
    package = assignment.folder.name
    kept = _kept.get(package)
    if kept is not None:
        kept.collected = {name: state(module) for name, module in _modules(package).items()}


def finished(assignment: Assignment) -> None:
    """After a session: keep the modules only if the session changed none of their module-level state."""
    package = assignment.folder.name
    kept = _kept.get(package)
    now = {name: state(module) for name, module in _modules(package).items()}
    if kept is None or not kept.collected or now != kept.collected:
        forget(package)


def forget(package: str) -> None:
    """Drop the spec modules of the assignment folder named `package`. pytest names them from their path
    under the rootdir (`<id>.specs.test_x`), so without this a second assignment folder with the same
    name (a copy, an edited spec, a calibration of another checkout) would run the first one's code."""
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    _kept.pop(package, None)


def _modules(package: str) -> dict[str, ModuleType]:
    return {n: m for n, m in list(sys.modules.items()) if (n == package or n.startswith(package + ".")) and m is not None}


def state(module: ModuleType) -> tuple[tuple[str, int, str], ...]:
    """A module's names, the identity of what each is bound to, and the contents of mutable values."""
    return tuple(sorted(
        (name, id(value), _contents(value)) for name, value in vars(module).items() if not (name.startswith("__") and name.endswith("__"))
    ))


def _contents(value: Any) -> str:
    """A digest of a mutable value's contents ("" for anything else: its identity is enough)."""
    if isinstance(value, np.ndarray):
        return hashlib.blake2b(np.ascontiguousarray(value).tobytes() + str((value.shape, value.dtype)).encode()).hexdigest()
    if isinstance(value, _MUTABLE):
        try:
            return hashlib.blake2b(pickle.dumps(value, protocol=4)).hexdigest()
        except Exception:  # unpicklable contents: compare what repr shows, and the length
            return f"{type(value).__name__}:{len(value)}:{hash(repr(value)[:10_000])}"
    return ""
