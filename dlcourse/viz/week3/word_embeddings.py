"""Data, evaluation, figures and widget of the notebook "Week 3 · 2. Word embeddings".

:func:`make_corpus` generates a small corpus (English and Korean sentences) whose structure is
known: groups of interchangeable words (animals, fruits, colours, capitals, Korean food, ...) and
relation pairs (country → capital, male → female, singular → plural) whose members share a
context word of their own. :func:`neighbour_purity` and :func:`analogy_accuracy` measure how much
of that structure an embedding recovers. Nothing here is an exercise's solution: the evaluation
uses cosine similarities, the figures a PCA of the embeddings.

The figures write Korean words in romanization (:func:`romanize`): matplotlib's default fonts have
no Hangul glyphs, and a missing glyph would print a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

from dlcourse.widgets import FigureWidget

# ----------------------------------------------------------------------------- the corpus's structure
#: (country, capital, language) in English sentences.
EN_CAPITALS = (
    ("france", "paris", "french"), ("germany", "berlin", "german"), ("italy", "rome", "italian"),
    ("spain", "madrid", "spanish"), ("japan", "tokyo", "japanese"), ("russia", "moscow", "russian"),
    ("greece", "athens", "greek"), ("egypt", "cairo", "arabic"),
)
#: (나라 country, 수도 capital, 언어 language) in Korean sentences.
KO_CAPITALS = (
    ("한국", "서울", "한국어"), ("일본", "도쿄", "일본어"), ("중국", "베이징", "중국어"),
    ("프랑스", "파리", "프랑스어"), ("독일", "베를린", "독일어"), ("영국", "런던", "영어"),
    ("러시아", "모스크바", "러시아어"), ("이탈리아", "로마", "이탈리아어"),
)
#: (male, female, a context word the pair shares).
GENDER_PAIRS = (
    ("king", "queen", "crown"), ("man", "woman", "office"), ("boy", "girl", "school"),
    ("father", "mother", "children"), ("brother", "sister", "games"), ("prince", "princess", "castle"),
    ("uncle", "aunt", "nephew"), ("husband", "wife", "wedding"),
)
#: (singular, plural, what the animal eats).
ANIMAL_PAIRS = (
    ("cat", "cats", "fish"), ("dog", "dogs", "bones"), ("horse", "horses", "hay"), ("cow", "cows", "grass"),
    ("bird", "birds", "seeds"), ("rabbit", "rabbits", "carrots"), ("mouse", "mice", "cheese"),
    ("bear", "bears", "honey"),
)
FRUITS = ("apple", "banana", "grape", "peach", "cherry", "lemon", "mango", "pear")
COLOURS = ("red", "blue", "green", "yellow", "black", "white", "purple", "pink")
VERBS = ("run", "walk", "swim", "jump", "dance", "sing", "read", "cook")
KO_FOODS = ("김치", "비빔밥", "불고기", "떡볶이", "냉면", "김밥", "라면", "삼겹살")

# Revised Romanization of Korean, letter by letter (no sound-change rules): enough for figure labels.
_INITIALS = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h")
_MEDIALS = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu",
            "eu", "ui", "i")
_FINALS = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng",
           "t", "t", "k", "t", "p", "t")


def romanize(text: str) -> str:
    """Hangul syllables in Revised Romanization, letter by letter: 서울 → seoul, 김치 → gimchi, 를 → reul.
    Other characters are kept."""
    out = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            out.append(_INITIALS[code // 588] + _MEDIALS[(code % 588) // 28] + _FINALS[code % 28])
        else:
            out.append(ch)
    return "".join(out)


#: The labelled groups, in the order of the figures' legends.
GROUPS = {
    "countries": tuple(c for c, _, _ in EN_CAPITALS),
    "capitals": tuple(c for _, c, _ in EN_CAPITALS),
    "people": tuple(w for m, f, _ in GENDER_PAIRS for w in (m, f)),
    "animals": tuple(w for s, p, _ in ANIMAL_PAIRS for w in (s, p)),
    "fruits": FRUITS,
    "colours": COLOURS,
    "verbs": VERBS,
    "나라 (countries, ko)": tuple(c for c, _, _ in KO_CAPITALS),
    "수도 (capitals, ko)": tuple(c for _, c, _ in KO_CAPITALS),
    "음식 (food, ko)": KO_FOODS,
}
#: The relations whose analogies the notebook tests, as (a, b) pairs: "a is to b as c is to d".
RELATIONS = {
    "country → capital": tuple((c, k) for c, k, _ in EN_CAPITALS),
    "나라 → 수도": tuple((c, k) for c, k, _ in KO_CAPITALS),
    "male → female": tuple((m, f) for m, f, _ in GENDER_PAIRS),
    "singular → plural": tuple((s, p) for s, p, _ in ANIMAL_PAIRS),
}
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def _has_batchim(word: str) -> bool:
    """True when the last Hangul syllable ends in a consonant (받침): 서울 yes, 도쿄 no."""
    code = ord(word[-1]) - 0xAC00
    return 0 <= code < 11172 and code % 28 != 0


def _josa(word: str, with_batchim: str, without: str) -> str:
    """The particle that fits the word: 서울 은, 도쿄 는; 김치 를, 불고기 를, 삼겹살 을."""
    return with_batchim if _has_batchim(word) else without


def _en_capital_sentences(country: str, capital: str, language: str) -> list[list[str]]:
    """(sentences about the country, sentences about the capital)."""
    both = [f"the capital of {country} is {capital}"]
    return both + [
        f"in {country} people speak {language}",
        f"{country} has {language} newspapers",
        f"{country} is a large country",
        f"the president of {country} gave a speech",
    ], both + [
        f"in {capital} people speak {language}",
        f"{capital} has {language} newspapers",
        f"{capital} is a busy city",
        f"we took the train to {capital}",
    ]


def _ko_capital_sentences(country: str, capital: str, language: str) -> list[list[str]]:
    """(나라 sentences, 수도 sentences); particles are separate tokens, as a morpheme analyser splits them."""
    nun_c, nun_k = _josa(country, "은", "는"), _josa(capital, "은", "는")
    both = [f"{country} 의 수도 {nun_c} {capital} 이다"]
    return both + [
        f"{country} 에서 는 {language} 를 쓴다",
        f"{country} 의 {language} 신문 을 읽었다",
        f"{country} {nun_c} 큰 나라 이다",
        f"{country} 의 대통령 이 연설 을 했다",
    ], both + [
        f"{capital} 에서 는 {language} 를 쓴다",
        f"{capital} 의 {language} 신문 을 읽었다",
        f"{capital} {nun_k} 복잡한 도시 이다",
        f"우리 는 기차 로 {capital} 에 갔다",
    ]


def _person_sentences(person: str, pronoun: str, possessive: str, shared: str) -> list[str]:
    return [
        f"the {person} said that {pronoun} was tired",
        f"the {person} loves {possessive} {shared}",
        f"the {person} saw the {shared}",
        f"{pronoun} is the {person} of the {shared}",
        f"the {person} put on {possessive} coat",
    ]


def _animal_sentences(animal: str, plural: bool, food: str) -> list[str]:
    if plural:
        return [f"the {animal} eat {food}", f"two {animal} are sleeping", f"many {animal} were in the field",
                f"these {animal} like {food}"]
    return [f"the {animal} eats {food}", f"a {animal} is sleeping", f"one {animal} was in the field",
            f"this {animal} likes {food}"]


def _fruit_sentences(fruit: str) -> list[str]:
    return [f"i ate a {fruit} for breakfast", f"the {fruit} was sweet", f"she bought a {fruit} at the market",
            f"{fruit} juice is sweet"]


def _colour_sentences(colour: str) -> list[str]:
    return [f"the car is {colour}", f"she wore a {colour} coat", f"he painted the door {colour}",
            f"{colour} is my favourite colour"]


def _verb_sentences(verb: str) -> list[str]:
    return [f"i like to {verb}", f"they {verb} every morning", f"we will {verb} tomorrow", f"can you {verb} with me"]


def _ko_food_sentences(food: str) -> list[str]:
    reul, eun, ga = _josa(food, "을", "를"), _josa(food, "은", "는"), _josa(food, "이", "가")
    return [f"나 는 점심 에 {food} {reul} 먹었다", f"{food} {eun} 정말 맛있다", f"엄마 가 {food} {reul} 만들었다",
            f"이 식당 의 {food} {ga} 유명하다"]


def _all_sentence_makers() -> list[list[str]]:
    """For every labelled word, the sentences that can be said about it."""
    makers = []
    for country, capital, language in EN_CAPITALS:
        makers += list(_en_capital_sentences(country, capital, language))
    for country, capital, language in KO_CAPITALS:
        makers += list(_ko_capital_sentences(country, capital, language))
    for male, female, shared in GENDER_PAIRS:
        makers += [_person_sentences(male, "he", "his", shared), _person_sentences(female, "she", "her", shared)]
    for singular, plural, food in ANIMAL_PAIRS:
        makers += [_animal_sentences(singular, False, food), _animal_sentences(plural, True, food)]
    makers += [_fruit_sentences(w) for w in FRUITS] + [_colour_sentences(w) for w in COLOURS]
    makers += [_verb_sentences(w) for w in VERBS] + [_ko_food_sentences(w) for w in KO_FOODS]
    return makers


@dataclass
class Corpus:
    """A generated corpus: ``sentences`` (lists of tokens), ``ids`` (one int64 array per sentence),
    ``vocab`` (id → word, most frequent first), ``index`` (word → id), ``word_counts`` (int64, (V,)),
    the labelled ``groups`` and the analogy ``relations``."""

    sentences: list[list[str]]
    ids: list[np.ndarray]
    vocab: list[str]
    index: dict[str, int]
    word_counts: np.ndarray
    groups: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(GROUPS))
    relations: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=lambda: dict(RELATIONS))

    @property
    def n_tokens(self) -> int:
        return int(self.word_counts.sum())

    def group_of(self, word: str) -> str | None:
        """The labelled group of ``word`` (``None`` for function words and shared context words)."""
        for name, words in self.groups.items():
            if word in words:
                return name
        return None

    def labelled(self) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the labelled words and their group numbers (0, 1, ... in the order of ``groups``)."""
        ids, labels = [], []
        for g, words in enumerate(self.groups.values()):
            ids += [self.index[w] for w in words]
            labels += [g] * len(words)
        return np.array(ids, dtype=np.int64), np.array(labels, dtype=np.int64)


