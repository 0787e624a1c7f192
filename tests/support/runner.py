"""Jobs the notebook tests run in worker processes, and the submissions they build.

Everything that executes a notebook lives here so that one session-wide pass
(tests/conftest.py) serves every check: each notebook runs as few times as possible.
"""

from __future__ import annotations

import ast
import copy
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import nbformat

from dlcourse.tooling import notebooks as nbtools

SUPPORT = Path(__file__).resolve().parent


# ----------------------------------------------------------------------------- notebook helpers
def cell_kind(cell: Any) -> str:
    m = nbtools.nbgrader_meta(cell)
    if m.get("solution"):
        return "solution"
    if m.get("grade"):
        return "tests"
    return "plain"


def solution_cells(nb: Any) -> dict[str, int]:
    """grade_id of each solution cell -> its index."""
    return {nbtools.nbgrader_meta(c)["grade_id"]: i for i, c in enumerate(nb.cells) if cell_kind(c) == "solution"}


def test_dependencies(nb: Any) -> dict[str, set[str]]:
    """grade_id of each test cell -> the solution cells it needs (the nearest one above it,
    and those of the test cells named in its ``metadata.dlcourse.needs``)."""
    own: dict[str, str] = {}
    last_solution = None
    for c in nb.cells:
        kind = cell_kind(c)
        if kind == "solution":
            last_solution = nbtools.nbgrader_meta(c)["grade_id"]
        elif kind == "tests":
            if last_solution is None:
                raise ValueError(f"test cell {nbtools.nbgrader_meta(c)['grade_id']} has no solution cell above it")
            own[nbtools.nbgrader_meta(c)["grade_id"]] = last_solution
    deps = {}
    for c in nb.cells:
        if cell_kind(c) == "tests":
            gid = nbtools.nbgrader_meta(c)["grade_id"]
            needs = c.metadata.get("dlcourse", {}).get("needs", [])
            unknown = [n for n in needs if n not in own]
            if unknown:
                raise ValueError(f"{gid} needs unknown test cells {unknown}")
            deps[gid] = {own[gid], *(own[n] for n in needs)}
    return deps


def fill_solutions(release: Any, solution: Any, which: set[str]) -> Any:
    """A copy of the released notebook with the solution cells in ``which`` answered."""
    nb = copy.deepcopy(release)
    src = {nbtools.nbgrader_meta(c)["grade_id"]: c.source for c in solution.cells if cell_kind(c) == "solution"}
    for c in nb.cells:
        if cell_kind(c) == "solution" and nbtools.nbgrader_meta(c)["grade_id"] in which:
            c.source = src[nbtools.nbgrader_meta(c)["grade_id"]]
    return nb


def function_names(source: str) -> list[str]:
    """Names of the top-level functions a cell defines; [] if it defines anything else too."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    others = [n for n in tree.body if isinstance(n, (ast.ClassDef, ast.Assign, ast.AnnAssign))]
    return [] if others else names


def assigned_names(source: str) -> set[str]:
    """Names a cell binds at top level (assignments, defs, classes, imports)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    out.add(sub.id)
    return out


def _code_cell(source: str) -> Any:
    return nbformat.v4.new_code_cell(source)


def recording_notebook(release: Any, solution: Any, table: Path) -> tuple[Any, dict[str, list[str]]]:
    """Release + every solution, each top-level function wrapped to record the public tests' calls."""
    nb = fill_solutions(release, solution, set(solution_cells(solution)))
    wrapped: dict[str, list[str]] = {}
    cells = []
    boot = f"import sys as _s; _s.path.insert(0, {str(SUPPORT.parent)!r}); from support import cheat as _cheat"
    cells.append(_code_cell(boot))
    for c in nb.cells:
        if cell_kind(c) == "tests":
            cells += [_code_cell("_cheat.recording(True)"), c, _code_cell("_cheat.recording(False)")]
            continue
        cells.append(c)
        if cell_kind(c) == "solution":
            names = function_names(c.source)
            if names:
                wrapped[nbtools.nbgrader_meta(c)["grade_id"]] = names
                cells.append(_code_cell("\n".join(f"{n} = _cheat.record({n!r}, {n})" for n in names)))
    cells.append(_code_cell(f"_cheat.dump({str(table)!r})"))
    nb.cells = cells
    return nb, wrapped


def cheat_notebook(base: Any, solution: Any, wrapped: dict[str, list[str]], table: str) -> Any:
    """``base`` (release or solution form) with every function exercise replaced by the lookup cheat.

    Self-contained, as a learner's notebook is: the cheat's code is in the cells (a graded kernel
    imports nothing from its folder) and it reads the table from the file ``table`` next to the
    notebook (a submission's other files are copied along with it).
    """
    nb = copy.deepcopy(base)
    src = {nbtools.nbgrader_meta(c)["grade_id"]: c.source for c in solution.cells if cell_kind(c) == "solution"}
    code = (SUPPORT / "cheat.py").read_text()
    boot = f"_cheat = {{}}\nexec(compile({code!r}, 'cheat.py', 'exec'), _cheat)\n"
    for c in nb.cells:
        if cell_kind(c) != "solution":
            continue
        gid = nbtools.nbgrader_meta(c)["grade_id"]
        body = src[gid]
        if gid in wrapped:
            body = boot + body + "\n" + "\n".join(f"{n} = _cheat['lookup']({n!r}, {table!r})" for n in wrapped[gid])
        c.source = body
    return nb


# ----------------------------------------------------------------------------- worker jobs
def job_execute(path: str, env: dict[str, str] | None = None, nb: Any = None) -> dict[str, Any]:
    """Execute a notebook file (or ``nb``, written next to ``path``) and summarise the run."""
    target = Path(path)
    if nb is not None:
        nbformat.write(nb, str(target))
    run = nbtools.execute_notebook(target, allow_errors=True, env=env)
    return {"path": path, "seconds": run.seconds, "errors": run.errors, "notebook": run.notebook}


def job_autograde(course: str, weeks: list[str]) -> dict[str, Any]:
    """Autograde every submission of ``weeks`` in a scratch course; return scores and wall time."""
    course_path = Path(course)
    start = time.perf_counter()
    logs = []
    for week in weeks:
        proc = nbtools.nbgrader(course_path, "autograde", week, check=False)
        logs.append(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader autograde {week} failed in {course}:\n{logs[-1][-5000:]}")
    seconds = time.perf_counter() - start
    reports = {}  # week/student/notebook -> the grader's report (dlcourse.grader.execute.GuardedExecute)
    for path in sorted((course_path / "autograder" / "reports").glob("*/*/*.json")):
        reports["/".join(path.relative_to(course_path / "autograder" / "reports").with_suffix("").parts)] = (
            json.loads(path.read_text()))
    return {
        "course": course,
        "seconds": seconds,
        "scores": {week: nbtools.scores(course_path, week) for week in weeks},
        "reports": reports,
        "log": "\n".join(logs),
    }


def clone_course(course: Path, dest: Path) -> Path:
    shutil.copytree(course, dest)
    return dest


def python() -> str:
    return sys.executable
