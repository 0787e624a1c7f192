"""Mutation testing of the exercises: plausible learner bugs applied to the reference solutions.

A *mutant* is a solution cell with exactly one small change between its ``### BEGIN SOLUTION`` and
``### END SOLUTION`` markers (a sign flip, a swapped operator, a wrong axis, a dropped term, ...;
:data:`OPERATORS` lists them). A mutant is *killed* when one of the test cells that grade the
exercise (those whose ``runner.test_dependencies`` include the cell, see :func:`test_dependencies`)
fails with it; it *survives* when they all pass. A survivor is either a wrong answer the tests
miss (strengthen them) or an *equivalent* mutant: a change that is still a right answer under the
exercise's contract (list it, with its reason, in the reviewed list of the benchmark).

:func:`cell_mutants` builds the mutants of a cell (pure ``ast`` work, no execution).
:func:`run_notebook` executes a solution notebook once, under autograde, in a plain Python process
with an IPython ``InteractiveShell`` (no kernel), and at every solution cell forks one child per
mutant: the child runs the mutated cell and then the cells down to the last test cell that
depends on it, reports through a pipe and exits; the parent then runs the real cell and goes on.
Before the mutants of a cell, an unmutated child must pass through exactly the same cells, so a
kill is never an artefact of the shortcut. :func:`summarize` matches survivors against the
reviewed list. ``benchmarks/mutants.py`` is the command line.
"""

from __future__ import annotations

import ast
import copy
import json
import multiprocessing
import os
import re
import select
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"

OPERATORS: dict[str, str] = {
    "sign": "unary minus removed, or added to an arithmetic value assigned or returned and to exp's argument; + <-> -",
    "arith": "* <-> /, @ <-> *, // <-> /, ** -> *, and the same in augmented assignments",
    "axis": "axis= / dim= (keyword or positional) 0 <-> 1, -1 -> 0, a parameter -> 0 or -1, dropped (all axes)",
    "keepdims": "keepdims=True / keepdim=True dropped",
    "drop_term": "a + b -> a or b, a - b -> a or b",
    "drop_stmt": "an assignment, augmented assignment or expression statement, or an if / else body -> pass",
    "off_by_one": "an integer constant +-1, range() bounds +-1 (and a start of 1), slice bounds +-1",
    "compare": "< <-> <=, > <-> >=, < <-> >, == <-> !=, is <-> is not, in <-> not in",
    "reduce": "mean <-> sum (methods, np. / torch. functions)",
    "argminmax": "argmax <-> argmin",
    "minmax": "max <-> min, maximum <-> minimum, amax <-> amin (also the builtins)",
    "transpose": ".T / .mT / .t() / np.transpose(x) dropped",
    "float_const": "a float constant 0.0 <-> 1.0 (e.g. the mean of a random draw)",
}

_AXIS_KEYWORDS = ("axis", "dim")
_KEEPDIMS = ("keepdims", "keepdim")
# Reductions and friends whose first positional argument (as a method) is an axis ...
_AXIS_METHODS = {
    "sum", "mean", "max", "min", "argmax", "argmin", "std", "var", "prod", "cumsum", "cumprod", "all", "any",
    "softmax", "log_softmax", "logsumexp", "squeeze", "unsqueeze", "amax", "amin", "median", "nansum", "nanmean",
}
# ... and whose second positional argument (as np. / torch. / F. function) is one.
_AXIS_FUNCTIONS = _AXIS_METHODS | {"concatenate", "stack", "cat", "expand_dims", "flip"}
_MODULES = {"np", "numpy", "torch", "F", "nn"}
# Calls whose result a learner might get with the wrong sign (a minus is added to the value of an
# assignment, a return or a dict entry when it is an arithmetic expression or one of these calls).
_NUMERIC = {
    "sum", "mean", "exp", "log", "sqrt", "dot", "matmul", "einsum", "outer", "maximum", "minimum", "max", "min",
    "where", "float", "item", "tanh", "clip", "abs", "var", "std", "prod", "cross_entropy", "softmax",
    "log_softmax", "logsumexp", "sigmoid", "mse_loss", "nll_loss",
}
_COMPARE_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,), ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
_ARITH_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Mult: (ast.Div, ast.MatMult), ast.Div: (ast.Mult, ast.FloorDiv), ast.MatMult: (ast.Mult,),
    ast.FloorDiv: (ast.Div,), ast.Pow: (ast.Mult,),
}
_RENAMES = {
    "reduce": {"mean": "sum", "sum": "mean"},
    "argminmax": {"argmax": "argmin", "argmin": "argmax"},
    "minmax": {"max": "min", "min": "max", "maximum": "minimum", "minimum": "maximum", "amax": "amin",
               "amin": "amax"},
}


