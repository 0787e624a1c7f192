"""A learner's answer to a quiz question: its accepted forms, its canonical text, its score.

Answers are plain Python values set in a cell (``q03 = {"A", "C"}``). Only exact built-in types
(and numpy's scalar types) are accepted, so an object that claims to equal anything (a custom
``__eq__``, ``__float__`` or ``__hash__``) is refused as malformed instead of being compared.
"""

from __future__ import annotations

import math
import sys
from typing import Any

KINDS = ("single", "multi", "numeric", "value")
LETTERS = "ABCDEFGH"

SHORT = {"single": "one letter", "multi": "a set of letters", "numeric": "a number", "tuple": "a tuple of ints",
         "int": "a whole number", "str": "a string"}
FORMS = {
    "single": 'one letter, e.g. "B"',
    "multi": 'a set of letters, e.g. {"A", "C"}',
    "numeric": "a number, e.g. 0.25",
    "value": "a Python value (a shape is a tuple, e.g. (64, 10))",
}


class AnswerFormError(ValueError):
    """The answer is set but has the wrong form (its message is written for the learner)."""


VALUE_FORMS = {"tuple": "a tuple of ints, e.g. (64, 10)", "int": "a whole number, e.g. 3",
               "str": 'a string, e.g. "float32"'}


def form_of(kind: str, like: str = "") -> str:
    """How to write an answer of this kind ('a set of letters, e.g. {"A", "C"}')."""
    return VALUE_FORMS.get(like, FORMS[kind]) if kind == "value" else FORMS[kind]


def describe(value: Any) -> str:
    """A short, safe description of a learner's value for an error message."""
    name = type(value).__name__
    try:
        text = repr(value) if type(value) in (int, float, str, tuple, list, set, frozenset, bool) else ""
    except Exception:  # noqa: BLE001 - a description must never fail
        text = ""
    if len(text) > 40:
        text = text[:37] + "..."
    article = "an" if name[:1] in "aeiou" else "a"
    return f"{text} ({article} {name})" if text else f"{article} {name}"


def is_blank(value: Any) -> bool:
    """``None`` (the release's stub) or an empty string: not answered yet."""
    return value is None or (type(value) is str and not value.strip())


def _types(module: str, names: tuple[str, ...]) -> tuple[type, ...]:
    """The classes ``module.<name>`` of an already imported module (identity checks, no learner code)."""
    mod = sys.modules.get(module)
    return tuple(t for t in (getattr(mod, n, None) for n in names) if isinstance(t, type)) if mod else ()


_NUMPY_INTS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_NUMPY_FLOATS = ("float16", "float32", "float64")


def _is_int(value: Any) -> bool:
    return type(value) is int or type(value) in _types("numpy", _NUMPY_INTS)


def _numpy_scalar(value: Any) -> bool:
    return type(value) in _types("numpy", _NUMPY_INTS + _NUMPY_FLOATS)


def as_letter(value: Any, shown: str) -> str:
    """A single-choice answer: one of the letters in ``shown`` (any case, spaces ignored)."""
    if type(value) is str and value.strip().upper() in shown and len(value.strip()) == 1:
        return value.strip().upper()
    raise AnswerFormError(f'expected one letter from {shown[0]} to {shown[-1]}, e.g. "{shown[0]}"; '
                          f"got {describe(value)}")


def as_letters(value: Any, shown: str) -> frozenset[str]:
    """A multiple-select answer: a set (or list, tuple, or string like "AC") of letters in ``shown``."""
    if type(value) is str:
        items: list[Any] = [ch for ch in value if not ch.isspace() and ch != ","]
    elif type(value) in (set, frozenset, list, tuple):
        items = list(value)
    else:
        items = None  # type: ignore[assignment]
    if items is not None and all(type(i) is str and i.strip().upper() in shown and len(i.strip()) == 1
                                 for i in items):
        return frozenset(i.strip().upper() for i in items)
    raise AnswerFormError(f'expected a set of letters from {shown[0]} to {shown[-1]}, e.g. {{"{shown[0]}", '
                          f'"{shown[1]}"}}; got {describe(value)}')


