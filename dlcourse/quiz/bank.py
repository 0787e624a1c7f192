"""A week's quiz questions, read from their one source (``solutions/quizzes/<week>.toml``).

``load`` reads and checks a source file (every error names the file and the question);
``problems`` checks what needs the course around it (sections that exist, formulas that hold for
every parameter value); ``draw`` makes one variant of the quiz from a seed: the public one
(seed ``"public"``) or a cohort's (the instructor's private seed): the parameters of numeric and
value templates, the options shown out of each pool and their order. The answers are computed
from the formulas, never stored. The format is described in ``solutions/quizzes/FORMAT.md``.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from dlcourse.quiz.answers import KINDS, LETTERS, canonical_value, close

PUBLIC_SEED = "public"
ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*(?::([^{}]*))?\}\}")
FUNCTIONS: dict[str, Any] = {
    "min": min, "max": max, "abs": abs, "round": round, "int": int, "float": float,
    "sqrt": math.sqrt, "log": math.log, "exp": math.exp, "ceil": math.ceil, "floor": math.floor,
    "comb": math.comb, "cos": math.cos, "sin": math.sin, "pi": math.pi,
}
_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Constant, ast.Name, ast.Load, ast.Tuple,
          ast.Call, ast.operator, ast.unaryop, ast.cmpop, ast.IfExp, ast.BoolOp, ast.boolop)


class BankError(ValueError):
    """A quiz source that cannot be used, with the file and the question in the message."""


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    feedback: str = ""


@dataclass(frozen=True)
class Mistake:
    answer: str
    feedback: str


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    points: float
    section: str
    objective: str
    prompt: str
    explanation: str
    answer: str = ""
    tolerance: float = 0.0
    show: int = 0
    params: dict[str, list[Any]] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    mistakes: tuple[Mistake, ...] = ()


@dataclass(frozen=True)
class Bank:
    path: Path
    week: str
    notebook: str
    prefix: str
    title: str
    minutes: int
    questions: tuple[Question, ...]

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)


@dataclass(frozen=True)
class Drawn:
    """One question as one variant of the quiz shows it."""

    name: str  # the answer's variable: q01, q02, ...
    question: Question
    values: dict[str, Any]  # the drawn parameters and ``answer``
    prompt: str
    explanation: str
    options: tuple[tuple[str, Option], ...]  # (letter, option) in the order shown
    answer: Any  # a letter, a frozenset of letters, a float or a value
    mistakes: tuple[tuple[Any, str], ...]  # (wrong value, its feedback)

    @property
    def shown(self) -> str:
        return "".join(letter for letter, _ in self.options)

    @property
    def grade_id(self) -> str:
        return self.question.id


# -- expressions and placeholders -------------------------------------------------------------
def evaluate(expr: str, values: dict[str, Any]) -> Any:
    """A formula of the source (numbers, params, arithmetic, a few math functions), evaluated."""
    tree = ast.parse(expr.strip(), mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise BankError(f"{type(node).__name__} is not allowed in the formula {expr!r}")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS):
            raise BankError(f"only {', '.join(FUNCTIONS)} may be called in the formula {expr!r}")
        if isinstance(node, ast.Name) and node.id not in values and node.id not in FUNCTIONS:
            raise BankError(f"the formula {expr!r} uses {node.id!r}, which is not a parameter")
    return eval(compile(tree, "<formula>", "eval"), {"__builtins__": {}}, {**FUNCTIONS, **values})  # noqa: S307


def render(text: str, values: dict[str, Any]) -> str:
    """``text`` with every ``{{name}}`` or ``{{name:spec}}`` replaced by its value."""
    def one(m: re.Match) -> str:
        name, spec = m.group(1), m.group(2)
        if name not in values:
            raise BankError(f"the placeholder {{{{{name}}}}} names no parameter")
        value = values[name]
        if spec:
            return format(value, spec)
        if type(value) is float and value.is_integer():
            return str(int(value))
        return str(value)
    return PLACEHOLDER.sub(one, text).strip()


# -- loading ----------------------------------------------------------------------------------
def _need(d: dict, key: str, kind: type | tuple, where: str) -> Any:
    if key not in d:
        raise BankError(f"{where}: missing {key!r}")
    if not isinstance(d[key], kind) or isinstance(d[key], bool) and kind is not bool:
        raise BankError(f"{where}: {key!r} should be a {getattr(kind, '__name__', kind)}, got {d[key]!r}")
    return d[key]


def _question(raw: dict, where: str) -> Question:
    qid = _need(raw, "id", str, where)
    where = f"{where} ({qid!r})"
    if not ID.fullmatch(qid):
        raise BankError(f"{where}: ids are lowercase letters, digits and dashes")
    kind = _need(raw, "kind", str, where)
    if kind not in KINDS:
        raise BankError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    known = {"id", "kind", "points", "section", "objective", "prompt", "explanation", "answer", "tolerance", "show",
             "params", "option", "mistake"}
    if set(raw) - known:
        raise BankError(f"{where}: unknown keys {sorted(set(raw) - known)}")
    common = dict(
        id=qid, kind=kind, points=float(_need(raw, "points", (int, float), where)),
        section=_need(raw, "section", str, where), objective=_need(raw, "objective", str, where),
        prompt=_need(raw, "prompt", str, where), explanation=_need(raw, "explanation", str, where))
    if common["points"] <= 0:
        raise BankError(f"{where}: points must be positive")
    if "#" not in common["section"]:
        raise BankError(f"{where}: section is '<notebook>#<heading>', got {common['section']!r}")
    if kind in ("single", "multi"):
        if "answer" in raw or "params" in raw or "mistake" in raw:
            raise BankError(f"{where}: a {kind} question has options, not answer/params/mistake")
        opts = tuple(Option(_need(o, "text", str, f"{where} option {i + 1}"),
                            _need(o, "correct", bool, f"{where} option {i + 1}"), o.get("feedback", "").strip())
                     for i, o in enumerate(raw.get("option", [])))
        show = int(_need(raw, "show", int, where))
        right = sum(o.correct for o in opts)
        wrong = len(opts) - right
        if show < 2 or show > len(LETTERS):
            raise BankError(f"{where}: show must be between 2 and {len(LETTERS)}")
        if right < 1 or wrong < show - 1 or (kind == "multi" and (right < 2 or show < 3)):
            need = "one right option" if kind == "single" else "two right options"
            raise BankError(f"{where}: the pool needs at least {need} and {show - 1} wrong ones "
                            f"(it has {right} right, {wrong} wrong)")
        missing = [o.text[:40] for o in opts if not o.correct and not o.feedback]
        if missing:
            raise BankError(f"{where}: wrong options need a feedback (why tempting, why wrong): {missing}")
        return Question(**common, show=show, options=opts)
    if "option" in raw or "show" in raw:
        raise BankError(f"{where}: a {kind} question has an answer formula, not options")
    params = raw.get("params", {})
    for name, pool in params.items():
        if not isinstance(pool, list) or not pool:
            raise BankError(f"{where}: parameter {name!r} should be a non-empty list of values")
    mistakes = tuple(Mistake(_need(m, "answer", str, f"{where} mistake {i + 1}"),
                             _need(m, "feedback", str, f"{where} mistake {i + 1}").strip())
                     for i, m in enumerate(raw.get("mistake", [])))
    tolerance = float(raw.get("tolerance", 0.0))
    if kind == "value" and "tolerance" in raw:
        raise BankError(f"{where}: value answers are compared exactly; use kind = 'numeric' for a tolerance")
    if tolerance < 0:
        raise BankError(f"{where}: tolerance must be >= 0")
    return Question(**common, answer=_need(raw, "answer", str, where), tolerance=tolerance,
                    params={k: list(v) for k, v in params.items()}, mistakes=mistakes)


def load(path: Path | str) -> Bank:
    """Read and check one week's quiz source."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise BankError(f"{path}: {err}") from err
    where = str(path)
    questions = tuple(_question(q, f"{where}: question {i + 1}") for i, q in enumerate(raw.get("question", [])))
    if not questions:
        raise BankError(f"{where}: no [[question]]")
    ids = [q.id for q in questions]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise BankError(f"{where}: duplicate question ids {dup}")
    bank = Bank(path=path, week=_need(raw, "week", str, where), notebook=_need(raw, "notebook", str, where),
                prefix=_need(raw, "prefix", str, where), title=_need(raw, "title", str, where),
                minutes=int(_need(raw, "minutes", int, where)), questions=questions)
    if not re.fullmatch(r"[a-z]+[0-9]+", bank.prefix):
        raise BankError(f"{where}: prefix should look like 'quiz1'")
    return bank


