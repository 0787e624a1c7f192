"""A jail for student code: its own filesystem view, no network, another user, rlimits.

``python -m dlcourse.grader.sandbox SPEC -- COMMAND...`` runs COMMAND (the grading kernel) so that

- it sees a new root built from read-only bind mounts of what Python needs (the system
  directories, the interpreter, the virtual environment, the course package) plus one writable
  folder, the submission's working copy; the gradebook, ``solutions/``, ``submitted/``,
  ``autograded/``, other students' files and the instructor's home are simply not there;
- it has its own network namespace with no interface up (no network, not even the host's
  loopback), its own PID namespace (it cannot see or signal the grader) and a private ``/tmp``;
- it runs as an unprivileged user (``nobody`` when the grader is root; otherwise the grader's own
  user inside a user namespace, with every capability dropped);
- rlimits cap its address space, CPU time, processes, file size and open files; ``/tmp`` and the
  working copy are size-limited tmpfs mounts, so a disk bomb fills a few hundred MB of RAM and
  stops.

Only Linux facilities are used (``unshare(2)``, ``mount(2)``, ``chroot``, ``setrlimit``): no docker,
no setuid helper. ``probe()`` tells whether they work on this machine; the grader refuses to grade
without them unless told to (``--no-isolation``).
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PR_SET_PDEATHSIG = 1

NOBODY = 65534
# The course package (dlcourse/). This file needs nothing but the standard library and runs as a
# script: starting a jail does not import numpy, and any Python 3.9+ can start one.
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What a kernel needs from the host, bound read-only at the same paths (when they exist).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc")
DEVICES = ("null", "zero", "random", "urandom", "full")

# What a grading kernel's environment may hold: what the notebooks need to run, never the
# instructor's own variables (tokens, keys, passwords), which student code could print.
ENV_ALLOWED = frozenset({
    "PATH", "HOME", "TMPDIR", "LANG", "LANGUAGE", "TZ", "TERM", "PYTHONPATH", "PYTHONHASHSEED",
    "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONDONTWRITEBYTECODE", "LD_LIBRARY_PATH",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "CUDA_VISIBLE_DEVICES", "MPLBACKEND", "MPLCONFIGDIR",
    "NBGRADER_EXECUTION", "JUPYTER_PLATFORM_DIRS", "PYDEVD_DISABLE_FILE_VALIDATION", "JPY_PARENT_PID",
    "DLCOURSE_SANDBOX", "DLCOURSE_COLAB_COMPAT",
})
ENV_ALLOWED_PREFIXES = ("LC_",)


def allowed_env(env: dict[str, str]) -> dict[str, str]:
    """The part of ``env`` a grading kernel may see (``ENV_ALLOWED``, locale ``LC_*``)."""
    return {k: v for k, v in env.items() if k in ENV_ALLOWED or k.startswith(ENV_ALLOWED_PREFIXES)}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one notebook's kernel (see autograder/README.md)."""

    memory_mb: int = 2048  # address space of each process (RLIMIT_AS): MemoryError beyond it
    cpu_seconds: int = 900  # CPU time of each process (RLIMIT_CPU): a backstop to the time limits
    processes: int = 64  # processes and threads of the sandbox user (RLIMIT_NPROC)
    file_mb: int = 64  # largest file it may write (RLIMIT_FSIZE)
    disk_mb: int = 256  # size of its writable working copy and of its /tmp (tmpfs)
    open_files: int = 256  # RLIMIT_NOFILE


@dataclass
class Spec:
    """What the jail needs to know: passed as JSON on the command line."""

    workdir: str  # the path the kernel runs in (the submission's folder inside autograded/)
    source: str  # the host folder whose files are copied into the writable working copy
    runtime: str  # a host folder shared with the grader: connection file and IPC sockets
    readonly: list[str] = field(default_factory=list)  # extra host paths bound read-only
    home_seed: str | None = None  # a host folder copied into the jail's /tmp (the kernel's HOME): caches
    limits: dict[str, int] = field(default_factory=lambda: asdict(Limits()))


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return libc


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(libc: Any, src: str | None, dst: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        libc.mount(
            src.encode() if src else None, dst.encode(), fstype.encode() if fstype else None, flags,
            data.encode() if data else None,
        ),
        f"mount {src} on {dst}",
    )