# ----------------------------------------------------------------------------- mutants of a cell
@dataclass(frozen=True)
class Mutant:
    """One change to one solution cell.

    ``before`` and ``after`` are the changed line(s) of the cell, stripped of indentation and
    comments (several lines are joined by " | "); with ``grade_id``, ``operator`` and
    ``occurrence`` (1, or n for the n-th mutant of the cell with the same three texts, when a line
    repeats) they make the :attr:`key` that the reviewed list of equivalent mutants uses, which
    stays the same when other lines of the cell change. ``source`` is the whole mutated cell.
    """

    grade_id: str
    operator: str
    lineno: int
    before: str
    after: str
    source: str
    occurrence: int = 1

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.grade_id, self.operator, self.before, self.after, self.occurrence)


@dataclass
class _Edit:
    operator: str
    node: ast.AST  # a node of the original tree
    new: ast.AST | None = None  # its replacement, or None with `body`
    body: str | None = None  # "body" / "orelse": that statement list of `node` becomes `pass`


def solution_regions(source: str) -> list[tuple[int, int]]:
    """(begin line, end line) of each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` pair, 1-based."""
    regions, start = [], None
    for i, line in enumerate(source.splitlines(), start=1):
        text = line.strip()
        if text.startswith(BEGIN):
            start = i
        elif text.startswith(END) and start is not None:
            regions.append((start, i))
            start = None
    return regions


def _inside(node: ast.AST, regions: list[tuple[int, int]]) -> bool:
    first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    return first is not None and last is not None and any(b < first and last < e for b, e in regions)


def _name_of(func: ast.AST) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _is_module_call(call: ast.Call) -> bool:
    f = call.func
    return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in _MODULES