# -- drawing a variant ------------------------------------------------------------------------
def _rng(seed: str, bank: Bank, q: Question) -> random.Random:
    return random.Random(hashlib.sha256(f"{seed}\0{bank.prefix}\0{q.id}".encode()).digest())


def _normalize(kind: str, value: Any, where: str) -> Any:
    if kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BankError(f"{where}: a numeric answer must be a finite number, got {value!r}")
        return float(value)
    if isinstance(value, tuple) and all(type(v) is int for v in value):
        return value
    if type(value) in (int, str):
        return value.strip().lower() if type(value) is str else value
    if type(value) is float and value.is_integer():
        return int(value)
    raise BankError(f"{where}: a value answer must be a tuple of ints, an int or a str, got {value!r}")


def draw_question(bank: Bank, q: Question, index: int, seed: str) -> Drawn:
    """Question ``q`` (number ``index``, from 1) as the variant ``seed`` shows it.

    A cohort's draw never has the public quiz's answer (when the pools allow another), so the
    public key answers no question of a cohort's quiz.
    """
    rng = _rng(seed, bank, q)
    drawn = _draw(bank, q, index, rng)
    if seed == PUBLIC_SEED:
        return drawn
    public = _draw(bank, q, index, _rng(PUBLIC_SEED, bank, q))
    for _ in range(200):
        if not answers_close(q.kind, drawn.answer, public.answer, q.tolerance):
            break
        drawn = _draw(bank, q, index, rng)
    return drawn