def make_corpus(n_sentences: int = 6000, seed: int = 0) -> Corpus:
    """Draw ``n_sentences`` sentences: a labelled word uniformly, then one of its sentences uniformly.

    Sentences are already tokenized (Korean ones into morphemes: 서울 은, 김치 를), lower case.
    Every labelled word gets about ``n_sentences / 96`` sentences of its own (62 for 6,000); a country
    and its capital also meet in the sentences about the capital of the country. The vocabulary is
    sorted by frequency (ties alphabetically).
    """
    rng = np.random.default_rng(seed)
    makers = _all_sentence_makers()
    which = rng.integers(0, len(makers), size=n_sentences)
    sentences = [makers[m][int(rng.integers(0, len(makers[m])))].split() for m in which]
    counts: dict[str, int] = {}
    for sent in sentences:
        for tok in sent:
            counts[tok] = counts.get(tok, 0) + 1
    for words in GROUPS.values():  # every labelled word is in the vocabulary, even if a tiny corpus missed it
        for w in words:
            counts.setdefault(w, 0)
    vocab = sorted(counts, key=lambda w: (-counts[w], w))
    index = {w: i for i, w in enumerate(vocab)}
    ids = [np.array([index[t] for t in sent], dtype=np.int64) for sent in sentences]
    word_counts = np.array([counts[w] for w in vocab], dtype=np.int64)
    return Corpus(sentences, ids, vocab, index, word_counts)


