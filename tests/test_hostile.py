"""The hostile batch: every notebook in tests/hostile/ (plus a 100 MB one) graded in one run.

Each case asserts its verdict; the control notebook and the batch as a whole
must be unaffected, and nothing may be left behind (processes, scratch folders).
Regenerate the notebooks with `python scripts/build_hostile_notebooks.py`.
"""

import dataclasses
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest

from grader.execute import sandbox
from grader.core.settings import ExecuteSettings
from grader.pipeline import BatchOptions, grade_folder
from tests.conftest import FIXTURE_SOLUTIONS, ROOT

HOSTILE = ROOT / "tests" / "hostile"
SETTINGS = ExecuteSettings(cell_timeout=10, probe_timeout=10, interrupt_grace=3)  # 10 s: the 10**7-line flood must end inside it while two test processes share the cores

# name -> (status, score): the solved cells after each attack are worth 4 points
VERDICTS = {
    "control": ("graded", 4),
    "infinite-loop": ("graded", 4),
    "memory-bomb": ("graded", 4),
    "sys-exit": ("graded", 4),
    "leftover-processes": ("graded", 4),
    "reads-secrets": ("graded", 4),
    "output-flood": ("graded", 4),
    "colab-cells": ("graded", 4),
    "warnings-and-stderr": ("graded", 4),
    "kills-everything": ("graded", 4),
    "spies-on-neighbours": ("graded", 4),
    "ignores-interrupt": ("kernel-died", 0),
    "os-exit": ("kernel-died", 0),
    "segfault": ("kernel-died", 0),
    "forges-probe": ("graded", 1),  # only the check read from the cell outputs, grader-side
    "no-tags": ("graded", 3),  # found by text and fallback; the 'printed in ex2' check needs the tag
    "nbformat3": ("graded", 3),  # converted; version 3 cells carry no tags
    "duplicated-tags": ("graded", 2),  # the copied cell defined last is what the kernel holds
    "non-utf8": ("graded", 0),  # read as Latin-1; it only prints
    "invalid-json": ("invalid", 0),
    "not-a-notebook": ("invalid", 0),
    "empty": ("invalid", 0),
    "huge": ("graded", 4),
    "torch-state-flipped": ("graded", 4),  # probes run in the grader's state whatever the notebook left
    "cwd-and-environment": ("graded", 4),
    "print-flood-after-training": ("graded", 4),  # 10**7 lines, then a thread printing: no probe waits behind them
    "warning-flood-before-training": ("graded", 4),  # 10**5 warnings, logged warnings, 20 MB on stderr
    "kills-its-parent": ("graded", 4),  # in the sandbox its parent is its PID namespace's init: SIGKILL is ignored
}
# Without the sandbox its parent is the nanny the launcher leaves between it and the grader: the kernel
# dies with it (only the check read from its outputs grader-side still passes), the grader does not.
UNSANDBOXED_VERDICTS = {**VERDICTS, "kills-its-parent": ("kernel-died", 1)}
# Unisolated, these would harm the machine running the tests (kill(-1) hits every process of the user).
HARMFUL_UNISOLATED = {"kills-everything"}


def _processes(pattern: str) -> list[str]:
    found = subprocess.run(["pgrep", "-af", pattern], capture_output=True, text=True).stdout
    return [line for line in found.splitlines() if "pgrep" not in line]


@pytest.fixture(scope="module", params=["auto", "off"], ids=["sandboxed", "unsandboxed"])
def batch(request, tmp_path_factory):
    """The hostile folder graded as one batch, in the sandbox and (less the harmful ones) without it."""
    mode = request.param
    folder = tmp_path_factory.mktemp("hostile") / "submissions"
    shutil.copytree(HOSTILE, folder)
    if mode == "off" or not sandbox.bubblewrap_works():  # without a PID namespace kill(-1) would hit this test run too
        for name in HARMFUL_UNISOLATED:
            (folder / f"{name}.ipynb").unlink()
    huge = nbformat.read(HOSTILE / "control.ipynb", as_version=4)
    huge.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * 100_000_000)]
    nbformat.write(huge, folder / "huge.ipynb")
    # this batch's scratch folders (and so its kernels' connection files) live under `scratch`,
    # so what other graders on the machine do cannot be mistaken for leftovers
    scratch = folder.parent / "scratch"
    scratch.mkdir()
    out = folder.parent / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(scratch))
        patch.setattr(tempfile, "tempdir", str(scratch))
        settings = dataclasses.replace(SETTINGS, sandbox=mode)
        summary = grade_folder(folder, BatchOptions(out, FIXTURE_SOLUTIONS, settings))
    left = {
        "scratch": {p.name for p in scratch.glob("grade-*")},
        "kernels": _processes(str(scratch)),
        "sleepers": _processes("sleep 98[67]"),
    }
    return {Path(r.path).stem: r for r in summary.results}, out, left, mode


