"""Print how long the gradient-descent explorer takes from a control change to a finished figure.

    .venv/bin/python benchmarks/explorer_latency.py [--repeats 15]

The widget itself is measured (no front end): a control's value is set, as a slider drag does,
and the clock (wall time) stops when the observer has run the optimizers and put the new PNG into
the image. Four racers (SGD, momentum, Adam, RMSProp) × 500 steps on each surface, for these
kinds of change, each back and forth between two values:

- start point: all four racers rerun on the same surface (the contours and, while the runs stay
  in their decades, the axes are kept: see ``RaceRenderer``);
- one racer's lr: that racer reruns, the other three keep their runs;
- start, far jump: the start point jumps between the surface's default start and a point near the
  minimum, so the runs' losses and steps change by decades and the step panels' y axes are redrawn
  (the slowest start-point change);
- κ of the quadratic: a new surface, so new contours and four new runs.

For each: the median and the 90th percentile of the wall time of ``--repeats`` changes (after one
warm-up change), the median CPU time of this process, and how far the median is under (−) or over
(+) the goal of ≤ 100 ms for four optimizers × 500 steps (issue 3, DESIGN.md); the last lines give
the slowest median and p90 of all kinds. Other processes on the machine slow the wall times down:
the load average is printed before and after, and a wall time far above its CPU time means the
process waited for a core (on 2 cores, a load above ~1 makes the figures pessimistic).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlcourse.explorer.widget import Explorer  # noqa: E402

RACE = [("sgd", 1e-3), ("momentum", 1e-3), ("adam", 0.05), ("rmsprop", 0.01)]
GOAL_MS = 100.0


def _timed(change: Callable[[int], None], ex: Explorer, repeats: int) -> tuple[float, float, float]:
    """Median and 90th percentile of the wall time, and median CPU time, in ms of ``repeats``
    changes (after one warm-up change)."""
    times, cpu = [], []
    for i in range(repeats + 1):
        drawn = ex.draw_count
        t0, c0 = time.perf_counter(), time.process_time()
        change(i)
        elapsed, used = time.perf_counter() - t0, time.process_time() - c0
        assert ex.draw_count == drawn + 1 and ex.last_error is None, ex.last_error
        if i:
            times.append(elapsed * 1000)
            cpu.append(used * 1000)
    return statistics.median(times), statistics.quantiles(times, n=10)[-1], statistics.median(cpu)


def _explorer(surface: str) -> Explorer:
    """The explorer on ``surface`` with the four racers × 500 steps, drawn once."""
    ex = Explorer(preset=None)
    ex._hold = True
    ex.surface.value = surface
    ex._reset_start()
    ex.steps.value = 500
    for r, (opt, lr) in zip(ex.racers, RACE):
        r["name"].value = opt
        r["lr"].value = lr
    ex._hold = False
    ex.recompute()
    return ex


def _measure(surface: str, repeats: int) -> dict[str, tuple[float, float, float]]:
    ex = _explorer(surface)
    x0, y0 = ex.start_x.value, ex.start_y.value
    near = ex._surface_obj.minima[0] + 0.05  # losses ~1e-3 of the default start's, or less

    def jump(i: int) -> None:
        with ex.hold():  # both coordinates, one redraw
            ex.start_x.value, ex.start_y.value = (x0 + 0.05, y0) if i % 2 else (float(near[0]), float(near[1]))

    changes: dict[str, Callable[[int], None]] = {
        "start point": lambda i: setattr(ex.start_x, "value", x0 + 0.05 * (i % 2 + 1)),
        "one racer's lr": lambda i: setattr(ex.racers[2]["lr"], "value", 0.05 * (1 + 0.1 * (i % 2 + 1))),
        "start, far jump": jump,
    }
    if surface == "quadratic":
        changes["κ (new surface)"] = lambda i: setattr(ex.condition, "value", 10.0 + 5 * (i % 2 + 1))
    results = {}
    for label, change in changes.items():
        ex.start_x.value, ex.start_y.value = x0, y0  # each kind from the same state
        results[label] = _timed(change, ex, repeats)
    return results


def margin(ms: float, goal: float = GOAL_MS) -> str:
    """How far ``ms`` is under (−) or over (+) the goal, e.g. "−46 ms, 54 % of the goal"."""
    return f"{'−' if ms < goal else '+'}{abs(goal - ms):.0f} ms, {100 * ms / goal:.0f} % of the goal"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    print(f"{'surface':11s} {'change':16s} {'median':>8s} {'p90':>8s} {'cpu':>8s}  "
          f"median against the goal of {GOAL_MS:.0f} ms")
    rows = []
    for name in ("quadratic", "rosenbrock", "himmelblau", "logistic"):
        for label, (median, p90, cpu) in _measure(name, args.repeats).items():
            rows.append((name, label, median, p90))
            print(f"{name:11s} {label:16s} {median:6.1f}ms {p90:6.1f}ms {cpu:6.1f}ms  {margin(median)}")
    name, label, median, _ = max(rows, key=lambda row: row[2])
    print(f"slowest median of all kinds: {median:.1f} ms ({name}, {label}): {margin(median)}")
    name, label, _, p90 = max(rows, key=lambda row: row[3])
    print(f"slowest p90 of all kinds:    {p90:.1f} ms ({name}, {label}): {margin(p90)}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
