from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from custcare import Customer, CustomerHistory, NotFittedError, Order, OrderLine, get_scorer
from custcare.batch import from_histories
from custcare.churn import ChurnRiskScorer, RiskBand, gap_kernel
from custcare.datasets import sample_shop
from custcare.errors import NotIdentifiableError
from custcare.testing import check_scorer

SH = ZoneInfo("Asia/Shanghai")
SHOP = sample_shop()
T0 = datetime(2025, 1, 1, 12, tzinfo=SH)


def history(days: list[int], cid: str = "u1") -> CustomerHistory:
    return CustomerHistory(
        customer=Customer(id=cid, created_at=T0 - timedelta(days=1)),
        orders=[
            Order(
                id=f"{cid}-o{k}",
                customer_id=cid,
                placed_at=T0 + timedelta(days=d),
                currency="CNY",
                status="completed",
                lines=[OrderLine(sku="A", quantity=1, unit_price=Decimal("20"))],
            )
            for k, d in enumerate(days)
        ],
    )


@pytest.fixture(scope="module")
def fitted() -> ChurnRiskScorer:
    return ChurnRiskScorer(spend_penalizer=0.001).fit(SHOP.histories, as_of=SHOP.as_of)


def test_registered_and_passes_the_kit() -> None:
    scorer = get_scorer("churn.risk")
    assert isinstance(scorer, ChurnRiskScorer)
    check_scorer(scorer)


def test_gap_method_passes_the_kit_without_fit() -> None:
    check_scorer(
        ChurnRiskScorer(method="gap"),
        expected_failures={"check_unfitted_raises": "the gap rule needs no fit"},
    )


def test_unfitted_bgnbd_raises() -> None:
    with pytest.raises(NotFittedError, match="call"):
        ChurnRiskScorer().score(SHOP.histories[0], as_of=SHOP.as_of)


def test_result_says_method_and_ranks_by_no_purchase(fitted: ChurnRiskScorer) -> None:
    results = fitted.score_many(SHOP.histories, as_of=SHOP.as_of)
    bought = [r for r in results if r.band is not RiskBand.NO_PURCHASES]
    assert all(r.method == "bgnbd" for r in results)
    for r in bought:
        assert r.risk == r.p_no_purchase
        assert 0.0 <= (r.p_no_purchase or 0.0) <= 1.0
        assert 0.0 <= (r.p_alive or 0.0) <= 1.0
        assert r.reasons[0].code == "churn.p_no_purchase"
    # one-time buyers are 'alive' with probability 1 but not the safest customers
    one_timers = [r for r in bought if "one-time buyer" in r.reasons[2].message]
    assert one_timers
    assert all(r.p_alive == pytest.approx(1.0) for r in one_timers)
    assert max(r.risk or 0 for r in one_timers) > np.median([r.risk for r in bought])


def test_bands_follow_the_edges(fitted: ChurnRiskScorer) -> None:
    edges = fitted.config.band_edges
    for r in fitted.score_many(SHOP.histories, as_of=SHOP.as_of):
        if r.p_no_purchase is None:
            continue
        expected = sum(r.p_no_purchase >= e for e in edges)
        assert list(RiskBand).index(r.band) == expected


def test_predicted_value_with_spend_model(fitted: ChurnRiskScorer) -> None:
    r = fitted.score(SHOP.histories[0], as_of=SHOP.as_of)
    assert r.predicted_value is not None
    assert r.predicted_value == pytest.approx(
        (r.expected_purchases or 0) * (r.expected_order_value or 0)
    )


def test_state_round_trips_json(fitted: ChurnRiskScorer) -> None:
    back = ChurnRiskScorer.from_json(fitted.to_json())
    assert back.state == fitted.state
    h = SHOP.histories[5]
    assert back.score(h, as_of=SHOP.as_of) == fitted.score(h, as_of=SHOP.as_of)


def test_no_repeat_buyers_is_a_clear_error() -> None:
    one_time = [history([0], cid=f"u{i}") for i in range(20)]
    with pytest.raises(NotIdentifiableError):
        ChurnRiskScorer().fit(one_time, as_of=T0 + timedelta(days=100))


def test_gap_rule_bands() -> None:
    scorer = ChurnRiskScorer(method="gap", population_gap_days=30.0)
    as_of = T0 + timedelta(days=100)
    regular = scorer.score(history([0, 10, 20, 30, 40, 50, 60, 70, 80, 95]), as_of=as_of)
    assert regular.band is RiskBand.ACTIVE  # 5 days since, median gap 10
    due = scorer.score(history([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]), as_of=as_of)
    assert due.band is RiskBand.COOLING  # ratio exactly 1 starts 'cooling'
    assert regular.typical_gap_days == pytest.approx(10.0)
    gone = scorer.score(history([0, 10, 20]), as_of=as_of)  # 80 days vs gap 10
    assert gone.band is RiskBand.LAPSED
    once = scorer.score(history([40]), as_of=as_of)  # 60 days vs population 30
    assert once.band is RiskBand.AT_RISK
    assert "population" in once.reasons[0].message
    never = scorer.score(history([]), as_of=as_of)
    assert never.band is RiskBand.NO_PURCHASES
    assert never.risk is None


def test_bad_config() -> None:
    with pytest.raises(ValidationError, match="band_edges"):
        ChurnRiskScorer(band_edges=(0.9, 0.5, 0.7))
    with pytest.raises(ValidationError):
        ChurnRiskScorer(method="magic")


def test_batch_agrees_with_per_customer(fitted: ChurnRiskScorer) -> None:
    batch = from_histories(SHOP.histories)
    scores = fitted.score_batch(batch, as_of=SHOP.as_of)
    for h in SHOP.histories[:15]:
        r = fitted.score(h, as_of=SHOP.as_of)
        row = scores.row(h.customer.id)
        assert row["band"] == r.band.value
        assert row["p_alive"] == pytest.approx(
            r.p_alive if r.p_alive is not None else np.nan, nan_ok=True
        )


@given(st.lists(st.integers(0, 400), max_size=12), st.integers(401, 2000))
def test_gap_ratio_is_finite_and_non_negative(days: list[int], later: int) -> None:
    h = history(sorted(days))
    g = gap_kernel(from_histories([h]), (T0 + timedelta(days=later)).timestamp(), 30.0)
    if days:
        assert np.isfinite(g.ratio[0])
        assert g.ratio[0] >= 0
    else:
        assert np.isnan(g.ratio[0])
