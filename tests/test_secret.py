"""The course secret: hidden draws derived from it, out of reach of a kernel and of brute force."""

import ast
import importlib.util
import shutil
import time

import numpy as np
import pytest
from sklearn.datasets import make_moons

from grader.core.assignment import load_assignment
from grader.cli.commands import main
from grader.execute.sandbox import bubblewrap_problem
from grader.core.secret import SECRET_BITS, hidden_generator, read_secret, secret_path, write_secret
from tests.conftest import ROOT, code, live_kernel, notebook

SOLUTIONS = ROOT / "solutions"
ASSIGNMENTS = ("classification-exercises", "assignment-6", "blobs-mini-project", "digits-cnn")
# The seeds the specs used before the course secret, and the range an attacker tries in seconds.
OLD_SEEDS = (86_243, 31_337, 57_281, 90_817, 70_451)
BRUTE_FORCE = range(2**13)


def _classification_conftest():
    spec = importlib.util.spec_from_file_location(
        "classification_conftest", SOLUTIONS / "classification-exercises" / "specs" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_course_has_a_full_entropy_secret():
    secret = read_secret(SOLUTIONS / "assignment-6")
    assert len(secret) * 8 == SECRET_BITS == 128
    assert secret_path(SOLUTIONS / "assignment-6") == SOLUTIONS / "course-secret"


def test_draws_depend_on_secret_assignment_name_and_draw_index():
    secret = bytes(16)
    first = hidden_generator(secret, "a", "moons").randn(4)
    assert np.array_equal(first, hidden_generator(secret, "a", "moons").randn(4))  # deterministic
    for other in (
        hidden_generator(bytes([1]) + bytes(15), "a", "moons"),
        hidden_generator(secret, "b", "moons"),
        hidden_generator(secret, "a", "spirals"),
        hidden_generator(secret, "a", "moons", draw=1),
    ):
        assert not np.array_equal(first, other.randn(4))


def _recover_seed(X: np.ndarray, n: int, seeds) -> int | None:
    """The attack: regenerate the draw for every candidate seed and compare with the inputs the kernel saw."""
    for seed in seeds:
        candidate, _ = make_moons(n_samples=n, noise=0.07, random_state=seed)
        if np.allclose(candidate.astype(np.float32)[:16], X[:16]):
            return seed
    return None


def test_brute_force_recovers_a_small_seed_but_not_the_secret_draw():
    conftest = _classification_conftest()
    n = conftest.HIDDEN_MOONS_POINTS
    # a draw with a written-down seed falls to the attack in seconds ...
    planted, _ = make_moons(n_samples=n, noise=0.07, random_state=BRUTE_FORCE[-7])
    started = time.perf_counter()
    assert _recover_seed(planted.astype(np.float32), n, BRUTE_FORCE) == BRUTE_FORCE[-7]
    seconds = time.perf_counter() - started
    # ... the draw grading uses does not: no seed in the range, nor any seed the specs used to hold
    secret = read_secret(SOLUTIONS / "classification-exercises")
    X, _ = conftest.moons_draw(hidden_generator(secret, "classification-exercises", "moons"))
    assert _recover_seed(X, n, [*BRUTE_FORCE, *OLD_SEEDS]) is None
    # 2**128 secrets at this rate would take longer than the universe has existed, many times over
    assert seconds / len(BRUTE_FORCE) * 2.0**128 / (3600 * 24 * 365) > 1e20


def test_no_hidden_seed_is_written_in_the_specs_or_released():
    """The hidden draws take their randomness from hidden_rng only: no `random_state=<number>` and no
    seeded generator in a hidden fixture, and the secret appears in nothing a student receives."""
    secret = (SOLUTIONS / "course-secret").read_text(encoding="utf-8").strip()
    for assignment in ASSIGNMENTS:
        tree = ast.parse((SOLUTIONS / assignment / "specs" / "conftest.py").read_text(encoding="utf-8"))
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("hidden_")):
            assert [a.arg for a in function.args.args] == ["hidden_rng"], f"{assignment}: {function.name}"
    released = [p for p in (ROOT / "assignments").rglob("*") if p.is_file()]
    assert released and not any(secret in p.read_text(encoding="utf-8", errors="replace") for p in released)


