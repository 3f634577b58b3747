"""Write the real-world corpus: tests/realworld/notebooks/<name>.ipynb from the cell lists in nb_*.py.

    python tests/realworld/build_corpus.py

Every notebook is rebuilt from data, byte for byte the same on every run (cell ids and Colab
cell ids are derived from the notebook's name and the cell's position). Notebooks in the folder
that no module defines any more are removed. tests/test_realworld.py checks that the committed
files are what this script writes.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path

import nbformat
from nbformat import NotebookNode

HERE = Path(__file__).resolve().parent
OUT = HERE / "notebooks"
MODULES = ("nb_colab", "nb_local", "nb_wrong_moons", "nb_wrong_rest", "nb_meaning", "nb_pairing")

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from corpus import Cell, Notebook, tiny_png  # noqa: E402

# How the notebook's own metadata looks where the student worked on it.
STYLES: dict[str, tuple[int, dict]] = {
    "colab": (0, {
        "colab": {"provenance": [], "gpuType": "T4"},
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
        "language_info": {"name": "python"},
        "accelerator": "GPU",
    }),
    "jupyter": (5, {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {
            "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
            "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3", "version": "3.11.7",
        },
    }),
    "vscode": (2, {
        "kernelspec": {"display_name": ".venv", "language": "python", "name": "python3"},
        "language_info": {
            "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
            "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3", "version": "3.12.2",
        },
    }),
    "conda": (5, {
        "kernelspec": {"display_name": "Python [conda env:torch]", "language": "python",
                       "name": "conda-env-torch-py"},
        "language_info": {
            "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
            "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3", "version": "3.10.13",
        },
    }),
}


def all_notebooks() -> list[Notebook]:
    found: list[Notebook] = []
    for module in MODULES:
        found.extend(importlib.import_module(module).NOTEBOOKS)
    names = [nb.name for nb in found]
    duplicated = {n for n in names if names.count(n) > 1}
    assert not duplicated, f"notebook names used twice: {sorted(duplicated)}"
    return found


def _digest(*parts: object, length: int) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:length]


def _outputs(nb: Notebook, index: int, cell: Cell, count: int | None) -> list[NotebookNode]:
    outputs = []
    if cell.stderr:
        outputs.append(nbformat.v4.new_output("stream", name="stderr", text=cell.stderr))
    if cell.out:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=cell.out))
    if cell.result:
        outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": cell.result},
                                              execution_count=count))
    if cell.figure:
        outputs.append(nbformat.v4.new_output(
            "display_data", data={"image/png": tiny_png(f"{nb.name}/{index}"), "text/plain": cell.figure}))
    return outputs


def build(nb: Notebook) -> NotebookNode:
    minor, metadata = STYLES[nb.style]
    cells = []
    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.kind == "markdown":
            node = nbformat.v4.new_markdown_cell(cell.source)
        else:
            has_output = bool(cell.out or cell.result or cell.figure or cell.stderr)
            if cell.count is not None:
                count = cell.count
            elif has_output or nb.style != "colab":
                count += 1
            shown = count if (has_output or cell.count is not None or nb.style != "colab") else None
            node = nbformat.v4.new_code_cell(cell.source, execution_count=shown,
                                             outputs=_outputs(nb, index, cell, shown))
        if minor >= 5:
            node["id"] = _digest(nb.name, index, length=8)
        else:
            node.pop("id", None)
        if nb.style == "colab":
            node.metadata["id"] = _digest("colab", nb.name, index, length=12)
        cells.append(node)
    # new_notebook validates what it is given (and so would add ids to v4.0 cells): cells go in afterwards
    notebook = nbformat.v4.new_notebook(metadata=metadata)
    notebook.nbformat_minor = minor
    notebook.cells = cells
    return notebook


def render(nb: Notebook) -> str:
    # nbformat.writes would validate first, and validating adds cell ids even to a v4.0 (Colab) notebook
    return nbformat.v4.nbjson.writes(build(nb)) + "\n"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    notebooks = all_notebooks()
    for nb in notebooks:
        (OUT / f"{nb.name}.ipynb").write_text(render(nb), encoding="utf-8")
    wanted = {f"{nb.name}.ipynb" for nb in notebooks}
    for stale in OUT.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    print(f"wrote {len(notebooks)} notebooks to {OUT.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