def _int_value(node: ast.AST) -> int | None:
    """The value of an int literal, also a negative one (``-1``); None for anything else (bools too)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_value(node.operand)
        return None if inner is None else -inner
    return None


def _int_node(value: int) -> ast.expr:
    return ast.UnaryOp(ast.USub(), ast.Constant(-value)) if value < 0 else ast.Constant(value)


def _plus(node: ast.expr, k: int) -> ast.expr:
    return ast.BinOp(copy.deepcopy(node), ast.Add() if k > 0 else ast.Sub(), ast.Constant(abs(k)))


def _axis_alternatives(value: ast.expr) -> list[ast.expr | None]:
    """What a learner might have written instead of this axis (None: no axis at all)."""
    k = _int_value(value)
    if k is not None:
        return [_int_node(0 if k in (1, -1) else 1 if k == 0 else k - 1), None]
    if isinstance(value, ast.Constant) and value.value is None:
        return [ast.Constant(0)]
    if isinstance(value, (ast.Name, ast.Attribute)):  # axis=axis: hard-coding it is the bug
        return [None, ast.Constant(0), _int_node(-1)]
    return []


def _call_with(call: ast.Call, args: list[ast.expr] | None = None,
               keywords: list[ast.keyword] | None = None) -> ast.Call:
    new = copy.deepcopy(call)
    if args is not None:
        new.args = args
    if keywords is not None:
        new.keywords = keywords
    return new


def _edits(tree: ast.Module, regions: list[tuple[int, int]]) -> list[_Edit]:
    """Every candidate change, in source order (duplicates are removed later)."""
    edits: list[_Edit] = []
    skip_ints: set[int] = set()  # ids of int constants that another operator owns (axes, -k)

    def add(op: str, node: ast.AST, new: ast.AST | None = None, body: str | None = None) -> None:
        edits.append(_Edit(op, node, new, body))

    def negate(value: ast.expr | None) -> None:
        if value is None:
            return
        parts = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
        if isinstance(value, ast.Dict):
            parts = [v for v in value.values if v is not None]
        for part in parts:
            numeric = isinstance(part, ast.BinOp) or (isinstance(part, ast.Call) and _name_of(part.func) in _NUMERIC)
            if numeric and _inside(part, regions):
                add("sign", part, ast.UnaryOp(ast.USub(), copy.deepcopy(part)))

    def visit_call(node: ast.Call) -> None:
        name = _name_of(node.func)
        # axis / dim keywords and keepdims
        for i, kw in enumerate(node.keywords):
            others = node.keywords[:i] + node.keywords[i + 1:]
            if kw.arg in _AXIS_KEYWORDS:
                if _int_value(kw.value) is not None:
                    skip_ints.add(id(kw.value))
                    if isinstance(kw.value, ast.UnaryOp):
                        skip_ints.add(id(kw.value.operand))
                for alt in _axis_alternatives(kw.value):
                    if alt is None:
                        add("axis", node, _call_with(node, keywords=copy.deepcopy(others)))
                    else:
                        add("axis", kw.value, alt)
            if kw.arg in _KEEPDIMS and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                add("keepdims", node, _call_with(node, keywords=copy.deepcopy(others)))
        # positional axes
        pos = None
        if isinstance(node.func, ast.Attribute) and name in _AXIS_FUNCTIONS and _is_module_call(node):
            pos = 1
        elif isinstance(node.func, ast.Attribute) and name in _AXIS_METHODS:
            pos = 0
        if pos is not None and len(node.args) > pos and _int_value(node.args[pos]) is not None:
            arg = node.args[pos]
            skip_ints.add(id(arg))
            if isinstance(arg, ast.UnaryOp):
                skip_ints.add(id(arg.operand))
            for alt in _axis_alternatives(arg):
                if alt is None:
                    add("axis", node, _call_with(node, args=copy.deepcopy(node.args[:pos] + node.args[pos + 1:])))
                else:
                    add("axis", arg, alt)
        # renames: mean <-> sum, argmax <-> argmin, max <-> min
        for op, table in _RENAMES.items():
            if name in table:
                if isinstance(node.func, ast.Attribute):
                    new_func: ast.expr = ast.Attribute(copy.deepcopy(node.func.value), table[name], ast.Load())
                elif op == "minmax" and isinstance(node.func, ast.Name):  # builtins max / min
                    new_func = ast.Name(table[name], ast.Load())
                else:
                    continue
                add(op, node.func, new_func)
        # dropped transposes: x.t(), np.transpose(x)
        if name == "t" and isinstance(node.func, ast.Attribute) and not node.args and not node.keywords:
            add("transpose", node, copy.deepcopy(node.func.value))
        if name == "transpose" and _is_module_call(node) and len(node.args) == 1 and not node.keywords:
            add("transpose", node, copy.deepcopy(node.args[0]))
        # exp(-x) <-> exp(x): the removal is the generic unary-minus rule
        if name == "exp" and node.args and not (isinstance(node.args[0], ast.UnaryOp)
                                                and isinstance(node.args[0].op, ast.USub)):
            add("sign", node.args[0], ast.UnaryOp(ast.USub(), copy.deepcopy(node.args[0])))
        # range() bounds
        if isinstance(node.func, ast.Name) and name == "range" and 1 <= len(node.args) <= 3 and not node.keywords:
            args = node.args
            stop_i = 0 if len(args) == 1 else 1
            if _int_value(args[stop_i]) is None:
                for k in (-1, 1):
                    add("off_by_one", args[stop_i], _plus(args[stop_i], k))
            if len(args) == 1:
                add("off_by_one", node, _call_with(node, args=[ast.Constant(1), copy.deepcopy(args[0])]))
            elif _int_value(args[0]) is None:
                for k in (-1, 1):
                    add("off_by_one", args[0], _plus(args[0], k))

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.JoinedStr, ast.Raise, ast.Assert)):
            return  # messages and guards are not the answer
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            return  # docstrings and string statements
        if _inside(node, regions):
            visit_node(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    def visit_node(node: ast.AST) -> None:
        if id(node) in skip_ints:
            return  # an axis (the axis operator owns it) or the k of a -k
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            add("sign", node, copy.deepcopy(node.operand))
            k = _int_value(node)
            if k is not None:
                skip_ints.add(id(node.operand))
                for d in (-1, 1):
                    add("off_by_one", node, _int_node(k + d))
        elif isinstance(node, ast.BinOp):
            if isinstance(node.op, (ast.Add, ast.Sub)):
                other = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
                add("sign", node, ast.BinOp(copy.deepcopy(node.left), other, copy.deepcopy(node.right)))
                add("drop_term", node, copy.deepcopy(node.left))
                add("drop_term", node, copy.deepcopy(node.right))
            for new_op in _ARITH_SWAPS.get(type(node.op), ()):
                add("arith", node, ast.BinOp(copy.deepcopy(node.left), new_op(), copy.deepcopy(node.right)))
        elif isinstance(node, ast.AugAssign):
            swaps: tuple[type, ...] = ()
            if isinstance(node.op, (ast.Add, ast.Sub)):
                new = copy.deepcopy(node)
                new.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
                add("sign", node, new)
            else:
                swaps = _ARITH_SWAPS.get(type(node.op), ())
            for new_op in swaps:
                new = copy.deepcopy(node)
                new.op = new_op()
                add("arith", node, new)
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for new_op in _COMPARE_SWAPS.get(type(op), ()):
                    new = copy.deepcopy(node)
                    new.ops[i] = new_op()
                    add("compare", node, new)
        elif isinstance(node, ast.Call):
            visit_call(node)
        elif isinstance(node, ast.Attribute) and node.attr in ("T", "mT") and isinstance(node.ctx, ast.Load):
            add("transpose", node, copy.deepcopy(node.value))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            for bound in (node.slice.lower, node.slice.upper):
                if bound is not None and _int_value(bound) is None:
                    for k in (-1, 1):
                        add("off_by_one", bound, _plus(bound, k))
        elif isinstance(node, ast.Constant):
            if type(node.value) is int:
                for d in (-1, 1):
                    add("off_by_one", node, _int_node(node.value + d))
            elif type(node.value) is float and node.value in (0.0, 1.0):
                add("float_const", node, ast.Constant(1.0 - node.value))
        # statements
        if isinstance(node, (ast.Return, ast.Assign, ast.AnnAssign)):
            negate(node.value)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)):
            add("drop_stmt", node, ast.Pass())
        if isinstance(node, ast.If):
            add("drop_stmt", node, body="body")
            if node.orelse and not (len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If)):
                add("drop_stmt", node, body="orelse")

    visit(tree)
    return edits


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _span(edit: _Edit) -> tuple[int, int, int, int]:
    if edit.body is not None:
        stmts = getattr(edit.node, edit.body)
        return stmts[0].lineno, stmts[0].col_offset, stmts[-1].end_lineno, stmts[-1].end_col_offset
    n = edit.node
    return n.lineno, n.col_offset, n.end_lineno, n.end_col_offset  # type: ignore[attr-defined]


def _apply(tree: ast.Module, edit: _Edit, index: dict[int, int]) -> ast.Module:
    """A copy of ``tree`` with the edit made."""
    new_tree = copy.deepcopy(tree)
    nodes = list(ast.walk(new_tree))
    target = nodes[index[id(edit.node)]]
    if edit.body is not None:
        setattr(target, edit.body, [ast.Pass()])
        return new_tree
    for parent in nodes:
        for name, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, name, edit.new)
                return new_tree
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is target:
                        value[i] = edit.new
                        return new_tree
    raise RuntimeError("mutation target not found")  # pragma: no cover


_COMMENT = re.compile(r"""("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|#.*""")


