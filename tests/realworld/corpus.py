"""Helpers for writing the real-world corpus as data: cells, their saved outputs, notebook styles.

Each notebook module (tests/realworld/nb_*.py) defines `NOTEBOOKS`, a list of `Notebook`s whose
cells are written with `md(...)` and `code(...)`. The saved outputs (`out=`, `result=`, `figure=`)
are what a student's own run left in the file: short, partly made up, never read by a grader
that re-executes the notebook. `build_corpus.py` turns them into nbformat v4 files.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import textwrap
import zlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    kind: str  # "markdown" or "code"
    source: str
    out: str = ""  # saved stdout
    result: str = ""  # saved text/plain execute_result
    figure: str = ""  # saved figure: its text/plain repr, e.g. "<Figure size 640x480 with 1 Axes>"
    count: int | None = None  # execution count shown in the saved file (None: the next one)
    stderr: str = ""  # saved stderr (pip chatter, warnings)


@dataclass(frozen=True)
class Notebook:
    name: str
    style: str  # "colab", "jupyter", "vscode" or "conda" (see build_corpus.STYLES)
    cells: list[Cell] = field(default_factory=list)


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n").rstrip()


def md(text: str) -> Cell:
    return Cell("markdown", _clean(text))


def code(source: str, out: str = "", result: str = "", figure: str = "", count: int | None = None,
         stderr: str = "") -> Cell:
    return Cell("code", _clean(source), _clean(out) + "\n" if out else "", _clean(result), figure, count,
                _clean(stderr) + "\n" if stderr else "")


def epochs_log(fmt: str, epochs: range, start_loss: float = 0.7, end_loss: float = 0.02,
               start_acc: float = 50.0, end_acc: float = 100.0, keep: int = 0) -> str:
    """A made-up but plausible training log: one `fmt` line per epoch in `epochs` (loss falling, accuracy rising).

    `fmt` gets epoch, loss, acc, test_loss, test_acc. With `keep`, only the first and last `keep` lines
    are kept, as when a student trimmed the saved output.
    """
    lines = []
    count = max(len(epochs) - 1, 1)
    for i, epoch in enumerate(epochs):
        t = (i / count) ** 0.5
        loss = start_loss + (end_loss - start_loss) * t
        acc = min(start_acc + (end_acc - start_acc) * t, 100.0)
        lines.append(fmt.format(epoch=epoch, loss=loss, acc=acc, test_loss=loss * 0.95,
                                test_acc=min(acc + 0.5, 100.0)))
    if keep and len(lines) > 2 * keep:
        lines = lines[:keep] + lines[-keep:]
    return "\n".join(lines)


def tiny_png(seed: str) -> str:
    """A small valid PNG (8 x 6 pixels, colours from `seed`), base64: a stand-in for a saved figure."""
    digest = hashlib.sha256(seed.encode()).digest()
    width, height = 8, 6
    rows = b"".join(b"\x00" + bytes(digest[(x + y) % 32] for x in range(width) for _ in range(3))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


# The course template's section headings (exercise n of the course is exercise ex<n> of the assignment).
H1 = ("## 1. Make a binary classification dataset with Scikit-Learn's "
      "[`make_moons()`](https://scikit-learn.org/stable/modules/generated/sklearn.datasets.make_moons.html) function.")
H2 = ("## 2. Build a model by subclassing `nn.Module` that incorporates non-linear activation functions "
      "and is capable of fitting the data you created in 1.")
H3 = ("## 3. Setup a binary classification compatible loss function and optimizer to use when training "
      "the model built in 2.")
H4 = "## 4. Create a training and testing loop to fit the model you created in 2 to the data you created in 1."
H5 = ("## 5. Make predictions with your trained model and plot them using the `plot_decision_boundary()` "
      "function created in this notebook.")
H6 = "## 6. Replicate the Tanh (hyperbolic tangent) activation function in pure PyTorch."
H7 = ("## 7. Create a multi-class dataset using the "
      "[spirals data creation function from CS231n](https://cs231n.github.io/neural-networks-case-study/) "
      "(see below for the code).")
TITLE = "# 02. PyTorch Classification Exercises"

EPOCH_LINE = "Epoch: {epoch} | Loss: {loss:.5f}, Accuracy: {acc:.2f}% | Test loss: {test_loss:.5f}, Test acc: {test_acc:.2f}%"

# The CS231n spirals snippet as students paste it (np.random.seed(42) first, as the template says).
CS231N_SPIRALS = """
np.random.seed(42)
N = 100 # number of points per class
D = 2 # dimensionality
K = 3 # number of classes
X = np.zeros((N*K,D)) # data matrix (each row = single example)
y = np.zeros(N*K, dtype='uint8') # class labels
for j in range(K):
  ix = range(N*j,N*(j+1))
  r = np.linspace(0.0,1,N) # radius
  t = np.linspace(j*4,(j+1)*4,N) + np.random.randn(N)*0.2 # theta
  X[ix] = np.c_[r*np.sin(t), r*np.cos(t)]
  y[ix] = j
# lets visualize the data
plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
plt.show()
"""

# A decision-boundary helper as a student pastes it into the notebook (works for 1 logit or several).
PASTED_PLOT_HELPER = '''
def plot_decision_boundary(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor):
    """Plots decision boundaries of model predicting on X in comparison to y."""
    # everything on the CPU for numpy / matplotlib
    model.to("cpu")
    X, y = X.to("cpu"), y.to("cpu")

    # grid over the data, 101 x 101 points
    x_min, x_max = X[:, 0].min().item() - 0.1, X[:, 0].max().item() + 0.1
    y_min, y_max = X[:, 1].min().item() - 0.1, X[:, 1].max().item() + 0.1
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, 101), np.linspace(y_min, y_max, 101))
    X_to_pred_on = torch.from_numpy(np.column_stack((xx.ravel(), yy.ravel()))).float()

    model.eval()
    with torch.inference_mode():
        y_logits = model(X_to_pred_on)

    # several logits: multi-class; one logit: binary
    if y_logits.ndim > 1 and y_logits.shape[1] > 1:
        y_pred = torch.softmax(y_logits, dim=1).argmax(dim=1)
    else:
        y_pred = torch.round(torch.sigmoid(y_logits))

    y_pred = y_pred.reshape(xx.shape).detach().numpy()
    plt.contourf(xx, yy, y_pred, cmap=plt.cm.RdYlBu, alpha=0.7)
    plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu)
    plt.xlim(xx.min(), xx.max())
    plt.ylim(yy.min(), yy.max())
'''
