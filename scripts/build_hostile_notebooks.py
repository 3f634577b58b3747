"""Write tests/hostile/: notebooks that attack or break the grader, one case each.

Every hostile notebook targets the tiny `mini` assignment of the test suite
(tests/fixtures/solutions/mini): an attack cell first, then the two solved
exercises, so the test can tell whether the rest of the notebook was still
graded. tests/test_hostile.py grades the whole folder as one batch and
asserts each verdict. Run from the repository root:

    python scripts/build_hostile_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import v3
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "hostile"

SOLVED = [
    ("import torch\nfrom torch import nn", []),
    ("layer = nn.Linear(2, 1)", ["ex1"]),
    ("def square(x):\n    return x * x\nprint(square(torch.tensor(3.0)))", ["ex2"]),
]

ATTACKS = {
    "infinite-loop": "while True:\n    pass",
    "ignores-interrupt": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    "memory-bomb": "hog = bytearray(64 * 1024**3)",
    "sys-exit": "import sys\nsys.exit('leaving early')",
    "os-exit": "import os\nos._exit(3)",
    "segfault": "import ctypes\nctypes.string_at(0)",
    "leftover-processes": (
        "import os, subprocess\n"
        "subprocess.Popen(['sleep', '987'])\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.execvp('sleep', ['sleep', '986'])\n"
        "    os._exit(0)"
    ),
    "reads-secrets": (
        "import glob, os, socket\n"
        "found = [p for pattern in ('/work/**/conftest.py', '/root/**/conftest.py', '/tmp/**/*.sqlite', '/tmp/**/*.ipynb')\n"
        "         for p in glob.glob(pattern, recursive=True) if not p.startswith(os.getcwd())]\n"
        "print('found:', found)\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 53), timeout=3)\n"
        "    print('network: open')\n"
        "except OSError:\n"
        "    print('network: blocked')\n"
        "try:\n"
        "    open('/usr/lib/os-release-written-by-student', 'w')\n"
        "    print('write outside: allowed')\n"
        "except OSError:\n"
        "    print('write outside: refused')"
    ),
    "kills-everything": "import os, signal\nos.kill(-1, signal.SIGKILL)",
    # other kernels (forked from the same template, or not) must not be reachable through /proc or the folders
    "spies-on-neighbours": (
        "import os\n"
        "me, own_root, own_ns = os.readlink('/proc/self'), os.stat('/'), os.readlink('/proc/self/ns/mnt')\n"
        "def same_sandbox(pid):\n"
        "    try:\n"
        "        return os.readlink(f'/proc/{pid}/ns/mnt') == own_ns\n"
        "    except OSError:\n"
        "        return False\n"
        "foreign = []\n"
        "for pid in sorted(p for p in os.listdir('/proc') if p.isdigit() and p != me and not same_sandbox(p)):\n"
        "    for what in ('root', 'cwd', 'environ', 'mem', 'maps'):\n"
        "        path = f'/proc/{pid}/{what}'\n"
        "        try:\n"
        "            if what in ('root', 'cwd'):\n"
        "                os.listdir(path)\n"
        "            else:\n"
        "                open(path, 'rb').close()\n"
        "            foreign.append(path)\n"
        "        except OSError:\n"
        "            pass\n"
        "print('readable:', foreign)\n"
        "here = os.path.dirname(os.getcwd())\n"
        "print('beside me:', [n for n in os.listdir(os.path.dirname(here)) if n != os.path.basename(here)])"
    ),
    "output-flood": "for _ in range(300):\n    print('x' * 100_000)",
    "colab-cells": "!pip install torchmetrics\n!nvidia-smi\nfrom google.colab import drive\ndrive.mount('/content/drive')",
    "warnings-and-stderr": "import sys, warnings\nwarnings.warn('this API is deprecated')\nprint('noise on stderr', file=sys.stderr)",
    "forges-probe": (
        "import sys\n"
        "sys.modules['_grader_probe'].respond = lambda *args: None  # try to silence the grader"
    ),
}


# Attacks that come after the solved exercises: the notebook's work is right, then it bends the process.
AFTER = {
    "torch-state-flipped": (
        "import torch\n"
        "torch.set_default_dtype(torch.float64)\n"
        "torch.set_default_device('meta')\n"
        "torch.set_grad_enabled(False)\n"
        "torch.autograd.set_detect_anomaly(True)"
    ),
    "cwd-and-environment": (
        "import os, sys\n"
        "os.chdir('/')\n"
        "os.environ.clear()\n"
        "os.environ.update(HOME='/nowhere', PATH='/nowhere', TMPDIR='/nowhere', MPLBACKEND='nonsense')\n"
        "sys.path.insert(0, '/nowhere')"
    ),
    "kills-its-parent": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
}

# The floods of the red team, around a correct training exercise written the way the course does it:
# ex1 trains its layer and prints "Epoch: 0 | Loss: …" every 10 epochs (the lines training specs read).
TRAINED = [
    ("import torch\nfrom torch import nn", []),
    (
        "torch.manual_seed(42)\n"
        "X = torch.rand(200, 2) * 2 - 1\n"
        "y = (X.sum(dim=1) > 0).float().unsqueeze(1)  # the label: which side of x + y = 0\n"
        "layer = nn.Linear(2, 1)\n"
        "loss_fn = nn.BCEWithLogitsLoss()\n"
        "optimizer = torch.optim.SGD(layer.parameters(), lr=0.5)\n"
        "for epoch in range(100):\n"
        "    loss = loss_fn(layer(X), y)\n"
        "    optimizer.zero_grad()\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    if epoch % 10 == 0:\n"
        "        acc = ((layer(X) > 0).float() == y).float().mean() * 100\n"
        "        print(f'Epoch: {epoch} | Loss: {loss.item():.5f}, Accuracy: {acc:.2f}%')",
        ["ex1"],
    ),
    SOLVED[2],
]
# 10**7 lines (in blocks of 10**4, flushed), then a thread that goes on printing one-line messages,
# each flushed, for 30 s after the cell ended
PRINT_FLOOD = (
    "import threading, time\n"
    "for block in range(1000):\n"
    "    print('\\n'.join(f'step {i}' for i in range(block * 10_000, (block + 1) * 10_000)), flush=True)\n"
    "def chatter():\n"
    "    end = time.time() + 30\n"
    "    while time.time() < end:\n"
    "        print('still busy', flush=True)\n"
    "threading.Thread(target=chatter, daemon=True).start()"
)
# 10**5 UserWarnings (filter "always"), logged warnings and 20 MB on stderr
WARNING_FLOOD = (
    "import logging, sys, warnings\n"
    "warnings.simplefilter('always')\n"
    "for i in range(100_000):\n"
    "    warnings.warn(f'this API is deprecated (call {i % 3})', UserWarning)\n"
    "for i in range(1000):\n"
    "    logging.warning('learning rate %s may be too high', 0.5)\n"
    "for _ in range(200):\n"
    "    sys.stderr.write('E' * 99_999 + '\\n')"
)


def notebook(cells: list[tuple[str, list[str]]], assignment: str | None = "mini") -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_markdown_cell("# Mini assignment")])
    for index, (source, tags) in enumerate(cells):
        cell = new_code_cell(source)
        cell["id"] = f"cell-{index}"
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.cells[0]["id"] = "title"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if assignment:
        nb.metadata["grader"] = {"assignment": assignment}
    return nb


def write_malformed() -> None:
    (OUT / "invalid-json.ipynb").write_text('{"cells": [ this is not json', encoding="utf-8")
    (OUT / "not-a-notebook.ipynb").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    latin1 = notebook([("print('caf\u00e9')", ["ex1"])])  # saved by an editor in Latin-1
    (OUT / "non-utf8.ipynb").write_bytes(nbformat.writes(latin1).encode("latin-1"))
    nbformat.write(new_notebook(cells=[], metadata={"grader": {"assignment": "mini"}}), OUT / "empty.ipynb")
    v3_cells = [v3.new_code_cell(input=source) for source, _ in SOLVED]
    v3_nb = v3.new_notebook(worksheets=[v3.new_worksheet(cells=v3_cells)], metadata={"grader": {"assignment": "mini"}})
    (OUT / "nbformat3.ipynb").write_text(nbformat.writes(v3_nb, version=3), encoding="utf-8")
    untagged = notebook([(source, []) for source, _ in SOLVED], assignment=None)
    nbformat.write(untagged, OUT / "no-tags.ipynb")
    duplicated = notebook([*SOLVED, ("layer = nn.Linear(2, 3)  # a copied cell, changed", ["ex1"])])
    nbformat.write(duplicated, OUT / "duplicated-tags.ipynb")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(SOLVED), OUT / "control.ipynb")
    for name, attack in ATTACKS.items():
        nbformat.write(notebook([(attack, []), *SOLVED]), OUT / f"{name}.ipynb")
    for name, attack in AFTER.items():
        nbformat.write(notebook([*SOLVED, (attack, [])]), OUT / f"{name}.ipynb")
    nbformat.write(notebook([*TRAINED, (PRINT_FLOOD, [])]), OUT / "print-flood-after-training.ipynb")
    nbformat.write(notebook([(WARNING_FLOOD, []), *TRAINED]), OUT / "warning-flood-before-training.ipynb")
    write_malformed()


if __name__ == "__main__":
    main()
