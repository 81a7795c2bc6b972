from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from custcare import Customer, CustomerHistory, NotFittedError, Order, OrderLine, get_scorer
from custcare.batch import CustomerBatch, from_histories
from custcare.churn import (
    BetaGeoModel,
    ChurnRiskResult,
    ChurnRiskScorer,
    ChurnRiskScores,
    RiskBand,
    gap_kernel,
)
from custcare.datasets import sample_shop
from custcare.errors import ColumnError, DataError, NotIdentifiableError
from custcare.loyalty import PyramidScorer
from custcare.scoring import CustomerValueScores, PredictedValueScores
from custcare.testing import check_scorer, strategies

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
    """Ranked by BG/NBD P(no purchase in the horizon), as before the re-ranker."""
    return ChurnRiskScorer(spend_penalizer=0.001, ranking="p_no_purchase").fit(
        SHOP.histories, as_of=SHOP.as_of
    )


@pytest.fixture(scope="module")
def fitted_rerank() -> ChurnRiskScorer:
    """The default ranking: the re-ranker fitted on an earlier split of the sample shop."""
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


# --- the columnar path: reasons as columns, per-customer results as one-row views ----------

BGNBD_CODES = {
    "churn.no_purchases",
    "churn.p_no_purchase",
    "churn.recency",
    "churn.p_alive",
    "churn.predicted_value",
    "churn.method",
}
GAP_CODES = {"churn.no_purchases", "churn.gap_ratio", "churn.method"}


@pytest.fixture(scope="module")
def fitted_gap() -> ChurnRiskScorer:
    return ChurnRiskScorer(method="gap").fit(SHOP.histories, as_of=SHOP.as_of)


@pytest.fixture(scope="module")
def no_spend_model(fitted: ChurnRiskScorer) -> ChurnRiskScorer:
    scorer = ChurnRiskScorer.from_json(fitted.to_json())
    assert scorer.state_ is not None
    scorer.state_ = scorer.state_.model_copy(
        update={"gamma_gamma": None, "gamma_gamma_error": "spend model not identified"}
    )
    return scorer


@pytest.mark.parametrize(
    ("which", "codes"),
    [
        ("fitted", BGNBD_CODES),
        ("fitted_rerank", BGNBD_CODES),
        ("fitted_gap", GAP_CODES),
        ("no_spend_model", BGNBD_CODES - {"churn.predicted_value"} | {"churn.no_spend_model"}),
    ],
)
def test_reason_columns_equal_per_customer_reasons_on_the_sample_shop(
    which: str, codes: set[str], request: pytest.FixtureRequest
) -> None:
    scorer: ChurnRiskScorer = request.getfixturevalue(which)
    scores = scorer.score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
    assert scores.reasons is not None
    seen: set[str] = set()
    for i, h in enumerate(SHOP.histories):
        r = scorer.score(h, as_of=SHOP.as_of)
        assert scores.customer_ids[i] == h.customer.id
        assert scores.reasons.codes_of(i) == r.reason_codes
        for j, reason in enumerate(r.reasons):
            assert scores.reasons.evidence_of(i, j) == reason.evidence
        assert scores.result(i) == r
        seen.update(r.reason_codes)
    # every code of the method occurs on the sample shop, so each one was compared
    assert seen == codes


@pytest.mark.parametrize(
    ("which", "bought_codes"),
    [
        (
            "fitted",
            (
                ("churn.p_no_purchase", True),
                ("churn.recency", True),
                ("churn.p_alive", True),
                ("churn.predicted_value", True),
                ("churn.method", False),
            ),
        ),
        (
            "no_spend_model",
            (
                ("churn.p_no_purchase", True),
                ("churn.recency", True),
                ("churn.p_alive", True),
                ("churn.no_spend_model", False),
                ("churn.method", False),
            ),
        ),
        ("fitted_gap", (("churn.gap_ratio", True), ("churn.method", False))),
    ],
)
def test_reasons_in_order_citing_the_last_purchase(
    which: str, bought_codes: tuple[tuple[str, bool], ...], request: pytest.FixtureRequest
) -> None:
    scorer: ChurnRiskScorer = request.getfixturevalue(which)
    scores = scorer.score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
    assert scores.reasons is not None
    for i, h in enumerate(SHOP.histories):
        bought = h.until(SHOP.as_of).purchases
        want = (
            tuple((code, (bought[-1].id,) if cites else ()) for code, cites in bought_codes)
            if bought
            else (("churn.no_purchases", ()),)
        )
        codes = scores.reasons.codes_of(i)
        assert tuple((c, scores.reasons.evidence_of(i, j)) for j, c in enumerate(codes)) == want
        result = scores.result(i)
        assert tuple((x.code, x.evidence) for x in result.reasons) == want


