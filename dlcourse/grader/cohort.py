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
- **A quiet terminal.** What nbgrader, traitlets, SQLAlchemy, nbformat, jupyter_client and the
  kernels print goes to ``reports/<week>/grading.log`` (the previous run's is kept as
  ``grading.log.1``): each worker's file descriptors 1 and 2 point at it, so the kernels it starts
  inherit it, and ``logging`` and ``warnings`` go there in the workers and in the parent. The
  instructor sees one progress bar, one line per student and the end of the summary
  (:class:`Terminal`, :func:`print_summary`).
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from dlcourse.grader.intake import NotebookCheck, inspect_submission

LOG_NAME = "grading.log"  # in reports/<week>/: what the libraries print while grading
LOG_FORMAT = "%(asctime)s %(processName)s %(levelname)s %(name)s: %(message)s"
MISSING = ": missing (0 points)"  # the end of intake's problem for a notebook not submitted
_log = logging.getLogger("dlcourse.grader")


@dataclass
class Course:
    """Paths of an nbgrader course laid out like this repository (``root/autograder`` etc.)."""

    root: Path

    @property
    def grader(self) -> Path:
        return self.root / "autograder"

    def submitted(self, student: str, week: str) -> Path:
        return self.grader / "submitted" / student / week

    def directories(self) -> tuple[Path, Path]:
        """nbgrader's source and release folders: the public ones, or a cohort's (dlcourse.quiz.cohort)."""
        from dlcourse.quiz.cohort import directories

        source, release = directories(self.grader)
        return (self.grader / source).resolve(), (self.grader / release).resolve()

    def release(self, week: str) -> Path:
        return self.directories()[1] / week

    def source(self, week: str) -> Path:
        return self.directories()[0] / week

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


def shown(path: Path) -> str:
    """``path`` as the instructor should read it: relative to the current folder when inside it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def fresh_log(path: Path) -> Path:
    """Start an empty log at ``path``; the previous one is kept as ``<name>.1`` (older ones go)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        os.replace(path, path.with_name(path.name + ".1"))
    path.write_text("", encoding="utf-8")
    return path


