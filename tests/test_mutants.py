"""The mutation tool (dlcourse/tooling/mutants.py): its operators and its bookkeeping.

The full run over the course is a benchmark (`benchmarks/mutants.py`, in `make benchmark`), not a test.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from dlcourse.tooling import mutants as mt

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = [p for p in sorted(ROOT.glob("solutions/week*/*.ipynb")) if not p.stem.endswith("_quiz")]

CELL = '''def f(x, y, w, n, rng, axis=-1):
    """Not part of the answer: 1 + 2."""
    z = x + 1  # given code, outside the markers
    ### BEGIN SOLUTION
    a = -x + y
    b = x * y / n
    c = x @ w.T
    d = x.sum(axis=0, keepdims=True)  # a comment
    e = np.mean(x, 1)
    if n > 0:
        e += 1
    g = x[1:n]
    for i in range(n):
        a = a + i
    h = np.argmax(x, axis=axis) + x.max()
    k = rng.normal(0.0, 1, size=3)
    m = x ** 2 // 3
    if n == 2:
        raise ValueError(f"n = {n - 1}")
    return a
    ### END SOLUTION
    return z * 2
'''


def afters(operator: str, source: str = CELL) -> set[str]:
    return {m.after for m in mt.cell_mutants(source, "t-code", [operator])}


@pytest.mark.parametrize("operator, expected", [
    ("sign", {"a = x + y", "a = -x - y", "b = -(x * y / n)", "e -= 1", "a = a - i",
              "h = np.argmax(x, axis=axis) - x.max()"}),
    ("arith", {"b = x / y / n", "b = x @ y / n", "b = x * y * n", "b = x * y // n", "c = x * w.T", "m = x * 2 // 3",
               "m = x ** 2 / 3"}),
    ("axis", {"d = x.sum(axis=1, keepdims=True)", "d = x.sum(keepdims=True)", "e = np.mean(x, 0)", "e = np.mean(x)",
              "h = np.argmax(x) + x.max()", "h = np.argmax(x, axis=0) + x.max()",
              "h = np.argmax(x, axis=-1) + x.max()"}),
    ("keepdims", {"d = x.sum(axis=0)"}),
    ("drop_term", {"a = -x", "a = y", "a = a", "a = i", "h = np.argmax(x, axis=axis)", "h = x.max()"}),
    ("off_by_one", {"g = x[0:n]", "g = x[2:n]", "g = x[1:n - 1]", "g = x[1:n + 1]", "for i in range(n - 1):",
                    "for i in range(n + 1):", "for i in range(1, n):", "k = rng.normal(0.0, 0, size=3)",
                    "k = rng.normal(0.0, 2, size=3)", "size=4", "m = x ** 1 // 3", "if n > 1:", "if n == 3:"}),
    ("compare", {"if n >= 0:", "if n < 0:", "if n != 2:"}),
    ("reduce", {"d = x.mean(axis=0, keepdims=True)", "e = np.sum(x, 1)"}),
    ("argminmax", {"h = np.argmin(x, axis=axis) + x.max()"}),
    ("minmax", {"h = np.argmax(x, axis=axis) + x.min()"}),
    ("transpose", {"c = x @ w"}),
    ("float_const", {"k = rng.normal(1.0, 1, size=3)"}),
])
def test_each_operator_makes_the_expected_mutants(operator, expected):
    got = afters(operator)
    missing = {e for e in expected if not any(e == g or (e.startswith("size=") and e in g) for g in got)}
    assert not missing, f"{operator}: missing {missing}; got {sorted(got)}"


def test_dropped_statements_and_if_bodies_stay_valid_python():
    muts = mt.cell_mutants(CELL, "t-code", ["drop_stmt"])
    before = {m.before for m in muts if m.after == "pass"}
    assert {"b = x * y / n", "e += 1", "a = a + i", "e = np.mean(x, 1)"} <= before
    assert "raise ValueError(f\"n = {n - 1}\")" in before  # the body of `if n == 2:` as a whole
    for m in muts:
        compile(m.source, "<mutant>", "exec")


def test_messages_and_guards_are_not_mutated():
    muts = mt.cell_mutants(CELL, "t-code")
    assert not any("n - 1" in m.before and "raise" in m.before and m.operator != "drop_stmt" for m in muts)


def test_mutants_never_touch_code_outside_the_markers():
    lines = CELL.splitlines()
    begin = next(i for i, ln in enumerate(lines) if "BEGIN SOLUTION" in ln)
    end = next(i for i, ln in enumerate(lines) if "END SOLUTION" in ln)
    muts = mt.cell_mutants(CELL, "t-code")
    assert len(muts) > 60
    for m in muts:
        new = m.source.splitlines()
        tail = len(lines) - end
        assert new[:begin + 1] == lines[:begin + 1], m
        assert new[-tail:] == lines[-tail:], m
        assert begin < m.lineno - 1 < end


def test_no_mutant_equals_the_original_or_another():
    import ast

    src = "def f(a):\n    ### BEGIN SOLUTION\n    return a + a\n    ### END SOLUTION\n"
    muts = mt.cell_mutants(src, "t-code")
    dumps = [ast.dump(ast.parse(m.source)) for m in muts]
    assert len(set(dumps)) == len(dumps)
    assert ast.dump(ast.parse(src)) not in dumps
    assert [m.after for m in muts if m.operator == "drop_term"] == ["return a"]  # a + a -> a, once


def test_precedence_is_kept_when_a_mutant_is_written_back():
    src = "def f(a, x):\n    ### BEGIN SOLUTION\n    return a * x ** 2\n    ### END SOLUTION\n"
    assert "return a * (x * 2)" in afters("arith", src)


def test_the_survivor_key_ignores_other_lines_comments_and_position():
    keys = {m.key for m in mt.cell_mutants(CELL, "t-code")}
    edited = CELL.replace("    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    unrelated = 3 * 4\n")
    edited = edited.replace("# a comment", "# another comment")
    moved = {m.key for m in mt.cell_mutants(edited, "t-code")}
    assert keys <= moved
    assert all(m.lineno > 4 for m in mt.cell_mutants(edited, "t-code"))


def test_repeated_lines_get_distinct_keys():
    src = "def f(m):\n    ### BEGIN SOLUTION\n    m.eval()\n    m.train()\n    m.eval()\n    ### END SOLUTION\n"
    drops = [m for m in mt.cell_mutants(src, "t-code", ["drop_stmt"]) if m.before == "m.eval()"]
    assert [(m.lineno, m.occurrence) for m in drops] == [(3, 1), (5, 2)]
    assert len({m.key for m in drops}) == 2
    entry = {"grade_id": "t-code", "operator": "drop_stmt", "before": "m.eval()", "after": "pass", "reason": "r" * 30}
    assert mt.equivalents_from([entry])[0].key == drops[0].key
    assert mt.equivalents_from([{**entry, "occurrence": 2}])[0].key == drops[1].key


def test_strip_comment_keeps_hashes_in_strings():
    assert mt.strip_comment('  x = "a # b"  # note') == 'x = "a # b"'
    assert mt.strip_comment("y = f'{z}'#c") == "y = f'{z}'"


def test_unknown_operator_is_refused():
    with pytest.raises(ValueError, match="unknown mutation operators"):
        mt.cell_mutants(CELL, "t-code", ["flip"])


# Solution cells the operators cannot mutate, each with what tests it instead.
NO_MUTANTS = {
    "text-tokenize-code": "one regular expression in a string literal, which no operator changes; the hidden "
                          "tests compare with re.findall of the stated pattern on 300 random strings",
    "arch-gradnorms-code": "one comprehension (weight.grad.norm() of each nn.Conv2d) that no operator changes; "
                           "the tests set gradients by hand (biases and a linear layer must be left out) and "
                           "compare with torch.linalg.vector_norm on a nested model after a backward pass",
}


def test_every_solution_cell_of_the_course_has_mutants_that_compile():
    for path in SOLUTIONS:
        for cell in mt.notebook_cells(json.loads(path.read_text(encoding="utf-8"))):
            if cell.kind == "solution":
                muts = mt.cell_mutants(cell.source, cell.grade_id)
                assert muts or cell.grade_id in NO_MUTANTS, f"{path.name} {cell.grade_id}: no mutants"
                for m in muts:
                    compile(m.source, m.grade_id, "exec")


def test_dependencies_follow_the_notebook_tests_rule():
    sys.path.insert(0, str(ROOT / "tests"))
    from support import runner

    for path in SOLUTIONS:
        nb = runner.nbtools.read_notebook(path)
        assert mt.test_dependencies(mt.notebook_cells(json.loads(path.read_text(encoding="utf-8")))) == \
            runner.test_dependencies(nb), path.name


# ----------------------------------------------------------------------------- running and bookkeeping
def _notebook(*cells: tuple[str, str, str | None]) -> dict:
    out = []
    for kind, source, gid in cells:
        meta = {}
        if kind == "solution":
            meta = {"nbgrader": {"solution": True, "grade": False, "grade_id": gid, "locked": False}}
        elif kind == "tests":
            meta = {"nbgrader": {"solution": False, "grade": True, "grade_id": gid, "locked": True, "points": 1}}
        out.append({"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None})
    return {"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


SQUARE = _notebook(
    ("plain", "import math", None),
    ("solution", "def square(x):\n    ### BEGIN SOLUTION\n    return x ** 2\n    ### END SOLUTION\n", "sq-code"),
    ("plain", "print('a demonstration in between')", None),
    ("tests", "assert square(2) == 4", "sq"),
)
COUNT = _notebook(
    ("solution", "def count(n):\n    ### BEGIN SOLUTION\n    i = 0\n    while i < n:\n        i += 1\n"
                 "    return i\n    ### END SOLUTION\n", "count-code"),
    ("tests", "assert count(3) == 3", "count"),
)


@pytest.fixture(scope="module")
def runs():
    """Both tiny notebooks, each in a fresh process (run_notebook forks and sets the environment)."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx, max_tasks_per_child=1) as pool:
        square = pool.submit(mt.run_notebook, SQUARE, "square", None, ["arith", "off_by_one"], 20.0)
        count = pool.submit(mt.run_notebook, COUNT, "count", None, ["sign"], 1.5)
        return square.result(), count.result()


