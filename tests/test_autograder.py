"""The instructor's workflow on a tiny assignment: release, roster, LMS zip, autograde, grades CSV."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlcourse.tooling import notebooks as nbtools

ROOT = Path(__file__).resolve().parents[1]
WEEK = "week0_demo"
NB = "01_demo.ipynb"


def _demo_solution() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = nbformat.v4.new_code_cell(
        "from dlcourse import todo, check_close\n\ndef double(x):\n"
        "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
    )
    code.metadata["nbgrader"] = {"grade": False, "grade_id": "demo-double-code", "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    test = nbformat.v4.new_code_cell(
        "check_close(double(1.0), 2.0, 'double(1.0)')\nimport warnings\nwarnings.warn('a harmless warning')\n"
        "### BEGIN HIDDEN TESTS\ncheck_close(double(-3.5), -7.0, 'double(-3.5)')\n### END HIDDEN TESTS"
    )
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "demo-double", "locked": True, "points": 2,
                                 "schema_version": 3, "solution": False, "task": False}
    nb.cells = [nbformat.v4.new_markdown_cell("# Demo"), code, test]
    return nb


@pytest.fixture(scope="module")
def demo_course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("demo")
    (course / "solutions" / WEEK).mkdir(parents=True)
    nbformat.write(_demo_solution(), str(course / "solutions" / WEEK / NB))
    (course / "autograder").mkdir()
    shutil.copy2(ROOT / "autograder" / "nbgrader_config.py", course / "autograder")
    nbtools.nbgrader(course, "generate_assignment", WEEK, "--force")
    return course


def test_release_goes_to_notebooks_with_todo_stub(demo_course):
    released = nbtools.read_notebook(demo_course / "notebooks" / WEEK / NB)
    assert "todo()" in released.cells[1].source and "return 2 * x" not in released.cells[1].source
    assert "HIDDEN" not in released.cells[2].source and (demo_course / "autograder" / "gradebook.db").exists()


def test_zip_collect_roster_autograde_and_grades_csv(demo_course):
    course = demo_course
    roster = course / "autograder" / "students.csv"
    roster.write_text("id,first_name,last_name,email\nalice,A,L,a@x\nbob,B,O,b@x\ncarol,C,A,c@x\n")
    nbtools.nbgrader(course, "db", "student", "import", str(roster))

    solved = _demo_solution()
    released = nbtools.read_notebook(course / "notebooks" / WEEK / NB)
    archive = course / "autograder" / "downloaded" / WEEK / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms.zip", "w") as zf:
        zf.writestr(f"alice_{NB}", nbformat.writes(solved))  # plain name
        zf.writestr(f"bob_late_1234_5678_{NB}", nbformat.writes(released))  # Canvas-style, untouched
        zf.writestr("readme.txt", "not a submission")
    nbtools.nbgrader(course, "zip_collect", WEEK)
    submitted = sorted(p.relative_to(course / "autograder" / "submitted").as_posix()
                       for p in (course / "autograder" / "submitted").rglob("*.ipynb"))
    assert submitted == [f"alice/{WEEK}/{NB}", f"bob/{WEEK}/{NB}"]

    nbtools.nbgrader(course, "autograde", WEEK)
    scores = nbtools.scores(course, WEEK)
    assert scores["alice"]["01_demo"] == {"demo-double": 2.0}  # the warning on stderr costs nothing
    assert scores["bob"]["01_demo"] == {"demo-double": 0.0}

    nbtools.nbgrader(course, "generate_feedback", WEEK)
    feedback = (course / "autograder" / "feedback" / "alice" / WEEK / "01_demo.html").read_text()
    assert "demo-double" in feedback
    # Feedback names the failed test and its message, but never shows the hidden tests' source.
    bob = (course / "autograder" / "feedback" / "bob" / WEEK / "01_demo.html").read_text()
    for html in (feedback, bob):
        assert "double(-3.5)" not in html and "HIDDEN TESTS" not in html and "hidden tests: run by the grader" in html
    assert "NotImplementedError" in bob and "double" in bob

    nbtools.nbgrader(course, "export", "--to", "grades.csv")
    rows = {r["student_id"]: r for r in csv.DictReader((course / "autograder" / "grades.csv").open())}
    assert set(rows) == {"alice", "bob", "carol"}  # carol submitted nothing and still appears
    assert float(rows["alice"]["raw_score"]) == 2.0 and float(rows["carol"]["raw_score"]) == 0.0


def test_grader_collect_from_a_folder_with_roster_reports_what_it_did_not_take(demo_course, tmp_path):
    import subprocess
    import sys

    upload = tmp_path / "upload"
    (upload / "dave").mkdir(parents=True)
    nbformat.write(_demo_solution(), str(upload / "dave" / NB))
    nbformat.write(_demo_solution(), str(upload / f"erin_{NB}"))
    (upload / "readme.txt").write_text("not a submission")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\ndave,D,A,d@x\nerin,E,R,e@x\nfrank,F,R,f@x\n")
    proc = subprocess.run(
        [sys.executable, "-m", "dlcourse.grader", "--course", str(demo_course), "collect", WEEK, "--from", str(upload),
         "--roster", str(roster)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sub = demo_course / "autograder" / "submitted"
    assert (sub / "dave" / WEEK / NB).exists() and (sub / "erin" / WEEK / NB).exists()
    assert "NOT collected: readme.txt" in proc.stdout
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{demo_course / 'autograder' / 'gradebook.db'}") as gb:
        assert {"dave", "erin", "frank"} <= {s.id for s in gb.students}
