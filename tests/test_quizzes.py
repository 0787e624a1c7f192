"""The weekly quizzes of the course: sources, generated notebooks, releases and grading.

One module-wide pass builds three scratch courses: the public release and two cohorts with
private seeds (``make release COHORT_SEED=...``). Each gets right, wrong, blank and half-right
quiz submissions (and the cohorts the answers of another variant); nbgrader grades them all
through the course's jailed, witnessed grader, the three courses at once.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import hashlib
import io
import json
import multiprocessing
import re
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import QUIZZES, ROOT, SOLUTIONS, read_nb, rel
from support import runner

from dlcourse.quiz import bank, build, cohort
from dlcourse.quiz.bank import Drawn
from dlcourse.tooling import notebooks as nbtools

BANKS = [bank.load(p) for p in sorted((ROOT / "solutions" / "quizzes").glob("*.toml"))]
WEEKS = [b.week for b in BANKS]
SEEDS = {"public": bank.PUBLIC_SEED, "cohort-a": "tangerine-17-otter", "cohort-b": "walrus 42 / spring"}
STUDENTS = ("right", "wrong", "blank", "half")


def _quiz_name(b: bank.Bank) -> str:
    return f"{b.notebook}.ipynb"


# -- answers a learner would give ---------------------------------------------------------------
def right_value(d: Drawn) -> Any:
    return set(d.answer) if d.question.kind == "multi" else d.answer


def wrong_value(d: Drawn) -> Any:
    kind = d.question.kind
    if kind == "single":
        return next(x for x, o in d.options if not o.correct)
    if kind == "multi":
        return {x for x, o in d.options if not o.correct}
    if kind == "numeric":
        return d.answer * 3 + 1000
    if type(d.answer) is tuple:
        return d.answer + (1,)
    return d.answer + 1 if type(d.answer) is int else "no such thing"


def half_value(d: Drawn) -> tuple[Any, float]:
    """A multiple-select answer with half of the right picks (others: blank), and its credit."""
    if d.question.kind != "multi":
        return None, 0.0
    right = sorted(d.answer)
    picks = right[: len(right) // 2]
    return set(picks), round(d.question.points * len(picks) / len(right), 4)


def fill(release: Any, drawn: list[Drawn], values: dict[str, Any]) -> Any:
    """The release with the answer cells set to ``values`` (name -> value; absent: left blank)."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for c in nb.cells:
        stub = c.metadata.get("dlcourse", {}).get("quiz_stub")
        if stub:
            name = stub.split(" = ", 1)[0]
            if name in values and values[name] is not None:
                value = values[name]
                c.source = f"{name} = {sorted(value)!r}" if isinstance(value, set) else f"{name} = {value!r}"
    return nb


# -- the module-wide pass -------------------------------------------------------------------------
@dataclass
class Variant:
    name: str
    seed: str
    course: Path
    drawn: dict[str, list[Drawn]] = field(default_factory=dict)  # week -> questions
    releases: dict[str, Any] = field(default_factory=dict)  # week -> released quiz notebook
    grading: dict[str, Any] = field(default_factory=dict)


def _make_variant(tmp: Path, name: str, seed: str) -> Variant:
    course = nbtools.make_scratch_course(ROOT, tmp / name)
    for nb in (course / "solutions").glob("week*/*.ipynb"):  # the quizzes alone: nbgrader releases them faster
        if not nb.stem.endswith("_quiz"):
            nb.unlink()
    v = Variant(name, seed, course)
    release_root = course / "notebooks"
    if seed != bank.PUBLIC_SEED:
        cohort.store(course / "autograder", seed)
        cohort.prepare(course, seed)
        release_root = course / "autograder" / "cohort" / "release"
    for b in BANKS:
        nbtools.nbgrader(course, "generate_assignment", b.week, "--force")
        v.drawn[b.week] = bank.draw(b, seed)
        v.releases[b.week] = nbtools.read_notebook(release_root / b.week / _quiz_name(b))
    return v


