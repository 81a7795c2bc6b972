from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from pydantic import ValidationError

from custcare import (
    Complaint,
    Customer,
    CustomerHistory,
    DetailedRatings,
    Order,
    OrderLine,
    Review,
    ShopContext,
    get_scorer,
)
from custcare.batch import CustomerBatch, from_histories
from custcare.churn import (
    EVIDENCE_KINDS,
    ChurnCause,
    ChurnCauseResult,
    ChurnCauseScorer,
    ChurnRiskScorer,
    RiskBandScores,
    default_prior,
)
from custcare.datasets import sample_shop
from custcare.errors import CustcareUsageError
from custcare.loyalty import PyramidScorer, ThresholdTierScorer
from custcare.loyalty.threshold import TierScores
from custcare.models import (
    DiscountPeriod,
    MarketEvent,
    OutreachContact,
    ProductLaunch,
    StaffDeparture,
)
from custcare.scoring import BatchScores, Pipeline
from custcare.testing import check_scorer, strategies

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 1, 10, 10, tzinfo=SH)
AS_OF = datetime(2026, 1, 10, 10, tzinfo=SH)


def order(
    k: int,
    *,
    sku: str = "A",
    days: int | None = None,
    discount: str = "0",
    status: str = "completed",
    late: bool = False,
    category: str = "tea",
) -> Order:
    placed = T0 + timedelta(days=30 * k if days is None else days)
    return Order(
        id=f"o{k}",
        customer_id="u1",
        placed_at=placed,
        currency="CNY",
        status=status,
        lines=[OrderLine(sku=sku, quantity=1, unit_price=Decimal("50"), category=category)],
        discount=Decimal(discount),
        promised_delivery_at=placed + timedelta(days=2),
        delivered_at=placed + timedelta(days=6 if late else 1),
    )


def history(
    orders: tuple[Order, ...] = (),
    reviews: tuple[Review, ...] = (),
    complaints: tuple[Complaint, ...] = (),
    **customer: Any,
) -> CustomerHistory:
    return CustomerHistory(
        customer=Customer(id="u1", created_at=T0 - timedelta(days=10), **customer),
        orders=orders,
        reviews=reviews,
        complaints=complaints,
    )


def review(k: int, rating: int, text: str = "", **detailed: int) -> Review:
    return Review(
        id=f"r{k}",
        customer_id="u1",
        order_id=f"o{k}",
        rating=rating,
        text=text,
        posted_at=T0 + timedelta(days=30 * k + 3),
        detailed=DetailedRatings(**detailed) if detailed else None,
    )


def complaint(k: int, text: str = "", category: str | None = None, **kw: Any) -> Complaint:
    return Complaint(
        id=f"q{k}",
        customer_id="u1",
        order_id=f"o{k}",
        channel="chat",
        text=text,
        category=category,
        opened_at=T0 + timedelta(days=30 * k + 4),
        **kw,
    )


