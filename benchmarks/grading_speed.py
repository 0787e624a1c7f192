"""Wall time of grading a synthetic cohort: sequential `nbgrader autograde` vs the course's grader.

    python benchmarks/grading_speed.py [--students 100] [--week week1_ann_basics] [--workers 2]

The cohort mixes right answers (60 %), half-solved notebooks (20 %), untouched releases (10 %)
and bad submissions (10 %: an infinite loop, os._exit, a corrupt file). Three timings on copies
of the same scratch course:

1. ``nbgrader autograde WEEK``: nbgrader alone, one submission after the other (with the course's
   configuration, so in the same jail);
2. ``python -m dlcourse.grader autograde WEEK --workers N``;
3. plain execution of the same notebooks with nbclient in N processes, no nbgrader, no jail: the
   floor that the grader's overhead is measured against.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlcourse import grading  # noqa: E402
from tests.support import runner  # noqa: E402


def _cohort(course: Path, week: str, n: int) -> list[Path]:
    """Write n submissions into course/autograder/submitted; return the notebook paths."""
    paths = []
    names = sorted(p.name for p in (ROOT / "solutions" / week).glob("*.ipynb"))
    for i in range(n):
        student = f"student{i:03d}"
        kind = "right" if i % 10 < 6 else "half" if i % 10 < 8 else "untouched" if i % 10 == 8 else "bad"
        nbs = {}
        for j, name in enumerate(names):
            sol = grading.read_notebook(ROOT / "solutions" / week / name)
            rel = grading.read_notebook(course / "notebooks" / week / name)
            cells = list(runner.solution_cells(sol))
            if kind == "right":
                nb = runner.fill_solutions(rel, sol, set(cells))
            elif kind == "half":
                nb = runner.fill_solutions(rel, sol, set(cells[::2]))
            else:
                nb = copy.deepcopy(rel)
            if kind == "bad" and j == 0:
                code = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
                code.source += "\nwhile True:\n    pass\n" if (i // 10) % 2 else "\nimport os\nos._exit(1)\n"
            nbs[name] = nb
        folder = grading.submit(course, student, week, nbs)
        paths += [folder / name for name in names]
    return paths


def _execute(path: str) -> float:
    return grading.execute_notebook(Path(path), allow_errors=True, env={"NBGRADER_EXECUTION": "autograde"}).seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--week", default="week1_ann_basics")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--skip-sequential", action="store_true", help="only time the course's grader and plain runs")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dlcourse-bench-"))
    try:
        base = grading.make_scratch_course(ROOT, tmp / "base")
        cfg = base / "autograder" / "nbgrader_config.py"
        cfg.write_text(cfg.read_text() + "\nc.Execute.timeout = 10\n")  # the loops cost 10 s, not 60
        grading.nbgrader(base, "generate_assignment", args.week, "--force")
        paths = _cohort(base, args.week, args.students)
        print(f"{args.students} submissions of {args.week} ({len(paths)} notebooks), {args.workers} workers, "
              f"{os.cpu_count()} cores")
        times = {}
        if not args.skip_sequential:
            seq = runner.clone_course(base, tmp / "seq")
            t = time.perf_counter()
            grading.nbgrader(seq, "autograde", args.week, check=False)
            times["sequential nbgrader autograde"] = time.perf_counter() - t
        par = runner.clone_course(base, tmp / "par")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dlcourse.grader", "--course", str(par), "autograde", args.week,
                        "--workers", str(args.workers)], check=True, capture_output=True)
        times["dlcourse.grader autograde"] = time.perf_counter() - t
        plain = runner.clone_course(base, tmp / "plain")
        runs = [str(p).replace(str(base), str(plain)) for p in paths]
        t = time.perf_counter()
        with ProcessPoolExecutor(args.workers) as pool:
            list(pool.map(_execute, runs))
        times["plain execution (nbclient, no grading)"] = time.perf_counter() - t
        for name, sec in times.items():
            print(f"  {name:<42} {sec:8.1f} s")
        g = times["dlcourse.grader autograde"]
        if "sequential nbgrader autograde" in times:
            print(f"  speed-up over sequential nbgrader: {times['sequential nbgrader autograde'] / g:.2f}x")
        plain_s = times["plain execution (nbclient, no grading)"]
        print(f"  overhead over plain execution: {100 * (g / plain_s - 1):+.1f} %")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
