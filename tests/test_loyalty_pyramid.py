from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import custcare
from custcare import (
    BaseScorer,
    Customer,
    CustomerHistory,
    DataError,
    NotFittedError,
    Order,
    OrderLine,
    Pipeline,
    Reason,
    ScorerConfig,
    ScoreResult,
)
from custcare.batch import CustomerBatch, from_histories
from custcare.datasets import sample_shop
from custcare.errors import CustcareUsageError
from custcare.loyalty import PyramidResult, PyramidScorer
from custcare.scoring import Upstream
from custcare.testing import check_scorer

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
AS_OF = datetime(2026, 6, 30, tzinfo=UTC)
SHOP = sample_shop()


def _buyer(
    cid: str, quantity: int, price: str, cost: str | None, orders: int = 1
) -> CustomerHistory:
    return CustomerHistory(
        customer=Customer(id=cid, created_at=T0),
        orders=[
            Order(
                id=f"{cid}-o{k}",
                customer_id=cid,
                placed_at=T0 + timedelta(days=k),
                currency="CNY",
                status="completed",
                lines=[
                    OrderLine(
                        sku="SKU",
                        quantity=quantity,
                        unit_price=Decimal(price),
                        unit_cost=None if cost is None else Decimal(cost),
                    )
                ],
            )
            for k in range(orders)
        ],
    )


def _population(values: list[float]) -> CustomerBatch:
    """One customer per value, with one order whose margin is that value (cost known)."""
    n = len(values)
    v = np.asarray(values, dtype=np.float64)
    return CustomerBatch.from_arrays(
        customer_ids=[f"c{i:03d}" for i in range(n)],
        created_at=np.zeros(n),
        order_customer=np.arange(n),
        order_time=np.full(n, T0.timestamp()),
        order_total=np.maximum(v, 0) + 100.0,
        order_cost=100.0 - np.minimum(v, 0),
        currency="CNY",
    )


# --- the contract ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"revenue_weight": 0.5, "order_handling_cost": "5", "unit_handling_cost": "0.5"},
        {
            "cuts": (0.1, 0.3, 0.6),
            "levels": [{"code": c, "label_zh": c, "label_en": c} for c in "abcd"],
        },
    ],
    ids=["default", "weighted", "four_levels"],
)
def test_passes_the_kit(config: dict[str, Any]) -> None:
    check_scorer(PyramidScorer(**config))


def test_unfitted_raises_and_state_round_trips() -> None:
    with pytest.raises(NotFittedError):
        PyramidScorer().score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
    fitted = PyramidScorer().fit(SHOP.histories, as_of=SHOP.as_of)
    back = PyramidScorer.from_json(fitted.to_json())
    assert back.state == fitted.state
    assert custcare.get_scorer("loyalty.pyramid").traits.uses == ("churn.risk",)


# --- the brief's example: value is not spend alone -------------------------------------------


def test_brief_example_b_ranks_above_a_under_the_default_value() -> None:
    # A: 30 units of a 9.9-yuan free-shipping item (297 in all), cost ~8.5 each with the
    # free shipping; B: 2 units of a 99-yuan item (198 in all), cost ~45 each.
    a = _buyer("A", 30, "9.90", "8.50")
    b = _buyer("B", 2, "99.00", "45.00")
    pyramid = PyramidScorer(
        cuts=(0.5,),
        levels=[
            {"code": "key", "label_zh": "重点客户", "label_en": "Key customer"},
            {"code": "low", "label_zh": "低价值客户", "label_en": "Low-value customer"},
        ],
    ).fit([a, b], as_of=AS_OF)
    ra, rb = (pyramid.score(h, as_of=AS_OF) for h in (a, b))
    assert (ra.revenue, rb.revenue) == (Decimal("297.00"), Decimal("198.00"))  # A spent more
    assert (ra.value, rb.value) == pytest.approx((42.0, 108.0))  # ...but B brings more profit
    assert (rb.rank, rb.level_code) == (1, "key")
    assert (ra.rank, ra.level_code) == (2, "low")
    assert rb.share == pytest.approx(108 / 150)


