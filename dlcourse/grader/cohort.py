"""Grade a whole cohort in parallel with nbgrader, and say what happened to every submission.

nbgrader does the grading (restoring test cells, executing, scoring, storing); this module adds
what it lacks for a cohort:

- **Parallel workers.** Each worker process runs nbgrader's own ``autograde`` in-process, one
  student at a time, against a private copy of the gradebook. Only the parent writes the real
  ``gradebook.db``, copying each graded submission's rows into it in one transaction: SQLite
  never sees two writers, so it cannot be locked out or corrupted, and an interrupted run leaves
  every submission either fully merged or untouched. The gradebook is backed up first.
- **Intake.** Each submission is checked first (``intake.py``): a corrupt or wrongly named file is
  reported and kept out of nbgrader's way (nbgrader would fail the student's whole submission),
  edited or deleted test cells and tampering are flagged.
- **A summary** (``reports/<week>/summary.csv`` and ``.md``): one line per student of the roster
  or the submissions, with the score or the reason there is none, and the flags.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlcourse.grader.intake import NotebookCheck, inspect_submission


@dataclass
class Course:
    """Paths of an nbgrader course laid out like this repository (``root/autograder`` etc.)."""

    root: Path

    @property
    def grader(self) -> Path:
        return self.root / "autograder"

    def submitted(self, student: str, week: str) -> Path:
        return self.grader / "submitted" / student / week

    def release(self, week: str) -> Path:
        return self.root / "notebooks" / week

    def source(self, week: str) -> Path:
        return self.root / "solutions" / week

    @property
    def db(self) -> Path:
        return self.grader / "gradebook.db"

    def reports(self, week: str) -> Path:
        return self.grader / "reports" / week


def nbgrader(course: Path, *args: str, check: bool = True, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course/autograder`` with this Python; raise with its log on failure."""
    env = dict(os.environ)
    # nbgrader calls the `alembic` script by name: put this Python's scripts first on PATH.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course / "autograder", capture_output=True, text=True, timeout=timeout, env=env,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@dataclass
class StudentResult:
    student: str
    status: str = "graded"  # graded | no submission | nothing gradable | grader error
    score: float = 0.0
    max_score: float = 0.0
    problems: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def review(self) -> bool:
        return bool(self.flags) or self.status == "grader error"


# -- workers ------------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _load_config(course: Course, private: Path) -> Any:
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course.grader)).load_config()
    cfg.CourseDirectory.root = str(private)
    cfg.CourseDirectory.source_directory = str(course.root / "solutions")
    cfg.CourseDirectory.release_directory = str(course.root / "notebooks")
    cfg.CourseDirectory.db_url = f"sqlite:///{private / 'gradebook.db'}"
    cfg.Autograde.create_student = True
    return cfg


def _init_worker(course_root: str, private: str, env: dict[str, str]) -> None:
    """Set up this worker process: its own folder and its own copy of the gradebook."""
    os.environ.update(env)
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    course = Course(Path(course_root))
    mine = Path(private) / f"worker-{os.getpid()}"
    mine.mkdir()
    shutil.copy2(Path(private) / "gradebook.db", mine / "gradebook.db")
    cfg = _load_config(course, mine)
    _WORKER.update(course=course, private=mine, api=NbGraderAPI(CourseDirectory(config=cfg), config=cfg))


def _grade_one(week: str, student: str, notebooks: list[str]) -> dict[str, Any]:
    """Autograde one student in this worker's private course; return where the result is."""
    course: Course = _WORKER["course"]
    private: Path = _WORKER["private"]
    sub = private / "submitted" / student / week
    shutil.rmtree(private / "submitted" / student, ignore_errors=True)
    shutil.rmtree(private / "autograded" / student, ignore_errors=True)
    sub.mkdir(parents=True)
    src = course.submitted(student, week)
    for name in notebooks + [p.name for p in src.glob("timestamp.txt")]:
        shutil.copy2(src / name, sub / name)
    start = time.perf_counter()
    result = _WORKER["api"].autograde(week, student, force=True, create=True)
    return {
        "student": student, "success": bool(result.get("success")), "log": result.get("log", ""),
        "error": result.get("error", ""), "db": str(private / "gradebook.db"),
        "autograded": str(private / "autograded" / student / week), "seconds": time.perf_counter() - start,
    }


