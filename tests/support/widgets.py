"""Shared checks of the course's FigureWidget-based widgets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def assert_each_change_redraws(w: Any, changes: Sequence[tuple[str, Any]]) -> None:
    """Each (control, value) change in turn draws a new image without error, once per change."""
    assert w.last_error is None and w.draw_count == 1
    seen = {w.image.value}
    for name, value in changes:
        w.controls[name].value = value
        assert w.last_error is None, w.last_error
        assert w.image.value not in seen, f"changing {name} did not change the image"
        seen.add(w.image.value)
    assert w.draw_count == 1 + len(changes)


def time_changes(w: Any, changes: Sequence[tuple[str, Any]], label: str, repeats: int = 1) -> list[float]:
    """Set each (control, value) in turn, ``repeats`` times, and time every change that changes a value.

    Each change must draw without error. Prints the wall and CPU median and maximum in milliseconds
    (drawing and PNG included; the course's budget is 100 ms) and returns the wall times.
    """
    import statistics
    import time

    times, cpu = [], []
    for _ in range(repeats):
        for name, value in changes:
            if w.controls[name].value == value:
                continue
            start, start_cpu = time.perf_counter(), time.process_time()
            w.controls[name].value = value
            times.append(1000 * (time.perf_counter() - start))
            cpu.append(1000 * (time.process_time() - start_cpu))
            assert w.last_error is None, w.last_error
    assert times, f"{label}: no change changed a control's value"
    print(f"\n{label}: {len(times)} control changes, wall median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms; CPU median {statistics.median(cpu):.0f} ms, max {max(cpu):.0f} ms per change")
    return times
