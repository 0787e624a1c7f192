"""Data, models and figures of the notebook "Week 3 · 6. GPT, BERT and BART: one Transformer, three objectives".

Nothing here is an exercise's solution. The module generates the notebook's corpus (templated English
and Korean sentences about fruit, whose colour, article and Korean particles are fixed by the other
words), holds its word-level vocabulary, the small Transformer that every objective trains (the
attention mask is always passed in: the causal mask is an exercise), an encoder-decoder for the
denoising objective, a span sampler, and the figures and the widget.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from dlcourse.widgets import FigureWidget

SPECIAL_TOKENS = ("[PAD]", "[BOS]", "[EOS]", "[MASK]")
PAD_ID, BOS_ID, EOS_ID, MASK_ID = range(4)

# Each fruit has exactly one colour, so the fruit names the colour and the colour names the fruit.
FRUITS = (  # English, Korean, English colour, Korean predicate, Korean attributive
    ("apple", "사과", "red", "빨갛다", "빨간"),
    ("banana", "바나나", "yellow", "노랗다", "노란"),
    ("grape", "포도", "purple", "보라색이다", "보라색"),
    ("watermelon", "수박", "green", "초록색이다", "초록색"),
    ("tangerine", "귤", "orange", "주황색이다", "주황색"),
    ("blueberry", "블루베리", "blue", "파랗다", "파란"),
)
EN_NAMES = ("anna", "ben", "chloe", "david", "emma", "felix", "grace", "henry")
KO_NAMES = ("민준", "서연", "지우", "하준", "유나", "지호", "수빈", "도아")


#: How the figures write the corpus's Korean words: matplotlib's default font (and Colab's) has no Hangul
#: glyphs, so figures use this romanization (Revised Romanization); printed text keeps the Hangul.
ROMANIZED = {
    "사과": "sagwa", "바나나": "banana", "포도": "podo", "수박": "subak", "귤": "gyul", "블루베리": "beulluberi",
    "빨갛다": "ppalgata", "노랗다": "norata", "보라색이다": "borasaegida", "초록색이다": "choroksaegida",
    "주황색이다": "juhwangsaegida", "파랗다": "parata", "빨간": "ppalgan", "노란": "noran", "보라색": "borasaek",
    "초록색": "choroksaek", "주황색": "juhwangsaek", "파란": "paran", "민준": "minjun", "서연": "seoyeon",
    "지우": "jiu", "하준": "hajun", "유나": "yuna", "지호": "jiho", "수빈": "subin", "도아": "doa", "은": "-eun",
    "는": "-neun", "이": "-i", "가": "-ga", "을": "-eul", "를": "-reul", "에게": "-ege",
    "먹었다": "meogeotda", "주었다": "jueotda",
}


def latin(text: str) -> str:
    """``text`` with each Korean word of the corpus replaced by its romanization (for figures)."""
    return " ".join(ROMANIZED.get(w, w) for w in text.split(" "))


def has_final_consonant(word: str) -> bool:
    """True when the last syllable of a Korean word ends in a consonant (받침): 귤 yes, 사과 no."""
    code = ord(word[-1]) - 0xAC00
    return 0 <= code < 11172 and code % 28 != 0


def particle(word: str, with_final: str, without_final: str) -> str:
    """The form of a Korean particle that fits ``word``: 은/는, 이/가, 을/를."""
    return with_final if has_final_consonant(word) else without_final


class Sentence(NamedTuple):
    """One corpus sentence: its words, whether the rest of the sentence fixes each word, its template."""

    words: tuple[str, ...]
    determined: tuple[bool, ...]  # False for the names: nothing else in a sentence tells which name it is
    template: str


def _sentences() -> list[Sentence]:
    out = []
    for fruit, fruit_ko, colour, pred_ko, attr_ko in FRUITS:
        out.append(Sentence(("the", fruit, "is", colour, "."), (True,) * 5, "en: the X is C"))
        out.append(Sentence((fruit_ko, particle(fruit_ko, "은", "는"), pred_ko, "."), (True,) * 4, "ko: X는 C"))
        for name in EN_NAMES:
            article = "an" if colour[0] in "aeiou" else "a"
            out.append(Sentence((name, "ate", article, colour, fruit, "."), (False,) + (True,) * 5, "en: N ate a C X"))
        for name in KO_NAMES:
            words = (name, particle(name, "이", "가"), attr_ko, fruit_ko, particle(fruit_ko, "을", "를"), "먹었다", ".")
            out.append(Sentence(words, (False,) + (True,) * 6, "ko: N가 C X를 먹었다"))
        for a, b in itertools.permutations(EN_NAMES, 2):
            out.append(Sentence((a, "gave", b, "the", colour, fruit, "."), (False, True, False) + (True,) * 4,
                                "en: N gave M the C X"))
        for a, b in itertools.permutations(KO_NAMES, 2):
            words = (a, particle(a, "이", "가"), b, "에게", attr_ko, fruit_ko, particle(fruit_ko, "을", "를"), "주었다",
                     ".")
            out.append(Sentence(words, (False, True, False) + (True,) * 6, "ko: N가 M에게 C X를 주었다"))
    return out


class Vocab:
    """A word-level vocabulary: the four special tokens (ids 0 to 3), then the corpus words, sorted."""

    def __init__(self, words: Iterable[str]) -> None:
        self.itos = list(SPECIAL_TOKENS) + sorted(set(words) - set(SPECIAL_TOKENS))
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, words: Sequence[str], bos: bool = True, eos: bool = True) -> list[int]:
        """Token ids of ``words``, with [BOS] first and [EOS] last unless told otherwise."""
        return [BOS_ID] * bos + [self.stoi[w] for w in words] + [EOS_ID] * eos

    def decode(self, ids: Iterable[int], keep_special: bool = False) -> str:
        """The words of ``ids`` joined by spaces; without ``keep_special`` [PAD], [BOS] and [EOS] are left out
        and the text ends at the first [EOS]."""
        words = []
        for i in (int(i) for i in ids):
            if not keep_special and i == EOS_ID:
                break
            if keep_special or i not in (PAD_ID, BOS_ID):
                words.append(self.itos[i])
        return " ".join(words)


class Corpus(NamedTuple):
    train: list[Sentence]
    val: list[Sentence]
    vocab: Vocab


def make_fruit_corpus(seed: int = 0, val_fraction: float = 0.2) -> Corpus:
    """Every sentence of the six templates (780 in all, half English, half Korean), shuffled by ``seed``
    and split into training and validation sentences (no sentence is in both).

    The 12 sentences of the two short templates ("the apple is red .", "사과 는 빨갛다 .") always go to
    training: each holds a word that no other sentence has (the Korean predicates such as 빨갛다), and
    a model cannot guess a word it has never seen.
    """
    sentences = _sentences()
    random.Random(seed).shuffle(sentences)
    n_val = round(val_fraction * len(sentences))
    short = {"en: the X is C", "ko: X는 C"}
    val = [s for s in sentences if s.template not in short][:n_val]
    chosen = set(val)
    train = [s for s in sentences if s not in chosen]
    vocab = Vocab(w for s in sentences for w in s.words)
    return Corpus(train, val, vocab)


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int = PAD_ID, device: torch.device | str = "cpu") -> torch.Tensor:
    """A (len(seqs), longest) int64 tensor of the sequences, padded on the right with ``pad_id``."""
    width = max(len(s) for s in seqs)
    out = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    return out.to(device)


def encode_batch(vocab: Vocab, sentences: Sequence[Sentence], device: torch.device | str = "cpu") -> torch.Tensor:
    """[BOS] words [EOS] of each sentence, padded with [PAD]: a (B, T) int64 tensor."""
    return pad_batch([vocab.encode(s.words) for s in sentences], device=device)


class TinyTransformer(nn.Module):
    """The one Transformer of the notebook: token + learned position embeddings, ``n_layers`` pre-norm
    encoder layers (``nn.TransformerEncoderLayer``, ``batch_first=True``), a final LayerNorm and an
    output layer that shares the token embedding's weights. It returns logits of shape (B, T, vocab).

    ``attn_mask`` is a (T, T) bool tensor, True where a position may *not* attend (PyTorch's
    convention); ``None`` lets every position see every other (BERT). Keys that are [PAD] are always
    hidden. Whether it is GPT or BERT is decided only by the mask and by the loss.
    """

    def __init__(self, vocab_size: int, d_model: int = 64, n_heads: int = 4, n_layers: int = 2, max_len: int = 32,
                 pad_id: int = PAD_ID) -> None:
        super().__init__()
        self.pad_id = pad_id
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=2 * d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.out = nn.Linear(d_model, vocab_size)
        self.out.weight = self.tok.weight  # weight tying, as in GPT-2 and BERT

    def forward(self, ids: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        h = self.tok(ids) + self.pos(positions)
        h = self.layers(h, mask=attn_mask, src_key_padding_mask=ids == self.pad_id)
        return self.out(self.norm(h))


class TinySeq2Seq(nn.Module):
    """An encoder-decoder (BART's shape) of the same size: a bidirectional encoder reads the corrupted
    text, a causal decoder with cross-attention writes the original. The embeddings are shared by
    encoder, decoder and output layer. ``tgt_mask`` is the decoder's causal mask (bool, True = hidden).
    """

    def __init__(self, vocab_size: int, d_model: int = 64, n_heads: int = 4, n_layers: int = 2, max_len: int = 32,
                 pad_id: int = PAD_ID) -> None:
        super().__init__()
        self.pad_id = pad_id
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        kw = dict(dim_feedforward=2 * d_model, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model, n_heads, **kw), n_layers,
                                             norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(d_model, n_heads, **kw), n_layers,
                                             norm=nn.LayerNorm(d_model))
        self.out = nn.Linear(d_model, vocab_size)
        self.out.weight = self.tok.weight

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.tok(ids) + self.pos(torch.arange(ids.shape[1], device=ids.device))

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor, tgt_mask: torch.Tensor) -> torch.Tensor:
        src_pad = src == self.pad_id
        memory = self.encoder(self.embed(src), src_key_padding_mask=src_pad)
        h = self.decoder(self.embed(tgt_in), memory, tgt_mask=tgt_mask, memory_key_padding_mask=src_pad)
        return self.out(h)


def sample_spans(n_tokens: int, rng: np.random.Generator, mask_ratio: float = 0.3,
                 poisson_lambda: float = 1.5) -> list[tuple[int, int]]:
    """BART's text-infilling spans for a text of ``n_tokens`` words, as sorted, non-overlapping (start, length).

    Span lengths are drawn from Poisson(``poisson_lambda``) (BART uses 3 on long texts) until about
    ``mask_ratio`` of the words are covered; a length-0 span means "insert a [MASK] here". Spans are
    placed left to right at random gaps (at least one word between two spans). Every text gets at
    least one span.
    """
    budget = max(1, round(mask_ratio * n_tokens))
    lengths: list[int] = []
    while sum(lengths) < budget and len(lengths) < n_tokens:
        lengths.append(min(int(rng.poisson(poisson_lambda)), budget - sum(lengths)))
    while sum(lengths) + len(lengths) - 1 > n_tokens:  # spans and the one-word gaps between them must fit
        lengths.pop()
    free = n_tokens - sum(lengths) - (len(lengths) - 1)  # words left to spread over the gaps
    cuts = np.sort(rng.integers(0, free + 1, size=len(lengths)))
    spans, before = [], 0
    for length, cut in zip(lengths, cuts):
        spans.append((int(cut) + before, length))
        before += length + 1
    return spans


# ----------------------------------------------------------------------------- figures
_COLOURS = {"mask": "#d62728", "random": "#ff7f0e", "kept": "#2ca02c", "plain": "#f0f0f0", "special": "#c7c7c7",
            "hidden": "#ffffff", "seen": "#1f77b4", "cross": "#9467bd"}


def plot_attention_patterns(T: int = 6, causal: Callable[[int], torch.Tensor] | None = None) -> Figure:
    """Who may attend to whom in GPT, BERT and BART (encoder, decoder self-attention, cross-attention).

    ``causal(T)`` gives the causal mask (True = hidden); without it the GPT panel and the decoder
    panel show the rule drawn by hand (the lower triangle).
    """
    fig = Figure(figsize=(12.5, 3.3))
    fig.subplots_adjust(left=0.03, right=0.99, bottom=0.14, top=0.80, wspace=0.35)
    axes = fig.subplots(1, 4)
    tri = np.tril(np.ones((T, T), bool)) if causal is None else ~np.asarray(causal(T).cpu(), dtype=bool)
    panels = [("GPT: causal self-attention", tri, _COLOURS["seen"]),
              ("BERT: bidirectional", np.ones((T, T), bool), _COLOURS["seen"]),
              ("BART decoder: causal self-attn.", tri, _COLOURS["seen"]),
              ("BART decoder → encoder: cross-attn.", np.ones((T, T), bool), _COLOURS["cross"])]
    for ax, (title, allowed, colour) in zip(axes, panels):
        ax.imshow(np.where(allowed, 1.0, 0.0), cmap=_two_colour(colour), vmin=0, vmax=1)
        ax.set_xticks(range(T), [f"k{j + 1}" for j in range(T)], fontsize=7)
        ax.set_yticks(range(T), [f"q{i + 1}" for i in range(T)], fontsize=7)
        ax.set_xticks(np.arange(-0.5, T), minor=True)
        ax.set_yticks(np.arange(-0.5, T), minor=True)
        ax.grid(which="minor", color="0.8", lw=0.6)
        ax.tick_params(which="minor", length=0)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("key (position attended to)", fontsize=8)
    axes[3].set_xlabel("key (encoder position)", fontsize=8)
    fig.suptitle("coloured = the query (row) may attend to the key (column)", fontsize=10)
    return fig


def _two_colour(colour: str):  # type: ignore[no-untyped-def]
    from matplotlib.colors import ListedColormap

    return ListedColormap(["#ffffff", colour])


def plot_token_rows(rows: Mapping[str, Sequence[str]], colours: Mapping[str, Sequence[str]] | None = None,
                    title: str = "", legend: Mapping[str, str] | None = None) -> Figure:
    """Sequences of tokens drawn as rows of boxes (e.g. an input and its target), one row per entry.

    ``colours[name]`` gives a face colour per token (default light grey); ``legend`` maps a colour to
    its meaning.
    """
    width = max(len(r) for r in rows.values())
    fig = Figure(figsize=(1.0 + 0.95 * width + 1.6, 0.55 * len(rows) + 0.6))
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.88 if title else 1.0))
    ax.set_xlim(-2.6, width + 0.2)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.axis("off")
    for r, (name, tokens) in enumerate(rows.items()):
        ax.text(-0.15, r, name, ha="right", va="center", fontsize=9)
        faces = (colours or {}).get(name, [_COLOURS["plain"]] * len(tokens))
        for j, (tok, face) in enumerate(zip(tokens, faces)):
            ax.add_patch(_box(j, r, face))
            tok = latin(tok)
            ax.text(j + 0.45, r, tok, ha="center", va="center", fontsize=8 if len(tok) < 8 else 6.5)
    if title:
        fig.suptitle(latin(title), fontsize=10, y=0.99)
    if legend:
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(facecolor=c, edgecolor="0.5", label=t) for c, t in legend.items()],
                  loc="lower right", fontsize=7, ncol=len(legend), frameon=False, bbox_to_anchor=(1.0, -0.05))
    return fig


def _box(x: float, y: float, face: str):  # type: ignore[no-untyped-def]
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch((x + 0.02, y - 0.32), 0.86, 0.64, boxstyle="round,pad=0.02", facecolor=face,
                          edgecolor="0.5", lw=0.8)


def masking_rows(vocab: Vocab, ids: torch.Tensor, corrupted: torch.Tensor, labels: torch.Tensor,
                 n_rows: int = 4) -> Figure:
    """The first ``n_rows`` sentences of a batch before and after ``mask_tokens``: chosen positions in
    red ([MASK]), orange (random word) or green (left unchanged); grey for special tokens."""
    rows, colours = {}, {}
    for i in range(min(n_rows, ids.shape[0])):
        keep = ids[i] != PAD_ID
        orig, corr, lab = ids[i][keep].tolist(), corrupted[i][keep].tolist(), labels[i][keep].tolist()
        rows[f"sentence {i + 1}"] = [vocab.itos[t] for t in orig]
        rows[f"input {i + 1}"] = [vocab.itos[t] for t in corr]
        face = []
        for o, c, lb in zip(orig, corr, lab):
            if lb == -100:
                face.append(_COLOURS["special"] if o < len(SPECIAL_TOKENS) else _COLOURS["plain"])
            else:
                face.append(_COLOURS["mask"] if c == MASK_ID else _COLOURS["kept"] if c == o else _COLOURS["random"])
        colours[f"input {i + 1}"] = face
        colours[f"sentence {i + 1}"] = [_COLOURS["special"] if o < len(SPECIAL_TOKENS) else _COLOURS["plain"]
                                        for o in orig]
    return plot_token_rows(rows, colours, legend={_COLOURS["mask"]: "chosen → [MASK]",
                                                  _COLOURS["random"]: "chosen → random word",
                                                  _COLOURS["kept"]: "chosen, kept", _COLOURS["special"]: "special"})


def plot_histories(histories: Mapping[str, Sequence[float]], baselines: Mapping[str, float] | None = None,
                   title: str = "training loss (cross-entropy per predicted token)") -> Figure:
    """Loss curves of the three objectives, with horizontal reference lines (e.g. the unigram baseline)."""
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    palette = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
    for k, (name, losses) in enumerate(histories.items()):
        ax.plot(np.arange(1, len(losses) + 1), losses, color=palette[k % 4], lw=1.2, label=name)
    for k, (name, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, color="0.4", ls=("--", ":", "-.")[k % 3], lw=1.0, label=name)
    ax.set_xlabel("training step")
    ax.set_ylabel("loss (nats, log scale)")
    ax.set_yscale("log")  # the first losses are ~40 nats, the last below 1: a log scale shows both
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_distributions(panels: Mapping[str, Mapping[str, float]], top: int = 6, title: str = "") -> Figure:
    """Side-by-side horizontal bar charts of the ``top`` most likely words of each panel's distribution."""
    fig = Figure(figsize=(4.2 * len(panels), 2.9))
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.16, top=0.80 if title else 0.88, wspace=0.55)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (name, dist) in zip(axes, panels.items()):
        best = sorted(dist.items(), key=lambda kv: -kv[1])[:top][::-1]
        ax.barh([latin(w) for w, _ in best], [p for _, p in best], color="#1f77b4")
        ax.set_xlim(0, 1)
        ax.set_title(latin(name), fontsize=9)
        ax.set_xlabel("probability", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3, axis="x")
    if title:
        fig.suptitle(latin(title), fontsize=10)
    return fig