def nbgrader_logged(
    course: Path, log_file: Path, *args: str, timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` like :func:`nbgrader` (without raising); append its output to ``log_file``."""
    proc = nbgrader(course, *args, check=False, timeout=timeout)
    with open(log_file, "a", encoding="utf-8") as f:
        f.write(f"$ nbgrader {' '.join(args)}  (exit status {proc.returncode}, {time.strftime('%Y-%m-%d %H:%M:%S')})\n")
        f.write(proc.stdout + proc.stderr + "\n")
    return proc


def error_lines(text: str, n: int = 5) -> list[str]:
    """The last ``n`` lines of a log that say what went wrong (its last lines if none does)."""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    bad = [ln for ln in lines if any(w in ln for w in ("ERROR", "CRITICAL", "Error", "Exception", "error:"))]
    return (bad or lines)[-n:]


@contextlib.contextmanager
def library_output_to(log_file: Path) -> Iterator[None]:
    """While the block runs, this process's ``logging`` records and warnings go to ``log_file``."""
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers, root.level = [handler], logging.INFO
    with warnings.catch_warnings():
        logging.captureWarnings(True)
        try:
            yield
        finally:
            logging.captureWarnings(False)
            root.handlers, root.level = saved
            handler.close()


def _quiet_worker(log_file: str) -> None:
    """Point this process's file descriptors 1 and 2 (which the kernels it starts inherit), its
    ``sys.stdout``/``sys.stderr``, ``logging`` and ``warnings`` at ``log_file``."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    fd = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers, root.level = [handler], logging.INFO
    logging.captureWarnings(True)


def _to_log(title: str, text: str) -> None:
    """One block of text into this worker's log, in one write (two workers share the file)."""
    if text.strip():
        os.write(2, f"---- {title} ----\n{text.rstrip()}\n".encode("utf-8", "backslashreplace"))


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
    source, release = course.directories()
    cfg.CourseDirectory.source_directory = str(source)
    cfg.CourseDirectory.release_directory = str(release)
    cfg.CourseDirectory.db_url = f"sqlite:///{private / 'gradebook.db'}"
    cfg.Autograde.create_student = True
    return cfg


def _init_worker(course_root: str, private: str, env: dict[str, str], log_file: str) -> None:
    """Set up this worker process: its own folder, its own copy of the gradebook, output to the log."""
    _quiet_worker(log_file)
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
    # nbgrader's log reached the log through logging already; its traceback, if any, did not.
    _to_log(f"nbgrader autograde {week} {student} failed (worker {os.getpid()})", result.get("error", ""))
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


def merge_submission(course: Course, week: str, student: str, worker_db: str) -> tuple[float, float]:
    """Copy one graded submission from a worker's gradebook into the course's, in one transaction;
    return its score and maximum."""
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
        merged = gb.find_submission(week, student)
        return float(merged.score), float(merged.max_score)


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


def _max_score(course: Course, week: str) -> float:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course.db}") as gb:
        try:
            return float(gb.find_assignment(week).max_score)
        except MissingEntry:
            return 0.0


def _roster(course: Course) -> list[str]:
    from nbgrader.api import Gradebook

    if not course.db.exists():
        return []
    with Gradebook(f"sqlite:///{course.db}") as gb:
        return [s.id for s in gb.students]


def _notebook_reports(course: Course, week: str, student: str) -> list[dict]:
    folder = course.reports(week) / student
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def _read_reports(course: Course, week: str, res: StudentResult) -> None:
    """Add what GuardedExecute's per-notebook reports say to ``res``: one branch per report field."""
    for rep in _notebook_reports(course, week, res.student):
        nb = f"{rep['notebook']}.ipynb"
        res.problems += [f"{nb}: {p}" for p in rep["problems"]]
        if rep.get("tampered"):
            res.flags.append(f"{nb}: tampered at run time, undone before the tests: " + ", ".join(rep["tampered"]))
        if rep.get("truncated_cells"):
            res.flags.append(f"{nb}: output flood (cells {rep['truncated_cells']} cut)")
        for note in rep.get("witness", []):  # dlcourse.grader.witness: tests not confirmed, alerts
            res.flags.append(f"{nb}: witness: {note}")


# -- what the instructor sees ---------------------------------------------------------------------
def _clock(seconds: float) -> str:
    return tqdm.format_interval(max(0.0, seconds))


class Terminal:
    """The instructor's view of a run: lines (through ``log``) above one progress bar on ``stream``.

    Where ``stream`` is a terminal the bar is tqdm's (done / total, elapsed, ETA). Elsewhere (a pipe,
    a CI log) there is no bar and no carriage return: a plain progress line at most every ``every``
    seconds, and one at the end.
    """

    def __init__(self, log: Callable[[str], None] = print, stream: TextIO | None = None, bar: bool | None = None,
                 every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.stream = log, stream if stream is not None else sys.stderr
        self.bar = self.stream.isatty() if bar is None else bar
        self.every, self.clock = every, clock
        self.total = self.done = 0
        self._bar: Any = None
        self._start = self._last = 0.0

    def line(self, text: str) -> None:
        """A line of output, printed above the bar."""
        if self._bar is None:
            self.log(text)
            return
        with tqdm.external_write_mode(file=sys.stdout):
            self.log(text)

    def start(self, total: int, desc: str = "grading") -> None:
        self.total, self.done = total, 0
        self._start = self._last = self.clock()
        if total and self.bar:
            self._bar = tqdm(total=total, desc=desc, unit="submission", file=self.stream, dynamic_ncols=True,
                             bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed} elapsed, ETA {remaining}")

    def advance(self) -> None:
        """One more submission done."""
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
            return
        now = self.clock()
        if self.done < self.total and now - self._last >= self.every:
            self._last = now
            self._plain(self.status(now))

    def status(self, now: float | None = None) -> str:
        elapsed = (self.clock() if now is None else now) - self._start
        eta = elapsed / self.done * (self.total - self.done) if self.done else None
        return (f"graded {self.done}/{self.total}, {_clock(elapsed)} elapsed"
                + (f", ETA {_clock(eta)}" if eta is not None else ""))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.total:
            self._plain(f"graded {self.done}/{self.total} in {_clock(self.clock() - self._start)}")
        self.total = 0

    def _plain(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def short_notes(res: StudentResult, limit: int = 100) -> str:
    """The status, problems and flags of ``res`` in one short phrase (missing notebooks counted)."""
    missing = [p for p in res.problems if p.endswith(MISSING)]
    others = [p for p in res.problems if not p.endswith(MISSING)]
    parts = [] if res.status == "graded" or any(p.startswith(res.status) for p in others) else [res.status]
    parts += others
    if missing:
        parts.append(f"{len(missing)} notebook{'s' if len(missing) > 1 else ''} missing")
    parts += [f"flag: {f}" for f in res.flags]
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def submission_line(res: StudentResult, width: int = 12, limit: int = 100) -> str:
    """One line for a settled student: name, review mark, score / max, seconds, notes in short."""
    mark = "!" if res.review else " "
    score = "-" if res.status == "grader error" else f"{res.score:g}"  # no score from this run
    secs = f"{res.seconds:5.1f} s" if res.seconds else f"{'-':>7}"
    line = f"{res.student:<{width}} {mark}{score:>5} / {res.max_score:<4g} {secs}  {short_notes(res, limit)}"
    return line.rstrip()


def needs_a_look(res: StudentResult) -> bool:
    """Flagged for review, not graded, or a problem other than a missing notebook."""
    return res.review or res.status != "graded" or any(not p.endswith(MISSING) for p in res.problems)


def autograde(
    course_root: Path,
    week: str,
    workers: int | None = None,
    students: list[str] | None = None,
    isolation: bool = True,
    log: Callable[[str], None] = print,
    progress: bool | None = None,
) -> list[StudentResult]:
    """Grade every submission of ``week`` (or only ``students``) and write the summary.

    ``log`` gets one line per student as soon as its result is known (and a line at the start);
    ``progress`` shows a progress bar on stderr (default: when stderr is a terminal). What the
    libraries print goes to ``reports/<week>/grading.log``.
    """
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
    log_file = fresh_log(course.reports(week) / LOG_NAME)
    terminal = Terminal(log, bar=progress)
    with library_output_to(log_file):
        _log.info("grading %s in %s", week, course.root)
        try:
            return _autograde(course, week, workers, students, env, log_file, terminal)
        except BaseException:
            _log.exception("grading stopped")
            raise
        finally:
            terminal.close()


def _autograde(course: Course, week: str, workers: int | None, students: list[str] | None, env: dict[str, str],
               log_file: Path, terminal: Terminal) -> list[StudentResult]:
    sub_root = course.grader / "submitted"
    found = sorted(p.name for p in sub_root.iterdir() if (p / week).is_dir()) if sub_root.is_dir() else []
    wanted = sorted(set(students) if students else set(found) | set(_roster(course)))
    max_score = _max_score(course, week)
    results: dict[str, StudentResult] = {s: StudentResult(s, max_score=max_score) for s in wanted}
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
        res.problems += [f"{n}{MISSING}" for n in expected if n not in checks[student]]
        jobs[student] = [n for n, chk in checks[student].items() if chk.gradable]
        if not jobs[student]:
            res.status = "nothing gradable"
    todo = [s for s in wanted if jobs.get(s)]  # a student with nothing gradable is not sent to nbgrader
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    backup = backup_gradebook(course)
    if backup:
        terminal.line(f"gradebook backed up to {shown(backup)}")
    terminal.line(f"grading {len(todo)} of {len(wanted)} students' {week} on {workers} worker"
                  f"{'s' if workers > 1 else ''} (library messages: {shown(log_file)})")
    width = max([len(s) for s in wanted] + [7])
    for student in wanted:  # settled already: say so now
        if student not in todo:
            terminal.line(submission_line(results[student], width))
    for student in wanted:  # stale reports of earlier runs must not mix with this one's
        shutil.rmtree(course.reports(week) / student, ignore_errors=True)

    start = time.perf_counter()
    for stream in (sys.stdout, sys.stderr):  # nothing buffered here may be written again by a worker
        stream.flush()
    with tempfile.TemporaryDirectory(prefix="dlcourse-grade-") as tmp:
        private = Path(tmp)
        shutil.copy2(course.db, private / "gradebook.db")
        with ProcessPoolExecutor(
            max_workers=workers,
            initializer=_init_worker, initargs=(str(course.root), str(private), env, str(log_file)),
        ) as pool:
            futures = {pool.submit(_grade_one, week, s, jobs[s]): s for s in todo}
            terminal.start(len(todo))
            for fut in as_completed(futures):
                student = futures[fut]
                res = results[student]
                try:
                    out = fut.result()
                except Exception as err:  # a worker process died: say so, grade the others
                    _log.error("grading %s: the worker failed", student, exc_info=err)
                    res.status, res.problems = "grader error", res.problems + [f"grader error: {err!r}"]
                else:
                    res.seconds = out["seconds"]
                    if not out["success"]:
                        res.status = "grader error"
                        res.problems.append("nbgrader failed: " + _what_failed(out["log"] + out["error"]))
                    else:
                        res.score, res.max_score = merge_submission(course, week, student, out["db"])
                        dest = course.grader / "autograded" / student / week
                        shutil.rmtree(dest, ignore_errors=True)
                        shutil.copytree(out["autograded"], dest)
                        _read_reports(course, week, res)
                terminal.line(submission_line(res, width))
                terminal.advance()
            terminal.close()
    _ensure_students(course, [s for s, r in results.items() if r.status != "graded"])
    scores = _scores(course, week)
    for student, res in results.items():
        res.score, res.max_score = scores.get(student, (0.0, res.max_score))
        if not res.max_score:
            res.max_score = max((m for _, m in scores.values()), default=0.0)
    ordered = [results[s] for s in wanted]
    write_summary(course, week, ordered, time.perf_counter() - start)
    return ordered


def _what_failed(text: str) -> str:
    """What nbgrader's log says went wrong: the first exception it reports (the cause; nbgrader's
    own "see the traceback above" excepted), else the last line that mentions an error."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    raised = [m.group(1) for ln in lines if (m := re.match(r"^(?:[A-Za-z_][\w]*\.)*(\w+(?:Error|Exception): .*)", ln))
              and not m.group(1).startswith("NbGraderException")]
    errs = [ln for ln in lines if "Error" in ln or "error" in ln]
    return (raised[0] if raised else errs[-1] if errs else lines[-1] if lines else "no log")[:300]


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


def print_summary(results: list[StudentResult], week: str, log: Callable[[str], None] = print,
                  log_file: Path | None = None) -> None:
    """The end of the terminal output: the totals, every student that needs a look with all its
    problems and flags, and where the full summary and the log are."""
    graded = sum(r.status == "graded" for r in results)
    n_review = sum(r.review for r in results)
    look = [r for r in results if needs_a_look(r)]
    log(f"{week}: {len(results)} students; {graded} graded; {n_review} flagged for review (!); "
        + (f"{len(look)} to look at:" if look else "nothing else to look at."))
    width = max([len(r.student) for r in look] + [7])
    for r in look:
        missing = sum(p.endswith(MISSING) for p in r.problems)
        log(f"  {r.student:<{width}} {'!' if r.review else ' '}{r.score:>5g} / {r.max_score:<4g}  {r.status}"
            + (f" ({missing} notebook{'s' if missing > 1 else ''} missing)" if missing else ""))
        for p in r.problems:
            if not p.endswith(MISSING):
                log(f"  {'':<{width}}   - {p}")
        for fl in r.flags:
            log(f"  {'':<{width}}   ! {fl}")
    summary = shown(log_file.with_name("summary.md")) if log_file else f"autograder/reports/{week}/summary.md"
    log(f"Every student, every problem: {summary} (and summary.csv)")
    if log_file is not None:
        errors = sum(r.status == "grader error" for r in results)
        why = f", and what went wrong in {errors} grader error{'s' if errors > 1 else ''}" if errors else ""
        log(f"Log (library messages{why}): {shown(log_file)}")
