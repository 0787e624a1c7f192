"""Headless tests of dlcourse.viz.week1.backpropagation (plots of the backpropagation notebook)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.graphs import GraphNode, draw_graph
from dlcourse.viz.week1.backpropagation import plot_difference_errors, plot_relative_errors, tile_figures
from dlcourse.widgets import figure_to_png


def _png_ok(fig: Figure) -> None:
    png = figure_to_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_difference_errors_draws_curves_guides_and_best_steps() -> None:
    h = np.logspace(-16, 0, 33)
    fwd = (np.sin(1 + h) - np.sin(1)) / h - np.cos(1)
    ctr = (np.sin(1 + h) - np.sin(1 - h)) / (2 * h) - np.cos(1)
    fig = plot_difference_errors(h, {"forward": fwd, "centered": ctr}, title="t")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert "forward" in labels and "centered" in labels
    assert any("slope 1" in s for s in labels) and any("slope 2" in s for s in labels)
    assert any("round-off" in s for s in labels)
    texts = [t.get_text() for t in ax.texts]
    assert sum("best h" in t for t in texts) == 2
    assert ax.get_title() == "t"
    _png_ok(fig)


def test_plot_difference_errors_keeps_exact_zeros_and_rejects_bad_input() -> None:
    h = np.logspace(-8, 0, 9)
    fig = plot_difference_errors(h, {"exact": np.zeros(9), "other": h**2})
    ydata = fig.axes[0].get_lines()[0].get_ydata()
    assert np.all(ydata > 0)
    with pytest.raises(ValueError):
        plot_difference_errors(np.array([1.0]), {"a": np.array([1.0])})
    with pytest.raises(ValueError):
        plot_difference_errors(np.array([-1.0, 1.0]), {"a": np.ones(2)})
    with pytest.raises(ValueError):
        plot_difference_errors(h, {"a": np.ones(3)})
    with pytest.raises(ValueError):
        plot_difference_errors(h, {})


def test_tile_figures_places_each_figure_with_its_title() -> None:
    a = GraphNode(2.0, 1.0, "a")
    b = GraphNode(-3.0, 2.0, "b")
    root = GraphNode(-1.0, 1.0, "o", "+", (a, b))
    figs = [draw_graph(root), draw_graph(root, show_grad=False), draw_graph(a)]
    fig = tile_figures(figs, ["one", "two", "three"], ncols=2)
    assert len(fig.axes) == 4  # 2 x 2 grid, the last one empty
    assert [ax.get_title() for ax in fig.axes[:3]] == ["one", "two", "three"]
    assert len(fig.axes[0].images) == 1 and len(fig.axes[3].images) == 0
    _png_ok(fig)
    with pytest.raises(ValueError):
        tile_figures([])
    with pytest.raises(ValueError):
        tile_figures(figs, ["only one"])


def test_plot_relative_errors_colours_by_band() -> None:
    errors = {"good": 3e-11, "suspicious": 1e-6, "bug": 0.4, "zero": 0.0, "nan": float("nan")}
    fig = plot_relative_errors(errors)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    bars = ax.patches[3:]  # the first three patches are the green / orange / red bands
    assert len(bars) == len(errors)
    colors = [tuple(round(c, 3) for c in bar.get_facecolor()[:3]) for bar in bars]
    assert colors[0] != colors[1] != colors[2]
    assert colors[0] == colors[3]  # an exact zero is drawn as good
    assert [t.get_text() for t in ax.get_yticklabels()] == list(errors)
    _png_ok(fig)
    with pytest.raises(ValueError):
        plot_relative_errors({})