# -- the parent: merge, summary -------------------------------------------------------------------
def backup_gradebook(course: Course) -> Path | None:
    """A consistent copy of the gradebook (SQLite's online backup) next to it, before writing."""
    if not course.db.exists():
        return None
    dest = course.grader / "backups" / f"gradebook-{time.strftime('%Y%m%d-%H%M%S')}.db"
    dest.parent.mkdir(exist_ok=True)
    with sqlite3.connect(course.db) as src, sqlite3.connect(dest) as dst:
        src.backup(dst)
    return dest


def merge_submission(course: Course, week: str, student: str, worker_db: str) -> None:
    """Copy one graded submission from a worker's gradebook into the course's, in one transaction."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{worker_db}") as wgb, Gradebook(f"sqlite:///{course.db}") as gb:
        wsub = wgb.find_submission(week, student)
        try:
            gb.find_student(student)
        except Exception:
            gb.update_or_create_student(student)
        gb.update_or_create_submission(week, student, timestamp=wsub.timestamp)
        for wnb in wsub.notebooks:
            nb = gb.find_submission_notebook(wnb.name, week, student)
            nb.late_submission_penalty = wnb.late_submission_penalty
            nb.flagged = wnb.flagged
            grades = {g.name: g for g in nb.grades}
            for wg in wnb.grades:
                g = grades[wg.name]
                g.auto_score, g.needs_manual_grade = wg.auto_score, wg.needs_manual_grade
            comments = {c.name: c for c in nb.comments}
            for wc in wnb.comments:
                comments[wc.name].auto_comment = wc.auto_comment
        gb.db.commit()


def _scores(course: Course, week: str) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.db}") as gb:
        return {s.student_id: (float(s.score), float(s.max_score)) for s in gb.assignment_submissions(week)}


def _ensure_students(course: Course, students: list[str]) -> None:
    """Students without a graded submission still appear in nbgrader's export (with 0)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.db}") as gb:
        known = {s.id for s in gb.students}
        for student in students:
            if student not in known:
                gb.update_or_create_student(student)


def _roster(course: Course) -> list[str]:
    from nbgrader.api import Gradebook

    if not course.db.exists():
        return []
    with Gradebook(f"sqlite:///{course.db}") as gb:
        return [s.id for s in gb.students]


