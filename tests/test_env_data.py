import numpy as np
import pytest
import torch

from dlcourse import env, in_colab, is_autograding, setup_notebook, todo
from dlcourse.data import load_digits_split, make_blobs_2d, make_logic_gate_data


def test_todo_names_the_function_and_method():
    def softmax(z):
        todo()

    class Value:
        def backward(self):
            todo()

    with pytest.raises(NotImplementedError, match="implement `.*softmax`"):
        softmax(1)
    with pytest.raises(NotImplementedError, match=r"implement `.*Value\.backward`"):
        Value().backward()


def test_setup_notebook_seeds_everything(capsys):
    setup_notebook(seed=3)
    a = (np.random.rand(), torch.rand(1).item())
    setup_notebook(seed=3, quiet=True)
    b = (np.random.rand(), torch.rand(1).item())
    assert a == b
    assert "seed 3" in capsys.readouterr().out


def test_autograding_and_colab_detection(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert is_autograding()
    monkeypatch.delenv("NBGRADER_EXECUTION")
    assert not is_autograding()
    assert not in_colab()
    assert env.get_device(prefer_gpu=False).type == "cpu"


def test_digits_split_is_stratified_fixed_and_scaled():
    d = load_digits_split()
    assert d.X_train.shape == (1347, 64) and d.X_test.shape == (450, 64)
    assert d.X_train.dtype == np.float64 and d.y_train.dtype == np.int64
    assert 0.0 <= d.X_train.min() and d.X_train.max() <= 1.0
    assert np.bincount(d.y_test).min() >= 40
    assert np.array_equal(d.X_test, load_digits_split().X_test)
    assert not np.array_equal(d.y_train, load_digits_split(seed=1).y_train)
    assert np.array_equal(d.images_test.reshape(-1, 64), d.X_test)
    with pytest.raises(ValueError, match="test_size"):
        load_digits_split(test_size=1.5)


def test_logic_gates_and_blobs():
    X, y = make_logic_gate_data("xor")
    assert X.shape == (4, 2) and y.tolist() == [0, 1, 1, 0]
    assert make_logic_gate_data("NAND")[1].tolist() == [1, 1, 1, 0]
    with pytest.raises(ValueError, match="unknown gate"):
        make_logic_gate_data("XNOR3")
    X, y = make_blobs_2d(300, separable=True, seed=1)
    # separable: the least-squares direction separates the blobs with a margin
    w = np.linalg.lstsq(np.c_[X, np.ones(len(X))], 2.0 * y - 1, rcond=None)[0]
    assert ((np.c_[X, np.ones(len(X))] @ w > 0) == (y == 1)).all()
    with pytest.raises(ValueError):
        make_blobs_2d(1)


def test_date_pairs_cover_every_style_and_decode_to_their_iso_dates():
    import datetime as dt
    import re

    from dlcourse.data import DATE_STYLES, make_date_pairs

    pairs = make_date_pairs(2000, seed=3)
    assert make_date_pairs(2000, seed=3) == pairs and make_date_pairs(50, seed=4) != make_date_pairs(50, seed=3)
    assert len(pairs.sources) == len(pairs.targets) == len(pairs.styles) == 2000
    assert {s for s in pairs.styles} == {f"{loc} {form}" for loc, form in DATE_STYLES}
    assert any(re.search(r"[\uac00-\ud7a3]", s) for s in pairs.sources), "Korean dates are in the data"
    for src, iso, style in zip(pairs.sources, pairs.targets, pairs.styles):
        day = dt.date.fromisoformat(iso)
        assert dt.date(1970, 1, 1) <= day <= dt.date(2069, 12, 31)
        assert str(day.day) in src and (str(day.year) in src or f"{day.year % 100:02d}" in src), (src, iso, style)
    # the same day in every style, as babel writes it
    pairs = make_date_pairs(1, seed=0, styles=(("ko_KR", "full"),))
    day = dt.date.fromisoformat(pairs.targets[0])
    assert pairs.sources[0].startswith(f"{day.year}년 {day.month}월 {day.day}일 ")
    with pytest.raises(ValueError):
        make_date_pairs(0)


def test_first_names_are_distinct_lowercase_words():
    from dlcourse.data import load_first_names

    names = load_first_names()
    assert len(names) > 2000 and names == sorted(set(names)) and all(n.isalpha() and n == n.lower() for n in names)
    korean = load_first_names(("ko_KR",))
    assert len(korean) >= 100 and all(len(n) == 2 for n in korean)
    with pytest.raises(ValueError, match="no person names"):
        load_first_names(("xx_XX",))
