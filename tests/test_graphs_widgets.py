import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.graphs import GraphNode, draw_graph, topological_order
from dlcourse.plots import new_figure, plot_decision_regions, plot_history, show_digits
from dlcourse.widgets import FigureWidget, figure_to_png


def _graph():
    x, y, z = GraphNode(2.0, -3.0, "x"), GraphNode(-3.0, 2.0, "y"), GraphNode(10.0, 1.0, "z")
    xy = GraphNode(-6.0, 1.0, "xy", "*", (x, y))
    return GraphNode(4.0, 1.0, "f", "+", (xy, z)), (x, y, z, xy)


def test_topological_order_puts_inputs_first_and_visits_shared_nodes_once():
    f, (x, y, z, xy) = _graph()
    order = topological_order(f)
    assert order[-1] is f and len(order) == 5
    assert order.index(x) < order.index(xy) < order.index(f)
    a = GraphNode(1.0, label="a")
    twice = GraphNode(1.0, _op="*", _prev=(a, a))
    assert len(topological_order(twice)) == 2


def test_topological_order_handles_deep_graphs_without_recursion():
    node = GraphNode(0.0)
    for _ in range(5000):
        node = GraphNode(0.0, _op="+", _prev=(node,))
    assert len(topological_order(node)) == 5001


def test_draw_graph_shows_values_and_gradients():
    f, _ = _graph()
    fig = draw_graph(f, title="f")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("-6" in t for t in texts) and any("grad -3" in t for t in texts)
    assert any(t == "*" for t in texts) and any(t == "+" for t in texts)
    assert figure_to_png(fig)[:4] == b"\x89PNG"
    no_grad = draw_graph(f, show_grad=False)
    assert not any("grad" in t.get_text() for t in no_grad.axes[0].texts)
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(f, max_nodes=3)


def test_figure_widget_redraws_on_control_change_and_shows_errors():
    slider = widgets.FloatSlider(value=1.0, min=-2, max=2)

    def draw(a):
        if a < 0:
            raise ValueError("a must not be negative")
        fig = Figure(figsize=(2, 2))
        fig.add_subplot().plot([0, 1], [0, a])
        return fig

    w = FigureWidget(draw, {"a": slider})
    first = w.image.value
    assert w.draw_count == 1 and first[:4] == b"\x89PNG"
    slider.value = 2.0
    assert w.draw_count == 2 and w.image.value != first
    slider.value = -1.0
    assert w.draw_count == 2 and "must not be negative" in w.error.value and "must not be negative" in w.last_error
    slider.value = 0.5
    assert w.error.value == "" and w.last_error is None


def test_plots_return_figures():
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1])
    fig = plot_decision_regions(lambda P: (P.sum(axis=1) > 1).astype(int), X, y, title="t")
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError):
        plot_decision_regions(lambda P: P, np.zeros((2, 3)), y)
    assert isinstance(show_digits(np.zeros((3, 8, 8)), [1, 2, 3], [1, 2, 4]), Figure)
    assert isinstance(plot_history({"train loss": [2, 1], "test acc": [0.5, 0.9]}), Figure)
    with pytest.raises(ValueError):
        plot_history({})
    fig, axes = new_figure(ncols=2)
    assert len(axes) == 2


def test_finish_axes_labels_title_legend_and_grid():
    from dlcourse.plots import finish_axes

    fig, (ax, bare) = new_figure(ncols=2)
    ax.plot([0, 1], [1, 0], label="loss")
    finish_axes(ax, "epoch", "loss", "training", title_size=9)
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("epoch", "loss", "training")
    assert ax.get_legend() is not None and ax.title.get_fontsize() == 9
    assert any(line.get_visible() for line in ax.get_xgridlines())
    finish_axes(bare, legend=False)
    assert bare.get_legend() is None and bare.get_title() == ""


def test_log_tick_labels_are_plain_text():
    from dlcourse.plots import log_tick_label

    assert [log_tick_label(v) for v in (1e-3, 1.0, 100.0)] == ["10⁻³", "10⁰", "10²"]
    assert log_tick_label(2e-3) == log_tick_label(0.0) == log_tick_label(float("nan")) == ""
