"""The instructor's commands: ``python -m dlcourse.grader STEP WEEK`` (the Makefile wraps them).

    collect   WEEK (--zip FILE | --from FOLDER) [--roster CSV]   submissions into submitted/
    autograde WEEK [--workers N] [--student ID ...] [--no-isolation]
    feedback  WEEK                                              HTML without hidden tests
    grades                                                      autograder/grades.csv

Every step can be run again: collect replaces a student's earlier files with the newer ones,
autograde regrades, feedback and grades are rewritten.

The terminal gets a line or two per step (autograde: a progress bar, a line per student and the
summary's end); what nbgrader and the libraries print goes to a log under autograder/reports/
(reports/<week>/collect.log, grading.log, feedback.log; reports/grades.log), the previous run's
kept as *.log.1. A step that fails prints nbgrader's last error lines and the log's path.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

from dlcourse.grader import cohort

ROOT = Path.cwd()


def _step_log(course: cohort.Course, step: str, week: str | None = None) -> Path:
    """A fresh log for one step: reports/<week>/<step>.log, or reports/<step>.log."""
    folder = course.reports(week) if week else course.grader / "reports"
    return cohort.fresh_log(folder / f"{step}.log")


def _nbgrader(course: cohort.Course, log_file: Path, *args: str) -> None:
    """Run nbgrader with its output in ``log_file``; on failure, stop with its last error lines."""
    proc = cohort.nbgrader_logged(course.root, log_file, *args)
    if proc.returncode:
        tail = "\n".join("  " + ln for ln in cohort.error_lines(proc.stdout + proc.stderr))
        raise SystemExit(f"nbgrader {args[0]} failed (exit status {proc.returncode}):\n{tail}\n"
                         f"Full log: {cohort.shown(log_file)}")


def collect(course: cohort.Course, week: str, zip_path: Path | None, folder: Path | None, roster: Path | None) -> int:
    if roster and not roster.is_file():
        raise SystemExit(f"No roster file {roster}")
    log_file = _step_log(course, "collect", week)
    if roster:
        _nbgrader(course, log_file, "db", "student", "import", str(roster.resolve()))
        print(f"roster: imported {roster}")
    if not (zip_path or folder):
        return 0
    archive = course.grader / "downloaded" / week / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    if zip_path:
        if not zipfile.is_zipfile(zip_path):
            raise SystemExit(f"{zip_path} is not a zip file")
        shutil.copy2(zip_path, archive / zip_path.name)
        names = [n for n in zipfile.ZipFile(zip_path).namelist() if not n.endswith("/")]
    else:
        if not folder or not folder.is_dir():
            raise SystemExit(f"No folder {folder}")
        target = archive / f"{folder.name}.zip"
        names = []
        with zipfile.ZipFile(target, "w") as zf:
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    zf.write(p, p.relative_to(folder).as_posix())
                    names.append(p.relative_to(folder).as_posix())
    _nbgrader(course, log_file, "zip_collect", week, "--force")
    pattern = _collector_regexp(course)
    skipped = [n for n in names if not re.match(pattern, "x/" + n)]
    landed = sorted(p.relative_to(course.grader / "submitted").as_posix()
                    for p in (course.grader / "submitted").glob(f"*/{week}/*") if p.is_file())
    print(f"collected {len(landed)} files into autograder/submitted/ ({len(names)} in the upload; "
          f"nbgrader's log: {cohort.shown(log_file)})")
    for n in skipped:
        print(f"  NOT collected: {n} (name does not match <student>_<notebook>.ipynb; kept in "
              f"autograder/downloaded/{week}/)")
    return 0


def _collector_regexp(course: cohort.Course) -> str:
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course.grader)).load_config()
    return str(cfg.FileNameCollectorPlugin.named_regexp)


def feedback(course: cohort.Course, week: str) -> int:
    log_file = _step_log(course, "feedback", week)
    _nbgrader(course, log_file, "generate_feedback", week, "--force")
    n = len(list((course.grader / "feedback").glob(f"*/{week}/*.html")))
    print(f"feedback: {n} HTML files in autograder/feedback/<student>/{week}/ "
          f"(nbgrader's log: {cohort.shown(log_file)})")
    return 0


def grades(course: cohort.Course) -> int:
    log_file = _step_log(course, "grades")
    _nbgrader(course, log_file, "export", "--to", "grades.csv")
    print(f"wrote autograder/grades.csv (nbgrader's log: {cohort.shown(log_file)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dlcourse.grader", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--course", type=Path, default=ROOT, help="the course folder (holds autograder/)")
    sub = ap.add_subparsers(dest="step", required=True)
    c = sub.add_parser("collect")
    c.add_argument("week")
    c.add_argument("--zip", type=Path)
    c.add_argument("--from", dest="folder", type=Path)
    c.add_argument("--roster", type=Path)
    a = sub.add_parser("autograde")
    a.add_argument("week")
    a.add_argument("--workers", type=int, default=None)
    a.add_argument("--student", action="append")
    a.add_argument("--no-isolation", action="store_true", help="run student code unconfined (trusted code only)")
    f = sub.add_parser("feedback")
    f.add_argument("week")
    sub.add_parser("grades")
    args = ap.parse_args(argv)
    course = cohort.Course(args.course.resolve())
    if args.step == "collect":
        return collect(course, args.week, args.zip, args.folder, args.roster)
    if args.step == "autograde":
        results = cohort.autograde(course.root, args.week, workers=args.workers, students=args.student,
                                   isolation=not args.no_isolation)
        cohort.print_summary(results, args.week, log_file=course.reports(args.week) / cohort.LOG_NAME)
        return 0
    if args.step == "feedback":
        return feedback(course, args.week)
    return grades(course)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