def test_without_costs_price_point_needs_a_handling_cost() -> None:
    a = _buyer("A", 30, "9.90", None)
    b = _buyer("B", 2, "99.00", None)
    default = PyramidScorer().fit([a, b], as_of=AS_OF)
    # Honest limit: with no cost recorded, the assumed margin rate ranks by revenue.
    assert default.score(a, as_of=AS_OF).rank == 1
    assert "loyalty.pyramid.cost_assumed" in default.score(a, as_of=AS_OF).reason_codes
    handled = PyramidScorer(unit_handling_cost="2").fit([a, b], as_of=AS_OF)
    assert handled.score(b, as_of=AS_OF).rank == 1


# --- levels, ranks, shares ------------------------------------------------------------------


def test_default_cuts_are_top_20_next_30_rest() -> None:
    batch = _population([float(v) for v in range(10, 0, -1)])
    pyramid = PyramidScorer().fit(batch, as_of=AS_OF)
    s = pyramid.score_batch(batch, as_of=AS_OF)
    assert s["rank"].tolist() == list(range(1, 11))
    assert s["level"].tolist() == [1, 1, 2, 2, 2, 3, 3, 3, 3, 3]


def test_ties_share_a_rank_and_never_split_a_level() -> None:
    batch = _population([5.0, 5.0, 5.0, 1.0, 1.0])
    s = PyramidScorer().fit(batch, as_of=AS_OF).score_batch(batch, as_of=AS_OF)
    assert s["rank"].tolist() == [1, 1, 1, 4, 4]
    assert s["level"].tolist() == [1, 1, 1, 3, 3]


def test_single_customer_and_zero_values() -> None:
    batch = _population([0.0])
    s = PyramidScorer().fit(batch, as_of=AS_OF).score_batch(batch, as_of=AS_OF)
    assert (s["level"].tolist(), s["rank"].tolist(), s["share"].tolist()) == ([1], [1], [0.0])


def test_empty_population_cannot_be_fitted() -> None:
    with pytest.raises(DataError, match="empty population"):
        PyramidScorer().fit([], as_of=AS_OF)


def test_reasons_explain_level_and_value() -> None:
    pyramid = PyramidScorer().fit(SHOP.histories, as_of=SHOP.as_of)
    h = SHOP.histories[0]
    r = pyramid.score(h, as_of=SHOP.as_of)
    assert r.reason_codes[:2] == ("loyalty.pyramid.level", "loyalty.pyramid.value")
    assert f"rank {r.rank} of {len(SHOP.histories)}" in r.reasons[0].message
    assert 0 < len(r.reasons[0].evidence) <= 5
    assert r.population == len(SHOP.histories)
    empty = pyramid.score(CustomerHistory(customer=Customer(id="z", created_at=T0)), as_of=AS_OF)
    assert "loyalty.pyramid.no_purchases" in empty.reason_codes
    assert empty.level == 3


@given(
    st.lists(st.integers(-50_000, 500_000), min_size=1, max_size=60),
    st.sampled_from([(0.2, 0.5), (0.5,), (0.1, 0.3, 0.6)]),
)
def test_levels_cover_everyone_and_shares_sum_to_one(
    values: list[int], cuts: tuple[float, ...]
) -> None:
    batch = _population([v / 100 for v in values])
    labels = [
        {"code": f"l{i}", "label_zh": f"级{i}", "label_en": f"L{i}"} for i in range(len(cuts) + 1)
    ]
    pyramid = PyramidScorer(cuts=cuts, levels=labels).fit(batch, as_of=AS_OF)
    s = pyramid.score_batch(batch, as_of=AS_OF)
    level, rank, share, value = s["level"], s["rank"], s["share"], s["value"]
    assert set(level.tolist()) <= set(range(1, len(cuts) + 2))
    assert level.min() == 1  # the best customer is always in level 1
    if pyramid.state.total_value > 0:
        assert share.sum() == pytest.approx(1.0)
    # a higher value never has a worse rank or level
    order = np.argsort(-value, kind="stable")
    assert np.all(np.diff(rank[order]) >= 0) and np.all(np.diff(level[order]) >= 0)
    # each level holds at most its share of customers, ties aside
    n = len(values)
    top = int(np.ceil(cuts[0] * n - 1e-9))
    assert (rank <= top).sum() == (level == 1).sum()


# --- the future value term ------------------------------------------------------------------


class _RiskConfig(ScorerConfig):
    pass


class _RiskResult(ScoreResult):
    predicted_value: float


