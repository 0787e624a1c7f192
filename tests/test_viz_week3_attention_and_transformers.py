"""Headless tests of dlcourse.viz.week3.attention_and_transformers (week 3, notebook 5): the reversal
data, the figures and the attention explorer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from support.widgets import assert_each_change_redraws, time_changes

from dlcourse.viz.week3 import attention_and_transformers as va
from dlcourse.widgets import figure_to_png

PAD = va.PAD


def test_reversal_data_reverses_the_real_tokens_and_pads_the_rest() -> None:
    data = va.make_reversal_data(300, min_len=2, max_len=6, seed=3)
    assert data.tokens.shape == data.targets.shape == (300, 6) and data.tokens.dtype == torch.int64
    assert int(data.lengths.min()) >= 2 and int(data.lengths.max()) <= 6
    assert len(set(data.lengths.tolist())) == 5  # every length occurs
    for tok, tgt, n in zip(data.tokens.tolist(), data.targets.tolist(), data.lengths.tolist()):
        assert tgt[:n] == tok[:n][::-1] and all(0 <= t <= 9 for t in tok[:n])
        assert tok[n:] == [PAD] * (6 - n) and tgt[n:] == [PAD] * (6 - n)
    again = va.make_reversal_data(300, min_len=2, max_len=6, seed=3)
    assert torch.equal(again.tokens, data.tokens)
    assert not torch.equal(va.make_reversal_data(300, min_len=2, max_len=6, seed=4).tokens, data.tokens)
    with pytest.raises(ValueError):
        va.make_reversal_data(5, min_len=0)
    assert va.token_text([3, PAD, 0]) == ["3", "·", "0"]


def test_plot_masks_draws_the_three_masks() -> None:
    pad = torch.tensor([[True, True, False], [True, True, True]])
    causal = torch.ones(3, 3, dtype=torch.bool).tril()
    fig = va.plot_masks(pad, causal, [2, 3])
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), pad[0][None, :].numpy() & causal.numpy())
    assert "length 2" in fig.axes[2].get_title()
    with pytest.raises(ValueError):
        va.plot_masks(pad, torch.ones(4, 4, dtype=torch.bool))


def test_plot_attention_and_grid() -> None:
    w = torch.softmax(torch.randn(3, 4, generator=torch.Generator().manual_seed(0)), dim=-1)
    fig = va.plot_attention(w, ["a", "b", "c"], ["w", "x", "y", "z"], title="t")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), w.numpy())
    assert len(fig.axes[0].texts) == 12  # every weight written in its cell
    with pytest.raises(ValueError):
        va.plot_attention(w, ["a"], ["w"])
    layers = [torch.rand(4, 5, 5), torch.rand(4, 5, 5)]
    grid = va.plot_attention_grid(layers, [1, 2, 3, PAD, PAD], [3, 2, 1, 0, 0], title="g")
    assert len(grid.axes) == 2 * 4 + 1  # the heatmaps and one colorbar
    assert [t.get_text() for t in grid.axes[0].get_xticklabels()] == ["1", "2", "3", "·", "·"]
    np.testing.assert_allclose(grid.axes[5].images[0].get_array(), layers[1][1].numpy())


def test_plot_positional_encoding_panels() -> None:
    n, d = 20, 8
    pos = np.arange(n)[:, None]
    freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    pe = np.stack([np.sin(pos * freq), np.cos(pos * freq)], axis=-1).reshape(n, d)
    fig = va.plot_positional_encoding(pe, columns=(0, 1, 99))
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), pe)
    curves = [ax for ax in fig.axes if ax.lines]
    assert len(curves) == 1 and len(curves[0].lines) == 2  # column 99 does not exist and is skipped
    sim = [ax for ax in fig.axes if ax.images and ax.images[0].get_array().shape == (n, n)][0]
    s = np.asarray(sim.images[0].get_array())
    np.testing.assert_allclose(np.diag(s, 3), np.diag(s, 3)[0])  # constant along a diagonal
    with pytest.raises(ValueError):
        va.plot_positional_encoding(np.zeros(5))


# ----------------------------------------------------------------------------- the explorer
class _Reverser(torch.nn.Module):
    """A stand-in 'trained model': logits that reverse the real tokens; fake attention on the anti-diagonal."""

    def __init__(self, n_layers: int = 2, n_heads: int = 3) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))
        self.n_layers, self.n_heads = n_layers, n_heads

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        lengths = (tokens != PAD).sum(dim=1)
        pos = torch.arange(tokens.shape[1])
        src = (lengths[:, None] - 1 - pos).clamp(min=0)
        out = torch.gather(tokens, 1, src).clamp(max=9)
        return torch.nn.functional.one_hot(out, 10).float() * self.scale


def _attention(model: _Reverser, tokens: torch.Tensor) -> list[torch.Tensor]:
    b, t = tokens.shape
    lengths = (tokens != PAD).sum(dim=1)
    pos = torch.arange(t)
    anti = torch.nn.functional.one_hot((lengths[:, None] - 1 - pos).clamp(min=0), t).float()  # (B, T, T)
    uniform = (pos < lengths[:, None]).float()[:, None, :].expand(b, t, t) / lengths[:, None, None]
    heads = torch.stack([anti, uniform, 0.5 * (anti + uniform), anti.mT], dim=1)[:, : model.n_heads]
    return [heads.roll(layer, dims=1) for layer in range(model.n_layers)]


INPUTS = [[3, 1, 4, 1, 5], [2, 7], [9, 9, 0, 1, 2, 3, 4, 5], [6]]


def test_attention_explorer_redraws_on_every_control() -> None:
    w = va.attention_explorer(_Reverser(), _attention, INPUTS, max_len=8)
    assert w.attention.shape == (2, 4, 3, 8, 8)
    assert_each_change_redraws(w, [("example", 1), ("layer", 0), ("head", 2), ("head", -1), ("example", 3)])
    ax = w.draw(**w.values()).axes[0]
    assert "reversed ✓" in ax.get_title() and "mean of heads" in ax.get_title()
    np.testing.assert_allclose(ax.images[0].get_array(), w.attention[0, 3].mean(axis=0))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["6"] + ["·"] * 7


def test_attention_explorer_shows_the_selected_head_and_a_wrong_output() -> None:
    class Wrong(_Reverser):
        def forward(self, tokens):
            return torch.nn.functional.one_hot(tokens.clamp(max=9), 10).float()  # copies instead of reversing

    w = va.attention_explorer(Wrong(n_layers=1, n_heads=2), _attention, INPUTS[:2])
    assert w.attention.shape == (1, 2, 2, 5, 5)  # padded to the longest input
    assert [o for o, _ in w.controls["head"].options] == ["head 1", "head 2", "mean of heads"]
    ax = w.draw(example=0, layer=0, head=1).axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), w.attention[0, 0, 1])
    assert "wrong ✗" in ax.get_title()
    with pytest.raises(ValueError):
        va.attention_explorer(Wrong(), _attention, [[1] * 9], max_len=8)
    with pytest.raises(ValueError):  # attention_fn must give (batch, heads, T, T) per layer
        va.attention_explorer(Wrong(), lambda m, t: [torch.zeros(len(t), t.shape[1], t.shape[1])], INPUTS)


def test_attention_explorer_latency() -> None:
    """Time per control change, drawing and PNG included (printed; the budget is 100 ms)."""
    w = va.attention_explorer(_Reverser(n_layers=2, n_heads=4), _attention, INPUTS, max_len=8)
    changes = [("example", e) for e in (1, 2, 3, 0)] + [("layer", 0), ("layer", 1)]
    changes += [("head", h) for h in (1, 2, 3, -1, 0)]
    times = time_changes(w, changes, "attention explorer", repeats=2)
    assert math.isfinite(max(times))
    assert len(figure_to_png(w.draw(**w.values()))) > 1000