def _draw(bank: Bank, q: Question, index: int, rng: random.Random) -> Drawn:
    where = f"{bank.path}: question {q.id!r}"
    name = f"q{index:02d}"
    if q.kind in ("single", "multi"):
        right = [o for o in q.options if o.correct]
        wrong = [o for o in q.options if not o.correct]
        n_right = 1 if q.kind == "single" else rng.randint(2, min(len(right), q.show - 1))
        picked = rng.sample(right, n_right) + rng.sample(wrong, q.show - n_right)
        rng.shuffle(picked)
        options = tuple(zip(LETTERS, picked))
        right_letters = [letter for letter, o in options if o.correct]
        answer: Any = right_letters[0] if q.kind == "single" else frozenset(right_letters)
        values: dict[str, Any] = {}
        return Drawn(name, q, values, render(q.prompt, values), render(q.explanation, values), options, answer, ())
    values = {k: rng.choice(pool) for k, pool in q.params.items()}
    try:
        answer = _normalize(q.kind, evaluate(q.answer, values), where)
        mistakes = tuple((_normalize(q.kind, evaluate(m.answer, values), where), m.feedback) for m in q.mistakes)
    except BankError as err:
        raise err if str(err).startswith(str(bank.path)) else BankError(f"{where}: {err}") from err
    except Exception as err:  # noqa: BLE001 - a formula that fails names its question
        raise BankError(f"{where}: the formula failed for {values}: {type(err).__name__}: {err}") from err
    values = {**values, "answer": answer}
    mistakes = tuple((v, render(text, {**values, "mistake": v})) for v, text in mistakes)
    return Drawn(name, q, values, render(q.prompt, values), render(q.explanation, values), (), answer, mistakes)


