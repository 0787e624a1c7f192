"""Data, figures and the BPE widget of "Week 3 · 1. Text to numbers: tokens, vocabularies, BPE and TF-IDF".

Nothing here is an exercise's solution. :func:`make_bilingual_corpus` generates the notebook's
small Korean–English corpus from templates; :func:`show_morphemes` shows Kiwi's morphemes (or a
precomputed table when kiwipiepy is missing); the plots draw numbers the notebook computed; and
:func:`bpe_merge_widget` drives the learner's own ``learn_bpe`` and ``bpe_encode`` functions.

Figures use only Latin text: matplotlib's default font has no Hangul glyphs (Colab has no Korean
font either), so Korean is shown in printed text and HTML, which the browser renders.
"""

from __future__ import annotations

import functools
import html
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure

TOPICS = ("sports", "weather", "food", "tech")
TOPICS_KO = {"sports": "스포츠", "weather": "날씨", "food": "음식", "tech": "기술"}

# ----------------------------------------------------------------------------- the corpus
# Korean nouns with a hand-written flag: True when the last syllable ends in a consonant (받침),
# which picks the particle form: 이/가, 을/를, 은/는, 으로/로 (ㄹ-final nouns take 로), 이다/다.
_KO_WORDS: dict[str, list[tuple[str, bool]]] = {
    "team": [("서울", True), ("부산", True), ("대구", False), ("인천", True), ("광주", False), ("대전", True),
             ("수원", True), ("제주", False)],
    "sport": [("축구", False), ("야구", False), ("농구", False), ("배구", False), ("테니스", False)],
    "player": [("민준", True), ("서연", True), ("지호", False), ("하은", True), ("도윤", True), ("수아", False)],
    "city": [("서울", True), ("부산", True), ("대구", False), ("제주", False), ("강릉", True), ("대전", True)],
    "precip": [("비", False), ("눈", True), ("소나기", False), ("우박", True)],
    "season": [("봄", True), ("여름", True), ("가을", True), ("겨울", True)],
    "dish": [("김치찌개", False), ("비빔밥", True), ("불고기", False), ("떡볶이", False), ("냉면", True),
             ("삼겹살", True), ("된장국", True)],
    "ingredient": [("고추", False), ("마늘", True), ("두부", False), ("김치", False), ("돼지고기", False),
                   ("참기름", True)],
    "person": [("민수", False), ("지은", True), ("서준", True), ("하윤", True), ("철수", False), ("영희", False)],
    "company": [("삼성", True), ("네이버", False), ("카카오", False), ("애플", True), ("구글", True)],
    "device": [("스마트폰", True), ("노트북", True), ("태블릿", True), ("스마트워치", False), ("이어폰", True)],
    "plang": [("파이썬", True), ("자바", False), ("러스트", False), ("자바스크립트", False)],
}
_PARTICLES = {"이": ("이", "가"), "을": ("을", "를"), "은": ("은", "는"), "으로": ("으로", "로"),
              "이다": ("이다", "다")}

_KO_TEMPLATES = {
    "sports": ["{team:이} 어제 {sport} 경기에서 {team2:을} {n}점 차로 이겼다.",
               "{player} 선수가 오늘 경기에서 {n}골을 넣었다.",
               "{sport} 팬들은 {team}의 승리를 기뻐했다.",
               "다음 주에 {team}에서 {sport} 결승전이 열린다.",
               "{team:은} 이번 시즌 {sport} 리그에서 {n}위를 했다."],
    "weather": ["{city}에는 내일 {precip:이} 올 예정이다.",
                "오늘 {city}의 기온은 {t}도까지 오른다.",
                "{season}에는 {city}에 바람이 많이 분다.",
                "기상청은 {city}에 호우 경보를 내렸다.",
                "{city}의 강수 확률은 {p}%이다."],
    "food": ["{person:은} 점심으로 {dish:을} 먹었다.",
             "이 식당의 {dish:은} 정말 맛있다.",
             "{dish}에는 {ingredient:이} 많이 들어간다.",
             "{city}에서 유명한 음식은 {dish:이다}.",
             "{dish} 한 그릇은 {price}원이다."],
    "tech": ["{company:이} 새로운 {device:을} 발표했다.",
             "이 {device:은} 배터리가 {h}시간 간다.",
             "개발자들은 {plang:으로} 프로그램을 만든다.",
             "{company}의 {device} 판매량이 {p}% 늘었다.",
             "{person:은} 어제 {device:을} 샀다."],
}

