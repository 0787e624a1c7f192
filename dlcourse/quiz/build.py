"""Quiz notebooks generated from their source: the public one and a cohort's.

``public_notebook`` writes ``solutions/<week>/<NN>_quiz.ipynb`` for the seed ``"public"``: the
instructor's source of the public quiz (answers in solution cells, their grading in hidden tests,
the sealed self-check key in a locked cell); ``make release`` turns it into the learners' notebook
like every other. ``cohort_notebook`` makes the same quiz for an instructor's private seed: other
numbers, other options in another order, a form check instead of the key, and the explanations
in the hidden tests, so the feedback shows them after grading.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from dlcourse import course
from dlcourse.quiz import seal
from dlcourse.quiz.answers import canonical_value
from dlcourse.quiz.bank import PUBLIC_SEED, Bank, Drawn, draw

KIND_LABEL = {"single": "single choice", "multi": "multiple select", "numeric": "a number", "value": "a value"}
STUB_HINT = {
    "single": '# one letter, e.g. "B"',
    "multi": '# a set of letters, e.g. {"A", "C"}',
    "numeric": "# a number, e.g. 0.25",
}


def _like(d: Drawn) -> str:
    return {tuple: "tuple", int: "int", str: "str"}[type(d.answer)]


def _stub(d: Drawn) -> str:
    if d.question.kind == "value":
        hint = {"tuple": "# a tuple of ints, e.g. (64, 10)", "int": "# a whole number, e.g. 3",
                "str": '# a string, e.g. "float32"'}[_like(d)]
    else:
        hint = STUB_HINT[d.question.kind]
    return f"{d.name} = None  {hint}"


def _points(x: float) -> str:
    return f"{x:g} point" + ("" if x == 1 else "s")


def _salt(seed: str, bank: Bank) -> bytes:
    return hashlib.sha256(f"salt\0{seed}\0{bank.prefix}".encode()).digest()[:16]


def _step(tolerance: float) -> float:
    return tolerance if tolerance > 0 else 1e-6


def sealed_key(bank: Bank, drawn: list[Drawn], seed: str) -> str:
    """The public quiz's key: every answer's feedback sealed under that answer."""
    salt = _salt(seed, bank)
    questions = []
    for d in drawn:
        q = d.question
        entries: dict[str, str] = {}

        def put(canonical: str, payload: dict[str, Any], qid: str = q.id, entries: dict[str, str] = entries) -> None:
            key = seal.derive(salt, qid, canonical)
            entries[seal.tag(key)] = seal.seal(key, payload)

        meta: dict[str, Any] = {"name": d.name, "id": q.id, "kind": q.kind, "points": q.points,
                                "section": q.section}
        if q.kind == "single":
            meta["shown"] = d.shown
            for letter, opt in d.options:
                put(f"opt:{letter}", {"ok": opt.correct, "text": d.explanation if opt.correct else opt.feedback})
        elif q.kind == "multi":
            meta["shown"] = d.shown
            for letter, opt in d.options:  # each pick also learns how many options are right
                put(f"opt:{letter}", {"ok": opt.correct, "text": opt.feedback, "n": len(d.answer)})
            put("set:" + ",".join(sorted(d.answer)), {"ok": True, "text": d.explanation})
        elif q.kind == "numeric":
            step = _step(q.tolerance)
            meta.update(step=step, tolerance=q.tolerance)
            for value, ok, text in [(d.answer, True, d.explanation)] + [(v, False, t) for v, t in d.mistakes]:
                put(f"num:{round(value / step)}", {"ok": ok, "x": value, "text": text})
        else:
            meta["like"] = _like(d)
            for value, ok, text in [(d.answer, True, d.explanation)] + [(v, False, t) for v, t in d.mistakes]:
                put("val:" + canonical_value(value), {"ok": ok, "text": text})
        meta["entries"] = dict(sorted(entries.items()))
        questions.append(meta)
    return seal.pack({"v": 1, "title": bank.title, "salt": salt.hex(), "questions": questions})


def form_spec(drawn: list[Drawn]) -> dict[str, dict[str, Any]]:
    """What a cohort's form check knows of each question: its kind, letters, answer type, points."""
    spec: dict[str, dict[str, Any]] = {}
    for d in drawn:
        s: dict[str, Any] = {"kind": d.question.kind, "points": d.question.points}
        if d.question.kind in ("single", "multi"):
            s["shown"] = d.shown
        if d.question.kind == "value":
            s["like"] = _like(d)
        spec[d.name] = s
    return spec


