"""The course holds: solutions run and score full marks, releases are exactly nbgrader's output,
learners' TODOs fail clearly, and the grader gives each kind of submission exactly its points."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import QUIZZES, ROOT, SOLUTIONS, SUBSET_KEYS, WEEKS, CourseRun, read_nb, rel
from support import runner

from dlcourse import course
from dlcourse.tooling import notebooks as nbtools

KEYS = [rel(p) for p in SOLUTIONS]
SOLUTION_BUDGET_S = 90  # DESIGN.md: each solution notebook in at most 90 s on 2 cores
MIN_EXERCISES_PER_WEEK = 20


def _points(nb) -> dict[str, float]:
    return nbtools.grade_cells(nb)


def _scores(run: CourseRun, variant: str, key: str) -> dict[str, float]:
    week, name = key.split("/")
    return run.grading[variant]["scores"][week]["student"][name.removesuffix(".ipynb")]


# ----------------------------------------------------------------------------- static checks
@pytest.mark.parametrize("path", SOLUTIONS, ids=KEYS)
def test_solution_notebook_has_no_outputs(path):
    nb = read_nb(path)
    kept = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not kept, f"{rel(path)}: cells {kept} keep outputs or execution counts; strip them"


def test_grade_ids_unique_and_prefixed():
    seen: dict[str, str] = {}
    for path in SOLUTIONS:
        nb = read_nb(path)
        ids = [nbtools.nbgrader_meta(c)["grade_id"] for c in nb.cells if nbtools.nbgrader_meta(c).get("grade_id")]
        prefixes = {i.split("-", 1)[0] for i in ids}
        assert len(prefixes) == 1, f"{rel(path)}: grade ids should share one notebook prefix, got {sorted(prefixes)}"
        for gid in ids:
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", gid), f"{rel(path)}: malformed grade_id {gid!r}"
            assert gid not in seen, f"grade_id {gid!r} in {rel(path)} is already used in {seen[gid]}"
            seen[gid] = rel(path)


@pytest.mark.parametrize("week", WEEKS)
def test_week_has_enough_graded_exercises(week):
    count = sum(len(_points(read_nb(p))) for p in SOLUTIONS if p.parent.name == week)
    assert count >= MIN_EXERCISES_PER_WEEK, f"{week}: {count} graded exercises, want at least {MIN_EXERCISES_PER_WEEK}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=KEYS)
def test_every_exercise_has_tests_with_hidden_part(path):
    nb = read_nb(path)
    deps = runner.test_dependencies(nb)  # raises on a test cell without a solution above it
    tested = set().union(*deps.values())
    untested = set(runner.solution_cells(nb)) - tested
    assert not untested, f"{rel(path)}: solution cells without a test cell: {sorted(untested)}"
    for c in nb.cells:
        if runner.cell_kind(c) == "tests":
            assert "### BEGIN HIDDEN TESTS" in c.source, f"{nbtools.nbgrader_meta(c)['grade_id']} has no hidden tests"


def test_badges_install_lines_and_readme_are_stamped():
    stale = course.stamp(ROOT, check=True)
    assert not stale, f"out of date (run `make release`): {stale}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=KEYS)
def test_notebook_shape(path):
    nb = read_nb(path)
    first = nb.cells[0].source
    assert first.startswith("# "), f"{rel(path)}: the first cell must start with the title"
    assert course.colab_url(f"notebooks/{rel(path)}") in first, f"{rel(path)}: no Colab badge in the title cell"
    setup = nb.cells[1].source
    assert "google.colab" in setup and course.install_url() in setup and "setup_notebook(" in setup, (
        f"{rel(path)}: the second cell must be the Colab set-up cell"
    )
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    for needed in ("learning objectives", "key takeaways", "glossary", "further reading"):
        assert needed in text, f"{rel(path)}: no '{needed}' section"
    assert re.search(r"[\uac00-\ud7a3]", text), f"{rel(path)}: the glossary has no Korean terms"


# ----------------------------------------------------------------------------- release
@pytest.mark.parametrize("key", KEYS)
def test_release_is_what_nbgrader_generates(course_run, key):
    committed = read_nb(ROOT / "notebooks" / key)
    generated = course_run.releases[key]

    def cells(nb):
        return [(c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]

    assert len(committed.cells) == len(generated.cells), f"notebooks/{key} is stale: run `make release`"
    for i, (a, b) in enumerate(zip(cells(committed), cells(generated))):
        assert a == b, f"notebooks/{key} cell {i} differs from nbgrader's output: run `make release`"


def test_release_holds_every_notebook_and_nothing_else():
    released = sorted(p.relative_to(ROOT / "notebooks").as_posix() for p in (ROOT / "notebooks").rglob("*.ipynb"))
    expected = sorted(KEYS + [rel(p) for p in QUIZZES])
    assert released == expected, "notebooks/ and solutions/ hold different notebooks: run `make release`"


@pytest.mark.parametrize("key", KEYS)
def test_release_has_no_solutions_or_hidden_tests(course_run, key):
    committed = read_nb(ROOT / "notebooks" / key)
    assert not nbtools.released_has_no_solutions(committed)
    solution = course_run.solutions[key]
    hidden = []
    for c in solution.cells:
        if runner.cell_kind(c) == "tests" and "### BEGIN HIDDEN TESTS" in c.source:
            part = c.source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            hidden += [ln.strip() for ln in part.splitlines() if len(ln.strip()) > 25]
    for c in solution.cells:
        if runner.cell_kind(c) == "solution":
            body = c.source.split("### BEGIN SOLUTION", 1)[-1].split("### END SOLUTION", 1)[0]
            lines = [ln.strip() for ln in body.splitlines()]
            hidden += [ln for ln in lines if len(ln) > 25 and not ln.startswith("#")]
    public = set()  # lines the solution notebook also shows outside its secret regions
    for c in solution.cells:
        src = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", c.source, flags=re.S)
        src = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", src, flags=re.S)
        public |= {ln.strip() for ln in src.splitlines()}
    released = {ln.strip() for c in committed.cells for ln in c.source.splitlines()}
    leaked = [ln for ln in hidden if ln in released and ln not in public]
    assert not leaked, f"notebooks/{key} contains solution or hidden-test lines: {leaked[:3]}"


# ----------------------------------------------------------------------------- execution
@pytest.mark.parametrize("key", KEYS)
def test_solution_runs_top_to_bottom(course_run, key):
    for r in course_run.solution_runs[key]:
        assert not r["errors"], f"{key} raised: {r['errors']}"
        assert r["seconds"] <= SOLUTION_BUDGET_S, f"{key} took {r['seconds']:.1f} s (budget {SOLUTION_BUDGET_S} s)"


def _text_outputs(nb) -> list[list[str]]:
    out = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        texts, stdout = [], ""
        for o in c.outputs:
            if o.get("output_type") == "stream" and o.get("name") == "stdout":
                stdout += o["text"]  # the kernel may split one print over several messages
            elif o.get("output_type") in ("execute_result", "display_data"):
                data = o.get("data", {})
                texts.append("<image>" if "image/png" in data else data.get("text/plain", ""))
        out.append([stdout, *texts])
    return out


@pytest.mark.parametrize("key", SUBSET_KEYS)  # a representative subset: see conftest.REPRESENTATIVE
def test_solution_is_deterministic(course_run, key):
    a, b = (_text_outputs(r["notebook"]) for r in course_run.solution_runs[key])
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    assert not diff, f"{key}: code cells {diff} print different text in two runs (seed them)"


@pytest.mark.parametrize("key", KEYS)
def test_release_fails_only_in_todo_cells(course_run, key):
    """Errors only where a TODO is: the learner's cells, their tests, and cells that use them."""
    run = course_run.release_runs[key]
    nb = run["notebook"]
    assert len(nb.cells) == len(course_run.solutions[key].cells)
    assert run["errors"], f"{key}: the untouched release raised no error at all: are the TODOs stubbed?"
    failed_names: set[str] = set()
    bad = []
    for i, ename, evalue in run["errors"]:
        cell = nb.cells[i]
        ok = ename == "NotImplementedError" and evalue.startswith("TODO")
        if ename == "NameError":
            m = re.search(r"name '(\w+)' is not defined", evalue)
            ok = bool(m) and m.group(1) in failed_names
        if not ok:
            bad.append(f"cell {i} ({runner.cell_kind(cell)}): {ename}: {evalue[:200]}")
        # what the cell would have defined: read it from the solution (the release has todo() there)
        failed_names |= runner.assigned_names(course_run.solutions[key].cells[i].source)
    assert not bad, f"{key}: errors that are not a TODO (or caused by one):\n" + "\n".join(bad)
    for i, cell in enumerate(nb.cells):
        if runner.cell_kind(cell) == "solution":
            errs = [e for e in run["errors"] if e[0] == i]
            body_is_stub = "todo()" in cell.source
            if body_is_stub and not cell.source.lstrip().startswith(("def ", "class ", "@")):
                assert errs, f"{key}: TODO cell {i} ran without raising"
    # Every test cell fails on the untouched release, so it scores zero there (a cell scores 0 on any
    # error): a test that passes without the learner's code cannot fail. nbgrader itself grades the
    # untouched release of the representative notebooks (test_autograde_untouched_release_gets_zero).
    errored = {e[0] for e in run["errors"]}
    passing = [nbtools.nbgrader_meta(c)["grade_id"] for i, c in enumerate(nb.cells)
               if runner.cell_kind(c) == "tests" and i not in errored]
    assert not passing, f"{key}: test cells that pass on the untouched release (they would score there): {passing}"


