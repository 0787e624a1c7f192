"""What the instructor sees: ``python -m dlcourse.grader`` keeps the terminal short and sends what
the libraries print to a log under autograder/reports/.

One small cohort of week 1's first notebook is graded once through the command line, as a
subprocess whose output is captured (not a terminal): a right answer, an untouched release saved
without cell ids (nbformat warns), a corrupt file, a notebook that writes warnings and text to
stderr, and a right answer whose ``timestamp.txt`` makes nbgrader fail (a grader error). Then the
other steps' output, and the line formatting and progress display on their own.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dlcourse.grader import cohort, sandbox
from dlcourse.tooling import notebooks as nbtools
from tests.support import runner

ROOT = Path(__file__).resolve().parents[1]
WEEK = "week1_ann_basics"
NAME = "01_tensors_and_perceptrons.ipynb"
WEEK_POINTS = sum(sum(nbtools.grade_cells(nbtools.read_notebook(p)).values())
                  for p in (ROOT / "solutions" / WEEK).glob("*.ipynb"))  # exercises and quiz
WP = f"{WEEK_POINTS:g}"
MISSING = len(list((ROOT / "solutions" / WEEK).glob("*.ipynb"))) - 1  # the submissions hold one notebook
STUDENTS = ["s1-good", "s2-untouched-no-ids", "s3-corrupt", "s4-noisy-stderr", "s5-bad-timestamp"]
NOISY_CELL = ("import os, sys, warnings\nwarnings.warn('STUDENT-WARNING-4e1')\n"
              "print('STUDENT-STDERR-4e1', file=sys.stderr)\nos.write(2, b'STUDENT-FD2-4e1\\n')\n")
# What used to reach the terminal: Python warnings, nbgrader/traitlets log lines, kernel banners.
NOISE = re.compile(r"Warning|nbformat|\[NbGraderAPI|\[\w+App \||^\[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\]|"
                   r"ipython kernel|To connect another client|STUDENT-", re.M)
ISOLATION = [] if sandbox.probe() is None else ["--no-isolation"]


def _grader(course: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlcourse.grader", "--course", str(course), *args],
                          capture_output=True, text=True, timeout=timeout)


def _without_ids(nb: nbformat.NotebookNode) -> str:
    """The notebook as JSON with nbformat 4.5 but no cell ids, as some editors save it."""
    data = json.loads(nbformat.writes(nb))
    for cell in data["cells"]:
        cell.pop("id", None)
    return json.dumps(data, indent=1)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = nbtools.make_scratch_course(ROOT, tmp_path_factory.mktemp("cli") / "course")
    cfg = course / "autograder" / "nbgrader_config.py"
    # no loops here: generous limits, so that a loaded machine does not turn a right answer into a timeout
    cfg.write_text(cfg.read_text() + "\nc.Execute.timeout = 40\nc.GuardedExecute.notebook_timeout = 240\n")
    nbtools.nbgrader(course, "generate_assignment", WEEK, "--force")
    release = nbtools.read_notebook(course / "notebooks" / WEEK / NAME)
    solution = nbtools.read_notebook(ROOT / "solutions" / WEEK / NAME)
    good = runner.fill_solutions(release, solution, set(runner.solution_cells(solution)))
    noisy = copy.deepcopy(good)
    noisy.cells.insert(1, nbformat.v4.new_code_cell(NOISY_CELL))
    nbtools.submit(course, "s1-good", WEEK, {NAME: good})
    folder = course / "autograder" / "submitted" / "s2-untouched-no-ids" / WEEK
    folder.mkdir(parents=True)
    (folder / NAME).write_text(_without_ids(release))
    folder = course / "autograder" / "submitted" / "s3-corrupt" / WEEK
    folder.mkdir(parents=True)
    (folder / NAME).write_text(nbformat.writes(good)[:4000])
    nbtools.submit(course, "s4-noisy-stderr", WEEK, {NAME: noisy})
    nbtools.submit(course, "s5-bad-timestamp", WEEK, {NAME: good})
    (course / "autograder" / "submitted" / "s5-bad-timestamp" / WEEK / "timestamp.txt").write_text("not a date")

    start = time.monotonic()
    proc = _grader(course, "autograde", WEEK, "--workers", "2", *ISOLATION)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    reports = course / "autograder" / "reports" / WEEK
    with open(reports / "summary.csv", encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    log = reports / "grading.log"
    return {"course": course, "proc": proc, "log": log.read_text() if log.exists() else None, "rows": rows,
            "seconds": seconds}


def _lines(proc: subprocess.CompletedProcess) -> list[str]:
    return proc.stdout.splitlines() + proc.stderr.splitlines()


def _look_lines(row: dict[str, str]) -> int:
    """Lines the end of the summary gives a student: its row, its problems (but missing notebooks), its flags."""
    if row["status"] == "graded" and not row["review"] and all(
            p.endswith(cohort.MISSING) for p in row["problems"].split(" | ") if p):
        return 0
    problems = [p for p in row["problems"].split(" | ") if p and not p.endswith(cohort.MISSING)]
    return 1 + len(problems) + len([f for f in row["flags"].split(" | ") if f])


def test_terminal_output_is_short(graded):
    lines = _lines(graded["proc"])
    # Every line accounted for: backup, start, totals, summary path, log path; a line per student;
    # the students to look at (here s3-corrupt and s5-bad-timestamp: 2 lines each); a plain
    # progress line on stderr per minute of grading, and one at the end.
    look = sum(_look_lines(r) for r in graded["rows"].values())
    progress = graded["proc"].stderr.splitlines()
    assert len(progress) <= 1 + graded["seconds"] // 60, progress
    assert all(ln.startswith("graded ") for ln in progress), progress
    assert len(lines) == 5 + len(STUDENTS) + look + len(progress), "\n".join(lines)
    if look == 4:  # nobody else flagged: students + a small constant
        assert len(lines) <= len(STUDENTS) + 10
    assert "\r" not in graded["proc"].stderr  # not a terminal: plain progress lines


def test_no_library_output_reaches_the_terminal(graded):
    out = "\n".join(_lines(graded["proc"]))
    assert not NOISE.search(out), NOISE.search(out).group(0) + "\n" + out


def test_one_line_per_student_with_its_score(graded):
    lines, rows = graded["proc"].stdout.splitlines(), graded["rows"]
    # the score the gradebook holds (test_grader_corpus checks that it is right); none for a grader error
    for student in STUDENTS:
        score = "-" if rows[student]["status"] == "grader error" else rows[student]["score"]
        mine = [ln for ln in lines if re.match(rf"{re.escape(student)}\s+!?\s*{re.escape(score)} / {WP} ", ln)]
        assert len(mine) == 1, f"{student}: {lines}"
    assert rows["s3-corrupt"]["score"] == "0" and rows["s2-untouched-no-ids"]["score"] == "0"
    assert f"{MISSING} notebooks missing" in next(ln for ln in lines if ln.startswith("s1-good"))
    assert "corrupt notebook" in next(ln for ln in lines if ln.startswith("s3-corrupt"))
    assert re.search(rf"^s4-noisy-stderr\s+!?\s*\d+ / {WP}\s+\d+\.\d s  ", graded["proc"].stdout, re.M)


def test_summary_names_what_needs_a_look_and_where_the_rest_is(graded):
    out, course = graded["proc"].stdout, graded["course"]
    rows = graded["rows"]
    n_review, n_look = sum(bool(r["review"]) for r in rows.values()), sum(map(bool, map(_look_lines, rows.values())))
    assert f"{WEEK}: 5 students; 3 graded; {n_review} flagged for review (!); {n_look} to look at:" in out
    look = out[out.index("to look at:"):]
    assert re.search(rf"^  s3-corrupt\s+0 / {WP}\s+nothing gradable \({MISSING} notebooks missing\)$", look, re.M)
    assert re.search(r"^\s+- 01_tensors_and_perceptrons.ipynb: corrupt notebook: not valid JSON", look, re.M)
    assert re.search(rf"^  s5-bad-timestamp !\s+0 / {WP}\s+grader error", look, re.M)
    assert re.search(r"^\s+- nbgrader failed: ParserError: Unknown string format", look, re.M)
    log = course / "autograder" / "reports" / WEEK / "grading.log"
    assert f"Log (library messages, and what went wrong in 1 grader error): {log}" in out
    assert str(log.with_name("summary.md")) in out
    assert rows["s5-bad-timestamp"]["status"] == "grader error" and rows["s3-corrupt"]["status"] == "nothing gradable"
    assert float(rows["s1-good"]["max_score"]) == WEEK_POINTS


def test_the_log_holds_what_the_libraries_printed(graded):
    log = graded["log"]
    assert log is not None, "no autograder/reports/<week>/grading.log"
    assert "SAWarning" in log  # SQLAlchemy, in the workers and in the parent's merges
    assert "MainProcess WARNING py.warnings" in log
    assert "MissingIDFieldWarning" in log  # nbformat, on the notebook saved without cell ids
    assert "ipython kernel" in log  # the kernels' banner, on the stderr they inherit from the worker
    assert "No submitted file" in log  # nbgrader's own log
    assert "ParserError: Unknown string format" in log and "Traceback" in log  # the grader error
    assert "STUDENT-WARNING-4e1" not in graded["proc"].stdout + graded["proc"].stderr


def test_other_steps_print_a_line_and_keep_nbgrader_output_in_a_log(graded):
    course = graded["course"]
    ok = _grader(course, "grades")
    assert ok.returncode == 0 and ok.stderr == "" and len(ok.stdout.splitlines()) == 1, ok.stdout + ok.stderr
    assert "grades.csv" in ok.stdout and (course / "autograder" / "grades.csv").exists()
    assert "[ExportApp" in (course / "autograder" / "reports" / "grades.log").read_text()
    failed = _grader(course, "feedback", "week9_nothing")
    lines = _lines(failed)
    assert failed.returncode == 1 and 2 <= len(lines) <= 8, lines
    log = course / "autograder" / "reports" / "week9_nothing" / "feedback.log"
    assert lines[0].startswith("nbgrader generate_feedback failed") and lines[-1] == f"Full log: {log}"
    assert any("No notebooks were matched" in ln for ln in lines) and "Traceback" not in failed.stderr
    assert "No notebooks were matched" in log.read_text()


def _worker_dies(week: str, student: str, notebooks: list[str]) -> dict:
    os._exit(9)  # as a segfault or the kernel's OOM killer would end the worker


def test_a_worker_crash_is_in_the_summary_with_a_pointer_to_the_log(graded, monkeypatch):
    course, lines = graded["course"], []
    monkeypatch.setattr(cohort, "_grade_one", _worker_dies)  # the forked workers inherit it
    results = cohort.autograde(course, WEEK, students=["s1-good"], isolation=False, log=lines.append,
                               progress=False)
    assert [(r.student, r.status) for r in results] == [("s1-good", "grader error")]
    assert re.match(rf"s1-good\s+!\s+- / {WP}\s+-  grader error: BrokenProcessPool", lines[-1]), lines
    log = course / "autograder" / "reports" / WEEK / cohort.LOG_NAME
    cohort.print_summary(results, WEEK, log=lines.append, log_file=log)
    assert any(re.match(r"\s+- grader error: BrokenProcessPool", ln) for ln in lines), lines
    assert lines[-1] == f"Log (library messages, and what went wrong in 1 grader error): {log}"
    text = log.read_text()
    assert "grading s1-good: the worker failed" in text and "Traceback" in text
    assert (log.parent / "grading.log.1").read_text() == graded["log"]  # the run before, kept


# -- the pieces, without grading --------------------------------------------------------------------
def _res(student: str, **kw) -> cohort.StudentResult:
    return cohort.StudentResult(student, **{"max_score": 68.0, **kw})


def test_submission_line():
    missing = [f"0{i}_x.ipynb{cohort.MISSING}" for i in (2, 3, 4)]
    assert cohort.submission_line(_res("alice", score=17, seconds=12.06, problems=missing), 8) == (
        "alice        17 / 68    12.1 s  3 notebooks missing")
    flagged = _res("bob", score=2.5, seconds=3, flags=["01.ipynb: imports socket"])
    assert cohort.submission_line(flagged, 8) == "bob      !  2.5 / 68     3.0 s  flag: 01.ipynb: imports socket"
    assert cohort.submission_line(_res("carol", status="no submission"), 8) == (
        "carol         0 / 68         -  no submission")
    err = _res("dave", status="grader error", seconds=0.4, problems=["nbgrader failed: " + "x" * 200])
    line = cohort.submission_line(err, 8)
    assert line.startswith("dave     !    - / 68     0.4 s  grader error; nbgrader failed: xxx")
    assert line.endswith("...")
    assert len(line) < 140


def test_summary_lists_only_what_needs_a_look():
    lines: list[str] = []
    results = [_res("alice", score=17, problems=[f"02.ipynb{cohort.MISSING}"]),
               _res("bob", status="nothing gradable",
                    problems=["01.ipynb: corrupt notebook", f"02.ipynb{cohort.MISSING}"]),
               _res("carol", score=4, flags=["01.ipynb: edited locked cells t1"])]
    cohort.print_summary(results, WEEK, log=lines.append, log_file=Path("/x/reports/w/grading.log"))
    assert lines[0] == f"{WEEK}: 3 students; 2 graded; 1 flagged for review (!); 2 to look at:"
    assert not any("alice" in ln for ln in lines)
    assert lines[1].split() == ["bob", "0", "/", "68", "nothing", "gradable", "(1", "notebook", "missing)"]
    assert lines[2].strip() == "- 01.ipynb: corrupt notebook"
    assert lines[3].split()[:2] == ["carol", "!"] and lines[4].strip() == "! 01.ipynb: edited locked cells t1"
    assert lines[-2:] == ["Every student, every problem: /x/reports/w/summary.md (and summary.csv)",
                          "Log (library messages): /x/reports/w/grading.log"]


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_without_a_terminal_is_plain_lines():
    stream, lines, clock = io.StringIO(), [], _Clock()
    term = cohort.Terminal(log=lines.append, stream=stream, bar=False, every=10, clock=clock)
    term.start(4)
    for t in (101, 105, 112, 113):
        clock.now = t
        term.line(f"student at {t}")
        term.advance()
    term.close()
    assert lines == ["student at 101", "student at 105", "student at 112", "student at 113"]
    assert stream.getvalue() == "graded 3/4, 00:12 elapsed, ETA 00:04\ngraded 4/4 in 00:13\n"


def test_progress_on_a_terminal_is_a_tqdm_bar():
    stream, lines = io.StringIO(), []
    term = cohort.Terminal(log=lines.append, stream=stream, bar=True)
    term.start(2)
    term.line("alice 17 / 68")
    term.advance()
    term.close()
    assert lines == ["alice 17 / 68"]
    out = stream.getvalue()
    assert "\r" in out and "grading 1/2" in out and "elapsed, ETA" in out


def test_fresh_log_keeps_the_previous_one(tmp_path):
    log = tmp_path / "reports" / "grading.log"
    cohort.fresh_log(log).write_text("first run")
    cohort.fresh_log(log).write_text("second run")
    cohort.fresh_log(log)
    assert log.read_text() == "" and (tmp_path / "reports" / "grading.log.1").read_text() == "second run"


def test_library_warnings_and_logging_go_to_the_log(tmp_path, capsys):
    import logging
    import warnings

    log = cohort.fresh_log(tmp_path / "grading.log")
    before = logging.getLogger().handlers[:]
    with cohort.library_output_to(log):
        warnings.warn("LIBRARY-WARNING-9d2", UserWarning, stacklevel=1)
        logging.getLogger("sqlalchemy.engine").warning("LIBRARY-LOG-9d2")
    captured = capsys.readouterr()
    assert "9d2" not in captured.out + captured.err
    assert "LIBRARY-WARNING-9d2" in log.read_text() and "LIBRARY-LOG-9d2" in log.read_text()
    assert logging.getLogger().handlers == before  # put back as they were
