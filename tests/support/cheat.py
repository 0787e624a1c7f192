"""A lookup-table cheat: answers exactly the inputs the public tests use, and nothing else.

Used by the grading tests to prove that hidden tests catch a submission that hard-codes the
public tests' expected values. ``record`` wraps the real solution and saves every call made by
the public tests; ``lookup`` replays the saved answers and, for any other input, returns the
first saved answer (what a learner who copied the expected output would return).
"""

from __future__ import annotations

import copy
import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

_CALLS: dict[str, list[tuple[Any, Any, Any]]] = {}
MAX_ANSWER_BYTES = 500_000  # a learner copies printed answers, not megabytes of them
MAX_ANSWERS = 20  # per function
_RECORDING = [False]  # only the public test cells' calls are recorded (not the demos' thousands)


def recording(on: bool) -> None:
    _RECORDING[0] = on


def _key(value: Any) -> Any:
    """A comparable fingerprint of an argument."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return ("array", value.shape, str(value.dtype), hashlib.sha256(value.tobytes()).hexdigest())
    if isinstance(value, np.random.Generator):
        return ("rng", repr(value.bit_generator.state))
    if callable(value) and hasattr(value, "__code__"):
        return ("code", value.__code__.co_code, repr(value.__code__.co_consts))
    if isinstance(value, dict):
        return ("dict", tuple((k, _key(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_key(v) for v in value))
    try:
        pickle.dumps(value)
        return ("value", repr(value))
    except Exception:
        return ("object", id(value))


def _fingerprint(args: tuple, kwargs: dict) -> Any:
    return (_key(args), _key(dict(sorted(kwargs.items()))))


def record(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _RECORDING[0]:
            return fn(*args, **kwargs)
        fp = _fingerprint(args, kwargs)
        result = fn(*args, **kwargs)
        calls = _CALLS.setdefault(name, [])
        if len(calls) >= MAX_ANSWERS or any(saved_fp == fp for saved_fp, _, _ in calls):
            return result  # the same inputs again (a test in a loop): one answer is enough
        try:
            saved = copy.deepcopy(result)
            if len(pickle.dumps(saved)) > MAX_ANSWER_BYTES:
                return result  # too big to hard-code in a notebook (and to copy into the grader's jail)
        except Exception:
            return result
        calls.append((fp, saved, None))
        return result

    wrapper.__name__ = getattr(fn, "__name__", name)
    return wrapper


def dump(path: str) -> None:
    Path(path).write_bytes(pickle.dumps(_CALLS))


_TABLES: dict[str, dict] = {}


def lookup(name: str, path: str) -> Callable[..., Any]:
    if path not in _TABLES:  # read once per notebook, however many functions it hard-codes
        _TABLES[path] = pickle.loads(Path(path).read_bytes())
    calls = _TABLES[path].get(name, [])

    def cheat(*args: Any, **kwargs: Any) -> Any:
        if not calls:
            raise RuntimeError(f"the public tests never call {name}: nothing to hard-code")
        fp = _fingerprint(args, kwargs)
        for saved_fp, result, _ in calls:
            if saved_fp == fp:
                return copy.deepcopy(result)
        return copy.deepcopy(calls[0][1])

    cheat.__name__ = name
    return cheat
