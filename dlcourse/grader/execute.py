"""nbgrader's Execute step, hardened: a jailed kernel, a notebook time limit, output caps, and a
grade of zero (never full marks) for every cell that could not run.

``GuardedExecute`` replaces ``Execute`` in ``c.Autograde.autograde_preprocessors``
(autograder/nbgrader_config.py), so plain ``nbgrader autograde`` and the course's parallel grader
execute submissions the same way. Everything else (restoring test cells, scoring, the gradebook)
stays nbgrader's.

Why "never full marks": nbgrader scores a test cell by its outputs; a cell without an error
scores full points. If a kernel dies at cell 10, cells 11.. would have no outputs at all and
would score full marks. Here each of them gets an error output that says why it did not run.
"""

from __future__ import annotations

import json
import os
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

from dlcourse.grader import sandbox

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

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        return cmd if self.jail is None else sandbox.jail_command(self.jail, cmd)

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self.jail is not None:
            os.chmod(self.connection_file, 0o644)  # for the sandbox user, in a folder only it and we reach


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


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
        }
        self._stopped: str | None = None
        self._snapshotted = False
        self._start = time.monotonic()
        self._deadline = self._start + self.notebook_timeout
        self._cell_timeout = self.timeout
        runtime = None
        self._jail = None
        try:
            if self._require_isolation():
                runtime = tempfile.mkdtemp(prefix="dlcourse-kernel-")
                if os.geteuid() == 0:
                    os.chown(runtime, sandbox.NOBODY, sandbox.NOBODY)
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
            if runtime:
                shutil.rmtree(runtime, ignore_errors=True)
            self._write_report()
        return nb, resources

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

    def _guard(self, cell: NotebookNode) -> None:
        """Before the first cell: snapshot what tests rely on. Before a test cell: restore it and
        record what the learner's code had changed (``dlcourse.grader.guard``)."""
        meta = cell.metadata.get("nbgrader", {})
        if not self._snapshotted:
            self._snapshotted = True
            self._silent("__import__('dlcourse.grader.guard', fromlist=['_']).snapshot()")
        elif meta.get("grade") and meta.get("locked"):
            fixed = self._silent("", "__import__('dlcourse.grader.guard', fromlist=['_']).restore()")
            for name in fixed or []:
                if name not in self._report["tampered"]:
                    self._report["tampered"].append(name)

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
