"""The docs cite only what a clone of the repository has.

Every repository path that a tracked Markdown file cites (in backticks, or as a relative
markdown link) must be tracked by git, or be one of the few generated or private places the docs
describe as such (ALLOWED, each with its reason; each must really be ignored by git). Benchmark
figures that the docs quote live in benchmarks/reports/ (tracked), not in benchmarks/results/
(scratch output, ignored).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Paths the docs cite on purpose although git does not track them: generated or private.
ALLOWED = {
    "autograder/gradebook.db": "nbgrader's database, hidden tests included: private, made by `make release`",
    "autograder/grades.csv": "written by `make grades`: students' grades",
    "autograder/submitted/": "students' submissions (`make collect`): private",
    "autograder/autograded/": "graded copies of the submissions (`make autograde`): private",
    "autograder/feedback/": "feedback HTML per student (`make feedback`): private",
    "autograder/reports/": "the grader's summaries and logs (`make autograde`): they name students",
    "autograder/backups/": "gradebook backups made before each grading run",
    "benchmarks/results/browser/": "screenshots of the browser test, scratch output",
    "my-notebooks/": "the learner's own copy of notebooks/, made by `make lab`: personal",
    "autograder/cohort.toml": "a cohort's private quiz seed (`make release COHORT_SEED=...`)",
    "autograder/cohort/source/": "the weeks' sources with the cohort's quizzes: answers, private",
    "autograder/cohort/release/": "the cohort's release, made by `make release COHORT_SEED=...`",
}

BACKTICKED = re.compile(r"`([^`]+)`")  # inline code may wrap onto the next line
LINK = re.compile(r"\]\(([^)\s]+)\)")
FILE_LIKE = re.compile(r"^[\w.-]+\.(py|md|ipynb|txt|ya?ml|toml|cfg|ini|db|csv|json|html|log|sh)$")


def _git(*args: str) -> list[str]:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ln for ln in out.splitlines() if ln]


pytestmark = pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                                reason="needs a git checkout")


def _tracked() -> set[str]:
    """Files a commit of this checkout would hold: tracked, or new and not ignored."""
    return set(_git("ls-files", "--cached", "--others", "--exclude-standard"))


def looks_like_path(text: str) -> bool:
    """A backticked word that names a file or folder of the repository (not a command, a module, an option)."""
    if any(ch in text for ch in " =$*?~:,;'\"()[]{}|") or text.startswith(("-", "http", "/", ".")):
        return False
    return "/" in text or bool(FILE_LIKE.match(text))


def cited_paths(md: Path) -> list[str]:
    """The repository paths ``md`` cites: backticked ones and relative links; placeholders
    (``<week>``) cut the path at the folder above them."""
    text = md.read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # code blocks hold commands, not citations
    spans = [" ".join(m.split()) for m in BACKTICKED.findall(text)]
    found = [m for m in spans if looks_like_path(m.replace("<", "").replace(">", ""))]
    found += [m.split("#")[0] for m in LINK.findall(text) if not re.match(r"^[a-z]+:|^#", m)]
    out = []
    for path in found:
        if "<" in path:  # a pattern such as reports/<week>/summary.md: check the folder it lives in
            head = path.split("<")[0]
            path = head[: head.rfind("/") + 1]
        if path:
            out.append(path)
    return out


def _resolve(md: Path, path: str, tracked: set[str]) -> str | None:
    """The cited path as a repository path: next to the Markdown file, else from the root."""
    folder = md.parent.relative_to(ROOT).as_posix()
    for base in ([folder] if folder != "." else []) + [""]:
        candidate = f"{base}/{path}" if base else path
        bare = candidate.rstrip("/")
        if bare in tracked or any(t.startswith(bare + "/") for t in tracked):
            return candidate
        if any(candidate == a or (a.endswith("/") and candidate.startswith(a)) for a in ALLOWED):
            return candidate
    return None


def test_allowlisted_paths_are_really_ignored_by_git():
    ignored = _git("check-ignore", "--no-index", *ALLOWED)
    assert sorted(ignored) == sorted(ALLOWED), f"not ignored by git: {sorted(set(ALLOWED) - set(ignored))}"


def test_every_allowed_path_is_cited():
    """The allowlist stays small: an entry no doc cites any more must go."""
    candidates = set()
    for md in _git("ls-files", "*.md"):
        folder = Path(md).parent.as_posix()
        for path in cited_paths(ROOT / md):
            candidates |= {path, f"{folder}/{path}"} if folder != "." else {path}
    unused = [a for a in ALLOWED if not any(c == a or (a.endswith("/") and c.startswith(a)) for c in candidates)]
    assert not unused, f"ALLOWED lists paths no doc cites any more: {unused}"


def test_path_detection():
    assert looks_like_path("benchmarks/results/grading_speed.md") and looks_like_path("environment.yml")
    assert looks_like_path("dlcourse/grader/sandbox.py") and looks_like_path("submitted/")
    for not_a_path in ("make autograde WEEK=week1_ann_basics", "torch.optim", "--no-isolation", "late_",
                       "id,first_name,last_name,email", "~/Downloads/lms.zip", "DLCOURSE_NO_ISOLATION=1"):
        assert not looks_like_path(not_a_path), not_a_path


@pytest.mark.parametrize("md", sorted(_git("ls-files", "*.md")) if (ROOT / ".git").exists() else [])
def test_docs_cite_only_tracked_paths(md):
    tracked = _tracked()
    doc = ROOT / md
    missing = [p for p in cited_paths(doc) if _resolve(doc, p, tracked) is None]
    assert not missing, (f"{md} cites paths that are not in git (commit them, or list a generated folder in "
                         f"tests/test_docs.py ALLOWED with its reason): {missing}")
