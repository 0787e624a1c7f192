"""The cohort grader against a corpus of bad submissions of week 1's first notebook (among them
one per hook point that can change how later cells run: tests/support/hooks.py), and a few that
try to fool week 2's tests.

One scratch course, one cohort per week: every submission below is graded together by
``python -m dlcourse.grader autograde`` (parallel, jailed). Each must get exactly the expected
score, the expected problem or flag in the summary, and must not disturb the others. A second
run must give the same scores.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from dlcourse.grader import sandbox
from dlcourse.tooling import notebooks as nbtools
from tests.support import runner
from tests.support.hooks import HOOKS

ROOT = Path(__file__).resolve().parents[1]
WEEK = "week1_ann_basics"
NAME = "01_tensors_and_perceptrons.ipynb"
FULL = 17.0  # points of that notebook
POINTS = {"tensors-pairwise-dists": 2, "tensors-standardize": 1, "tensors-one-hot": 2, "tensors-torch-affine": 2,
          "tensors-perceptron-predict": 1, "tensors-gates": 2, "tensors-perceptron-train": 3,
          "tensors-mlp-forward": 2, "tensors-xor-net": 2}
WEEK_POINTS = sum(sum(nbtools.grade_cells(nbtools.read_notebook(p)).values())
                  for p in (ROOT / "solutions" / WEEK).glob("*.ipynb"))  # the week's exercises and quiz
REGRADED = ["s00-good", "s05-os-exit", "s07-memory-bomb", "s14-patched-numpy", "s15-patched-helpers"]
BOMB = "hog = [bytearray(50 * 2**20) for _ in range(10**4)]"
SECRET = "SECRET-OF-ANOTHER-STUDENT-7f3a"
# Planted in the grader's environment: a student's code must never see them (issue: an LMS token).
CANARIES = {"DLCOURSE_TEST_CANARY": "canary-6d1f0c9e-not-for-students", "AWS_SECRET_ACCESS_KEY": "aws-3b7e95a2-secret"}

pytestmark = pytest.mark.skipif(sandbox.probe() is not None, reason=f"no isolation here: {sandbox.probe()}")


def _code(nb, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _inject(nb, grade_id: str, body: str) -> nbformat.NotebookNode:
    """Put ``body`` at the start of the graded function of cell ``grade_id`` (after its docstring)."""
    nb = copy.deepcopy(nb)
    cell = _code(nb, grade_id)
    lines = cell.source.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("def "))
    doc_end = start + 1
    if lines[doc_end].strip().startswith('"""'):
        doc_end = next(i for i in range(doc_end, len(lines)) if lines[i].rstrip().endswith('"""')
                       and (i > doc_end or lines[i].strip().count('"""') == 2))
    indented = "\n".join("    " + ln for ln in body.splitlines())
    lines.insert(doc_end + 1, indented)
    cell.source = "\n".join(lines)
    return nb


def _prepend(nb, grade_id: str, source: str) -> nbformat.NotebookNode:
    """Put ``source`` (a helper class, say) before the code of cell ``grade_id``."""
    nb = copy.deepcopy(nb)
    cell = _code(nb, grade_id)
    cell.source = source + "\n\n" + cell.source
    return nb


def _append(nb, source: str, after: str | None = None) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    cell = nbformat.v4.new_code_cell(source)
    idx = len(nb.cells) if after is None else nb.cells.index(_code(nb, after)) + 1
    nb.cells.insert(idx, cell)
    return nb