@pytest.fixture(scope="module")
def quizzes(tmp_path_factory) -> dict[str, Variant]:
    if not BANKS:
        pytest.fail("no quiz sources in solutions/quizzes/")
    tmp = tmp_path_factory.mktemp("quizzes")
    with ThreadPoolExecutor(max_workers=2) as threads:  # nbgrader runs in subprocesses: two at a time
        made = {name: threads.submit(_make_variant, tmp, name, seed) for name, seed in SEEDS.items()}
        variants = {name: fut.result() for name, fut in made.items()}
    for v in variants.values():
        for b in BANKS:
            drawn, release = v.drawn[b.week], v.releases[b.week]
            subs = {
                "right": {d.name: right_value(d) for d in drawn},
                "wrong": {d.name: wrong_value(d) for d in drawn},
                "blank": {},
                "half": {d.name: half_value(d)[0] for d in drawn},
            }
            other = "public" if v.name == "cohort-a" else "cohort-a" if v.name == "cohort-b" else None
            if other:  # another variant's right answers: a public key or a neighbour's answers
                subs["others"] = {d.name: right_value(d) for d in bank.draw(b, SEEDS[other])}
            for student, values in subs.items():
                nbtools.submit(v.course, student, b.week, {_quiz_name(b): fill(release, drawn, values)})
    ctx = multiprocessing.get_context("spawn")
    # One process per variant (three on CI's two cores): with two, the third variant would be graded alone at
    # the end with one core idle. nbgrader's kernels wait on each other often enough to share the cores.
    with ProcessPoolExecutor(max_workers=len(variants), mp_context=ctx) as pool:
        futures = {name: pool.submit(runner.job_autograde, str(v.course), WEEKS) for name, v in variants.items()}
        for name, fut in futures.items():
            variants[name].grading = fut.result()
    a = variants["cohort-a"]
    for week in WEEKS:
        nbtools.nbgrader(a.course, "generate_feedback", week, "--force")
    return variants


def quiz_scores(v: Variant, student: str, b: bank.Bank) -> dict[str, float]:
    return v.grading["scores"][b.week][student][b.notebook]


def autograded(v: Variant, student: str, b: bank.Bank) -> Any:
    return nbtools.read_notebook(v.course / "autograder" / "autograded" / student / b.week / _quiz_name(b))


# -- sources and generated files -----------------------------------------------------------------
@pytest.mark.parametrize("b", BANKS, ids=WEEKS)
def test_source_is_complete_and_correct(b):
    assert bank.problems(b, ROOT / "solutions") == []
    kinds = {k: sum(q.kind == k for q in b.questions) for k in ("single", "multi", "numeric", "value")}
    assert len(b.questions) >= 12 and all(kinds.values()), kinds
    assert b.week in {p.parent.name for p in SOLUTIONS}
    notebooks = {p.stem for p in SOLUTIONS if p.parent.name == b.week}
    assert b.notebook > max(notebooks), "the quiz ends the week: its number comes after the notebooks'"
    assert {q.section.split("#")[0] for q in b.questions} == notebooks, "every notebook of the week is asked about"


def test_every_week_has_a_quiz_and_generated_notebooks_are_fresh():
    assert sorted(WEEKS) == sorted({p.parent.name for p in SOLUTIONS}), "every week ends with a quiz"
    for b in BANKS:
        path = build.quiz_path(ROOT / "solutions", b)
        assert path.exists() and path.read_text(encoding="utf-8") == build.dumps(build.notebook(b)), (
            f"{rel(path)} is stale: run `make release` (it is generated from {b.path.relative_to(ROOT)})")
    assert sorted(rel(p) for p in QUIZZES) == sorted(f"{b.week}/{_quiz_name(b)}" for b in BANKS)


def test_grade_ids_are_unique_course_wide():
    seen: dict[str, str] = {}
    for path in SOLUTIONS + QUIZZES:
        for gid in nbtools.grade_cells(read_nb(path)):
            assert gid not in seen, f"{gid} in {rel(path)} and {seen[gid]}"
            seen[gid] = rel(path)


def test_public_release_is_what_nbgrader_generates(quizzes):
    for b in BANKS:
        committed = read_nb(ROOT / "notebooks" / b.week / _quiz_name(b))
        generated = quizzes["public"].releases[b.week]
        def cells(nb):
            return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]

        assert cells(committed) == cells(generated), f"notebooks/{b.week}: run `make release`"


# -- what a release lets anyone read -------------------------------------------------------------
def _texts(d: Drawn) -> list[str]:
    """Explanation and feedback texts of a question: none may be readable in a release."""
    out = [d.explanation] + [o.feedback for _, o in d.options if o.feedback] + [t for _, t in d.mistakes]
    return [t for t in out if len(t) >= 24]


