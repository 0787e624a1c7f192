"""Drawing computational graphs with the forward value and the gradient on every node.

Works with any object that looks like a scalar autograd value: attributes ``data``, ``grad``,
``_prev`` (the inputs it was computed from) and ``_op`` (the operation's symbol), and an optional
``label``. The learner's own ``Value`` class of week 1 has exactly these, and :class:`GraphNode`
builds a hand-made graph before it exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch


@dataclass(eq=False)
class GraphNode:
    """A node of a hand-made computational graph (for drawing only)."""

    data: float
    grad: float | None = None
    label: str = ""
    _op: str = ""
    _prev: tuple[GraphNode, ...] = field(default_factory=tuple)


def topological_order(root: Any) -> list[Any]:
    """All nodes that ``root`` depends on, inputs before the nodes computed from them."""
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:  # iterative DFS so that deep graphs do not hit the recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for child in _inputs(node):
            if id(child) not in seen:
                stack.append((child, False))
    return order


def _inputs(node: Any) -> Iterable[Any]:
    prev = getattr(node, "_prev", ())
    return list(prev) if prev is not None else []


def _fmt(x: Any) -> str:
    if x is None:
        return "–"
    try:
        return f"{float(x):.4g}"
    except (TypeError, ValueError):
        return str(x)


def draw_graph(root: Any, show_grad: bool = True, title: str | None = None, max_nodes: int = 60) -> Figure:
    """Draw the graph that computed ``root``: inputs on the left, ``root`` on the right.

    Each value is a box with its label, its forward value (black) and, if ``show_grad``, its
    gradient d root / d node (red). Each operation is a circle between its inputs and its result.
    """
    nodes = topological_order(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"the graph has {len(nodes)} nodes; drawing more than max_nodes={max_nodes} is unreadable"
        )
    depth: dict[int, int] = {}
    for n in nodes:
        ins = _inputs(n)
        depth[id(n)] = 0 if not ins else 1 + max(depth[id(c)] for c in ins)
    consumers: dict[int, list[Any]] = {}
    for n in nodes:
        for c in _inputs(n):
            consumers.setdefault(id(c), []).append(n)
    for n in reversed(nodes):  # inputs sit just left of their first use, not all in column 0
        if not _inputs(n) and id(n) in consumers:
            depth[id(n)] = min(depth[id(u)] for u in consumers[id(n)]) - 1
    columns: dict[int, list[Any]] = {}
    for n in nodes:
        columns.setdefault(depth[id(n)], []).append(n)
    n_cols = max(columns) + 1
    n_rows = max(len(c) for c in columns.values())
    pos: dict[int, tuple[float, float]] = {}
    for d, col in columns.items():
        for i, n in enumerate(col):
            pos[id(n)] = (3.0 * d, (n_rows - 1) / 2.0 - i + (len(col) - 1) / 2.0 - (n_rows - 1) / 2.0)

    fig = Figure(figsize=(max(4.0, 2.3 * n_cols), max(2.2, 1.25 * n_rows + 0.6)))
    ax = fig.add_subplot()
    box_w, box_h = 1.5, 0.8 if show_grad else 0.55
    for n in nodes:
        x, y = pos[id(n)]
        ax.add_patch(
            FancyBboxPatch(
                (x - box_w / 2, y - box_h / 2), box_w, box_h, boxstyle="round,pad=0.04",
                facecolor="#eef4fb", edgecolor="#33557a", linewidth=1.2,
            )
        )
        label = getattr(n, "label", "") or ""
        top = y + (0.22 if show_grad else 0.1)
        ax.text(x, top, f"{label}  {_fmt(n.data)}" if label else _fmt(n.data), ha="center", va="center",
                fontsize=9, color="black", family="monospace")
        if show_grad:
            ax.text(x, y - 0.18, f"grad {_fmt(getattr(n, 'grad', None))}", ha="center", va="center",
                    fontsize=8.5, color="#c0392b", family="monospace")
        ins = _inputs(n)
        if not ins:
            continue
        op = getattr(n, "_op", "") or "?"
        ox, oy = x - 1.45, y
        ax.add_patch(Circle((ox, oy), 0.24, facecolor="#fff3d6", edgecolor="#a8741a", linewidth=1.1))
        ax.text(ox, oy, op, ha="center", va="center", fontsize=8, family="monospace")
        ax.annotate("", xy=(x - box_w / 2 - 0.04, y), xytext=(ox + 0.24, oy),
                    arrowprops=dict(arrowstyle="->", color="#555555", lw=1.0))
        for c in ins:
            cx, cy = pos[id(c)]
            ax.annotate("", xy=(ox - 0.22, oy), xytext=(cx + box_w / 2 + 0.04, cy),
                        arrowprops=dict(arrowstyle="->", color="#555555", lw=1.0,
                                        connectionstyle="arc3,rad=0.0"))
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.1, max(xs) + 1.1)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