def _bind_readonly(libc: Any, src: str, dst: str) -> None:
    """Bind ``src`` at ``dst`` read-only, keeping the nosuid/nodev/noexec flags it has (a user
    namespace may not clear them)."""
    is_dir = os.path.isdir(src)
    if is_dir:
        os.makedirs(dst, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        Path(dst).touch()
    _mount(libc, src, dst, None, MS_BIND | MS_REC)
    st = os.statvfs(dst)
    keep = 0
    for flag, bit in ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC)):
        if st.f_flag & flag:
            keep |= bit
    _mount(libc, None, dst, None, MS_REMOUNT | MS_BIND | MS_RDONLY | keep)


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _python_paths() -> list[str]:
    """Host folders the kernel's Python needs: the interpreter's prefixes and the course package.

    Only these: ``sys.path`` may start with the current folder, which is the course checkout.
    """
    import importlib.util
    import sysconfig

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths |= {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    # An editable install (the course package in a checkout) is found by a path finder: bind the
    # package folder itself, not the checkout around it, which holds solutions/.
    paths.add(PACKAGE_DIR)
    # ... and the one the kernel's Python will import (the same one, unless two checkouts mix).
    found = importlib.util.find_spec("dlcourse")  # finds without importing (no numpy here)
    if found is not None and found.origin:
        paths.add(os.path.dirname(found.origin))
    paths = {p for p in paths if p and os.path.isdir(p)}
    return sorted(p for p in paths if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in paths))


def _drop_privileges(as_root: bool) -> None:
    """Empty the capability bounding set (nothing executed later can gain a capability: this is
    what makes uid 0 of a user namespace powerless), become ``nobody`` when root, no new privileges."""
    libc = _libc()
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break
    if as_root:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


