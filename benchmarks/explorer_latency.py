"""Print how long the gradient-descent explorer takes from a control change to a finished figure.

    .venv/bin/python benchmarks/explorer_latency.py [--repeats 15]

The widget itself is measured (no front end): a control's value is set, as a slider drag does,
and the clock stops when the observer has run the optimizers and put the new PNG into the image.
Four racers (SGD, momentum, Adam, RMSProp) × 500 steps on each surface, for three kinds of change:

- start point: all four racers rerun on the same surface (the contours are kept);
- one racer's lr: that racer reruns, the other three keep their runs;
- κ of the quadratic: a new surface, so new contours and four new runs.

The goal (issue 3, DESIGN.md) is ≤ 100 ms for four optimizers × 500 steps.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlcourse.explorer.widget import Explorer  # noqa: E402

RACE = [("sgd", 1e-3), ("momentum", 1e-3), ("adam", 0.05), ("rmsprop", 0.01)]


def _timed(change, ex: Explorer, repeats: int) -> tuple[float, float]:
    """Median and 90th percentile in ms of ``repeats`` changes (after one warm-up change)."""
    times = []
    for i in range(repeats + 1):
        drawn = ex.draw_count
        t0 = time.perf_counter()
        change(i)
        elapsed = time.perf_counter() - t0
        assert ex.draw_count == drawn + 1 and ex.last_error is None, ex.last_error
        if i:
            times.append(elapsed * 1000)
    return statistics.median(times), statistics.quantiles(times, n=10)[-1]


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


def _measure(surface: str, repeats: int) -> dict[str, tuple[float, float]]:
    ex = _explorer(surface)
    x0 = ex.start_x.value
    changes = {
        "start point": lambda i: setattr(ex.start_x, "value", x0 + 0.05 * (i % 2 + 1)),
        "one racer's lr": lambda i: setattr(ex.racers[2]["lr"], "value", 0.05 * (1 + 0.1 * (i % 2 + 1))),
    }
    if surface == "quadratic":
        changes["κ (new surface)"] = lambda i: setattr(ex.condition, "value", 10.0 + 5 * (i % 2 + 1))
    return {label: _timed(change, ex, repeats) for label, change in changes.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"{'surface':11s} {'change':15s} {'median':>8s} {'p90':>8s}")
    worst = 0.0
    for name in ("quadratic", "rosenbrock", "himmelblau", "logistic"):
        for label, (median, p90) in _measure(name, args.repeats).items():
            if label != "κ (new surface)":
                worst = max(worst, median)
            print(f"{name:11s} {label:15s} {median:6.1f}ms {p90:6.1f}ms")
    print(f"slowest median of a start-point or lr change: {worst:.1f} ms (goal: ≤ 100 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
