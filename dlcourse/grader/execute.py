"""nbgrader's Execute step, hardened: a jailed kernel with an allowlisted environment, a witness
that runs every test cell itself and says so on its own channel, a notebook time limit, output
caps, and a grade of zero (never full marks) for every cell that could not run or whose run the
witness did not confirm.

``GuardedExecute`` replaces ``Execute`` in ``c.Autograde.autograde_preprocessors``
(autograder/nbgrader_config.py), so plain ``nbgrader autograde`` and the course's parallel grader
execute submissions the same way. Everything else (restoring test cells, scoring, the gradebook)
stays nbgrader's.

Why "never full marks": nbgrader scores a test cell by its outputs; a cell without an error
scores full points. If a kernel dies at cell 10, cells 11.. would have no outputs at all and
would score full marks. Here each of them gets an error output that says why it did not run.
Likewise a test cell whose run the witness (``dlcourse.grader.witness``) did not confirm, or
that it saw raise while the notebook shows no error, gets an error output.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Any as AnyTrait
from traitlets import Bool, Integer, Unicode

from dlcourse.grader import sandbox, witness

# Reasons recorded in the report, worst first (the summary shows the first that applies).
SIGNAL_REASONS = {
    signal.SIGSEGV: "crash (segmentation fault)",
    signal.SIGBUS: "crash (bus error)",
    signal.SIGABRT: "crash (aborted)",
    signal.SIGFPE: "crash (floating-point exception)",
    signal.SIGILL: "crash (illegal instruction)",
    signal.SIGXCPU: "killed: CPU time limit",
    signal.SIGXFSZ: "killed: file size limit",
}


class JailedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside ``dlcourse.grader.sandbox``.

    The kernel's network namespace has no interfaces, so the kernel talks to the grader over
    Unix sockets (``transport="ipc"``) in a runtime folder both can reach.
    """

    jail = AnyTrait(None, allow_none=True)  # a sandbox.Spec, or None to run without the jail
    witness = AnyTrait(None, allow_none=True)  # a witness.Channel: the kernel starts under the witness

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.witness is not None:
            if len(cmd) < 3 or cmd[1] != "-m":
                raise RuntimeError(f"cannot start this kernel under the witness: {cmd}")
            cmd = self.witness.command(cmd[0]) + cmd[1:]
        return cmd if self.jail is None else sandbox.jail_command(self.jail, cmd)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kw["env"] = sandbox.allowed_env(dict(kw.get("env") or os.environ))
        await super()._async_launch_kernel(kernel_cmd, **kw)

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self.jail is not None:
            os.chmod(self.connection_file, 0o644)  # for the sandbox user, in a folder only it and we reach


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def notebook_imports(nb: NotebookNode) -> tuple[tuple[str, str, str], ...]:
    """(name, module, attribute or "") for each import in the cells that are not exercises or tests.

    These are the test helpers a test cell may use (``np``, ``check_close``, ...): the witness runs
    each test with the genuine objects bound to these names, whatever the notebook rebound them to.
    """
    out: dict[str, tuple[str, str, str]] = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell.get("cell_type") != "code" or meta.get("solution") or meta.get("grade"):
            continue
        lines = ["" if ln.lstrip().startswith(("%", "!")) else ln for ln in cell.get("source", "").splitlines()]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        out[alias.asname] = (alias.asname, alias.name, "")
                    else:
                        top = alias.name.split(".")[0]
                        out[top] = (top, top, "")
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        name = alias.asname or alias.name
                        out[name] = (name, node.module, alias.name)
    return tuple(out.values())


