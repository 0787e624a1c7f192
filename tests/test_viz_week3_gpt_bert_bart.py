"""Headless tests of dlcourse.viz.week3.gpt_bert_bart (week 3, notebook 6): corpus, vocabulary, models,
span sampler, probes, figures and the fill-in widget."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlcourse.viz.week3 import gpt_bert_bart as g


def _causal(T: int) -> torch.Tensor:
    return torch.ones(T, T, dtype=torch.bool).triu(1)


def test_corpus_is_deterministic_split_and_grammatical() -> None:
    a, b = g.make_fruit_corpus(0), g.make_fruit_corpus(0)
    assert [s.words for s in a.train] == [s.words for s in b.train]
    assert len(a.train) == 624 and len(a.val) == 156
    assert not {s.words for s in a.train} & {s.words for s in a.val}
    assert all(not s.template.startswith(("en: the", "ko: X")) for s in a.val)  # short templates train only
    assert g.make_fruit_corpus(1).val != a.val
    words = {w for s in a.train + a.val for w in s.words}
    assert {"사과", "귤", "은", "는", "이", "가", "을", "를", "an"} <= words
    for s in a.train + a.val:
        assert len(s.words) == len(s.determined)
        for k, w in enumerate(s.words[:-1]):
            if w in ("은", "는", "이", "가", "을", "를"):
                prev = s.words[k - 1]
                assert (w in ("은", "이", "을")) == g.has_final_consonant(prev), s.words
            if w in ("a", "an"):
                assert (w == "an") == (s.words[k + 1][0] in "aeiou")
    assert g.has_final_consonant("귤") and not g.has_final_consonant("사과")
    assert all(w in g.ROMANIZED for w in words if not w.isascii())
    assert g.latin("사과 는 빨갛다 .") == "sagwa -neun ppalgata ."


def test_vocab_encode_decode_and_batches() -> None:
    corpus = g.make_fruit_corpus(0)
    vocab = corpus.vocab
    assert vocab.itos[:4] == list(g.SPECIAL_TOKENS) and len(vocab) == len(set(vocab.itos))
    ids = vocab.encode(["the", "apple", "is", "red", "."])
    assert ids[0] == g.BOS_ID and ids[-1] == g.EOS_ID
    assert vocab.decode(ids + [g.PAD_ID, 7]) == "the apple is red ."
    assert vocab.decode(ids, keep_special=True).startswith("[BOS] the")
    batch = g.encode_batch(vocab, corpus.train[:5])
    assert batch.dtype == torch.int64 and batch.shape[0] == 5
    padded = g.pad_batch([[1, 2], [3]], pad_id=9)
    assert padded.tolist() == [[1, 2], [3, 9]]


def test_tiny_transformer_masks_and_padding() -> None:
    torch.manual_seed(0)
    net = g.TinyTransformer(20, d_model=16, n_heads=2).eval()
    a = torch.tensor([[1, 5, 6, 7, 2]])
    b = a.clone()
    b[0, 3] = 9
    with torch.no_grad():
        la, lb = net(a, attn_mask=_causal(5)), net(b, attn_mask=_causal(5))
        assert torch.allclose(la[0, :3], lb[0, :3], atol=1e-6) and not torch.allclose(la[0, 3], lb[0, 3])
        full_a, full_b = net(a), net(b)
        assert not torch.allclose(full_a[0, :3], full_b[0, :3])  # no mask: everything sees the change
        padded = net(torch.tensor([[1, 5, 6, 0, 0]]))
        assert torch.allclose(padded[0, :3], net(torch.tensor([[1, 5, 6]]))[0], atol=1e-5)  # pads are hidden keys
    assert la.shape == (1, 5, 20)
    seq = g.TinySeq2Seq(20, d_model=16, n_heads=2).eval()
    with torch.no_grad():
        out = seq(torch.tensor([[1, 5, 3, 2, 0]]), torch.tensor([[1, 5, 6]]), tgt_mask=_causal(3))
    assert out.shape == (1, 3, 20) and torch.isfinite(out).all()


@pytest.mark.parametrize("seed", range(20))
def test_sample_spans_are_sorted_disjoint_and_fit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for n in (1, 2, 4, 7, 9, 30):
        spans = g.sample_spans(n, rng, mask_ratio=0.3, poisson_lambda=1.5)
        assert spans
        end = -1
        for start, length in spans:
            assert start > end and length >= 0 and start + length <= n
            end = start + length
        assert sum(length for _, length in spans) <= max(1, round(0.3 * n))


def test_blank_probes_hide_only_determined_words() -> None:
    corpus = g.make_fruit_corpus(0)
    probes = g.blank_probes(corpus.vocab, corpus.val)
    assert probes.inputs.shape == probes.answers.shape and len(probes.categories) == probes.inputs.shape[0]
    assert ((probes.answers != -100).sum(dim=1) == 1).all()
    assert ((probes.inputs == g.MASK_ID) == (probes.answers != -100)).all()
    names = {corpus.vocab.stoi[w] for w in g.EN_NAMES + g.KO_NAMES}
    assert not any(int(a) in names for a in probes.answers[probes.answers != -100])
    assert set(probes.categories) == {"fruit", "colour", "article/particle", "other"}


def test_figures() -> None:
    fig = g.plot_attention_patterns(T=5)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert np.array_equal(fig.axes[0].images[0].get_array(), np.tril(np.ones((5, 5))))
    fig2 = g.plot_attention_patterns(T=4, causal=_causal)
    assert np.array_equal(fig2.axes[0].images[0].get_array(), np.tril(np.ones((4, 4))))
    corpus = g.make_fruit_corpus(0)
    ids = g.encode_batch(corpus.vocab, corpus.train[:3])
    corrupted = ids.clone()
    corrupted[:, 1] = g.MASK_ID
    labels = torch.full_like(ids, -100)
    labels[:, 1] = ids[:, 1]
    assert isinstance(g.masking_rows(corpus.vocab, ids, corrupted, labels, n_rows=2), Figure)
    rows = g.plot_token_rows({"a": ["사과", "는"], "b": ["x"]}, title="사과")
    texts = [t.get_text() for t in rows.axes[0].texts]
    assert "sagwa" in texts and all(t.isascii() for t in texts)
    hist = g.plot_histories({"x": [3.0, 2.0, 1.0]}, {"baseline": 2.5})
    assert len(hist.axes[0].lines) == 2
    dist = g.plot_distributions({"p": {"사과": 0.7, "귤": 0.3}}, title="t")
    assert [t.get_text() for t in dist.axes[0].get_yticklabels()] == ["gyul", "sagwa"]


def test_fill_in_explorer_reacts_fast() -> None:
    corpus = g.make_fruit_corpus(0)
    torch.manual_seed(0)
    causal, masked = g.TinyTransformer(len(corpus.vocab)).eval(), g.TinyTransformer(len(corpus.vocab)).eval()
    panels = g.blank_distributions(causal, masked, _causal, corpus.vocab, ["the", "apple", "is", "red", "."], 1)
    for dist in panels.values():
        assert sum(dist.values()) == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(ValueError):
        g.blank_distributions(causal, masked, _causal, corpus.vocab, ["the", "apple"], 5)
    w = g.fill_in_explorer(causal, masked, _causal, corpus.vocab, corpus.val[:5])
    slider, dropdown = w.controls["position"], w.controls["sentence"]
    assert slider.max == len(corpus.val[0].words) - 1
    fig = w.draw(**w.values())
    times = []
    for k in range(12):
        start = time.perf_counter()
        if k % 3 == 0:
            dropdown.value = (dropdown.value + 1) % 5
        else:
            slider.value = (slider.value + 1) % (slider.max + 1)
        times.append(time.perf_counter() - start)
    dropdown.value = 3
    assert slider.max == len(corpus.val[3].words) - 1
    slider.value = 2
    assert w.last_error is None and w.draw_count >= 10
    assert w.draw(**w.values()) is fig  # one Figure, updated in place
    # The precomputed bars are what blank_distributions says for this sentence and blank.
    words = corpus.val[3].words
    want = g.blank_distributions(causal, masked, _causal, corpus.vocab, words, 2)
    for ax, dist in zip(fig.axes, want.values()):
        best = sorted(dist.items(), key=lambda kv: -kv[1])[:6][::-1]
        assert [p.get_width() for p in ax.patches] == pytest.approx([p for _, p in best], abs=1e-5)
        assert [t.get_text() for t in ax.texts] == [g.latin(w) for w, _ in best]
    assert "___" in fig.texts[0].get_text() and g.latin(words[2]) in fig.texts[0].get_text()
    assert np.median(times) < 0.3  # ~40 ms on an idle core; generous for a loaded CI machine
