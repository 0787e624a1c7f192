"""A cohort's quiz: the instructor's private seed, and the course folders that go with it.

``make release COHORT_SEED=...`` stores the seed in ``autograder/cohort.toml`` (git ignores it,
only its owner may read it) and builds ``autograder/cohort/source/<week>/``: the week's source
with the quiz drawn from that seed. While the file exists, nbgrader (``nbgrader_config.py``) and
the cohort grader take their source from there and release to ``autograder/cohort/release/``,
which is what the instructor hands out; ``notebooks/`` stays the public release.
``make release COHORT_SEED=off`` removes the file: back to the public quiz.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import tomllib

from dlcourse.quiz import bank as _bank
from dlcourse.quiz import build as _build

SETTINGS = "cohort.toml"
FOLDER = "cohort"
OFF = "off"


def seed(grader: Path | str) -> str | None:
    """The cohort seed stored in ``grader/cohort.toml``, or None for the public release."""
    path = Path(grader) / SETTINGS
    if not path.exists():
        return None
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("seed")
    except tomllib.TOMLDecodeError as err:
        raise SystemExit(f"{path}: not readable ({err}); fix it or run `make release COHORT_SEED=...` again") from err
    if not isinstance(value, str) or not value:
        raise SystemExit(f"{path}: no seed = \"...\" in it; run `make release COHORT_SEED=...` again")
    return value


def directories(grader: Path | str) -> tuple[str, str]:
    """nbgrader's source and release directories, relative to ``grader``: public or the cohort's."""
    if seed(grader) is None:
        return "../solutions", "../notebooks"
    return f"{FOLDER}/source", f"{FOLDER}/release"


def store(grader: Path, value: str) -> Path:
    """Write the seed to ``grader/cohort.toml``, readable by its owner only."""
    if value == _bank.PUBLIC_SEED:
        raise SystemExit('"public" is the public quiz\'s seed: choose a private one (or "off")')
    if not value or any(ch in value for ch in "\"\\\n"):
        raise SystemExit("a cohort seed is a non-empty string without quotes, backslashes or newlines")
    path = grader / SETTINGS
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("# The cohort's quiz seed (make release COHORT_SEED=...). Private: never commit or share it.\n")
        f.write(f'seed = "{value}"\n')
    os.chmod(path, 0o600)
    return path


def prepare(root: Path, value: str) -> list[Path]:
    """Build ``autograder/cohort/source/<week>/`` for every week: its source, the quiz drawn from ``value``."""
    target = root / "autograder" / FOLDER / "source"
    written = []
    banks = {b.week: b for b in map(_bank.load, sorted((root / "solutions" / "quizzes").glob("*.toml")))}
    for week_dir in sorted((root / "solutions").glob("week*")):
        dest = target / week_dir.name
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(week_dir, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        if week_dir.name in banks:
            b = banks[week_dir.name]
            path = dest / f"{b.notebook}.ipynb"
            path.write_text(_build.dumps(_build.notebook(b, value)), encoding="utf-8")
            written.append(path)
    return written
