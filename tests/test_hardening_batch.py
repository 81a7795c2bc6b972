"""Issue 11, batch and population side: a catalogue of hostile inputs.

Every case here failed before the hardening (a silent wrong answer, an inf or NaN
without a reason, or a raw crash); each now raises a `CustcareError`-family or
pydantic error with a stable type naming the field (and the rows, for columns), or
is handled correctly with a reason.

* money range (item 3): the columnar batch refuses amounts and quantities beyond the
  supported range, and per-customer sums stay exact whole minor units;
* infinite values (item 4): no finite mean spend, $0 repeat purchases;
* currencies (item 5): fitted state records its currency, other currencies refused;
* saved state (item 6): every field checked on load, the format version too;
* look-ahead (item 7): customers created after ``as_of`` are not in the population;
* edges (item 10): config ranges, BG/NBD and Gamma-Gamma at extreme scales.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from custcare import Customer, CustomerHistory, Order, OrderLine
from custcare.batch import CustomerBatch, from_histories
from custcare.churn import (
    BetaGeoModel,
    ChurnCauseConfig,
    ChurnRiskConfig,
    ChurnRiskScorer,
    GammaGammaModel,
    simulate_bgnbd,
    simulate_gamma_gamma,
)
from custcare.datasets import sample_shop
from custcare.errors import ColumnError, CustcareError, DataError, NotYetCreatedError
from custcare.loyalty import (
    PyramidConfig,
    PyramidScorer,
    RFMConfig,
    RFMScorer,
    ThresholdConfig,
    ThresholdTierScorer,
)
from custcare.models import population_until
from custcare.scoring import PopulationScorer

UTC = timezone.utc
SHOP = sample_shop()
AS_OF = SHOP.as_of
DAY = 86_400.0


def _columns(**overrides: Any) -> dict[str, Any]:
    cols: dict[str, Any] = {
        "customer_ids": ["a", "b"],
        "created_at": [0.0, 0.0],
        "order_customer": [0, 1],
        "order_time": [DAY, 2 * DAY],
        "order_total": [10.0, 20.0],
        "currency": "CNY",
    }
    cols.update(overrides)
    return cols


def _refused(**overrides: Any) -> ColumnError:
    with pytest.raises(ColumnError) as info:
        CustomerBatch.from_arrays(**_columns(**overrides))
    return info.value


def _history(
    cid: str,
    days: list[int],
    *,
    prices: list[str] | None = None,
    currency: str = "CNY",
    created: datetime | None = None,
    start: datetime = datetime(2025, 1, 1, 12, tzinfo=UTC),
) -> CustomerHistory:
    prices = prices or ["20"] * len(days)
    return CustomerHistory(
        customer=Customer(id=cid, created_at=created or start - timedelta(days=1)),
        orders=[
            Order(
                id=f"{cid}-o{k}",
                customer_id=cid,
                placed_at=start + timedelta(days=d),
                currency=currency,
                status="completed",
                lines=[OrderLine(sku="A", quantity=1, unit_price=Decimal(price))],
            )
            for k, (d, price) in enumerate(zip(days, prices, strict=True))
        ],
    )


# --- item 3: money and quantities in the supported range ------------------------------------


def test_batch_refuses_an_amount_at_or_above_max_amount() -> None:
    # 1e17 wrapped to -92233720368547758.08 as int64 cents and "met spend >= 1.00".
    err = _refused(order_total=[1e17, 20.0])
    assert (err.column, err.rule, err.rows) == ("order_total", "amount_too_large", (0,))
    assert "1e+17" not in str(err) and "100000000000000000" not in str(err)


def test_batch_refuses_a_decimal_beyond_float_range_as_too_large() -> None:
    huge = np.array([Decimal("9E+999999"), Decimal("1")], dtype=object)
    err = _refused(order_total=huge)
    assert (err.column, err.rule, err.rows) == ("order_total", "amount_too_large", (0,))


def test_batch_refuses_a_python_int_beyond_float_range_without_overflow_error() -> None:
    huge = np.array([10**400, 1], dtype=object)
    err = _refused(order_cost=huge)
    assert (err.column, err.rule, err.rows) == ("order_cost", "amount_too_large", (0,))


def test_batch_refuses_sub_minor_unit_amounts_of_the_currency() -> None:
    # 100 x 0.004 became 0.00: a fraction of a cent vanished in the int cents.
    err = _refused(order_total=[0.004, 20.0])
    assert (err.column, err.rule, err.rows) == ("order_total", "sub_minor_unit", (0,))
    err = _refused(order_total=[10.0, 9.5], currency="JPY")  # no minor unit
    assert (err.column, err.rule, err.rows) == ("order_total", "sub_minor_unit", (1,))
    err = _refused(order_cost=[1.005, np.nan])
    assert (err.column, err.rule, err.rows) == ("order_cost", "sub_minor_unit", (0,))
    # three-decimal currencies keep their fils; float noise of 9.9 is not a sub-cent
    CustomerBatch.from_arrays(**_columns(order_total=[1.234, 9.9], currency="KWD"))


def test_batch_refuses_a_customer_total_beyond_the_supported_range() -> None:
    from custcare.batch._columns import MAX_CUSTOMER_TOTAL

    n = 12  # 12 orders just below MAX_AMOUNT: each valid, together >= 10^11
    err = _refused(
        customer_ids=["a", "b"],
        order_customer=[1, *([0] * n)],
        order_time=[DAY] * (n + 1),
        order_total=[5.0, *([9_999_999_999.0] * n)],
    )
    assert (err.column, err.rule) == ("order_total", "customer_total_too_large")
    assert err.rows == (1, 2, 3, 4, 5) and err.n_rows == n
    assert n * 9_999_999_999.0 >= MAX_CUSTOMER_TOTAL


def test_batch_refuses_unit_counts_beyond_the_supported_range() -> None:
    err = _refused(order_units=[2**62, 1])
    assert (err.column, err.rule, err.rows) == ("order_units", "out_of_range", (0,))
    err = _refused(order_units=np.array([2**63 + 5, 1], dtype=np.uint64))
    assert (err.column, err.rule, err.rows) == ("order_units", "out_of_range", (0,))


def test_three_decimal_currency_amounts_are_summed_exactly_by_the_loyalty_scorers() -> None:
    # KWD has 1/1000 minor units: int cents cut 1.234 to 1.23.
    batch = CustomerBatch.from_arrays(
        **_columns(
            customer_ids=["a", "b"],
            order_customer=[0, 0, 0, 1],
            order_time=[DAY, 2 * DAY, 3 * DAY, DAY],
            order_total=[1.234, 1.234, 1.234, 0.001],
            currency="KWD",
        )
    )
    as_of = datetime(1970, 1, 10, tzinfo=UTC)
    rfm = RFMScorer().fit(batch, as_of=as_of)
    assert rfm.score_batch(batch, as_of=as_of).result(0).monetary == Decimal("3.702")
    pyramid = PyramidScorer().fit(batch, as_of=as_of)
    result = pyramid.score_batch(batch, as_of=as_of).result(1)
    assert result.revenue == Decimal("0.001")


def test_threshold_min_spend_between_minor_units_is_never_met_from_below() -> None:
    # min_spend 99.994 was rounded to 99.99 cents, so 99.99 "met spend >= 99.994".
    levels = [
        {"code": "member", "label_zh": "会员", "label_en": "Member"},
        {"code": "vip", "label_zh": "VIP", "label_en": "VIP", "min_spend": "99.994"},
    ]
    scorer = ThresholdTierScorer(levels=levels, window_days=None)
    batch = CustomerBatch.from_arrays(**_columns(order_total=[99.99, 100.0]))
    levels_met = scorer.score_batch(batch, as_of=datetime(1970, 2, 1, tzinfo=UTC))["level"]
    assert levels_met.tolist() == ["member", "vip"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10**12 - 1), min_size=1, max_size=200))
@example([10**12 - 1] * 11)  # 11 orders just below MAX_AMOUNT: beyond MAX_CUSTOMER_TOTAL
@example([1] * 100)  # 100 x 0.01 stays 1.00
def test_per_customer_spend_is_the_exact_sum_of_whole_cents(cents: list[int]) -> None:
    # Up to 200 orders of up to 10^10 - 0.01: the sum is exact (no wrap, no rounding)
    # or the batch refuses it as beyond the supported range.
    totals = [c / 100 for c in cents]
    exact = sum(Decimal(c) for c in cents) / 100
    cols = _columns(
        customer_ids=["a"],
        created_at=[0.0],
        order_customer=[0] * len(cents),
        order_time=[DAY] * len(cents),
        order_total=totals,
    )
    if exact >= 10**11:
        with pytest.raises(ColumnError, match="customer_total_too_large"):
            CustomerBatch.from_arrays(**cols)
        return
    batch = CustomerBatch.from_arrays(**cols)
    as_of = datetime(1970, 1, 3, tzinfo=UTC)
    assert RFMScorer().fit(batch, as_of=as_of).score_batch(batch, as_of=as_of).result(
        0
    ).monetary == exact.quantize(Decimal("0.01"))


# --- item 4: no inf or NaN without a reason ------------------------------------------------


@pytest.fixture(scope="module")
def risk() -> ChurnRiskScorer:
    return ChurnRiskScorer(spend_penalizer=0.001).fit(SHOP.histories, as_of=AS_OF)


def test_no_finite_mean_spend_gives_no_value_with_a_reason(risk: ChurnRiskScorer) -> None:
    # With q <= 1 the population's mean spend does not exist: one-time buyers got inf
    # predicted values, "inf" in reasons and null in JSON.
    state = risk.state
    assert state.gamma_gamma is not None
    scorer = ChurnRiskScorer(risk.config)
    scorer.state_ = state.model_copy(update={"gamma_gamma": {**state.gamma_gamma, "q": 0.8}})
    batch = from_histories(SHOP.histories)
    scores = scorer.score_batch(batch, as_of=AS_OF)
    assert not np.isinf(scores.predicted_value).any()
    one_time = repeat = 0
    for i in range(len(scores)):
        result = scores.result(i)
        codes = [r.code for r in result.reasons]
        text = json.dumps(result.model_dump(mode="json"))
        assert "inf" not in " ".join(r.message for r in result.reasons).lower()
        assert "Infinity" not in text and "NaN" not in text
        if result.band.value == "no_purchases":
            continue
        if "churn.no_finite_mean" in codes:
            one_time += 1
            assert result.predicted_value is None and result.expected_order_value is None
            assert np.isnan(scores.predicted_value[i])
        else:
            repeat += 1
            assert "churn.predicted_value" in codes
            assert result.predicted_value is not None and math.isfinite(result.predicted_value)
    assert one_time > 0 and repeat > 0
    # the value pyramid reads "no prediction" as no future value, and fits
    pyramid = PyramidScorer().fit(batch, as_of=AS_OF, upstream={"churn.risk": scores})
    assert pyramid.state.future_included


def test_a_zero_value_repeat_purchase_is_left_out_of_the_spend_model_with_a_reason() -> None:
    # One $0 repeat purchase switched the spend model off for everyone (NaN for all),
    # reported as an internal row index.
    free = _history("FREE", [0, 30], prices=["20", "0"], start=AS_OF - timedelta(days=90))
    histories = [*SHOP.histories, free]
    scorer = ChurnRiskScorer(spend_penalizer=0.001).fit(histories, as_of=AS_OF)
    state = scorer.state
    assert state.gamma_gamma is not None and state.gamma_gamma_error is None
    assert state.n_zero_value_repeats == 1
    results = scorer.score_many(histories, as_of=AS_OF)
    by_id = {r.customer_id: r for r in results}
    assert by_id["FREE"].predicted_value is None
    assert "churn.zero_value_repeats" in [r.code for r in by_id["FREE"].reasons]
    priced = [r for r in results if r.predicted_value is not None]
    assert len(priced) >= len(SHOP.histories) // 2


# --- item 5: one currency per fitted state ----------------------------------------------------


def _usd() -> CustomerHistory:
    return _history("USD1", [0, 20], currency="USD", start=AS_OF - timedelta(days=60))


@pytest.mark.parametrize(
    "make",
    [RFMScorer, PyramidScorer, lambda: ChurnRiskScorer(spend_penalizer=0.001)],
    ids=["loyalty.rfm", "loyalty.pyramid", "churn.risk"],
)
def test_population_scorers_refuse_data_in_another_currency(make: Any) -> None:
    scorer: PopulationScorer[Any, Any, Any] = make().fit(SHOP.histories, as_of=AS_OF)
    assert scorer.state.currency == "CNY"
    usd = _usd()
    for call in (
        lambda: scorer.score(usd, as_of=AS_OF),
        lambda: scorer.score_many([usd], as_of=AS_OF),
        lambda: scorer.score_batch(from_histories([usd]), as_of=AS_OF),
    ):
        with pytest.raises(DataError, match=r"fitted on amounts in CNY.*data are in USD"):
            call()
    # and the saved state keeps the currency
    assert type(scorer).from_json(scorer.to_json()).state.currency == "CNY"


# --- item 6: saved state validated on load ---------------------------------------------------


def _saved(scorer: PopulationScorer[Any, Any, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(scorer.to_json())
    return loaded


@pytest.fixture(scope="module")
def fitted_rfm() -> RFMScorer:
    return RFMScorer().fit(SHOP.histories, as_of=AS_OF)


@pytest.fixture(scope="module")
def fitted_pyramid() -> PyramidScorer:
    return PyramidScorer().fit(SHOP.histories, as_of=AS_OF)


def _set(path: str, value: Any) -> Any:
    def apply(saved: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = saved
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _drop(path: str) -> Any:
    def apply(saved: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = saved
        for part in parents:
            node = node[part]
        del node[last]

    return apply


RFM_CORRUPTIONS = {
    "decreasing_edges": _set("state.recency_edges", [50.0, 40.0, 30.0, 20.0]),
    "nan_edge": _set("state.monetary_edges.2", float("nan")),
    "infinite_edge": _set("state.frequency_edges.3", float("inf")),
    "negative_edge": _set("state.recency_edges.0", -1.0),
    "more_buyers_than_customers": _set("state.n_buyers", 10**6),
    "negative_count": _set("state.n_customers", -1),
    "extra_key": _set("state.surprise", 1),
    "lower_case_currency": _set("state.currency", "cny"),
    "naive_fit_date": _set("state.fitted_as_of", "2026-01-01T00:00:00"),
    "old_format": _set("format", "custcare.scorer/1"),
    "unknown_format": _set("format", "custcare.scorer/99"),
    "no_format": _drop("format"),
    "bad_config": _set("config.window_days", 0),
}

PYRAMID_CORRUPTIONS = {
    "unsorted_values": _set("state.values.0", 1e12),
    "nan_value": _set("state.values.3", float("nan")),
    "zero_total": _set("state.total_value", 0.0),
    "negative_rank": _set("state.cut_ranks.0", -3),
    "rank_beyond_population": _set("state.cut_ranks.1", 10**6),
    "too_many_cut_ranks": _set("state.cut_ranks", [1, 2, 3, 4]),
    "fewer_values_than_customers": _set("state.n_customers", 1000),
    "extra_key": _set("state.extra", None),
}

RISK_CORRUPTIONS = {
    "negative_gap_days": _set("state.population_gap_days", -5.0),
    "zero_gap_days": _set("state.population_gap_days", 0.0),
    "missing_parameter": _drop("state.bgnbd.alpha"),
    "extra_parameter": _set("state.bgnbd.beta", 1.0),
    "nan_parameter": _set("state.bgnbd.r", float("nan")),
    "negative_parameter": _set("state.gamma_gamma.q", -1.0),
    "infinite_likelihood": _set("state.log_likelihood", float("-inf")),
    "no_bgnbd_for_bgnbd": _set("state.bgnbd", None),
    "extra_key": _set("state.notes", "x"),
    "negative_count": _set("state.n_customers", -2),
}


def _refused_on_load(scorer: PopulationScorer[Any, Any, Any], corrupt: Any) -> DataError:
    saved = _saved(scorer)
    corrupt(saved)
    with pytest.raises(DataError) as info:
        type(scorer).from_json(json.dumps(saved))
    return info.value


@pytest.mark.parametrize("corrupt", RFM_CORRUPTIONS.values(), ids=RFM_CORRUPTIONS.keys())
def test_rfm_state_is_validated_on_load(fitted_rfm: RFMScorer, corrupt: Any) -> None:
    err = _refused_on_load(fitted_rfm, corrupt)
    assert "loyalty.rfm" in str(err)


@pytest.mark.parametrize("corrupt", PYRAMID_CORRUPTIONS.values(), ids=PYRAMID_CORRUPTIONS.keys())
def test_pyramid_state_is_validated_on_load(fitted_pyramid: PyramidScorer, corrupt: Any) -> None:
    err = _refused_on_load(fitted_pyramid, corrupt)
    assert "loyalty.pyramid" in str(err)


@pytest.mark.parametrize("corrupt", RISK_CORRUPTIONS.values(), ids=RISK_CORRUPTIONS.keys())
def test_churn_risk_state_is_validated_on_load(risk: ChurnRiskScorer, corrupt: Any) -> None:
    err = _refused_on_load(risk, corrupt)
    assert "churn.risk" in str(err)


def test_a_wrong_format_names_the_format_it_reads(fitted_rfm: RFMScorer) -> None:
    err = _refused_on_load(fitted_rfm, _set("format", "custcare.scorer/1"))
    assert "custcare.scorer/1" in str(err) and "custcare.scorer/2" in str(err)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


JUNK = st.sampled_from(
    [float("nan"), float("inf"), -1.0, -(10**9), 0, 1e308, "x", None, [], {}, True, 10**30]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["loyalty.rfm", "loyalty.pyramid", "churn.risk"]),
    st.data(),
    JUNK,
)
def test_random_corruption_of_saved_state_is_refused_or_scores_cleanly(
    name: str, data: st.DataObject, junk: Any
) -> None:
    scorer = {"loyalty.rfm": _RFM, "loyalty.pyramid": _PYRAMID, "churn.risk": _RISK}[name]
    saved = _saved(scorer)
    leaves = _leaves(saved["state"])
    path = data.draw(st.sampled_from(leaves))
    node: Any = saved["state"]
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = junk
    try:
        loaded = type(scorer).from_json(json.dumps(saved))
    except DataError:
        return  # refused on load, naming the field: the point
    # Accepted: then it must score without a raw crash (no KeyError, IndexError ...).
    try:
        scores = loaded.score_batch(_BATCH, as_of=AS_OF)
    except CustcareError:
        return
    for i in range(0, len(scores), 7):
        scores.result(i)


_RFM = RFMScorer().fit(SHOP.histories, as_of=AS_OF)
_PYRAMID = PyramidScorer().fit(SHOP.histories, as_of=AS_OF)
_RISK = ChurnRiskScorer(spend_penalizer=0.001).fit(SHOP.histories, as_of=AS_OF)
_BATCH = from_histories(SHOP.histories)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**31 - 1))
def test_state_json_round_trip_is_exact_and_versioned(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(n, 4 * n + 1))
    batch = CustomerBatch.from_arrays(
        customer_ids=[f"c{i}" for i in range(n)],
        created_at=np.zeros(n),
        order_customer=np.r_[np.arange(n), rng.integers(0, n, m - n)],
        order_time=rng.integers(0, 400, m) * DAY,
        order_total=rng.integers(1, 10**7, m) / 100,
        currency="CNY",
    )
    as_of = datetime(1971, 3, 1, tzinfo=UTC)
    for scorer in (RFMScorer().fit(batch, as_of=as_of), PyramidScorer().fit(batch, as_of=as_of)):
        text = scorer.to_json()
        assert json.loads(text)["format"] == "custcare.scorer/2"
        again = type(scorer).from_json(text)
        assert again.state == scorer.state and again.to_json() == text


# --- item 7: the population as of a moment ----------------------------------------------------

LATE_AS_OF = max(h.customer.created_at for h in SHOP.histories) - timedelta(seconds=1)
N_LATE = sum(h.customer.created_at > LATE_AS_OF for h in SHOP.histories)


@pytest.mark.parametrize(
    "make",
    [RFMScorer, PyramidScorer, lambda: ChurnRiskScorer(spend_penalizer=0.001)],
    ids=["loyalty.rfm", "loyalty.pyramid", "churn.risk"],
)
def test_fit_on_histories_leaves_out_customers_created_after_as_of(make: Any) -> None:
    assert N_LATE >= 1
    scorer = make().fit(SHOP.histories, as_of=LATE_AS_OF)
    assert scorer.state.n_not_yet_created == N_LATE
    same = make().fit(population_until(SHOP.histories, LATE_AS_OF), as_of=LATE_AS_OF)
    assert scorer.state.model_copy(update={"n_not_yet_created": 0}) == same.state


def test_fit_on_a_batch_leaves_out_customers_created_after_as_of() -> None:
    batch = from_histories(SHOP.histories)
    pyramid = PyramidScorer().fit(batch, as_of=LATE_AS_OF)
    assert pyramid.state.n_customers == len(SHOP.histories) - N_LATE
    assert pyramid.state.n_not_yet_created == N_LATE
    by_hand = PyramidScorer().fit(batch.existing_at(LATE_AS_OF), as_of=LATE_AS_OF)
    assert by_hand.state.values == pyramid.state.values
    # fit_values leaves them out too, with their future values
    future = np.arange(batch.n_customers, dtype=np.float64)
    with_future = PyramidScorer().fit_values(batch, as_of=LATE_AS_OF, future_value=future)
    assert with_future.state.n_customers == len(SHOP.histories) - N_LATE


def test_scoring_a_batch_with_customers_created_after_as_of_is_refused() -> None:
    batch = from_histories(SHOP.histories)
    late_rows = tuple(i for i, h in enumerate(SHOP.histories) if h.customer.created_at > LATE_AS_OF)
    rfm = RFMScorer().fit(batch, as_of=LATE_AS_OF)
    for scorer in (rfm, ThresholdTierScorer()):
        with pytest.raises(ColumnError) as info:
            scorer.score_batch(batch, as_of=LATE_AS_OF)
        err = info.value
        assert (err.column, err.rule, err.rows) == ("created_at", "created_after_as_of", late_rows)
        assert "existing_at" in str(err)
    kept = batch.existing_at(LATE_AS_OF)
    assert len(rfm.score_batch(kept, as_of=LATE_AS_OF)) == batch.n_customers - N_LATE
    # score_many refuses like score() of that history would
    with pytest.raises(NotYetCreatedError):
        ThresholdTierScorer().score_many(SHOP.histories, as_of=LATE_AS_OF)


def test_existing_at_is_take_of_the_customers_created_by_then() -> None:
    batch = from_histories(SHOP.histories)
    kept = batch.existing_at(LATE_AS_OF)
    keep = [i for i, h in enumerate(SHOP.histories) if h.customer.created_at <= LATE_AS_OF]
    assert kept.customer_ids.tolist() == batch.customer_ids[keep].tolist()
    assert kept.n_orders == batch.take(keep).n_orders
    assert batch.existing_at(AS_OF) is batch


# --- item 10: configs and models at the edges --------------------------------------------------


@pytest.mark.parametrize(
    ("model", "params"),
    [
        (ThresholdConfig, {"grace_days": 10**9}),
        (ThresholdConfig, {"window_days": 10**9}),
        (RFMConfig, {"window_days": 10**7}),
        (PyramidConfig, {"window_days": 10**7}),
        (ChurnCauseConfig, {"look_back": timedelta(days=10**6)}),
        (ChurnCauseConfig, {"look_back": timedelta(days=-1)}),
        (ChurnCauseConfig, {"ratios": {"context.staff_departure": float("inf")}}),
        (ChurnCauseConfig, {"ratios": {"context.staff_departure": 1e300}}),
        (ChurnCauseConfig, {"population_gap_days": float("inf")}),
        (ChurnRiskConfig, {"time_unit_days": 1e-200}),
        (ChurnRiskConfig, {"horizon": float("inf")}),
        (ChurnRiskConfig, {"horizon": 1e9}),
        (ChurnRiskConfig, {"penalizer": float("inf")}),
        (ChurnRiskConfig, {"population_gap_days": float("inf")}),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else next(iter(v)),
)
def test_config_values_outside_the_documented_range_are_refused(
    model: type[Any], params: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as info:
        model(**params)
    assert next(iter(params)) in str(info.value)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_bgnbd_at_extreme_time_scales_names_the_supported_range(scale: float) -> None:
    sim = simulate_bgnbd(
        {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5},
        np.full(500, 39.0),
        rng=np.random.default_rng(1),
    )
    with pytest.raises(DataError, match=r"^T: .*supported range \[1e-12, 1e\+12\]"):
        BetaGeoModel().fit(sim.frequency, sim.recency * scale, sim.T * scale)


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_gamma_gamma_at_extreme_money_scales_names_the_supported_range(scale: float) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(1, 6, size=500).astype(float)
    m = simulate_gamma_gamma({"p": 6.0, "q": 4.0, "gamma": 15.0}, x, rng=rng)
    with pytest.raises(DataError, match=r"^monetary_value: .*supported range"):
        GammaGammaModel().fit(x, m * scale)