def strip_comment(line: str) -> str:
    """The line without its trailing comment (a ``#`` inside a string literal stays), stripped."""
    return _COMMENT.sub(lambda m: m.group(1) or "", line).strip()


def _changed_text(lines: list[str]) -> str:
    return " | ".join(t for t in (strip_comment(ln) for ln in lines) if t)


def cell_mutants(source: str, grade_id: str, operators: Collection[str] | None = None) -> list[Mutant]:
    """Every mutant of a solution cell: one change each, only between the solution markers.

    Mutants whose code (``ast.dump``) equals the original's or an earlier mutant's are dropped.
    A cell that does not parse (IPython magics) gets none.
    """
    unknown = set(operators or ()) - set(OPERATORS)
    if unknown:
        raise ValueError(f"unknown mutation operators {sorted(unknown)}; known: {sorted(OPERATORS)}")
    regions = solution_regions(source)
    if not regions:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    index = {id(n): i for i, n in enumerate(ast.walk(tree))}
    data = source.encode()
    starts = _line_starts(data)
    lines = source.splitlines()
    seen = {ast.dump(tree)}
    out: list[Mutant] = []
    counts: dict[tuple[str, str, str], int] = {}
    for edit in _edits(tree, regions):
        if operators and edit.operator not in operators:
            continue
        mutated = _apply(tree, edit, index)
        dump = ast.dump(mutated)
        if dump in seen:
            continue
        seen.add(dump)
        l0, c0, l1, c1 = _span(edit)
        text = "pass" if edit.body is not None else ast.unparse(edit.new)  # type: ignore[arg-type]
        head, tail = data[: starts[l0 - 1] + c0], data[starts[l1 - 1] + c1:]
        for candidate in (text, f"({text})"):
            new_source = (head + candidate.encode() + tail).decode()
            try:
                if ast.dump(ast.parse(new_source)) == dump:
                    break
            except SyntaxError:
                pass
        else:  # pragma: no cover - every operator's edit splices; a new one that does not is a bug
            raise RuntimeError(f"{grade_id}: could not write the {edit.operator} mutant at line {l0}")
        new_lines = new_source.splitlines()
        n_new = (l1 - l0 + 1) + len(new_lines) - len(lines)
        before, after = _changed_text(lines[l0 - 1:l1]), _changed_text(new_lines[l0 - 1:l0 - 1 + n_new])
        counts[edit.operator, before, after] = nth = counts.get((edit.operator, before, after), 0) + 1
        out.append(Mutant(grade_id, edit.operator, l0, before, after, new_source, nth))
    return out


