from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from custcare import (
    Complaint,
    Customer,
    CustomerHistory,
    Order,
    OrderLine,
    Review,
    get_scorer,
)
from custcare.batch import from_histories
from custcare.care import SatisfactionConfig, SatisfactionLevel, SatisfactionScorer
from custcare.datasets import sample_shop
from custcare.models import DetailedRatings
from custcare.testing import check_scorer, strategies

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def _customer(cid: str = "u1") -> Customer:
    return Customer(id=cid, created_at=AS_OF - 400 * DAY)


def _order(oid: str, placed: datetime, status: str = "completed", **kw: object) -> Order:
    return Order(
        id=oid,
        customer_id="u1",
        placed_at=placed,
        currency="CNY",
        status=status,
        lines=(OrderLine(sku="TEA1", quantity=1, unit_price=Decimal("99")),),
        **kw,
    )


def _review(rid: str, rating: int, days_ago: float, **kw: object) -> Review:
    return Review(id=rid, customer_id="u1", rating=rating, posted_at=AS_OF - days_ago * DAY, **kw)


def _complaint(qid: str, days_ago: float, **kw: object) -> Complaint:
    kw.setdefault("channel", "chat")
    return Complaint(id=qid, customer_id="u1", opened_at=AS_OF - days_ago * DAY, **kw)


def _history(**records: object) -> CustomerHistory:
    return CustomerHistory(customer=_customer(), **records)


# --- care.satisfaction ---------------------------------------------------------------------


def test_satisfaction_passes_the_conformance_kit() -> None:
    check_scorer(SatisfactionScorer(), generated_examples=10)


def test_satisfaction_is_registered_and_config_round_trips_json() -> None:
    scorer = get_scorer("care.satisfaction", look_back="P90D")
    assert isinstance(scorer, SatisfactionScorer)
    config = scorer.config
    assert SatisfactionConfig.model_validate_json(config.model_dump_json()) == config
    assert config.look_back == timedelta(days=90)


def test_silence_is_unknown_never_60() -> None:
    # Orders but no review or complaint: the customer said nothing.
    h = _history(orders=(_order("o1", AS_OF - 30 * DAY),))
    r = SatisfactionScorer().score(h, as_of=AS_OF)
    assert r.satisfaction is None and r.level is SatisfactionLevel.UNKNOWN
    assert r.reason_codes == ("satisfaction.unknown",)
    assert r.level_zh.startswith("未知")


@pytest.mark.parametrize(
    ("stars", "points", "level"),
    [
        (3, 40.0, "ok"),
        (4, 60.0, "satisfied"),
        (5, 100.0, "very_satisfied"),
        (1, 0.0, "dissatisfied"),
    ],
)
def test_stars_map_to_the_seeds_scale(stars: int, points: float, level: str) -> None:
    h = _history(reviews=(_review("r1", stars, 3),))
    r = SatisfactionScorer().score(h, as_of=AS_OF)
    assert r.satisfaction == points and r.level.value == level
    assert r.reasons[-1].code == "satisfaction.feedback"
    assert r.reasons[-1].evidence == ("r1",)


def test_feedback_older_than_the_look_back_is_not_read() -> None:
    h = _history(reviews=(_review("r1", 1, 400),))
    assert SatisfactionScorer().score(h, as_of=AS_OF).level is SatisfactionLevel.UNKNOWN
    assert SatisfactionScorer(look_back="P500D").score(h, as_of=AS_OF).satisfaction == 0.0


def test_the_weak_part_is_named_with_the_records_behind_it() -> None:
    # Five stars overall, but the goods did not match their description (quality 1/5),
    # and service and logistics were fine.
    detailed = DetailedRatings(description_match=1, service_attitude=5, logistics=4)
    h = _history(
        reviews=(_review("r1", 5, 3, detailed=detailed), _review("r2", 5, 10)),
    )
    r = SatisfactionScorer().score(h, as_of=AS_OF)
    assert r.quality == 0.0 and r.process == 80.0 and r.price is None
    assert r.weak_part == "quality" and r.weak_part_zh == "商品质量"
    assert r.reasons[0].code == "satisfaction.weak_quality"
    assert r.reasons[0].evidence == ("r1",)
    # 100, 100 (weight 1 each) and 0, 100, 60 (weight 0.5 each): 280 / 3.5
    assert r.satisfaction == pytest.approx(80.0)