def _top_words(vocab: Vocab, probs: torch.Tensor) -> dict[str, float]:
    return {vocab.itos[i]: float(p) for i, p in enumerate(probs.tolist())}


def blank_distributions(causal_model: nn.Module, mlm_model: nn.Module, causal_mask: Callable[[int], torch.Tensor],
                        vocab: Vocab, words: Sequence[str], position: int) -> dict[str, dict[str, float]]:
    """What each model believes about word ``position`` (0-based, [BOS] not counted) of ``words``:
    the causal model from the words on its left only, the masked model with that word replaced by
    [MASK] and both sides visible."""
    if not 0 <= position < len(words):
        raise ValueError(f"position must be in [0, {len(words)}), got {position}")
    device = next(causal_model.parameters()).device
    ids = torch.tensor([vocab.encode(words)], device=device)
    with torch.no_grad():
        T = ids.shape[1]
        left = causal_model(ids, attn_mask=causal_mask(T).to(device))[0, position].softmax(-1)  # predicts token p+1
        blanked = ids.clone()
        blanked[0, position + 1] = MASK_ID
        both = mlm_model(blanked)[0, position + 1].softmax(-1)
    return {"causal (GPT): left context only": _top_words(vocab, left),
            "masked (BERT): both sides": _top_words(vocab, both)}