# ----------------------------------------------------------------------------- grading
@pytest.mark.parametrize("key", KEYS)
def test_autograde_solution_gets_full_marks(course_run, key):
    want = _points(course_run.solutions[key])
    got = _scores(course_run, "solution", key)
    wrong = {g: (got.get(g), p) for g, p in want.items() if got.get(g) != p}
    assert not wrong, f"{key}: cells below full marks (got, max): {wrong}"


@pytest.mark.parametrize("variant", ["solution", "untouched", "half"])
def test_honest_submissions_are_not_flagged(course_run, variant):
    """The grader's witness finds nothing to undo or doubt in an honest notebook (no false alarms)."""
    reports = course_run.grading[variant]["reports"]
    assert len(reports) == len(SUBSET_KEYS if variant == "untouched" else KEYS), sorted(reports)
    noisy = {k: {f: r[f] for f in ("tampered", "witness", "problems") if r.get(f)} for k, r in reports.items()}
    noisy = {k: v for k, v in noisy.items() if v}
    assert not noisy, f"{variant}: honest notebooks flagged: {noisy}"


@pytest.mark.parametrize("key", SUBSET_KEYS)  # every notebook: test_release_fails_only_in_todo_cells
def test_autograde_untouched_release_gets_zero(course_run, key):
    got = _scores(course_run, "untouched", key)
    assert set(got) == set(_points(course_run.solutions[key]))
    nonzero = {g: s for g, s in got.items() if s != 0}
    assert not nonzero, f"{key}: the untouched release scored {nonzero}"