def draw(bank: Bank, seed: str = PUBLIC_SEED) -> list[Drawn]:
    """The whole quiz as the variant ``seed`` shows it."""
    if not seed:
        raise BankError("a quiz seed must not be empty")
    return [draw_question(bank, q, i, seed) for i, q in enumerate(bank.questions, 1)]


# -- checks that need the course --------------------------------------------------------------
def headings(notebook: Path) -> set[str]:
    """The text of every Markdown heading of a notebook (without the #'s)."""
    import json

    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {line.lstrip("#").strip() for c in cells if c["cell_type"] == "markdown"
            for line in "".join(c["source"]).splitlines() if line.startswith("#")}


def _combos(q: Question, limit: int = 400) -> list[dict[str, Any]]:
    names = list(q.params)
    combos = [dict(zip(names, vals)) for vals in itertools.product(*(q.params[n] for n in names))]
    if len(combos) > limit:
        combos = random.Random(0).sample(combos, limit)
    return combos


def _sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", re.sub(r"\$[^$]*\$|`[^`]*`|\d\.\d|e\.g\.|i\.e\.", "x", text)))


def problems(bank: Bank, solutions: Path) -> list[str]:
    """What is wrong with ``bank`` beyond its syntax: one line per problem (empty when all is well)."""
    out: list[str] = []
    counts = {k: sum(q.kind == k for q in bank.questions) for k in KINDS}
    out += [f"{bank.path}: no {k} question" for k, n in counts.items() if n == 0]
    for q in bank.questions:
        where = f"{bank.path}: {q.id}"
        notebook, _, heading = q.section.partition("#")
        path = solutions / bank.week / f"{notebook}.ipynb"
        if not path.exists():
            out.append(f"{where}: section names {notebook}.ipynb, which is not in solutions/{bank.week}")
        elif heading not in headings(path):
            out.append(f"{where}: {notebook}.ipynb has no heading {heading!r}")
        n = _sentences(render(q.explanation, _placeholder_values(q)))
        if not 2 <= n <= 4:
            out.append(f"{where}: the explanation has {n} sentences, not 2 to 4")
        if q.kind in ("numeric", "value"):
            if q.params and all(len(p) < 2 for p in q.params.values()):
                out.append(f"{where}: no parameter has two values: every cohort would get the same numbers")
            for values in _combos(q):
                try:
                    answer = _normalize(q.kind, evaluate(q.answer, values), where)
                    for m in q.mistakes:
                        wrong = _normalize(q.kind, evaluate(m.answer, values), where)
                        if q.kind == "numeric" and abs(wrong - answer) <= 3 * max(q.tolerance, 1e-6) + 1e-9 * abs(
                                answer) or q.kind == "value" and canonical_value(wrong) == canonical_value(answer):
                            out.append(f"{where}: the mistake {m.answer!r} equals the answer for {values}")
                            break
                except BankError as err:
                    out.append(str(err) if str(err).startswith(str(bank.path)) else f"{where}: {err} for {values}")
                    break
                except Exception as err:  # noqa: BLE001
                    out.append(f"{where}: a formula failed for {values}: {type(err).__name__}: {err}")
                    break
            try:
                draw_question(bank, q, 1, PUBLIC_SEED)
            except BankError as err:
                out.append(str(err))
        else:
            for seed in ("a", "b", "c"):
                d = draw_question(bank, q, 1, seed)
                right = [x for x in d.options if x[1].correct]
                if not right or len(right) == len(d.options):
                    out.append(f"{where}: the draw for seed {seed!r} shows no right or no wrong option")
    return out


def _placeholder_values(q: Question) -> dict[str, Any]:
    values = {k: v[0] for k, v in q.params.items()}
    if q.answer:
        try:
            values["answer"] = evaluate(q.answer, values)
        except Exception:  # noqa: BLE001 - reported by problems() itself
            values["answer"] = 0
    return values


def answers_close(kind: str, a: Any, b: Any, tolerance: float) -> bool:
    """Do two answers of a question count as the same?"""
    if kind in ("single", "multi"):
        return a == b
    if kind == "numeric":
        return close(float(a), float(b), tolerance)
    return canonical_value(a) == canonical_value(b)
