"""Headless tests of dlcourse.viz.week3.text_to_numbers (week 3, notebook 1): the corpus, the Korean
helpers, the figures and the BPE merge widget (driven by small BPE functions written here)."""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.viz.week3 import text_to_numbers as vt


# A plain BPE, written here only to drive the widget (the notebook's learners write their own).
def _merge(symbols, pair):
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def _learn(word_counts, num_merges):
    words = {tuple(w) + ("</w>",): c for w, c in word_counts.items()}
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for s, c in words.items():
            for p in zip(s, s[1:]):
                pairs[p] += c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        words = {tuple(_merge(list(s), best)): c for s, c in words.items()}
    return merges


def _encode(word, merges):
    symbols = list(word) + ["</w>"]
    for m in merges:
        symbols = _merge(symbols, tuple(m))
    return symbols


def _word_counts(corpus, lang):
    return Counter(t for text, la in zip(corpus.texts, corpus.langs) if la == lang
                   for t in re.findall(r"[^\W\d_]+", text.lower()))


HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_corpus_is_deterministic_bilingual_and_balanced() -> None:
    a, b = vt.make_bilingual_corpus(10, seed=3), vt.make_bilingual_corpus(10, seed=3)
    assert a == b
    assert a != vt.make_bilingual_corpus(10, seed=4)
    assert len(a.texts) == 80 and Counter(a.langs) == {"ko": 40, "en": 40}
    assert Counter(zip(a.topics, a.langs)) == {(t, la): 10 for t in vt.TOPICS for la in ("ko", "en")}
    for text, lang in zip(a.texts, a.langs):
        assert bool(HANGUL.search(text)) == (lang == "ko"), text
        assert text.endswith(".") and "{" not in text and "}" not in text
    with pytest.raises(ValueError):
        vt.make_bilingual_corpus(0)


def test_korean_particles_agree_with_the_final_consonant() -> None:
    corpus = vt.make_bilingual_corpus(100, seed=0)
    pairs = {"이": "가", "을": "를", "은": "는"}
    for text, lang in zip(corpus.texts, corpus.langs):
        if lang != "ko":
            continue
        for word in text.rstrip(".").split():
            for with_final, without in pairs.items():
                for particle, wants_final in [(with_final, True), (without, False)]:
                    stem = word[: -len(particle)]
                    nouns = {n: f for ws in vt._KO_WORDS.values() for n, f in ws}
                    if word.endswith(particle) and stem in nouns:
                        has_final = (ord(stem[-1]) - 0xAC00) % 28 != 0
                        assert has_final == nouns[stem], f"wrong flag for {stem!r}"
                        assert has_final == wants_final, f"{word!r} in {text!r}"
    # the hand-written flags match the syllables themselves
    for words in vt._KO_WORDS.values():
        for noun, final in words:
            assert ((ord(noun[-1]) - 0xAC00) % 28 != 0) == final, noun


def test_jamo_for_display_maps_conjoining_to_compatibility_jamo() -> None:
    nfd = unicodedata.normalize("NFD", "값을 A1")
    assert vt.jamo_for_display(nfd) == "ㄱㅏㅄㅇㅡㄹ A1"
    every = "".join(chr(c) for c in range(0xAC00, 0xD7A4))
    shown = vt.jamo_for_display(unicodedata.normalize("NFD", every))
    assert all(0x3131 <= ord(ch) <= 0x3163 for ch in shown)
    # each compatibility jamo decomposes (NFKD) to a conjoining jamo of the same letter
    for code, compat in vt._DISPLAY.items():
        assert unicodedata.name(compat).split()[-1] == unicodedata.name(chr(code)).split()[-1], hex(code)


def test_show_morphemes_never_fails(capsys) -> None:
    used = vt.show_morphemes(use_kiwi=False)
    out = capsys.readouterr().out
    assert used is False and "pip install kiwipiepy" in out and "에서/JKB" in out and "오/VV" in out
    try:
        import kiwipiepy  # noqa: F401
    except ImportError:
        return
    assert vt.show_morphemes(["어제 서울에서 비가 많이 왔다."]) is True
    out = capsys.readouterr().out
    assert "pip install" not in out and "서울/NNP" in out


def test_kiwi_examples_match_kiwi_when_installed() -> None:
    pytest.importorskip("kiwipiepy")
    kiwi = vt.load_kiwi()
    for sentence, pairs in vt.KIWI_EXAMPLES.items():
        assert [(t.form, t.tag) for t in kiwi.tokenize(sentence)] == pairs
        assert all(tag in vt.KIWI_TAGS for _, tag in pairs)