PLAIN_CASES: dict[str, tuple[CustomerHistory, ShopContext, dict[str, Any]]] = {
    "product_quality": (
        history(
            orders=(order(0), order(1, status="returned"), order(2, status="refunded")),
            reviews=(review(0, 1, "质量太差", description_match=1),),
            complaints=(
                complaint(
                    1,
                    "收到就是坏的",
                    "product_quality",
                    first_response_at=T0 + timedelta(days=34, hours=1),
                    resolved_at=T0 + timedelta(days=35),
                ),
            ),
        ),
        ShopContext(),
        {},
    ),
    "service_attitude": (
        history(
            orders=(order(0), order(1)),
            reviews=(review(0, 2, service_attitude=1), review(1, 1, service_attitude=1)),
            complaints=(complaint(1, "客服爱答不理", "staff_attitude"),),
        ),
        ShopContext(),
        {},
    ),
    "broken_promise": (
        history(
            orders=(order(0, late=True), order(1, late=True)),
            reviews=(review(0, 2, logistics=1),),
            complaints=(
                complaint(
                    1,
                    "说好两天到，结果一周",
                    "promise_not_kept",
                    first_response_at=T0 + timedelta(days=34, hours=1),
                    resolved_at=T0 + timedelta(days=35),
                ),
            ),
        ),
        ShopContext(),
        {},
    ),
    "price": (
        history(
            orders=(
                order(0, discount="10", sku="A"),
                order(1, discount="10", sku="B"),
                order(2, discount="5", sku="C"),
            ),
            complaints=(
                complaint(
                    2,
                    "太贵了，能不能给个最低价",
                    "overcharging",
                    first_response_at=T0 + timedelta(days=64, hours=1),
                    resolved_at=T0 + timedelta(days=65),
                ),
            ),
        ),
        ShopContext(),
        {},
    ),
    "competitor": (
        history(
            orders=(order(0, sku="A"), order(1, sku="B")),
            reviews=(review(1, 3, "别家更便宜，下次去别家买了"),),
        ),
        ShopContext(),
        {},
    ),
    "staff_departure": (
        history(orders=(order(0, sku="A"), order(1, sku="B")), assigned_agent_id="agent-lin"),
        ShopContext(
            staff_departures=(
                StaffDeparture(agent_id="agent-lin", left_at=T0 + timedelta(days=40)),
            )
        ),
        {},
    ),
    "stale_range": (
        history(orders=(order(0), order(1), order(2), order(3))),
        ShopContext(
            product_launches=(
                ProductLaunch(
                    sku="NEW", category="teaware", launched_at=AS_OF - timedelta(days=20)
                ),
            )
        ),
        {},
    ),
    "small_customer_neglect": (
        history(orders=(order(0, sku="A"), order(1, sku="B"))),
        ShopContext(
            has_outreach_log=True,
            outreach=(
                OutreachContact(customer_id="big1", at=AS_OF - timedelta(days=10), kind="gift"),
            ),
        ),
        {"loyalty.pyramid": type("Tier", (), {"customer_value": 0.0})()},
    ),
    "market_turbulence": (
        history(orders=(order(0, sku="A"), order(1, sku="B"))),
        ShopContext(
            market_events=(
                MarketEvent(
                    start=T0 + timedelta(days=35),
                    end=T0 + timedelta(days=120),
                    description="warehouse fire",
                ),
            )
        ),
        {},
    ),
    "natural": (
        history(orders=(order(0, sku="A"), order(1, sku="B")), tags=("moved",)),
        ShopContext(),
        {},
    ),
}


@pytest.mark.parametrize("cause", sorted(PLAIN_CASES))
def test_plain_cause_comes_first(cause: str) -> None:
    h, ctx, upstream = PLAIN_CASES[cause]
    r = ChurnCauseScorer(context=ctx).score(h, as_of=AS_OF, upstream=upstream)
    assert r.top_cause.value == cause, (r.causes, r.reason_codes)
    assert r.reasons[0].code == "churn_cause.top"
    assert r.remedy.zh and r.remedy.en
    assert not r.low_confidence, r.confidence


def test_every_cause_except_unknown_has_a_plain_case() -> None:
    assert set(PLAIN_CASES) == {c.value for c in ChurnCause} - {"unknown"}


def test_no_evidence_returns_the_prior_with_low_confidence() -> None:
    h = history(orders=(order(0, sku="A"),))
    r = ChurnCauseScorer().score(h, as_of=AS_OF)
    assert r.causes == pytest.approx(default_prior())
    assert r.low_confidence
    assert r.confidence == 0.0
    assert r.reasons[0].code == "churn_cause.no_evidence"


def test_evidence_cites_records() -> None:
    h, ctx, up = PLAIN_CASES["product_quality"]
    r = ChurnCauseScorer(context=ctx).score(h, as_of=AS_OF, upstream=up)
    assert {"o1", "o2", "r0", "q1"} <= r.evidence


