"""Assignment definitions: what an assignment is made of, loaded from `solutions/<id>/assignment.toml`.

An assignment folder holds the reference notebook, the hidden pytest specs
(`specs/`) and `assignment.toml`, which names the exercises (by cell tag) and the
objects the specs ask for (by role, never only by variable name).
"""

from __future__ import annotations

import hashlib
import io
import tokenize
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.core.schema import SchemaError, check, is_version_specifier

# grader.core.hidden and grader.core.secret are imported where they are used: the student package
# (grader/notebook/, built by `grade release`) loads released assignments with this module and carries
# neither the hidden-set nor the secret machinery.

OBJECT_KINDS = ("module", "function", "tensor", "loss", "optimizer", "value")
# How a module's outputs may look: exactly out_features; a binary classifier's one logit/probability or K >= 2
# class scores (labelled by argmax); at least out_features class scores (the accuracy checks take the argmax).
OUTPUT_CONTRACTS = ("exact", "binary", "classes")
HIDDEN_SPECS = "specs"  # solutions/<id>/specs: the hidden checks that grade
PUBLIC_SPECS = "public_specs"  # solutions/<id>/public_specs: checks students run with `grade check`
# How a declared wrong answer is made from the reference notebook (grader/authoring/wrong_answers.py)
WRONG_ANSWER_TRANSFORMS = ("linear", "no_training", "replace_layer", "train_on_test")


class AssignmentError(ValueError):
    """An assignment folder is missing a file or has an invalid setting."""


@dataclass(frozen=True)
class Exercise:
    id: str  # also the cell tag that marks the exercise's cells
    title: str


@dataclass(frozen=True)
class ObjectSpec:
    """A student object the specs ask for, and how to recognise it."""

    key: str  # the spec's name for it, e.g. "moons_model"
    kind: str  # one of OBJECT_KINDS
    exercise: str  # the tag of the cells expected to define it
    names: tuple[str, ...]  # variable names the assignment asks students to use
    in_features: int | None = None  # modules: width of the input
    input_shape: tuple[int, ...] | None = None  # modules: the shape of one input of any rank, instead of in_features
    out_features: int | None = None  # modules: outputs per sample (1 also accepts (N,))
    shape: tuple[int, ...] | None = None  # tensors: the expected shape
    name_hint: str = ""  # functions: a fallback matches user functions whose name contains it
    types: tuple[str, ...] = ()  # a fallback only matches objects of these class names
    for_model: str = ""  # optimizers: a fallback only matches one updating this model's parameters
    outputs: str = "exact"  # modules: one of OUTPUT_CONTRACTS

    def fallback_signature(self) -> tuple[Any, ...]:
        """What a namespace scan can tell objects apart by: roles sharing it compete for the same variables."""
        return (
            self.kind, self.in_features, self.input_shape, self.out_features, self.shape, self.name_hint, self.types,
            self.for_model,
        )

    def to_probe(self) -> dict[str, Any]:
        """The plain-data description sent to the kernel-side finder."""
        return {
            "key": self.key,
            "kind": self.kind,
            "in_features": self.in_features,
            "input_shape": list(self.input_shape) if self.input_shape is not None else None,
            "out_features": self.out_features,
            "shape": list(self.shape) if self.shape is not None else None,
            "name_hint": self.name_hint,
            "types": list(self.types),
            "contract": self.outputs,
        }


