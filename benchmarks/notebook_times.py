"""Print how long each notebook takes: a full run, a run under autograde, and the week's grading.

    .venv/bin/python benchmarks/notebook_times.py [--weeks week1_ann_basics ...]

For every solution notebook: the wall time of a full top-to-bottom run, and of a run with
NBGRADER_EXECUTION=autograde (what nbgrader sets; notebooks skip long demonstrations). For every
week: the wall time of `nbgrader autograde` of one complete submission (kernel start-up,
execution with hidden tests, gradebook writes). Runs one thing at a time so that the figures
are not disturbed by each other. Budgets (DESIGN.md): 90 s a notebook, 20 s under autograde.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlcourse.tooling import notebooks as nbtools  # noqa: E402

FULL_BUDGET_S, AUTOGRADE_BUDGET_S = 90.0, 20.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", nargs="*", help="weeks to measure (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    weeks = args.weeks or sorted(p.name for p in (ROOT / "solutions").glob("week*"))
    tmp = Path(tempfile.mkdtemp(prefix="dlcourse-bench-"))
    results: dict[str, dict] = {}
    over = []
    try:
        course = nbtools.make_scratch_course(ROOT, tmp / "course")
        print(f"{'notebook':55s} {'full run':>10s} {'autograde':>10s}")
        for week in weeks:
            for path in sorted((ROOT / "solutions" / week).glob("*.ipynb")):
                work = tmp / "run" / week
                work.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, work / path.name)
                full = nbtools.execute_notebook(work / path.name)
                auto = nbtools.execute_notebook(work / path.name, env={"NBGRADER_EXECUTION": "autograde"})
                key = f"{week}/{path.name}"
                results[key] = {"full_s": round(full.seconds, 2), "autograde_s": round(auto.seconds, 2)}
                flag = ""
                if full.seconds > FULL_BUDGET_S or auto.seconds > AUTOGRADE_BUDGET_S:
                    flag = "  OVER BUDGET"
                    over.append(key)
                print(f"{key:55s} {full.seconds:9.1f}s {auto.seconds:9.1f}s{flag}", flush=True)
        print()
        for week in weeks:
            nbtools.nbgrader(course, "generate_assignment", week, "--force")
            nbs = {p.name: nbtools.read_notebook(p) for p in sorted((ROOT / "solutions" / week).glob("*.ipynb"))}
            nbtools.submit(course, "benchmark", week, nbs)
            start = time.perf_counter()
            nbtools.nbgrader(course, "autograde", week, "--student", "benchmark")
            seconds = time.perf_counter() - start
            results[f"{week} (nbgrader autograde, one submission)"] = {"autograde_submission_s": round(seconds, 2)}
            total_full = sum(v["full_s"] for k, v in results.items() if k.startswith(week + "/"))
            total_auto = sum(v["autograde_s"] for k, v in results.items() if k.startswith(week + "/"))
            print(f"{week}: notebooks {total_full:.1f} s full, {total_auto:.1f} s under autograde; "
                  f"`nbgrader autograde` of one submission: {seconds:.1f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if over:
        print(f"over budget: {over}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