def test_risk_band_from_upstream_or_gap() -> None:
    h = history(orders=(order(0), order(1)))
    r = ChurnCauseScorer().score(h, as_of=AS_OF)
    assert (r.risk_band, r.risk_method) == ("lapsed", "gap")
    up = {"churn.risk": type("R", (), {"band": "cooling", "method": "bgnbd"})()}
    r2 = ChurnCauseScorer().score(h, as_of=AS_OF, upstream=up)
    assert (r2.risk_band, r2.risk_method) == ("cooling", "bgnbd")


def test_registered_with_context_and_passes_the_kit() -> None:
    ctx = PLAIN_CASES["staff_departure"][1]
    scorer = get_scorer("churn.cause", context=ctx)
    assert isinstance(scorer, ChurnCauseScorer)
    assert scorer.context == ctx
    check_scorer(scorer)


def test_config_is_validated() -> None:
    with pytest.raises(ValidationError, match="sum to 1"):
        ChurnCauseScorer(prior={**default_prior(), "price": 0.5})
    with pytest.raises(ValidationError, match="unknown evidence"):
        ChurnCauseScorer(ratios={"nope": 2.0})
    with pytest.raises(ValidationError):
        ChurnCauseScorer(ratios={"text.price": 0.5})


def test_taxonomy_codes_and_labels() -> None:
    assert [c.value for c in ChurnCause] == [
        "product_quality",
        "service_attitude",
        "broken_promise",
        "price",
        "competitor",
        "staff_departure",
        "stale_range",
        "small_customer_neglect",
        "market_turbulence",
        "natural",
        "unknown",
    ]
    assert all(c.label_zh and c.label_en for c in ChurnCause)
    assert {k.cause for k in EVIDENCE_KINDS} == set(ChurnCause) - {ChurnCause.UNKNOWN}


# --- properties --------------------------------------------------------------------------

EVIDENCE_ADDERS = {
    "product_quality": lambda h: h.model_copy(
        update={"orders": (*h.orders, order(9, status="returned", days=200))}
    ),
    "service_attitude": lambda h: h.model_copy(
        update={
            "reviews": (
                *h.reviews,
                Review(
                    id="rx",
                    customer_id="u1",
                    rating=2,
                    posted_at=T0 + timedelta(days=210),
                    detailed=DetailedRatings(service_attitude=1),
                ),
            )
        }
    ),
    "broken_promise": lambda h: h.model_copy(
        update={"orders": (*h.orders, order(9, late=True, days=200, sku="NEW9"))}
    ),
    "natural": lambda h: h.model_copy(
        update={"customer": h.customer.model_copy(update={"tags": ("moved",)})}
    ),
}


@given(st.sampled_from(sorted(PLAIN_CASES)), st.sampled_from(sorted(EVIDENCE_ADDERS)))
def test_adding_evidence_never_lowers_that_cause(case: str, cause: str) -> None:
    h, ctx, up = PLAIN_CASES[case]
    scorer = ChurnCauseScorer(context=ctx)
    before = scorer.score(h, as_of=AS_OF, upstream=up)
    more = CustomerHistory.model_validate(EVIDENCE_ADDERS[cause](h).model_dump())
    after = scorer.score(more, as_of=AS_OF, upstream=up)
    assert after.causes[cause] >= before.causes[cause] - 1e-12


