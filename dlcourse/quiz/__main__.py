"""``python -m dlcourse.quiz``: check quiz sources, generate the quiz notebooks, set up a cohort.

Run it from the repository root (the Makefile does):

    python -m dlcourse.quiz check [SOURCE.toml ...]   report every problem of the sources
    python -m dlcourse.quiz build [--check]           write solutions/<week>/<NN>_quiz.ipynb
    python -m dlcourse.quiz cohort --seed SEED        a cohort's quiz (SEED "off": the public one)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlcourse.quiz import bank as _bank
from dlcourse.quiz import build as _build
from dlcourse.quiz import cohort as _cohort

ROOT = Path.cwd()


def _sources(root: Path, given: list[str]) -> list[Path]:
    paths = [Path(p) for p in given] or sorted((root / "solutions" / "quizzes").glob("*.toml"))
    if not paths:
        raise SystemExit(f"no quiz sources in {root / 'solutions' / 'quizzes'}")
    return paths


def check(root: Path, given: list[str]) -> int:
    found = []
    for path in _sources(root, given):
        try:
            b = _bank.load(path)
        except _bank.BankError as err:
            found.append(str(err))
            continue
        found += _bank.problems(b, root / "solutions")
        kinds = {k: sum(q.kind == k for q in b.questions) for k in ("single", "multi", "numeric", "value")}
        print(f"{path}: {len(b.questions)} questions, {b.points:g} points, "
              + ", ".join(f"{n} {k}" for k, n in kinds.items()))
    for line in found:
        print(line)
    return 1 if found else 0


def build(root: Path, only_check: bool) -> int:
    stale = []
    for path in _sources(root, []):
        b = _bank.load(path)
        target = _build.quiz_path(root / "solutions", b)
        text = _build.dumps(_build.notebook(b))
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if only_check:
            stale.append(str(target.relative_to(root)))
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(root)}")
    if stale:
        print("stale, generated from solutions/quizzes/ by `make release`: " + ", ".join(stale))
        return 1
    return 0


def cohort(root: Path, seed: str) -> int:
    grader = root / "autograder"
    if seed == _cohort.OFF:
        (grader / _cohort.SETTINGS).unlink(missing_ok=True)
        print("Public release: the quiz in notebooks/ is the one graded (the cohort seed is removed).")
        return 0
    _cohort.store(grader, seed)
    written = _cohort.prepare(root, seed)
    print(f"Cohort release: seed stored in autograder/{_cohort.SETTINGS} (private); quizzes drawn for it in "
          + ", ".join(str(p.relative_to(root)) for p in written)
          + ". Hand out autograder/cohort/release/<week>/; notebooks/ stays public.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlcourse.quiz", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check", help="report every problem of the quiz sources")
    p.add_argument("sources", nargs="*")
    p = sub.add_parser("build", help="write the public quiz notebooks into solutions/")
    p.add_argument("--check", action="store_true", help="only say which generated notebooks are stale")
    p = sub.add_parser("cohort", help="draw the quizzes for a cohort's private seed")
    p.add_argument("--seed", help='the private seed ("off": back to the public quiz)')
    p.add_argument("--refresh", action="store_true", help="rebuild the cohort's sources if a seed is stored")
    args = parser.parse_args(argv)
    root = ROOT
    try:
        if args.cmd == "check":
            return check(root, args.sources)
        if args.cmd == "build":
            return build(root, args.check)
        if args.seed:
            return cohort(root, args.seed)
        stored = _cohort.seed(root / "autograder")
        if args.refresh and stored:
            return cohort(root, stored)
        if not args.refresh:
            parser.error("cohort needs --seed SEED or --refresh")
        return 0
    except _bank.BankError as err:
        print(err, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
