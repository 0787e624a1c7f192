"""Execute, release and grade the course's notebooks in scratch courses (tests, benchmarks, tools).

They drive nbgrader and nbclient, which are installed with the ``course`` extra, not in Colab:
imports are lazy. A *scratch course* is a temporary copy of ``solutions/`` and the nbgrader
configuration laid out like the repository, so that releasing and grading there never touches
the real notebooks/ or gradebook.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlcourse.grader.cohort import nbgrader  # noqa: F401  (re-exported: tools run nbgrader the same way)

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def read_notebook(path: Path) -> Any:
    """Read a notebook as an ``nbformat.NotebookNode``; a corrupt file gets a message naming it."""
    import nbformat

    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as err:
        raise ValueError(f"{path}: not a readable notebook ({type(err).__name__}: {err})") from err


def nbgrader_meta(cell: Any) -> dict:
    """The cell's nbgrader metadata (empty dict if none)."""
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def grade_cells(nb: Any) -> dict[str, float]:
    """grade_id -> points of every graded cell."""
    return {m["grade_id"]: float(m.get("points", 0)) for m in map(nbgrader_meta, nb.cells) if m.get("grade")}


@dataclass
class Execution:
    notebook: Any
    seconds: float
    errors: list[tuple[int, str, str]]  # (cell index, exception name, exception value)


def execute_notebook(
    path: Path,
    timeout: int = 300,
    allow_errors: bool = False,
    env: dict[str, str] | None = None,
    kernel_name: str = "python3",
) -> Execution:
    """Execute a notebook top to bottom in its own folder; return it with outputs and the wall time."""
    import nbclient

    nb = read_notebook(path)
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        client = nbclient.NotebookClient(
            nb, timeout=timeout, allow_errors=allow_errors, kernel_name=kernel_name,
            resources={"metadata": {"path": str(Path(path).parent)}},
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    errors = [
        (i, out.get("ename", ""), out.get("evalue", ""))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    return Execution(nb, seconds, errors)


def make_scratch_course(root: Path, dest: Path | None = None) -> Path:
    """Copy ``root/solutions`` and ``root/autograder/nbgrader_config.py`` into a fresh folder."""
    dest = Path(dest or tempfile.mkdtemp(prefix="dlcourse-scratch-"))
    shutil.copytree(root / "solutions", dest / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (dest / "autograder").mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "autograder" / "nbgrader_config.py", dest / "autograder" / "nbgrader_config.py")
    return dest


def submit(course: Path, student: str, assignment: str, notebooks: dict[str, Any]) -> Path:
    """Place notebooks (name -> NotebookNode) as ``student``'s submission of ``assignment``."""
    import nbformat

    folder = course / "autograder" / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, str(folder / name))
    return folder


def scores(course: Path, assignment: str) -> dict[str, dict[str, dict[str, float]]]:
    """student -> notebook -> grade_id -> score, read from the scratch course's gradebook."""
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, dict[str, float]]] = {}
    with Gradebook(f"sqlite:///{course / 'autograder' / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(assignment):
            per_nb = out.setdefault(sub.student_id, {})
            for nb in sub.notebooks:
                per_nb[nb.name] = {g.name: float(g.score) for g in nb.grades}
    return out


def released_has_no_solutions(nb: Any) -> list[str]:
    """Problems found in a released notebook: markers or hidden tests left in it."""
    problems = []
    for i, cell in enumerate(nb.cells):
        src = cell.source
        for marker in SOLUTION_MARKERS:
            if marker in src:
                problems.append(f"cell {i} holds {marker!r}")
    return problems


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
