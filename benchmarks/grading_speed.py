"""Wall time of grading a synthetic cohort: sequential `nbgrader autograde` vs the course's grader.

    python benchmarks/grading_speed.py [--students 100] [--week week1_ann_basics] [--workers 2]

A submission is one student's week: every notebook of it. The cohort mixes right answers
(50 %), wrong answers (10 %: every exercise function returns a distorted result), half-solved
notebooks (20 %), untouched releases (10 %) and bad submissions (10 %: an infinite loop or
os._exit in the first notebook). Three timings on copies of the same scratch course:

1. ``nbgrader autograde WEEK``: nbgrader alone, one submission after the other (with the course's
   configuration, so in the same jail);
2. ``python -m dlcourse.grader autograde WEEK --workers N``;
3. plain execution with nbclient in N processes, no nbgrader, no jail, of the notebooks that the
   grader executed (the submissions with the test cells, hidden tests included, put back): the
   floor that the grader's overhead is measured against.

Both graders' scores are compared student by student: a speed-up that changed a grade would be
a bug, and the script says so.

The figures are printed and written as Markdown: a full run (the default 100 submissions, all
three timings) to ``benchmarks/reports/grading_speed.md``, which git tracks and the docs cite
(commit it with the commit it measured); any other run to ``benchmarks/results/grading_speed.md``,
scratch output that git ignores. ``--report PATH`` chooses.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlcourse.tooling import notebooks as nbtools  # noqa: E402
from tests.support import runner  # noqa: E402

REPORTS = ROOT / "benchmarks" / "reports"  # tracked: figures the docs cite
RESULTS = ROOT / "benchmarks" / "results"  # ignored by git: scratch output
KINDS = ["right"] * 5 + ["wrong", "half", "half", "untouched", "bad"]
CELL_TIMEOUT = 10  # seconds per cell for both graders and the plain runs: a loop costs 10 s, not 60


def _cohort(course: Path, week: str, n: int) -> list[Path]:
    """Write n submissions into course/autograder/submitted; return the notebook paths."""
    paths = []
    names = sorted(p.name for p in (ROOT / "solutions" / week).glob("*.ipynb"))
    for i in range(n):
        student = f"student{i:03d}"
        kind = KINDS[i % 10]
        nbs = {}
        for j, name in enumerate(names):
            sol = nbtools.read_notebook(ROOT / "solutions" / week / name)
            rel = nbtools.read_notebook(course / "notebooks" / week / name)
            cells = list(runner.solution_cells(sol))
            if kind in ("right", "wrong"):
                nb = runner.fill_solutions(rel, sol, set(cells))
                if kind == "wrong":
                    _distort(nb)
            elif kind == "half":
                nb = runner.fill_solutions(rel, sol, set(cells[::2]))
            else:
                nb = copy.deepcopy(rel)
            if kind == "bad" and j == 0:
                code = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
                code.source += "\nwhile True:\n    pass\n" if (i // 10) % 2 else "\nimport os\nos._exit(1)\n"
            nbs[name] = nb
        folder = nbtools.submit(course, student, week, nbs)
        paths += [folder / name for name in names]
    return paths


def _distort(nb: Any) -> None:
    """Make every exercise function of ``nb`` return a wrong (scaled and shifted) result."""
    for cell in nb.cells:
        if runner.cell_kind(cell) == "solution":
            names = runner.function_names(cell.source)
            if names:
                cell.source += _WRONG + "".join(f"{n} = _wrong({n})\n" for n in names)


_WRONG = """
def _wrong(f):
    def g(*args, **kwargs):
        out = f(*args, **kwargs)
        try:
            return out * 1.5 + 0.25
        except TypeError:
            return out
    return g
