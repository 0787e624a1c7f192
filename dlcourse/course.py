"""The course's layout and its one copy of the repository's address.

Forks change ``REPO`` (and ``BRANCH``) here, then run ``make release``: ``stamp`` rewrites the
Colab badge and the install line of every solution notebook and the syllabus table of the README
from these two values, and the release step carries them into notebooks/.

    python -m dlcourse.course stamp            # rewrite what is out of date
    python -m dlcourse.course stamp --check    # exit 1 and list what is out of date

It also keeps the learner's working copy (``make lab``): notebooks/ is the pristine release that
``git pull`` updates; learners work in my-notebooks/, which git ignores and which an update never
overwrites.

    python -m dlcourse.course lab              # copy new notebooks to my-notebooks/, start JupyterLab there
    python -m dlcourse.course lab --dry-run    # only say what it would copy and run
    python -m dlcourse.course lab --no-browser --port 8890   # other options go to JupyterLab
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
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


# --- The learner's working copy ------------------------------------------------------------------

RELEASE_DIR = "notebooks"  # the pristine release: git pull updates it
PERSONAL_DIR = "my-notebooks"  # the learner's copy: ignored by git, never overwritten
MANIFEST_NAME = ".release-hashes.json"  # in PERSONAL_DIR: the release each copy was made from
_SKIPPED_PARTS = {".ipynb_checkpoints", "__pycache__"}


@dataclass
class WorkspaceReport:
    """What ``prepare_workspace`` did (or, in a dry run, would do); paths relative to the release."""

    release: Path
    folder: Path
    first_run: bool = False
    copied: list[str] = field(default_factory=list)  # copied into the personal folder this time
    changed: list[str] = field(default_factory=list)  # released again since the learner's copy was made
    dry_run: bool = False

    def lines(self) -> list[str]:
        """One clear line per event, for the terminal."""
        release, folder = _shown(self.release), _shown(self.folder)
        would = "would copy" if self.dry_run else "copied"
        out = []
        if self.first_run:
            what = "notebooks" if all(rel.endswith(".ipynb") for rel in self.copied) else "files"
            out.append(f"Your working copy: {would} {len(self.copied)} {what} from {release}/ to {folder}/. "
                       f"Work there: git ignores it and course updates never overwrite it.")
        else:
            out += [f"New in the course: {release}/{rel} ({would} to {folder}/{rel})" for rel in self.copied]
        out += [f"Updated release: {release}/{rel} changed since your copy {folder}/{rel} was made; yours is "
                "untouched (compare them, or rename yours and run `make lab` again to get a fresh copy)."
                for rel in self.changed]
        return out


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies inside it (what a learner types)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def release_files(release: Path) -> list[str]:
    """The release's files (notebooks and anything they need), relative posix paths; hidden ones left out."""
    out = []
    for path in release.rglob("*"):
        parts = path.relative_to(release).parts
        if path.is_file() and not any(part.startswith(".") or part in _SKIPPED_PARTS for part in parts):
            out.append("/".join(parts))
    return sorted(out)


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        files = json.loads(path.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}  # missing or damaged: the copies present are adopted again (never overwritten)
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _write_manifest(path: Path, files: dict[str, str]) -> None:
    data = {
        "about": f"What `make lab` copied from {RELEASE_DIR}/: the sha256 of each released file when your copy "
                 "was made. It tells you when a release changes; delete a file here and run `make lab` to get "
                 "a fresh copy of the current release.",
        "files": dict(sorted(files.items())),
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def prepare_workspace(root: Path, folder: Path | None = None, dry_run: bool = False) -> WorkspaceReport:
    """Bring the learner's copy of ``root/notebooks`` up to date without ever overwriting a file.

    First run: everything is copied. Later runs copy what is new in the release (or what the learner
    deleted) and list the releases that changed since the learner's copy was made, leaving the copy as
    it is. The folder's ``.release-hashes.json`` records the release each copy was made from.
    """
    release = root / RELEASE_DIR
    folder = folder if folder is not None else root / PERSONAL_DIR
    if not release.is_dir():
        raise FileNotFoundError(f"no {RELEASE_DIR}/ in {root}: run this from the course's folder (or pass --root)")
    report = WorkspaceReport(release, folder, first_run=not folder.exists(), dry_run=dry_run)
    manifest_path = folder / MANIFEST_NAME
    recorded = _read_manifest(manifest_path)
    manifest = dict(recorded)
    for rel in release_files(release):
        src, dest = release / rel, folder / rel
        digest = _digest(src)
        if not dest.exists():
            report.copied.append(rel)
            if not dry_run:
                data = src.read_bytes()
                dest.parent.mkdir(parents=True, exist_ok=True)
                with open(dest, "xb") as f:  # "x": never clobbers a file, even one that appeared meanwhile
                    f.write(data)
            manifest[rel] = digest
        elif rel not in recorded or _digest(dest) == digest:
            manifest[rel] = digest  # a copy made without us, or already the current release: compare from now on
        elif recorded[rel] != digest:
            report.changed.append(rel)
    if not dry_run and (manifest != recorded or not manifest_path.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        _write_manifest(manifest_path, manifest)
    return report


def _is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)  # absent on Windows
    return geteuid is not None and geteuid() == 0


def lab_command(folder: Path, jupyter_args: Sequence[str] = ()) -> list[str]:
    """The command that starts JupyterLab on ``folder``, with this interpreter's JupyterLab.

    JupyterLab refuses to run as root (a container, a course server) unless told ``--allow-root``:
    it is added exactly when the effective user is root.
    """
    cmd = [sys.executable, "-m", "jupyterlab", str(folder), *jupyter_args]
    if _is_root() and "--allow-root" not in cmd:
        cmd.append("--allow-root")
    return cmd


def lab(root: Path, jupyter_args: Sequence[str] = (), dry_run: bool = False) -> int:
    """Prepare the learner's copy, then replace this process with JupyterLab opened on it."""
    report = prepare_workspace(root, dry_run=dry_run)
    for line in report.lines():
        print(line)
    cmd = lab_command(report.folder, jupyter_args)
    print(("Would run: " if dry_run else "Starting JupyterLab: ") + shlex.join(cmd), flush=True)
    if dry_run:
        return 0
    env = dict(os.environ)
    # As `jupyter lab` does: this environment's scripts first on PATH (terminals, nbgrader's alembic).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(cmd[0], cmd, env)  # JupyterLab takes over this process: Ctrl-C and signals reach it
    return subprocess.call(cmd, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlcourse.course")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("stamp", help="rewrite Colab badges, install lines and the README table")
    p.add_argument("--check", action="store_true", help="only report what is out of date (exit 1 if any)")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="the course repository (default: .)")
    p = sub.add_parser(
        "lab", allow_abbrev=False,
        help=f"copy new notebooks from {RELEASE_DIR}/ to {PERSONAL_DIR}/ (never overwriting), start JupyterLab there",
        description="Any other option (--no-browser, --port 8890, --ServerApp.ip=...) is passed to JupyterLab.")
    p.add_argument("--dry-run", action="store_true", help="only print what would be copied and run")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="the course repository (default: .)")
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        try:
            return lab(args.root, [a for a in extra if a != "--"], dry_run=args.dry_run)
        except FileNotFoundError as e:
            parser.exit(2, f"error: {e}\n")
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    stale = stamp(args.root, check=args.check)
    for s in stale:
        print(("out of date: " if args.check else "stamped: ") + s)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