# ----------------------------------------------------------------------------- evaluation
def normalize_rows(E: np.ndarray) -> np.ndarray:
    """Each row divided by its length (rows of zeros stay zero)."""
    E = np.asarray(E, dtype=np.float64)
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    return E / np.where(norms > 0, norms, 1.0)


def nearest(E: np.ndarray, corpus: Corpus, word: str | np.ndarray, k: int = 5,
            among: np.ndarray | None = None) -> list[tuple[str, float]]:
    """The ``k`` words of highest cosine similarity to ``word`` (a word of the vocabulary, itself left
    out, or a vector), as (word, cosine) pairs; ``among`` restricts the candidates to those ids."""
    U = normalize_rows(E)
    if isinstance(word, str):
        q, skip = U[corpus.index[word]], corpus.index[word]
    else:
        q, skip = np.asarray(word, dtype=np.float64), -1
        q = q / (np.linalg.norm(q) or 1.0)
    cand = np.arange(len(U)) if among is None else np.asarray(among)
    cand = cand[cand != skip]
    sims = U[cand] @ q
    top = np.argsort(-sims, kind="stable")[:k]
    return [(corpus.vocab[int(cand[i])], float(sims[i])) for i in top]


def neighbour_purity(E: np.ndarray, corpus: Corpus, k: int = 5, per_group: bool = False) -> float | dict[str, float]:
    """Mean over the labelled words of the fraction of their ``k`` nearest labelled words (cosine,
    the word itself left out) that belong to their own group. 1 is perfect; random vectors give about
    0.1 (a group holds 8 or 16 of the 96 labelled words).

    With ``per_group`` returns the mean of each group instead, by group name.
    """
    ids, labels = corpus.labelled()
    U = normalize_rows(E)[ids]
    sims = U @ U.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    frac = (labels[top] == labels[:, None]).mean(axis=1)
    if per_group:
        return {name: float(frac[labels == g].mean()) for g, name in enumerate(corpus.groups)}
    return float(frac.mean())