@dataclass(frozen=True)
class WrongAnswer:
    """A wrong answer `grade calibrate` makes from the reference ([[wrong_answers]] in assignment.toml)."""

    name: str  # e.g. "no convolution": how calibrate reports it
    transform: str  # one of WRONG_ANSWER_TRANSFORMS
    must_lose: tuple[str, ...] = ()  # check ids ("test_x.py::test_y") it must fail in every run
    layer: str = ""  # replace_layer: the layer class replaced, e.g. "Conv2d"
    train: tuple[str, ...] = ()  # train_on_test: the training split's variables, e.g. ("X_train", "y_train")
    test: tuple[str, ...] = ()  # and the test split's, in the same order, e.g. ("X_test", "y_test")


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    folder: Path  # solutions/<id>
    notebook: Path  # the reference notebook
    student_notebook: Path | None  # assignments/<id>.ipynb when present
    exercises: tuple[Exercise, ...]
    objects: dict[str, ObjectSpec] = field(default_factory=dict)
    specs: str = HIDDEN_SPECS  # the folder under `folder` whose checks run: HIDDEN_SPECS or PUBLIC_SPECS
    # [environment]: package -> a specifier the kernel must satisfy ("<0.11") or the bare version the course used ("1.2")
    environment: dict[str, str] = field(default_factory=dict)
    # [alignment]: exercise -> phrases of its heading in the course's own notebook, for notebooks without tags
    alignment: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # compare_with: a folder of known solutions (earlier terms, published ones), relative to this folder
    compare_with: Path | None = None
    # [data] folder: course data the kernel may read (read-only), absolute; None without one
    data_folder: Path | None = None
    # [[wrong_answers]]: what `grade calibrate` runs beside the reference; () keeps the defaults
    wrong_answers: tuple[WrongAnswer, ...] = ()
    # checker = true: `grade release` writes the in-notebook checks (a student wheel, a first locked cell);
    # checker_url: the folder URL where the instructor hosts that wheel (the notebook's pip line)
    checker: bool = False
    checker_url: str = ""

    def kernel_pins(self) -> tuple[tuple[str, str], ...]:
        """The `[environment]` specifiers the kernel must satisfy, sorted: (package, specifier) pairs."""
        return tuple(sorted((p, v) for p, v in self.environment.items() if is_version_specifier(v)))

    @property
    def specs_dir(self) -> Path:
        return self.folder / self.specs

    def exercise_title(self, exercise_id: str) -> str:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise.title
        return exercise_id

    def require_course_secret(self) -> None:
        """AssignmentError naming the fix when the hidden specs need the course secret and there is none:
        said before a batch starts, not as a grader fault in every hidden check of every submission."""
        from grader.core.secret import SecretMissing, require_secret

        try:
            require_secret(self.folder, self.specs_dir)
        except SecretMissing as exc:
            raise AssignmentError(f"cannot run the hidden checks of {self.id}: {exc}") from None

    def spec_hash(self) -> str:
        """A content hash of assignment.toml, every spec file, the hidden sets and the course secret, for
        reproducibility records."""
        from grader.core.hidden import hidden_files
        from grader.core.secret import secret_digest

        digest = hashlib.sha256()
        files = [self.folder / "assignment.toml", *sorted(self.specs_dir.rglob("*.py")), *hidden_files(self.folder)]
        for path in files:
            digest.update(path.relative_to(self.folder).as_posix().encode())
            digest.update(_without_comments(path))
        digest.update(secret_digest(self.folder).encode())  # a rotated course secret changes every hidden draw
        return digest.hexdigest()[:16]


def _without_comments(path: Path) -> bytes:
    """A spec file's code with its comments left out: editing a comment (say, to quote a calibration)
    changes no grade, so it re-grades nothing and leaves the calibration current."""
    text = path.read_bytes()
    if path.suffix != ".py":
        return text
    key = hashlib.sha256(text).digest()  # the file's exact bytes: an edit of any kind tokenizes afresh
    if key not in _CODE_OF:
        _CODE_OF[key] = _code_tokens(text)
    return _CODE_OF[key]


# tokenizing the specs costs ~25 ms a hash, and each submission hashes them twice: kept per exact content
_CODE_OF: dict[bytes, bytes] = {}


def _code_tokens(text: bytes) -> bytes:
    try:
        tokens = tokenize.tokenize(io.BytesIO(text).readline)
        kept = [(t.type, t.string) for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL)]
    except (tokenize.TokenError, SyntaxError):
        return text
    return repr(kept).encode()


def load_assignment(folder: Path) -> Assignment:
    """Read `folder/assignment.toml`; raise AssignmentError naming the file and the bad setting."""
    config_path = folder / "assignment.toml"
    config = _read_config(config_path)
    notebook = folder / _require(config, "notebook", str, config_path)
    if not notebook.is_file():
        raise AssignmentError(f"{config_path}: notebook {notebook.name!r} not found in {folder}")
    if not (folder / HIDDEN_SPECS).is_dir():
        raise AssignmentError(f"{folder} has no {HIDDEN_SPECS}/ folder of hidden checks")
    assignment = _assignment(config, config_path, folder, notebook)
    student_notebook = folder.parent.parent / "assignments" / f"{assignment.id}.ipynb"
    return replace(assignment, student_notebook=student_notebook if student_notebook.is_file() else None)