@pytest.mark.skipif(bool(bubblewrap_problem()), reason="no bubblewrap sandbox on this machine")
def test_a_sandboxed_kernel_cannot_read_the_secret_or_the_specs(tmp_path):
    probe = code(
        "import pathlib\n"
        f"targets = [{str(SOLUTIONS / 'course-secret')!r}, {str(SOLUTIONS / 'assignment-6' / 'specs' / 'conftest.py')!r}]\n"
        "print([pathlib.Path(t).exists() for t in targets])"
    )
    for live in live_kernel(notebook(probe), tmp_path):
        assert live.result.cells[0].stdout.strip() == "[False, False]"


def test_rotating_the_secret_changes_the_spec_hash_and_needs_rotate(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS / "classification-exercises", solutions / "classification-exercises")
    assert main(["secret", str(solutions)]) == 0
    before = load_assignment(solutions / "classification-exercises").spec_hash()
    assert main(["secret", str(solutions)]) == 2
    assert "already exists; use --rotate" in capsys.readouterr().err
    assert main(["secret", str(solutions), "--rotate"]) == 0
    assert load_assignment(solutions / "classification-exercises").spec_hash() != before
    assert oct((solutions / "course-secret").stat().st_mode & 0o777) == "0o600"


def test_a_missing_secret_is_a_grader_fault_that_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"create one with `grade secret "):
        read_secret(tmp_path / "course" / "some-assignment")
    path = write_secret(tmp_path / "course")
    assert read_secret(tmp_path / "course" / "some-assignment") == bytes.fromhex(path.read_text().strip())


def test_every_check_that_reads_hidden_labels_is_marked_hidden():
    """A check that unpacks a hidden draw's labels (X, y = hidden_…) must keep its message from students."""
    for assignment in ASSIGNMENTS:
        for path in (SOLUTIONS / assignment / "specs").glob("test_*.py"):
            for function in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(function, ast.FunctionDef) and _reads_hidden_labels(function):
                    assert _visibility(function) == "hidden", f"{path.name}::{function.name} reads hidden labels"


def _reads_hidden_labels(function: ast.FunctionDef) -> bool:
    hidden = {a.arg for a in function.args.args if a.arg.startswith("hidden_")}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in hidden:
            target = node.targets[0]
            if isinstance(target, ast.Tuple) and len(target.elts) == 2 and isinstance(target.elts[1], ast.Name):
                if target.elts[1].id != "_":
                    return True
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in hidden:
            if isinstance(node.slice, ast.Constant) and node.slice.value == 1:
                return True
    return False


def _visibility(function: ast.FunctionDef) -> str:
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "visibility":
            return decorator.args[0].value
    return "visible"


def test_grading_without_the_secret_the_specs_need_is_refused_up_front(tmp_path, capsys):
    """No batch, validation or calibration starts that would turn every hidden check into a grader fault."""
    solutions = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS / "classification-exercises", solutions / "classification-exercises")
    (tmp_path / "class").mkdir()
    shutil.copy(ROOT / "submissions" / "ada" / "classification-exercises.ipynb", tmp_path / "class" / "ada.ipynb")
    fix = f"create one with `grade secret {solutions}`"
    assert main(["grade", str(tmp_path / "class"), "--solutions", str(solutions), "--out", str(tmp_path / "out")]) == 2
    assert "cannot run the hidden checks of classification-exercises: no course secret at " in capsys.readouterr().err
    for command in ("validate", "calibrate"):
        assert main([command, str(solutions / "classification-exercises")]) == 2
        err = capsys.readouterr().err
        assert "cannot run the hidden checks of classification-exercises: no course secret" in err and fix in err
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()
