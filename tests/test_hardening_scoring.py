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


@pytest.mark.parametrize("model", ["review", "complaint"])
def test_record_text_beyond_the_limit_is_refused_without_echoing_it(model: str) -> None:
    from pydantic import ValidationError

    from custcare import Complaint, Review
    from custcare.models import MAX_RECORD_TEXT

    text = "secret" + "x" * MAX_RECORD_TEXT
    t0 = SHOP.as_of
    build = {
        "review": lambda: Review(id="r", customer_id="c", posted_at=t0, rating=1, text=text),
        "complaint": lambda: Complaint(
            id="q", customer_id="c", opened_at=t0, channel="phone", text=text
        ),
    }[model]
    with pytest.raises(ValidationError) as info:
        build()
    (error,) = info.value.errors()
    assert (error["loc"], error["type"]) == (("text",), "too_long")
    assert "secret" not in str(info.value) and "secret" not in info.value.json()
    ok = Review(id="r", customer_id="c", posted_at=t0, rating=1, text="y" * MAX_RECORD_TEXT)
    assert len(ok.text) == MAX_RECORD_TEXT


def _with_a_later_customer() -> tuple[list[object], object]:
    from datetime import timedelta

    from custcare.models import Customer, CustomerHistory

    late = CustomerHistory(customer=Customer(id="late", created_at=SHOP.as_of + timedelta(days=3)))
    return [*SHOP.histories, late], late


def test_pipeline_fit_leaves_out_customers_created_after_as_of() -> None:
    from custcare.churn import ChurnRiskScorer
    from custcare.loyalty import PyramidScorer

    histories, _ = _with_a_later_customer()
    with_late = Pipeline([ChurnRiskScorer(method="gap"), PyramidScorer(future_weight=0.4)])
    with_late.fit(histories, as_of=SHOP.as_of)  # type: ignore[arg-type]
    without = Pipeline([ChurnRiskScorer(method="gap"), PyramidScorer(future_weight=0.4)])
    without.fit(SHOP.histories, as_of=SHOP.as_of)
    a = with_late.run(SHOP.histories, as_of=SHOP.as_of).to_dict()
    b = without.run(SHOP.histories, as_of=SHOP.as_of).to_dict()
    assert a.keys() == b.keys()
    for name in a:
        assert str(a[name].tolist()) == str(b[name].tolist()), name  # NaN equals NaN here


def test_pipeline_run_refuses_customers_created_after_as_of_naming_the_rows() -> None:
    from custcare.errors import ColumnError

    histories, _ = _with_a_later_customer()
    with pytest.raises(ColumnError) as info:
        Pipeline([ConstantScorer()]).run(histories, as_of=SHOP.as_of)  # type: ignore[arg-type]
    assert (info.value.column, info.value.rule, info.value.rows) == (
        "created_at",
        "created_after_as_of",
        (len(SHOP.histories),),
    )
