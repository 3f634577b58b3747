"""The keys `assignment.toml` may hold and the type of each: every file is checked against it when loaded.

Each table is a `Table` mapping its keys to the type of their values. To add a key to a section, add one
line to its table (`"seed": INTEGER,` in `OBJECT`). To add a section, add one line to `ASSIGNMENT`:

    "data": Table({"points": POSITIVE, "noise": NUMBER}),   # [data]: fixed keys
    "hidden": table_of(STRING),                             # [hidden]: keys of the author's own, one type
    "wrong_answers": array_of(Table({"cell": STRING})),     # [[wrong_answers]]: an array of tables

`table_of(..., keys_from="exercises")` allows only the keys of another top-level table (`[alignment]`
may only name exercises). `check(config, where)` raises SchemaError naming the file, the table, the
key and the fix: an unknown key with the nearest known one (difflib) and the keys the table takes, or
a value of the wrong type with the type it must be. What values mean (a kind among the object kinds,
a notebook that exists) is checked where they are read, in grader/core/assignment.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

TOP = "the top level"


class SchemaError(ValueError):
    """A key `assignment.toml` does not know, or a value of the wrong type."""


@dataclass(frozen=True)
class Value:
    """A plain value: what it must be, in words, and the test."""

    words: str
    accepts: Callable[[Any], bool]

    def problem(self, value: Any, label: str, config: Mapping[str, Any]) -> str | None:
        return None if self.accepts(value) else f"{label} must be {self.words}, not {_shown(value)}"


@dataclass(frozen=True)
class Table:
    """A table of fixed keys."""

    keys: Mapping[str, Value | Table | FreeTable | ArrayOfTables]

    def problem(self, value: Any, label: str, config: Mapping[str, Any]) -> str | None:
        if not isinstance(value, dict):
            return f"{label} must be a table, not {_shown(value)}"
        for key, item in value.items():
            if key not in self.keys:
                return _unknown(label, key, list(self.keys))
            problem = self.keys[key].problem(item, _name(label, key, self.keys[key]), config)
            if problem:
                return problem
        return None


@dataclass(frozen=True)
class FreeTable:
    """A table whose keys are the author's (exercise ids, roles, packages), every value of one type."""

    value: Value | Table
    keys_from: str = ""  # a top-level table whose keys are the only keys allowed here

    def problem(self, value: Any, label: str, config: Mapping[str, Any]) -> str | None:
        if not isinstance(value, dict):
            return f"{label} must be a table, not {_shown(value)}"
        allowed = config.get(self.keys_from) if self.keys_from else None
        for key, item in value.items():
            if isinstance(allowed, dict) and key not in allowed:
                return _unknown(label, key, list(allowed), f" of [{self.keys_from}]")
            inner = f"{label[:-1]}.{key}]" if isinstance(self.value, Table) else f"{key} in {label}"
            problem = self.value.problem(item, inner, config)
            if problem:
                return problem
        return None


@dataclass(frozen=True)
class ArrayOfTables:
    """An array of tables (`[[name]]`), each checked against `table`."""

    table: Table

    def problem(self, value: Any, label: str, config: Mapping[str, Any]) -> str | None:
        if not isinstance(value, list):
            return f"{label} must be an array of tables, not {_shown(value)}"
        for number, item in enumerate(value, start=1):
            problem = self.table.problem(item, f"{label} (the {_ordinal(number)})", config)
            if problem:
                return problem
        return None


def table_of(value: Value | Table, keys_from: str = "") -> FreeTable:
    """A table of the author's keys, each holding `value` (only the keys of `keys_from` when given)."""
    return FreeTable(value, keys_from)


def array_of(table: Table) -> ArrayOfTables:
    """An array of tables, `[[name]]`, each one `table`."""
    return ArrayOfTables(table)


def list_of(item: Value) -> Value:
    """A list whose every item is `item` (possibly empty)."""
    plural = item.words.removeprefix("a ").removeprefix("an ") + "s"
    return Value(f"a list of {plural}", lambda v: isinstance(v, list) and all(item.accepts(i) for i in v))


