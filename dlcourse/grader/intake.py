"""What a submission looks like before it is graded: readable or not, named as expected, with
the cells the release had, and what in it deserves a human look.

Nothing here changes a submission. ``inspect_submission`` returns, for each file, the notebooks
nbgrader may grade and the problems and flags found; the grader hands nbgrader only the readable,
expected notebooks, so one corrupt file cannot sink a student's other notebooks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from dlcourse.grader import tamper

IGNORED = {"timestamp.txt", ".DS_Store"}


@dataclass
class NotebookCheck:
    """What was found in one submitted file."""

    name: str  # file name as submitted
    gradable: bool = False  # hand it to nbgrader
    problems: list[str] = field(default_factory=list)  # why it has no score, or lost points for sure
    flags: list[str] = field(default_factory=list)  # for a human look


def _meta(cell: dict) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}) or {})


def _read(path: Path) -> tuple[Any, str | None]:
    """The notebook as JSON and nbformat-validated, or a sentence saying why it is not one."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, f"unreadable file ({err.strerror})"
    if not raw.strip():
        return None, "corrupt notebook: the file is empty (0 bytes of JSON)"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, f"corrupt notebook: not valid JSON ({err})"
    if not isinstance(data, dict) or "cells" not in data or not isinstance(data["cells"], list):
        return None, "corrupt notebook: valid JSON, but not a notebook (no list of cells)"
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as err:
        return None, f"corrupt notebook: {type(err).__name__}: {str(err).splitlines()[0][:200]}"
    return nb, None


def inspect_notebook(path: Path, released: Any) -> NotebookCheck:
    """Check a submitted notebook against its release."""
    check = NotebookCheck(path.name)
    nb, problem = _read(path)
    if problem:
        check.problems.append(problem)
        return check
    check.gradable = True
    cells = nb.cells
    if not any(c.get("source", "").strip() for c in cells):
        check.problems.append("empty notebook: no cell has any content")
        return check

    ids: dict[str, int] = {}
    for cell in cells:
        gid = _meta(cell).get("grade_id")
        if gid:
            ids[gid] = ids.get(gid, 0) + 1
    dup = sorted(g for g, n in ids.items() if n > 1)
    if dup:
        check.flags.append(f"duplicated cell ids {', '.join(dup)} (nbgrader grades the last copy of each)")

    rel = {_meta(c)["grade_id"]: c for c in released.cells if _meta(c).get("grade_id")}
    mine: dict[str, Any] = {}
    for c in cells:
        gid = _meta(c).get("grade_id")
        if gid and gid not in mine:
            mine[gid] = c
    missing = sorted(g for g, c in rel.items() if g not in mine and _meta(c).get("locked"))
    if missing:
        check.flags.append(f"deleted locked cells {', '.join(missing)} (restored for grading)")
    edited, meta = [], []
    for gid, c in rel.items():
        if gid not in mine:
            continue
        m_rel, m_mine = _meta(c), _meta(mine[gid])
        if m_rel.get("locked") and mine[gid].get("source", "").strip() != c.get("source", "").strip():
            edited.append(gid)
        if any(m_rel.get(k) != m_mine.get(k) for k in ("points", "grade", "solution", "locked")):
            meta.append(gid)
    if edited:
        check.flags.append(f"edited locked cells {', '.join(edited)} (restored for grading)")
    if meta:
        check.flags.append(f"edited grading metadata of {', '.join(meta)} (restored for grading)")
    unknown = sorted(g for g in mine if g not in rel)
    if unknown:
        check.flags.append(f"cells with unknown grade ids {', '.join(unknown)}")
    check.flags.extend(tamper.scan(nb, released))
    return check


def inspect_submission(folder: Path, release: Path) -> dict[str, NotebookCheck]:
    """Check every file of a submission folder against the release folder of its assignment."""
    expected = {p.name: p for p in release.glob("*.ipynb")}
    checks: dict[str, NotebookCheck] = {}
    if not folder.is_dir():
        return checks
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or path.name in IGNORED or ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(folder).as_posix()
        if path.suffix != ".ipynb":
            checks[rel] = NotebookCheck(rel, problems=[f"unexpected file {rel!r} (not a notebook; kept, not graded)"])
            continue
        if rel not in expected:
            hint = _closest(path.name, list(expected))
            problem = f"unexpected file name {rel!r}" + (f" (did you mean {hint}?)" if hint else "")
            checks[rel] = NotebookCheck(rel, problems=[problem])
            continue
        checks[rel] = inspect_notebook(path, nbformat.read(str(expected[rel]), as_version=4))
    return checks


def _closest(name: str, candidates: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)
    return found[0] if found else None
