"""Hardening where the scoring contract meets the models: one error family for as_of."""

from __future__ import annotations

from datetime import datetime

import pytest

from custcare.batch import from_histories
from custcare.datasets import sample_shop
from custcare.errors import CustcareError, NaiveDatetimeError
from custcare.loyalty import RFMScorer
from custcare.scoring import Pipeline
from custcare.testing import ConstantScorer

SHOP = sample_shop(n_customers=10)
NAIVE = datetime(2026, 1, 1)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ConstantScorer().score(SHOP.histories[0], as_of=NAIVE),
        lambda: ConstantScorer().score_many(SHOP.histories, as_of=NAIVE),
        lambda: ConstantScorer().score_batch(from_histories(SHOP.histories), as_of=NAIVE),
        lambda: RFMScorer().fit(SHOP.histories, as_of=NAIVE),
        lambda: Pipeline([ConstantScorer()]).run(SHOP.histories, as_of=NAIVE),
    ],
    ids=["score", "score_many", "score_batch", "fit", "pipeline"],
)
def test_a_naive_as_of_is_one_custcare_error_everywhere(call: object) -> None:
    with pytest.raises(NaiveDatetimeError) as info:
        call()  # type: ignore[operator]
    assert isinstance(info.value, CustcareError) and isinstance(info.value, ValueError)
    assert info.value.argument == "as_of"
