"""Figures, widget and data of the notebook "Week 3 · 5. Attention is all you need: a small Transformer from scratch".

Nothing here is an exercise's solution. :func:`make_reversal_data` generates the digit-reversal
task; the plots draw masks, positional encodings and attention weights that the notebook computed
with the learner's functions; :func:`attention_explorer` takes the trained model and a function
that returns its attention weights, both from the notebook.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dlcourse.widgets import FigureWidget

#: The padding token of the reversal task (the digits are 0-9).
PAD = 10


class ReversalData(NamedTuple):
    """A batch of the reversal task: ``tokens`` and ``targets`` (n, max_len) int64, ``lengths`` (n,)."""

    tokens: Any
    targets: Any
    lengths: Any


def make_reversal_data(n: int, min_len: int = 1, max_len: int = 8, seed: int = 0) -> ReversalData:
    """``n`` random digit sequences of lengths ``min_len..max_len``, padded with :data:`PAD` at the end.

    ``targets[b, i]`` is ``tokens[b, lengths[b] - 1 - i]`` for ``i < lengths[b]`` (the sequence
    reversed) and :data:`PAD` after it. Same seed, same data (a private ``torch.Generator``).
    """
    import torch

    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}")
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=gen)
    digits = torch.randint(0, 10, (n, max_len), generator=gen)
    pos = torch.arange(max_len)
    valid = pos < lengths[:, None]
    tokens = torch.where(valid, digits, PAD)
    mirrored = torch.gather(digits, 1, (lengths[:, None] - 1 - pos).clamp(min=0))
    return ReversalData(tokens, torch.where(valid, mirrored, PAD), lengths)


def token_text(tokens: Sequence[int]) -> list[str]:
    """Labels of tokens: the digit, or "·" for :data:`PAD`."""
    return ["·" if int(t) == PAD else str(int(t)) for t in tokens]


def _np(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


# ----------------------------------------------------------------------------- masks
def plot_masks(padding: Any, causal: Any, lengths: Sequence[int] | None = None) -> Figure:
    """Three panels: a padding mask (batch, T), a causal mask (T, T) and both for the first sequence.

    Dark = True = "may attend", the convention of the notebook (and of the boolean ``attn_mask`` of
    ``F.scaled_dot_product_attention``).
    """
    pad, cau = _np(padding).astype(bool), _np(causal).astype(bool)
    if pad.ndim != 2 or cau.ndim != 2 or cau.shape[0] != cau.shape[1] or cau.shape[0] != pad.shape[1]:
        raise ValueError(f"need padding (B, T) and causal (T, T), got {pad.shape} and {cau.shape}")
    both = pad[0][None, :] & cau
    fig = Figure(figsize=(11.0, 3.3), layout="constrained")
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [pad.shape[1], pad.shape[1], pad.shape[1]]})
    first = f" (length {lengths[0]})" if lengths is not None else ""
    for ax, m, title, ylabel in [
        (axes[0], pad, "padding mask: (batch, T)", "sequence in the batch"),
        (axes[1], cau, "causal mask: (T, T)", "query position i"),
        (axes[2], both, f"both, sequence 0{first}", "query position i"),
    ]:
        ax.imshow(m, cmap="Greys", vmin=-0.15, vmax=1.15, aspect="equal")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("key position j")
        ax.set_ylabel(ylabel)
        ax.set_xticks(range(m.shape[1]))
        ax.set_yticks(range(m.shape[0]))
        ax.set_xticks(np.arange(-0.5, m.shape[1]), minor=True)
        ax.set_yticks(np.arange(-0.5, m.shape[0]), minor=True)
        ax.grid(which="minor", color="0.75", lw=0.5)
        ax.tick_params(which="minor", length=0)
    return fig


# ----------------------------------------------------------------------------- attention heatmaps
def _heatmap(ax: Any, weights: np.ndarray, query_labels: Sequence[str], key_labels: Sequence[str],
             title: str = "", annotate: bool = False) -> Any:
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(key_labels)), list(key_labels), fontsize=8)
    ax.set_yticks(range(len(query_labels)), list(query_labels), fontsize=8)
    ax.set_xlabel("key (input token)", fontsize=8)
    ax.set_ylabel("query (output position)", fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    if annotate:
        for (i, j), w in np.ndenumerate(weights):
            ax.text(j, i, f"{w:.2f}", ha="center", va="center", fontsize=7, color="k" if w > 0.6 else "w")
    return image


def plot_attention(weights: Any, query_labels: Sequence[str], key_labels: Sequence[str], title: str = "",
                   annotate: bool = True) -> Figure:
    """One attention matrix (Tq, Tk) as a heatmap, rows = queries, columns = keys, values in [0, 1]."""
    w = _np(weights).astype(float)
    if w.ndim != 2 or w.shape != (len(query_labels), len(key_labels)):
        raise ValueError(f"weights of shape {w.shape} do not match {len(query_labels)} x {len(key_labels)} labels")
    fig = Figure(figsize=(0.55 * w.shape[1] + 2.6, 0.45 * w.shape[0] + 1.4), layout="constrained")
    ax = fig.subplots()
    image = _heatmap(ax, w, query_labels, key_labels, title, annotate)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def plot_attention_grid(layers: Sequence[Any], tokens: Sequence[int], outputs: Sequence[int] | None = None,
                        title: str = "") -> Figure:
    """Every layer (rows) and head (columns) of one sequence: ``layers[l]`` has shape (H, T, T)."""
    mats = [_np(w).astype(float) for w in layers]
    if not mats or any(m.ndim != 3 for m in mats):
        raise ValueError("layers must be a non-empty list of (H, T, T) arrays")
    n_layers, n_heads, t = len(mats), mats[0].shape[0], mats[0].shape[-1]
    keys = token_text(tokens)
    if outputs is None:
        queries = [str(i) for i in range(t)]
    else:
        queries = [f"{i}:{o}" for i, o in enumerate(token_text(outputs))]
    fig = Figure(figsize=(2.6 * n_heads + 0.8, 2.5 * n_layers + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(n_layers, n_heads, squeeze=False))
    image = None
    for layer, m in enumerate(mats):
        for head in range(n_heads):
            image = _heatmap(axes[layer, head], m[head], queries, keys, f"layer {layer + 1}, head {head + 1}")
            if head:
                axes[layer, head].set_ylabel("")
            if layer < n_layers - 1:
                axes[layer, head].set_xlabel("")
    fig.colorbar(image, ax=axes, shrink=0.6)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


# ----------------------------------------------------------------------------- positional encoding
def plot_positional_encoding(pe: Any, columns: Sequence[int] = (0, 1, 8, 9, 30, 31)) -> Figure:
    """A positional-encoding table (n_positions, d): the table, a few columns, and PE·PEᵀ.

    The right panel is the dot product of every pair of positions: for the sinusoidal encoding it
    depends only on the offset between them (constant along each diagonal).
    """
    table = _np(pe).astype(float)
    if table.ndim != 2:
        raise ValueError(f"pe must be (n_positions, d_model), got shape {table.shape}")
    n, d = table.shape
    fig = Figure(figsize=(13.0, 3.8), layout="constrained")
    ax_t, ax_c, ax_s = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1.3, 1.0]})
    image = ax_t.imshow(table, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    fig.colorbar(image, ax=ax_t, shrink=0.8)
    ax_t.set(xlabel="dimension", ylabel="position", title="PE[pos, dim]")
    for c in [c for c in columns if c < d]:
        kind = "sin" if c % 2 == 0 else "cos"
        ax_c.plot(np.arange(n), table[:, c], lw=1.3, label=f"dim {c} ({kind}, i = {c // 2})")
    ax_c.set(xlabel="position", title="a few columns: each pair (sin, cos) has its own wavelength")
    ax_c.title.set_fontsize(10)
    ax_c.set_ylim(-1.75, 1.1)  # room for the legend under the curves
    ax_c.legend(fontsize=7, loc="lower center", ncol=3)
    ax_c.grid(alpha=0.3)
    sim = table @ table.T
    image = ax_s.imshow(sim, cmap="viridis", aspect="equal", interpolation="nearest")
    fig.colorbar(image, ax=ax_s, shrink=0.8)
    ax_s.set(xlabel="position q", ylabel="position p", title="PE[p] · PE[q]: depends on q − p only")
    ax_s.title.set_fontsize(10)
    return fig


# ----------------------------------------------------------------------------- the explorer
def _precompute(model: Any, attention_fn: Callable[[Any, Any], Sequence[Any]], sequences: Sequence[Sequence[int]],
                pad_id: int, max_len: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import torch

    t = max_len or max(len(s) for s in sequences)
    if any(len(s) > t or len(s) == 0 for s in sequences):
        raise ValueError(f"every sequence needs 1 to {t} tokens")
    tokens = torch.full((len(sequences), t), pad_id, dtype=torch.long)
    for b, seq in enumerate(sequences):
        tokens[b, : len(seq)] = torch.as_tensor(list(seq), dtype=torch.long)
    params = list(model.parameters()) if hasattr(model, "parameters") else []
    if params:
        tokens = tokens.to(params[0].device)
    with torch.no_grad():
        preds = _np(model(tokens).argmax(dim=-1))
        attn = np.stack([_np(w).astype(float) for w in attention_fn(model, tokens)])  # (L, N, H, T, T)
    if attn.ndim != 5 or attn.shape[1] != len(sequences) or attn.shape[-1] != t:
        raise ValueError(f"attention_fn must return one (batch, heads, T, T) tensor per layer, got {attn.shape}")
    return _np(tokens), preds, attn


def attention_explorer(
    model: Any,
    attention_fn: Callable[[Any, Any], Sequence[Any]],
    sequences: Sequence[Sequence[int]],
    pad_id: int = PAD,
    max_len: int | None = None,
    width: int = 560,
    height: int = 430,
) -> FigureWidget:
    """Pick an input sequence, a layer and a head; see that head's attention weights and the output.

    ``model(tokens)`` maps a (batch, T) int64 tensor padded with ``pad_id`` to logits (batch, T,
    classes); ``attention_fn(model, tokens)`` returns one (batch, heads, T, T) tensor per layer.
    Both run once, on all the sequences (padded to ``max_len``, default the longest), when the
    widget is built; a change of control only redraws the kept figure.
    """
    import ipywidgets as widgets

    tokens, preds, attn = _precompute(model, attention_fn, sequences, pad_id, max_len)
    n_layers, _, n_heads, t, _ = attn.shape
    lengths = (tokens != pad_id).sum(axis=1)

    def label(b: int) -> str:
        seq = " ".join(str(int(x)) for x in tokens[b, : lengths[b]])
        return f"{seq}  ({lengths[b]} digits)"

    style = {"description_width": "70px"}
    controls = {
        "example": widgets.Dropdown(options=[(label(b), b) for b in range(len(tokens))], value=0,
                                    description="input", style=style, layout=widgets.Layout(width="330px")),
        "layer": widgets.Dropdown(options=[(f"layer {i + 1}", i) for i in range(n_layers)], value=n_layers - 1,
                                  description="layer", style=style, layout=widgets.Layout(width="200px")),
        "head": widgets.Dropdown(options=[*[(f"head {h + 1}", h) for h in range(n_heads)], ("mean of heads", -1)],
                                 value=0, description="head", style=style, layout=widgets.Layout(width="200px")),
    }
    fig = Figure(figsize=(width / 90, (height - 10) / 90))  # a fixed layout: constrained layout costs 100+ ms
    fig.subplots_adjust(left=0.16, right=0.97, bottom=0.12, top=0.87)
    ax = fig.subplots()
    image = _heatmap(ax, np.zeros((t, t)), [""] * t, [""] * t, "x")
    fig.colorbar(image, ax=ax, shrink=0.85, label="attention weight")
    # The ticks stay; only their texts change (formatters read `shown`): rebuilding ticks costs tens of ms.
    shown: dict[str, list[str]] = {"x": [""] * t, "y": [""] * t}
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: shown["x"][int(round(v))] if 0 <= v < t else ""))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: shown["y"][int(round(v))] if 0 <= v < t else ""))
    ax.tick_params(labelsize=9)

    def draw(example: int, layer: int, head: int) -> Figure:
        w = attn[layer, example].mean(axis=0) if head < 0 else attn[layer, example, head]
        image.set_data(w)
        n = int(lengths[example])
        reversed_ok = bool(np.array_equal(preds[example, :n], tokens[example, :n][::-1]))
        shown["x"] = token_text(tokens[example])
        shown["y"] = [f"{i}: {p}" if i < n else f"{i}: (pad)" for i, p in enumerate(preds[example])]
        out = " ".join(str(int(p)) for p in preds[example, :n])
        which = "mean of heads" if head < 0 else f"head {head + 1}"
        ax.set_title(f"layer {layer + 1}, {which}\noutput {out}  ({'reversed ✓' if reversed_ok else 'wrong ✗'})",
                     fontsize=10)
        return fig

    explorer = FigureWidget(draw, controls, width=width, height=height)
    explorer.attention = attn
    explorer.predictions = preds
    return explorer
