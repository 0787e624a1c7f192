"""The grader's witness inside the grading kernel: it runs each test cell itself, as written, and
says so on a channel of its own; before each test it undoes what earlier cells did to the
machinery that transforms, compiles, runs, reports and captures cells.

Why: a test cell "passes" in nbgrader when it runs without an error. Code in an earlier cell can
register an IPython input transformer that rewrites every later cell to ``pass``, or a custom
exception handler that swallows the test's ``AssertionError``: the untouched release then scores
full marks. Undoing known hooks is not enough on its own (there are many, and more in every
IPython release), so the verdict does not rest on what the kernel reports over Jupyter's
channels at all.

How
---
The kernel starts as ``python witness.py SOCKET -m ipykernel_launcher -f ...``. Before any other
code, this file connects to a Unix socket that the grader listens on, sends it a fresh random
key, and installs a Python audit hook (PEP 578): it cannot be removed, it runs before audited
operations take effect, and only it holds the key (``sys.addaudithook`` is refused afterwards, so
no later hook sees its events). The grader (``dlcourse.grader.execute.GuardedExecute``) then

1. before the first cell asks for a snapshot of the pristine kernel
   (``sys.audit("dlcourse.witness.snapshot", imports)`` in a silent request);
2. before each test cell asks for a restore (``"dlcourse.witness.restore"``);
3. sends, in place of the test cell's source, one line asking the witness to run it
   (``sys.audit("dlcourse.witness.run", token, source, label)``). The witness restores once
   more, compiles the source with the interpreter's own ``compile``, runs it with ``exec`` in a
   copy of the notebook's namespace whose test helpers (what the release imports: ``np``,
   ``check_close``, ...) are the genuine objects, checks afterwards that nothing it guards changed
   while the test ran, and writes one record, signed with the key: the token, the SHA-256 of the
   source it ran, and "ok", "raised <exception name>" or "tampered: <what changed>".

The grader counts a test cell only when exactly one valid record for its token and source came,
in sequence. A cell whose request was swallowed (no record), whose record is forged (wrong
signature), duplicated or out of sequence, or whose record says "raised" while the notebook shows
no error (the error was hidden) scores 0, and the submission is flagged.

The records are built from C-level pieces only (``repr`` of exact strings and ints, ``_hashlib``),
so that patched Python modules (``json``, ``hmac``) cannot change what is signed. A learner who
reads the key out of the interpreter (frames, signal handlers) can sign a record, but cannot
suppress the genuine one: the grader sees two records for one test and gives 0. The witness
kills the kernel (exit status ``EXIT_TAMPERED``) if its socket's file descriptor is swapped for
another file.

Hook points undone before each test (IPython 8–9, ipykernel 6–7, CPython 3.10–3.12)
------------------------------------------------------------------------------------
Transforming a cell: ``input_transformers_cleanup``, ``input_transformer_manager.line_transforms``
and ``.token_transformers``, ``input_transformers_post``, ``prefilter_manager`` (transformers,
checkers, handlers), ``ast_transformers``, ``transform_cell`` / ``transform_ast`` overrides.
Compiling: ``shell.compile`` (the caching compiler, its ``ast_parse``/``cache``/``flags``), the
``compile`` and ``exec`` builtins. Executing: ``run_cell``, ``run_cell_async``, ``_run_cell``,
``run_ast_nodes``, ``run_code``, ``should_run_async``, ``loop_runner``, ``autoawait``, the kernel's
``do_execute``, ``execute_request`` and ``shell_handlers``, ``events`` callbacks (``pre_execute``,
``pre_run_cell``, ``post_execute``, ``post_run_cell``), traitlets observers of the shell,
``sys.settrace``/``setprofile`` (and ``threading``'s), import machinery (``sys.meta_path``,
``sys.path_hooks``, ``sys.path_importer_cache``, ``sys.path``, ``sys.modules``), ``gc.callbacks``,
signal handlers and interval timers, torch's global function/dispatch modes and global module
hooks. Reporting an exception: ``custom_exceptions``/``CustomTB`` (``set_custom_exc``),
``showtraceback``, ``_showtraceback``, ``showsyntaxerror``, ``InteractiveTB``/``SyntaxTB``, the
session's ``send``. Capturing output: ``sys.stdout``/``stderr``, ``sys.displayhook``,
``shell.displayhook``, ``display_pub``, ``display_formatter``. Test helpers: every function,
class and module bound in the module dicts of builtins, numpy, torch, the course package and
IPython/ipykernel, and the methods of their classes. Each of these is compared with the
snapshot by identity; what learner code put there (code that does not come from the installed
libraries) is removed and reported; what a library changed is left alone. ``sys.excepthook`` is
not among them: IPython reports cell errors itself.

Limits: a test calls the learner's functions, and code that patches a test helper while it is
being called and puts it back before the test ends is not seen by the check after the test; code
that reaches into the interpreter's memory (``ctypes``) can change anything. The static scan
(``tamper.py``) flags code that imports or names such tools.
"""

from __future__ import annotations

import os
import sys

PROTOCOL = "dlcourse-witness/1"
SNAPSHOT = "dlcourse.witness.snapshot"
RESTORE = "dlcourse.witness.restore"
RUN = "dlcourse.witness.run"
EXIT_TAMPERED = 97  # the kernel's exit status when the witness's channel was tampered with
KEY_BYTES = 32


