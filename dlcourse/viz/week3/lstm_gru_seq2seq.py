"""Figures and widgets of the notebook "Week 3 · 4. LSTM, GRU and sequence-to-sequence with attention".

Nothing here is an exercise's solution. :func:`plot_gradient_flow` draws gradient norms the
notebook computed with the learner's cells; :func:`plot_attention` and :func:`plot_attention_pair`
draw attention weights that the learner's model produced; :func:`attention_explorer` takes the
learner's trained translator as a function ``translate(text) -> (output, weights)``.

Matplotlib's default font has no Hangul glyphs, and none ships with the course. Tick labels of
Korean characters are therefore drawn in a Hangul font when the machine has one (Noto Sans CJK,
Nanum, Malgun Gothic, Apple SD Gothic) and otherwise as their romanization ("년" → "nyeon"), so a
figure never shows empty boxes or warns about missing glyphs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from dlcourse.widgets import FigureWidget

#: The Hangul syllables that dates written by CLDR's Korean formats contain, romanized
#: (Revised Romanization): year, month, day, the weekday suffix and the seven weekdays.
HANGUL_ROMAN = {"년": "nyeon", "월": "wol", "일": "il", "요": "yo", "화": "hwa", "수": "su", "목": "mok",
                "금": "geum", "토": "to"}
_HANGUL_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "NanumBarunGothic", "Malgun Gothic",
                 "Apple SD Gothic Neo", "AppleGothic", "UnDotum", "Baekmuk Gulim")
#: One colour per line of :func:`plot_gradient_flow` (matplotlib's tab10 order).
PALETTE = ("#d62728", "#1f77b4", "#17becf", "#2ca02c", "#bcbd22", "#9467bd", "#8c564b", "#7f7f7f")


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


@functools.lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """The name of an installed font that has Hangul glyphs, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _HANGUL_FONTS if name in installed), None)


def char_label(ch: str, font: str | None = None) -> str:
    """How a character is written on an axis: a space as "␣", Hangul as itself when a Hangul font
    is available (``font``), otherwise romanized ("년" → "nyeon"; "?" for a syllable not in
    :data:`HANGUL_ROMAN`)."""
    if ch == " ":
        return "␣"
    if _is_hangul(ch) and font is None:
        return HANGUL_ROMAN.get(ch, "?")
    return ch


def text_label(text: str, font: str | None = None) -> str:
    """A string as a title shows it: unchanged with a Hangul font, else romanized ("2024년" → "2024nyeon")."""
    if font is not None:
        return text
    return "".join(HANGUL_ROMAN.get(c, "?") if _is_hangul(c) else c for c in text)