def _isolated(batch) -> bool:
    return batch[3] != "off" and sandbox.bubblewrap_works()


def test_every_submission_gets_a_row(batch):
    results, out, _, _ = batch
    expected = set(VERDICTS) if _isolated(batch) else set(VERDICTS) - HARMFUL_UNISOLATED
    assert set(results) == expected
    assert len((out / "grades.csv").read_text().splitlines()) == len(expected) + 1


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_verdict(batch, name):
    if name not in batch[0]:
        pytest.skip(f"{name} is only graded inside the bubblewrap sandbox")
    result = batch[0][name]
    expected = VERDICTS if _isolated(batch) else UNSANDBOXED_VERDICTS
    assert (result.status, result.score) == expected[name], result.message


def test_nothing_is_left_behind(batch):
    _, _, left, _ = batch
    assert left == {"scratch": set(), "kernels": [], "sleepers": []}


def test_timeouts_and_deaths_say_what_happened(batch):
    results = batch[0]
    assert results["infinite-loop"].execution.cells[0].status == "timeout"
    assert "ignored the interrupt, so the kernel was killed" in results["ignores-interrupt"].message
    assert "exited with status 3" in results["os-exit"].message
    assert "segmentation fault" in results["segfault"].message
    assert "NOTE: When using" not in results["segfault"].message  # ipykernel's banner is not a cause
    assert results["memory-bomb"].execution.cells[0].ename == "MemoryError"


def test_output_flood_is_truncated_and_the_result_stays_small(batch):
    results, out, _, _ = batch
    cell = results["output-flood"].execution.cells[0]
    assert "characters cut by the grader" in cell.stdout and len(cell.stdout) < 50_000
    assert (out / results["output-flood"].submission / "result.json").stat().st_size < 200_000
    assert (out / results["huge"].submission / "result.json").stat().st_size < 200_000


def test_colab_cells_are_neutralised_not_counted(batch):
    note = batch[0]["colab-cells"].execution.cells[0].note
    assert "!pip install torchmetrics" in note and "google.colab" in note and "drive.mount" in note


def test_sandbox_hides_files_network_and_the_outside(batch):
    if not _isolated(batch):
        pytest.skip("only inside the sandbox")
    stdout = batch[0]["reads-secrets"].execution.cells[0].stdout
    assert stdout.splitlines() == ["found: []", "network: blocked", "write outside: refused"]
    assert "bubblewrap sandbox" in batch[0]["control"].execution.isolation


def test_kernels_cannot_reach_each_other(batch):
    if not _isolated(batch):
        pytest.skip("only inside the sandbox")
    # kernels of one batch run side by side (forked from one template by default): none may see another's files
    stdout = batch[0]["spies-on-neighbours"].execution.cells[0].stdout
    assert stdout.splitlines() == ["readable: []", "beside me: []"]


def test_malformed_files_get_clear_messages(batch):
    results = batch[0]
    assert results["invalid-json"].message.startswith("not a readable notebook: NotJSONError")
    assert results["not-a-notebook"].message.startswith("not a readable notebook")
    assert results["empty"].message == "the notebook has no code to run (no non-empty code cells)"
    assert any("read as Windows-1252/Latin-1" in note for note in results["non-utf8"].notes)
    assert any("converted from nbformat 3 to 4" in note for note in results["nbformat3"].notes)
    assert "text matches" in results["no-tags"].identified_by


def test_reports_render_for_every_hostile_submission(batch):
    results, out, _, _ = batch
    for result in results.values():
        html = (out / result.submission / "report.html").read_text()
        assert result.status in html and "<script>" not in html.split("</style>")[-1]
    assert json.loads((out / results["control"].submission / "result.json").read_text())["score"] == 4


def test_floods_cost_nothing_and_are_summarised(batch):
    results = batch[0]
    for name in ("print-flood-after-training", "warning-flood-before-training"):
        result = results[name]
        assert all(c.points == c.max_points for e in result.exercises for c in e.checks), result.message
        assert result.seconds < 60, f"{name} took {result.seconds} s"  # bounded: no request waited out its timeout
        training = next(c for c in result.execution.cells if "ex1" in c.tags)
        assert [line.split(" |")[0] for line in training.stdout.splitlines()] == [f"Epoch: {e}" for e in range(0, 100, 10)]
    flood = results["warning-flood-before-training"].execution.cells[0]
    assert flood.warnings == 100_000
    assert flood.stderr_summary.startswith("100,000 warnings, 3 distinct: UserWarning: this API is deprecated (call 0) (×33,334)")
    assert "1,000 logged records" in flood.stderr_summary and len(flood.stdout) == 0