_EN_WORDS: dict[str, list[str]] = {
    "team": ["Seoul", "Busan", "Daegu", "Incheon", "Gwangju", "Daejeon", "Suwon", "Jeju"],
    "sport": ["soccer", "baseball", "basketball", "volleyball", "tennis"],
    "player": ["Minjun", "Seoyeon", "Jiho", "Haeun", "Doyun", "Sua"],
    "city": ["Seoul", "Busan", "Daegu", "Jeju", "Gangneung", "Daejeon"],
    "precip": ["rain", "snow", "showers", "hail"],
    "season": ["spring", "summer", "autumn", "winter"],
    "dish": ["kimchi stew", "bibimbap", "bulgogi", "tteokbokki", "naengmyeon", "pork belly", "soybean soup"],
    "ingredient": ["chili", "garlic", "tofu", "kimchi", "pork", "sesame oil"],
    "person": ["Minsu", "Jieun", "Seojun", "Hayun", "Chulsoo", "Younghee"],
    "company": ["Samsung", "Naver", "Kakao", "Apple", "Google"],
    "device": ["smartphone", "laptop", "tablet", "smartwatch", "earphones"],
    "plang": ["Python", "Java", "Rust", "JavaScript"],
}
_EN_TEMPLATES = {
    "sports": ["{team} beat {team2} by {n} points in yesterday's {sport} match.",
               "The player {player} scored {n} goals in today's game.",
               "The {sport} fans celebrated the victory of {team}.",
               "The {sport} final will be played in {team} next week.",
               "{team} finished in place {n} of the {sport} league this season."],
    "weather": ["{precip} is expected in {city} tomorrow.",
                "Today the temperature in {city} will rise to {t} degrees.",
                "In {season}, the wind blows hard in {city}.",
                "The weather service issued a heavy rain warning for {city}.",
                "The chance of rain in {city} is {p}%."],
    "food": ["{person} had {dish} for lunch.",
             "The {dish} at this restaurant is really delicious.",
             "A lot of {ingredient} goes into {dish}.",
             "The famous food in {city} is {dish}.",
             "A bowl of {dish} costs {price} won."],
    "tech": ["{company} announced a new {device}.",
             "The battery of this {device} lasts {h} hours.",
             "Developers write programs in {plang}.",
             "Sales of the {device} from {company} grew by {p}%.",
             "{person} bought a {device} yesterday."],
}


class Corpus(NamedTuple):
    """Sentences with their topic ("sports", "weather", "food", "tech") and language ("ko" or "en")."""

    texts: list[str]
    topics: list[str]
    langs: list[str]


def _numbers(rng: random.Random) -> dict[str, str]:
    return {"n": str(rng.randint(1, 9)), "t": f"{rng.uniform(-5, 36):.1f}",
            "p": str(rng.randint(10, 90)), "price": f"{rng.randint(6, 15) * 1000:,}", "h": str(rng.randint(8, 40))}


def _fill_ko(template: str, rng: random.Random) -> str:
    values, chosen = _numbers(rng), {}
    out, pos = [], 0
    while (start := template.find("{", pos)) >= 0:
        end = template.index("}", start)
        out.append(template[pos:start])
        slot, _, particle = template[start + 1:end].partition(":")
        if slot in values:
            out.append(values[slot])
        else:
            words = _KO_WORDS[slot.rstrip("2")]
            if slot.endswith("2"):  # a second team, different from the first
                words = [w for w in words if w[0] != chosen.get("team")]
            noun, batchim = words[rng.randrange(len(words))]
            if not slot.endswith("2"):
                chosen[slot] = noun
            if particle:
                with_final, without = _PARTICLES[particle]
                out.append(noun + (with_final if batchim else without))
            else:
                out.append(noun)
        pos = end + 1
    out.append(template[pos:])
    return "".join(out)


