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
