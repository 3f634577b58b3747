"""Inline expressions: a computation the student wrote on a tensor in the exercise's cells, not in a function.

"Replicate tanh in pure PyTorch" is often answered as `tanh_A = (torch.exp(A) - torch.exp(-A)) / (…)`
on the tensor `A` of the cell above. Such a statement can stand for a function role: its value,
compiled in the kernel as `lambda A: <value>`, is re-evaluated with `A` bound to the grader's input.
The cells are parsed here with `ast`, grader-side; only the statement's own text goes to the kernel.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from grader.core.results import CellResult

# calls whose value is a figure or a print, not a computation: never re-evaluated
_DRAWING = re.compile(r"^(plt|ax\w*|fig\w*|sns|display|print|plot\w*|show\w*|visuali\w*)$")
_SHELL_LINE = re.compile(r"^[ \t]*[!%].*$", re.MULTILINE)


@dataclass(frozen=True)
class InlineExpression:
    """A top-level statement of a cell whose value computes on one tensor."""

    cell: int  # 1-based index of the cell among all cells
    text: str  # the value, as ast.unparse writes it: what the kernel compiles
    variable: str  # the one tensor name it reads, bound to the input when re-evaluated
    target: str  # the name it was assigned to ("" for a bare expression)
    statement: str  # the whole statement, quoted in the report and read by structural checks


def inline_expressions(
    cells: Iterable[CellResult], is_tensor: Callable[[str, int], bool]
) -> list[InlineExpression]:
    """Every statement of `cells` whose value calls something on exactly one tensor name, in cell order.

    `is_tensor(name, cell)` says whether `name` held a tensor when cell `cell` ran."""
    found = []
    for cell in cells:
        try:
            tree = ast.parse(_SHELL_LINE.sub("pass", cell.source))
        except SyntaxError:
            continue
        for statement in tree.body:
            expression = _of_statement(statement, cell.index, is_tensor)
            if expression is not None:
                found.append(expression)
    return found


def _of_statement(
    statement: ast.stmt, cell: int, is_tensor: Callable[[str, int], bool]
) -> InlineExpression | None:
    """The statement as an inline expression, or None when its value is not a computation on one tensor."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        target, value = statement.targets[0].id, statement.value
    elif isinstance(statement, ast.Expr):
        target, value = "", statement.value
    else:
        return None
    if not any(isinstance(node, ast.Call) for node in ast.walk(value)) or _draws(value):
        return None
    names = {node.id for node in ast.walk(value) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    tensors = sorted(name for name in names if is_tensor(name, cell))
    if len(tensors) != 1 or any(isinstance(node, (ast.Lambda, ast.NamedExpr, ast.Await)) for node in ast.walk(value)):
        return None
    return InlineExpression(cell, ast.unparse(value), tensors[0], target, ast.unparse(statement))


def _draws(value: ast.expr) -> bool:
    """Whether the value is a call that draws or prints (plt.plot(tanh(A)), print(...))."""
    if not isinstance(value, ast.Call):
        return False
    function = value.func
    while isinstance(function, (ast.Attribute, ast.Call)):
        function = function.value if isinstance(function, ast.Attribute) else function.func
    return isinstance(function, ast.Name) and bool(_DRAWING.match(function.id))
