"""Tests of dlcourse.viz.week5.judge: the digit classifier that week 5 uses to measure generated digits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse.data import load_digits_split
from dlcourse.viz.week5.judge import FEATURES, DigitJudge, judge_accuracy, train_digit_judge


@pytest.fixture(scope="module")
def judge() -> DigitJudge:
    return train_digit_judge(seed=0)


def test_judge_reads_the_test_digits(judge):
    split = load_digits_split()
    assert judge_accuracy(judge, split.X_test, split.y_test) >= 0.98


def test_judge_is_frozen_in_eval_mode_and_gives_logits_and_features(judge):
    assert not judge.training
    assert all(not p.requires_grad for p in judge.parameters())
    x = torch.rand(5, 1, 8, 8)
    assert judge(x).shape == (5, 10)
    assert judge.features(x).shape == (5, FEATURES)
    assert judge.features(x.double()).dtype == torch.float32


def test_judge_is_seeded_and_leaves_the_global_stream_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = train_digit_judge(seed=1, epochs=1)
    assert torch.equal(torch.rand(3), expected), "training the judge moved the notebook's random stream"
    b = train_digit_judge(seed=1, epochs=1)
    c = train_digit_judge(seed=2, epochs=1)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))


@pytest.mark.parametrize(
    "bad", [torch.rand(4, 64), torch.rand(4, 8, 8), torch.rand(4, 3, 8, 8), np.zeros((4, 1, 8, 8))]
)
def test_judge_rejects_what_is_not_a_batch_of_8x8_images(judge, bad):
    with pytest.raises(ValueError, match=r"\(N, 1, 8, 8\)"):
        judge(bad)