# ----------------------------------------------------------------------------- notebooks
@dataclass
class Cell:
    index: int
    cell_type: str
    kind: str  # "solution", "tests", "plain" (code) or "markdown"/"raw"
    grade_id: str | None
    source: str
    needs: list[str] = field(default_factory=list)


def notebook_cells(nb: dict[str, Any]) -> list[Cell]:
    """The cells of a notebook (as read by ``json.load``) with their nbgrader role."""
    cells = []
    for i, c in enumerate(nb["cells"]):
        meta = c.get("metadata", {})
        grader = meta.get("nbgrader", {})
        src = c.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        if c["cell_type"] != "code":
            kind = c["cell_type"]
        elif grader.get("solution"):
            kind = "solution"
        elif grader.get("grade"):
            kind = "tests"
        else:
            kind = "plain"
        cells.append(Cell(i, c["cell_type"], kind, grader.get("grade_id"), src,
                          list(meta.get("dlcourse", {}).get("needs", []))))
    return cells


def test_dependencies(cells: list[Cell]) -> dict[str, set[str]]:
    """grade_id of each test cell -> the solution cells it needs: the nearest one above it, and
    those of the test cells named in its ``metadata.dlcourse.needs`` (as ``tests/support/runner.py``)."""
    own: dict[str, str] = {}
    last = None
    for c in cells:
        if c.kind == "solution":
            last = c.grade_id
        elif c.kind == "tests":
            if last is None:
                raise ValueError(f"test cell {c.grade_id} has no solution cell above it")
            own[c.grade_id] = last  # type: ignore[index]
    deps = {}
    for c in cells:
        if c.kind == "tests":
            unknown = [n for n in c.needs if n not in own]
            if unknown:
                raise ValueError(f"{c.grade_id} needs unknown test cells {unknown}")
            deps[c.grade_id] = {own[c.grade_id], *(own[n] for n in c.needs)}  # type: ignore[index]
    return deps