def analogy_questions(corpus: Corpus) -> list[tuple[str, str, str, str, str]]:
    """Every (relation, a, b, c, d) with (a, b) and (c, d) two different pairs of one relation."""
    return [(name, a, b, c, d) for name, pairs in corpus.relations.items()
            for a, b in pairs for c, d in pairs if a != c]


def analogy_accuracy(E: np.ndarray, corpus: Corpus, per_relation: bool = False) -> float | dict[str, float]:
    """The fraction of :func:`analogy_questions` that 3CosAdd answers right: d is the word of the whole
    vocabulary, other than a, b and c, of largest cosine with ``unit(b) - unit(a) + unit(c)``.

    With ``per_relation`` returns the accuracy of each relation instead, by name.
    """
    U = normalize_rows(E)
    qs = analogy_questions(corpus)
    a, b, c, d = (np.array([corpus.index[q[j]] for q in qs]) for j in range(1, 5))
    scores = (U[b] - U[a] + U[c]) @ U.T
    rows = np.arange(len(qs))
    for excluded in (a, b, c):
        scores[rows, excluded] = -np.inf
    right = scores.argmax(axis=1) == d
    if per_relation:
        names = np.array([q[0] for q in qs])
        return {name: float(right[names == name].mean()) for name in corpus.relations}
    return float(right.mean())


def train_skipgram(counts: np.ndarray, word_counts: np.ndarray, sampler: Callable[..., np.ndarray],
                   loss_and_grads: Callable[..., tuple[float, np.ndarray, np.ndarray]], dim: int = 32,
                   n_negatives: int = 5, epochs: int = 3, batch_size: int = 256, lr: float = 30.0,
                   seed: int = 0) -> np.ndarray:
    """The notebook's word2vec training loop (``train_sgns`` without its options), for the hidden tests:
    it drives a learner's ``sampler(word_counts, shape, rng)`` and
    ``loss_and_grads(W_in, W_out, centers, contexts, negatives)`` and returns ``W_in``.

    The (center, context) pairs are those that ``counts`` counts, shuffled every epoch; ``W_in`` starts
    uniform in ±0.5/dim, ``W_out`` at zero; plain SGD with a learning rate decaying linearly to 0.
    """
    rng = np.random.default_rng(seed)
    V = len(counts)
    rows, cols = np.nonzero(counts)
    centers_all = np.repeat(rows, counts[rows, cols])
    contexts_all = np.repeat(cols, counts[rows, cols])
    n_pairs = len(centers_all)
    W_in = rng.uniform(-0.5 / dim, 0.5 / dim, size=(V, dim))
    W_out = np.zeros((V, dim))
    total = epochs * -(-n_pairs // batch_size)
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n_pairs)
        for start in range(0, n_pairs, batch_size):
            batch = order[start:start + batch_size]
            negatives = sampler(word_counts, (len(batch), n_negatives), rng)
            _, dW_in, dW_out = loss_and_grads(W_in, W_out, centers_all[batch], contexts_all[batch], negatives)
            step_lr = lr * (1 - step / total)
            W_in = W_in - step_lr * dW_in
            W_out = W_out - step_lr * dW_out
            step += 1
    return W_in


def pca_2d(E: np.ndarray) -> np.ndarray:
    """The rows of ``E`` (unit length first) projected on their two principal axes, (n, 2)."""
    U = normalize_rows(E)
    U = U - U.mean(axis=0)
    _, _, Vt = np.linalg.svd(U, full_matrices=False)
    P = U @ Vt[:2].T
    return P * np.where(P[np.abs(P).argmax(axis=0), [0, 1]] < 0, -1.0, 1.0)  # a fixed sign: the largest |x| > 0


