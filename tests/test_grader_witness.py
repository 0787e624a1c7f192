"""The grader's witness (dlcourse/grader/witness.py) in real kernels, through GuardedExecute,
without an nbgrader course: verdicts, undone hooks, refused operations, forged and missing
records, the environment. The corpus (test_grader_corpus.py) runs the same machinery jailed, on
one submission per hook point."""

from __future__ import annotations

import nbformat
import pytest

from dlcourse.grader import execute, sandbox, witness
from dlcourse.grader.execute import GuardedExecute, notebook_imports

SETUP = "import numpy as np\nfrom dlcourse import check_close\n"


def _test(source: str, gid: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "locked": True, "solution": False, "grade_id": gid, "points": 1}
    return cell


def _run(tmp_path, monkeypatch, cells: list) -> tuple[nbformat.NotebookNode, dict]:
    """Execute a notebook (set-up cell, then ``cells``: code strings or test cells) under the witness."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP)] + [
        c if isinstance(c, nbformat.NotebookNode) else nbformat.v4.new_code_cell(c) for c in cells]
    monkeypatch.setattr(GuardedExecute, "_helper_imports", lambda self, nb, resources: notebook_imports(nb))
    ge = GuardedExecute(isolation="off", timeout=30, notebook_timeout=120, kernel_name="python3")
    nb, _ = ge.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    return nb, ge._report


def _errors(cell) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]


def test_the_witness_runs_each_test_and_undoes_what_the_notebook_hooked(tmp_path, monkeypatch):
    nb, report = _run(tmp_path, monkeypatch, [
        "def f(x):\n    return x + 1",
        _test("assert f(1) == 2\nprint('passed')", "t-pass"),                     # 2
        _test("assert f(1) == 3, 'f(1) is not 3'", "t-fail"),                     # 3
        # every later cell rewritten to `pass`, errors swallowed, the helper rebound
        "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n"
        "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n"
        "check_close = lambda *a, **k: None",
        _test("check_close(f(1), 3.0, 'f(1)')", "t-hooked"),                      # 5
        # a flood of patches: the witness's record stays short enough for its socket
        "for name in sorted(n for n in dir(np) if callable(getattr(np, n)))[:300]:\n"
        "    setattr(np, name, lambda *a, **k: True)",                            # 6
        _test("assert f(1) == 2", "t-after-flood"),                               # 7
        # a function that patches numpy while the test calls it
        "def g(x):\n    import numpy\n    numpy.allclose = lambda *a, **k: True\n    return x",
        _test("assert np.allclose(g(1.0), 5.0)", "t-patched-during"),             # 9
        # tracing while a test runs could skip its lines: refused
        "def h():\n    import sys\n    sys.settrace(lambda *a: None)\n    return 1",
        _test("assert h() == 1", "t-trace"),                                      # 11
        "import gc\ngc.get_objects()",                                            # 12
        # a test's last expression is shown (nbgrader reads it as partial credit), even after
        # the notebook replaced the display hook
        "import sys\nsys.displayhook = lambda value: print('1.0')",
        _test("half = f(0) / 2\nhalf", "t-partial"),                             # 14
    ])
    cells = nb.cells
    assert _errors(cells[2]) == [] and "passed" in cells[2].outputs[0]["text"]
    assert _errors(cells[3]) == ["AssertionError: f(1) is not 3"]
    # the hooks were undone: the test ran, and the genuine check_close failed it
    assert any(e.startswith("AssertionError: f(1)") for e in _errors(cells[5])), _errors(cells[5])
    assert _errors(cells[7]) == [], _errors(cells[7])
    assert any("GraderError: the test's helpers were changed while it ran" in e and "numpy.allclose" in e
               for e in _errors(cells[9])), _errors(cells[9])
    refused = "RuntimeError: the grader does not allow sys.settrace"
    assert any(refused in e for e in _errors(cells[11])), _errors(cells[11])
    assert any("gc.get_objects" in e for e in _errors(cells[12])), _errors(cells[12])
    results = [o for o in cells[14].outputs if o.output_type == "execute_result"]
    assert _errors(cells[14]) == [] and [r.data["text/plain"] for r in results] == ["0.5"], cells[14].outputs
    undone = " | ".join(report["tampered"])
    assert "input_transformers_cleanup: removed <lambda>" in undone and "custom_exceptions" in undone, undone
    assert "numpy.abs (replaced by <lambda>" in undone and " more" in undone, undone
    notes = " | ".join(report["witness"])
    assert "rebound the test helper 'check_close'" in notes, notes
    assert "sys.settrace while a test runs (refused)" in notes and "gc.get_objects (refused)" in notes, notes


def _on_the_witness_socket(action: str) -> str:
    """Learner code that finds the witness's socket among the kernel's file descriptors (``fd``,
    ``s``) and does ``action`` with it."""
    return ("import os, socket\n"
            "for fd in map(int, os.listdir('/proc/self/fd')):\n"
            "    try:\n"
            "        s = socket.socket(fileno=os.dup(fd))\n"
            "        if s.family == socket.AF_UNIX and s.getpeername().endswith('witness.sock'):\n"
            f"            {action}\n"
            "        s.detach()\n"
            "    except OSError:\n"
            "        pass\n")


def test_a_test_the_witness_never_saw_or_a_forged_record_scores_zero(tmp_path, monkeypatch):
    forge = _on_the_witness_socket("s.sendall(b'00ff ((\"seq\", 5), (\"kind\", \"run\"), (\"status\", \"ok\"))\\n')")
    nb, report = _run(tmp_path, monkeypatch, [
        # a function that, called by the test, writes a record of its own on the witness's channel
        "def f(x):\n" + "".join("    " + line + "\n" for line in forge.splitlines()) + "    return x",
        _test("assert f(1) == 1", "t-forged"),                                    # 2
        # a kernel that answers every request without running it
        "k = get_ipython().kernel\n"
        "async def do_execute(*a, **kw):\n"
        "    return {'status': 'ok', 'execution_count': 1, 'user_expressions': {}, 'payload': []}\n"
        "k.do_execute = do_execute",
        _test("assert f(1) == 1", "t-skipped"),                                   # 4
    ])
    assert any("did not sign" in e for e in _errors(nb.cells[2])), _errors(nb.cells[2])
    assert any("the test did not reach the grader's witness" in e for e in _errors(nb.cells[4])), _errors(nb.cells[4])
    notes = " | ".join(report["witness"])
    assert "t-forged: not confirmed" in notes and "t-skipped: not confirmed" in notes, notes


def test_a_swapped_witness_channel_stops_the_kernel(tmp_path, monkeypatch):
    swap = _on_the_witness_socket("os.dup2(os.open(os.devnull, os.O_WRONLY), fd)")
    nb, report = _run(tmp_path, monkeypatch, [swap, _test("assert 1 == 1", "t-after-swap")])
    assert _errors(nb.cells[2]), "a test after the channel was swapped must not pass"
    assert any("witness" in p and "tampered" in p for p in report["problems"]), report["problems"]


def test_the_kernel_sees_only_allowlisted_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_API_TOKEN", "token-8c2e-not-for-students")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb, _ = _run(tmp_path, monkeypatch, ["import os\nprint(sorted(os.environ))"])
    printed = nb.cells[1].outputs[0]["text"]
    assert "OMP_NUM_THREADS" in printed and "LMS_API_TOKEN" not in printed


def test_allowed_env_keeps_what_notebooks_need_and_drops_the_rest():
    env = {"PATH": "/bin", "HOME": "/root", "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg", "NBGRADER_EXECUTION": "autograde",
           "OPENBLAS_NUM_THREADS": "1", "GITHUB_TOKEN": "x", "AWS_SECRET_ACCESS_KEY": "y", "SSH_AUTH_SOCK": "/s"}
    assert sandbox.allowed_env(env) == {k: env[k] for k in ("PATH", "HOME", "LC_ALL", "MPLBACKEND",
                                                            "NBGRADER_EXECUTION", "OPENBLAS_NUM_THREADS")}


def test_notebook_imports_reads_the_helpers_from_plain_cells():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nimport numpy as np\nimport os.path\n"
                                          "from dlcourse import check_close, todo as t\nfrom . import x\n"
                                          "from m import *\nif True:\n    import torch.nn as nn"),
                _test("import scipy", "t"), nbformat.v4.new_code_cell("import pandas")]
    nb.cells[2].metadata["nbgrader"] = {"solution": True, "grade_id": "s"}
    assert set(notebook_imports(nb)) == {("np", "numpy", ""), ("os", "os", ""), ("t", "dlcourse", "todo"),
                                         ("check_close", "dlcourse", "check_close"), ("nn", "torch.nn", "")}


class _Channel:
    def __init__(self, records: list[dict], problems: tuple[str, ...] = ()) -> None:
        self.records, self.problems = records, list(problems)

    def read(self, wait: float = 0.0) -> list[dict]:
        out, self.records = self.records, []
        return out


@pytest.mark.parametrize("records, problems, outputs, verdict", [
    ([{"kind": "run", "token": "T", "sha256": "SRC", "status": "ok"}], (), [], None),
    ([{"kind": "run", "token": "T", "sha256": "SRC", "status": "raised", "ename": "AssertionError"}], (),
     [{"output_type": "error", "ename": "AssertionError", "evalue": "x", "traceback": []}], None),
    ([{"kind": "run", "token": "T", "sha256": "SRC", "status": "raised", "ename": "AssertionError"}], (), [],
     "AssertionError: the test raised this error; the notebook kept it from being shown"),
    ([], (), [], "did not reach the grader's witness"),
    ([{"kind": "run", "token": "T", "sha256": "SRC", "status": "ok"}] * 2, (), [], "reported 2 times"),
    ([{"kind": "run", "token": "T", "sha256": "other", "status": "ok"}], (), [], "is not the test cell's code"),
    ([{"kind": "run", "token": "T", "sha256": "SRC", "status": "ok"}], ("a forged line",), [], "a forged line"),
    ([{"kind": "run", "token": "T", "sha256": "SRC", "status": "tampered", "tampered": ("numpy.allclose",)}], (), [],
     "helpers were changed while it ran: numpy.allclose"),
    ([{"kind": "run", "token": "U", "sha256": "SRC", "status": "ok"}], (), [], "did not reach the grader's witness"),
])
def test_verdicts_from_records(records, problems, outputs, verdict, monkeypatch):
    import hashlib

    source = "assert f(1) == 2"
    digest = hashlib.sha256(source.encode()).hexdigest()
    records = [{**r, "sha256": digest if r["sha256"] == "SRC" else r["sha256"]} for r in records]
    ge = GuardedExecute()
    ge._report = {"tampered": [], "witness": [], "problems": []}
    ge._stopped = None
    ge._channel = _Channel(records)
    ge._channel.problems = []
    cell = _test(source, "t")
    cell.outputs = [nbformat.NotebookNode(o) for o in outputs]
    if problems:  # arrive with the records
        ch = ge._channel
        orig = ch.read

        def read(wait: float = 0.0) -> list[dict]:
            ch.problems.extend(problems)
            return orig(wait)

        ch.read = read
    ge._verify(cell, 3, "T", source)
    errors = _errors(cell)
    if verdict is None:
        assert errors == [f"{o['ename']}: {o['evalue']}" for o in outputs] and ge._report["witness"] == []
    else:
        assert any(verdict in e for e in errors), errors
        assert ge._report["witness"], "a doubtful test is always noted for review"


def test_records_are_signed_with_the_witness_key_and_checked(tmp_path):
    channel = witness.Channel(str(tmp_path))
    import socket
    import threading

    key = b"k" * witness.KEY_BYTES

    def kernel_side() -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(channel.path)
        s.sendall(f"{witness.PROTOCOL} {key.hex()} 123\n".encode())
        good = witness.encode((("seq", 1), ("kind", "run"), ("status", "ok")))
        s.sendall(witness.sign(key, good) + b" " + good + b"\n")
        bad = witness.encode((("seq", 2), ("kind", "run"), ("status", "ok")))
        s.sendall(witness.sign(b"x" * 32, bad) + b" " + bad + b"\n")
        skipped = witness.encode((("seq", 4), ("kind", "alert")))
        s.sendall(witness.sign(key, skipped) + b" " + skipped + b"\n")
        s.close()

    t = threading.Thread(target=kernel_side)
    t.start()
    channel.accept(timeout=10)
    t.join()
    records = channel.read(wait=1.0)
    assert channel.key == key and channel.pid == 123
    assert [r["seq"] for r in records] == [1, 4]
    assert channel.problems == ["output on the witness channel that the witness did not sign",
                                "witness records out of sequence (1 then 4)"]
    channel.close()


def test_the_exit_status_of_a_tampered_witness_is_named():
    ge = GuardedExecute()
    ge._exit_status = lambda: witness.EXIT_TAMPERED
    assert "witness" in ge._death_reason(RuntimeError("dead")) and "tampered" in ge._death_reason(RuntimeError("x"))
    assert execute.witness is witness
