from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
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
from custcare.churn import EVIDENCE_KINDS, ChurnCause, ChurnCauseScorer, default_prior
from custcare.models import MarketEvent, OutreachContact, ProductLaunch, StaffDeparture
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
