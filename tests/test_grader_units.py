"""Unit tests of the cohort grader's parts: intake, tamper scan, feedback, guard, sandbox, merge."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlcourse.grader import feedback, guard, intake, sandbox, tamper

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "notebooks" / "week1_ann_basics" / "01_tensors_and_perceptrons.ipynb"


@pytest.fixture()
def release():
    return nbformat.read(str(RELEASE), as_version=4)


def _write(tmp_path: Path, name: str, nb) -> Path:
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


def test_intake_accepts_the_release_untouched(tmp_path, release):
    check = intake.inspect_notebook(_write(tmp_path, RELEASE.name, release), release)
    assert check.gradable and check.problems == [] and check.flags == []


@pytest.mark.parametrize("raw, reason", [
    (b"", "the file is empty"),
    (b'{"cells": [', "not valid JSON"),
    (b"[1, 2, 3]", "not a notebook"),
    (b"\xff\xfe garbage", "not valid JSON"),
    (b'{"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "corrupt notebook"),
])
def test_intake_reports_corrupt_files(tmp_path, release, raw, reason):
    path = tmp_path / RELEASE.name
    path.write_bytes(raw)
    check = intake.inspect_notebook(path, release)
    assert not check.gradable and reason in check.problems[0]


def test_intake_flags_edits_and_duplicates(tmp_path, release):
    nb = copy.deepcopy(release)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    tests[0].source = "pass"
    tests[1].metadata["nbgrader"]["points"] = 99
    nb.cells.remove(tests[2])
    nb.cells.append(copy.deepcopy(tests[3]))
    flags = " ".join(intake.inspect_notebook(_write(tmp_path, RELEASE.name, nb), release).flags)
    gid = [t.metadata["nbgrader"]["grade_id"] for t in tests]
    assert f"edited locked cells {gid[0]}" in flags
    assert f"edited grading metadata of {gid[1]}" in flags
    assert f"deleted locked cells {gid[2]}" in flags
    assert f"duplicated cell ids {gid[3]}" in flags


def test_intake_names_unexpected_files_and_keeps_going(tmp_path, release):
    folder = tmp_path / "sub"
    folder.mkdir()
    _write(folder, "01_tensors_and_perceptron.ipynb", release)
    (folder / "notes.txt").write_text("hi")
    (folder / "timestamp.txt").write_text("2026-01-01 00:00:00")
    checks = intake.inspect_submission(folder, RELEASE.parent)
    assert "did you mean 01_tensors_and_perceptrons.ipynb" in checks["01_tensors_and_perceptron.ipynb"].problems[0]
    assert "not a notebook" in checks["notes.txt"].problems[0]
    assert "timestamp.txt" not in checks


@pytest.mark.parametrize("code, finding", [
    ("import numpy as np\nnp.allclose = lambda *a, **k: True", "patches np.allclose"),
    ("setattr(np, 'isclose', f)", "calls setattr on np"),
    ("check_close = lambda *a, **k: None", "rebinds the test helper check_close"),
    ("def check_equal(*a):\n    pass", "redefines the test helper check_equal"),
    ("class A:\n    def __eq__(self, o):\n        return True", "defines __eq__"),
    ("import sys\nsys.settrace(f)", "calls sys.settrace"),
    ("import os\nos._exit(0)", "calls os._exit"),
    ("import socket", "imports socket (network)"),
    ("from urllib.request import urlopen", "imports urllib.request (network)"),
    ("import ctypes", "imports ctypes"),
    ("open('../../../gradebook.db')", "names grader files"),
    ("import sys\nsys.modules['numpy'] = fake", "replaces an entry of sys.modules"),
    ("import builtins\nbuiltins.print = p", "patches builtins.print"),
])
def test_tamper_scan_finds(code, finding):
    assert any(finding in f for f in tamper.scan_source(code)), tamper.scan_source(code)


@pytest.mark.parametrize("code", [
    "def softmax(z):\n    e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(-1, keepdims=True)",
    "%matplotlib inline\nx = np.ones(3)",
    "solution = 3  # the word solution alone is fine",
    "this is not python (",
])
def test_tamper_scan_is_quiet_on_ordinary_code(code):
    assert tamper.scan_source(code) == []


def test_tamper_scan_ignores_what_the_release_itself_does(release):
    assert tamper.scan(release) and tamper.scan(release, release) == []


def test_feedback_hides_hidden_tests_and_tracebacks():
    src = "check(f(1))\n### BEGIN HIDDEN TESTS\ncheck(f(-3.5), 7)\n### END HIDDEN TESTS\nprint('ok')"
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "x", "locked": True, "points": 1}
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="f(-3.5): expected 7, got 3",
                                           traceback=["\x1b[31m----> 3 check(f(-3.5), 7)", "AssertionError: ..."])]
    out, _ = feedback.HideHiddenTests().preprocess_cell(cell, {}, 0)
    assert "-3.5), 7" not in out.source and out.source.startswith("check(f(1))") and out.source.endswith("print('ok')")
    assert out.outputs[0]["traceback"] == ["AssertionError: f(-3.5): expected 7, got 3"]


def test_guard_restores_patched_functions_and_hooks():
    import dlcourse

    guard.snapshot()
    original = np.allclose
    try:
        np.allclose = lambda *a, **k: True
        dlcourse.check_close = lambda *a, **k: None
        sys.setprofile(lambda *a: None)
        fixed = guard.restore()
        assert {"numpy.allclose", "dlcourse.check_close", "sys.setprofile hook"} <= set(fixed)
        assert np.allclose is original and sys.getprofile() is None
        assert guard.restore() == []
    finally:
        np.allclose = original
        sys.setprofile(None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux namespaces")
def test_sandbox_probe_answers_and_a_jailed_process_sees_nothing_else(tmp_path):
    why = sandbox.probe()
    if why is not None:
        pytest.skip(f"no isolation on this machine: {why}")
    import subprocess

    src = tmp_path / "src"
    src.mkdir()
    (src / "mine.txt").write_text("mine")
    (tmp_path / "secret.txt").write_text("secret")
    run = tmp_path / "run"
    run.mkdir(mode=0o777)
    spec = sandbox.Spec(workdir=str(tmp_path / "work"), source=str(src), runtime=str(run))
    code = ("import os\nprint(sorted(os.listdir('.')), os.path.exists({!r}), os.path.exists({!r}), os.getpid())\n"
            "open('new.txt', 'w').write('x')\n".format(str(tmp_path / "secret.txt"), str(ROOT / "solutions")))
    proc = subprocess.run(sandbox.jail_command(spec, [sys.executable, "-c", code]), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:4] == ["['mine.txt']", "False", "False", "2"]
    assert not (src / "new.txt").exists()  # the student's folder is a copy


def test_sandbox_kills_on_memory_and_file_limits(tmp_path):
    if sandbox.probe() is not None:
        pytest.skip("no isolation on this machine")
    import subprocess

    src = tmp_path / "src"
    src.mkdir()
    run = tmp_path / "run"
    run.mkdir(mode=0o777)
    limits = dict(sandbox.Limits().__dict__, memory_mb=512, file_mb=1)
    spec = sandbox.Spec(workdir=str(tmp_path / "w"), source=str(src), runtime=str(run), limits=limits)
    code = ("try:\n    b = bytearray(1 << 30)\nexcept MemoryError:\n    print('MemoryError')\n"
            "try:\n    open('big', 'wb').write(b'x' * (2 << 20))\nexcept OSError as e:\n    print('EFBIG', e.errno)\n")
    proc = subprocess.run(sandbox.jail_command(spec, [sys.executable, "-c", code]), capture_output=True, text=True,
                          timeout=60)
    assert "MemoryError" in proc.stdout and "EFBIG 27" in proc.stdout, proc.stdout + proc.stderr
