"""Planted copies for the integrity tests: how a student disguises a copied notebook.

Each transformation works on an nbformat notebook and returns a new one; `disguise` applies
all of them: variables renamed (every name the notebook binds, consistently), comments and
printed text changed, two adjacent code cells of a section swapped and two others merged, and
the seeds changed (a copied script trained again with another seed).
"""

from __future__ import annotations

import ast
import copy
import io
import keyword
import random
import re
import tokenize

import nbformat

_SEED_CALL = re.compile(r"(manual_seed|random_state\s*=|seed\s*=)\s*\(?\s*(\d+)")


def bound_names(nb: nbformat.NotebookNode) -> set[str]:
    """Names the notebook's code binds (assignments, defs, classes, loop targets, arguments)."""
    names: set[str] = set()
    for cell in _code(nb):
        try:
            tree = ast.parse(_no_magics(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.arg) and node.arg != "self":
                names.add(node.arg)
    return {n for n in names if not keyword.iskeyword(n)}


def rename_variables(nb: nbformat.NotebookNode, rng: random.Random) -> nbformat.NotebookNode:
    names = sorted(bound_names(nb))
    mapping = {name: f"{rng.choice(['my', 'the', 'v', 'data', 'res'])}_{name[::-1].lower()}_{i}" for i, name in enumerate(names)}
    out = copy.deepcopy(nb)
    for cell in _code(out):
        cell.source = _rename(cell.source, mapping)
    return out


def _rename(source: str, mapping: dict[str, str]) -> str:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    previous = ""
    pieces = []
    for token in tokens:
        text = token.string
        if token.type == tokenize.NAME and previous != "." and text in mapping:
            token = token._replace(string=mapping[text])
        pieces.append(token)
        previous = text
    return tokenize.untokenize(pieces).rstrip("\n")


def change_comments_and_prints(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    out = copy.deepcopy(nb)
    for cell in _code(out):
        lines = []
        for line in cell.source.splitlines():
            if line.lstrip().startswith("#"):
                continue  # comments dropped
            line = re.sub(r"print\((f?)\"[^\"]*\"", r'print(\1"result:"', line)
            lines.append(line + ("  # mine" if line.strip().endswith(")") and "print" not in line else ""))
        cell.source = "\n".join(lines)
    return out


def reorder_and_merge(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Swap the first two adjacent code cells, merge the last two adjacent ones."""
    out = copy.deepcopy(nb)
    pairs = [i for i in range(len(out.cells) - 1) if out.cells[i].cell_type == out.cells[i + 1].cell_type == "code"]
    if pairs:
        i = pairs[0]
        out.cells[i], out.cells[i + 1] = out.cells[i + 1], out.cells[i]
    if len(pairs) > 1:
        j = pairs[-1]
        out.cells[j].source = out.cells[j].source + "\n\n" + out.cells[j + 1].source
        del out.cells[j + 1]
    return out


def reseed(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    out = copy.deepcopy(nb)
    for cell in _code(out):
        cell.source = _SEED_CALL.sub(lambda m: m.group(0).replace(m.group(2), str(int(m.group(2)) + 7)), cell.source)
    return out


def disguise(nb: nbformat.NotebookNode, seed: int) -> nbformat.NotebookNode:
    """Every disguise at once: the hardest planted copy."""
    rng = random.Random(seed)
    return reseed(reorder_and_merge(change_comments_and_prints(rename_variables(nb, rng))))


def _code(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _no_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines())