def is_version_specifier(value: str) -> bool:
    """True for a specifier (`<0.11`, `>=1.5,<2`): the kernel must have it; False for a bare version (`1.2`)."""
    return value.strip()[:1] in ("<", ">", "=", "!", "~")


def _is_environment_value(value: Any) -> bool:
    """A bare version or a version specifier that `packaging` reads."""
    if not isinstance(value, str):
        return False
    try:
        SpecifierSet(value) if is_version_specifier(value) else Version(value)
    except (InvalidSpecifier, InvalidVersion):
        return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


STRING = Value("a string", lambda v: isinstance(v, str))
INTEGER = Value("an integer", _is_int)
POSITIVE = Value("a positive integer", lambda v: _is_int(v) and v > 0)
NUMBER = Value("a number", lambda v: _is_int(v) or isinstance(v, float))
SIZES = Value(
    "a non-empty list of positive integers (the sizes of one input, without the batch dimension: [1, 28, 28])",
    lambda v: isinstance(v, list) and bool(v) and all(POSITIVE.accepts(i) for i in v),
)

OBJECT = Table({
    "kind": STRING,
    "exercise": STRING,
    "names": list_of(STRING),
    "in_features": POSITIVE,
    "input_shape": SIZES,
    "out_features": POSITIVE,
    "outputs": STRING,
    "shape": list_of(INTEGER),
    "name_hint": STRING,
    "types": list_of(STRING),
    "for_model": STRING,
})

ASSIGNMENT = Table({
    "id": STRING,
    "title": STRING,
    "notebook": STRING,
    "compare_with": STRING,
    # checker = true: `grade release` also writes the student package of in-notebook checks (grader/notebook/)
    "checker": Value("true or false", lambda v: isinstance(v, bool)),
    "checker_url": STRING,  # where the instructor hosts that package: the released notebook's pip line
    "exercises": table_of(Value("a string (the exercise's title)", STRING.accepts)),
    "objects": table_of(OBJECT),
    "alignment": table_of(list_of(STRING), keys_from="exercises"),
    # [environment]: a specifier ("<0.11") is what the kernel must have (grader/execute/environments.py builds it);
    # a bare version ("2.1") only says what the course used, for the report's differences
    "environment": table_of(Value(
        'a quoted version (torch = "2.1": the course used it) or version specifier '
        '(torchmetrics = "<0.11", pandas = ">=1.5,<2": the kernel must have it)',
        _is_environment_value,
    )),
    # [data] folder = "data": course data the kernel may read (what it may hold: grader/core/assignment.py)
    "data": Table({"folder": STRING}),
    # [[wrong_answers]]: transformations of the reference that grade calibrate runs (grader/authoring/wrong_answers.py)
    "wrong_answers": array_of(Table({
        "name": STRING,
        "transform": STRING,
        "must_lose": list_of(STRING),
        "layer": STRING,
        "train": list_of(STRING),
        "test": list_of(STRING),
    })),
})


def check(config: Mapping[str, Any], where: Path, schema: Table = ASSIGNMENT) -> None:
    """Raise SchemaError "<where>: <what is wrong and the fix>" when `config` breaks `schema`."""
    problem = schema.problem(dict(config), TOP, config)
    if problem:
        raise SchemaError(f"{where}: {problem}")


def _name(table: str, key: str, kind: Value | Table | FreeTable | ArrayOfTables) -> str:
    """How a key of `table` is named in a message: `ex1 in [exercises]`, `[objects.model]`, `[[wrong_answers]]`."""
    if isinstance(kind, Value):
        return key if table == TOP else f"{key} in {table}"
    path = key if table == TOP else f"{table.strip('[]')}.{key}"
    return f"[[{path}]]" if isinstance(kind, ArrayOfTables) else f"[{path}]"


def _unknown(table: str, key: str, known: list[str], whose: str = "") -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    where = "unknown top-level key" if table == TOP else f"{table} has an unknown key"
    return f"{where} {key!r}{hint} (keys{whose}: {', '.join(known) or 'none'})"


def _shown(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}
    return f"{value!r} ({kinds.get(type(value), type(value).__name__)})"


def _ordinal(number: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(number, f"{number}th")