# -- cells --------------------------------------------------------------------------------------
def _nbg(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
         points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = int(points) if float(points).is_integer() else points
    return {"nbgrader": meta}


def _cell(kind: str, cid: str, source: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "id": cid, "metadata": metadata or {},
                            "source": source.strip("\n")}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _question_markdown(d: Drawn, index: int) -> str:
    q = d.question
    lines = [f"### Question {index} · {KIND_LABEL[q.kind]} · {_points(q.points)}", "", d.prompt, ""]
    if d.options:
        lines += [f"- **{letter}.** {' '.join(opt.text.split())}" for letter, opt in d.options] + [""]
    form = _stub(d).split("# ", 1)[1]
    lines.append(f"Set `{d.name}` to {_code_example(form)}.")
    if q.kind == "multi":
        lines.append("Each right pick earns its share of the points, each wrong pick takes one share away, "
                     "and the total never drops below 0.")
    return "\n".join(lines)


def _code_example(form: str) -> str:
    """'one letter, e.g. "B"' -> 'one letter, e.g. `"B"`' (the example as code)."""
    text, _, example = form.partition(", e.g. ")
    return f"{text}, e.g. `{example}`" if example else text


def _literal(value: Any) -> str:
    if type(value) is float and value.is_integer():
        return repr(int(value))
    if isinstance(value, frozenset):
        return "{" + ", ".join(f'"{x}"' for x in sorted(value)) + "}"
    if type(value) is str:
        return f'"{value}"'
    return repr(value)


def _hidden(d: Drawn, cohort: bool) -> str:
    q = d.question
    args = [f'"{d.name}"', d.name, f'kind="{q.kind}"']
    answer = "".join(sorted(d.answer)) if q.kind == "multi" else d.answer
    args.append(f"answer={_literal(answer)}")
    args.append(f"points={_literal(q.points)}")
    if q.kind in ("single", "multi"):
        args.append(f'shown="{d.shown}"')
    if q.kind == "numeric":
        args.append(f"tolerance={_literal(q.tolerance)}")
    if cohort:
        args.append(f"explanation={d.explanation!r}")
    return ("### BEGIN HIDDEN TESTS\nfrom dlcourse.quiz import grade as _grade\n\n"
            f"_grade({', '.join(args)})\n### END HIDDEN TESTS")


def _intro(bank: Bank, drawn: list[Drawn], release_path: str, cohort: bool) -> str:
    objectives = sorted({d.question.section.split("#")[0] for d in drawn})
    kinds = {k: sum(d.question.kind == k for d in drawn) for k in KIND_LABEL}
    how = (
        "**How it works.** Each question sets a variable in its own cell (`q01`, `q02`, ...). Run the "
        "**check cell** under it: it prints ✓ or ✗ at once, with an explanation when you are right and, "
        "for a wrong choice, why that choice is tempting and where it goes wrong. A blank or wrong answer "
        "never stops *Run all*. The last cell prints your score and the sections to revisit. Widgets do "
        "not count here: only the variables are saved with the notebook and graded."
        if not cohort else
        "**How it works.** This is your cohort's version of the quiz. Each question sets a variable in its "
        "own cell (`q01`, `q02`, ...). The **check cell** under it says whether the answer has the right "
        "form; it does not say whether it is right. Your answers are graded after you submit, and your "
        "feedback explains every question. A blank answer never stops *Run all*."
    )
    return "\n".join([
        f"# {bank.title}",
        course.colab_badge(release_path),
        "",
        f"**What it checks.** The ideas of this week's notebooks ({', '.join(objectives)}), "
        "asked so that you have to use them: predict a shape, count, compute, or say what changes.",
        "",
        f"**Time:** about {bank.minutes} minutes. **Prerequisites:** the week's notebooks. "
        f"**Points:** {bank.points:g} in {len(drawn)} questions ({kinds['single']} single choice, "
        f"{kinds['multi']} multiple select with partial credit, {kinds['numeric']} numbers, "
        f"{kinds['value']} values).",
        "",
        how,
    ])


def _setup(checker: str) -> str:
    return "\n".join([
        "# Setup: run this cell first. In Colab it installs the course package; elsewhere it only imports.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    import subprocess",
        "",
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{course.install_url()}"], check=True)',
        "",
        f"from dlcourse.quiz import {checker}",
    ])


def notebook(bank: Bank, seed: str = PUBLIC_SEED) -> dict[str, Any]:
    """The quiz of variant ``seed`` as an instructor's source notebook (a dict in nbformat 4.5)."""
    cohort = seed != PUBLIC_SEED
    drawn = draw(bank, seed)
    release_path = f"notebooks/{bank.week}/{bank.notebook}.ipynb"
    p = bank.prefix
    cells = [_cell("markdown", f"{p}-title", _intro(bank, drawn, release_path, cohort)),
             _cell("code", f"{p}-setup", _setup("FormCheck" if cohort else "SelfCheck"))]
    if cohort:
        checker = (f"# Your cohort's quiz carries no answers: this only checks each answer's form.\n"
                   f"quiz = FormCheck({json.dumps(form_spec(drawn), sort_keys=True)}, title={bank.title!r})")
    else:
        checker = ("# The quiz's key, sealed: each answer opens only its own feedback.\n"
                   f'quiz = SelfCheck("{sealed_key(bank, drawn, seed)}")')
    cells.append(_cell("code", f"{p}-checker", checker, _nbg(f"{p}-checker", locked=True)))
    for i, d in enumerate(drawn, 1):
        gid = f"{p}-{d.question.id}"
        cells.append(_cell("markdown", f"{gid}-q", _question_markdown(d, i)))
        answer = _literal(d.answer)
        meta = _nbg(f"{gid}-answer", solution=True)
        meta["dlcourse"] = {"quiz_stub": _stub(d)}
        cells.append(_cell("code", f"{gid}-answer",
                           f"### BEGIN SOLUTION\n{d.name} = {answer}\n### END SOLUTION", meta))
        cells.append(_cell("code", gid, f'quiz.check("{d.name}", {d.name})\n{_hidden(d, cohort)}',
                           _nbg(gid, grade=True, locked=True, points=d.question.points)))
    cells.append(_cell("markdown", f"{p}-summary-title", "## Your score\n\nRun this last: it checks every answer "
                       "above again, even after a restart."))
    cells.append(_cell("code", f"{p}-summary", "quiz.summary(globals())"))
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def dumps(nb: dict[str, Any]) -> str:
    """A notebook as nbformat writes it (what is committed)."""
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def quiz_path(solutions: Path, bank: Bank) -> Path:
    return solutions / bank.week / f"{bank.notebook}.ipynb"