def load_public_assignment(folder: Path) -> Assignment:
    """Read a released `assignments/<id>/` folder: its assignment.toml and public_specs/, for `grade check`.

    The released student notebook `<id>.ipynb` beside the folder stands in for the reference;
    it may be missing (a student may keep only their own copy).
    """
    config_path = folder / "assignment.toml"
    config = _read_config(config_path)
    if not (folder / PUBLIC_SPECS).is_dir():
        raise AssignmentError(f"{folder} has no {PUBLIC_SPECS}/ folder of public checks")
    notebook = folder.parent / f"{_require(config, 'id', str, config_path)}.ipynb"
    assignment = _assignment(config, config_path, folder, notebook)
    return replace(assignment, student_notebook=notebook if notebook.is_file() else None, specs=PUBLIC_SPECS)


def _read_config(config_path: Path) -> dict[str, Any]:
    """The parsed file, checked against the keys and types of grader/core/schema.py."""
    try:
        config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AssignmentError(f"cannot read {config_path}: {exc}") from exc
    try:
        check(config, config_path)
    except SchemaError as exc:
        raise AssignmentError(str(exc)) from None
    return config


def _assignment(config: dict[str, Any], config_path: Path, folder: Path, notebook: Path) -> Assignment:
    exercises = tuple(
        Exercise(id=ex_id, title=str(title))
        for ex_id, title in _require(config, "exercises", dict, config_path).items()
    )
    objects = {
        key: _object_spec(key, raw, config_path, [exercise.id for exercise in exercises])
        for key, raw in config.get("objects", {}).items()
    }
    return Assignment(
        id=_require(config, "id", str, config_path),
        title=_require(config, "title", str, config_path),
        folder=folder,
        notebook=notebook,
        student_notebook=None,
        exercises=exercises,
        objects=objects,
        environment={str(k): str(v) for k, v in config.get("environment", {}).items()},
        alignment={str(k): tuple(str(h) for h in v) for k, v in config.get("alignment", {}).items()},
        compare_with=folder / _require(config, "compare_with", str, config_path) if "compare_with" in config else None,
        data_folder=data_folder(config, config_path, folder),
        wrong_answers=wrong_answers(config, config_path),
        checker=bool(config.get("checker", False)),
        checker_url=str(config.get("checker_url", "")),
    )


def data_folder(config: dict[str, Any], where: Path, folder: Path) -> Path | None:
    """`[data] folder`: an existing folder (relative to the assignment folder, or absolute) that holds
    nothing hidden; None when the assignment declares none."""
    table = config.get("data")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise AssignmentError(f"Invalid data {table!r} from {where}: expected a table such as [data] folder = \"data\"")
    path = (folder / str(_require(table, "folder", str, where, "data"))).resolve()
    if not path.is_dir():
        raise AssignmentError(f"Invalid data.folder from {where}: {path} is not a folder")
    from grader.core.hidden import HIDDEN_DATA
    from grader.core.secret import SECRET_FILE

    own = folder.resolve()
    private = [own / HIDDEN_DATA, own / HIDDEN_SPECS, own / SECRET_FILE, own.parent / SECRET_FILE]
    if any(p == path or path in p.parents or p in path.parents for p in private):
        raise AssignmentError(
            f"Invalid data.folder from {where}: {path} would show the kernel hidden specs, hidden sets or the course "
            "secret; keep the course data in a folder of its own, e.g. solutions/<id>/data"
        )
    return path


def wrong_answers(config: dict[str, Any], where: Path) -> tuple[WrongAnswer, ...]:
    """`[[wrong_answers]]`: each declared wrong answer, checked for what its transform needs."""
    raw = config.get("wrong_answers", [])
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise AssignmentError(f"Invalid wrong_answers from {where}: expected [[wrong_answers]] tables")
    found = tuple(_wrong_answer(table, where, f"wrong_answers[{i}]") for i, table in enumerate(raw))
    names = [w.name for w in found]
    for name in sorted({n for n in names if names.count(n) > 1}):
        raise AssignmentError(f"Invalid wrong_answers from {where}: the name {name!r} is declared twice")
    return found