@given(st.sampled_from(sorted(PLAIN_CASES)))
def test_distribution_sums_to_one(case: str) -> None:
    h, ctx, up = PLAIN_CASES[case]
    r = ChurnCauseScorer(context=ctx).score(h, as_of=AS_OF, upstream=up)
    assert sum(r.causes.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(0.0 <= p <= 1.0 for p in r.causes.values())
    assert 0.0 <= r.confidence <= 1.0


@given(strategies.histories())
def test_any_history_gives_a_valid_distribution(h: CustomerHistory) -> None:
    r = ChurnCauseScorer().score(h, as_of=AS_OF)
    assert sum(r.causes.values()) == pytest.approx(1.0, abs=1e-9)
    assert r.top_cause.value == max(r.causes, key=lambda c: r.causes[c]) or r.causes[
        r.top_cause.value
    ] == max(r.causes.values())


# --- the columnar path ---------------------------------------------------------------------

SHOP = sample_shop()
_T = SHOP.as_of
SHOP_CONTEXT = ShopContext(
    staff_departures=(
        StaffDeparture(agent_id="agent-lin", left_at=_T - timedelta(days=100)),
        StaffDeparture(agent_id="agent-xu", left_at=_T - timedelta(days=300)),
    ),
    product_launches=(
        ProductLaunch(sku="N1", category="tea", launched_at=_T - timedelta(days=30)),
        ProductLaunch(sku="N2", category="gift", launched_at=_T - timedelta(days=400)),
    ),
    outreach=(OutreachContact(customer_id="C0002", at=_T - timedelta(days=5)),),
    has_outreach_log=True,
    market_events=(
        MarketEvent(start=_T - timedelta(days=500), end=_T - timedelta(days=200), description="a"),
        MarketEvent(start=_T - timedelta(days=90), end=_T, description="b", id="ev-b"),
    ),
    # A discount calendar: ten days of promotions a month, some with ids.
    discount_periods=tuple(
        DiscountPeriod(
            start=_T - timedelta(days=30 * k + 10),
            end=_T - timedelta(days=30 * k),
            id=None if k % 2 else f"promo-{k}",
        )
        for k in range(1, 30)
    ),
)


def _existing(histories: Iterable[CustomerHistory], as_of: datetime) -> list[CustomerHistory]:
    """The customers that exist at ``as_of`` (scoring refuses the others)."""
    return [h for h in histories if h.customer.created_at <= as_of]


def _tiers(
    histories: list[CustomerHistory], as_of: datetime
) -> tuple[TierScores, list[dict[str, Any]]]:
    """Loyalty tiers as batch scores and as per-customer upstream results."""
    tiers = ThresholdTierScorer()
    scores = tiers.score_batch(from_histories(histories), as_of=as_of)
    return scores, [{"loyalty.threshold": tiers.score(h, as_of=as_of)} for h in histories]


@pytest.mark.parametrize("days_before", [0, 200])
def test_batch_rows_equal_the_per_customer_results_on_the_sample_shop(days_before: int) -> None:
    as_of = _T - timedelta(days=days_before)
    histories = _existing(SHOP.histories, as_of)
    scorer = ChurnCauseScorer(context=SHOP_CONTEXT)
    tiers, per_row = _tiers(histories, as_of)
    scores = scorer.score_batch(
        from_histories(histories), as_of=as_of, upstream={"loyalty.threshold": tiers}
    )
    assert scores.reasons is not None
    kinds: set[str] = set()
    for i, h in enumerate(histories):
        direct = scorer.score(h, as_of=as_of, upstream=per_row[i])
        assert scores.reasons.codes_of(i) == direct.reason_codes
        for j, reason in enumerate(direct.reasons):
            assert scores.reasons.evidence_of(i, j) == reason.evidence
        assert scores.result(i) == direct
        row = scores.row(h.customer.id)
        assert row["top_cause"] == direct.top_cause.value
        assert row["label_zh"] == direct.top_cause.label_zh
        assert row["risk_band"] == direct.risk_band
        assert row["confidence"] == pytest.approx(direct.confidence, abs=1e-12)
        assert all(row[f"p_{c}"] == pytest.approx(p, abs=1e-12) for c, p in direct.causes.items())
        kinds |= set(direct.evidence_counts)
    if days_before == 0:  # the sample shop and its context exercise every rule family
        assert {
            "context.staff_departure",
            "context.no_new_products",
            "context.no_outreach",
            "context.market_event",
            "customer.moved_or_deceased",
            "order.late_delivery",
            "complaint.slow_response",
            "context.discounts_ended",
            "order.same_items",
        } <= kinds


GENERATED_CONTEXT = ShopContext(
    staff_departures=(
        StaffDeparture(agent_id="agent-a", left_at=datetime(2024, 6, 1, tzinfo=ZoneInfo("UTC"))),
    ),
    product_launches=(
        ProductLaunch(sku="N", category="tea", launched_at=datetime(2024, 12, 1, tzinfo=SH)),
    ),
    outreach=(OutreachContact(customer_id="c000", at=datetime(2025, 3, 1, tzinfo=SH)),),
    has_outreach_log=True,
    market_events=(
        MarketEvent(
            start=datetime(2024, 1, 1, tzinfo=SH),
            end=datetime(2024, 3, 1, tzinfo=SH),
            description="x",
            id="ev-x",
        ),
    ),
    discount_periods=tuple(
        DiscountPeriod(
            start=datetime(2022, 6, 1, tzinfo=SH) + timedelta(days=60 * k),
            end=datetime(2022, 6, 13, tzinfo=SH) + timedelta(days=60 * k),
            id=f"promo-{k}" if k % 3 else None,
        )
        for k in range(30)
    ),
)


@settings(max_examples=40, deadline=None)
@given(
    population=strategies.shops(min_customers=1, max_customers=6),
    days=st.integers(0, 1500),
    with_context=st.booleans(),
)
def test_batch_result_equals_score_on_generated_shops(
    population: list[CustomerHistory], days: int, with_context: bool
) -> None:
    as_of = datetime(2023, 1, 1, tzinfo=SH) + timedelta(days=days)
    population = _existing(population, as_of)
    scorer = ChurnCauseScorer(context=GENERATED_CONTEXT if with_context else ShopContext())
    tiers, per_row = _tiers(population, as_of)
    scores = scorer.score_batch(
        from_histories(population), as_of=as_of, upstream={"loyalty.threshold": tiers}
    )
    for i, h in enumerate(population):
        assert scores.result(i) == scorer.score(h, as_of=as_of, upstream=per_row[i])


def test_every_plain_case_in_one_batch_gives_its_own_result() -> None:
    """All worked examples as customers of one shop: rows do not leak into each other."""
    histories = [  # customer and record ids made unique across the shop
        CustomerHistory.model_validate_json(
            re.sub(r'"([uorq]\d+|rx)"', rf'"c{k}-\1"', h.model_dump_json())
        )
        for k, (h, _, _) in enumerate(PLAIN_CASES.values())
    ]
    ctx = ShopContext(
        staff_departures=tuple(d for _, c, _ in PLAIN_CASES.values() for d in c.staff_departures),
        product_launches=tuple(p for _, c, _ in PLAIN_CASES.values() for p in c.product_launches),
        outreach=tuple(o for _, c, _ in PLAIN_CASES.values() for o in c.outreach),
        has_outreach_log=True,
        market_events=tuple(e for _, c, _ in PLAIN_CASES.values() for e in c.market_events),
    )
    scorer = ChurnCauseScorer(context=ctx)
    scores = scorer.score_batch(from_histories(histories), as_of=AS_OF)
    tops = set()
    for i, h in enumerate(histories):
        direct = scorer.score(h, as_of=AS_OF)
        assert scores.result(i) == direct
        tops.add(direct.top_cause.value)
    assert len(tops) >= 8  # the causes stay apart


class _Bands(BatchScores):
    """Risk scores offering band columns (the `RiskBandScores` protocol)."""

    @property
    def band(self) -> NDArray[np.str_]:
        return self.columns["band"]

    @property
    def method(self) -> NDArray[np.str_]:
        return self.columns["method"]


def test_risk_band_read_through_the_batch_protocol() -> None:
    histories = SHOP.histories[:3]
    ids = np.array([h.customer.id for h in histories])
    bands = _Bands.build(
        "churn.risk",
        ids,
        {"band": np.array(["active", "at_risk", ""]), "method": np.array(["bgnbd"] * 3)},
    )
    assert isinstance(bands, RiskBandScores)
    scores = ChurnCauseScorer().score_batch(
        from_histories(histories), as_of=_T, upstream={"churn.risk": bands}
    )
    assert scores["risk_band"][:2].tolist() == ["active", "at_risk"]
    assert scores["risk_method"].tolist() == ["bgnbd", "bgnbd", "gap"]  # no band: the gap rule
    assert scores.result(1).reasons[-1].message == (
        "Conditioned on churn risk band 'at_risk' (method bgnbd)."
    )


def test_risk_band_read_row_by_row_from_scores_without_band_columns() -> None:
    """Scores that only build per-row results are read through `RiskBandResult`."""
    risk = ChurnRiskScorer(method="gap", population_gap_days=30.0)
    results = [risk.score(h, as_of=_T) for h in SHOP.histories]
    scores = BatchScores.from_results("churn.risk", results, as_of=_T)
    assert not isinstance(scores, RiskBandScores)
    cause = ChurnCauseScorer()
    batch = cause.score_batch(
        from_histories(SHOP.histories), as_of=_T, upstream={"churn.risk": scores}
    )
    assert batch["risk_band"].tolist() == [r.band.value for r in results]
    own = cause.score_batch(from_histories(SHOP.histories), as_of=_T)
    assert batch["risk_band"].tolist() != own["risk_band"].tolist()  # 30 days, not 90
    for i, h in enumerate(SHOP.histories):
        direct = cause.score(h, as_of=_T, upstream={"churn.risk": results[i]})
        assert batch.result(i) == direct


def test_pipeline_hands_loyalty_value_to_the_batch_path() -> None:
    scorers: list[Any] = [PyramidScorer(), ChurnCauseScorer(context=SHOP_CONTEXT)]
    pipeline = Pipeline(scorers).fit(SHOP.histories, as_of=_T)
    table = pipeline.run(SHOP.histories, as_of=_T)
    pyramid, cause = pipeline._order
    neglected = 0
    for h in SHOP.histories:
        level = pyramid.score(h, as_of=_T)
        direct = cause.score(h, as_of=_T, upstream={"loyalty.pyramid": level})
        assert table.explain(h.customer.id)["churn.cause"] == direct
        for reason in direct.reasons:
            if reason.code == "churn_cause.context.no_outreach":
                assert "from loyalty.pyramid" in reason.message  # the source is named
                neglected += 1
    assert neglected > 0  # the small-customer rule read the loyalty value
    assert "churn.cause.p_price" in table.to_dict()


def test_member_levels_are_not_read_for_customer_size() -> None:
    """Member levels promote on order count, so they do not tell small from big."""
    scorers: list[Any] = [ThresholdTierScorer(), ChurnCauseScorer(context=SHOP_CONTEXT)]
    table = Pipeline(scorers).run(SHOP.histories, as_of=_T)
    for h in SHOP.histories:
        tier = scorers[0].score(h, as_of=_T)
        direct = scorers[1].score(h, as_of=_T, upstream={"loyalty.threshold": tier})
        assert direct == scorers[1].score(h, as_of=_T)
        assert table.explain(h.customer.id)["churn.cause"] == direct


def test_pipeline_hands_churn_risk_and_loyalty_to_the_batch_path() -> None:
    scorers: list[Any] = [ChurnRiskScorer(), ThresholdTierScorer(), ChurnCauseScorer()]
    pipeline = Pipeline(scorers).fit(SHOP.histories, as_of=_T)
    table = pipeline.run(SHOP.histories, as_of=_T)
    methods = set(table["churn.cause"]["risk_method"].tolist())
    assert methods == {"bgnbd"}  # the band comes from churn.risk, not the gap rule
    for h in SHOP.histories:
        report = table.explain(h.customer.id)
        upstream: dict[str, Any] = {}
        for scorer in pipeline._order:
            direct = scorer.score(h, as_of=_T, upstream=upstream)
            assert report[scorer.name] == direct, (scorer.name, h.customer.id)
            upstream[scorer.name] = direct


def test_upstream_for_other_customers_is_refused() -> None:
    tiers, _ = _tiers(SHOP.histories[:3], _T)
    with pytest.raises(CustcareUsageError, match="not for the batch's customers"):
        ChurnCauseScorer().score_batch(
            from_histories(SHOP.histories[1:4]), as_of=_T, upstream={"loyalty.threshold": tiers}
        )


def test_a_batch_without_records_says_so() -> None:
    batch = CustomerBatch.from_arrays(
        customer_ids=["a", "b"],
        created_at=[0.0, 0.0],
        order_customer=[0, 0, 1],
        order_time=[1.7e9, 1.71e9, 1.7e9],
        order_total=[5.0, 6.0, 7.0],
        currency="CNY",
        order_ids=["o1", "o2", "o3"],
        uncounted_customer=[1],
        uncounted_time=[1.705e9],
        uncounted_status=["returned"],
        uncounted_ids=["o4"],
    )
    scores = ChurnCauseScorer().score_batch(batch, as_of=AS_OF)
    assert scores.reasons is not None
    assert scores.reasons.codes_of(0) == (
        "churn_cause.no_evidence",
        "churn_cause.no_records",
        "churn_cause.risk",
    )
    # what the batch itself knows still counts: the returned order
    assert scores.reasons.codes_of(1)[:2] == (
        "churn_cause.top",
        "churn_cause.order.returned_or_refunded",
    )
    assert "churn_cause.no_records" in scores.result(1).reason_codes
    assert scores.result(1).evidence == {"o4"}
    # a batch built from histories always has records
    full = ChurnCauseScorer().score_batch(from_histories(SHOP.histories), as_of=_T)
    assert full.reasons is not None
    assert not any("churn_cause.no_records" in full.reasons.codes_of(i) for i in range(len(full)))


def test_columns_and_labels() -> None:
    scores = ChurnCauseScorer().score_batch(from_histories(SHOP.histories), as_of=_T)
    total = sum(scores[f"p_{c.value}"] for c in ChurnCause)
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
    assert set(scores.columns) == set(ChurnCauseResult.batch_columns)
    r = scores.result(0)
    assert (scores["label_en"][0], scores["label_zh"][0]) == (r.label_en, r.label_zh)


def test_find_evidence_lists_codes_in_the_order_found() -> None:
    h, ctx, up = PLAIN_CASES["product_quality"]
    found = ChurnCauseScorer(context=ctx).find_evidence(h.until(AS_OF), as_of=AS_OF, upstream=up)
    assert list(found)[:3] == [
        "review.low_description",
        "order.returned_or_refunded",
        "complaint.product_quality",
    ]
    assert found["order.returned_or_refunded"] == ("o1", "o2")


def test_score_many_equals_score_one_by_one() -> None:
    scorer = ChurnCauseScorer(context=SHOP_CONTEXT)
    _, per_row = _tiers(SHOP.histories, _T)
    many = scorer.score_many(SHOP.histories, as_of=_T, upstream=per_row)
    assert many == [
        scorer.score(h, as_of=_T, upstream=u) for h, u in zip(SHOP.histories, per_row, strict=True)
    ]
    # histories that cannot share a batch (two currencies) are scored one by one
    usd = CustomerHistory.model_validate_json(
        re.sub(r'"([uorq]\d+)"', r'"x-\1"', history(orders=(order(0),)).model_dump_json()).replace(
            '"CNY"', '"USD"'
        )
    )
    mixed = [SHOP.histories[0], usd]
    assert scorer.score_many(mixed, as_of=_T) == [scorer.score(h, as_of=_T) for h in mixed]
    with pytest.raises(CustcareUsageError, match="upstream has 1 entries for 2"):
        scorer.score_many(mixed, as_of=_T, upstream=[{}])
