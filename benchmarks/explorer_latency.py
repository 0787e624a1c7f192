"""Print how long the gradient-descent explorer takes from a control change to a finished figure.

    .venv/bin/python benchmarks/explorer_latency.py [--repeats 15]

One "change" is what a slider move costs: four optimizers × 500 steps on a surface, the race
figure (contours, trajectories, loss and lr panels) and its PNG. Prints the median and the
split into computing, building and drawing. The goal (issue 3, DESIGN.md) is ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlcourse.explorer.render import plot_race  # noqa: E402
from dlcourse.explorer.run import run  # noqa: E402
from dlcourse.explorer.surfaces import make_surface  # noqa: E402
from dlcourse.widgets import figure_to_png  # noqa: E402

RACE = [("sgd", 1e-3), ("momentum", 1e-3), ("adam", 0.05), ("rmsprop", 0.01)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"{'surface':12s} {'median':>9s} {'runs':>8s} {'build':>8s} {'png':>8s}")
    for name in ("quadratic", "rosenbrock", "himmelblau", "logistic"):
        surface = make_surface(name)
        parts: list[tuple[float, float, float]] = []
        for i in range(args.repeats + 1):
            t0 = time.perf_counter()
            runs = [run(surface, {"name": opt, "lr": lr * (1 + 0.01 * i)}, n_steps=500) for opt, lr in RACE]
            t1 = time.perf_counter()
            fig = plot_race(surface, runs, step=40)
            t2 = time.perf_counter()
            figure_to_png(fig, dpi=80)  # what the widget shows
            t3 = time.perf_counter()
            if i:  # the first round warms caches up
                parts.append((t1 - t0, t2 - t1, t3 - t2))
        total = statistics.median(sum(p) for p in parts) * 1000
        runs_ms, build_ms, png_ms = (statistics.median(p[k] for p in parts) * 1000 for k in range(3))
        print(f"{name:12s} {total:7.1f}ms {runs_ms:6.1f}ms {build_ms:6.1f}ms {png_ms:6.1f}ms")
    print("goal: ≤ 100 ms from a control change to a finished figure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