def test_reasons_cite_the_last_purchase(fitted: ChurnRiskScorer) -> None:
    scores = fitted.score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
    assert scores.reasons is not None
    evidence = scores.reasons.evidence_lists()
    for i, h in enumerate(SHOP.histories):
        bought = h.until(SHOP.as_of).purchases
        assert evidence.row(i) == ((bought[-1].id,) if bought else ())


def test_band_labels_are_columns_and_result_properties(fitted: ChurnRiskScorer) -> None:
    scores = fitted.score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
    bands = [RiskBand(code) for code in scores["band"].tolist()]
    assert scores["label_zh"].tolist() == [b.label_zh for b in bands]
    assert scores["label_en"].tolist() == [b.label_en for b in bands]
    assert "有流失风险" in scores["label_zh"].tolist() or "活跃" in scores["label_zh"].tolist()
    r = scores.result(0)
    assert isinstance(r, ChurnRiskResult)
    assert (r.label_zh, r.label_en) == (r.band.label_zh, r.band.label_en)
    assert "label_zh" not in r.model_dump()  # derived from the band, not stored twice


def test_batch_scores_offer_predicted_value_to_the_pyramid(fitted: ChurnRiskScorer) -> None:
    batch = from_histories(SHOP.histories)
    scores = fitted.score_batch(batch, as_of=SHOP.as_of)
    assert isinstance(scores, ChurnRiskScores)
    assert isinstance(scores, PredictedValueScores)
    assert not isinstance(scores, CustomerValueScores)
    for i, h in enumerate(SHOP.histories):
        want = fitted.score(h, as_of=SHOP.as_of).predicted_value
        got = scores.predicted_value[i]
        assert np.isnan(got) if want is None else got == pytest.approx(want)
    assert np.isnan(scores.predicted_value).sum() == 1  # the one customer who never bought
    with_future = PyramidScorer().fit(batch, as_of=SHOP.as_of, upstream={"churn.risk": scores})
    by_hand = PyramidScorer().fit_values(
        batch, as_of=SHOP.as_of, future_value=np.nan_to_num(scores.predicted_value)
    )
    assert with_future.state.future_included
    assert with_future.state == by_hand.state


def test_batch_scores_offer_band_and_method(
    fitted: ChurnRiskScorer, fitted_gap: ChurnRiskScorer
) -> None:
    for scorer in (fitted, fitted_gap):
        scores = scorer.score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
        results = scorer.score_many(SHOP.histories, as_of=SHOP.as_of)
        assert scores.band.tolist() == [r.band.value for r in results]
        assert scores.method.tolist() == [scorer.config.method] * len(results)


def test_gap_method_predicts_no_value(fitted_gap: ChurnRiskScorer) -> None:
    scores = fitted_gap.score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
    assert isinstance(scores, PredictedValueScores)
    assert np.isnan(scores.predicted_value).all()


def test_no_nan_or_inf_in_results(fitted: ChurnRiskScorer, fitted_gap: ChurnRiskScorer) -> None:
    for scorer in (fitted, fitted_gap):
        scores = scorer.score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
        for i in range(len(scores)):
            values = scores.result(i).model_dump()
            floats = [v for v in values.values() if isinstance(v, float)]
            assert all(np.isfinite(v) for v in floats)


def test_a_non_finite_model_value_is_refused_naming_the_customer(
    fitted: ChurnRiskScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: BetaGeoModel, t: float, *args: Any) -> np.ndarray:
        out = np.full(np.shape(args[0]), 0.5)
        out[-1] = np.nan
        return out

    monkeypatch.setattr(BetaGeoModel, "probability_no_purchase", broken)
    batch = from_histories(SHOP.histories)
    last_buyer = [h.customer.id for h in SHOP.histories if h.until(SHOP.as_of).purchases][-1]
    with pytest.raises(
        DataError, match=f"p_no_purchase not finite for customer\\(s\\) '{last_buyer}' "
    ):
        fitted.score_batch(batch, as_of=SHOP.as_of)


