"""dlcourse.quiz on its own: answer forms, scores, the sealed key, the sources, the generated cells.

The course's quizzes (the real sources, their notebooks, nbgrader round trips, leaks) are tested
in test_quizzes.py. These tests also run in the Colab-like environment, without nbgrader.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
from pathlib import Path

import pytest

from dlcourse.quiz import FormCheck, SelfCheck, answers, bank, build, cohort, grade, seal

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "support" / "quiz_sample.toml"


def output(fn, *args, **kw) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        fn(*args, **kw)
    return out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def sample():
    b = bank.load(SAMPLE)
    return b, {d.name: d for d in bank.draw(b)}


def self_check(b) -> SelfCheck:
    cells = build.notebook(b)["cells"]
    src = next(c["source"] for c in cells if "SelfCheck(" in c["source"] and "quiz =" in c["source"])
    return SelfCheck(src.split('SelfCheck("', 1)[1].rsplit('")', 1)[0])


# -- answers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["b", " B ", "B"])
def test_single_letter_forms(value):
    assert answers.as_letter(value, "ABCD") == "B"


@pytest.mark.parametrize("value", [{"a", "C"}, ["A", "c"], ("A", "C"), "AC", "A, C", frozenset("AC")])
def test_multi_forms(value):
    assert answers.as_letters(value, "ABCD") == frozenset("AC")


class Liar(str):
    def __eq__(self, other):  # noqa: D105 - a learner's object that equals everything
        return True

    __hash__ = str.__hash__


class FloatLiar:
    def __float__(self):
        return 650.0


@pytest.mark.parametrize("kind,value,shown", [
    ("single", Liar("Z"), "ABCD"), ("single", "E", "ABCD"), ("single", "AB", "ABCD"), ("single", 1, "ABCD"),
    ("multi", {Liar("Z")}, "ABCD"), ("multi", {"A", "Z"}, "ABCD"), ("multi", 3, "ABCD"),
    ("numeric", FloatLiar(), ""), ("numeric", True, ""), ("numeric", "650", ""), ("numeric", float("nan"), ""),
])
def test_malformed_answers_are_refused_with_a_message(kind, value, shown):
    with pytest.raises(answers.AnswerFormError, match="expected"):
        answers.check_form(kind, value, shown)


def test_numbers_accept_numpy_scalars_and_refuse_tensors_with_a_hint():
    np = pytest.importorskip("numpy")
    assert answers.as_number(np.float32(0.5)) == 0.5 and answers.as_number(np.int64(3)) == 3.0
    torch = pytest.importorskip("torch")
    with pytest.raises(answers.AnswerFormError, match=r"\.item\(\)"):
        answers.as_number(torch.tensor(0.5))


def test_value_forms():
    np = pytest.importorskip("numpy")
    assert answers.as_value([3, np.int64(7)], (0,)) == (3, 7)
    assert answers.as_value(np.zeros((3, 7)).shape, (0,)) == (3, 7)
    assert answers.as_value(4.0, 0) == 4 and answers.as_value(" Float32", "") == "float32"
    for bad, like in [((3.5, 7), (0,)), ("3,7", (0,)), (4.5, 0), (3, "")]:
        with pytest.raises(answers.AnswerFormError):
            answers.as_value(bad, like)


def test_scores():
    assert answers.score("single", "b", answer="B", points=1, shown="ABC") == 1.0
    assert answers.score("single", "C", answer="B", points=1, shown="ABC") == 0.0
    right = frozenset("AC")
    assert answers.score("multi", {"A", "C"}, answer=right, points=2, shown="ABCD") == 2.0
    assert answers.score("multi", {"A"}, answer=right, points=2, shown="ABCD") == 1.0  # half right
    assert answers.score("multi", {"A", "B"}, answer=right, points=2, shown="ABCD") == 0.0  # a wrong pick cancels
    assert answers.score("multi", {"A", "C", "B"}, answer=right, points=2, shown="ABCD") == 1.0
    assert answers.score("multi", set("ABCD"), answer=right, points=2, shown="ABCD") == 0.0  # never below 0
    assert answers.score("numeric", 0.251, answer=0.25, points=2, tolerance=0.005) == 2.0
    assert answers.score("numeric", 0.26, answer=0.25, points=2, tolerance=0.005) == 0.0
    assert answers.score("value", [64, 10], answer=(64, 10), points=1) == 1.0
    assert answers.score("value", (10, 64), answer=(64, 10), points=1) == 0.0
    for kind in answers.KINDS:
        assert answers.score(kind, None, answer="A", points=1, shown="AB") == 0.0
        assert answers.score(kind, object(), answer=(1,) if kind == "value" else "A", points=1, shown="AB") == 0.0


# -- the seal ---------------------------------------------------------------------------------
def test_seal_round_trip_and_wrong_key():
    key, other = seal.derive(b"s" * 16, "q", "opt:A"), seal.derive(b"s" * 16, "q", "opt:B")
    box = seal.seal(key, {"ok": True, "text": "héllo"})
    assert seal.unseal(key, box) == {"ok": True, "text": "héllo"}
    with pytest.raises(Exception):  # noqa: B017 - garbage bytes: not UTF-8 or not JSON
        seal.unseal(other, box)
    assert len(seal.seal(key, {"t": "x"})) == len(seal.seal(key, {"t": "x" * 100}))  # padded: sizes tell nothing
    assert seal.unpack(seal.pack({"a": [1, 2]})) == {"a": [1, 2]}


# -- sources ----------------------------------------------------------------------------------
def test_sample_bank_has_no_problems(sample):
    b, _ = sample
    assert bank.problems(b, ROOT / "solutions") == []


def _bank_text(**over: str) -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    for old, new in over.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


@pytest.mark.parametrize("old,new,message", [
    ('kind = "single"', 'kind = "essay"', "kind must be one of"),
    ('id = "xor"', 'id = "XOR gate"', "lowercase"),
    ('feedback = "AND is true in one corner only, which one line cuts off."', "", "need a feedback"),
    ("show = 3", "show = 5", "the pool needs"),
    ('answer = "d*h + h + h*k + k"', 'answer = "__import__(\'os\')"', "not a parameter|only"),
    ("points = 1", "points = 0", "points must be positive"),
    ('section = "01_tensors_and_perceptrons#2. Broadcasting"', 'section = "Broadcasting"', "section is"),
])
def test_malformed_sources_get_a_message_naming_the_question(tmp_path, old, new, message):
    path = tmp_path / "w.toml"
    path.write_text(_bank_text(**{old: new}), encoding="utf-8")
    with pytest.raises(bank.BankError, match=message) as err:
        b = bank.load(path)
        bank.draw(b)
    assert str(path) in str(err.value)


def test_problems_finds_missing_sections_equal_mistakes_and_fixed_numbers(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text(_bank_text(**{
        "#2. Broadcasting": "#2. Broadcast",
        'answer = "(n, 1)"': 'answer = "(n, m)"',
        "h = [16, 32]": "h = [16]", "d = [64, 100, 784]": "d = [64]", "k = [3, 10]": "k = [3]"}), encoding="utf-8")
    found = "\n".join(bank.problems(bank.load(path), ROOT / "solutions"))
    assert "no heading '2. Broadcast'" in found
    assert "the mistake '(n, m)' equals the answer" in found
    assert "every cohort would get the same numbers" in found


def test_formulas_and_placeholders():
    assert bank.evaluate("d*h + max(1, k)", {"d": 2, "h": 3, "k": 5}) == 11
    with pytest.raises(bank.BankError):
        bank.evaluate("open('x')", {})
    with pytest.raises(bank.BankError):
        bank.evaluate("(1).__class__", {})
    assert bank.render(r"$\frac{1}{2}$ of {{n}} is {{x:.2f}}", {"n": 4, "x": 2.0}) == r"$\frac{1}{2}$ of 4 is 2.00"
    with pytest.raises(bank.BankError, match="names no parameter"):
        bank.render("{{nope}}", {})


def test_draws_are_deterministic_and_differ_by_seed(sample):
    b, _ = sample
    assert [d.prompt for d in bank.draw(b, "s1")] == [d.prompt for d in bank.draw(b, "s1")]
    variants = {tuple((d.prompt, d.shown, tuple(o.text for _, o in d.options)) for d in bank.draw(b, s))
                for s in ("public", "s1", "s2", "s3")}
    assert len(variants) == 4
    for seed in ("public", "s1", "s2"):
        for d in bank.draw(b, seed):
            if d.options:
                right = [x for x, o in d.options if o.correct]
                assert 1 <= len(right) < len(d.options)
                assert (len(right) == 1) == (d.question.kind == "single")  # multi shows two right or more


# -- the checkers -----------------------------------------------------------------------------
def test_self_check_says_right_wrong_blank_and_malformed_on_stdout_only(sample):
    b, drawn = sample
    quiz = self_check(b)
    d1, d3, d4 = drawn["q01"], drawn["q03"], drawn["q04"]
    wrong_letter = next(x for x, o in d1.options if not o.correct)
    out, err = output(quiz.check, "q01", d1.answer.lower())
    assert out.startswith("✓ q01 is right") and d1.explanation.split()[0] in out and not err
    out, err = output(quiz.check, "q01", wrong_letter)
    feedback = dict(d1.options)[wrong_letter].feedback
    assert out.startswith(f'✗ q01: "{wrong_letter}" is not right') and feedback.split()[0] in out and not err
    assert d1.explanation.split(".")[0] not in out  # the explanation opens only with the right answer
    assert "Revisit 01_tensors_and_perceptrons" in out
    assert output(quiz.check, "q01", None)[0].startswith("· q01 is not answered yet")
    assert output(quiz.check, "q01", 3.5)[0].startswith("✗ q01: expected one letter")
    out = output(quiz.check, "q03", d3.mistakes[0][0])[0]
    assert out.startswith("✗ q03") and "weights only" in out
    assert output(quiz.check, "q03", d3.answer + 0.0)[0].startswith("✓ q03")
    assert output(quiz.check, "q04", list(d4.answer))[0].startswith("✓ q04")
    assert "stretches" in output(quiz.check, "q04", d4.mistakes[0][0])[0]


def test_self_check_partial_credit_and_summary(sample):
    b, drawn = sample
    quiz = self_check(b)
    d2 = drawn["q02"]
    wrong = next(x for x, o in d2.options if not o.correct)
    pts, lines = quiz.verdict("q02", set(d2.answer) | {wrong})
    n = len(d2.answer)
    assert pts == pytest.approx(max(0.0, 2 * (n - 1) / n)) and lines[0].startswith("✗ q02")
    ns = {"q01": drawn["q01"].answer, "q02": set(d2.answer), "q03": None, "q04": (0, 0)}
    out, err = output(quiz.summary, ns)
    assert out.startswith("Sample quiz: 3 / 6 points (2 of 4 questions fully right).") and not err
    assert "q03: 01_tensors_and_perceptrons, section 6. A hidden layer solves XOR" in out
    assert "q04: 01_tensors_and_perceptrons, section 2. Broadcasting" in out


def test_form_check_says_the_same_for_every_well_formed_answer(sample):
    b, drawn = sample
    fc = FormCheck(build.form_spec(list(drawn.values())), title="T")
    for name, d in drawn.items():
        if d.options:
            values = [x for x, _ in d.options] if d.question.kind == "single" else [
                {x} for x, _ in d.options] + [set(d.shown)]
        elif d.question.kind == "numeric":
            values = [0, 1.5, d.answer, d.answer + 1]
        else:
            values = [d.answer, (1, 2, 3), (9,)]
        outs = {output(fc.check, name, v) for v in values}
        assert len(outs) == 1, (name, outs)
        assert output(fc.check, name, None)[0].startswith(f"· {name} is not answered")
    assert output(fc.check, "q01", 7)[0].startswith("✗ q01: expected one letter")


def test_grade_prints_and_returns_capped_points():
    out, err = output(grade, "q05", {"A"}, kind="multi", answer="AC", points=2, shown="ABCD", explanation="Because.")
    assert out.startswith('q05: 1 / 2 points (partly right).\n   The answer: {"A", "C"}.') and not err
    assert grade("q01", "B", kind="single", answer="B", points=1.5, shown="AB") == 1.5
    assert grade("q01", object(), kind="single", answer="B", points=1, shown="AB") == 0.0
    assert grade("q03", float("inf"), kind="numeric", answer=3.0, points=1) == 0.0


# -- notebooks, release, cohort settings -------------------------------------------------------
def test_generated_cells(sample):
    b, drawn = sample
    nb = build.notebook(b)
    text = json.dumps(nb)
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"] if "nbgrader" in c["metadata"]]
    assert len(ids) == len(set(ids)) and all(i.startswith("quiz9-") for i in ids)
    tests = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert [c["metadata"]["nbgrader"]["points"] for c in tests] == [1, 2, 2, 1]
    assert all(c["source"].startswith(f'quiz.check("{n}", {n})') and "### BEGIN HIDDEN TESTS" in c["source"]
               for c, n in zip(tests, drawn))
    assert drawn["q01"].explanation[:30] not in text  # the public notebook keeps explanations sealed
    cohort_nb = json.dumps(build.notebook(b, "a-private-seed"))
    assert "SelfCheck(" not in cohort_nb and "FormCheck(" in cohort_nb
    assert build.dumps(nb) == build.dumps(build.notebook(b))


def test_release_preprocessor_uses_the_quiz_stub(sample):
    pytest.importorskip("nbgrader")
    import nbformat

    from dlcourse.quiz.release import ClearQuizAnswers

    b, _ = sample
    nb = nbformat.from_dict(build.notebook(b))
    pre = ClearQuizAnswers(code_stub={"python": "# YOUR CODE HERE\ntodo()"})
    cleared, _ = pre.preprocess(nb, {"language": "python"})
    answer_cells = [c for c in cleared.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert [c.source for c in answer_cells] == [
        'q01 = None  # one letter, e.g. "B"', 'q02 = None  # a set of letters, e.g. {"A", "C"}',
        "q03 = None  # a number, e.g. 0.25", "q04 = None  # a tuple of ints, e.g. (64, 10)"]
    exercise = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    exercise.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "x", "locked": False}
    assert pre.preprocess_cell(exercise, {"language": "python"}, 0)[0].source == "# YOUR CODE HERE\ntodo()"


def test_cohort_seed_is_private_and_switches_folders(tmp_path):
    grader = tmp_path / "autograder"
    grader.mkdir()
    assert cohort.directories(grader) == ("../solutions", "../notebooks") and cohort.seed(grader) is None
    path = cohort.store(grader, "correct horse")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert cohort.seed(grader) == "correct horse"
    assert cohort.directories(grader) == ("cohort/source", "cohort/release")
    for bad in ("public", "", 'a"b'):
        with pytest.raises(SystemExit):
            cohort.store(grader, bad)
    path.write_text("seed = \n")
    with pytest.raises(SystemExit, match="not readable"):
        cohort.seed(grader)


def test_cohort_prepare_copies_the_week_and_draws_its_quiz(tmp_path):
    root = tmp_path / "course"
    (root / "solutions" / "quizzes").mkdir(parents=True)
    week = root / "solutions" / "week1_ann_basics"
    week.mkdir()
    (week / "data.txt").write_text("x")
    (root / "solutions" / "quizzes" / "week1_ann_basics.toml").write_text(SAMPLE.read_text(encoding="utf-8"))
    written = cohort.prepare(root, "seed-1")
    target = root / "autograder" / "cohort" / "source" / "week1_ann_basics"
    assert written == [target / "05_quiz.ipynb"] and (target / "data.txt").read_text() == "x"
    assert "FormCheck(" in written[0].read_text()


def test_a_cohort_never_gets_the_public_answer(sample):
    b, public = sample
    for seed in ("s1", "s2", "s3", "s4", "s5", "s6"):
        for d in bank.draw(b, seed):
            p = public[d.name]
            assert not bank.answers_close(d.question.kind, d.answer, p.answer, d.question.tolerance), (seed, d.name)


def test_look_alike_types_run_no_learner_code():
    """A class that only looks like numpy's or torch's (by name and module) is refused unread."""
    calls = []

    def spy(name):
        def method(self, *a):
            calls.append(name)
            return iter((3, 7)) if name == "__iter__" else 650.0
        return method

    fakes = [type(n, (), {"__module__": m, "__float__": spy("__float__"), "__iter__": spy("__iter__"),
                          "__index__": spy("__index__"), "item": spy("item")})()
             for n, m in (("float64", "numpy"), ("Size", "torch"), ("int64", "numpy"), ("Tensor", "torch"))]
    for fake in fakes:
        for kind, like in (("numeric", None), ("value", (0,)), ("value", 0)):
            with pytest.raises(answers.AnswerFormError):
                answers.check_form(kind, fake, like=like)
        assert grade("q", fake, kind="numeric", answer=650.0, points=1) == 0.0
    assert calls == []