def test_figures_draw_and_reject_hangul_labels() -> None:
    fig = vt.plot_length_histograms({"chars": {"ko": [3, 4, 4], "en": [5, 6]}, "words": {"ko": [1, 2], "en": [2, 2]}})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert "mean 3.7" in fig.axes[0].get_legend().get_texts()[0].get_text()
    fig = vt.plot_rank_frequency({"ko words": Counter("aabbbc"), "en words": Counter("xy")})
    ko = fig.axes[0].lines[0]
    np.testing.assert_array_equal(ko.get_ydata(), [3, 2, 1])
    assert "3 types, 1 seen once" in fig.axes[0].get_legend().get_texts()[0].get_text()
    m = np.array([[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]])
    fig = vt.plot_tfidf_heatmap(m, ["a", "b", "c"], ["d0", "d1"])
    assert len(fig.axes) == 2 and len(fig.axes[0].texts) == 3
    with pytest.raises(ValueError, match="Latin"):
        vt.plot_tfidf_heatmap(m, ["a", "비", "c"], ["d0", "d1"])
    with pytest.raises(ValueError, match="shape"):
        vt.plot_tfidf_heatmap(m, ["a", "b"], ["d0", "d1"])
    fig = vt.plot_similarity_matrix(np.eye(4), ["y", "x", "y", "x"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["x", "y"]


def test_svg_curve_places_the_marker_and_ticks() -> None:
    svg = vt.svg_curve([0, 10, 20], [5.0, 3.0, 1.0], 10, "a < b", width=300, height=200)
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "a &lt; b" in svg
    # plot area from x = 46 to 290: the marker at the middle of the x range
    assert "x1='168.0' x2='168.0'" in svg and ">20<" in svg and ">0<" in svg
    np.testing.assert_allclose(vt._ticks(0, 300), [0, 100, 200, 300])
    np.testing.assert_allclose(vt._ticks(0.9, 4.1), [1, 2, 3, 4])


def test_segmentation_html_escapes_and_counts() -> None:
    text = vt.segmentation_html({"a<b": ["a", "<b", "</w>"]})
    assert "&lt;b" in text and "&lt;/w&gt;" in text and "<td style='padding:2px 10px 2px 0;color:#666'>3</td>" in text


def _explorer(**kw):
    corpus = vt.make_bilingual_corpus(30, seed=0)
    ko, en = _word_counts(corpus, "ko"), _word_counts(corpus, "en")
    jamo = Counter({unicodedata.normalize("NFD", w): c for w, c in ko.items()})
    kw.setdefault("max_merges", 300)
    return vt.bpe_merge_widget(
        _learn, _encode,
        corpora={"English words": en, "Korean syllables": ko, "Korean jamo": jamo},
        words={"English words": ["the", "temperature", "smartphones", "warmest", "kimchi", "celebrated"],
               "Korean syllables": ["서울에서", "부산에서는", "비빔밥을", "경기에서도", "먹었다", "스마트폰이"],
               "Korean jamo": [unicodedata.normalize("NFD", w) for w in ["서울에서", "부산에서는", "먹었다"]]},
        display={"Korean jamo": vt.jamo_for_display}, **kw)


def test_bpe_widget_redraws_on_every_control_and_is_fast() -> None:
    start = time.perf_counter()
    w = _explorer()
    built = time.perf_counter() - start
    assert w.last_error is None and w.draw_count == 1
    seen, html_seen, slider_ms = {w.plot.value}, {w.html.value}, []
    for corpus in ["Korean syllables", "Korean jamo", "English words"]:
        w.controls["corpus"].value = corpus  # learns (once) with the learner's function: not a slider change
        for k in list(range(0, 301, 10)) + [299, 1, 0]:
            start = time.perf_counter()
            w.controls["merges"].value = k
            slider_ms.append((time.perf_counter() - start) * 1000)
            assert w.last_error is None, w.last_error
            seen.add(w.plot.value)
            html_seen.add(w.html.value)
    assert len(seen) > 50 and len(html_seen) > 50 and w.draw_count > 100
    slider_ms = np.array(slider_ms)
    print(f"\nBPE widget: built in {built * 1000:.0f} ms; per slider change median {np.median(slider_ms):.1f} ms, "
          f"max {slider_ms.max():.1f} ms over {len(slider_ms)} changes")
    assert np.median(slider_ms) < 1000  # a sanity bound, not the 100 ms budget (measured and printed above)


def test_bpe_widget_shows_the_learner_segmentation_and_curves() -> None:
    w = _explorer()
    w.controls["corpus"].value = "Korean syllables"
    w.controls["merges"].value = 100
    merges = _learn(dict(w.corpora["Korean syllables"]), 300)
    assert w._cache["Korean syllables"]["merges"] == merges
    assert "".join(_encode("서울에서", merges[:100])) == "서울에서</w>"
    assert "서울" in w.html.value and "에서&lt;/w&gt;" in w.html.value and "<b>100 merges</b>" in w.html.value
    data = w._cache["Korean syllables"]
    alphabet = {ch for word in w.corpora["Korean syllables"] for ch in word} | {"</w>"}
    assert data["vocab"][0] == len(alphabet) and len(data["vocab"]) == len(merges) + 1
    assert data["per_word"][0] > data["per_word"][-1] >= 1.0  # merges shorten the words
    fig = w.figure("Korean syllables", 100)
    assert isinstance(fig, Figure) and "vocabulary size" in fig.axes[0].get_title()
    assert f"vocabulary size: {data['vocab'][100]} symbols" in w.plot.value and w.plot.value.count("<svg") == 2
    w.controls["corpus"].value = "Korean jamo"
    assert "ㅅㅓ" in w.html.value or "ㅇㅔ" in w.html.value  # shown as compatibility jamo


def test_bpe_widget_shows_errors_of_the_learner_functions() -> None:
    def broken_encode(word, merges):
        if word == "lowest" and len(merges) > 5:
            raise RuntimeError("my bug")
        return _encode(word, merges)

    w = vt.bpe_merge_widget(_learn, broken_encode, corpora={"c": {"low": 5, "lower": 2, "newest": 6}},
                            words={"c": ["lowest"]}, max_merges=10)
    w.controls["merges"].value = 3
    assert w.last_error is None
    w.controls["merges"].value = 8
    assert w.last_error is not None and "my bug" in w.last_error and "my bug" in w.error.value
    with pytest.raises(ValueError):
        vt.bpe_merge_widget(_learn, _encode, corpora={}, words={})
    with pytest.raises(ValueError):
        vt.bpe_merge_widget(_learn, _encode, corpora={"a": {"x": 1}}, words={"b": ["x"]})