# ----------------------------------------------------------------------------- the record format
def encode(body: tuple) -> bytes:
    """The text of a record: ``repr`` of a tuple of (name, value) pairs, values str/int/tuples."""
    return repr(body).encode("utf-8", "backslashreplace")


def sign(key: bytes, data: bytes) -> bytes:
    import hmac

    return hmac.new(key, data, "sha256").hexdigest().encode()


def source_digest(source: str) -> str:
    import hashlib

    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


# ----------------------------------------------------------------------------- the kernel side
def _install(sock_path: str) -> None:  # noqa: C901 - one closure on purpose: its state is out of reach
    """Connect to the grader, hand it a fresh key and install the audit hook (before any other code)."""
    import _ast
    import _hashlib
    import _signal
    import _thread
    import builtins
    import gc
    import itertools
    import os
    import signal
    import socket
    import sys
    import types
    from collections import OrderedDict

    # Module globals of this file could be rebound by code that reaches a frame of the hook: the
    # hook only uses names bound in this function (closure cells, which nothing can rebind).
    run_event, restore_event, snapshot_event, exit_tampered = RUN, RESTORE, SNAPSHOT, EXIT_TAMPERED
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(sock_path)
    key = os.urandom(KEY_BYTES)
    sock.sendall(f"{PROTOCOL} {key.hex()} {os.getpid()}\n".encode())
    sock.shutdown(socket.SHUT_RD)

    # Everything the hook calls on its critical path is bound here, before learner code exists:
    # C functions that no later assignment to a module attribute can change.
    sendall, fileno = sock.sendall, sock.fileno()
    fstat, _exit = os.fstat, os._exit
    hmac_digest, sha256 = _hashlib.hmac_digest, _hashlib.openssl_sha256
    getframe, settrace, setprofile = sys._getframe, sys.settrace, sys.setprofile
    gettrace, getprofile = sys.gettrace, sys.getprofile
    get_ident = _thread.get_ident
    real_compile, real_exec, real_import = builtins.compile, builtins.exec, builtins.__import__
    ast_module, ast_interactive, ast_expr, only_ast = _ast.Module, _ast.Interactive, _ast.Expr, _ast.PyCF_ONLY_AST
    getsignal, setsignal = _signal.getsignal, _signal.signal  # C functions, not signal.py's wrappers
    setitimer, getitimer = _signal.setitimer, _signal.getitimer
    emit_lock = _thread.allocate_lock()
    proxy = types.MappingProxyType
    exact = str.__str__
    tname = type.__dict__["__name__"].__get__
    tmodule = type.__dict__["__module__"].__get__
    tdict = type.__dict__["__dict__"].__get__
    obj_dict = object.__getattribute__
    func_code = types.FunctionType.__dict__["__code__"].__get__
    func_qualname = types.FunctionType.__dict__["__qualname__"].__get__
    method_func = types.MethodType.__dict__["__func__"].__get__
    FunctionType, MethodType, ModuleType = types.FunctionType, types.MethodType, types.ModuleType
    frame_code = types.FrameType.__dict__["f_code"].__get__
    frame_back = types.FrameType.__dict__["f_back"].__get__
    ident = (fstat(fileno).st_dev, fstat(fileno).st_ino)
    counter = itertools.count(1)
    inside: set[int] = set()  # threads running the hook (its own events are not judged)
    graveyard: list = []  # what the restore removed: kept alive, so no learner __del__ runs in the hook
    missing = object()
    baseline = None  # set once by the snapshot; a closure cell no learner code can rebind
    trusted_roots: tuple[str, ...] = ()
    itimers = (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)

    def emit(*fields: tuple) -> None:
        """Sign and send one record; die if the channel is no longer the grader's socket."""
        with emit_lock:
            data = repr((("seq", next(counter)), *fields)).encode("utf-8", "backslashreplace")
            st = fstat(fileno)
            if (st.st_dev, st.st_ino) != ident:
                _exit(exit_tampered)
            sendall(hmac_digest(key, data, "sha256").hex().encode() + b" " + data + b"\n")

    def listed(items: list[str], most: int = 40) -> tuple[str, ...]:
        """Findings for a record, kept short: a record must fit the socket's buffer (the grader
        reads it only once the cell is done)."""
        out = tuple(text(x, 300) for x in items[:most])
        return out + ((f"... and {len(items) - most} more",) if len(items) > most else ())

    # -- what learner code defined, told apart from what the installed libraries did ------------
    def is_str(value: object) -> bool:
        return issubclass(type(value), str)  # never isinstance: it may ask the object for __class__

    def text(value: object, limit: int = 200) -> str:
        return exact(value)[:limit] if is_str(value) else "?"

    def trusted_file(filename: object) -> bool:
        return is_str(filename) and exact(filename).startswith(trusted_roots)

    def trusted_module(name: object) -> bool:
        if not is_str(name):
            return False
        name = exact(name)
        if name in sys.builtin_module_names or name.startswith("_frozen_importlib"):
            return True
        mod = baseline_modules.get(name) if baseline is not None else None
        mod = mod if mod is not None else sys.modules.get(name)
        if type(mod) is not ModuleType:
            return False
        return trusted_file(obj_dict(mod, "__dict__").get("__file__"))

    def trusted(value: object) -> bool:
        """Does ``value`` (a callback, transformer, replacement) come from installed code?"""
        t = type(value)
        if t is FunctionType:
            return trusted_file(func_code(value).co_filename)
        if t is MethodType:
            return trusted(method_func(value))
        if issubclass(t, type):
            return trusted_module(tmodule(value))
        if t is ModuleType:
            return trusted_file(obj_dict(value, "__dict__").get("__file__")) or trusted_module(
                obj_dict(value, "__dict__").get("__name__"))
        if t in (types.BuiltinFunctionType, types.BuiltinMethodType, types.MethodWrapperType):
            return False  # a C function used as a hook is a learner's trick (e.g. str.lower as a transformer)
        return trusted_module(tmodule(t))

    def describe(value: object) -> str:
        t = type(value)
        if t is FunctionType:
            code = func_code(value)
            where = "defined in the notebook" if not trusted_file(code.co_filename) else text(code.co_filename, 80)
            return f"{text(func_qualname(value), 60)} ({where})"
        if t is MethodType:
            return describe(method_func(value))
        if issubclass(t, type):
            return f"class {text(tname(value), 60)}"
        if t is tuple:
            return "(" + ", ".join(describe(x) if not issubclass(type(x), type) else text(tname(x), 40)
                                   for x in value[:5]) + ")"
        return f"a {text(tname(t), 60)} object"

    # -- the snapshot ---------------------------------------------------------------------------
    baseline_modules: dict[str, ModuleType] = {}

    def shell_and_kernel() -> tuple:
        from IPython.core.getipython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise RuntimeError("the witness found no IPython shell")
        return shell, getattr(shell, "kernel", None)

    torch_parts = ("torch.nn", "torch.optim", "torch.autograd", "torch._tensor", "torch.functional", "torch.linalg",
                   "torch.testing", "torch.utils.data", "torch.overrides", "torch.random", "torch.serialization")

    def guarded_module(name: str) -> bool:
        """What tests and the cell machinery rely on (not all of torch: most of its 800 modules never
        run in a test, and comparing them all would cost milliseconds before every test)."""
        return name.partition(".")[0] in ("numpy", "dlcourse", "math", "builtins", "operator", "functools", "itertools",
                                          "collections", "copy", "random") \
            or name == "torch" or name.startswith(torch_parts) \
            or name.startswith(("IPython.core", "ipykernel")) or name == "jupyter_client.session"

    def class_guarded(mod_name: str) -> bool:
        return mod_name.startswith(("dlcourse", "numpy", "torch._tensor", "torch.nn", "torch.optim", "torch.autograd",
                                    "torch.utils.data", "torch.testing", "torch.functional", "IPython.core",
                                    "ipykernel", "jupyter_client.session"))

    def take_snapshot(imports: object) -> tuple[int, int, int, list[str]]:
        nonlocal baseline, trusted_roots
        import sysconfig

        roots = {package_dir}
        for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
            for name in ("stdlib", "platstdlib", "purelib", "platlib"):
                path = sysconfig.get_path(name, vars={"base": prefix, "platbase": prefix, "installed_base": prefix})
                if path:
                    roots.add(os.path.realpath(path))
                    roots.add(path)
        trusted_roots = tuple(sorted(r.rstrip(os.sep) + os.sep for r in roots if r))

        problems: list[str] = []
        helpers: dict[str, object] = {}
        for entry in imports if type(imports) is tuple else ():
            if type(entry) is not tuple or len(entry) != 3:
                continue
            name, module, attr = (exact(x) if is_str(x) else None for x in entry)
            if not name or not module:
                continue
            try:
                real_import(module)
                obj = sys.modules[module]
                if attr and not hasattr(obj, attr):
                    real_import(f"{module}.{attr}")
                helpers[name] = getattr(obj, attr) if attr else obj
            except Exception as err:  # the notebook would fail the same way; tests just see its own binding
                problems.append(f"{module}{'.' + attr if attr else ''}: {type(err).__name__}")
        for name in ("numpy", "torch", "dlcourse", "dlcourse.checks"):
            try:
                real_import(name)
            except Exception:
                pass

        shell, kernel = shell_and_kernel()
        modules = {n: m for n, m in list(sys.modules.items()) if type(m) is ModuleType and guarded_module(n)}
        baseline_modules.update(modules)
        module_dicts = tuple((m, proxy(dict(obj_dict(m, "__dict__")))) for m in modules.values())
        classes = []
        for name, mod in modules.items():
            if not class_guarded(name):
                continue
            for value in list(obj_dict(mod, "__dict__").values()):
                if issubclass(type(value), type) and tmodule(value) == name:
                    classes.append(value)
        key_objects = [shell, kernel, getattr(kernel, "session", None), shell.displayhook, shell.display_pub,
                       shell.display_formatter, shell.compile, shell.input_transformer_manager,
                       shell.prefilter_manager, shell.events, shell.builtin_trap, shell.InteractiveTB,
                       shell.SyntaxTB, sys.stdout, sys.stderr]
        key_objects = [o for o in key_objects if o is not None]
        for obj in key_objects:
            for cls in type(obj).__mro__:
                if cls is not object and issubclass(type(cls), type) and not has(classes, cls):
                    classes.append(cls)
        class_dicts = tuple((c, proxy(dict(tdict(c)))) for c in classes)
        instances = tuple((o, type(o), proxy(dict(obj_dict(o, "__dict__")))) for o in key_objects
                          if hasattr(o, "__dict__"))
        baseline = proxy({
            "shell": shell, "kernel": kernel, "user_ns": shell.user_ns, "helpers": proxy(helpers),
            "modules": module_dicts, "classes": class_dicts, "instances": instances,
            "containers": tuple(containers(shell, kernel)),
            "singles": tuple(singles(shell, kernel)),
            "signals": tuple((s, getsignal(s)) for s in signal.valid_signals() if getsignal(s) is not None),
            "sys_modules": proxy(dict(modules)),
            "torch_modes": torch_modes(),
            "torch_impls": torch_impls(),
            "asyncio": asyncio_hooks(),
            "genuine": tuple(key_objects),
            # names IPython itself puts into builtins and takes out again around each cell
            "builtins_managed": frozenset(getattr(shell.builtin_trap, "auto_builtins", {}))
            | {"__IPYTHON__", "display"},
        })
        return len(module_dicts), len(class_dicts), len(helpers), problems

    def containers(shell: object, kernel: object) -> list:
        """(label, live container, its contents as they were) for every list/dict of hooks."""
        out = []
        itm = shell.input_transformer_manager
        pm = shell.prefilter_manager
        lists = [("IPython input_transformers_cleanup", itm.cleanup_transforms),
                 ("IPython input_transformer_manager.line_transforms", itm.line_transforms),
                 ("IPython input_transformer_manager.token_transformers", itm.token_transformers),
                 ("IPython input_transformers_post", shell.input_transformers_post),
                 ("IPython ast_transformers", shell.ast_transformers),
                 ("IPython prefilter transformers", getattr(pm, "_transformers", [])),
                 ("IPython prefilter checkers", getattr(pm, "_checkers", [])),
                 ("sys.meta_path", sys.meta_path), ("sys.path_hooks", sys.path_hooks), ("sys.path", sys.path),
                 ("gc.callbacks", gc.callbacks)]
        for event, callbacks in shell.events.callbacks.items():
            lists.append((f"IPython events[{event!r}]", callbacks))
        for label, lst in lists:
            if type(lst) is list:
                out.append((label, lst, tuple(lst)))
        dicts = [("IPython events", shell.events.callbacks),
                 ("IPython prefilter handlers", getattr(pm, "_handlers", {})),
                 ("IPython shell._trait_notifiers", obj_dict(shell, "__dict__").get("_trait_notifiers", {})),
                 ("sys.path_importer_cache", sys.path_importer_cache)]
        if kernel is not None:
            dicts += [("kernel.shell_handlers", kernel.shell_handlers),
                      ("kernel.control_handlers", getattr(kernel, "control_handlers", {}))]
        nn_module = sys.modules.get("torch.nn.modules.module")
        if nn_module is not None:
            for name, value in obj_dict(nn_module, "__dict__").items():
                if name.startswith("_global_") and type(value) in (dict, OrderedDict):
                    dicts.append((f"torch.nn.modules.module.{name}", value))
        for label, d in dicts:
            if label == "IPython shell._trait_notifiers" and type(d) is dict:
                nested = {name: proxy({typ: tuple(lst) for typ, lst in per_type.items() if type(lst) is list})
                          for name, per_type in d.items() if type(per_type) is dict}
                out.append((label, d, proxy(nested)))
            elif type(d) in (dict, OrderedDict):
                out.append((label, d, proxy(dict(d))))
        return out

    def singles(shell: object, kernel: object) -> list:
        """(label, owner's dict, key, value) for hook points that hold one object."""
        out = []
        sys_dict = obj_dict(sys, "__dict__")
        for name in ("displayhook", "unraisablehook", "breakpointhook", "stdout", "stderr", "stdin", "modules",
                     "meta_path", "path_hooks", "path", "path_importer_cache"):
            out.append((f"sys.{name}", sys_dict, name, sys_dict.get(name, missing)))
        threading = sys.modules.get("threading")
        if threading is not None:
            tdict_ = obj_dict(threading, "__dict__")
            for name in ("_trace_hook", "_profile_hook", "excepthook"):
                out.append((f"threading.{name}", tdict_, name, tdict_.get(name, missing)))
        if kernel is not None:
            ktraits = obj_dict(kernel, "__dict__").get("_trait_values", {})
            if "eventloop" in ktraits:
                out.append(("kernel.eventloop", ktraits, "eventloop", ktraits["eventloop"]))
        traits = obj_dict(shell, "__dict__").get("_trait_values", {})
        shell_dict = obj_dict(shell, "__dict__")
        out.append(("IPython shell.custom_exceptions", shell_dict, "custom_exceptions",
                    shell_dict.get("custom_exceptions", missing)))
        for name in ("input_transformers_post", "ast_transformers", "loop_runner", "autoawait", "displayhook_class",
                     "display_pub_class", "user_ns", "user_module", "display_formatter", "prefilter_manager",
                     "builtin_trap", "events", "input_transformer_manager"):
            if name in traits:
                out.append((f"IPython shell.{name}", traits, name, traits[name]))
        return out

    def torch_impls() -> frozenset:
        """Operators overridden from Python (``torch.library``): a notebook's override of, say,
        ``aten::allclose`` would change what every test's torch call computes."""
        library = sys.modules.get("torch.library")
        impls = obj_dict(library, "__dict__").get("_impls") if library is not None else None
        return frozenset(x for x in impls if is_str(x)) if type(impls) is set else frozenset()

    def asyncio_hooks() -> tuple:
        """The kernel's event loop, its task factory and exception handler (ipykernel runs cells as tasks)."""
        try:
            import asyncio

            loop = asyncio.get_running_loop()
        except Exception:
            return ()
        return (loop, loop.get_task_factory(), loop.get_exception_handler())

    def torch_modes() -> tuple[int, int]:
        torch = sys.modules.get("torch")
        c = getattr(torch, "_C", None)
        try:
            return (c._len_torch_function_stack(), c._len_torch_dispatch_stack())
        except Exception:
            return (0, 0)

    # -- restoring ------------------------------------------------------------------------------
    def purge_odd_keys(d: dict, label: str, fixed: list[str]) -> None:
        """Keys that are not exact strings could run learner code in every lookup: drop them."""
        if any(type(k) is not str for k in d):
            kept = [(k, v) for k, v in d.items() if type(k) is str]
            graveyard.append(list(d.items()))
            d.clear()
            d.update(kept)
            fixed.append(f"{label}: keys that are not strings")

    def restore_dict(d: dict, base: object, label: str, fixed: list[str], skip: object = (),
                     keep_trusted: bool = False) -> None:
        """A namespace (of a module, class, object or the notebook): string keys only.

        A function, class or module that was replaced or deleted is put back; with
        ``keep_trusted`` only when learner code replaced it (an object's methods, which IPython
        swaps in and out itself). Functions and modules that were added are removed when learner
        code defined them (libraries add attributes lazily). Which code is the learner's is judged
        by where it was compiled, which a determined learner can fake: test helpers (module and
        class dicts) are therefore put back whoever replaced them, and only the flag depends on it.
        """
        purge_odd_keys(d, label, fixed)
        for k, old in base.items():
            if k in skip:
                continue
            new = d.get(k, missing)
            if new is old:
                continue
            if new is missing:
                d[k] = old
                fixed.append(f"{label}.{k} (deleted)")
            elif callable(old) or callable(new) or type(old) is ModuleType:
                mine = trusted(new)
                if keep_trusted and mine:
                    continue
                graveyard.append(new)
                d[k] = old
                if not mine:
                    fixed.append(f"{label}.{k} (replaced by {describe(new)})")
        if len(d) != len(base):
            for k in [k for k in d if k not in base and k not in skip]:
                new = d[k]
                if (callable(new) or type(new) is ModuleType) and not trusted(new):
                    graveyard.append(new)
                    del d[k]
                    fixed.append(f"{label}.{k} (added: {describe(new)})")

    def has(seq: object, x: object) -> bool:
        return any(x is y for y in seq)  # identity only: no learner __eq__ runs here

    def restore_list(label: str, live: list, before: tuple, fixed: list[str]) -> None:
        if len(live) == len(before) and all(a is b for a, b in zip(live, before)):
            return
        added = [x for x in live if not has(before, x)]
        if label == "sys.path":  # strings: only folders of the installed libraries may join
            bad = [x for x in added if not (is_str(x) and (exact(x) + os.sep).startswith(trusted_roots))]
        else:
            bad = [x for x in added if not trusted(x)]
        removed = [x for x in before if not has(live, x)]
        if not bad and not removed:
            return  # only a library added to it (e.g. an extension's callback)
        graveyard.append(list(live))
        live[:] = list(before) + [x for x in added if not has(bad, x)]
        for x in bad:
            fixed.append(f"{label}: removed {text(x, 80) if is_str(x) else describe(x)}")
        if removed:
            fixed.append(f"{label}: {len(removed)} original entries put back")

    def restore_mapping(label: str, live: dict, before: object, fixed: list[str]) -> None:
        """A dict of hooks (handlers, callbacks by event, importers by path): keys are matched by
        identity or, for exact strings and ints, by value; nothing of the learner's is compared."""
        def same_key(a: object, b: object) -> bool:
            return a is b or (type(a) is type(b) and type(a) in (str, int) and a == b)

        base_items = list(before.items())
        for k, v in list(live.items()):
            match = next((bv for bk, bv in base_items if same_key(bk, k)), missing)
            if v is match:
                continue
            if match is missing:  # added
                if type(v) in (list, dict):
                    continue  # a new event's or trait's list: its entries are judged where they are used
                if v is None or trusted(v):
                    continue
                graveyard.append(v)
                live.pop(k) if type(k) in (str, int) else _drop_key(live, k)
                fixed.append(f"{label}[{text(k, 60) if is_str(k) else describe(k)}]: added {describe(v)}")
            elif v is None or not trusted(v):  # replaced
                graveyard.append(v)
                if type(k) in (str, int):
                    live[k] = match
                else:
                    _drop_key(live, k)
                    live[next(bk for bk, _ in base_items if same_key(bk, k))] = match
                fixed.append(f"{label}[{text(k, 60) if is_str(k) else describe(k)}]: {describe(v)}")
        for bk, bv in base_items:
            if not any(same_key(bk, k) for k in live):
                live[bk] = bv
                fixed.append(f"{label}[{text(bk, 60) if is_str(bk) else describe(bk)}] (deleted)")

    def _drop_key(live: dict, key: object) -> None:
        """Remove an entry whose key is an arbitrary object, without hashing or comparing it."""
        kept = [(k, v) for k, v in live.items() if k is not key]
        live.clear()
        live.update(kept)

    def restore_observers(label: str, live: dict, before: object, fixed: list[str]) -> None:
        """traitlets' {trait name: {change type: [observers]}}: drop observers learner code added."""
        for name, per_type in list(live.items()):
            if type(per_type) is not dict:
                continue
            old = next((bv for bk, bv in before.items() if bk is name or (is_str(bk) and is_str(name)
                                                                           and exact(bk) == exact(name))), {})
            for typ, lst in list(per_type.items()):
                if type(lst) is not list:
                    continue
                kept_before = old.get(typ, ()) if type(typ) is str else ()
                bad = [x for x in lst if not has(kept_before, x) and not trusted(x)]
                if bad:
                    graveyard.append(list(lst))
                    lst[:] = [x for x in lst if not has(bad, x)]
                    for x in bad:
                        fixed.append(f"{label}: an observer of {text(name, 40) if is_str(name) else 'all traits'} "
                                     f"({describe(x)})")

    def restore_container(label: str, live: object, before: object, fixed: list[str]) -> None:
        if type(live) is list:
            restore_list(label, live, before, fixed)
        elif label == "IPython shell._trait_notifiers":
            restore_observers(label, live, before, fixed)
        elif label == "sys.path_importer_cache":
            purge_odd_keys(live, label, fixed)
            for k in list(live):
                v = live[k]
                if v is not None and not trusted(v) and before.get(k, missing) is not v:
                    graveyard.append(v)
                    if k in before:
                        live[k] = before[k]
                    else:
                        del live[k]
                    fixed.append(f"{label}[{text(k, 60)}]: {describe(v)}")
        elif issubclass(type(live), dict):
            restore_mapping(label, live, before, fixed)

    def restore_signals(fixed: list[str] | None) -> None:
        """Put back the kernel's own signal handlers and stop interval timers (main thread only)."""
        for signum, handler in baseline["signals"]:
            try:
                current = getsignal(signum)
                if current is not handler:
                    graveyard.append(current)
                    setsignal(signum, handler)
                    if fixed is not None and current is not None:
                        fixed.append(f"signal handler for {signum} ({describe(current)})")
            except (ValueError, OSError, TypeError):
                pass
        for which in itimers:
            if getitimer(which) != (0.0, 0.0):
                setitimer(which, 0)
                if fixed is not None:
                    fixed.append(f"interval timer {which}")

    def quiet(fn: object, *args: object) -> object:
        """Call ``fn`` with the hook's own events ignored (its own ``sys.settrace(None)``)."""
        tid = get_ident()
        was = tid in inside
        inside.add(tid)
        try:
            return fn(*args)
        finally:
            if not was:
                inside.discard(tid)

    def restore() -> list[str]:
        """Undo every change learner code made to the hook points; return what was undone."""
        fixed: list[str] = []
        if get_ident() == main_thread:
            restore_signals(fixed)
            if gettrace() is not None:
                graveyard.append(gettrace())
                quiet(settrace, None)
                fixed.append("sys.settrace hook")
            if getprofile() is not None:
                graveyard.append(getprofile())
                quiet(setprofile, None)
                fixed.append("sys.setprofile hook")
        genuine = baseline["genuine"]
        for label, owner, name, old in baseline["singles"]:
            new = owner.get(name, missing)
            if new is not old and not has(genuine, new):  # IPython swaps its own objects in and out
                graveyard.append(new)
                if old is missing:
                    owner.pop(name, None)
                else:
                    owner[name] = old
                fixed.append(f"{label} (replaced by {describe(new) if new is not missing else 'nothing'})")
        sys_modules = sys.modules
        purge_odd_keys(sys_modules, "sys.modules", fixed)
        for name, mod in baseline["sys_modules"].items():
            if sys_modules.get(name, missing) is not mod:
                graveyard.append(sys_modules.get(name))
                sys_modules[name] = mod
                fixed.append(f"sys.modules[{name!r}]")
        for obj, cls, base in baseline["instances"]:
            if type(obj) is not cls:
                object.__setattr__(obj, "__class__", cls)
                fixed.append(f"the class of {text(tname(cls), 40)}")
            restore_dict(obj_dict(obj, "__dict__"), base, f"{tname(cls)} object", fixed, keep_trusted=True)
        skip = baseline["builtins_managed"]
        for mod, base in baseline["modules"]:
            live = obj_dict(mod, "__dict__")
            if len(live) == len(base) and all(live.get(k, missing) is v for k, v in base.items()):
                continue
            restore_dict(live, base, text(base.get("__name__"), 80), fixed, skip if mod is builtins else ())
        for cls, base in baseline["classes"]:
            live = tdict(cls)
            if len(live) == len(base) and all(live.get(k, missing) is v for k, v in base.items()):
                continue
            for k, old in base.items():
                new = live.get(k, missing)
                if new is not old:
                    graveyard.append(new)
                    type.__setattr__(cls, k, old)
                    if new is missing or not trusted(new):
                        fixed.append(f"{tname(cls)}.{k}")
            for k in [k for k in live if k not in base]:
                new = live[k]
                if callable(new) and not trusted(new):
                    graveyard.append(new)
                    type.__delattr__(cls, k)
                    fixed.append(f"{tname(cls)}.{k} (added: {describe(new)})")
        for label, live, before in baseline["containers"]:
            restore_container(label, live, before, fixed)
        torch = sys.modules.get("torch")
        c = getattr(torch, "_C", None)
        fn_modes, dispatch_modes = baseline["torch_modes"]
        try:
            while c._len_torch_function_stack() > fn_modes:
                graveyard.append(c._pop_torch_function_stack())
                fixed.append("a global torch function mode")
            while c._len_torch_dispatch_stack() > dispatch_modes:
                graveyard.append(c._pop_torch_dispatch_stack())
                fixed.append("a global torch dispatch mode")
        except Exception:
            pass
        if baseline["asyncio"]:
            loop, factory, handler = baseline["asyncio"]
            if loop.get_task_factory() is not factory:
                graveyard.append(loop.get_task_factory())
                loop.set_task_factory(factory)
                fixed.append("the event loop's task factory")
            if loop.get_exception_handler() is not handler:
                graveyard.append(loop.get_exception_handler())
                loop.set_exception_handler(handler)
                fixed.append("the event loop's exception handler")
        return fixed

    def overridden_operators() -> list[str]:
        """Operators that learner code overrode (they cannot be taken back: the tests are void)."""
        # (torch registers operators of its own namespaces lazily, e.g. fsdp/..., when modules load)
        added = [x for x in torch_impls() - baseline["torch_impls"] if x.startswith(("aten/", "prims/"))]
        return [f"torch operator {text(x, 80)} overridden" for x in sorted(added)[:5]]

    # -- running a test -------------------------------------------------------------------------
    def namespace() -> tuple[dict, list[str]]:  # noqa: D401
        """A copy of the notebook's namespace with the genuine test helpers and builtins."""
        user_ns = baseline["user_ns"]
        notes: list[str] = []
        purge_odd_keys(user_ns, "the notebook's namespace", notes)
        ns = dict(user_ns)
        for name, obj in baseline["helpers"].items():
            current = ns.get(name, missing)
            if current is not obj:
                if current is not missing and not trusted(current):
                    notes.append(f"the notebook rebound the test helper {name!r} to {describe(current)}")
                ns[name] = obj
        ns["__builtins__"] = builtins
        return ns, notes

    def changed_during(fixed: list[str], ns: dict) -> list[str]:
        """What changed while the test ran (a learner function called by the test patched it)."""
        changed = list(fixed)
        for name, obj in baseline["helpers"].items():
            if ns.get(name, missing) is not obj:
                changed.append(f"the test helper {name!r} was rebound")
        return changed

    def in_window() -> bool:
        """Is a test running in this thread (is ``run_test``'s frame on this thread's stack)?"""
        frame = getframe(1)
        while frame is not None:
            if frame_code(frame) is run_code:
                return True
            frame = frame_back(frame)
        return False

    def run_test(token: str, source: str, label: str) -> None:
        digest = sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
        restore_signals(None)  # first: no learner signal handler may run while the witness works
        fixed = restore()
        overridden = overridden_operators()
        ns, notes = namespace()
        filename = f"<test cell {label}>"
        # As IPython does: a last bare expression is compiled in "single" mode, so its value reaches
        # the (restored) displayhook and nbgrader reads it as the test's partial credit.
        tree = real_compile(source, filename, "exec", only_ast, dont_inherit=True)
        body = tree.body
        last = None
        if body and type(body[-1]) is ast_expr:
            last = real_compile(ast_interactive(body=[body[-1]]), filename, "single", dont_inherit=True)
            body = body[:-1]
        code = real_compile(ast_module(body=body, type_ignores=[]), filename, "exec", dont_inherit=True)
        try:
            import linecache

            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        except Exception:
            pass
        quiet(settrace, None)
        quiet(setprofile, None)
        outcome = None
        try:
            real_exec(code, ns)
            if last is not None:
                real_exec(last, ns)
        except BaseException as err:  # noqa: BLE001 - every way a test can end is recorded
            outcome = err
        restore_signals(None)
        tampered = overridden + changed_during(restore(), ns)
        user_ns = baseline["user_ns"]
        purge_odd_keys(user_ns, "the notebook's namespace", notes)
        helpers = baseline["helpers"]
        for k, v in ns.items():
            if type(k) is str and k not in helpers and k != "__builtins__" and user_ns.get(k, missing) is not v:
                graveyard.append(user_ns.get(k))
                user_ns[k] = v
        if tampered:
            status = "tampered"
        elif outcome is None:
            status = "ok"
        else:
            status = "raised"
        emit(("kind", "run"), ("token", token), ("sha256", digest), ("status", status),
             ("ename", text(tname(type(outcome)), 100) if outcome is not None else ""),
             ("fixed", listed(fixed)), ("notes", listed(notes)), ("tampered", listed(tampered)))
        if outcome is not None:
            raise outcome

    run_code = run_test.__code__
    main_thread = get_ident()

    # -- the hook -------------------------------------------------------------------------------
    def alert(event: str, veto: bool) -> None:
        emit(("kind", "alert"), ("event", event), ("vetoed", int(veto)))
        if veto:
            raise RuntimeError(f"the grader does not allow {event} in a graded notebook")

    def hook(event: str, args: tuple) -> None:
        if type(event) is not str:
            return
        tid = get_ident()
        if tid in inside:
            return
        if event in ("sys.settrace", "sys.setprofile", "sys.monitoring.register_callback"):  # (not what is set)
            inside.add(tid)
            try:
                if baseline is not None and in_window():
                    alert(f"{event} while a test runs", veto=True)
            finally:
                inside.discard(tid)
            return
        if event in ("sys.addaudithook", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
                     "sys._current_frames"):
            inside.add(tid)
            try:
                alert(event, veto=True)
            finally:
                inside.discard(tid)
        if event == "open" and args and is_str(args[0]) and exact(args[0]).startswith("/proc/") \
                and exact(args[0]).endswith(("/mem", "/pagemap")):
            inside.add(tid)
            try:
                alert(f"open({exact(args[0])[:40]!r})", veto=True)
            finally:
                inside.discard(tid)
        if not event.startswith("dlcourse.witness."):
            return
        inside.add(tid)
        try:
            if event == snapshot_event:
                if baseline is not None:
                    emit(("kind", "snapshot-again"))
                    return
                n_mod, n_cls, n_helpers, problems = take_snapshot(args[0] if args else ())
                emit(("kind", "snapshot"), ("modules", n_mod), ("classes", n_cls), ("helpers", n_helpers),
                     ("problems", listed(problems)))
                return
            if baseline is None:
                emit(("kind", "no-snapshot"), ("event", event))
                return
            if event == restore_event:
                emit(("kind", "restore"), ("fixed", listed(restore())))
                return
            if event == run_event:
                if len(args) != 3 or not all(type(a) is str for a in args):
                    emit(("kind", "bad-run"))
                    return
                inside.discard(tid)  # the test's own events are judged like anyone's
                run_test(args[0], args[1], args[2])
        finally:
            inside.discard(tid)

    sys.addaudithook(hook)