def _answer_forms(d: Drawn) -> list[str]:
    """The right answer as code or data would carry it (searched outside the question's prompt)."""
    a, n = d.answer, d.name
    if d.question.kind == "single":
        return [f'{n} = "{a}"', f"{n} = '{a}'", f'answer="{a}"', f"answer='{a}'", f"opt:{a}", f'"{n}": "{a}"']
    if d.question.kind == "multi":
        s = sorted(a)
        return [",".join(s), ", ".join(s), "".join(s) + '"', "{" + ", ".join(f'"{x}"' for x in s) + "}",
                "{" + ", ".join(f"'{x}'" for x in s) + "}", str(s), f"set:{','.join(s)}"]
    if d.question.kind == "numeric":
        forms = {repr(float(a)), f"{a:.2f}", f"{a:.3f}", f"{a:.4f}", f"{a:.6g}"}
        if float(a).is_integer():
            forms.add(str(int(a)))
        return sorted(forms)
    return [repr(a), str(a), str(list(a)) if type(a) is tuple else repr(a)]


def _digests(d: Drawn) -> list[str]:
    canon = {str(d.answer), repr(d.answer), "".join(sorted(d.answer)) if d.question.kind == "multi" else ""}
    return [getattr(hashlib, h)(c.encode()).hexdigest() for c in canon if c for h in ("md5", "sha1", "sha256")]