"""


def _execute(path: str, timeout: int) -> float:
    """Execute one notebook as nbgrader would (same cell limit, errors allowed), without grading."""
    import nbclient
    from nbclient.exceptions import DeadKernelError

    nb = nbtools.read_notebook(Path(path))
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    client = nbclient.NotebookClient(nb, timeout=timeout, interrupt_on_timeout=True, allow_errors=True,
                                     resources={"metadata": {"path": str(Path(path).parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except DeadKernelError:  # os._exit in a bad submission: nbgrader's run stops there too
        pass
    return time.perf_counter() - start


def _commit() -> str:
    """The commit measured, with a note when the working tree differs from it."""
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except OSError:
        return "unknown (no git)"
    return (head or "unknown") + (" with uncommitted changes" if dirty else "")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_report(path: Path, args: argparse.Namespace, header: str, lines: list[str]) -> None:
    """The run's figures as Markdown, with what was measured, where and on which commit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join([
        "# Grading speed",
        "",
        f"`python benchmarks/grading_speed.py --students {args.students} --week {args.week} "
        f"--workers {args.workers}{' --skip-sequential' if args.skip_sequential else ''}`, "
        f"{time.strftime('%Y-%m-%d')}, commit {_commit()}, {os.cpu_count()} cores ({_cpu()}).",
        "",
        header,
        "",
        "```",
        *lines,
        "```",
        "",
    ])
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--week", default="week1_ann_basics")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--skip-sequential", action="store_true", help="only time the course's grader and plain runs")
    ap.add_argument("--report", type=Path, default=None,
                    help="Markdown output (default: benchmarks/reports/grading_speed.md for a full run, "
                         "benchmarks/results/grading_speed.md otherwise)")
    args = ap.parse_args()
    full_run = args.students == ap.get_default("students") and not args.skip_sequential
    report = args.report or (REPORTS if full_run else RESULTS) / "grading_speed.md"
    out: list[str] = []

    def say(line: str) -> None:
        print(line)
        out.append(line)

    tmp = Path(tempfile.mkdtemp(prefix="dlcourse-bench-"))
    try:
        base = nbtools.make_scratch_course(ROOT, tmp / "base")
        cfg = base / "autograder" / "nbgrader_config.py"
        cfg.write_text(cfg.read_text() + f"\nc.Execute.timeout = {CELL_TIMEOUT}\n")
        nbtools.nbgrader(base, "generate_assignment", args.week, "--force")
        paths = _cohort(base, args.week, args.students)
        kinds = [KINDS[i % 10] for i in range(args.students)]
        mix = ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(KINDS))
        header = (f"{args.students} submissions of {args.week} ({len(paths)} notebooks; {mix}), "
                  f"{args.workers} workers, {os.cpu_count()} cores")
        print(header)
        times = {}
        if not args.skip_sequential:
            seq = runner.clone_course(base, tmp / "seq")
            t = time.perf_counter()
            proc = nbtools.nbgrader(seq, "autograde", args.week, check=False)
            times["sequential nbgrader autograde"] = time.perf_counter() - t
            if proc.returncode:
                say(f"  (nbgrader autograde exited with status {proc.returncode}: some submissions failed)")
        par = runner.clone_course(base, tmp / "par")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dlcourse.grader", "--course", str(par), "autograde", args.week,
                        "--workers", str(args.workers)], check=True, capture_output=True)
        times["dlcourse.grader autograde"] = time.perf_counter() - t
        # The floor: the notebooks the grader executed, run again by nbclient alone.
        graded = sorted((par / "autograder" / "autograded").glob(f"*/{args.week}/*.ipynb"))
        t = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            list(pool.map(partial(_execute, timeout=CELL_TIMEOUT), map(str, graded)))
        times["plain execution (nbclient, no grading)"] = time.perf_counter() - t
        for name, sec in times.items():
            say(f"  {name:<42} {sec:8.1f} s")
        g = times["dlcourse.grader autograde"]
        if "sequential nbgrader autograde" in times:
            say(f"  speed-up over sequential nbgrader: {times['sequential nbgrader autograde'] / g:.2f}x")
        plain_s = times["plain execution (nbclient, no grading)"]
        say(f"  overhead over plain execution ({len(graded)} notebooks): {100 * (g / plain_s - 1):+.1f} %")
        ours = nbtools.scores(par, args.week)
        total = {s: sum(v for nb in per.values() for v in nb.values()) for s, per in ours.items()}
        say(f"  scores: {len(ours)} students graded, mean {sum(total.values()) / max(1, len(total)):.1f}, "
            f"{sum(v == max(total.values(), default=0) for v in total.values())} with full marks")
        if not args.skip_sequential:
            theirs = nbtools.scores(seq, args.week)
            differ = sorted(s for s in set(ours) | set(theirs) if ours.get(s) != theirs.get(s))
            verdict = "yes" if not differ else "NO, they differ for " + ", ".join(differ)
            say(f"  same scores as sequential nbgrader: {verdict}")
        write_report(report, args, header, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