def _fill_en(template: str, rng: random.Random) -> str:
    values = _numbers(rng)
    team = rng.choice(_EN_WORDS["team"])
    values["team"] = team
    values["team2"] = rng.choice([t for t in _EN_WORDS["team"] if t != team])
    for slot, words in _EN_WORDS.items():
        if slot != "team":
            values[slot] = rng.choice(words)
    text = template.format(**values)
    return text[0].upper() + text[1:]


def make_bilingual_corpus(n_per_topic: int = 30, seed: int = 0) -> Corpus:
    """``n_per_topic`` Korean and ``n_per_topic`` English sentences for each of the four topics.

    Sentences come from five templates per topic and language, with nouns, names and numbers drawn
    at random; Korean nouns carry the particle form that their last syllable asks for (이/가, 을/를,
    은/는, ...). The order is shuffled. The same ``seed`` gives the same corpus on every machine.
    """
    if n_per_topic < 1:
        raise ValueError(f"n_per_topic must be at least 1, got {n_per_topic}")
    rng = random.Random(seed)
    rows = []
    for topic in TOPICS:
        for _ in range(n_per_topic):
            rows.append((_fill_ko(rng.choice(_KO_TEMPLATES[topic]), rng), topic, "ko"))
            rows.append((_fill_en(rng.choice(_EN_TEMPLATES[topic]), rng), topic, "en"))
    rng.shuffle(rows)
    texts, topics, langs = (list(col) for col in zip(*rows))
    return Corpus(texts, topics, langs)


# ----------------------------------------------------------------------------- Korean helpers
_COMPAT_LEAD = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_COMPAT_VOWEL = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_COMPAT_TAIL = "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
_DISPLAY = {**{0x1100 + i: c for i, c in enumerate(_COMPAT_LEAD)},
            **{0x1161 + i: c for i, c in enumerate(_COMPAT_VOWEL)},
            **{0x11A8 + i: c for i, c in enumerate(_COMPAT_TAIL)}}


def jamo_for_display(text: str) -> str:
    """Conjoining jamo (U+1100–U+11FF) replaced by the look-alike *compatibility* jamo (ㄱ, ㅏ, ...).

    A browser draws a sequence of conjoining jamo as one syllable block again, which hides the
    decomposition; compatibility jamo stand alone. Use it only to print: the two are different
    characters, and a lead ᄀ and a tail ᆨ both become ㄱ.
    """
    return text.translate(_DISPLAY)


#: Kiwi's analysis of the two example sentences (kiwipiepy 0.24), shown when kiwipiepy is missing.
KIWI_EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "학생들이 도서관에서 책을 읽었습니다.": [
        ("학생", "NNG"), ("들", "XSN"), ("이", "JKS"), ("도서관", "NNG"), ("에서", "JKB"), ("책", "NNG"),
        ("을", "JKO"), ("읽", "VV"), ("었", "EP"), ("습니다", "EF"), (".", "SF")],
    "어제 서울에서 비가 많이 왔다.": [
        ("어제", "MAG"), ("서울", "NNP"), ("에서", "JKB"), ("비", "NNG"), ("가", "JKS"), ("많이", "MAG"),
        ("오", "VV"), ("었", "EP"), ("다", "EF"), (".", "SF")],
}
#: What Kiwi's part-of-speech tags (the Sejong tag set) mean.
KIWI_TAGS = {"NNG": "common noun", "NNP": "proper noun", "XSN": "noun suffix (plural 들)", "JKS": "subject particle",
             "JKB": "adverbial particle", "JKO": "object particle", "VV": "verb stem", "EP": "pre-final ending (past)",
             "EF": "final ending", "MAG": "adverb", "SF": "period", "JX": "topic particle", "VA": "adjective stem",
             "ETM": "adnominal ending", "NR": "numeral", "SN": "number", "NNB": "bound noun", "VCP": "copula 이다"}


@functools.lru_cache(maxsize=1)
def load_kiwi() -> Any:
    """A ``kiwipiepy.Kiwi`` analyzer (loaded once, a few seconds), or None when kiwipiepy is missing."""
    try:
        from kiwipiepy import Kiwi

        return Kiwi()
    except Exception:  # ImportError, or a model that fails to load: the caller falls back, never fails
        return None


