"""Figures and widgets of the notebook "Week 3 · 3. Language models: n-grams, perplexity and recurrent networks".

Nothing here is an exercise's solution. The heat map draws a probability table the learner built,
:func:`plot_gradient_norms` and :func:`plot_training` draw numbers the notebook computed, and
:func:`temperature_explorer` takes the learner's model (as a function that returns the logits of
the next character after a prefix) and the learner's sampling function as arguments.
:func:`sample_names` only loops: it asks ``next_logits`` for the logits and ``sample_fn`` for the
character, one character at a time, until the boundary token comes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from dlcourse.widgets import FigureWidget

#: ``next_logits(prefix)``: the logits (float array of shape (V,)) of the character that follows
#: ``prefix``, a tuple of character indices that does *not* include the leading boundary token.
NextLogits = Callable[[tuple[int, ...]], np.ndarray]
#: ``sample_fn(logits, temperature, rng, n_samples)``: an int array of n_samples indices.
SampleFn = Callable[..., np.ndarray]


def plot_bigram_table(P: np.ndarray, itos: Sequence[str], title: str = "", log: bool = True) -> Figure:
    """The table P[i, j] = P(next = j | current = i) as a heat map (log10 by default).

    Row ``i`` is the current character, column ``j`` the next one; index 0 is the boundary ``.``
    (row 0: how names start; column 0: how they end).
    """
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] != len(itos):
        raise ValueError(f"P must be a square table with one row per symbol of itos ({len(itos)}), got {P.shape}")
    values = np.log10(np.maximum(P, 1e-12)) if log else P
    fig = Figure(figsize=(6.4, 5.6), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Blues", vmin=max(values.min(), -4.0) if log else 0.0)
    ticks = np.arange(len(itos))
    ax.set_xticks(ticks, list(itos), fontsize=7)
    ax.set_yticks(ticks, list(itos), fontsize=7)
    ax.set_xlabel("next character")
    ax.set_ylabel("current character")
    ax.set_title(title or ("log10 P(next | current)" if log else "P(next | current)"), fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def plot_gradient_norms(norms: Mapping[str, np.ndarray], title: str = "") -> Figure:
    """Gradient norm (log scale) against the time step it reaches, one line per run.

    ``norms[label][t]`` is the norm of the gradient that reaches step ``t`` (t = 0 is the first
    step); the loss sits at the last step, so the x axis is drawn as "steps back from the loss".
    """
    if not norms:
        raise ValueError("plot_gradient_norms needs at least one line")
    fig = Figure(figsize=(6.6, 3.8), layout="constrained")
    ax = fig.subplots()
    for label, values in norms.items():
        values = np.asarray(values, dtype=np.float64)
        back = np.arange(len(values))[::-1]  # step t is len - 1 - t steps before the loss
        ax.semilogy(back, np.maximum(values, 1e-300), "o-", ms=3, lw=1.3, label=label)
    ax.set_xlabel("steps back from the loss (T − 1 − t)")
    ax.set_ylabel("‖∂L / ∂a_t‖")
    ax.set_title(title or "the gradient that reaches earlier time steps", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_training(history: Mapping[str, Sequence[float]], baseline: float | None = None,
                  max_norm: float | None = None) -> Figure:
    """Training curves of the character model: losses per epoch (left), gradient norms per step (right).

    ``history`` holds "train" and "val" (per epoch) and optionally "grad_norm" (per step, before
    clipping). ``baseline`` draws the bigram's validation loss, ``max_norm`` the clipping threshold.
    """
    has_norms = bool(history.get("grad_norm"))
    fig = Figure(figsize=(10.0 if has_norms else 5.2, 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, 2 if has_norms else 1))
    ax = axes[0]
    for key in ("train", "val"):
        if history.get(key):
            epochs = np.arange(1, len(history[key]) + 1)
            ax.plot(epochs, history[key], "o-", ms=4, label=f"{key} loss")
    if baseline is not None:
        ax.axhline(baseline, color="k", ls="--", lw=1, label=f"bigram, validation ({baseline:.3f})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per character")
    ax.set_title("character-level GRU", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    if has_norms:
        ax = axes[1]
        ax.semilogy(np.asarray(history["grad_norm"], dtype=np.float64), lw=0.8, label="global norm before clipping")
        if max_norm is not None:
            ax.axhline(max_norm, color="r", ls="--", lw=1, label=f"max_norm = {max_norm:g}")
        ax.set_xlabel("optimizer step")
        ax.set_title("gradient norm during training", fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return fig


def sample_names(next_logits: NextLogits, sample_fn: SampleFn, itos: Sequence[str], temperature: float,
                 rng: np.random.Generator, n: int = 10, prefix: tuple[int, ...] = (), max_len: int = 20,
                 join: str = "") -> list[str]:
    """``n`` names drawn one character at a time with the learner's ``sample_fn``.

    Each name starts with ``prefix`` (character indices, no boundary token). A name ends when
    the boundary token (index 0) is drawn or after ``max_len`` characters.
    """
    names = []
    for _ in range(n):
        seq = tuple(prefix)
        while len(seq) < max_len:
            nxt = int(np.asarray(sample_fn(next_logits(seq), temperature, rng, 1)).reshape(-1)[0])
            if nxt == 0:
                break
            seq = (*seq, nxt)
        names.append(join.join(itos[i] for i in seq))
    return names


class TemperatureFrame:
    """The figure of the temperature explorer, built once and updated in place.

    Left: the next-character distribution after a prefix, as the frequencies of ``n_draws`` draws
    of the learner's ``sample_fn``; right: ``n_names`` names sampled at the same temperature. Each
    :meth:`update` reuses the bars, ticks and text of the first drawing (creating 27 tick labels
    costs more than drawing them), so a slider change stays within the course's 100 ms budget.
    """

    def __init__(self, next_logits: NextLogits, sample_fn: SampleFn, itos: Sequence[str], n_names: int = 10,
                 n_draws: int = 2000, seed: int = 0, join: str = "") -> None:
        self.next_logits, self.sample_fn, self.itos = next_logits, sample_fn, list(itos)
        self.n_names, self.n_draws, self.seed, self.join = n_names, n_draws, seed, join
        self.stoi = {s: i for i, s in enumerate(self.itos)}
        self.fig = Figure(figsize=(9.6, 3.4))
        self.ax, self.ax_names = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.3, 1]})
        self.fig.subplots_adjust(left=0.06, right=0.99, bottom=0.12, top=0.88, wspace=0.08)
        x = np.arange(len(self.itos))
        self.bars = self.ax.bar(x, np.zeros(len(x)), color="#1f77b4")
        self.ax.set_xticks(x, ["⏎" if s == "." else s for s in self.itos], fontsize=8)
        self.ax.set_ylim(0, 1)
        self.ax.set_ylabel(f"frequency in {n_draws} draws")
        self.ax.grid(alpha=0.3, axis="y")
        self.ax_names.axis("off")
        self.names_text = self.ax_names.text(0.05, 0.97, "", va="top", ha="left", fontsize=10, family="monospace",
                                             transform=self.ax_names.transAxes)

    def update(self, temperature: float, prefix: str = "") -> Figure:
        """Draw ``n_draws`` next characters and ``n_names`` names at ``temperature``; return the figure."""
        units = list(prefix) if not self.join else [u for u in prefix.split(self.join) if u]
        ids = tuple(self.stoi[u] for u in units)
        rng = np.random.default_rng(self.seed)  # the same random stream at every temperature
        draws = np.asarray(self.sample_fn(self.next_logits(ids), temperature, rng, self.n_draws)).reshape(-1)
        freq = np.bincount(draws, minlength=len(self.itos)) / max(len(draws), 1)
        names = sample_names(self.next_logits, self.sample_fn, self.itos, temperature, rng, n=self.n_names,
                             prefix=ids, join=self.join)
        for bar, height in zip(self.bars, freq):
            bar.set_height(height)
        shown = self.join.join(units) if units else "(start)"
        self.ax.set_title(f"next character after “{shown}”, T = {temperature:g}", fontsize=10)
        self.ax_names.set_title(f"{self.n_names} names sampled at T = {temperature:g}", fontsize=10)
        self.names_text.set_text("\n".join(names))
        return self.fig


def draw_temperature(next_logits: NextLogits, sample_fn: SampleFn, itos: Sequence[str], temperature: float,
                     prefix: str = "", n_names: int = 10, n_draws: int = 2000, seed: int = 0,
                     join: str = "") -> Figure:
    """One frame of the temperature explorer (a static figure): the next-character distribution after
    ``prefix`` (the frequencies of ``n_draws`` draws of ``sample_fn``) and ``n_names`` names sampled at
    ``temperature``. The same seed gives the same random stream at every temperature."""
    frame = TemperatureFrame(next_logits, sample_fn, itos, n_names=n_names, n_draws=n_draws, seed=seed, join=join)
    return frame.update(temperature, prefix)


def temperature_explorer(next_logits: NextLogits, sample_fn: SampleFn, itos: Sequence[str],
                         prefixes: Sequence[str] = ("", "a", "ma", "jo", "kri"), temperature: float = 1.0,
                         n_names: int = 10, n_draws: int = 2000, seed: int = 0, join: str = "") -> FigureWidget:
    """A temperature slider (0 to 3; 0 means greedy) and a prefix menu over :func:`draw_temperature`.

    ``next_logits`` is the learner's model (the bigram table or the trained network) wrapped as a
    function of the prefix; the widget caches its answers, so moving the slider back and forth
    recomputes nothing it has already seen. ``sample_fn`` is the learner's sampling function.
    """
    import ipywidgets as w

    cache: dict[tuple[int, ...], np.ndarray] = {}

    def cached(prefix: tuple[int, ...]) -> np.ndarray:
        if prefix not in cache:
            cache[prefix] = np.asarray(next_logits(prefix), dtype=np.float64)
        return cache[prefix]

    frame = TemperatureFrame(cached, sample_fn, itos, n_names=n_names, n_draws=n_draws, seed=seed, join=join)

    def draw(temperature: float, prefix: str) -> Figure:
        return frame.update(temperature, prefix)

    style = {"description_width": "90px"}
    explorer = FigureWidget(
        draw,
        {
            "temperature": w.FloatSlider(value=temperature, min=0.0, max=3.0, step=0.05, description="temperature T",
                                         style=style, layout=w.Layout(width="420px"), continuous_update=False),
            "prefix": w.Dropdown(options=list(prefixes), value=prefixes[0], description="prefix", style=style),
        },
        width=860,
        height=306,
    )
    explorer.cache = cache  # type: ignore[attr-defined]
    return explorer