@dataclass
class Outcome:
    """What happened to one mutant: ``killed`` (a dependent test cell failed), ``timeout`` (killed
    after the time limit, as a grader would), ``crashed`` (the process died: killed too) or
    ``survived``. ``detail`` names the test cell and error that killed it."""

    grade_id: str
    operator: str
    lineno: int
    before: str
    after: str
    status: str
    detail: str = ""
    seconds: float = 0.0
    occurrence: int = 1

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.grade_id, self.operator, self.before, self.after, self.occurrence)

    @property
    def killed(self) -> bool:
        return self.status != "survived"


@dataclass
class NotebookResult:
    name: str
    seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the notebook itself failing: a bug to fix first
    baselines: dict[str, float] = field(default_factory=dict)  # solution grade_id -> seconds of its test path
    cells: list[str] = field(default_factory=list)  # solution grade_ids that were mutated


def _error_text(result: Any) -> str:
    err = result.error_before_exec or result.error_in_exec
    if err is None:
        return ""
    first = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {first[:200]}"


def _make_shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    cfg = Config()
    cfg.HistoryManager.enabled = False
    cfg.InteractiveShell.colors = "nocolor"
    shell = InteractiveShell.instance(config=cfg)
    shell.enable_gui = lambda gui=None: None  # `%matplotlib inline` asks for it; a plain shell has no event loop
    return shell


def _run_child(shell: Any, first: str, path: list[Cell], dependents: set[int]) -> dict[str, Any]:
    """In the forked child: the (mutated) solution cell, then the path; stop at the first failing test."""
    shell.run_cell(first, store_history=False, silent=True)  # its own error costs no points: its tests decide
    for cell in path:
        result = shell.run_cell(cell.source, store_history=False, silent=True)
        if cell.index in dependents and not result.success:
            return {"status": "killed", "detail": f"{cell.grade_id}: {_error_text(result)}"}
    return {"status": "survived", "detail": ""}


def _fork_run(shell: Any, first: str, path: list[Cell], dependents: set[int], timeout: float) -> tuple[str, str, float]:
    """Run ``first`` and ``path`` in a forked child; (status, detail, seconds)."""
    read_end, write_end = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(read_end)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            payload = json.dumps(_run_child(shell, first, path, dependents)).encode()
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view):]
        except BaseException:  # noqa: BLE001 - whatever happens, the child must not return into the parent's code
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks, deadline, finished, timed_out = [], start + timeout, False, False
    try:
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_end], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_end, 65536)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:  # a timeout, or the parent interrupted: the child must not outlive it
        os.close(read_end)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    seconds = time.perf_counter() - start
    if timed_out:
        return "timeout", f"no result after {timeout:g} s", seconds
    try:
        report = json.loads(b"".join(chunks).decode())
    except ValueError:
        return "crashed", "the process died without a result", seconds
    return report["status"], report["detail"], seconds