def main(argv: list[str] | None = None) -> None:
    """``witness.py SOCKET -m MODULE [ARGS...]``: install the witness, then run MODULE as ``-m`` would."""
    import runpy

    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 3 or argv[1] != "-m":
        sys.stderr.write("usage: witness.py SOCKET -m MODULE [ARGS...]\n")
        raise SystemExit(2)
    _install(argv[0])
    module = argv[2]
    sys.argv = [module, *argv[3:]]
    # `python -m` would put the working folder first on sys.path; a script has its own folder there.
    # Neither here: the working folder holds the submission, whose files must never shadow a module
    # the kernel or the witness imports (a graded notebook cannot import files from its folder).
    del sys.path[0]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


# ----------------------------------------------------------------------------- the grader side
class Channel:
    """The grader's end: listen before the kernel starts, take the key, read and check records."""

    def __init__(self, folder: str) -> None:
        import socket

        self.path = os.path.join(folder, "witness.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        os.chmod(self.path, 0o777)  # the jailed kernel runs as another user
        self._listener.listen(1)
        self._conn = None
        self._buffer = b""
        self.key: bytes | None = None
        self.pid: int | None = None
        self.seq = 0
        self.problems: list[str] = []  # forged, out-of-sequence or garbled output (for review)

    def command(self, python: str) -> list[str]:
        """The argv prefix that starts a kernel under the witness (followed by ``-m MODULE ...``)."""
        return [python, os.path.abspath(__file__), self.path]

    def accept(self, timeout: float = 30.0) -> None:
        """Take the witness's connection and its key; close the listener so nobody else connects."""
        self._listener.settimeout(timeout)
        try:
            conn, _ = self._listener.accept()
        finally:
            self._listener.close()
            try:
                os.unlink(self.path)
            except OSError:
                pass
        conn.settimeout(timeout)
        line = b""
        while not line.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            line += chunk
        head, _, rest = line.partition(b"\n")
        parts = head.decode("ascii", "replace").split()
        if len(parts) != 3 or parts[0] != PROTOCOL:
            raise RuntimeError(f"the grading kernel's witness did not say hello ({head[:80]!r})")
        self.key, self.pid = bytes.fromhex(parts[1]), int(parts[2])
        self._buffer = rest
        conn.setblocking(False)
        self._conn = conn

    def read(self, wait: float = 0.0) -> list[dict]:
        """Every complete record received so far (waiting up to ``wait`` s for the first one)."""
        import ast
        import hmac
        import select

        if self._conn is None or self.key is None:
            return []
        deadline_first = wait
        while True:
            ready, _, _ = select.select([self._conn], [], [], deadline_first)
            deadline_first = 0.0
            if not ready:
                break
            try:
                chunk = self._conn.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                chunk = b""
            if not chunk:
                break
            self._buffer += chunk
            if b"\n" in chunk:
                break
        records = []
        while b"\n" in self._buffer:
            line, _, self._buffer = self._buffer.partition(b"\n")
            mac, _, data = line.partition(b" ")
            if not hmac.compare_digest(mac, sign(self.key, data)):
                self.problems.append("output on the witness channel that the witness did not sign")
                continue
            try:
                record = dict(ast.literal_eval(data.decode("utf-8")))
            except (ValueError, SyntaxError, TypeError):
                self.problems.append("a garbled witness record")
                continue
            if record.get("seq") != self.seq + 1:
                self.problems.append(f"witness records out of sequence ({self.seq} then {record.get('seq')})")
            self.seq = record.get("seq", self.seq)
            records.append(record)
        return records

    def close(self) -> None:
        for s in (self._conn, self._listener):
            try:
                if s is not None:
                    s.close()
            except OSError:
                pass
        try:
            os.unlink(self.path)
        except OSError:
            pass


if __name__ == "__main__":
    main()