def _notebook_reports(course: Course, week: str, student: str) -> list[dict]:
    folder = course.reports(week) / student
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def autograde(
    course_root: Path,
    week: str,
    workers: int | None = None,
    students: list[str] | None = None,
    isolation: bool = True,
    log: Any = print,
) -> list[StudentResult]:
    """Grade every submission of ``week`` (or only ``students``) and write the summary."""
    course = Course(Path(course_root).resolve())
    if not course.db.exists():
        raise SystemExit(f"No gradebook at {course.db}: run `make release` first.")
    env = {} if isolation else {"DLCOURSE_NO_ISOLATION": "1"}
    if isolation:
        from dlcourse.grader import sandbox

        why = sandbox.probe()
        if why:
            raise SystemExit(
                f"Refusing to grade: student code cannot be isolated here ({why}).\n"
                "Run as root, or where unprivileged user namespaces are allowed; or, for notebooks you "
                "trust, pass --no-isolation."
            )
    sub_root = course.grader / "submitted"
    found = sorted(p.name for p in sub_root.iterdir() if (p / week).is_dir()) if sub_root.is_dir() else []
    wanted = sorted(set(students) if students else set(found) | set(_roster(course)))
    results: dict[str, StudentResult] = {s: StudentResult(s) for s in wanted}
    checks: dict[str, dict[str, NotebookCheck]] = {}
    jobs: dict[str, list[str]] = {}
    for student in wanted:
        res = results[student]
        if student not in found:
            res.status, res.problems = "no submission", [f"no folder submitted/{student}/{week}"]
            continue
        checks[student] = inspect_submission(course.submitted(student, week), course.release(week))
        for name, chk in checks[student].items():
            res.problems += [f"{name}: {p}" for p in chk.problems]
            res.flags += [f"{name}: {f}" for f in chk.flags]
        expected = sorted(p.name for p in course.release(week).glob("*.ipynb"))
        res.problems += [f"{n}: missing (0 points)" for n in expected if n not in checks[student]]
        jobs[student] = [n for n, chk in checks[student].items() if chk.gradable]
        if not jobs[student]:
            res.status = "nothing gradable"
    backup = backup_gradebook(course)
    if backup:
        log(f"gradebook backed up to {backup.relative_to(course.root)}")
    for student in wanted:  # stale reports of earlier runs must not mix with this one's
        shutil.rmtree(course.reports(week) / student, ignore_errors=True)

    workers = max(1, workers or os.cpu_count() or 1)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dlcourse-grade-") as tmp:
        private = Path(tmp)
        shutil.copy2(course.db, private / "gradebook.db")
        todo = [s for s in wanted if s in jobs]
        with ProcessPoolExecutor(
            max_workers=min(workers, max(1, len(todo))),
            initializer=_init_worker, initargs=(str(course.root), str(private), env),
        ) as pool:
            futures = {pool.submit(_grade_one, week, s, jobs[s]): s for s in todo}
            for fut in as_completed(futures):
                student = futures[fut]
                res = results[student]
                try:
                    out = fut.result()
                except Exception as err:  # a worker process died: say so, grade the others
                    res.status, res.problems = "grader error", res.problems + [f"grader error: {err!r}"]
                    continue
                res.seconds = out["seconds"]
                if not out["success"]:
                    res.status = "grader error"
                    res.problems.append("nbgrader failed: " + _last_error(out["log"] + out["error"]))
                    continue
                merge_submission(course, week, student, out["db"])
                dest = course.grader / "autograded" / student / week
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(out["autograded"], dest)
                for rep in _notebook_reports(course, week, student):
                    res.problems += [f"{rep['notebook']}.ipynb: {p}" for p in rep["problems"]]
                    if rep.get("tampered"):
                        res.flags.append(f"{rep['notebook']}.ipynb: tampered at run time, undone before the tests: "
                                         + ", ".join(rep["tampered"]))
                    if rep.get("truncated_cells"):
                        res.flags.append(f"{rep['notebook']}.ipynb: output flood (cells {rep['truncated_cells']} cut)")
                log(f"  graded {student} in {res.seconds:.1f} s")
    _ensure_students(course, [s for s, r in results.items() if r.status != "graded"])
    scores = _scores(course, week)
    for student, res in results.items():
        res.score, res.max_score = scores.get(student, (0.0, res.max_score))
        if not res.max_score:
            res.max_score = max((m for _, m in scores.values()), default=0.0)
    ordered = [results[s] for s in wanted]
    write_summary(course, week, ordered, time.perf_counter() - start)
    return ordered


def _last_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errs = [ln for ln in lines if "Error" in ln or "error" in ln]
    return (errs[-1] if errs else (lines[-1] if lines else "no log"))[:300]


def write_summary(course: Course, week: str, results: list[StudentResult], seconds: float) -> Path:
    """``reports/<week>/summary.csv`` and ``summary.md``; returns the markdown path."""
    folder = course.reports(week)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "summary.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "status", "score", "max_score", "review", "problems", "flags"])
        for r in results:
            w.writerow([r.student, r.status, f"{r.score:g}", f"{r.max_score:g}", "yes" if r.review else "",
                        " | ".join(r.problems), " | ".join(r.flags)])
    lines = [f"# {week}: {len(results)} students, graded in {seconds:.0f} s", "",
             "| student | status | score | problems | flags |", "|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.student} | {r.status} | {r.score:g} / {r.max_score:g} | "
                     f"{'<br>'.join(r.problems)} | {'**review** ' if r.review else ''}{'<br>'.join(r.flags)} |")
    review = [r.student for r in results if r.review]
    lines += ["", f"For review ({len(review)}): {', '.join(review) or 'none'}"]
    (folder / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "summary.md"


def print_summary(results: list[StudentResult], week: str, log: Any = print) -> None:
    width = max([len(r.student) for r in results] + [7])
    log(f"{'student':<{width}}  {'score':>11}  status / problems / flags")
    for r in results:
        mark = "!" if r.review else " "
        log(f"{r.student:<{width}} {mark}{r.score:>5g} / {r.max_score:<4g}  {r.status}")
        for p in r.problems:
            log(f"{'':<{width}}               - {p}")
        for fl in r.flags:
            log(f"{'':<{width}}               ! {fl}")
    n_review = sum(r.review for r in results)
    log(f"{len(results)} students; {sum(r.status == 'graded' for r in results)} graded; {n_review} flagged for review "
        f"(!). Summary: autograder/reports/{week}/summary.md")