def _set_limits(limits: dict[str, int]) -> None:
    mb = 1 << 20
    for res, value in (
        (resource.RLIMIT_AS, limits["memory_mb"] * mb),
        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
        (resource.RLIMIT_NPROC, limits["processes"]),
        (resource.RLIMIT_FSIZE, limits["file_mb"] * mb),
        (resource.RLIMIT_NOFILE, limits["open_files"]),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(res, (value, value))


def _build_root(libc: Any, spec: Spec, as_root: bool) -> str:
    """Assemble the jail's filesystem in a fresh tmpfs and return its path."""
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    new_root = "/tmp/.dlcourse-jail-root"  # inside our private mount namespace: nobody else sees it
    os.makedirs(new_root, exist_ok=True)
    _mount(libc, "jail", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    # /tmp first: the binds below may lie under /tmp (a checkout and its .venv in /tmp/ci/...).
    disk = f"size={spec.limits['disk_mb']}m"
    owner = f",uid={NOBODY},gid={NOBODY}" if as_root else ""
    for tmp in ("/tmp", "/dev/shm"):
        os.makedirs(new_root + tmp, exist_ok=True)
        _mount(libc, "tmp", new_root + tmp, "tmpfs", MS_NOSUID | MS_NODEV, f"{disk},mode=1777")
    if spec.home_seed and os.path.isdir(spec.home_seed):
        shutil.copytree(spec.home_seed, new_root + "/tmp", dirs_exist_ok=True, symlinks=False)
        if as_root:
            _chown_tree(new_root + "/tmp")
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            os.symlink(os.readlink(d), new_root + d)
        elif os.path.isdir(d):
            _bind_readonly(libc, d, new_root + d)
    for p in sorted(set(_python_paths()) | set(spec.readonly)):
        if os.path.exists(p) and not os.path.exists(new_root + p):
            _bind_readonly(libc, p, new_root + p)
    os.makedirs(new_root + "/dev", exist_ok=True)
    for dev in DEVICES:
        node = new_root + "/dev/" + dev
        Path(node).touch()
        _mount(libc, "/dev/" + dev, node, None, MS_BIND)
    os.makedirs(new_root + "/proc", exist_ok=True)
    _mount(libc, "proc", new_root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # The working copy: a tmpfs at the submission's path, filled with a copy of its files.
    work = new_root + spec.workdir
    os.makedirs(work, exist_ok=True)
    _mount(libc, "work", work, "tmpfs", MS_NOSUID | MS_NODEV, f"{disk},mode=0755{owner}")
    shutil.copytree(spec.source, work, dirs_exist_ok=True, symlinks=False)
    # The runtime folder (connection file, IPC sockets) is shared with the grader.
    runtime = new_root + spec.runtime
    os.makedirs(runtime, exist_ok=True)
    _mount(libc, spec.runtime, runtime, None, MS_BIND)
    if as_root:
        _chown_tree(work)
    return new_root


def _chown_tree(top: str) -> None:
    """Give ``top`` and everything in it to the sandbox user."""
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            os.lchown(name, NOBODY, NOBODY)


def _handle_signals(child: int) -> None:
    """The jail's outer process and its PID 1 share the kernel's process group, so an interrupt
    sent to the group (what jupyter_client does) reaches the kernel directly: both ignore SIGINT.
    A termination request kills the whole PID namespace at once."""

    def terminate(_signum: int, _frame: Any) -> None:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, terminate)


def _wait_for(pid: int) -> int:
    """Wait for ``pid`` (reaping any other child, as PID 1 must) and return a shell-style status."""
    while True:
        try:
            child, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if child == pid:
            return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def run_jailed(spec: Spec, command: list[str]) -> int:
    """Enter the namespaces, build the jail and run ``command`` in it; return its exit status."""
    libc = _libc()
    as_root = os.geteuid() == 0
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | (0 if as_root else CLONE_NEWUSER)
    _check(libc.unshare(flags), "unshare")
    if not as_root:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
    init = os.fork()  # the first child is PID 1 of the new PID namespace
    if init:
        _handle_signals(init)
        return _wait_for(init)
    try:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        new_root = _build_root(libc, spec, as_root)
        kernel = os.fork()
        if kernel == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.chroot(new_root)
            os.chdir(spec.workdir)
            _set_limits(spec.limits)
            _drop_privileges(as_root)
            # JPY_PARENT_PID: ipykernel would watch its parent, which here is PID 1, and quit at once.
            env = {k: v for k, v in allowed_env(dict(os.environ)).items() if k != "JPY_PARENT_PID"}
            env.update(HOME="/tmp", TMPDIR="/tmp", MPLCONFIGDIR="/tmp/matplotlib", DLCOURSE_SANDBOX="1")
            os.execvpe(command[0], command, env)
        _handle_signals(kernel)
        os._exit(_wait_for(kernel))
    except BaseException as err:  # report and leave: never fall through into the grader's code
        sys.stderr.write(f"dlcourse sandbox: {type(err).__name__}: {err}\n")
        sys.stderr.flush()
        os._exit(70)


def jail_command(spec: Spec, command: list[str]) -> list[str]:
    """The argv that runs ``command`` in the jail described by ``spec``."""
    # -I: the launcher's sys.path gets neither this folder nor PYTHONPATH; it needs only the stdlib.
    return [sys.executable, "-I", os.path.abspath(__file__), json.dumps(asdict(spec)), "--", *command]


def probe(timeout: float = 30) -> str | None:
    """``None`` if the jail works here, else a sentence saying why not."""
    if not sys.platform.startswith("linux"):
        return f"isolation needs Linux namespaces; this is {sys.platform}"
    import socket
    import tempfile

    # A server on the host's loopback that the jailed process must not reach.
    with socket.create_server(("127.0.0.1", 0)) as server, tempfile.TemporaryDirectory(prefix="dlcourse-probe-") as tmp:
        src, run = Path(tmp, "src"), Path(tmp, "run")
        src.mkdir()
        run.mkdir()
        os.chmod(tmp, 0o755)
        os.chmod(run, 0o777)
        (src / "probe.txt").write_text("in")
        Path(tmp, "secret.txt").write_text("the gradebook")
        script = (
            "import os, socket\n"
            "assert open('probe.txt').read() == 'in'\n"
            f"try:\n    socket.create_connection(('127.0.0.1', {server.getsockname()[1]}), timeout=2); print('NET')\n"
            "except OSError:\n    pass\n"
            "status = dict(ln.split(':', 1) for ln in open('/proc/self/status') if ':' in ln)\n"
            "if int(status['CapEff'], 16) or int(status['CapBnd'], 16):\n    print('CAPS', status['CapEff'].strip())\n"
            f"print('UID', os.getuid(), 'SOLVED' if os.path.exists({str(Path(tmp, 'secret.txt'))!r}) else 'HIDDEN')\n"
        )
        spec = Spec(workdir=str(Path(tmp, "work")), source=str(src), runtime=str(run))
        try:
            proc = subprocess.run(
                jail_command(spec, [sys.executable, "-c", script]), capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return "the isolation probe did not finish"
        out = proc.stdout + proc.stderr
        if proc.returncode != 0:
            last = out.strip().splitlines()[-1] if out.strip() else f"exit status {proc.returncode}"
            return f"could not create the sandbox ({last})"
        if "NET" in out or "SOLVED" in out or "CAPS" in out:
            return f"the sandbox leaked: {out.strip()}"
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: python -m dlcourse.grader.sandbox SPEC_JSON -- COMMAND [ARGS...]\n")
        return 2
    spec = Spec(**json.loads(argv[0]))
    return run_jailed(spec, argv[2:])


if __name__ == "__main__":
    sys.exit(main())
