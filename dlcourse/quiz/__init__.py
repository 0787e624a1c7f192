"""The weekly quizzes: checking an answer in the notebook, and grading it.

A quiz notebook binds ``quiz`` to one of two checkers in its set-up cell:

- ``SelfCheck(key)`` in the public notebooks: ✓ or ✗ at once, with the explanation of a right
  answer and, for a wrong choice, why it is tempting and wrong. The key is sealed
  (``dlcourse.quiz.seal``): each answer opens only its own feedback.
- ``FormCheck(spec)`` in a cohort's release, which carries no key: it only says whether an
  answer has the right form; the grader scores it and the feedback explains it.

Neither ever raises on a wrong, blank or malformed answer, so "Run all" always reaches the end,
and neither writes to stderr (a test cell with stderr output scores 0 under nbgrader).
``grade`` is what the hidden part of each check cell calls under nbgrader: it prints the verdict
and returns the points, which nbgrader reads as the cell's partial credit.

The sources of the questions are ``solutions/quizzes/<week>.toml``; ``dlcourse.quiz.bank`` reads
them and ``dlcourse.quiz.build`` writes the notebooks.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from typing import Any

from dlcourse.quiz import seal as _seal
from dlcourse.quiz.answers import (
    SHORT,
    AnswerFormError,
    as_letter,
    as_letters,
    as_number,
    as_value,
    canonical_value,
    check_form,
    close,
    form_of,
    is_blank,
    score,
    shown_answer,
)

__all__ = ["AnswerFormError", "FormCheck", "SelfCheck", "grade", "score"]

WIDTH = 96


def _say(*lines: str) -> None:
    """Print to stdout (never stderr), each paragraph wrapped and indented after the first line."""
    for i, line in enumerate(lines):
        indent = "" if i == 0 else "   "
        print(textwrap.fill(line, WIDTH, initial_indent=indent, subsequent_indent="   ") if line else "")


def _points(x: float) -> str:
    return f"{x:g}"


def _revisit(q: Mapping[str, Any]) -> str:
    notebook, _, heading = q["section"].partition("#")
    return f'Revisit {notebook}, section "{heading}".'


class SelfCheck:
    """The public notebook's checker, built from the sealed key in the notebook's key cell."""

    def __init__(self, key: str) -> None:
        data = _seal.unpack(key)
        self.title: str = data["title"]
        self.salt = bytes.fromhex(data["salt"])
        self.questions: dict[str, dict[str, Any]] = {q["name"]: q for q in data["questions"]}

    # -- opening entries ------------------------------------------------------------------------
    def _open(self, q: Mapping[str, Any], canonical: str) -> dict[str, Any] | None:
        key = _seal.derive(self.salt, q["id"], canonical)
        sealed = q["entries"].get(_seal.tag(key))
        return None if sealed is None else _seal.unseal(key, sealed)

    def _numeric(self, q: Mapping[str, Any], x: float) -> dict[str, Any] | None:
        step, hits = q["step"], []
        base = round(x / step)
        for k in range(base - 2, base + 3):
            found = self._open(q, f"num:{k}")
            if found is not None and close(x, found["x"], q["tolerance"]):
                hits.append(found)
        return max(hits, key=lambda h: h["ok"]) if hits else None

    def verdict(self, name: str, value: Any) -> tuple[float, list[str]]:
        """The points ``value`` earns for question ``name`` and the lines that explain them."""
        q = self.questions[name]
        pts, kind = q["points"], q["kind"]
        if is_blank(value):
            return 0.0, [f"· {name} is not answered yet: set {name} to {form_of(kind, q.get('like', ''))}, "
                         "then run this cell again."]
        try:
            if kind == "single":
                letter = as_letter(value, q["shown"])
                entry = self._open(q, f"opt:{letter}") or {"ok": False, "text": ""}
                if entry["ok"]:
                    return float(pts), [f"✓ {name} is right ({_points(pts)} / {_points(pts)}).", entry["text"]]
                return 0.0, [f'✗ {name}: "{letter}" is not right (0 / {_points(pts)}).', entry["text"], _revisit(q)]
            if kind == "multi":
                return self._multi(name, q, as_letters(value, q["shown"]))
            if kind == "numeric":
                x = as_number(value)
                entry = self._numeric(q, x)
            else:
                entry = self._open(q, "val:" + canonical_value(as_value(value, _LIKE[q["like"]])))
        except AnswerFormError as err:
            return 0.0, [f"✗ {name}: {err}.", "Fix the form of the answer and run this cell again."]
        if entry is not None and entry["ok"]:
            return float(pts), [f"✓ {name} is right ({_points(pts)} / {_points(pts)}).", entry["text"]]
        why = entry["text"] if entry is not None else (
            "That is not within the tolerance of the answer." if kind == "numeric" else "That is not the answer.")
        shown = f"{x:g}" if kind == "numeric" else repr(value)
        return 0.0, [f"✗ {name}: {shown} is not right (0 / {_points(pts)}).", why, _revisit(q)]

    def _multi(self, name: str, q: Mapping[str, Any], picks: frozenset[str]) -> tuple[float, list[str]]:
        pts = q["points"]
        whole = self._open(q, "set:" + ",".join(sorted(picks)))
        if whole is not None:
            return float(pts), [f"✓ {name} is right ({_points(pts)} / {_points(pts)}).", whole["text"]]
        entries = {p: self._open(q, f"opt:{p}") for p in sorted(picks)}
        right = [p for p, e in entries.items() if e and e["ok"]]
        wrong = [p for p, e in entries.items() if not (e and e["ok"])]
        opened = [e for e in entries.values() if e]
        if not opened:  # no pick (an empty set): nothing to open, nothing earned
            return 0.0, [f"✗ {name}: 0 / {_points(pts)}. Pick at least one letter.", _revisit(q)]
        n_right = opened[0]["n"]
        got = round(max(0.0, pts * (len(right) - len(wrong)) / n_right), 4)  # as answers.multi_score
        missing = n_right - len(right)
        lines = [f"✗ {name}: {_points(got)} / {_points(pts)}. Of your {len(picks)} pick{'s' * (len(picks) != 1)}, "
                 f"{len(right)} {'is' if len(right) == 1 else 'are'} right and {len(wrong)} wrong"
                 + (f"; {missing} right option{'s are' if missing != 1 else ' is'} missing." if missing else ".")]
        lines += [f'"{p}": {entries[p]["text"]}' for p in wrong if entries[p] and entries[p]["text"]]
        lines.append(_revisit(q))
        return got, lines

    def check(self, name: str, value: Any) -> None:
        """Print ✓ or ✗ for question ``name`` with its explanation; never raises on an answer."""
        if name not in self.questions:
            _say(f"✗ There is no question {name!r} in this quiz.")
            return
        _say(*self.verdict(name, value)[1])

    def summary(self, namespace: Mapping[str, Any]) -> None:
        """Print the score of every answer in ``namespace`` (pass ``globals()``) and what to revisit."""
        total = sum(q["points"] for q in self.questions.values())
        got, rows, revisit = 0.0, [], []
        for name, q in self.questions.items():
            pts, lines = self.verdict(name, namespace.get(name))
            got += pts
            mark = lines[0][0]
            rows.append(f"  {name}  {mark}  {_points(pts):>4} / {_points(q['points'])}")
            if pts < q["points"]:
                revisit.append(f"  {name}: {q['section'].replace('#', ', section ')}")
        right = sum(r.split()[1] == "✓" for r in rows)
        print(f"{self.title}: {_points(round(got, 2))} / {_points(total)} points "
              f"({right} of {len(rows)} questions fully right).")
        print("\n".join(rows))
        if revisit:
            print("To revisit:")
            print("\n".join(revisit))
        else:
            print("Everything is right: well done.")


_LIKE: dict[str, Any] = {"tuple": (0,), "int": 0, "str": ""}


class FormCheck:
    """A cohort release's checker: it validates an answer's form and holds no key.

    Every well-formed answer to a question gets the same message, so the notebook is no oracle.
    """

    def __init__(self, spec: Mapping[str, Mapping[str, Any]], title: str = "Quiz") -> None:
        self.title = title
        self.questions = {name: dict(q) for name, q in spec.items()}

    def _form(self, name: str, value: Any) -> tuple[bool, str]:
        q = self.questions[name]
        kind = q["kind"]
        if is_blank(value):
            return False, (f"· {name} is not answered yet: set {name} to {form_of(kind, q.get('like', ''))}, "
                           "then run this cell again.")
        try:
            check_form(kind, value, q.get("shown", ""), _LIKE.get(q.get("like", "")))
        except AnswerFormError as err:
            return False, f"✗ {name}: {err}. Fix the form of the answer and run this cell again."
        form = SHORT[q.get("like") or kind]
        return True, (f"✓ {name} has the right form ({form}). It is graded after you "
                      "submit; your feedback will explain the answer.")

    def check(self, name: str, value: Any) -> None:
        """Print whether the answer to ``name`` has the right form; never raises on an answer."""
        if name not in self.questions:
            _say(f"✗ There is no question {name!r} in this quiz.")
            return
        _say(self._form(name, value)[1])

    def summary(self, namespace: Mapping[str, Any]) -> None:
        """Print which questions are answered in the right form (no scores: the grader gives them)."""
        open_ = [name for name in self.questions if not self._form(name, namespace.get(name))[0]]
        total = sum(q["points"] for q in self.questions.values())
        print(f"{self.title}: {len(self.questions) - len(open_)} of {len(self.questions)} questions answered "
              f"in the right form ({_points(total)} points in all). They are graded after you submit.")
        if open_:
            print("Still to answer or fix: " + ", ".join(open_) + ".")


def grade(name: str, value: Any, *, kind: str, answer: Any, points: float, shown: str = "",
          tolerance: float = 0.0, explanation: str | None = None) -> float:
    """The points of ``value`` (the hidden part of a check cell): print them, return them.

    With an ``explanation`` (a cohort's quiz) the right answer and why are printed too: the
    feedback shows them after grading. Never raises on an answer, never prints to stderr.
    """
    if kind == "multi":
        answer = frozenset(answer)
    got = score(kind, value, answer=answer, points=points, shown=shown, tolerance=tolerance)
    got = min(float(points), max(0.0, got if math.isfinite(got) else 0.0))
    state = "not answered" if is_blank(value) else ("right" if got == points else ("partly right" if got else "wrong"))
    unit = "point" if float(points) == 1 else "points"
    lines = [f"{name}: {_points(got)} / {_points(points)} {unit} ({state})."]
    if explanation is not None:
        lines += [f"The answer: {shown_answer(kind, answer)}.", explanation]
    _say(*lines)
    return got