@pytest.mark.parametrize("key", KEYS)
def test_autograde_half_solved_gets_exactly_its_points(course_run, key):
    sol = course_run.solutions[key]
    points = _points(sol)
    deps = runner.test_dependencies(sol)
    filled = course_run.half_filled[key]
    want = {g: (p if deps[g] <= filled else 0.0) for g, p in points.items()}
    got = _scores(course_run, "half", key)
    assert 0 < sum(want.values()) < sum(points.values())
    assert got == want, f"{key}: half-solved scores differ: " + str(
        {g: (got.get(g), w) for g, w in want.items() if got.get(g) != w}
    )


@pytest.mark.parametrize("key", SUBSET_KEYS)  # a representative subset: see conftest.REPRESENTATIVE
def test_autograde_restores_deleted_and_edited_test_cells(course_run, key):
    want = _points(course_run.solutions[key])
    assert _scores(course_run, "tampered", key) == want


def _own_test_cells(nb) -> dict[str, list[str]]:
    deps = runner.test_dependencies(nb)
    out: dict[str, list[str]] = {}
    for gid, need in deps.items():
        if len(need) == 1:
            out.setdefault(next(iter(need)), []).append(gid)
    return out


@pytest.mark.parametrize("key", KEYS)
def test_hard_coded_public_answers_fail_hidden_tests(course_run, key):
    """A lookup table of the public tests' answers passes them but fails every hidden test."""
    sol = course_run.solutions[key]
    wrapped = course_run.wrapped[key]
    public = course_run.cheat_public_runs[key]
    errored = {e[0] for e in public["errors"]}
    passed_public = {
        nbtools.nbgrader_meta(c)["grade_id"]
        for i, c in enumerate(public["notebook"].cells)
        if runner.cell_kind(c) == "tests" and i not in errored
    }
    got = _scores(course_run, "cheat", key)
    # The cheat must have run in the grader's kernel (not failed on an import or a missing file):
    # only then does a 0 mean that the hidden tests caught it.
    week, name = key.split("/")
    graded = read_nb(Path(course_run.grading["cheat"]["course"]) / "autograder" / "autograded" / "student" / week
                     / name)
    broken = [(nbtools.nbgrader_meta(c).get("grade_id"), o.get("ename")) for c in graded.cells
              if runner.cell_kind(c) == "solution" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not broken, f"{key}: the cheat did not run under the grader: {broken}"
    own = _own_test_cells(sol)
    covered, fooled = [], []
    for sol_id in wrapped:
        for gid in own.get(sol_id, []):
            if gid in passed_public:
                covered.append(gid)
                if got[gid] != 0:
                    fooled.append(gid)
    assert not fooled, f"{key}: hard-coding the public answers still scores in {fooled}"
    if wrapped:
        assert covered, f"{key}: no function exercise's public tests could be passed by a lookup table"
