"""Static tamper awareness: code in a submission that reaches for the grading machinery.

The sandbox and the tests' own references make most of these harmless; the point of flagging is
that an instructor sees who tried. ``scan`` reads the learner's code cells (not the locked test
cells, which are restored before grading) and returns one sentence per finding.
"""

from __future__ import annotations

import ast
from typing import Any

GUARDED_MODULES = {"np", "numpy", "torch", "builtins", "__builtins__", "math", "dlcourse", "checks", "sys", "os"}
TRACING = {"settrace", "setprofile", "_getframe", "addaudithook", "set_trace"}
PROCESS = {"_exit", "kill", "killpg", "fork", "system", "execv", "execve", "abort"}
NETWORK_MODULES = {"socket", "urllib", "http", "requests", "ftplib", "smtplib", "asyncio.streams"}
LOWLEVEL_MODULES = {"ctypes", "gc", "cffi", "mmap", "signal", "_signal", "_thread", "threading", "faulthandler"}
# IPython's and ipykernel's hook points: what transforms, compiles, runs and reports a cell
# (dlcourse/grader/witness.py undoes them before each test; here they are found in the code).
IPYTHON_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
                 "ast_transformers", "prefilter_manager", "set_custom_exc", "custom_exceptions", "CustomTB",
                 "InteractiveTB", "showtraceback", "_showtraceback", "showsyntaxerror", "run_cell", "run_cell_async",
                 "run_ast_nodes", "run_code",
                 "should_run_async", "loop_runner", "transform_cell", "transform_ast", "do_execute", "shell_handlers",
                 "display_pub", "ast_parse"}
# What reaches into frames and function internals (a test's namespace, a helper's globals).
INTERNALS = {"f_back", "f_globals", "f_locals", "f_builtins", "f_trace", "tb_frame", "gi_frame", "cr_frame",
             "__globals__", "__closure__", "__code__", "__builtins__"}
GRADER_WORDS = ("gradebook", "solutions", "autograded", "submitted", "nbgrader", "release", ".db")
COMPARISON_HOOKS = {"__eq__", "__ne__", "__array_ufunc__", "__array_function__", "__bool__"}
GRADER_MODULES = ("dlcourse.grader", "nbgrader", "dlcourse.checks")
CHECK_HELPERS = {"check_close", "check_equal", "check_shape", "check_dtype", "check_type", "check_finite", "as_array"}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def scan_source(source: str) -> list[str]:
    """Findings in one cell's code (IPython magics and shell lines are blanked first)."""
    lines = ["" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for t in targets:
                name = _dotted(t)
                if isinstance(t, ast.Attribute) and name.split(".")[0] in GUARDED_MODULES:
                    found.append(f"patches {name}")
                if isinstance(t, ast.Name) and t.id in CHECK_HELPERS:
                    found.append(f"rebinds the test helper {t.id}")
                if isinstance(t, ast.Subscript) and _dotted(t.value) in {"sys.modules", "__builtins__"}:
                    found.append(f"replaces an entry of {_dotted(t.value)}")
        elif isinstance(node, ast.Attribute) and node.attr in IPYTHON_HOOKS:
            found.append(f"reaches into IPython's cell machinery (.{node.attr})")
        elif isinstance(node, ast.Attribute) and node.attr in INTERNALS:
            found.append(f"reaches into frames or function internals (.{node.attr})")
        elif isinstance(node, ast.FunctionDef) and node.name in CHECK_HELPERS:
            found.append(f"redefines the test helper {node.name}")
        elif isinstance(node, ast.FunctionDef) and node.name in COMPARISON_HOOKS:
            found.append(f"defines {node.name} (an object that may fool comparisons)")
        elif isinstance(node, ast.Call):
            fn = _dotted(node.func)
            last = fn.rsplit(".", 1)[-1]
            if fn in {"setattr", "delattr"} and node.args and _dotted(node.args[0]).split(".")[0] in GUARDED_MODULES:
                found.append(f"calls {fn} on {_dotted(node.args[0])}")
            elif fn.endswith((".events.register", ".events.unregister", "library.Library", "library.impl")) or fn in {
                    "sys.audit", "sys.addaudithook", "Library"}:
                found.append(f"calls {fn} (hooks of the kernel)")
            elif last in TRACING and fn.split(".")[0] in {"sys", "threading", "pdb", "inspect", "set_trace"}:
                found.append(f"calls {fn} (tracing or frame hooks)")
            elif last in PROCESS and fn.split(".")[0] in {"os", "signal", "subprocess"}:
                found.append(f"calls {fn} (process control)")
            elif fn.startswith("subprocess.") or fn in {"os.popen", "exec", "eval", "__import__", "compile"}:
                found.append(f"calls {fn}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for mod in mods:
                top = mod.split(".")[0]
                if top in NETWORK_MODULES:
                    found.append(f"imports {mod} (network)")
                elif top in LOWLEVEL_MODULES:
                    found.append(f"imports {mod} (low-level access)")
                elif mod in {"builtins", "inspect", "importlib", "torch.library"} or mod.startswith(GRADER_MODULES):
                    found.append(f"imports {mod}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            low = node.value.lower()
            hit = [w for w in GRADER_WORDS if w in low and ("/" in low or low.endswith(".db") or low == w)]
            if hit:
                found.append(f"names grader files ({node.value[:60]!r})")
    return found


def scan(nb: Any, released: Any = None) -> list[str]:
    """Findings in the unlocked code cells of a notebook, each once, with the cell's index.

    What the released notebook itself does (the set-up cell installs the package with subprocess
    in Colab) is not a finding.
    """
    known = {f for c in (released.cells if released is not None else []) if c.get("cell_type") == "code"
             for f in scan_source(c.get("source", ""))}
    out: list[str] = []
    seen: set[str] = set(known)
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell.get("cell_type") != "code" or meta.get("locked"):
            continue
        for finding in scan_source(cell.get("source", "")):
            if finding not in seen:
                seen.add(finding)
                out.append(f"tamper? cell {i} {finding}")
    return out
