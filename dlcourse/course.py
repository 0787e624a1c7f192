"""The course's layout and its one copy of the repository's address.

Forks change ``REPO`` (and ``BRANCH``) here, then run ``make release``: ``stamp`` rewrites the
Colab badge and the install line of every solution notebook and the syllabus table of the README
from these two values, and the release step carries them into notebooks/.

    python -m dlcourse.course stamp            # rewrite what is out of date
    python -m dlcourse.course stamp --check    # exit 1 and list what is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = "dlcourse-org/dlcourse"  # owner/name on GitHub: the one place to change in a fork
BRANCH = "main"

COLAB_BADGE_IMG = "https://colab.research.google.com/assets/colab-badge.svg"
_COLAB_URL_RE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+")
_INSTALL_RE = re.compile(r"git\+https://github\.com/[^\"'\s]+")
README_START = "<!-- syllabus:start -->"
README_END = "<!-- syllabus:end -->"


def install_url() -> str:
    """What the Colab set-up cell gives to pip."""
    return f"git+https://github.com/{REPO}@{BRANCH}"


def colab_url(release_path: str) -> str:
    """The Colab address of a released notebook, e.g. ``notebooks/week1_ann_basics/01_tensors.ipynb``."""
    return f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/{release_path}"


def colab_badge(release_path: str) -> str:
    """Markdown for an "Open in Colab" badge."""
    return f"[![Open In Colab]({COLAB_BADGE_IMG})]({colab_url(release_path)})"


@dataclass(frozen=True)
class NotebookInfo:
    week: str  # e.g. week1_ann_basics
    name: str  # e.g. 01_tensors.ipynb
    title: str

    @property
    def release_path(self) -> str:
        return f"notebooks/{self.week}/{self.name}"


def _title(nb: dict) -> str:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def list_notebooks(root: Path) -> list[NotebookInfo]:
    """Every solution notebook under ``root/solutions``, in week and file order."""
    out = []
    for path in sorted((root / "solutions").glob("week*/*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        out.append(NotebookInfo(path.parent.name, path.name, _title(nb)))
    return out


def _stamp_source(source: str, release_path: str) -> str:
    source = _COLAB_URL_RE.sub(colab_url(release_path), source)
    return _INSTALL_RE.sub(install_url(), source)


def stamp_notebook(path: Path, release_path: str) -> bool:
    """Rewrite the badge and install address in one notebook; True if it changed."""
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    changed = False
    for cell in nb["cells"]:
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        new = _stamp_source(src, release_path)
        if new != src:
            cell["source"] = new
            changed = True
    if changed:
        path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def syllabus_table(notebooks: list[NotebookInfo]) -> str:
    """The README's table of notebooks with a Colab badge each."""
    rows = ["| Week | Notebook | Open |", "|---|---|---|"]
    for nb in notebooks:
        week = nb.week.split("_", 1)[0].replace("week", "")
        rows.append(f"| {week} | [{nb.title or nb.name}]({nb.release_path}) | {colab_badge(nb.release_path)} |")
    return "\n".join(rows)


def stamp_readme(root: Path, notebooks: list[NotebookInfo]) -> bool:
    path = root / "README.md"
    text = path.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise ValueError(f"{path} lacks the {README_START} / {README_END} markers")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    new = f"{head}{README_START}\n{syllabus_table(notebooks)}\n{README_END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def stamp(root: Path, check: bool = False) -> list[str]:
    """Bring badges, install lines and the README table up to date; return what changed.

    With ``check=True`` nothing is written and the list says what is out of date.
    """
    notebooks = list_notebooks(root)
    stale = []
    for nb in notebooks:
        path = root / "solutions" / nb.week / nb.name
        if check:
            text = path.read_text(encoding="utf-8")
            cells = json.loads(text)["cells"]
            if any(_stamp_source("".join(c["source"]), nb.release_path) != "".join(c["source"]) for c in cells):
                stale.append(str(path.relative_to(root)))
        elif stamp_notebook(path, nb.release_path):
            stale.append(str(path.relative_to(root)))
    readme = root / "README.md"
    if check:
        text = readme.read_text(encoding="utf-8")
        if f"{README_START}\n{syllabus_table(notebooks)}\n{README_END}" not in text:
            stale.append("README.md")
    elif stamp_readme(root, notebooks):
        stale.append("README.md")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlcourse.course")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("stamp", help="rewrite Colab badges, install lines and the README table")
    p.add_argument("--check", action="store_true", help="only report what is out of date (exit 1 if any)")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="the course repository (default: .)")
    args = parser.parse_args(argv)
    stale = stamp(args.root, check=args.check)
    for s in stale:
        print(("out of date: " if args.check else "stamped: ") + s)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
