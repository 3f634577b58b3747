"""The course secret: where every hidden draw's randomness comes from.

A course (a solutions folder) holds one random 128-bit secret in `course-secret`,
created once by `grade secret SOLUTIONS` and committed with the rest of the
instructor-only `solutions/`. Each hidden draw gets its own generator, derived
from the secret, the assignment id, the draw's name and a draw index through
NumPy's `SeedSequence`, which feeds the full entropy into a Mersenne Twister's
state. Grading stays deterministic for whoever holds the secret, while the points
a kernel receives cannot be traced back to a seed by trying seeds: there are
2**128 secrets, not the 2**32 of a `random_state=` integer.

The secret never reaches a kernel: the sandbox shows kernels only the system and
the Python installation, and the secret is read grader-side when a spec asks for
a generator.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path

import numpy as np

SECRET_FILE = "course-secret"
SECRET_BITS = 128
# What a package for a grading platform carries instead of the course secret (grader/platforms/bundle.py):
# the entropy of this assignment's grading draws only, so a leaked package reveals no other assignment's draws.
DERIVED_FILE = "assignment-secret.json"
_DRAW_NAME = re.compile(r"""hidden_rng\(\s*(['"])([^'"]+)\1\s*\)""")


class SecretMissing(FileNotFoundError):
    """No course secret where the assignment's specs need one."""


def secret_path(assignment_folder: Path) -> Path:
    """Where an assignment's course secret lives: its own folder's, else its solutions folder's."""
    own = assignment_folder / SECRET_FILE
    return own if own.is_file() else assignment_folder.parent / SECRET_FILE


def read_secret(assignment_folder: Path) -> bytes:
    """The course secret of the assignment in `assignment_folder`; SecretMissing naming the fix."""
    path = secret_path(assignment_folder)
    try:
        text = path.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        raise SecretMissing(
            f"no course secret at {path}: create one with `grade secret {assignment_folder.parent}`"
        ) from None
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise SecretMissing(f"{path} is not a course secret (expected {SECRET_BITS // 4} hex digits)") from None
    if len(value) * 8 < SECRET_BITS:
        raise SecretMissing(f"{path} holds {len(value) * 8} bits; a course secret has {SECRET_BITS}")
    return value


def derived_path(assignment_folder: Path) -> Path:
    """Where a package's derived secret lives: in the assignment's own folder."""
    return assignment_folder / DERIVED_FILE


def uses_secret(specs_dir: Path) -> bool:
    """Whether hidden specs draw hidden data from the course secret (ask for the `hidden_rng` fixture)."""
    return any("hidden_rng" in path.read_text(encoding="utf-8", errors="replace") for path in specs_dir.rglob("*.py"))


def require_secret(assignment_folder: Path, specs_dir: Path) -> None:
    """SecretMissing, naming the fix, when the specs need the course secret and there is none: before a
    batch starts, not as a grader fault in every hidden check of every submission."""
    if uses_secret(specs_dir) and not derived_path(assignment_folder).is_file():
        read_secret(assignment_folder)


def write_secret(solutions: Path, rotate: bool = False) -> Path:
    """Create `solutions/course-secret` (or replace it with `rotate`); return its path.

    Rotating changes every hidden draw, so every stored grade's spec hash changes with it and the
    next batch re-grades everything; calibrations become stale and say so in `grade validate`.
    """
    path = solutions / SECRET_FILE
    if path.exists() and not rotate:
        raise FileExistsError(f"{path} already exists; use --rotate to replace it (every hidden draw changes)")
    solutions.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(SECRET_BITS // 8) + "\n", encoding="ascii")
    path.chmod(0o600)
    return path


def secret_digest(assignment_folder: Path) -> str:
    """A one-way digest of the course secret for spec hashes ('' without a secret)."""
    if derived_path(assignment_folder).is_file():
        return str(_read_derived(assignment_folder).get("digest", ""))  # the course secret's, recorded when derived
    try:
        secret = read_secret(assignment_folder)
    except SecretMissing:
        return ""
    return hashlib.sha256(b"nbgrade-torch spec hash\0" + secret).hexdigest()[:16]


# The `hidden_rng` fixture's type: the generator of the hidden draw of that name (for `random_state=`).
HiddenRng = Callable[[str], np.random.RandomState]


def hidden_generator(secret: bytes, assignment: str, name: str, draw: int = 0) -> np.random.RandomState:
    """A legacy-API generator (what scikit-learn's `random_state=` takes) for one hidden draw.

    `draw` 0 is the draw grading uses; `grade calibrate` measures on draws 1, 2, … as well.
    """
    return _generator(draw_entropy(secret, assignment, name, draw))


def draw_entropy(secret: bytes, assignment: str, name: str, draw: int = 0) -> int:
    """The 256 bits one hidden draw's generator is seeded with: one-way from the secret, so knowing the
    entropy of some draws tells nothing about the secret or any other draw."""
    label = f"{assignment}\0{name}\0{draw}".encode()
    return int.from_bytes(hashlib.sha256(secret + b"\0" + label).digest(), "big")


def _generator(entropy: int) -> np.random.RandomState:
    return np.random.RandomState(np.random.MT19937(np.random.SeedSequence(entropy)))


def draw_names(specs_dir: Path) -> list[str]:
    """The hidden draws the specs ask for by name (`hidden_rng("moons")`), sorted."""
    texts = (path.read_text(encoding="utf-8", errors="replace") for path in specs_dir.rglob("*.py"))
    return sorted({match.group(2) for text in texts for match in _DRAW_NAME.finditer(text)})


def derive_assignment_secret(assignment_folder: Path, assignment: str, specs_dir: Path) -> dict[str, object]:
    """This assignment's derived secret (the grading draw's entropy per draw name its specs use, and the
    course secret's spec-hash digest): what `hidden_rng` needs to give the same draws as the course secret.

    SecretMissing when a spec asks for a draw whose name is not a literal (it could not be listed).
    """
    secret = read_secret(assignment_folder)
    _require_literal_names(specs_dir)
    names = draw_names(specs_dir)
    entropy = {name: format(draw_entropy(secret, assignment, name), "064x") for name in names}
    return {"assignment": assignment, "draws": entropy, "digest": secret_digest(assignment_folder)}


def _require_literal_names(specs_dir: Path) -> None:
    """SecretMissing when some `hidden_rng(...)` call in the specs names its draw by something other than a literal."""
    for path in specs_dir.rglob("*.py"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if "hidden_rng(" in line and not _DRAW_NAME.search(line) and not line.lstrip().startswith("#"):
                raise SecretMissing(
                    f"{path}: `{line.strip()}` names its hidden draw by an expression; a package's derived secret "
                    'lists draws by name, so write the name as a literal (hidden_rng("moons"))'
                )


def _read_derived(assignment_folder: Path) -> dict[str, object]:
    path = derived_path(assignment_folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SecretMissing(f"{path} is not a derived assignment secret: build the package again") from None
    if not isinstance(data, dict) or not isinstance(data.get("draws"), dict):
        raise SecretMissing(f"{path} is not a derived assignment secret: build the package again")
    return data


def hidden_rng_of(assignment_folder: Path, assignment: str, draw: int = 0) -> HiddenRng:
    """`hidden_rng` for an assignment: from its derived secret in a package (grading draw only), else from
    the course secret; SecretMissing naming the fix when neither serves."""
    if not derived_path(assignment_folder).is_file():
        secret = read_secret(assignment_folder)
        return lambda name: hidden_generator(secret, assignment, name, draw)
    data = _read_derived(assignment_folder)
    draws = data["draws"]
    assert isinstance(draws, dict)
    if data.get("assignment") != assignment or draw != 0:
        raise SecretMissing(f"{derived_path(assignment_folder)} holds the grading draws of {data.get('assignment')!r} only")

    def generator(name: str) -> np.random.RandomState:
        if name not in draws:
            raise SecretMissing(f"{derived_path(assignment_folder)} has no hidden draw {name!r}: build the package again")
        return _generator(int(str(draws[name]), 16))

    return generator