def test_price_part_comes_from_overcharging_complaints() -> None:
    h = _history(
        complaints=(_complaint("q1", 20, category="overcharging", resolved_at=AS_OF - 19.5 * DAY),),
    )
    r = SatisfactionScorer().score(h, as_of=AS_OF)
    assert r.price == 40.0 and r.weak_part == "price"
    assert r.reasons[0].evidence == ("q1",)


def test_effort_counts_repeat_contacts_for_one_problem() -> None:
    # Two complaints about one order, the second reopened once, resolved after 5 days.
    o = _order("o1", AS_OF - 40 * DAY)
    q1 = _complaint(
        "q1", 30, order_id="o1", category="product_quality", resolved_at=AS_OF - 29 * DAY
    )
    q2 = _complaint(
        "q2",
        20,
        order_id="o1",
        category="not_fixed_first_time",
        reopened_at=(AS_OF - 18 * DAY,),
        resolved_at=AS_OF - 15 * DAY,
    )
    r = SatisfactionScorer().score(_history(orders=(o,), complaints=(q1, q2)), as_of=AS_OF)
    assert (r.problems, r.contacts, r.repeat_contacts, r.open_problems) == (1, 3, 2, 0)
    assert r.first_contact_resolution == 0.0
    assert r.days_to_resolve == pytest.approx(3.0)
    assert r.contacts_per_problem == 3.0
    codes = r.reason_codes
    assert "satisfaction.repeat_contacts" in codes and "satisfaction.slow_resolution" in codes
    rep = r.reasons[codes.index("satisfaction.repeat_contacts")]
    assert rep.evidence == ("q1", "q2")


def test_first_contact_resolution_is_counted_and_rewarded() -> None:
    q = _complaint("q1", 10, category="long_wait", resolved_at=AS_OF - 9.5 * DAY)
    r = SatisfactionScorer().score(_history(complaints=(q,)), as_of=AS_OF)
    assert r.first_contact_resolution == 1.0 and r.repeat_contacts == 0
    assert r.satisfaction == 40.0 and r.process == 40.0
    assert "satisfaction.resolved_first_time" in r.reason_codes


def test_open_complaint_is_the_lowest_feedback() -> None:
    q = _complaint("q1", 2, category="staff_attitude")
    h = _history(reviews=(_review("r1", 5, 30),), complaints=(q,))
    r = SatisfactionScorer().score(h, as_of=AS_OF)
    assert r.satisfaction == 50.0 and r.open_problems == 1
    assert r.process == 0.0 and r.weak_part == "process"
    assert r.reasons[r.reason_codes.index("satisfaction.open_complaints")].evidence == ("q1",)


def test_satisfaction_config_refuses_an_open_complaint_worth_more_than_others() -> None:
    with pytest.raises(ValidationError, match="never raises"):
        SatisfactionConfig(open_complaint_points=50.0)
    with pytest.raises(ValidationError, match="levels must increase"):
        SatisfactionConfig(ok_from=70.0)


def test_satisfaction_batch_equals_per_customer_on_the_sample_shop() -> None:
    shop = sample_shop()
    scorer = SatisfactionScorer()
    scores = scorer.score_batch(from_histories(shop.histories), as_of=shop.as_of)
    for i, h in enumerate(shop.histories):
        assert scores.result(i) == scorer.score(h, as_of=shop.as_of)
    levels = set(scores["level"].tolist())
    assert {"unknown", "very_satisfied", "dissatisfied"} <= levels


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=strategies.histories(customer_id="u1"), days_ago=st.floats(0.0, 300.0))
def test_more_unresolved_problems_never_raise_satisfaction(
    history: CustomerHistory, days_ago: float
) -> None:
    as_of = (
        max(
            [
                history.customer.created_at,
                *(o.placed_at for o in history.orders),
                *(r.posted_at for r in history.reviews),
                *(c.opened_at for c in history.complaints),
            ],
            default=history.customer.created_at,
        )
        + DAY
    )
    extra = Complaint(
        id="u1-extra",
        customer_id="u1",
        opened_at=max(as_of - days_ago * DAY, history.customer.created_at),
        channel="phone",
    )
    more = history.model_copy(update={"complaints": (*history.complaints, extra)})
    scorer = SatisfactionScorer()
    before = scorer.score(history, as_of=as_of)
    after = scorer.score(more, as_of=as_of)
    assert after.open_problems == before.open_problems + 1
    if before.satisfaction is not None:
        assert after.satisfaction is not None
        assert after.satisfaction <= before.satisfaction + 1e-9