def _select(grade_id: str | None, wanted: Collection[str] | None) -> bool:
    if grade_id is None:
        return False
    return not wanted or grade_id in wanted or grade_id.removesuffix("-code") in wanted


def run_notebook(
    notebook: str | Path | dict[str, Any],
    name: str | None = None,
    grade_ids: Collection[str] | None = None,
    operators: Collection[str] | None = None,
    timeout: float = 60.0,
) -> NotebookResult:
    """Execute a solution notebook once, under autograde, and every mutant of its solution cells.

    ``notebook`` is a path or a notebook dict (as ``json.load`` gives). ``grade_ids`` limits the
    cells that are mutated (a solution cell's grade_id, with or without ``-code``); ``operators``
    the kinds of mutation. A mutant gets ``timeout`` seconds. Meant to run in a process of its own
    (it sets environment variables, silences stdout and forks): ``benchmarks/mutants.py`` gives each
    notebook a fresh worker process.
    """
    if isinstance(notebook, dict):
        nb, folder = notebook, None
        name = name or "notebook"
    else:
        path = Path(notebook)
        nb, folder = json.loads(path.read_text(encoding="utf-8")), path.parent
        name = name or f"{path.parent.name}/{path.name}"
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    # A kernel on Linux starts processes by fork; a worker spawned by benchmarks/mutants.py inherits "spawn",
    # whose named semaphores (tqdm's lock, made anew in each forked child) would outlive the children.
    multiprocessing.set_start_method("fork", force=True)
    os.environ.update(NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg")
    work = Path(tempfile.mkdtemp(prefix="dlcourse-mutants-"))
    os.environ["IPYTHONDIR"] = str(work / ".ipython")
    if folder is not None:  # data files next to the notebook, if any
        for extra in folder.iterdir():
            if extra.is_file() and extra.suffix != ".ipynb":
                (work / extra.name).write_bytes(extra.read_bytes())
    cells = notebook_cells(nb)
    deps = test_dependencies(cells)
    result = NotebookResult(name)
    start = time.perf_counter()
    old_cwd, old_out, old_err = os.getcwd(), sys.stdout, sys.stderr
    devnull = open(os.devnull, "w")  # noqa: SIM115 - closed below
    os.chdir(work)
    sys.stdout = sys.stderr = devnull
    try:
        shell = _make_shell()
        for pos, cell in enumerate(cells):
            if cell.cell_type != "code":
                continue
            if cell.kind == "solution" and _select(cell.grade_id, grade_ids):
                _mutate_cell(shell, cells, pos, deps, operators, timeout, result)
            ran = shell.run_cell(cell.source, store_history=False, silent=True)
            if not ran.success:
                result.problems.append(f"cell {cell.index} ({cell.kind} {cell.grade_id or ''}) raised "
                                       f"{_error_text(ran)}")
    finally:
        sys.stdout, sys.stderr = old_out, old_err
        devnull.close()
        os.chdir(old_cwd)
        shutil.rmtree(work, ignore_errors=True)
    result.seconds = time.perf_counter() - start
    return result


def _mutate_cell(shell: Any, cells: list[Cell], pos: int, deps: dict[str, set[str]],
                 operators: Collection[str] | None, timeout: float, result: NotebookResult) -> None:
    cell = cells[pos]
    gid = cell.grade_id or ""
    mutants = cell_mutants(cell.source, gid, operators)
    result.cells.append(gid)
    dependents = {c.index for c in cells if c.kind == "tests" and gid in deps.get(c.grade_id or "", ())}
    if not mutants:
        return
    if not dependents:
        result.problems.append(f"{gid}: no test cell depends on it; its mutants were not run")
        return
    if "torch" in sys.modules:  # one intra-op thread before any fork: nothing half-initialised to inherit
        sys.modules["torch"].set_num_threads(1)
    last = max(dependents)
    between = [c for c in cells[pos + 1:] if c.cell_type == "code" and c.index <= last]
    # The short path leaves out the test cells of other exercises; the baseline proves it is enough.
    for path in ([c for c in between if c.kind != "tests" or c.index in dependents], between):
        status, detail, seconds = _fork_run(shell, cell.source, path, dependents, max(timeout, 600.0))
        if status == "survived":
            break
    else:
        result.problems.append(f"{gid}: the unmutated cell fails its own tests in the mutation run ({detail}); "
                               "its mutants were not run")
        return
    result.baselines[gid] = round(seconds, 3)
    for m in mutants:
        status, detail, seconds = _fork_run(shell, m.source, path, dependents, timeout)
        result.outcomes.append(Outcome(m.grade_id, m.operator, m.lineno, m.before, m.after, status, detail,
                                       round(seconds, 3), m.occurrence))


# ----------------------------------------------------------------------------- bookkeeping
@dataclass(frozen=True)
class Equivalent:
    """An entry of the reviewed list: a surviving mutant that is not a wrong answer, and why."""

    grade_id: str
    operator: str
    before: str
    after: str
    reason: str
    occurrence: int = 1

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.grade_id, self.operator, self.before, self.after, self.occurrence)