def test_a_test_that_catches_one_mutant_and_misses_another_gives_one_survivor(runs):
    square, _ = runs
    assert not square.problems, square.problems
    assert {(o.after, o.status) for o in square.outcomes} == {
        ("return x * 2", "survived"), ("return x ** 1", "killed"), ("return x ** 3", "killed")}
    killed = next(o for o in square.outcomes if o.after == "return x ** 3")
    assert killed.detail.startswith("sq: AssertionError")
    (summary,), stale = mt.summarize([square], [])
    assert (summary.mutants, summary.killed, summary.equivalent) == (3, 2, 0)
    assert [o.after for o in summary.survivors] == ["return x * 2"]
    assert summary.kill_rate == pytest.approx(2 / 3) and not stale


def test_a_hanging_mutant_is_killed_by_the_time_limit(runs):
    _, count = runs
    assert [(o.after, o.status) for o in count.outcomes] == [("i -= 1", "timeout")]
    (summary,), _ = mt.summarize([count], [])
    assert (summary.killed, summary.timeouts, summary.kill_rate) == (1, 1, 1.0)


def test_listed_equivalents_are_not_survivors_and_stale_entries_are_reported(runs):
    square, _ = runs
    listed = mt.equivalents_from([
        {"grade_id": "sq-code", "operator": "arith", "before": "return x ** 2", "after": "return x * 2",
         "reason": "only for this test"},
        {"grade_id": "sq-code", "operator": "off_by_one", "before": "return x ** 2", "after": "return x ** 3",
         "reason": "killed"},
        {"grade_id": "sq-code", "operator": "sign", "before": "return x ** 2", "after": "return -x ** 2",
         "reason": "no such mutant"},
        {"grade_id": "other-code", "operator": "sign", "before": "a", "after": "b", "reason": "not run"},
    ])
    (summary,), stale = mt.summarize([square], listed)
    assert (summary.equivalent, summary.survivors, summary.kill_rate) == (1, [], 1.0)
    assert sorted((e.after, why) for e, why in stale) == [
        ("return -x ** 2", "it matches no mutant"), ("return x ** 3", "its mutant is now killed")]


def test_the_reviewed_list_parses_and_every_entry_has_a_reason():
    tomllib = pytest.importorskip("tomllib")
    path = ROOT / "benchmarks" / "mutants_equivalent.toml"
    entries = mt.equivalents_from(tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", []))
    gids = {c.grade_id for p in SOLUTIONS for c in mt.notebook_cells(json.loads(p.read_text(encoding="utf-8")))}
    for e in entries:
        assert e.grade_id in gids, f"{e.grade_id}: no such solution cell"
        assert len(e.reason) > 20, f"{e.key}: give the reason in a sentence"
    assert len({e.key for e in entries}) == len(entries), "duplicate entries"
    with pytest.raises(ValueError, match="lacks"):
        mt.equivalents_from([{"grade_id": "x", "operator": "sign", "before": "a", "after": "b"}])