class GuardedExecute(Execute):
    """Execute with isolation, a notebook time limit, output caps and a per-notebook report."""

    isolation = Unicode(
        "required",
        help="'required': refuse to run student code unless the sandbox works; 'off': run it "
        "unconfined (only for trusted notebooks, e.g. the instructor's own tests).",
    ).tag(config=True)
    notebook_timeout = Integer(600, help="Seconds for the whole notebook, all cells together.").tag(config=True)
    max_output_bytes = Integer(2_000_000, help="Output kept per cell; the rest is dropped.").tag(config=True)
    memory_mb = Integer(sandbox.Limits.memory_mb, help="Address-space limit of the kernel (MB).").tag(config=True)
    cpu_seconds = Integer(sandbox.Limits.cpu_seconds).tag(config=True)
    processes = Integer(sandbox.Limits.processes).tag(config=True)
    file_mb = Integer(sandbox.Limits.file_mb).tag(config=True)
    disk_mb = Integer(sandbox.Limits.disk_mb).tag(config=True)
    report_directory = Unicode("", help="Where to write one JSON report per executed notebook.").tag(config=True)
    check_isolation = Bool(True, help="Probe the sandbox once per process before the first kernel.").tag(config=True)
    witness_timeout = Integer(60, help="Seconds to wait for the kernel's witness to connect.").tag(config=True)

    _probed: str | None | bool = False  # class-wide: False = not probed yet
    _home_seed: str | None = None  # class-wide: a warmed HOME for the jailed kernels (see _seed_home)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", JailedKernelManager)
        super().__init__(*args, **kwargs)

    # -- set-up -------------------------------------------------------------------------------
    def _limits(self) -> dict[str, int]:
        return {
            "memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds, "processes": self.processes,
            "file_mb": self.file_mb, "disk_mb": self.disk_mb, "open_files": sandbox.Limits.open_files,
        }

    def _require_isolation(self) -> bool:
        if self.isolation == "off" or os.environ.get("DLCOURSE_NO_ISOLATION") == "1":
            return False
        if self.isolation != "required":
            raise ValueError(f"GuardedExecute.isolation must be 'required' or 'off', not {self.isolation!r}")
        if GuardedExecute._probed is False:
            GuardedExecute._probed = sandbox.probe() if self.check_isolation else None
        if GuardedExecute._probed:
            raise RuntimeError(
                f"Refusing to run student code without isolation: {GuardedExecute._probed}. Grade as root "
                "or where unprivileged user namespaces are allowed, or pass --no-isolation (environment "
                "DLCOURSE_NO_ISOLATION=1) to grade trusted notebooks unconfined."
            )
        return True

    @classmethod
    def _seed_home(cls) -> str:
        """A HOME with matplotlib's font cache built, once per process, copied into every jail: a
        jail's HOME starts empty, and each kernel would otherwise rebuild the cache (~0.1 s)."""
        if cls._home_seed is None:
            import atexit
            import subprocess
            import sys

            seed = tempfile.mkdtemp(prefix="dlcourse-home-")
            os.chmod(seed, 0o755)
            env = dict(os.environ, MPLCONFIGDIR=os.path.join(seed, "matplotlib"))
            try:  # without matplotlib (or if this fails) the seed stays empty: only slower
                subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                               capture_output=True, timeout=120)
            except (OSError, subprocess.TimeoutExpired):
                pass
            atexit.register(shutil.rmtree, seed, True)
            cls._home_seed = seed
        return cls._home_seed

    def create_kernel_manager(self) -> Any:
        km = super().create_kernel_manager()
        km.witness = self._channel
        if self._jail is not None:
            km.jail = self._jail
            km.transport = "ipc"
            km.ip = os.path.join(self._jail.runtime, "kernel")
            km.connection_file = os.path.join(self._jail.runtime, "kernel.json")
        return km

    # -- execution ----------------------------------------------------------------------------
    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> tuple[NotebookNode, Any]:
        resources = resources if resources is not None else {}
        path = resources.get("metadata", {}).get("path") or os.getcwd()
        self._report: dict[str, Any] = {
            "student": resources.get("nbgrader", {}).get("student"),
            "assignment": resources.get("nbgrader", {}).get("assignment"),
            "notebook": resources.get("nbgrader", {}).get("notebook"),
            "isolated": False, "problems": [], "seconds": None, "truncated_cells": [], "tampered": [],
            "witness": [],  # what the witness reported: tests not confirmed, refused operations
        }
        self._stopped: str | None = None
        self._snapshotted = False
        self._start = time.monotonic()
        self._deadline = self._start + self.notebook_timeout
        self._cell_timeout = self.timeout
        self._jail = None
        self._imports = self._helper_imports(nb, resources)
        runtime = tempfile.mkdtemp(prefix="dlcourse-kernel-")
        self._channel: witness.Channel | None = None
        try:
            if os.geteuid() == 0:
                os.chown(runtime, sandbox.NOBODY, sandbox.NOBODY)
            self._channel = witness.Channel(runtime)
            if self._require_isolation():
                self._jail = sandbox.Spec(
                    workdir=os.path.abspath(path), source=os.path.abspath(path), runtime=runtime,
                    limits=self._limits(), home_seed=self._seed_home(),
                )
                self._report["isolated"] = True
            try:
                nb, resources = super().preprocess(nb, resources, km)
            except DeadKernelError as err:  # died before the first cell (start-up, kernel_info)
                self._stop(self._death_reason(err))
                self._fill_unrun(nb)
        finally:
            self.timeout = self._cell_timeout
            self._report["seconds"] = round(time.monotonic() - self._start, 3)
            if self._channel is not None:
                try:
                    self._take(self._channel.read(wait=0.1))  # what came after the last test (alerts)
                finally:
                    self._channel.close()
            shutil.rmtree(runtime, ignore_errors=True)
            self._write_report()
        return nb, resources

    def _helper_imports(self, nb: NotebookNode, resources: Any) -> tuple:
        """The test helpers' imports, read from the instructor's source notebook, never from the
        submission (the learner may have edited its set-up cell); none outside an nbgrader course."""
        info = resources.get("nbgrader", {}) if resources else {}
        if not info.get("assignment") or not info.get("notebook"):
            return ()  # not run by nbgrader (a test harness): the notebook's own bindings are used
        try:
            import nbformat
            from nbgrader.coursedir import CourseDirectory

            coursedir = CourseDirectory(config=self.config)
            folder = coursedir.format_path(coursedir.source_directory, ".", info["assignment"])
            source = nbformat.read(os.path.join(folder, info["notebook"] + ".ipynb"), as_version=4)
            return notebook_imports(source)
        except Exception as err:
            self.log.warning("tests of %s run with the notebook's own helper bindings: the source notebook "
                             "could not be read (%s)", info["notebook"], err)
            return ()

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[NotebookNode, Any]:
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._stopped is None and time.monotonic() >= self._deadline:
            self._stop(f"notebook time limit ({self.notebook_timeout} s) reached")
            self._kill_kernel()
        if self._stopped is not None:
            cell.outputs = [_error("NotRunError", f"not run: {self._stopped}")]
            return cell, resources
        try:
            self._guard(cell)
        except DeadKernelError as err:
            self._stop(self._death_reason(err))
            cell.outputs = [_error("NotRunError", f"not run: {self._stopped}")]
            return cell, resources
        self.timeout = max(1, int(min(self._cell_timeout or 10**9, self._deadline - time.monotonic())))
        self._cell_bytes = 0
        source = cell.source
        token = self._is_test(cell) and secrets.token_hex(16)
        if token:  # the witness runs the test: this line asks it to
            label = str(cell.metadata.get("nbgrader", {}).get("grade_id", index))
            cell.source = f"__import__('sys').audit({witness.RUN!r}, {token!r}, {source!r}, {label!r})"
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError as err:
            self._stop(self._death_reason(err))
            died = _error("DeadKernelError", f"{self._stopped} while running this cell")
            cell.outputs = [*cell.get("outputs", []), died]
            return cell, resources
        except CellTimeoutError:  # interrupted, but the kernel never went idle: it ignores SIGINT
            self._stop(f"the kernel ignored the interrupt after cell {index} timed out")
            self._kill_kernel()
            cell.outputs = [*cell.get("outputs", []), _error("CellTimeoutError", f"timed out after {self.timeout} s")]
            return cell, resources
        finally:
            cell.source = source
        if token:
            self._verify(cell, index, token, source)
        if any(o.get("ename") == "CellTimeoutError" for o in cell.outputs if o.output_type == "error"):
            self._report["problems"].append(f"cell {index}: timeout after {self.timeout} s")
            if not self._responsive():
                self._stop(f"the kernel ignored the interrupt after cell {index} timed out")
                self._kill_kernel()
        return cell, resources

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        """Keep at most ``max_output_bytes`` of a cell's output, so a flood cannot exhaust memory."""
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._cell_bytes = getattr(self, "_cell_bytes", 0) + size
        if self._cell_bytes > self.max_output_bytes:
            if cell_index not in self._report["truncated_cells"]:
                self._report["truncated_cells"].append(cell_index)
                outs.append(NotebookNode(
                    output_type="stream", name="stdout",
                    text=f"\n[grader: output beyond {self.max_output_bytes // 1000} kB dropped]\n",
                ))
            return None
        return super().output(outs, msg, display_id, cell_index)

    @staticmethod
    def _is_test(cell: NotebookNode) -> bool:
        meta = cell.metadata.get("nbgrader", {})
        return cell.cell_type == "code" and bool(meta.get("grade")) and bool(meta.get("locked")) \
            and not meta.get("solution")

    def _guard(self, cell: NotebookNode) -> None:
        """Before the first cell: take the witness's key and its snapshot of the pristine kernel.
        Before a test cell: have it undo what the learner's code changed, and record that."""
        assert self._channel is not None
        if not self._snapshotted:
            self._snapshotted = True
            self._channel.accept(timeout=self.witness_timeout)
            self._silent("", f"__import__('sys').audit({witness.SNAPSHOT!r}, {self._imports!r})")
            records = self._channel.read(wait=5.0)
            if not any(r.get("kind") == "snapshot" for r in records):
                raise RuntimeError(f"the grading kernel's witness took no snapshot ({records or 'no record'})")
            self._take(records)
        elif self._is_test(cell):
            self._silent("", f"__import__('sys').audit({witness.RESTORE!r})")
            self._take(self._channel.read(wait=0.1))

    def _note(self, text: str) -> None:
        if text not in self._report["witness"]:
            self._report["witness"].append(text)

    def _take(self, records: list[dict], token: str | None = None) -> list[dict]:
        """File what the witness reported: undone hooks as tampering, alerts as notes; return the
        records of the test run ``token``."""
        assert self._channel is not None
        runs = []
        for r in records:
            kind = r.get("kind")
            for name in r.get("fixed", ()):
                if name not in self._report["tampered"]:
                    self._report["tampered"].append(name)
            for note in r.get("notes", ()):
                self._note(note)
            if kind == "alert":
                self._note(f"{r.get('event')} ({'refused' if r.get('vetoed') else 'seen'})")
            elif kind == "run" and r.get("token") == token:
                runs.append(r)
            elif kind == "run":
                self._note("a test ran that the grader did not ask for")
            elif kind in ("snapshot-again", "no-snapshot", "bad-run"):
                self._note(f"the notebook called the witness itself ({kind})")
        for problem in self._channel.problems:
            self._note(problem)
        return runs

    def _verify(self, cell: NotebookNode, index: int, token: str, source: str) -> None:
        """Give the test cell the verdict of the witness's record of its run (see the module docstring)."""
        assert self._channel is not None
        bad_before = len(self._channel.problems)
        # The witness writes its record before the kernel replies: it is there once the reply is.
        runs = self._take(self._channel.read(wait=0.1), token)
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", index)
        why = None
        if len(self._channel.problems) > bad_before:
            why = "; ".join(self._channel.problems[bad_before:])
        elif not runs:
            why = "the test did not reach the grader's witness (did a hook of the notebook rewrite or skip it?)"
        elif len(runs) > 1:
            why = f"the test was reported {len(runs)} times"
        elif runs[0].get("sha256") != hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest():
            why = "the code that ran is not the test cell's code"
        outs = cell.get("outputs", [])
        if why is not None:
            self._note(f"test {gid}: not confirmed: {why}")
            msg = f"the grader could not confirm that this test ran as written: {why}"
            cell.outputs = [*outs, _error("GraderError", msg)]
            return
        run = runs[0]
        if run.get("status") == "tampered":
            what = "; ".join(run.get("tampered", ()))[:500]
            self._note(f"test {gid}: changed while it ran: {what}")
            cell.outputs = [*outs, _error("GraderError", f"the test's helpers were changed while it ran: {what}")]
        elif run.get("status") == "raised" and not any(o.get("output_type") == "error" for o in outs):
            ename = run.get("ename") or "Exception"
            self._note(f"test {gid}: its {ename} was hidden from the notebook's output")
            cell.outputs = [*outs, _error(ename, "the test raised this error; the notebook kept it from being shown")]
        elif run.get("status") not in ("ok", "raised"):
            self._note(f"test {gid}: unknown verdict {run.get('status')!r}")
            cell.outputs = [*outs, _error("GraderError", "the grader's witness gave no verdict for this test")]

    def _silent(self, code: str, expression: str | None = None) -> Any:
        """Run ``code`` unseen in the kernel; return ``expression``'s value (a Python literal)."""
        import ast

        assert self.kc is not None
        timeout, self.timeout = self.timeout, 30
        try:
            msg_id = self.kc.execute(code, silent=True, store_history=False,
                                     user_expressions={"r": expression} if expression else None)
            reply = self.wait_for_reply(msg_id)
        finally:
            self.timeout = timeout
        if not reply or not expression:
            return None
        value = reply["content"].get("user_expressions", {}).get("r", {})
        if value.get("status") != "ok":
            return [f"the guard could not run ({value.get('ename', 'no reply')})"]
        try:
            return ast.literal_eval(value["data"]["text/plain"])
        except (KeyError, ValueError, SyntaxError):
            return ["the guard's answer was garbled"]

    # -- helpers ------------------------------------------------------------------------------
    def _stop(self, reason: str) -> None:
        if self._stopped is None:
            self._stopped = reason
            self._report["problems"].append(reason)

    def _fill_unrun(self, nb: NotebookNode) -> None:
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.source.strip() and not cell.get("outputs"):
                cell.outputs = [_error("NotRunError", f"not run: {self._stopped}")]

    def _exit_status(self) -> int | None:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is None:
            return None
        try:
            return proc.wait(timeout=5)
        except Exception:
            return None

    def _death_reason(self, err: BaseException) -> str:
        status = self._exit_status()
        if status is None:
            return f"the kernel died ({err})"
        if status > 128:
            sig = status - 128
            if sig in SIGNAL_REASONS:
                return SIGNAL_REASONS[signal.Signals(sig)]
            if sig == signal.SIGKILL:
                return "killed (out of memory, or by the grader)"
            return f"killed by signal {signal.Signals(sig).name}"
        if status == 70:
            return "the sandbox could not start the kernel"
        if status == witness.EXIT_TAMPERED:
            return "the grader's witness stopped the kernel: its channel to the grader was tampered with"
        return f"the kernel exited with status {status} (os._exit or sys.exit in the kernel)"

    def _responsive(self, grace: int = 10) -> bool:
        """After a timeout: does the kernel answer a trivial request within ``grace`` seconds?"""
        assert self.kc is not None
        timeout, self.timeout = self.timeout, grace
        try:
            return self.wait_for_reply(self.kc.execute("", silent=True, store_history=False)) is not None
        except Exception:
            return False
        finally:
            self.timeout = timeout

    def _kill_kernel(self) -> None:
        if self.km is not None:
            from jupyter_core.utils import run_sync

            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception as err:  # already gone
                self.log.warning("could not shut the kernel down: %s", err)

    def _write_report(self) -> None:
        if not self.report_directory or not self._report.get("student"):
            return
        folder = Path(self.report_directory) / self._report["assignment"] / self._report["student"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self._report['notebook']}.json").write_text(json.dumps(self._report, indent=1) + "\n")


class DropEmptyGradingMetadata(NbGraderPreprocessor):
    """Remove the empty ``nbgrader`` metadata that ``DeduplicateIds`` leaves on a duplicated cell.

    nbgrader 0.9's ``OverwriteCells.add_missing_cells`` reads ``grade_id`` from every cell with an
    ``nbgrader`` key and fails the whole submission on those empty ones (a learner copy-pasted a
    cell). Without the key the copy is an ordinary cell and grading goes on.
    """

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> tuple[NotebookNode, Any]:
        if "nbgrader" in cell.metadata and not cell.metadata["nbgrader"]:
            del cell.metadata["nbgrader"]
        return cell, resources