def _wrong_answer(table: dict[str, Any], where: Path, label: str) -> WrongAnswer:
    name = _require(table, "name", str, where, label)
    transform = _require(table, "transform", str, where, label)
    if transform not in WRONG_ANSWER_TRANSFORMS:
        raise AssignmentError(
            f"Invalid {label}.transform {transform!r} from {where}; use one of {', '.join(WRONG_ANSWER_TRANSFORMS)}"
        )
    if name in ("reference", "blank"):
        raise AssignmentError(f"Invalid {label}.name {name!r} from {where}: the name is calibrate's own; choose another")
    answer = WrongAnswer(
        name=name,
        transform=transform,
        must_lose=_strings(table, "must_lose", where, label),
        layer=str(table.get("layer", "")),
        train=_strings(table, "train", where, label),
        test=_strings(table, "test", where, label),
    )
    if transform == "replace_layer" and not answer.layer.isidentifier():
        raise AssignmentError(f"{where}: {label} (replace_layer) needs layer = the class name, e.g. \"Conv2d\"")
    if transform == "train_on_test" and (not answer.train or len(answer.train) != len(answer.test)):
        raise AssignmentError(
            f"{where}: {label} (train_on_test) needs train and test, the variables of each split in the same order, "
            'e.g. train = ["X_train", "y_train"] and test = ["X_test", "y_test"]'
        )
    return answer


def _strings(table: dict[str, Any], key: str, where: Path, label: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AssignmentError(f"Invalid {label}.{key} {value!r} from {where}: expected a list of strings")
    return tuple(value)


def load_assignments(solutions_dir: Path) -> list[Assignment]:
    """Every assignment under `solutions_dir` (one sub-folder each holding assignment.toml)."""
    if not solutions_dir.is_dir():
        raise AssignmentError(
            f"solutions folder {solutions_dir} not found; pass --solutions DIR"
        )
    folders = sorted(p.parent for p in solutions_dir.glob("*/assignment.toml"))
    if not folders:
        raise AssignmentError(f"no assignment.toml under {solutions_dir}")
    return [load_assignment(folder) for folder in folders]


def _object_spec(key: str, raw: dict[str, Any], where: Path, exercises: list[str]) -> ObjectSpec:
    kind = _require(raw, "kind", str, where, f"objects.{key}")
    if kind not in OBJECT_KINDS:
        raise AssignmentError(
            f"Invalid kind {kind!r} for objects.{key} in {where}; use one of {OBJECT_KINDS}"
        )
    exercise = _require(raw, "exercise", str, where, f"objects.{key}")
    if exercise not in exercises:
        raise AssignmentError(f"{where}: [objects.{key}] names exercise {exercise!r}, not in [exercises] (use one of {', '.join(exercises)})")
    if "in_features" in raw and "input_shape" in raw:
        raise AssignmentError(
            f"{where}: [objects.{key}] declares both in_features and input_shape; keep one "
            f"(in_features = F is input_shape = [F])"
        )
    shape = raw.get("shape")
    input_shape = raw.get("input_shape")
    outputs = raw.get("outputs", "exact")
    if outputs not in OUTPUT_CONTRACTS:
        raise AssignmentError(f"Invalid outputs {outputs!r} for objects.{key} in {where}; use one of {OUTPUT_CONTRACTS}")
    return ObjectSpec(
        key=key,
        kind=kind,
        exercise=exercise,
        names=tuple(raw.get("names", [])),
        in_features=raw.get("in_features"),
        input_shape=tuple(input_shape) if input_shape is not None else None,
        out_features=raw.get("out_features"),
        shape=tuple(shape) if shape is not None else None,
        name_hint=raw.get("name_hint", ""),
        types=tuple(raw.get("types", [])),
        for_model=raw.get("for_model", ""),
        outputs=outputs,
    )


def _require(
    table: dict[str, Any], key: str, kind: type, where: Path, prefix: str = ""
) -> Any:
    label = f"{prefix}.{key}" if prefix else key
    if key not in table:
        raise AssignmentError(f"{where}: missing setting {label!r}")
    value = table[key]
    if not isinstance(value, kind):
        raise AssignmentError(
            f"Invalid {label} {value!r} from {where}: expected {kind.__name__}"
        )
    return value