def _all_blanks(causal_model: nn.Module, mlm_model: nn.Module, causal_mask: Callable[[int], torch.Tensor],
                vocab: Vocab, words: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """``blank_distributions`` for every position of ``words`` at once: two (len(words), vocab) tensors of
    probabilities (causal from the left context, masked with both sides), from one forward pass each."""
    device = next(causal_model.parameters()).device
    ids = torch.tensor([vocab.encode(words)], device=device)
    n, T = len(words), ids.shape[1]
    with torch.no_grad():
        left = causal_model(ids, attn_mask=causal_mask(T).to(device))[0, :n].softmax(-1)
        blanked = ids.repeat(n, 1)
        blanked[torch.arange(n), torch.arange(1, n + 1)] = MASK_ID
        both = mlm_model(blanked)[torch.arange(n), torch.arange(1, n + 1)].softmax(-1)
    return left.cpu(), both.cpu()


def fill_in_explorer(causal_model: nn.Module, mlm_model: nn.Module, causal_mask: Callable[[int], torch.Tensor],
                     vocab: Vocab, sentences: Sequence[Sentence], width: int = 780, height: int = 300,
                     top: int = 6) -> FigureWidget:
    """A widget: pick a sentence and a word; see the causal and the masked model's guesses for it.

    Both models' distributions at every position of every sentence are computed once, here; a control
    change only updates the bars and texts of one Figure (no model call, no new Figure).
    """
    import ipywidgets as widgets
    from matplotlib.transforms import blended_transform_factory

    tables = []  # tables[sentence][position] = ((words, probs) of the causal model, (words, probs) of the masked one)
    for s in sentences:
        left, both = _all_blanks(causal_model, mlm_model, causal_mask, vocab, s.words)
        per_position = []
        for k in range(len(s.words)):
            pair = []
            for probs in (left[k], both[k]):
                p, i = probs.topk(top)
                pair.append(([latin(vocab.itos[j]) for j in i.tolist()][::-1], p.tolist()[::-1]))
            per_position.append(tuple(pair))
        tables.append(per_position)

    fig = Figure(figsize=(8.4, 2.9))
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.16, top=0.80, wspace=0.55)
    axes = fig.subplots(1, 2)
    heading = fig.suptitle("", fontsize=10)
    bars, labels = [], []
    for ax, name in zip(axes, ("causal (GPT): left context only", "masked (BERT): both sides")):
        bars.append(ax.barh(range(top), [0.0] * top, color="#1f77b4"))
        to_left = blended_transform_factory(ax.transAxes, ax.transData)
        labels.append([ax.text(-0.03, y, "", transform=to_left, ha="right", va="center", fontsize=8)
                       for y in range(top)])
        ax.set_yticks([])
        ax.set_ylim(-0.6, top - 0.4)
        ax.set_xlim(0, 1)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("probability", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3, axis="x")

    options = [(" ".join(s.words), k) for k, s in enumerate(sentences)]
    sentence = widgets.Dropdown(options=options, value=0, description="sentence",
                                layout=widgets.Layout(width="520px"))
    position = widgets.IntSlider(value=1, min=0, max=len(sentences[0].words) - 1, description="blank at")

    def draw(sentence: int, position: int) -> Figure:
        words = sentences[sentence].words
        position = min(position, len(words) - 1)
        shown = " ".join("___" if k == position else w for k, w in enumerate(words))
        heading.set_text(f"{latin(shown)}   (truth: {latin(words[position])})")
        for (names, probs), panel_bars, panel_labels in zip(tables[sentence][position], bars, labels):
            for bar, text, word, p in zip(panel_bars, panel_labels, names, probs):
                bar.set_width(p)
                text.set_text(word)
        return fig

    def clamp(change: Mapping[str, int]) -> None:
        position.max = len(sentences[change["new"]].words) - 1

    sentence.observe(clamp, names="value")
    return FigureWidget(draw, {"sentence": sentence, "position": position}, width=width, height=height)


