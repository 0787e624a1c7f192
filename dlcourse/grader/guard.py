"""Runs inside the grading kernel: notice and undo patches of what the tests rely on.

The grader calls ``snapshot()`` before the first cell and ``restore()`` before every test cell
(silently: nothing shows in the notebook). ``restore`` puts back any numpy, torch, builtins or
course-helper function that the learner's code replaced, removes tracing and profiling hooks,
and returns the names it had to fix, which the grader flags for review. A submission that
patches ``np.allclose`` or ``dlcourse.check_close`` therefore gains nothing and is seen.
"""

from __future__ import annotations

import importlib
import sys
import threading
from typing import Any

GUARDED: dict[str, tuple[str, ...]] = {
    "builtins": ("isinstance", "len", "abs", "all", "any", "bool", "float", "int", "type", "print", "range",
                 "min", "max", "sum", "round", "zip", "hasattr", "getattr", "AssertionError", "__import__"),
    "math": ("isclose", "isfinite", "isnan"),
    "numpy": ("allclose", "isclose", "array_equal", "asarray", "array", "all", "any", "abs", "isfinite",
              "argmax", "unravel_index", "issubdtype", "where", "nan_to_num", "array2string", "prod", "dtype"),
    "numpy.testing": ("assert_allclose", "assert_array_equal", "assert_equal"),
    "torch": ("allclose", "equal", "isclose", "tensor", "as_tensor", "is_tensor"),
    "torch.testing": ("assert_close",),
    "dlcourse": ("check_close", "check_equal", "check_shape", "check_dtype", "check_type", "check_finite", "as_array"),
    "dlcourse.checks": ("check_close", "check_equal", "check_shape", "check_dtype", "check_type",
                        "check_finite", "as_array", "_asarray", "_isclose", "_array_equal", "_isfinite",
                        "_abs", "_isinstance", "_bool"),
}

_SNAPSHOT: dict[tuple[str, str], Any] = {}
_MODULES: dict[str, Any] = {}
_SYS = (sys.settrace, sys.setprofile, threading.settrace, threading.setprofile, sys.gettrace, sys.getprofile)


def snapshot() -> None:
    """Remember the guarded objects (importing numpy, torch and the course package)."""
    for mod in GUARDED:
        try:
            module = importlib.import_module(mod)
        except ImportError:
            continue
        _MODULES[mod] = module
        for name in GUARDED[mod]:
            if hasattr(module, name):
                _SNAPSHOT[(mod, name)] = getattr(module, name)


def restore() -> list[str]:
    """Undo changes to the guarded objects and hooks; return what had been changed."""
    fixed = []
    settrace, setprofile, tsettrace, tsetprofile, gettrace, getprofile = _SYS
    for (mod, name), original in _SNAPSHOT.items():
        module = sys.modules.get(mod)
        if module is not _MODULES[mod]:
            sys.modules[mod] = module = _MODULES[mod]
            fixed.append(f"sys.modules[{mod!r}]")
        if getattr(module, name, None) is not original:
            setattr(module, name, original)
            fixed.append(f"{mod}.{name}")
    if gettrace() is not None:
        settrace(None)
        fixed.append("sys.settrace hook")
    if getprofile() is not None:
        setprofile(None)
        fixed.append("sys.setprofile hook")
    tsettrace(None)
    tsetprofile(None)
    return fixed
