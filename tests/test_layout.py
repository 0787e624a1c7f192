"""The package reads at a glance: each notebook's figures live in the module named after it.

``dlcourse/viz/weekN/<name>.py`` belongs to ``solutions/weekN_<topic>/NN_<name>.ipynb``; a notebook
imports figure modules only from ``dlcourse.viz``; nothing per-notebook sits in the core.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dlcourse"
CORE = {"__init__", "checks", "course", "data", "env", "graphs", "plots", "widgets"}
SUBPACKAGES = {"explorer", "grader", "quiz", "tooling", "viz"}
NOTEBOOKS = sorted(p for p in ROOT.glob("solutions/week*/*.ipynb") if not p.stem.endswith("_quiz"))


def _module_of(notebook: Path) -> str:
    week = notebook.parent.name.split("_", 1)[0]
    return f"dlcourse.viz.{week}.{notebook.stem.split('_', 1)[1]}"


def test_top_level_holds_the_core_and_the_subpackages_only():
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert modules == CORE, f"new top-level modules {sorted(modules - CORE)}: per-notebook code goes to dlcourse/viz/"
    assert packages == SUBPACKAGES


def test_every_figure_module_is_named_after_a_notebook():
    wanted = {_module_of(p) for p in NOTEBOOKS}
    for path in sorted((PACKAGE / "viz").glob("week*/*.py")):
        if path.stem == "__init__":
            continue
        name = "dlcourse." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        if name in wanted:
            continue
        # A module no notebook is named after is shared within its week (week 5's digit judge): it must be
        # imported by at least two notebooks of that week, or it belongs to the one notebook that uses it.
        week = path.parent.name
        users = [p.name for p in NOTEBOOKS if p.parent.name.startswith(week + "_")
                 and re.search(rf"from {re.escape(name)} import", p.read_text(encoding="utf-8"))]
        assert len(users) >= 2, (
            f"{path.relative_to(ROOT)} matches no notebook and is used by {users or 'none'}: "
            "name it after the notebook it draws for, or share it between two notebooks of its week")


def test_notebooks_import_figures_from_dlcourse_viz():
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        used = set(re.findall(r"from (dlcourse\.viz[\w.]*) import", text))
        assert not re.search(r"dlcourse\.viz_\w+", text), f"{path.name} imports an old module name"
        assert all(m.count(".") == 3 for m in used), f"{path.name}: {sorted(used)}"
        if used:
            assert _module_of(path) in used or not (PACKAGE / "viz").joinpath(
                *_module_of(path).split(".")[2:]).with_suffix(".py").exists(), path.name
