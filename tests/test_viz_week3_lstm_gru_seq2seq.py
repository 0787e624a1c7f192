"""Headless tests of dlcourse.viz.week3.lstm_gru_seq2seq (week 3, notebook 4): labels, figures, widget."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.viz.week3 import lstm_gru_seq2seq as vs
from dlcourse.widgets import figure_to_png


def _fake_translate(text: str) -> tuple[str, np.ndarray]:
    """A stand-in translator: output "2024-03-05", attention on the source characters in turn."""
    output = "2024-03-05"
    weights = np.zeros((len(output), len(text)))
    weights[np.arange(len(output)), np.arange(len(output)) % len(text)] = 1.0
    return output, weights


def test_labels_romanize_hangul_without_a_font() -> None:
    assert vs.char_label(" ") == "␣"
    assert vs.char_label("년") == "nyeon" and vs.char_label("화") == "hwa" and vs.char_label("힣") == "?"
    assert vs.char_label("년", font="NanumGothic") == "년"
    assert vs.char_label("M") == "M"
    assert vs.text_label("2024년 3월 5일 화요일") == "2024nyeon 3wol 5il hwayoil"
    assert vs.text_label("2024년", font="NanumGothic") == "2024년"
    assert set(vs.HANGUL_ROMAN) >= set("년월일요화수목금토")


def test_plot_gradient_flow_draws_one_line_per_run() -> None:
    norms = {"RNN": 0.6 ** np.arange(50)[::-1], "LSTM, forget-gate bias +3": np.ones(50)}
    fig = vs.plot_gradient_flow(norms, title="t")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_title() == "t"
    assert [line.get_label() for line in ax.lines] == list(norms)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), norms["RNN"])
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(1, 51))
    assert ax.lines[1].get_linestyle() == "--"  # runs with a shifted gate bias are dashed
    with pytest.raises(ValueError):
        vs.plot_gradient_flow({})
    with pytest.raises(ValueError):
        vs.plot_gradient_flow({"bad": np.ones((2, 3))})
    with pytest.raises(ValueError):
        vs.plot_gradient_flow({str(k): np.ones(3) for k in range(9)})


@pytest.mark.parametrize("font", [None, "NanumGothic"])
def test_plot_attention_shows_the_weights_and_labels(monkeypatch, font) -> None:
    monkeypatch.setattr(vs, "hangul_font", lambda: font)
    source, output = "2024년 3월", "2024-03"
    rng = np.random.default_rng(0)
    weights = rng.dirichlet(np.ones(len(source) + 3), size=len(output))  # 3 padded columns are cut off
    fig = vs.plot_attention(weights, source, output)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), weights[:, : len(source)])
    xlabels = [t.get_text() for t in ax.get_xticklabels()]
    assert xlabels[4] == ("년" if font else "nyeon") and xlabels[5] == "␣"
    assert [t.get_text() for t in ax.get_yticklabels()] == list(output)
    assert ("2024년" if font else "2024nyeon") in ax.get_title()
    with pytest.raises(ValueError):
        vs.plot_attention(weights[:, :3], source, output)  # fewer columns than source characters
    with pytest.raises(ValueError):
        vs.plot_attention(weights[:-1], source, output)
    empty = vs.plot_attention(np.zeros((0, len(source))), source, "")  # an untrained model may write nothing
    assert not empty.axes[0].images and "empty output" in empty.axes[0].texts[0].get_text()


def test_korean_figures_draw_without_glyph_warnings(monkeypatch) -> None:
    monkeypatch.setattr(vs, "hangul_font", lambda: None)  # the course's machines have no Hangul font
    text = "2024년 3월 5일 화요일"
    output, weights = _fake_translate(text)
    english = "Mar 5, 2024"
    fig = vs.plot_attention_pair([(weights, text, output), (_fake_translate(english)[1], english, output)])
    assert len(fig.axes) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a UserWarning
        assert figure_to_png(fig)[:4] == b"\x89PNG"
    titled = vs.plot_attention_pair([(weights, text, output)], titles=["mine"])
    assert titled.axes[0].get_title() == "mine"
    with pytest.raises(ValueError):
        vs.plot_attention_pair([])


def test_plot_style_accuracy_bars_and_bar_line() -> None:
    acc = {"en_US short": 0.91, "ko_KR full": 1.0, "ko_KR short": 0.94}
    fig = vs.plot_style_accuracy(acc, bar=0.95)
    ax = fig.axes[0]
    np.testing.assert_allclose([p.get_width() for p in ax.patches], list(acc.values()))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(acc)
    assert ax.get_xlim()[0] <= 0.89 and ax.get_legend() is not None
    with pytest.raises(ValueError):
        vs.plot_style_accuracy({})


def test_attention_explorer_redraws_for_examples_and_typed_text(monkeypatch) -> None:
    monkeypatch.setattr(vs, "hangul_font", lambda: None)
    calls = []

    def translate(text):
        calls.append(text)
        return _fake_translate(text)

    examples = ["2024년 3월 5일 화요일", "March 5, 2024", "24. 3. 5."]
    w = vs.attention_explorer(translate, examples)
    assert w.last_error is None and w.draw_count == 1 and calls == [examples[0]]
    seen = {w.image.value}
    w.controls["example"].value = examples[1]
    w.controls["typed"].value = "1999년 12월 31일 금요일"
    assert calls[-1] == "1999년 12월 31일 금요일"  # typed text wins over the dropdown
    w.controls["example"].value = examples[2]
    assert calls[-1] == "1999년 12월 31일 금요일"
    seen.add(w.image.value)
    w.controls["typed"].value = "   "
    assert calls[-1] == examples[2] and w.last_error is None
    seen.add(w.image.value)
    assert w.draw_count == 5 and len(seen) == 3
    with pytest.raises(ValueError):
        vs.attention_explorer(translate, [])


def test_attention_explorer_shows_errors_of_the_translator() -> None:
    def broken(text):
        raise RuntimeError("model not trained")

    w = vs.attention_explorer(broken, ["x"])
    assert w.last_error is not None and "model not trained" in w.error.value
