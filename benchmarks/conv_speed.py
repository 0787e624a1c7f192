"""Time the reference im2col convolution of week 4's notebook 1 against PyTorch's ``F.conv2d`` on the CPU.

    .venv/bin/python benchmarks/conv_speed.py [--repeats 7] [--threads 1] [--batch 32]

The reference ``conv_output_size``, ``im2col`` and ``conv2d_im2col`` are read from the solution notebook
(solutions/week4_vision/01_convolution.ipynb): the code cells that define them are executed in a fresh
namespace that holds numpy, so the course package never carries the solution. The input is a realistic
layer: a batch of ``--batch`` feature maps of 16 channels of 32 × 32, 32 filters of 3×3, padding 1.

Prints one row per version (the best and the median of ``--repeats`` timed calls after one warm-up, in
milliseconds) and the ratios of the im2col version to ``F.conv2d`` of the same dtype and to float32; the
notebook's goal is im2col within 5× of PyTorch in float64. Also checks that the versions agree. Other
programs on the machine slow every row: the load average is printed.
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from dlcourse.tooling import notebooks as nbtools  # noqa: E402

NOTEBOOK = ROOT / "solutions" / "week4_vision" / "01_convolution.ipynb"
NEEDED = ("conv_output_size", "im2col", "conv2d_im2col")


def reference_functions(path: Path = NOTEBOOK) -> dict[str, Callable]:
    """Execute the notebook's code cells that define the needed functions; return those functions."""
    nb = nbtools.read_notebook(path)
    namespace: dict = {"np": np, "__name__": "conv_reference"}
    found: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        if defined & set(NEEDED):
            exec(compile(cell.source, f"{path.name}:{nbtools.nbgrader_meta(cell).get('grade_id', '?')}", "exec"),
                 namespace)
            found |= defined
    missing = [name for name in NEEDED if name not in found]
    if missing:
        sys.exit(f"{path.relative_to(ROOT)} defines no {missing}")
    return {name: namespace[name] for name in NEEDED}


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(best, median) milliseconds of ``repeats`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per version (default 7)")
    parser.add_argument("--threads", type=int, default=1, help="threads for numpy's BLAS and torch (default 1)")
    parser.add_argument("--batch", type=int, default=32, help="images in the batch (default 32)")
    args = parser.parse_args()
    if args.repeats < 1 or args.threads < 1 or args.batch < 1:
        parser.error("--repeats, --threads and --batch must be positive")

    import torch
    import torch.nn.functional as F
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    torch.set_num_threads(args.threads)
    ref = reference_functions()
    conv = ref["conv2d_im2col"]

    rng = np.random.default_rng(0)
    x64 = rng.normal(size=(args.batch, 16, 32, 32))
    w64, b64 = rng.normal(size=(32, 16, 3, 3)) / 12, rng.normal(size=32)
    x32, w32, b32 = (a.astype(np.float32) for a in (x64, w64, b64))
    t64 = [torch.tensor(a) for a in (x64, w64, b64)]
    t32 = [torch.tensor(a) for a in (x32, w32, b32)]

    want = F.conv2d(*t64, padding=1).numpy()
    err64 = float(np.abs(conv(x64, w64, b64, 1, 1, 1) - want).max())
    err32 = float(np.abs(conv(x32, w32, b32, 1, 1, 1) - want).max())
    if err64 > 1e-9 or err32 > 1e-3:
        sys.exit(f"the versions disagree: float64 {err64:.1e}, float32 {err32:.1e}")

    rows = {
        ("im2col + matmul (notebook)", "float64"): timed(lambda: conv(x64, w64, b64, 1, 1, 1), args.repeats),
        ("im2col alone (notebook)", "float64"): timed(lambda: ref["im2col"](x64, 3, 3, 1, 1, 1), args.repeats),
        ("F.conv2d", "float64"): timed(lambda: F.conv2d(*t64, padding=1), args.repeats),
        ("im2col + matmul (notebook)", "float32"): timed(lambda: conv(x32, w32, b32, 1, 1, 1), args.repeats),
        ("F.conv2d", "float32"): timed(lambda: F.conv2d(*t32, padding=1), args.repeats),
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"x ({args.batch}, 16, 32, 32), w (32, 16, 3, 3), padding 1; {args.threads} thread(s); best and median "
          f"of {args.repeats} calls; torch {torch.__version__}, numpy {np.__version__}; load average {load:.2f}")
    print(f"agreement with F.conv2d float64: im2col float64 {err64:.1e}, im2col float32 {err32:.1e}\n")
    print(f"{'version':30s} {'dtype':8s} {'best ms':>9s} {'median ms':>10s}")
    for (name, dtype), (best, median) in rows.items():
        print(f"{name:30s} {dtype:8s} {best:9.2f} {median:10.2f}")
    ratio64 = rows[("im2col + matmul (notebook)", "float64")][0] / rows[("F.conv2d", "float64")][0]
    ratio32 = rows[("im2col + matmul (notebook)", "float32")][0] / rows[("F.conv2d", "float32")][0]
    worst = rows[("im2col + matmul (notebook)", "float64")][0] / rows[("F.conv2d", "float32")][0]
    print(f"\nratio im2col / F.conv2d (best times): float64 {ratio64:.1f}x (goal <= 5x: "
          f"{'met' if ratio64 <= 5 else 'NOT met'}), float32 {ratio32:.1f}x, "
          f"im2col float64 / F.conv2d float32 {worst:.1f}x")


if __name__ == "__main__":
    main()