# ----------------------------------------------------------------------------- probes
_FRUIT_WORDS = {w for f in FRUITS for w in (f[0], f[1])}
_COLOUR_WORDS = {w for f in FRUITS for w in (f[2], f[3], f[4])}
_GRAMMAR_WORDS = {"a", "an", "은", "는", "이", "가", "을", "를"}


def word_category(word: str) -> str:
    """"fruit", "colour", "article/particle" or "other" (template words such as "is", "ate", "먹었다")."""
    if word in _FRUIT_WORDS:
        return "fruit"
    if word in _COLOUR_WORDS:
        return "colour"
    return "article/particle" if word in _GRAMMAR_WORDS else "other"


class Probes(NamedTuple):
    inputs: torch.Tensor  # (N, T) int64: [BOS] words [EOS] with one word replaced by [MASK], padded
    answers: torch.Tensor  # (N, T) int64: the hidden word's id at the blank, -100 elsewhere
    categories: list[str]  # word_category of each hidden word


def blank_probes(vocab: Vocab, sentences: Sequence[Sentence], device: torch.device | str = "cpu") -> Probes:
    """One fill-in-the-blank question per word that the rest of its sentence determines (the final "." left
    out): the sentence with that word replaced by [MASK]. Names are never blanked: nothing in the
    sentence tells which name it is."""
    inputs, answers, cats = [], [], []
    for s in sentences:
        ids = vocab.encode(s.words)
        for k, (word, fixed) in enumerate(zip(s.words, s.determined)):
            if fixed and word != ".":
                blanked, answer = list(ids), [-100] * len(ids)
                blanked[k + 1], answer[k + 1] = MASK_ID, ids[k + 1]
                inputs.append(blanked)
                answers.append(answer)
                cats.append(word_category(word))
    return Probes(pad_batch(inputs, device=device), pad_batch(answers, pad_id=-100, device=device), cats)
