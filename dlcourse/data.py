"""Data sets that need no network: scikit-learn's bundled handwritten digits, and generators."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class DigitsSplit(NamedTuple):
    """A train/test split of the 8x8 digits. ``X_*`` are (n, 64) floats, ``y_*`` (n,) int64 labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    images_train: np.ndarray
    images_test: np.ndarray


def load_digits_split(test_size: float = 0.25, seed: int = 0, dtype: type = np.float64) -> DigitsSplit:
    """scikit-learn's 1,797 handwritten digits (8x8 pixels, 10 classes), split by class.

    Pixels (0..16) are scaled to [0, 1]. The split is stratified and fixed by ``seed``, so every
    notebook and every test sees the same train and test sets. ``images_*`` keep the (n, 8, 8)
    pictures for plotting.
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # pragma: no cover - scikit-learn is a dependency
        raise ImportError(
            "The digits data set comes with scikit-learn: `pip install scikit-learn`."
        ) from err
    digits = load_digits()
    X = (digits.data / 16.0).astype(dtype)
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test_idx = []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test_idx.append(idx[: int(round(test_size * len(idx)))])
    test = np.zeros(len(y), dtype=bool)
    test[np.concatenate(test_idx)] = True
    train_idx = rng.permutation(np.flatnonzero(~test))
    test_idx_sorted = np.flatnonzero(test)
    images = X.reshape(-1, 8, 8)
    return DigitsSplit(
        X[train_idx], y[train_idx], X[test_idx_sorted], y[test_idx_sorted], images[train_idx], images[test_idx_sorted]
    )


def make_logic_gate_data(gate: str) -> tuple[np.ndarray, np.ndarray]:
    """The four inputs of a 2-input logic gate and its outputs: X (4, 2) float64, y (4,) int64.

    ``gate`` is one of "AND", "OR", "NAND", "NOR", "XOR".
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    a, b = X[:, 0].astype(bool), X[:, 1].astype(bool)
    table = {
        "AND": a & b,
        "OR": a | b,
        "NAND": ~(a & b),
        "NOR": ~(a | b),
        "XOR": a ^ b,
    }
    key = gate.upper()
    if key not in table:
        raise ValueError(f"unknown gate {gate!r}; choose one of {sorted(table)}")
    return X, table[key].astype(np.int64)


def make_blobs_2d(
    n: int = 200, separable: bool = True, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs in 2-D with labels 0/1; ``separable=False`` makes them overlap."""
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    centers = np.array([[-1.5, -1.0], [1.5, 1.0]]) * (1.0 if separable else 0.35)
    X = centers[y] + rng.normal(scale=0.5, size=(n, 2))
    if separable:  # push points off the band between the blobs so a line separates them exactly
        direction = centers[1] - centers[0]
        direction /= np.linalg.norm(direction)
        proj = X @ direction
        sign = np.where(y == 1, 1.0, -1.0)
        X += np.maximum(0.0, 0.3 - sign * proj)[:, None] * sign[:, None] * direction
    return X, y.astype(np.int64)


# -- text: week 3 -----------------------------------------------------------------------------
# Date formats by CLDR (babel), the way software in each locale writes dates. en_GB's short form
# (05/03/2024) is left out: it reads exactly like en_US's month/day order, so no model could tell.
DATE_STYLES: tuple[tuple[str, str], ...] = (
    ("ko_KR", "full"), ("ko_KR", "long"), ("ko_KR", "medium"), ("ko_KR", "short"),
    ("en_US", "full"), ("en_US", "long"), ("en_US", "medium"), ("en_US", "short"),
    ("en_GB", "full"), ("en_GB", "long"), ("en_GB", "medium"),
)
DATE_RANGE = ("1970-01-01", "2069-12-31")  # two-digit years (short forms) are unambiguous inside it


class DatePairs(NamedTuple):
    """Dates written in Korean and English formats (``sources``) and as ISO 8601 (``targets``)."""

    sources: list[str]  # e.g. "2024년 3월 5일 화요일", "Mar 5, 2024", "24. 3. 5."
    targets: list[str]  # e.g. "2024-03-05"
    styles: list[str]  # e.g. "ko_KR full"


def make_date_pairs(n: int, seed: int = 0, styles: tuple[tuple[str, str], ...] = DATE_STYLES) -> DatePairs:
    """``n`` random dates between 1970 and 2069, each in a random style of ``styles`` and as ISO.

    Styles are (locale, babel format) pairs: "full", "long", "medium", "short" or a CLDR pattern.
    The same ``seed`` gives the same pairs on every machine.
    """
    import datetime as dt
    import random

    from babel.dates import format_date

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not styles:
        raise ValueError("styles must name at least one (locale, format) pair")
    rng = random.Random(seed)
    first, last = (dt.date.fromisoformat(d) for d in DATE_RANGE)
    span = (last - first).days
    sources, targets, names = [], [], []
    for _ in range(n):
        day = first + dt.timedelta(days=rng.randrange(span + 1))
        locale, form = styles[rng.randrange(len(styles))]
        sources.append(format_date(day, form, locale=locale))
        targets.append(day.isoformat())
        names.append(f"{locale} {form}")
    return DatePairs(sources, targets, names)


NAME_LOCALES = ("en_US", "en_GB", "en_IE", "en_NZ", "en_IN", "en_PK")


def load_first_names(locales: tuple[str, ...] = NAME_LOCALES) -> list[str]:
    """The distinct first names that faker ships for ``locales``, lower-cased, sorted (no randomness).

    ``load_first_names(("ko_KR",))`` gives Korean given names (two syllables each).
    """
    import importlib

    names: set[str] = set()
    for locale in locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ModuleNotFoundError as err:
            raise ValueError(f"faker has no person names for locale {locale!r}") from err
        names |= {name.lower() for name in provider.first_names if name.isalpha()}
    return sorted(names)