class _FakeChurnRisk(BaseScorer[_RiskConfig, _RiskResult]):
    name: ClassVar[str] = "churn.risk"
    description: ClassVar[str] = "Predicts 1,000 CNY of future value for C0003 only (a double)."
    config_model = _RiskConfig

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> _RiskResult:
        return _RiskResult(
            scorer=self.name,
            customer_id=history.customer_id,
            as_of=as_of,
            predicted_value=1000.0 if history.customer_id == "C0003" else 0.0,
            reasons=(Reason(code="test.fake", message="fake"),),
        )


def test_future_value_from_upstream_in_a_pipeline() -> None:
    histories = SHOP.histories[:10]
    pipeline = Pipeline([PyramidScorer(future_weight=0.5), _FakeChurnRisk()])
    assert pipeline.order == ("churn.risk", "loyalty.pyramid")
    pipeline.fit(histories, as_of=SHOP.as_of)  # fits the pyramid with churn.risk's values
    reports = pipeline.run(histories, as_of=SHOP.as_of)
    r = reports[2]["loyalty.pyramid"]
    assert isinstance(r, PyramidResult)
    assert r.future_value == 1000.0
    assert r.value == pytest.approx(r.current_value + 500.0)
    assert "loyalty.pyramid.future_value" in r.reason_codes
    plain = PyramidScorer(future_weight=0.5).fit(histories, as_of=SHOP.as_of)
    alone = plain.score(histories[2], as_of=SHOP.as_of)
    assert alone.future_value == 0.0
    assert alone.rank > r.rank


def test_future_value_offered_to_a_pyramid_fitted_without_one_is_left_out() -> None:
    histories = SHOP.histories[:10]
    pyramid = PyramidScorer(future_weight=0.5).fit(histories, as_of=SHOP.as_of)
    reports = Pipeline([pyramid, _FakeChurnRisk()]).run(histories, as_of=SHOP.as_of)
    r = reports[2]["loyalty.pyramid"]
    assert isinstance(r, PyramidResult)
    assert r.future_value == 0.0
    assert "loyalty.pyramid.future_ignored" in r.reason_codes
    assert r.rank == pyramid.score(histories[2], as_of=SHOP.as_of).rank


def test_future_value_arrays_for_fit_and_batch() -> None:
    batch = from_histories(SHOP.histories)
    future = np.zeros(batch.n_customers)
    future[-1] = 1e6
    pyramid = PyramidScorer().fit_values(batch, as_of=SHOP.as_of, future_value=future)
    s = pyramid.score_batch(batch, as_of=SHOP.as_of, future_value=future)
    assert s["rank"][-1] == 1 and s["future_value"][-1] == 1e6
    assert s["share"].sum() == pytest.approx(1.0)
    with pytest.raises(DataError, match="one per customer"):
        pyramid.score_batch(batch, as_of=SHOP.as_of, future_value=[1.0])


def test_bad_upstream_value_is_refused() -> None:
    class Bad(ScoreResult):
        predicted_value: str

    pyramid = PyramidScorer().fit(SHOP.histories, as_of=SHOP.as_of)
    bad = Bad(
        scorer="churn.risk", customer_id="C0001", as_of=AS_OF, reasons=(), predicted_value="x"
    )
    with pytest.raises(CustcareUsageError, match="predicted_value must be a number"):
        pyramid.score(SHOP.histories[0], as_of=SHOP.as_of, upstream={"churn.risk": bad})


# --- config validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "error_type"),
    [
        (
            {
                "cuts": (0.5, 0.2),
                "levels": [{"code": c, "label_zh": c, "label_en": c} for c in "abc"],
            },
            "cuts_not_increasing",
        ),
        ({"cuts": (0.0, 0.5)}, "cut_out_of_range"),
        ({"cuts": ()}, "no_cuts"),
        ({"cuts": (0.5,)}, "levels_do_not_match_cuts"),
        ({"margin_weight": 0, "revenue_weight": 0}, "value_undefined"),
        ({"unknown_cost_margin_rate": 1.5}, "less_than_equal"),
        ({"order_handling_cost": 5.5}, "money_from_float"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_config_is_rejected_naming_the_rule(config: dict[str, Any], error_type: str) -> None:
    with pytest.raises(ValidationError) as exc:
        PyramidScorer(**config)
    assert error_type in {e["type"] for e in exc.value.errors()}