def as_number(value: Any) -> float:
    """A numeric answer: an int or float (numpy scalars too), finite."""
    if (type(value) in (int, float) or _numpy_scalar(value)) and type(value) is not bool:
        number = float(value)
        if math.isfinite(number):
            return number
        raise AnswerFormError(f"expected a finite number; got {describe(value)}")
    array = type(value) in _types("torch", ("Tensor",)) + _types("numpy", ("ndarray",))
    hint = " (use .item() to turn a one-element tensor or array into a number)" if array else ""
    raise AnswerFormError(f"expected a number, e.g. 0.25; got {describe(value)}{hint}")


def as_value(value: Any, like: Any) -> Any:
    """A value answer, normalized to the type of the right answer ``like`` (tuple, int, float or str)."""
    if type(like) is tuple:
        if type(value) in (tuple, list) or type(value) in _types("torch", ("Size",)):
            items = tuple(value)
            if all(_is_int(i) for i in items):
                return tuple(int(i) for i in items)
        raise AnswerFormError(f"expected a tuple of ints, e.g. (64, 10); got {describe(value)}")
    if type(like) is int:
        if _is_int(value):
            return int(value)
        if type(value) is float and value.is_integer():
            return int(value)
        raise AnswerFormError(f"expected a whole number, e.g. 3; got {describe(value)}")
    if type(like) is float:
        return as_number(value)
    if type(like) is str:
        if type(value) is str:
            return value.strip().lower()
        raise AnswerFormError(f'expected a string, e.g. "float32"; got {describe(value)}')
    raise TypeError(f"unsupported value answer type {type(like).__name__}")


def canonical_value(value: Any) -> str:
    """The text a value answer is compared and sealed by: ``repr`` of its normalized form."""
    if type(value) is float:
        return repr(round(value, 12))
    return repr(value)


def check_form(kind: str, value: Any, shown: str = "", like: Any = None) -> None:
    """Raise ``AnswerFormError`` when a non-blank answer has the wrong form for ``kind``."""
    if kind == "single":
        as_letter(value, shown)
    elif kind == "multi":
        as_letters(value, shown)
    elif kind == "numeric":
        as_number(value)
    elif kind == "value":
        if like is None:  # the cohort's form check knows the answer's type, not the answer
            return
        as_value(value, like)
    else:
        raise ValueError(f"unknown question kind {kind!r}")


def multi_score(picks: frozenset[str], right: frozenset[str], points: float) -> float:
    """Partial credit: points × (right picks − wrong picks) / right options shown, never below 0."""
    gained = len(picks & right) - len(picks - right)
    return round(max(0.0, points * gained / len(right)), 4)


def score(kind: str, value: Any, *, answer: Any, points: float, shown: str = "", tolerance: float = 0.0) -> float:
    """The points ``value`` earns; blank or malformed answers earn 0 (never an error)."""
    if is_blank(value):
        return 0.0
    try:
        if kind == "single":
            return float(points) if as_letter(value, shown) == answer else 0.0
        if kind == "multi":
            return multi_score(as_letters(value, shown), frozenset(answer), points)
        if kind == "numeric":
            return float(points) if close(as_number(value), float(answer), tolerance) else 0.0
        if kind == "value":
            return float(points) if canonical_value(as_value(value, answer)) == canonical_value(answer) else 0.0
    except AnswerFormError:
        return 0.0
    raise ValueError(f"unknown question kind {kind!r}")


def close(x: float, target: float, tolerance: float) -> bool:
    """``|x - target| <= tolerance``, with room for float rounding when the tolerance is 0."""
    return abs(x - target) <= tolerance + 1e-9 * max(1.0, abs(target))


def shown_answer(kind: str, answer: Any) -> str:
    """The right answer as a learner would write it."""
    if kind == "single":
        return f'"{answer}"'
    if kind == "multi":
        return "{" + ", ".join(f'"{a}"' for a in sorted(answer)) + "}"
    if kind == "numeric":
        return f"{float(answer):.6g}"
    return repr(answer)
