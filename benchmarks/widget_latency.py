"""Print how long each widget of a notebook takes from a control change to its redrawn output.

    .venv/bin/python benchmarks/widget_latency.py [--notebooks week3_nlp/01_text_to_numbers ...] [--repeats 7]

Each solution notebook runs top to bottom in a kernel (not under autograde, so its widgets are
built as a learner sees them); then a last cell finds every control of every live widget
(sliders, dropdowns, toggle buttons, check boxes, ...) and sets its value back and forth, as a
drag or a click does. Observers run synchronously in the kernel, so the wall time of the
assignment is the time to compute and draw (no front end). Printed per control: the widget's
description, the median and the maximum of ``--repeats`` changes after one warm-up, against
the goal of ≤ 100 ms (DESIGN.md). Default: the notebooks of week 3 and later (week 2's explorer
has its own benchmark, explorer_latency.py). Other processes slow the figures down: the load
average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlcourse.tooling import notebooks as nbtools  # noqa: E402

GOAL_MS = 100.0
MARK = "WIDGET-LATENCY-JSON:"

# The cell appended to the notebook: time every control of every live widget.
PROBE = r'''
import json as _json, statistics as _st, time as _time
import ipywidgets as _w

_SKIP = (_w.Image, _w.HTML, _w.Label, _w.Output, _w.Box, _w.Text, _w.Textarea, _w.Button)
_CHOICE = tuple(getattr(_w, n) for n in ("Dropdown", "Select", "ToggleButtons", "RadioButtons", "SelectionSlider")
                if hasattr(_w, n))

def _values(c):
    if isinstance(c, _CHOICE):
        opts = [o[1] if isinstance(o, tuple) else o for o in c.options]
        return [v for v in opts if v != c.value][:3] + [c.value]
    if isinstance(c, _w.Checkbox) or isinstance(c, _w.ToggleButton):
        return [not c.value, c.value]
    if hasattr(c, "min") and hasattr(c, "max") and not isinstance(c.value, tuple):
        mid = type(c.value)((c.min + c.max) / 2) if isinstance(c.value, (int, float)) else c.value
        vals = [c.max, mid, c.min, c.value]
        return [v for v in vals]
    return []

_rows = []
for _c in list(_w.Widget.widgets.values()):
    if isinstance(_c, _SKIP) or not hasattr(_c, "value") or not getattr(_c, "_trait_notifiers", None):
        continue
    _vals = _values(_c)
    if len(_vals) < 2 or not _c._trait_notifiers.get("value"):
        continue
    _times = []
    for _i in range(__REPEATS__ + 1):
        _v = _vals[_i % len(_vals)]
        _t0 = _time.perf_counter()
        _c.value = _v
        _times.append((_time.perf_counter() - _t0) * 1000)
    _times = _times[1:]
    _rows.append({"control": type(_c).__name__, "description": getattr(_c, "description", "") or "",
                  "median_ms": round(_st.median(_times), 1), "max_ms": round(max(_times), 1)})
print("__MARK__" + _json.dumps(_rows))
'''


def measure(notebook: Path, repeats: int) -> list[dict]:
    """Run the notebook, then the probe; return one row per control."""
    import nbformat

    nb = nbtools.read_notebook(notebook)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE.replace("__REPEATS__", str(repeats)).replace("__MARK__", MARK)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / notebook.name
        nbformat.write(nb, str(path))
        run = nbtools.execute_notebook(path, allow_errors=True)
    if run.errors:
        raise RuntimeError(f"{notebook.name} raised: {run.errors[:2]}")
    text = "".join(o.get("text", "") for o in run.notebook.cells[-1].get("outputs", []))
    line = next((ln for ln in text.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"{notebook.name}: the probe printed nothing: {text[-500:]}")
    return json.loads(line[len(MARK):])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", nargs="*", help="week/name of solution notebooks (default: week 3 on)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    os.environ.pop("NBGRADER_EXECUTION", None)
    if args.notebooks:
        paths = [ROOT / "solutions" / f"{n.removesuffix('.ipynb')}.ipynb" for n in args.notebooks]
    else:
        paths = [p for p in nbtools.exercise_notebooks(ROOT) if int(p.parent.name[4:].split("_")[0]) >= 3]
    print(f"load average before: {os.getloadavg()[0]:.2f}; goal ≤ {GOAL_MS:.0f} ms per control change")
    worst, over = 0.0, 0
    for path in paths:
        rows = measure(path, args.repeats)
        key = f"{path.parent.name}/{path.stem}"
        if not rows:
            print(f"{key}: no widget")
            continue
        for r in rows:
            flag = "" if r["median_ms"] <= GOAL_MS else "  OVER THE GOAL"
            over += bool(flag)
            worst = max(worst, r["median_ms"])
            label = f"{r['control']} {r['description']!r}".strip()
            print(f"{key}: {label:40s} median {r['median_ms']:6.1f} ms  max {r['max_ms']:6.1f} ms{flag}")
    print(f"slowest median {worst:.1f} ms; {over} control(s) over the goal; "
          f"load average after: {os.getloadavg()[0]:.2f}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