def test_an_overflowing_spend_value_is_refused() -> None:
    days = np.arange(100) * 86_400.0
    columns: dict[str, Any] = {
        "customer_ids": ["rich", "plain"],
        "created_at": [0.0, 0.0],
        "order_customer": np.r_[np.zeros(100, dtype=np.int64), 1],
        "order_time": np.r_[days, 0.0],
        "currency": "CNY",
    }
    # Amounts beyond the supported range never reach the models: the batch refuses them.
    with pytest.raises(ColumnError) as info:
        CustomerBatch.from_arrays(**columns, order_total=np.r_[np.full(100, 1.7e306), 20.0])
    assert (info.value.column, info.value.rule) == ("order_total", "amount_too_large")
    # Parameters at the edge of float range (valid, finite) still cannot make an
    # infinite value slip into a result: the customer is named.
    rich = CustomerBatch.from_arrays(**columns, order_total=np.r_[np.full(100, 9e8), 20.0])
    scorer = ChurnRiskScorer(spend_penalizer=0.001).fit(SHOP.histories, as_of=SHOP.as_of)
    state = scorer.state
    assert state.gamma_gamma is not None
    scorer.state_ = state.model_copy(update={"gamma_gamma": {"p": 1e299, "q": 2.0, "gamma": 1.0}})
    as_of = datetime.fromtimestamp(101 * 86_400.0, timezone.utc)
    with pytest.raises(
        DataError, match=r"expected_order_value.* not finite for customer\(s\) 'rich' "
    ):
        scorer.score_batch(rich, as_of=as_of)


def test_split_orders_do_not_make_a_zero_population_gap() -> None:
    # Every repeat order is a split of the first (same moment): the median gap is 0,
    # which would make every one-time buyer's ratio infinite.
    split = [history([0, 0], cid=f"s{i}") for i in range(5)]
    once = history([10], cid="once")
    scorer = ChurnRiskScorer(method="gap", population_gap_days=30.0)
    as_of = T0 + timedelta(days=100)
    scorer.fit([*split, once], as_of=as_of)
    assert scorer.state.population_gap_days is None
    r = scorer.score(once, as_of=as_of)
    assert r.typical_gap_days == pytest.approx(30.0)
    assert r.risk == pytest.approx(3.0 / 4.0)  # 90 days over 30: ratio 3
    assert r.band is RiskBand.AT_RISK
    # a state saved with a zero gap (older versions stored it) is refused on load
    saved = json.loads(scorer.to_json())
    saved["state"]["population_gap_days"] = 0.0
    with pytest.raises(DataError, match="population_gap_days"):
        ChurnRiskScorer.from_json(json.dumps(saved))


def test_score_batch_checks_as_of_and_handles_an_empty_batch(fitted: ChurnRiskScorer) -> None:
    batch = from_histories(SHOP.histories)
    with pytest.raises(ValueError, match="timezone-aware"):
        fitted.score_batch(batch, as_of=datetime(2026, 1, 1))
    empty = fitted.score_batch(from_histories([]), as_of=SHOP.as_of)
    assert len(empty) == 0
    assert empty["label_en"].shape == (0,)


def _unique(histories: list[CustomerHistory]) -> list[CustomerHistory]:
    return list({h.customer.id: h for h in histories}.values())


AS_OFS = st.sampled_from(
    [datetime(2024, 6, 1, tzinfo=SH), datetime(2025, 6, 1, 12, tzinfo=timezone.utc), SHOP.as_of]
)


@settings(max_examples=40, deadline=None)
@given(st.lists(strategies.histories(max_orders=8), min_size=1, max_size=6), AS_OFS)
def test_batch_result_is_the_per_customer_result(
    histories: list[CustomerHistory], as_of: datetime
) -> None:
    hs = _unique(histories)
    for scorer in (_FITTED_BGNBD(), ChurnRiskScorer(method="gap", population_gap_days=45.0)):
        scores = scorer.score_batch(from_histories(hs), as_of=as_of)
        for i, h in enumerate(hs):
            assert scores.result(i) == scorer.score(h, as_of=as_of)


@functools.cache
def _FITTED_BGNBD() -> ChurnRiskScorer:  # noqa: N802 - a module constant, built on first use
    return ChurnRiskScorer(spend_penalizer=0.001).fit(SHOP.histories, as_of=SHOP.as_of)