def label(word: str) -> str:
    """How a figure writes ``word``: romanized if it is Korean (서울 → seoul)."""
    return romanize(word)


# ----------------------------------------------------------------------------- figures
def plot_matrix(M: np.ndarray, corpus: Corpus, words: list[str], title: str = "", log: bool = False) -> Figure:
    """A heatmap of ``M[i, j]`` for the listed words (rows and columns), e.g. counts or PPMI."""
    idx = [corpus.index[w] for w in words]
    sub = np.asarray(M, dtype=np.float64)[np.ix_(idx, idx)]
    if log:
        sub = np.log1p(sub)
    fig = Figure(figsize=(6.4, 5.6), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(sub, cmap="viridis")
    names = [label(w) for w in words]
    ax.set_xticks(range(len(words)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(words)), names, fontsize=7)
    fig.colorbar(im, ax=ax, shrink=0.8, label="log(1 + value)" if log else "value")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def plot_noise(word_counts: np.ndarray, vocab: list[str], powers: tuple[float, ...] = (1.0, 0.75, 0.0),
               n_show: int = 30) -> Figure:
    """P(w) ∝ count(w)**power for the ``n_show`` most frequent words, one bar series per power."""
    counts = np.asarray(word_counts, dtype=np.float64)
    fig = Figure(figsize=(9.5, 3.6), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / len(powers)
    x = np.arange(n_show)
    for j, power in enumerate(powers):
        p = np.where(counts > 0, counts, 0.0) ** power * (counts > 0)
        p = p / p.sum()
        ax.bar(x + (j - (len(powers) - 1) / 2) * width, p[:n_show], width, label=f"count$^{{{power:g}}}$",
               color=PALETTE[j])
    ax.set_xticks(x, [label(w) for w in vocab[:n_show]], rotation=90, fontsize=7)
    ax.set_ylabel("probability of being drawn as a negative")
    ax.set_title(f"noise distributions, {n_show} most frequent of {len(counts)} words", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return fig


def ascii_name(name: str) -> str:
    """A group's name without its Korean part, for figures: "나라 (countries, ko)" → "countries, ko"."""
    return name.encode("ascii", "ignore").decode().strip(" ()") or name


def _legend_names(corpus: Corpus) -> list[str]:
    return [ascii_name(name) for name in corpus.groups]


def plot_projection(embeddings: dict[str, np.ndarray], corpus: Corpus, annotate: bool = True) -> Figure:
    """One panel per embedding: the labelled words projected by PCA, coloured by group."""
    ids, labels = corpus.labelled()
    n = len(embeddings)
    fig = Figure(figsize=(5.6 * n + 1.6, 5.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n))
    names = _legend_names(corpus)
    for ax, (title, E) in zip(axes, embeddings.items()):
        P = pca_2d(np.asarray(E)[ids])
        for g, _ in enumerate(corpus.groups):
            m = labels == g
            ax.scatter(P[m, 0], P[m, 1], s=22, color=PALETTE[g % len(PALETTE)], label=names[g], zorder=3)
            if annotate:
                for i in np.flatnonzero(m):
                    ax.annotate(label(corpus.vocab[ids[i]]), P[i], fontsize=6, xytext=(2, 2),
                                textcoords="offset points", color=PALETTE[g % len(PALETTE)])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("principal axis 1")
        ax.set_ylabel("principal axis 2")
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def plot_training(history: dict[str, list[float]], title: str = "") -> Figure:
    """Loss (left) and neighbour purity and analogy accuracy (right) against the epoch."""
    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    ax_l, ax_q = fig.subplots(1, 2)
    ax_l.plot(history["step"], history["loss"], color=PALETTE[0], lw=1)
    ax_l.set(xlabel="step", ylabel="SGNS loss (batch mean)", title="training loss")
    for j, key in enumerate(("purity", "analogy")):
        if key in history:
            ax_q.plot(history["epoch"], history[key], "o-", color=PALETTE[j + 1], label=key)
    ax_q.set(xlabel="epoch", ylabel="score", ylim=(0, 1.02), title="structure recovered")
    ax_q.legend(fontsize=8)
    for ax in (ax_l, ax_q):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


class EmbeddingProjector:
    """Pick a word and an embedding: the PCA map of the labelled words with the word's ``k`` nearest
    neighbours (cosine, in the full space) highlighted, and a table of them (Korean in Hangul) beside it.

    The projections are computed once; a change of a control redraws the map and rewrites the table.
    The table is HTML, not text in the figure: text is most of the cost of rendering a figure.
    """

    def __init__(self, embeddings: dict[str, np.ndarray], corpus: Corpus, word: str = "paris", k: int = 5) -> None:
        import ipywidgets as widgets

        self.corpus = corpus
        self.embeddings = {name: np.asarray(E, dtype=np.float64) for name, E in embeddings.items()}
        self.ids, self.labels = corpus.labelled()
        self.proj = {name: pca_2d(E[self.ids]) for name, E in self.embeddings.items()}
        self._pos = {int(i): j for j, i in enumerate(self.ids)}
        words = [corpus.vocab[i] for i in self.ids]
        self.table = widgets.HTML(value="", layout=widgets.Layout(width="250px"))
        self.widget_ = FigureWidget(
            self.draw,
            {
                "word": widgets.Dropdown(options=words, value=word, description="word"),
                "embedding": widgets.Dropdown(options=list(self.embeddings), description="embedding"),
                "k": widgets.IntSlider(value=k, min=1, max=15, description="neighbours"),
            },
            width=432, height=352, dpi=80,
        )
        self.controls = self.widget_.controls
        for control in self.controls.values():
            control.observe(self._update_table, names="value")
        self._update_table()
        fw = self.widget_
        self.widget = widgets.VBox([*self.controls.values(), widgets.HBox([fw.image, self.table]), fw.error])

    def neighbours(self, word: str, embedding: str, k: int) -> list[tuple[str, float]]:
        """The ``k`` labelled words nearest to ``word`` (cosine in the full space), with their cosines."""
        return nearest(self.embeddings[embedding], self.corpus, word, k=k, among=self.ids)

    def table_html(self, word: str, embedding: str, k: int) -> str:
        """The neighbours as an HTML table: word, cosine, group, and the share in the word's own group."""
        neigh = self.neighbours(word, embedding, k)
        own = self.corpus.group_of(word)
        rows = "".join(f"<tr><td>{w}</td><td>{s:+.2f}</td><td>{self.corpus.group_of(w) or '-'}</td></tr>"
                       for w, s in neigh)
        share = np.mean([self.corpus.group_of(w) == own for w, _ in neigh])
        return (f"<b>{word}</b> ({own})<table><tr><th>neighbour</th><th>cosine</th><th>group</th></tr>{rows}"
                f"</table>same group: {share:.0%}")

    def _update_table(self, _change: object = None) -> None:
        self.table.value = self.table_html(**self.widget_.values())

    def draw(self, word: str, embedding: str, k: int) -> Figure:
        """The map: every labelled word (faint), the word (a star) and its ``k`` neighbours (joined to it)."""
        P = self.proj[embedding]
        neigh = self.neighbours(word, embedding, k)
        fig = Figure(figsize=(5.4, 4.4))
        ax = fig.add_axes((0.04, 0.07, 0.93, 0.86))
        ax.scatter(P[:, 0], P[:, 1], s=14, c=[PALETTE[g % len(PALETTE)] for g in self.labels], alpha=0.35)
        hi = np.array([self._pos[self.corpus.index[w]] for w, _ in neigh])
        me = self._pos[self.corpus.index[word]]
        for j in hi:
            ax.plot([P[me, 0], P[j, 0]], [P[me, 1], P[j, 1]], color="0.4", lw=0.8, zorder=2)
            ax.annotate(label(self.corpus.vocab[self.ids[j]]), P[j], fontsize=8, xytext=(3, 3),
                        textcoords="offset points")
        ax.scatter(P[hi, 0], P[hi, 1], s=40, c=[PALETTE[self.labels[j] % len(PALETTE)] for j in hi],
                   edgecolors="k", zorder=3)
        ax.scatter(P[me, 0], P[me, 1], s=140, marker="*", color="k", zorder=4)
        ax.annotate(label(word), P[me], fontsize=10, weight="bold", xytext=(4, -10), textcoords="offset points")
        ax.set_title(f"{embedding}: the {k} nearest neighbours of '{label(word)}' (PCA map)", fontsize=9)
        ax.set_xticks([])  # PCA coordinates have no units: no ticks, and less text to draw
        ax.set_yticks([])
        return fig

    def _ipython_display_(self) -> None:  # pragma: no cover - display needs a front end
        from IPython.display import display

        display(self.widget)