def plot_gradient_flow(norms: Mapping[str, np.ndarray], title: str = "") -> Figure:
    """How much of the loss's gradient reaches each input: ``norms[label][t]`` against t (log scale).

    The loss sits after the last step, so the left end of each line is the gradient that travelled
    furthest back. A flat line means the gradient survives the trip; a falling one, that it vanishes.
    """
    if not norms:
        raise ValueError("plot_gradient_flow needs at least one line")
    if len(norms) > len(PALETTE):
        raise ValueError(f"plot_gradient_flow draws at most {len(PALETTE)} lines, got {len(norms)}")
    fig = Figure(figsize=(7.2, 4.0), layout="constrained")
    ax = fig.subplots()
    for k, (label, values) in enumerate(norms.items()):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"norms[{label!r}] must be one-dimensional, got shape {values.shape}")
        steps = np.arange(1, len(values) + 1)
        ax.semilogy(steps, np.maximum(values, 1e-30), color=PALETTE[k], lw=1.8, label=label,
                    ls="--" if "bias" in label else "-")
    ax.set_xlabel("time step t of the input x_t (the loss reads the state after the last step)")
    ax.set_ylabel("‖∂L/∂x_t‖ (mean over the batch)")
    ax.set_title(title or "gradient that reaches each input, at initialization", fontsize=10)
    ax.grid(alpha=0.3, which="major")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_attention(weights: np.ndarray, source: str, output: str, ax=None, title: str = "") -> Figure:
    """Attention weights as a heat map: one row per output character, one column per source character.

    ``weights`` has shape (len(output), len(source)) (extra columns beyond the source, e.g. the
    padding of a batch, are cut off); each row sums to one.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[0] != len(output) or (len(output) and weights.shape[1] < len(source)):
        raise ValueError(f"weights must have shape ({len(output)}, >= {len(source)}), got {weights.shape}")
    weights = weights[:, : len(source)]
    if ax is None:  # fixed margins: much faster to draw than a constrained layout (the widget redraws it)
        width, height = max(3.0, 0.26 * len(source) + 1.4), 0.26 * max(len(output), 1) + 1.6
        fig = Figure(figsize=(width, height))
        fig.subplots_adjust(left=0.9 / width, right=1 - 0.2 / width, bottom=0.95 / height, top=1 - 0.4 / height)
        ax = fig.subplots()
    fig = ax.figure
    if len(output) == 0:  # nothing to show (an untrained model may write </s> first)
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"{text_label(source, hangul_font())} → (empty output)", ha="center", va="center")
        return fig
    font = hangul_font()
    ax.imshow(weights, cmap="Greys", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    ax.set_xticks(np.arange(len(source)), [char_label(c, font) for c in source], fontsize=8,
                  rotation=90 if font is None and any(_is_hangul(c) for c in source) else 0)
    ax.set_yticks(np.arange(len(output)), [char_label(c, font) for c in output], fontsize=8)
    if font is not None:
        for label in ax.get_xticklabels():
            label.set_fontfamily(font)
    ax.set_xlabel("source character")
    ax.set_ylabel("output character")
    ax.set_title(title or f"{text_label(source, font)} → {output}", fontsize=9)
    if font is not None:
        ax.title.set_fontfamily(font)
    return fig


def plot_attention_pair(examples: Sequence[tuple[np.ndarray, str, str]], titles: Sequence[str] = ()) -> Figure:
    """Several attention maps side by side: ``examples`` holds (weights, source, output) triples."""
    if not examples:
        raise ValueError("plot_attention_pair needs at least one example")
    widths = [max(len(src), 8) for _, src, _ in examples]
    height = max(len(out) for _, _, out in examples)
    fig = Figure(figsize=(0.27 * sum(widths) + 1.6 * len(examples), 0.3 * height + 1.7), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(examples), gridspec_kw={"width_ratios": widths}))
    for k, ((weights, source, output), ax) in enumerate(zip(examples, axes)):
        plot_attention(weights, source, output, ax=ax, title=titles[k] if k < len(titles) else "")
    return fig


def plot_style_accuracy(accuracy: Mapping[str, float], bar: float | None = None, title: str = "") -> Figure:
    """Horizontal bars: the exact-match accuracy of each date style, with an optional bar line."""
    if not accuracy:
        raise ValueError("plot_style_accuracy needs at least one style")
    names = list(accuracy)
    values = np.array([accuracy[n] for n in names], dtype=np.float64)
    fig = Figure(figsize=(6.4, 0.28 * len(names) + 1.2), layout="constrained")
    ax = fig.subplots()
    ax.barh(np.arange(len(names)), values, color=["#1f77b4" if n.startswith("ko") else "#ff7f0e" for n in names])
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    lo = min(0.9, float(values.min()) - 0.02)
    ax.set_xlim(lo, 1.0)
    if bar is not None:
        ax.axvline(bar, color="k", ls="--", lw=1, label=f"bar {bar:.0%}")
        ax.legend(fontsize=8, loc="lower left")
    ax.set_xlabel("exact-match accuracy on held-out dates")
    ax.set_title(title or "accuracy by style (blue: Korean, orange: English)", fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    return fig


def attention_explorer(translate: Callable[[str], tuple[str, np.ndarray]], examples: Sequence[str],
                       width: int = 640, height: int = 360) -> FigureWidget:
    """Pick an example (or type a date) and see the output and its attention map.

    ``translate(text)`` returns the model's output string and its attention weights, an array of
    shape (len(output), len(text)). The text box wins when it is not empty.
    """
    import ipywidgets as widgets

    if not examples:
        raise ValueError("attention_explorer needs at least one example")

    def draw(example: str, typed: str) -> Figure:
        text = typed.strip() or example
        output, weights = translate(text)
        return plot_attention(np.asarray(weights), text, output)

    controls = {
        "example": widgets.Dropdown(options=list(examples), value=examples[0], description="example"),
        "typed": widgets.Text(value="", description="or type", placeholder="e.g. 2002년 6월 4일 화요일",
                              continuous_update=False),
    }
    return FigureWidget(draw, controls, width=width, height=height)