def equivalents_from(entries: Iterable[dict[str, Any]]) -> list[Equivalent]:
    """Parse the reviewed list (``[[equivalent]]`` tables of the TOML file): grade_id, operator, before,
    after and reason are required; occurrence (default 1) tells apart mutants of repeated lines."""
    out = []
    for i, e in enumerate(entries):
        missing = [k for k in ("grade_id", "operator", "before", "after", "reason") if not str(e.get(k, "")).strip()]
        if missing:
            raise ValueError(f"entry {i + 1} of the equivalent-mutant list lacks {missing}: {e}")
        if e["operator"] not in OPERATORS:
            raise ValueError(f"entry {i + 1}: unknown operator {e['operator']!r}")
        out.append(Equivalent(e["grade_id"], e["operator"], e["before"], e["after"], e["reason"],
                              int(e.get("occurrence", 1))))
    return out


@dataclass
class Summary:
    name: str
    mutants: int
    killed: int
    timeouts: int
    equivalent: int
    survivors: list[Outcome]

    @property
    def kill_rate(self) -> float:
        """killed / (mutants - listed equivalent); 1.0 when nothing is left to kill."""
        denominator = self.mutants - self.equivalent
        return self.killed / denominator if denominator else 1.0


def summarize(results: Iterable[NotebookResult], equivalents: Iterable[Equivalent]
              ) -> tuple[list[Summary], list[tuple[Equivalent, str]]]:
    """Per-notebook figures and unlisted survivors, and the stale entries of the list with why.

    An entry is stale when the run mutated its cell and it matches no survivor: it matches no
    mutant at all (the line changed), or its mutant is now killed (the tests got stronger).
    """
    listed = {e.key: e for e in equivalents}
    results = list(results)
    summaries, matched = [], set()
    for r in results:
        equivalent, survivors = 0, []
        for o in r.outcomes:
            if o.killed:
                continue
            if o.key in listed:
                equivalent += 1
                matched.add(o.key)
            else:
                survivors.append(o)
        summaries.append(Summary(r.name, len(r.outcomes), sum(o.killed for o in r.outcomes),
                                 sum(o.status == "timeout" for o in r.outcomes), equivalent, survivors))
    mutated = {gid for r in results for gid in r.cells}
    killed_keys = {o.key for r in results for o in r.outcomes if o.killed}
    stale = []
    for key, e in listed.items():
        if e.grade_id in mutated and key not in matched:
            stale.append((e, "its mutant is now killed" if key in killed_keys else "it matches no mutant"))
    return summaries, stale


def iter_survivors(summaries: Iterable[Summary]) -> Iterator[tuple[str, Outcome]]:
    for s in summaries:
        for o in s.survivors:
            yield s.name, o