def show_morphemes(sentences: Sequence[str] = tuple(KIWI_EXAMPLES), use_kiwi: bool = True) -> bool:
    """Print each sentence's morphemes with their tags; return True when kiwipiepy computed them.

    Without kiwipiepy (Colab), or with ``use_kiwi=False``, it prints one line saying how to get it
    and the precomputed analysis of :data:`KIWI_EXAMPLES` instead. It never raises.
    """
    kiwi = load_kiwi() if use_kiwi else None
    if kiwi is None:
        print("kiwipiepy is not installed: `pip install kiwipiepy` (about 100 MB) shows the morphemes of any "
              "sentence. Here is its precomputed analysis of two sentences.")
        sentences = [s for s in sentences if s in KIWI_EXAMPLES] or list(KIWI_EXAMPLES)
    for sentence in sentences:
        pairs = ([(t.form, t.tag) for t in kiwi.tokenize(sentence)] if kiwi is not None
                 else KIWI_EXAMPLES[sentence])
        print(f"\n{sentence}\n  words:     {' | '.join(sentence.split())}")
        print("  morphemes: " + " + ".join(f"{form}/{tag}" for form, tag in pairs))
        seen = dict.fromkeys(tag for _, tag in pairs)
        print("  tags:      " + "; ".join(f"{tag} = {KIWI_TAGS.get(tag, '?')}" for tag in seen))
    return kiwi is not None


# ----------------------------------------------------------------------------- figures
_COLORS = {"ko": "#c0392b", "en": "#2e5fa3"}


def plot_length_histograms(lengths: Mapping[str, Mapping[str, Sequence[int]]]) -> Figure:
    """One panel per tokenization (``lengths[scheme][lang]`` = tokens per sentence), Korean vs English."""
    if not lengths:
        raise ValueError("plot_length_histograms needs at least one tokenization")
    fig = Figure(figsize=(3.3 * len(lengths) + 0.4, 3.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(lengths)))
    for ax, (scheme, by_lang) in zip(axes, lengths.items()):
        top = max(max(v) for v in by_lang.values() if len(v))
        bins = np.arange(0, top + 2) - 0.5 if top <= 40 else np.linspace(0, top + 1, 31)
        for lang, values in by_lang.items():
            ax.hist(values, bins=bins, alpha=0.55, color=_COLORS.get(lang), label=f"{lang}: mean {np.mean(values):.1f}")
        ax.set_title(scheme, fontsize=10)
        ax.set_xlabel("tokens per sentence")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("sentences")
    return fig


