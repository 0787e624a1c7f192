"""Unit tests of the cohort grader's parts: intake, tamper scan, feedback, sandbox, merge (the
witness has tests/test_grader_witness.py)."""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from dlcourse.grader import feedback, intake, sandbox, tamper

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
    ("get_ipython().input_transformers_cleanup.append(f)", "IPython's cell machinery (.input_transformers_cleanup)"),
    ("ip.events.register('pre_run_cell', f)", "calls ip.events.register"),
    ("ip = get_ipython()\nip.run_code = skip", "IPython's cell machinery (.run_code)"),
    ("import signal\nsignal.signal(signal.SIGALRM, h)", "imports signal (low-level access)"),
    ("def f():\n    return sys._getframe(1).f_globals", "frames or function internals (.f_globals)"),
    ("check_close.__globals__['np'] = fake", "frames or function internals (.__globals__)"),
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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux namespaces")
def test_sandbox_probe_answers_and_a_jailed_process_sees_nothing_else(tmp_path):
    why = sandbox.probe()
    if why is not None:
        pytest.skip(f"no isolation on this machine: {why}")

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


# Runs inside the jail: what can the process do? (stdlib only: any Python runs it)
_INSIDE = r"""
import ctypes, json, os, resource, socket, sys
def status():
    return dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
def can_write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
def can_connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False
libc = ctypes.CDLL(None, use_errno=True)
def becomes_root():
    return libc.setuid(0) == 0 and int(status()["CapEff"], 16) != 0
print(json.dumps({
    "pid": os.getpid(), "uid": os.getuid(), "no_new_privs": int(status()["NoNewPrivs"]),
    "cap_eff": int(status()["CapEff"], 16), "cap_bnd": int(status()["CapBnd"], 16), "files": sorted(os.listdir(".")),
    "secret": os.path.exists(sys.argv[1]), "write_work": can_write("new.txt"), "write_tmp": can_write("/tmp/x"),
    "write_usr": can_write("/usr/dlcourse-x"), "write_etc": can_write("/etc/dlcourse-x"),
    "net": can_connect(int(sys.argv[2])), "mount": libc.mount(b"x", b"/tmp", b"tmpfs", 0, None) == 0,
    "setuid": becomes_root(),
    "rlimit_as_mb": resource.getrlimit(resource.RLIMIT_AS)[0] >> 20,
}))
"""

# Runs as the unprivileged user: loads sandbox.py by path (no numpy needed), probes, runs _INSIDE.
_OUTSIDE = r"""
import dataclasses, importlib.util, json, sys
base, port, inside = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("sandbox", base + "/pkg/grader/sandbox.py")
sb = importlib.util.module_from_spec(spec)
sys.modules["sandbox"] = sb
spec.loader.exec_module(sb)
why = sb.probe()
if why:
    print(json.dumps({"probe": why}))
    sys.exit()
limits = dict(dataclasses.asdict(sb.Limits()), memory_mb=700)
jail = sb.Spec(workdir=base + "/work", source=base + "/src", runtime=base + "/run", limits=limits)
cmd = sb.jail_command(jail, [sys.executable, "-c", inside, base + "/secret.txt", port])
import subprocess
proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
print(proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 else json.dumps({"failed": proc.stderr}))
"""


def _python_as(user: str) -> list[str] | None:
    """The argv prefix that runs a Python as ``user`` ("root" or "unprivileged"), or None if there is none."""
    root = os.geteuid() == 0
    if user == "root" or not root:
        return [sys.executable] if (user == "root") == root else None
    if not shutil.which("setpriv"):
        return None
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", "PATH=/usr/bin:/bin"]
    for python in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        runs = os.path.exists(python) and subprocess.run([*nobody, python, "-c", "pass"], capture_output=True)
        if runs and runs.returncode == 0:
            return [*nobody, python]
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux namespaces")
@pytest.mark.parametrize("user", ["root", "unprivileged"])
def test_sandbox_leaves_student_code_no_capability_no_network_no_host_files(user):
    """Both ways into the jail: as root (the kernel becomes nobody) and as an ordinary user
    (a user namespace, where uid 0 has no capability left). The jail's launcher needs only the
    standard library, so the unprivileged run may use any Python (the system's, when root's
    virtual environment lies in a home folder other users cannot enter)."""
    python = _python_as(user)
    if python is None:
        pytest.skip(f"no Python that runs as {user} here")
    base = Path(tempfile.mkdtemp(prefix="dlcourse-jail-test-"))
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        (base / "pkg" / "grader").mkdir(parents=True)
        shutil.copy2(Path(sandbox.__file__), base / "pkg" / "grader" / "sandbox.py")
        (base / "src").mkdir()
        (base / "src" / "mine.txt").write_text("mine")
        (base / "run").mkdir()
        (base / "secret.txt").write_text("the gradebook")
        for path in [base, *base.rglob("*")]:
            path.chmod(0o777 if path.name == "run" else 0o755 if path.is_dir() else 0o644)
        port = listener.getsockname()[1]
        proc = subprocess.run([*python, "-c", _OUTSIDE, str(base), str(port), _INSIDE], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        seen = json.loads(proc.stdout.strip().splitlines()[-1])
        if user == "unprivileged" and "unshare" in seen.get("probe", "") and "not permitted" in seen["probe"]:
            pytest.skip(f"unprivileged user namespaces are disabled here: {seen['probe']}")
        assert seen == {
            "pid": 2, "uid": sandbox.NOBODY if user == "root" else 0, "cap_eff": 0, "cap_bnd": 0,
            "no_new_privs": 1, "files": ["mine.txt"], "secret": False, "write_work": True, "write_tmp": True,
            "write_usr": False, "write_etc": False, "net": False, "mount": False, "setuid": False,
            "rlimit_as_mb": 700,
        }, seen
        listener.settimeout(0)
        with pytest.raises(BlockingIOError):  # the jail's connection attempt never reached the host
            listener.accept()
        assert not (base / "src" / "new.txt").exists()
    finally:
        listener.close()
        shutil.rmtree(base, ignore_errors=True)


def test_sandbox_kills_on_memory_and_file_limits(tmp_path):
    if sandbox.probe() is not None:
        pytest.skip("no isolation on this machine")

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