def _corpus(release, solution, course: Path, port: int) -> dict[str, tuple[object, float, str]]:
    """name -> (notebook, or bytes for a raw file, expected score, expected text in the summary row)."""
    good = runner.fill_solutions(release, solution, set(runner.solution_cells(solution)))
    gb = str(course / "autograder" / "gradebook.db")
    other = str(course / "autograder" / "submitted" / "s00-good" / WEEK / "notes.txt")
    sol = str(course / "solutions" / WEEK / NAME)

    def wrong_and_patched(patch: str) -> nbformat.NotebookNode:
        """A wrong pairwise_sq_dists (X @ Y.T), then a cell that patches what the tests compare with."""
        wrong = _inject(good, "tensors-pairwise-dists-code", "return X @ Y.T")
        return _append(wrong, patch, after="tensors-pairwise-dists-code")

    def without(*ids: str) -> float:
        return FULL - sum(POINTS[i] for i in ids)

    edited_test = copy.deepcopy(_inject(good, "tensors-pairwise-dists-code", "return X"))
    _code(edited_test, "tensors-pairwise-dists").source = "pass  # tests are for others"
    deleted = _inject(good, "tensors-one-hot-code", "return 0")
    deleted.cells.remove(_code(deleted, "tensors-one-hot"))
    dup = copy.deepcopy(good)
    dup.cells.append(copy.deepcopy(_code(dup, "tensors-gates")))
    points = copy.deepcopy(good)
    _code(points, "tensors-gates").metadata["nbgrader"]["points"] = 100
    empty = nbformat.v4.new_notebook()
    before_os_exit = POINTS["tensors-pairwise-dists"] + POINTS["tensors-standardize"]
    before_segv = before_os_exit + POINTS["tensors-one-hot"] + POINTS["tensors-torch-affine"]
    return {
        "s00-good": (good, FULL, ""),
        "s01-untouched": (release, 0.0, ""),
        "s02-infinite-loop": (_inject(good, "tensors-pairwise-dists-code", "while True:\n    pass"),
                              without("tensors-pairwise-dists"), "timeout"),
        "s03-slow-cell": (_inject(good, "tensors-standardize-code", "import time\ntime.sleep(60)"),
                          without("tensors-standardize"), "timeout"),
        "s04-ignores-interrupt": (_inject(good, "tensors-pairwise-dists-code",
                                          "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
                                          "    pass"),
                                  0.0, "ignored the interrupt"),
        "s05-os-exit": (_inject(good, "tensors-one-hot-code", "import os\nos._exit(3)"), before_os_exit,
                        "exited with status 3"),
        "s06-segfault": (_inject(good, "tensors-perceptron-predict-code",
                                 "import ctypes\nctypes.string_at(0)"), before_segv, "segmentation fault"),
        "s07-memory-bomb": (_inject(good, "tensors-one-hot-code", BOMB),
                            without("tensors-one-hot"), ""),
        "s08-output-flood": (_inject(good, "tensors-standardize-code", "print(('x' * 999 + '\\n') * 5000)"),
                             FULL, "output flood"),
        "s09-edited-test": (edited_test, without("tensors-pairwise-dists"),
                            "edited locked cells tensors-pairwise-dists"),
        "s10-deleted-test": (deleted, without("tensors-one-hot"), "deleted locked cells tensors-one-hot"),
        "s11-duplicate-id": (dup, FULL, "duplicated cell ids tensors-gates"),
        "s12-edited-points": (points, FULL, "edited grading metadata"),
        "s13-always-equal": (_prepend(_inject(good, "tensors-one-hot-code", "return AlwaysEqual()"),
                                      "tensors-one-hot-code",
                                      "class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n"
                                      "    def __array__(self, dtype=None, copy=None):\n"
                                      "        raise TypeError('no')\n"),
                             without("tensors-one-hot"), "defines __eq__"),
        "s14-patched-numpy": (wrong_and_patched(
                                  "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                                  "np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)\n"
                                  "np.array_equal = lambda *a, **k: True\n"),
                              without("tensors-pairwise-dists"), "patches np.allclose"),
        "s15-patched-helpers": (wrong_and_patched(
                                    "import dlcourse, dlcourse.checks\n"
                                    "dlcourse.check_close = dlcourse.checks.check_close = lambda *a, **k: None\n"
                                    "dlcourse.check_shape = dlcourse.checks.check_shape = lambda v, *a, **k: v\n"),
                                without("tensors-pairwise-dists"), "tampered at run time"),
        "s16-trace-hook": (_append(good, "import sys\nsys.settrace(lambda *a: None)\n",
                                   after="tensors-pairwise-dists-code"), FULL, "sys.settrace"),
        "s17-reads-grader-files": (_append(good, f"import os\nfor p in [{gb!r}, {other!r}, {sol!r}]:\n"
                                           "    print(p, os.path.exists(p))\n"
                                           "    try:\n        print(open(p, 'rb').read()[:2000])\n"
                                           "    except OSError as e:\n        print(e)\n"),
                                   FULL, "names grader files"),
        "s18-writes-grader-files": (_append(good, f"for p in [{gb!r}, {other!r}]:\n    try:\n"
                                            "        open(p, 'w').write('pwned')\n"
                                            "    except OSError as e:\n        print(e)\n"),
                                    FULL, "names grader files"),
        "s19-network": (_append(good, "import socket\ntry:\n"
                                      f"    socket.create_connection(('127.0.0.1', {port}), 3).sendall(b'leak')\n"
                                      "except OSError as e:\n    print(e)\n"),
                        FULL, "imports socket"),
        "s20-warning": (_inject(good, "tensors-pairwise-dists-code",
                                "import warnings\nwarnings.warn('pairwise: a harmless warning')"), FULL, ""),
        "s21-corrupt-json": (nbformat.writes(good)[:5000].encode(), 0.0, "corrupt notebook"),
        "s22-wrong-name": (good, 0.0, "unexpected file name"),
        "s23-empty": (empty, 0.0, "empty notebook"),
        "s24-hidden-tests-cheat": (_inject(good, "tensors-pairwise-dists-code",
                                           "if X.shape == (3, 2) and Y.shape == (2, 2):\n"
                                           "    return np.array([[0.0, 25.0], [1.0, 20.0], [4.0, 13.0]])\n"
                                           "return np.zeros((len(X), len(Y)))"),
                                   without("tensors-pairwise-dists"), ""),
        "s25-prints-environment": (_append(good, "import os\nprint(sorted(os.environ.items()))\n",
                                           after="tensors-pairwise-dists-code"), FULL, ""),
        **{name: (_after_setup(release, code), 0.0, flag) for name, (code, flag) in HOOKS.items()},
    }