def plot_rank_frequency(counts: Mapping[str, Counter]) -> Figure:
    """Zipf plot: the frequency of each token type against its rank (log-log), one line per name."""
    fig = Figure(figsize=(5.2, 3.6), layout="constrained")
    ax = fig.subplots()
    for k, (name, counter) in enumerate(counts.items()):
        freq = np.sort(np.fromiter(counter.values(), dtype=float))[::-1]
        singletons = int((freq == 1).sum())
        color = _COLORS.get(name[:2], f"C{k}")
        ax.loglog(np.arange(1, len(freq) + 1), freq, "o-", ms=2.5, lw=1, color=color,
                  label=f"{name}: {len(freq)} types, {singletons} seen once")
    ax.set_xlabel("rank of the token type")
    ax.set_ylabel("count in the corpus")
    ax.set_title("rank-frequency (Zipf) plot", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _latin(label: str) -> str:
    if any("\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f" or "\uac00" <= ch <= "\ud7a3" for ch in label):
        raise ValueError(f"figure labels must be Latin text (no Korean font is installed), got {label!r}")
    return label


def plot_tfidf_heatmap(matrix: np.ndarray, terms: Sequence[str], doc_labels: Sequence[str],
                       title: str = "TF-IDF weights") -> Figure:
    """A documents × terms heatmap of a (small) TF-IDF matrix, with each nonzero weight written in."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(doc_labels), len(terms)):
        raise ValueError(f"matrix shape {matrix.shape} does not match {len(doc_labels)} labels x {len(terms)} terms")
    n_docs, n_terms = matrix.shape
    fig = Figure(figsize=(0.36 * n_terms + 2.0, 0.4 * n_docs + 1.6), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(float(matrix.max()), 1e-12), aspect="auto")
    ax.set_xticks(range(n_terms), [_latin(t) for t in terms], rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n_docs), [_latin(d) for d in doc_labels], fontsize=8)
    for i, j in zip(*np.nonzero(matrix)):
        value = matrix[i, j]
        ax.text(j, i, f"{value:.2f}"[1:] if value < 1 else "1", ha="center", va="center", fontsize=6.5,
                color="white" if value > 0.6 * matrix.max() else "black")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def plot_similarity_matrix(similarity: np.ndarray, groups: Sequence[str], title: str = "cosine similarity") -> Figure:
    """A documents × documents similarity heatmap, with documents sorted by ``groups`` (e.g. topic)."""
    similarity = np.asarray(similarity, dtype=float)
    order = np.argsort(np.asarray(groups), kind="stable")
    sorted_groups = np.asarray(groups)[order]
    fig = Figure(figsize=(5.0, 4.4), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(similarity[np.ix_(order, order)], cmap="magma", vmin=0, vmax=1, interpolation="nearest")
    edges = [i for i in range(1, len(order)) if sorted_groups[i] != sorted_groups[i - 1]]
    for e in edges:
        ax.axhline(e - 0.5, color="w", lw=0.8)
        ax.axvline(e - 0.5, color="w", lw=0.8)
    starts = [0, *edges, len(order)]
    centers = [(a + b - 1) / 2 for a, b in zip(starts[:-1], starts[1:])]
    names = [_latin(str(sorted_groups[a])) for a in starts[:-1]]
    ax.set_xticks(centers, names, fontsize=8, rotation=45, ha="right")
    ax.set_yticks(centers, names, fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


# ----------------------------------------------------------------------------- the BPE widget
_PALETTE = ("#fde2e2", "#e2f0fd", "#e5f8e0", "#fff4d6", "#efe3fb", "#dff7f4")


def segmentation_html(segmented: Mapping[str, Sequence[str]], display: Callable[[str], str] = str) -> str:
    """HTML that shows each word's tokens as coloured boxes (``display`` maps a token to its text)."""
    rows = []
    for word, tokens in segmented.items():
        boxes = "".join(
            f"<span style='background:{_PALETTE[i % len(_PALETTE)]};border:1px solid #999;border-radius:3px;"
            f"padding:1px 4px;margin-right:2px;font-family:monospace'>{html.escape(display(tok))}</span>"
            for i, tok in enumerate(tokens))
        rows.append(f"<tr><td style='padding:2px 10px 2px 0'>{html.escape(display(word))}</td>"
                    f"<td style='padding:2px 10px 2px 0;color:#666'>{len(tokens)}</td><td>{boxes}</td></tr>")
    return ("<table style='border-collapse:collapse'><tr><th style='text-align:left'>word</th>"
            "<th style='text-align:left'>tokens</th><th style='text-align:left'>segmentation</th></tr>"
            + "".join(rows) + "</table>")


def _ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """About ``n`` round tick values between lo and hi."""
    span = max(hi - lo, 1e-12)
    step = 10 ** np.floor(np.log10(span / n))
    step *= min((m for m in (1, 2, 5, 10) if span / (m * step) <= n), default=10)
    return np.arange(np.ceil(lo / step) * step, hi + 1e-9 * span, step)


def svg_curve(xs: Sequence[float], ys: Sequence[float], marker_x: float, title: str, dots: bool = False,
              width: int = 340, height: int = 220) -> str:
    """A small line plot as inline SVG, with a red vertical line at ``marker_x``.

    The widget redraws it at every slider change: SVG text costs about a millisecond, where a
    matplotlib PNG costs about a hundred.
    """
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    left, right, top, bottom = 46, 10, 24, 34
    x0, x1 = float(xs.min()), float(max(xs.max(), xs.min() + 1))
    pad = 0.05 * max(float(ys.max() - ys.min()), 1e-9)
    y0, y1 = float(ys.min()) - pad, float(ys.max()) + pad

    def px(x):
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def py(y):
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    parts = [f"<svg width='{width}' height='{height}' xmlns='http://www.w3.org/2000/svg' "
             "style='font-family:sans-serif;font-size:11px'>",
             f"<text x='{width / 2}' y='14' text-anchor='middle' font-size='12'>{html.escape(title)}</text>",
             f"<rect x='{left}' y='{top}' width='{width - left - right}' height='{height - top - bottom}' "
             "fill='none' stroke='#888'/>"]
    for t in _ticks(x0, x1):
        parts.append(f"<line x1='{px(t):.1f}' x2='{px(t):.1f}' y1='{top}' y2='{height - bottom}' stroke='#eee'/>"
                     f"<text x='{px(t):.1f}' y='{height - bottom + 14}' text-anchor='middle'>{t:g}</text>")
    for t in _ticks(y0, y1):
        parts.append(f"<line x1='{left}' x2='{width - right}' y1='{py(t):.1f}' y2='{py(t):.1f}' stroke='#eee'/>"
                     f"<text x='{left - 4}' y='{py(t) + 4:.1f}' text-anchor='end'>{t:g}</text>")
    points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys))
    parts.append(f"<polyline points='{points}' fill='none' stroke='#2e5fa3' stroke-width='1.8'/>")
    if dots:
        parts += [f"<circle cx='{px(x):.1f}' cy='{py(y):.1f}' r='2.5' fill='#2e5fa3'/>" for x, y in zip(xs, ys)]
    mx = px(min(max(marker_x, x0), x1))
    parts.append(f"<line x1='{mx:.1f}' x2='{mx:.1f}' y1='{top}' y2='{height - bottom}' stroke='#c0392b'/>")
    parts.append(f"<text x='{width / 2}' y='{height - 4}' text-anchor='middle'>number of merges</text></svg>")
    return "".join(parts)


