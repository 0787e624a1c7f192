"""Mutation testing: apply plausible learner bugs to every solution and list the ones the tests miss.

    .venv/bin/python benchmarks/mutants.py [--notebook week2_optimizers/05_batchnorm_and_regularization]
        [--grade-id reg-train-early-stopping] [--operator sign] [--workers 2] [--timeout 60]

Each mutant is one change between the solution markers of one solution cell (a sign flip, a
swapped operator, a wrong axis, a dropped keepdims / term / statement, an off-by-one, a wrong
comparison, mean for sum, argmax for argmin, max for min, a dropped transpose, 0.0 for 1.0; see
``dlcourse.tooling.mutants.OPERATORS``). It is killed when a test cell that grades the exercise
fails, as under nbgrader's autograde (hidden tests included); a mutant still running after
--timeout seconds counts as killed (a grader would time it out) and is listed as a timeout.

Prints one line per notebook (mutants, killed, timeouts, listed equivalent, survivors, kill rate =
killed / (mutants - equivalent)), then every survivor and every stale entry of the reviewed list
``benchmarks/mutants_equivalent.toml``, and the wall time. A full run also writes the table to
``benchmarks/reports/mutants.md``. Exits 1 when a survivor is not in the reviewed list (or a
notebook fails by itself), so the bar "no unlisted survivor" can gate a release.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

# One thread per library in every worker, set before numpy or torch is imported anywhere.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["MPLBACKEND"] = "Agg"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlcourse.tooling import mutants  # noqa: E402
from dlcourse.tooling import notebooks as nbtools  # noqa: E402

EQUIVALENTS = ROOT / "benchmarks" / "mutants_equivalent.toml"
REPORT = ROOT / "benchmarks" / "reports" / "mutants.md"


def load_equivalents(path: Path) -> list[mutants.Equivalent]:
    """The reviewed list: ``[[equivalent]]`` tables with grade_id, operator, before, after, reason."""
    if not path.exists():
        return []
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            sys.exit(f"reading {path} needs Python >= 3.11 or the tomli package (pip install tomli)")
    with path.open("rb") as f:
        data = tomllib.load(f)
    return mutants.equivalents_from(data.get("equivalent", []))


def find_notebooks(patterns: list[str] | None) -> list[Path]:
    every = nbtools.exercise_notebooks(ROOT)  # quizzes: generated exact checks, tested in test_quizzes.py
    if not patterns:
        return every
    chosen = []
    for pattern in patterns:
        stem = pattern.removeprefix("solutions/").removesuffix(".ipynb")
        hits = [p for p in every if f"{p.parent.name}/{p.stem}".startswith(stem) or p.stem.startswith(stem)]
        if not hits:
            sys.exit(f"no solution notebook matches {pattern!r}")
        chosen += [p for p in hits if p not in chosen]
    return chosen


def _fmt_rate(s: mutants.Summary) -> str:
    return f"{100 * s.kill_rate:.1f} %"


def table(summaries: list[mutants.Summary]) -> list[str]:
    rows = ["| notebook | mutants | killed | of which timeouts | equivalent (listed) | survivors | kill rate |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for s in summaries:
        rows.append(f"| {s.name} | {s.mutants} | {s.killed} | {s.timeouts} | {s.equivalent} | {len(s.survivors)} "
                    f"| {_fmt_rate(s)} |")
    total = mutants.Summary("all", sum(s.mutants for s in summaries), sum(s.killed for s in summaries),
                            sum(s.timeouts for s in summaries), sum(s.equivalent for s in summaries),
                            [o for s in summaries for o in s.survivors])
    rows.append(f"| **all** | {total.mutants} | {total.killed} | {total.timeouts} | {total.equivalent} "
                f"| {len(total.survivors)} | {_fmt_rate(total)} |")
    return rows


def survivor_line(name: str, o: mutants.Outcome) -> str:
    nth = f" (occurrence {o.occurrence} of this line)" if o.occurrence > 1 else ""
    return f"{name} {o.grade_id} [{o.operator}] line {o.lineno}{nth}: {o.before}  ->  {o.after}"


def toml_stub(o: mutants.Outcome) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    nth = f"occurrence = {o.occurrence}\n" if o.occurrence > 1 else ""
    return (f"[[equivalent]]\ngrade_id = {q(o.grade_id)}\noperator = {q(o.operator)}\nbefore = {q(o.before)}\n"
            f"after = {q(o.after)}\n{nth}reason = \"\"\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebook", action="append", help="e.g. week2_optimizers/05_batchnorm (repeatable)")
    parser.add_argument("--grade-id", action="append", help="a solution cell's grade_id, with or without -code")
    parser.add_argument("--operator", action="append", choices=sorted(mutants.OPERATORS))
    parser.add_argument("--workers", type=int, default=2, help="notebooks mutated at once (default 2)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a mutant may run (default 60)")
    parser.add_argument("--equivalents", type=Path, default=EQUIVALENTS)
    parser.add_argument("--report", type=Path, default=None,
                        help=f"markdown table to write (default {REPORT.relative_to(ROOT)} on a full run only)")
    parser.add_argument("--toml", action="store_true", help="print unlisted survivors as stubs for the list")
    parser.add_argument("--killed", action="store_true", help="also print every killed mutant and what killed it")
    args = parser.parse_args()

    equivalents = load_equivalents(args.equivalents)
    notebooks = find_notebooks(args.notebook)
    full_run = not (args.notebook or args.grade_id or args.operator)
    report = args.report or (REPORT if full_run else None)
    # Biggest first, so that two workers finish together.
    sizes = {p: sum(len(mutants.cell_mutants(c.source, c.grade_id or "", args.operator))
                    for c in mutants.notebook_cells(json.loads(p.read_text(encoding="utf-8")))
                    if c.kind == "solution") for p in notebooks}
    order = sorted(notebooks, key=lambda p: -sizes[p])
    start = time.perf_counter()
    results: dict[Path, mutants.NotebookResult] = {}
    print(f"mutating {len(notebooks)} notebook(s), {sum(sizes.values())} mutants, {args.workers} worker(s), "
          f"timeout {args.timeout:g} s", flush=True)
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=get_context("spawn"), max_tasks_per_child=1) as pool:
        futures = {pool.submit(mutants.run_notebook, str(p), None, args.grade_id, args.operator, args.timeout): p
                   for p in order}
        for fut, p in futures.items():
            results[p] = fut.result()
            r = results[p]
            print(f"  {r.name}: {len(r.outcomes)} mutants in {r.seconds:.0f} s", flush=True)
    wall = time.perf_counter() - start
    ordered = [results[p] for p in notebooks]
    summaries, stale = mutants.summarize(ordered, equivalents)

    lines = table(summaries)
    print()
    print("\n".join(lines))
    survivors = list(mutants.iter_survivors(summaries))
    timeouts = [(r.name, o) for r in ordered for o in r.outcomes if o.status in ("timeout", "crashed")]
    problems = [(r.name, p) for r in ordered for p in r.problems]
    if survivors:
        print(f"\n{len(survivors)} survivor(s) not in {args.equivalents.name}:")
        for name, o in survivors:
            print("  " + survivor_line(name, o))
    if timeouts:
        print(f"\n{len(timeouts)} mutant(s) killed by the time limit or a crash (counted as killed):")
        for name, o in timeouts:
            print(f"  {survivor_line(name, o)}  ({o.status}: {o.detail})")
    if stale:
        print(f"\n{len(stale)} stale entr{'y' if len(stale) == 1 else 'ies'} in {args.equivalents.name}:")
        for e, why in stale:
            nth = f" (occurrence {e.occurrence})" if e.occurrence > 1 else ""
            print(f"  {e.grade_id} [{e.operator}]{nth} {e.before}  ->  {e.after}: {why}")
    if problems:
        print("\nthe notebooks themselves failed (fix these first):")
        for name, p in problems:
            print(f"  {name}: {p}")
    if args.killed:
        print("\nkilled:")
        for r in ordered:
            for o in r.outcomes:
                if o.killed:
                    print(f"  {survivor_line(r.name, o)}  <- {o.detail}")
    if args.toml and survivors:
        print("\n# stubs for " + args.equivalents.name + " (fill in the reason; only for real equivalents)")
        for _, o in survivors:
            print(toml_stub(o))
    print(f"\nwall time {wall:.0f} s ({args.workers} worker(s))")

    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        text = ["# Mutation testing of the solutions", "",
                "Written by `benchmarks/mutants.py` (`make benchmark`): each mutant is one plausible learner bug "
                "in one solution cell; it is killed when a test cell of that exercise fails (hidden tests included, "
                "as under autograde). Kill rate = killed / (mutants - listed equivalent). Equivalent mutants and "
                "their reasons: `benchmarks/mutants_equivalent.toml`.", "", *lines, "",
                f"Unlisted survivors: {len(survivors)}. Timeouts: {sum(s.timeouts for s in summaries)}. "
                f"Wall time: {wall:.0f} s with {args.workers} worker(s) on {os.cpu_count()} CPU(s), "
                f"timeout {args.timeout:g} s.", ""]
        if survivors:
            text += ["## Survivors", ""] + [f"- `{survivor_line(n, o)}`" for n, o in survivors] + [""]
        by_op: dict[str, list[int]] = {}
        for r in ordered:
            for o in r.outcomes:
                by_op.setdefault(o.operator, [0, 0])[0] += 1
                by_op[o.operator][1] += o.killed
        text += ["## Mutants per operator", "", "| operator | what | mutants | killed |", "|---|---|---:|---:|"]
        text += [f"| {op} | {mutants.OPERATORS[op]} | {n} | {k} |" for op, (n, k) in sorted(by_op.items())] + [""]
        report.write_text("\n".join(text), encoding="utf-8")
        print(f"wrote {report.relative_to(ROOT) if report.is_relative_to(ROOT) else report}")
    return 1 if survivors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