def _encodings(s: str) -> list[str]:
    """``s`` base64-encoded at each alignment (as it would sit inside a longer blob), hex, rot13."""
    data = s.encode()
    out = [data.hex(), codecs.encode(s, "rot13")]
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + data).decode()
        out.append(enc[(4 * k + 2) // 3 + 1: -4])
    return [x for x in out if len(x) >= 8]


def _decoded(text: str) -> str:
    """Every base64 or hex token of ``text`` decoded (and inflated when it is zlib data)."""
    found = []
    for token in re.findall(r"[A-Za-z0-9+/=_-]{16,}", text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode, bytes.fromhex):
            try:
                raw = decode(token + "=" * (-len(token) % 4)) if decode is not bytes.fromhex else decode(token)
            except ValueError:
                continue
            for data in (raw,):
                with contextlib.suppress(zlib.error):
                    data = zlib.decompress(raw)
                found.append(data.decode("utf-8", "replace"))
    return "\n".join(found)


def _searchable(nb: Any, drawn: list[Drawn]) -> tuple[str, str]:
    """(everything but the question prompts, everything): what a release holds, as text."""
    prompts = {build._question_markdown(d, i) for i, d in enumerate(drawn, 1)}
    rest = [c for c in nb.cells if not (c.cell_type == "markdown" and c.source in prompts)]
    assert len(nb.cells) - len(rest) == len(drawn), "every question's Markdown is exactly its generated prompt"
    text = json.dumps({"cells": rest, "metadata": nb.metadata}, ensure_ascii=False)
    whole = nbformat.writes(nb)
    return text + "\n" + _decoded(text), whole + "\n" + _decoded(whole)


def _form_pattern(form: str) -> str:
    """A regex for an answer form in a release's text. A number must stand alone; the letters of a multiple
    select followed by a quote ('CD"') must not continue a base64 string: a sealed explanation can end in
    "...BCD" by chance."""
    if form[:1].isdigit():
        return rf"(?<![\w.]){re.escape(form)}(?![\w])"
    if re.fullmatch(r'[A-Z]+"', form):
        return rf"(?<![A-Za-z0-9+/]){re.escape(form)}"
    return re.escape(form)


def _leaks(nb: Any, drawn: list[Drawn], key_sealed: bool) -> list[str]:
    code, whole = _searchable(nb, drawn)
    found = []
    for d in drawn:
        for t in _texts(d):
            for needle in [t[:40], t[-40:]] + _encodings(t[:40]):
                if needle in whole:
                    found.append(f"{d.name}: text {t[:40]!r} as {needle[:30]!r}")
        if key_sealed:
            continue
        for form in _answer_forms(d) + _digests(d):
            if re.fullmatch(r"-?[\d.]{1,4}", form):
                continue  # too short to tell from a point count: test_cohort_releases_differ_only_in_prompts
            if re.search(_form_pattern(form), code):
                found.append(f"{d.name}: answer form {form!r}")
        for form in _answer_forms(d):
            if any(e in whole for e in _encodings(form) if len(form) >= 6):
                found.append(f"{d.name}: an encoding of {form!r}")
    return found


@pytest.mark.parametrize("variant", ["cohort-a", "cohort-b"])
def test_cohort_release_carries_no_answer_and_no_explanation(quizzes, variant):
    v = quizzes[variant]
    for b in BANKS:
        nb = v.releases[b.week]
        assert not nbtools.released_has_no_solutions(nb)
        assert "SelfCheck" not in nbformat.writes(nb)
        assert _leaks(nb, v.drawn[b.week], key_sealed=False) == []


def test_cohort_releases_differ_only_in_their_prompts(quizzes):
    """Outside the questions' Markdown, two cohorts' releases are the same: nothing there depends on an answer."""
    for b in BANKS:
        parts = []
        for name in ("cohort-a", "cohort-b"):
            v = quizzes[name]
            prompts = {build._question_markdown(d, i) for i, d in enumerate(v.drawn[b.week], 1)}
            parts.append([(c.cell_type, c.source, json.dumps(c.metadata, sort_keys=True))
                          for c in v.releases[b.week].cells if not (c.cell_type == "markdown" and c.source in prompts)])
        assert parts[0] == parts[1]
        a, bb = ([d.prompt for d in quizzes[n].drawn[b.week]] for n in ("cohort-a", "cohort-b"))
        assert a != bb


def test_public_release_shows_no_answer_or_explanation_in_plain_sight(quizzes):
    v = quizzes["public"]
    for b in BANKS:
        nb = v.releases[b.week]
        assert _leaks(nb, v.drawn[b.week], key_sealed=True) == []
        code, _ = _searchable(nb, v.drawn[b.week])
        for d in v.drawn[b.week]:  # the answer-specific forms code would use (not bare numbers: prompts hold some)
            forms = [f for f in _answer_forms(d) if not f[:1].isdigit() and not f.startswith("-")]
            # the letters shown ("shown": "ABCDE" in the quiz's metadata) are no answer, though four right
            # options out of five give the answer "BCDE"
            bare = re.sub(r'(shown\\*"?\s*[:=]\s*\\*")[A-Z]+', r"\1", code)
            assert not [f for f in forms + _digests(d) if re.search(_form_pattern(f), bare)], d.name


@pytest.mark.parametrize("variant", ["public", "cohort-a"])
def test_release_checksums_cover_only_what_the_release_shows(quizzes, variant):
    """nbgrader's checksums in a release must not be computed over hidden tests (an md5 oracle)."""
    from nbgrader.utils import compute_checksum

    for b in BANKS:
        for c in quizzes[variant].releases[b.week].cells:
            meta = c.metadata.get("nbgrader", {})
            if "checksum" in meta:
                assert meta["checksum"] == compute_checksum(c), meta["grade_id"]


def _candidates(d: Drawn) -> list[Any]:
    kind = d.question.kind
    if kind == "single":
        return [x for x in d.shown] + [x.lower() for x in d.shown]
    if kind == "multi":
        letters = list(d.shown)
        return [{x} for x in letters] + [{x, y} for x in letters for y in letters if x < y] + [set(letters)]
    return [right_value(d), wrong_value(d), *(m for m, _ in d.mistakes)] + ([0, 1.5, -2] if kind == "numeric" else [])


def _run(source: str, ns: dict) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - the release's own cells
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("variant", ["cohort-a", "cohort-b"])
def test_cohort_release_is_no_oracle(quizzes, variant):
    """Every well-formed answer to a question gets the very same output from its check cell."""
    v = quizzes[variant]
    for b in BANKS:
        nb, drawn = v.releases[b.week], v.drawn[b.week]
        ns: dict[str, Any] = {}
        code = [c for c in nb.cells if c.cell_type == "code"]
        for c in code[:2]:  # set-up and checker
            _run(c.source, ns)
        checks = {c.source.split('"')[1]: c.source for c in code if c.source.startswith("quiz.check(")}
        for d in drawn:
            outputs = set()
            for value in _candidates(d):
                ns[d.name] = value
                outputs.add(_run(checks[d.name], ns))
            assert len(outputs) == 1, f"{b.week} {d.name}: the check's output depends on the answer: {outputs}"
            out, err = outputs.pop()
            assert out.startswith(f"✓ {d.name} has the right form") and not err
        summary = code[-1].source
        ns.update({d.name: right_value(d) for d in drawn})
        all_right = _run(summary, ns)
        ns.update({d.name: wrong_value(d) for d in drawn})
        assert _run(summary, ns) == all_right


# -- grading ----------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", list(SEEDS))
def test_right_answers_get_full_marks_wrong_and_blank_get_zero(quizzes, variant):
    v = quizzes[variant]
    for b in BANKS:
        points = {f"{b.prefix}-{q.id}": q.points for q in b.questions}
        assert quiz_scores(v, "right", b) == points, f"{variant} {b.week}"
        assert quiz_scores(v, "wrong", b) == dict.fromkeys(points, 0.0)
        assert quiz_scores(v, "blank", b) == dict.fromkeys(points, 0.0)


@pytest.mark.parametrize("variant", list(SEEDS))
def test_half_right_multiple_select_gets_its_partial_credit(quizzes, variant):
    v = quizzes[variant]
    for b in BANKS:
        expected = {f"{b.prefix}-{d.question.id}": half_value(d)[1] for d in v.drawn[b.week]}
        assert any(0 < x < pts for x, pts in zip(expected.values(), [q.points for q in b.questions]))
        assert quiz_scores(v, "half", b) == pytest.approx(expected), f"{variant} {b.week}"


def test_cohort_quizzes_differ_and_another_variants_key_does_not_answer_them(quizzes):
    for b in BANKS:
        total = b.points
        pub, a, bb = (quizzes[n].drawn[b.week] for n in ("public", "cohort-a", "cohort-b"))
        for x, y, share in ((pub, a, 1.0), (pub, bb, 1.0), (a, bb, 0.5)):  # cohorts avoid the public numbers
            templated = [(p, q) for p, q in zip(x, y) if p.question.params]
            assert sum(p.prompt != q.prompt for p, q in templated) >= share * len(templated), "numbers differ by seed"
            assert sum(p.options != q.options for p, q in zip(x, y) if p.options) >= 1, "options differ by seed"
        public_key = quiz_scores(quizzes["cohort-a"], "others", b)
        points = {f"{b.prefix}-{q.id}": q.points for q in b.questions}
        assert all(public_key[g] < points[g] for g in points), f"the public answer is right in cohort a: {public_key}"
        assert sum(public_key.values()) <= 0.2 * total, public_key  # only overlapping multiple-select picks
        got = sum(quiz_scores(quizzes["cohort-b"], "others", b).values())
        assert got < 0.6 * total, f"{b.week}: cohort a's answers score {got} / {total} in cohort b"


@pytest.mark.parametrize("variant", list(SEEDS))
def test_nothing_the_quiz_runs_writes_to_stderr_or_fails(quizzes, variant):
    v = quizzes[variant]
    for b in BANKS:
        for student in STUDENTS:
            for c in autograded(v, student, b).cells:
                for out in c.get("outputs", []):
                    assert out.get("name") != "stderr", (variant, student, c.source[:60], out.get("text"))
                    assert out.get("output_type") != "error", (variant, student, c.source[:60], out.get("evalue"))


def test_cohort_feedback_explains_each_question_without_hidden_code(quizzes):
    v = quizzes["cohort-a"]
    for b in BANKS:
        html = (v.course / "autograder" / "feedback" / "wrong" / b.week / f"{b.notebook}.html").read_text()
        for d in v.drawn[b.week]:
            words = re.sub(r"\s+", " ", d.explanation).split(" ")[:6]
            assert all(w.split("(")[0].replace("&", "").replace("<", "") in html for w in words[:3]), (d.name, words)
        assert "_grade(" not in html and "BEGIN HIDDEN TESTS" not in html
        assert "The answer:" in html


def test_quiz_points_count_in_the_week(quizzes):
    v = quizzes["public"]
    for b in BANKS:
        scores = v.grading["scores"][b.week]["right"]
        assert sum(scores[b.notebook].values()) == b.points
        assert set(scores) >= {b.notebook}