class BPEExplorer:
    """A slider for the number of merges, a corpus menu, the segmentation of some words and two curves.

    At construction (and once per corpus) it calls the learner's ``learn_bpe(word_counts,
    max_merges)`` and measures, on a grid of merge counts, the vocabulary size and the average
    number of tokens per word of the corpus with the learner's ``bpe_encode(word, merges[:k])``.
    Each slider change then only encodes the shown words with the first ``k`` merges and redraws
    the two curves as inline SVG (fast); :meth:`figure` draws them with matplotlib, for a static
    copy. ``widget`` is what the notebook displays; ``last_error`` holds the last error's text, also shown
    under the figure; ``timings`` the seconds of each redraw.
    """

    def __init__(self, learn_bpe: Callable[..., Any], bpe_encode: Callable[..., Any],
                 corpora: Mapping[str, Mapping[str, int]], words: Mapping[str, Sequence[str]],
                 max_merges: int = 200, display: Mapping[str, Callable[[str], str]] | None = None,
                 grid_points: int = 11) -> None:
        import ipywidgets as w

        if not corpora:
            raise ValueError("BPEExplorer needs at least one corpus")
        if set(words) != set(corpora):
            raise ValueError("words must name the same corpora as corpora")
        self.learn_bpe, self.bpe_encode = learn_bpe, bpe_encode
        self.corpora, self.words, self.max_merges = dict(corpora), dict(words), int(max_merges)
        self.display = dict(display or {})
        self.grid_points = grid_points
        self._cache: dict[str, dict[str, Any]] = {}
        self.timings: list[float] = []
        self.draw_count, self.last_error = 0, None
        style, lay = {"description_width": "110px"}, w.Layout(width="520px")
        self.controls = {
            "corpus": w.Dropdown(options=list(self.corpora), value=next(iter(self.corpora)), description="corpus",
                                 style=style, layout=lay),
            "merges": w.IntSlider(value=min(20, self.max_merges), min=0, max=self.max_merges, step=1,
                                  description="merges", style=style, layout=lay, continuous_update=True),
        }
        self.html = w.HTML(layout=w.Layout(min_height="190px"))
        self.plot = w.HTML(layout=w.Layout(min_height="230px"))
        self.error = w.HTML(value="")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = w.VBox([*self.controls.values(), self.html, self.plot, self.error])
        self.redraw()

    def _prepare(self, name: str) -> dict[str, Any]:
        if name not in self._cache:
            counts = self.corpora[name]
            merges = [tuple(m) for m in self.learn_bpe(dict(counts), self.max_merges)]
            alphabet = {ch for word in counts for ch in word} | {"</w>"}
            grid = np.unique(np.linspace(0, len(merges), self.grid_points).round().astype(int))
            total = sum(counts.values())
            per_word = [sum(c * len(self.bpe_encode(word, merges[:k])) for word, c in counts.items()) / total
                        for k in grid]
            vocab = [len(alphabet | {a + b for a, b in merges[:k]}) for k in range(len(merges) + 1)]
            self._cache[name] = {"merges": merges, "grid": grid, "per_word": per_word, "vocab": vocab}
        return self._cache[name]

    def _on_change(self, _change: Any) -> None:
        self.redraw()

    def figure(self, corpus: str, merges: int) -> Figure:
        """The two curves of corpus ``corpus`` with a marker at ``merges``."""
        data = self._prepare(corpus)
        k = min(merges, len(data["merges"]))
        fig = Figure(figsize=(8.0, 2.8))
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.18, top=0.88, wspace=0.28)
        ax_v, ax_t = fig.subplots(1, 2)
        ax_v.plot(data["vocab"], color="#2e5fa3", lw=1.5)
        ax_v.plot([k], [data["vocab"][k]], "o", color="#c0392b")
        ax_v.set_title(f"vocabulary size: {data['vocab'][k]} symbols", fontsize=10)
        ax_t.plot(data["grid"], data["per_word"], "o-", color="#2ca02c", lw=1.5, ms=4)
        ax_t.axvline(k, color="#c0392b", lw=1)
        ax_t.set_title("average tokens per word of the corpus", fontsize=10)
        for ax in (ax_v, ax_t):
            ax.set_xlabel("number of merges")
            ax.grid(alpha=0.3)
        return fig

    def redraw(self) -> None:
        """Segment the shown words with the first ``merges`` merges and redraw; show any error."""
        start = time.perf_counter()
        try:
            corpus, k = self.controls["corpus"].value, self.controls["merges"].value
            data = self._prepare(corpus)
            k = min(k, len(data["merges"]))
            merges = data["merges"][:k]
            segmented = {word: list(self.bpe_encode(word, merges)) for word in self.words[corpus]}
            shown = self.display.get(corpus, str)
            learned = ", ".join(html.escape(shown(a + b)) for a, b in merges[-8:]) or "none yet"
            self.html.value = (f"<b>{len(merges)} merges</b> (of {len(data['merges'])} learned). "
                               f"Last merges: {learned}<br>" + segmentation_html(segmented, shown))
            n = len(data["vocab"]) - 1
            self.plot.value = "<div style='display:flex;gap:16px'>" + svg_curve(
                np.arange(n + 1), data["vocab"], k, f"vocabulary size: {data['vocab'][k]} symbols") + svg_curve(
                data["grid"], data["per_word"], k, "average tokens per word of the corpus", dots=True) + "</div>"
        except Exception:  # shown to the learner, never swallowed
            self.last_error = traceback.format_exc()
            self.error.value = ("<pre style='color:#b00020;white-space:pre-wrap'>"
                                + html.escape(self.last_error) + "</pre>")
            return
        self.timings.append(time.perf_counter() - start)
        self.draw_count += 1
        self.last_error = None
        self.error.value = ""

    def _ipython_display_(self) -> None:  # pragma: no cover - display needs a front end
        from IPython.display import display

        display(self.widget)


def bpe_merge_widget(learn_bpe: Callable[..., Any], bpe_encode: Callable[..., Any],
                     corpora: Mapping[str, Mapping[str, int]], words: Mapping[str, Sequence[str]],
                     max_merges: int = 200, display: Mapping[str, Callable[[str], str]] | None = None) -> BPEExplorer:
    """The BPE merge explorer for the learner's functions: see :class:`BPEExplorer`."""
    return BPEExplorer(learn_bpe, bpe_encode, corpora, words, max_merges=max_merges, display=display)