def _after_setup(nb, source: str) -> nbformat.NotebookNode:
    """``nb`` with a code cell holding ``source`` right after its set-up cell (the second cell)."""
    nb = copy.deepcopy(nb)
    nb.cells.insert(2, nbformat.v4.new_code_cell(source))
    return nb


def _course(tmp: Path, week: str) -> Path:
    """A scratch course with ``week`` released and short time limits (a loop costs 8 s, not 60)."""
    course = nbtools.make_scratch_course(ROOT, tmp / "course")
    cfg = course / "autograder" / "nbgrader_config.py"
    cfg.write_text(cfg.read_text() + "\nc.Execute.timeout = 8\nc.GuardedExecute.notebook_timeout = 120\n")
    nbtools.nbgrader(course, "generate_assignment", week, "--force")
    return course


def _grade(course: Path, week: str, *students: str) -> dict[str, dict[str, str]]:
    """Grade ``week`` (only ``students`` if given) with the course's grader, the canaries in its
    environment; the summary's rows."""
    only = [arg for s in students for arg in ("--student", s)]
    proc = subprocess.run([sys.executable, "-m", "dlcourse.grader", "--course", str(course), "autograde", week,
                           "--workers", "2", *only], capture_output=True, text=True, timeout=1500,
                          env={**os.environ, **CANARIES})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    with open(course / "autograder" / "reports" / week / "summary.csv", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = _course(tmp_path_factory.mktemp("corpus"), WEEK)
    release = nbtools.read_notebook(course / "notebooks" / WEEK / NAME)
    solution = nbtools.read_notebook(ROOT / "solutions" / WEEK / NAME)

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    received: list[bytes] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                received.append(conn.recv(100))
            except OSError:
                continue

    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    corpus = _corpus(release, solution, course, server.getsockname()[1])
    for student, (nb, _, _) in corpus.items():
        folder = course / "autograder" / "submitted" / student / WEEK
        folder.mkdir(parents=True)
        name = "01_tensors_and_perceptrons (1).ipynb" if student == "s22-wrong-name" else NAME
        if isinstance(nb, bytes):
            (folder / name).write_bytes(nb)
        else:
            nbformat.write(nb, str(folder / name))
    (course / "autograder" / "submitted" / "s00-good" / WEEK / "notes.txt").write_text(SECRET)
    roster = course / "autograder" / "students.csv"
    roster.write_text("id,first_name,last_name,email\nzz-absent,Ab,Sent,a@x\n")
    nbtools.nbgrader(course, "db", "student", "import", str(roster))
    good_before = (course / "autograder" / "submitted" / "s00-good" / WEEK / "notes.txt").read_bytes()

    first = _grade(course, WEEK)
    second = _grade(course, WEEK, *REGRADED)
    stop.set()
    nbtools.nbgrader(course, "generate_feedback", WEEK, "--student", "s25-prints-environment", "--force")
    return {"course": course, "corpus": corpus, "first": first, "second": second, "received": received,
            "good_before": good_before}


def test_corpus_has_at_least_20_bad_submissions(graded):
    assert len([s for s in graded["corpus"] if s != "s00-good"]) >= 20


@pytest.mark.parametrize("student", [
    "s00-good", "s01-untouched", "s02-infinite-loop", "s03-slow-cell", "s04-ignores-interrupt", "s05-os-exit",
    "s06-segfault", "s07-memory-bomb", "s08-output-flood", "s09-edited-test", "s10-deleted-test",
    "s11-duplicate-id", "s12-edited-points", "s13-always-equal", "s14-patched-numpy", "s15-patched-helpers",
    "s16-trace-hook", "s17-reads-grader-files", "s18-writes-grader-files", "s19-network", "s20-warning",
    "s21-corrupt-json", "s22-wrong-name", "s23-empty", "s24-hidden-tests-cheat", "s25-prints-environment",
    *HOOKS])
def test_each_submission_gets_its_score_and_reason(graded, student):
    _, expected, reason = graded["corpus"][student]
    row = graded["first"][student]
    assert float(row["score"]) == expected, f"{student}: {row}"
    assert float(row["max_score"]) == WEEK_POINTS  # the other notebooks of the week are missing: 0 points
    text = row["problems"] + " " + row["flags"]
    assert reason in text, f"{student}: expected {reason!r} in {text!r}"
    if student in ("s00-good", "s20-warning", "s01-untouched", "s25-prints-environment"):
        assert row["review"] == "" and row["flags"] == "", row
    if student in HOOKS:
        assert row["review"] == "yes", row


def test_the_graders_environment_never_reaches_the_student(graded):
    """A submission that prints os.environ sees what the notebooks need, not the instructor's secrets."""
    course = graded["course"]
    student = "s25-prints-environment"
    autograded = (course / "autograder" / "autograded" / student / WEEK / NAME).read_text()
    feedback = (course / "autograder" / "feedback" / student / WEEK / NAME.replace(".ipynb", ".html")).read_text()
    assert "NBGRADER_EXECUTION" in autograded and "NBGRADER_EXECUTION" in feedback  # the environment was printed
    for name, value in CANARIES.items():
        for where, text in (("autograded notebook", autograded), ("feedback", feedback)):
            assert value not in text and name not in text, f"{name} reached the student's {where}"


def test_regrading_gives_the_same_scores(graded):
    assert sorted(graded["second"]) == REGRADED
    assert {s: graded["first"][s]["score"] for s in REGRADED} == {s: r["score"] for s, r in graded["second"].items()}


def test_nonsubmitter_from_the_roster_is_listed_with_zero(graded):
    row = graded["first"]["zz-absent"]
    assert row["status"] == "no submission" and float(row["score"]) == 0.0


def test_student_code_saw_no_grader_files_and_no_network(graded):
    course = graded["course"]
    nb = nbtools.read_notebook(course / "autograder" / "autograded" / "s17-reads-grader-files" / WEEK / NAME)
    out = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "No such file" in out and "SQLite format" not in out
    assert "BEGIN HIDDEN TESTS" not in out and SECRET not in out
    assert (course / "autograder" / "submitted" / "s00-good" / WEEK / "notes.txt").read_bytes() == graded["good_before"]
    assert "pwned" not in (course / "autograder" / "gradebook.db").read_bytes().decode("latin-1")
    assert graded["received"] == []


def test_bad_files_are_kept_not_deleted(graded):
    sub = graded["course"] / "autograder" / "submitted"
    assert (sub / "s21-corrupt-json" / WEEK / NAME).exists()
    assert (sub / "s22-wrong-name" / WEEK / "01_tensors_and_perceptrons (1).ipynb").exists()


# -- week 2: the same protections hold for the optimizers' tests ------------------------------------
WEEK2 = "week2_optimizers"
NAME2 = "01_gradient_descent.ipynb"
FOOLS = ("class Fools(np.ndarray):\n    def __eq__(self, other):\n        return np.ones(np.shape(self), bool)\n"
         "    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):\n"
         "        return np.ones(np.broadcast(*[np.asarray(i) for i in inputs]).shape, bool)\n")


@pytest.fixture(scope="module")
def graded_week2(tmp_path_factory):
    course = _course(tmp_path_factory.mktemp("corpus2"), WEEK2)
    release = nbtools.read_notebook(course / "notebooks" / WEEK2 / NAME2)
    solution = nbtools.read_notebook(ROOT / "solutions" / WEEK2 / NAME2)
    good = runner.fill_solutions(release, solution, set(runner.solution_cells(solution)))
    full = sum(nbtools.grade_cells(solution).values())
    pts = nbtools.grade_cells(solution)
    run_pts = pts["gd-run"]
    grad_pts = pts["gd-linreg-grad"] + pts["gd-sgd-epoch"]  # the SGD epoch calls linreg_loss_and_grads
    wrong_grads = _inject(good, "gd-linreg-grad-code", "r = X @ w + b - y\n"  # dw with the wrong sign
                          "return float(np.mean(r**2)), -(2 / len(y)) * (X.T @ r), float(2 * np.mean(r))")
    fooling_array = _inject(good, "gd-run-code", "return np.zeros((n_steps + 1, len(x0))).view(Fools)")
    fooling_float = _inject(good, "gd-linreg-grad-code", "return AlwaysEqual(0.0), np.zeros(len(w)), AlwaysEqual(0.0)")
    corpus = {
        "w2-good": (good, full, ""),
        "w2-wrong-grads": (wrong_grads, full - grad_pts, ""),  # the control: what tampering below must not improve
        # an ndarray subclass whose comparisons and ufuncs always answer "equal"
        "w2-fooling-array": (_prepend(fooling_array, "gd-run-code", FOOLS), full - run_pts, "defines __eq__"),
        # a float whose == is always true, for the loss
        "w2-fooling-float": (_prepend(fooling_float, "gd-linreg-grad-code",
                                      "class AlwaysEqual(float):\n    def __eq__(self, other):\n        return True\n"
                                      "    __hash__ = float.__hash__\n"),
                             full - grad_pts, "defines __eq__"),
        # torch's and numpy's comparisons patched after a wrong answer
        "w2-patched-torch-numpy": (_append(wrong_grads,
                                           "import torch\ntorch.allclose = lambda *a, **k: True\n"
                                           "np.testing.assert_allclose = lambda *a, **k: None\n"
                                           "np.allclose = lambda *a, **k: True\n"
                                           "np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)\n",
                                           after="gd-linreg-grad-code"),
                                   full - grad_pts, "patches torch.allclose"),
        # the checks' private references, patched at run time (under an alias the static scan misses)
        "w2-patched-check-internals": (_append(wrong_grads,
                                               "import dlcourse.checks as c\nc._array_equal = lambda *a: True\n"
                                               "c._isclose = lambda a, b, **k: np.isfinite(a - b)\n",
                                               after="gd-linreg-grad-code"),
                                       full - grad_pts, "tampered at run time"),
    }
    for student, (nb, _, _) in corpus.items():
        folder = course / "autograder" / "submitted" / student / WEEK2
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / NAME2))
    first = _grade(course, WEEK2)
    second = _grade(course, WEEK2, "w2-fooling-array", "w2-patched-torch-numpy")
    return {"corpus": corpus, "first": first, "second": second}


@pytest.mark.parametrize("student", ["w2-good", "w2-wrong-grads", "w2-fooling-array", "w2-fooling-float",
                                     "w2-patched-torch-numpy", "w2-patched-check-internals"])
def test_week2_tests_are_not_fooled(graded_week2, student):
    _, expected, reason = graded_week2["corpus"][student]
    row = graded_week2["first"][student]
    assert float(row["score"]) == expected, f"{student}: {row}"
    text = row["problems"] + " " + row["flags"]
    assert reason in text, f"{student}: expected {reason!r} in {text!r}"
    if student in ("w2-good", "w2-wrong-grads"):
        assert row["review"] == "" and row["flags"] == "", row
    assert {s: r["score"] for s, r in graded_week2["second"].items()} == {
        s: graded_week2["first"][s]["score"] for s in graded_week2["second"]}
