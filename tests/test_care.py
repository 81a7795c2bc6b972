from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
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
from custcare.care import (
    ACTION_PRIORITY,
    COMPLAINT_REACH,
    REFERRALS_PER_SATISFIED,
    ActionKind,
    CareAction,
    CareCalendar,
    CareCalendarTable,
    CarePlanScorer,
    Channel,
    Discount,
    Holiday,
    Launch,
    PlanActions,
    PlanConfig,
    PlanResult,
    PlanScores,
    SatisfactionConfig,
    SatisfactionLevel,
    SatisfactionScorer,
    care_calendar,
    discount_warnings,
    value_at_stake,
)
from custcare.churn import ChurnCauseScorer
from custcare.datasets import sample_shop
from custcare.errors import CustcareUsageError, NaiveDatetimeError
from custcare.loyalty import ThresholdTierScorer
from custcare.models import DetailedRatings
from custcare.scoring import ScoreResult
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


# --- care.plan -----------------------------------------------------------------------------


class _Cause(ScoreResult):
    """A stand-in churn-cause result: read through ChurnCauseView, not by name."""

    top_cause: str
    risk_band: str
    low_confidence: bool = False


class _Value(ScoreResult):
    """A stand-in loyalty result: read through HasCustomerValue."""

    customer_value: float


def _cause(cause: str, band: str = "at_risk", low: bool = False) -> dict[str, ScoreResult]:
    return {
        "churn.cause": _Cause(
            scorer="churn.cause",
            customer_id="u1",
            as_of=AS_OF,
            reasons=(),
            top_cause=cause,
            risk_band=band,
            low_confidence=low,
        )
    }


def _value(v: float) -> dict[str, ScoreResult]:
    return {
        "loyalty.pyramid": _Value(
            scorer="loyalty.pyramid", customer_id="u1", as_of=AS_OF, reasons=(), customer_value=v
        )
    }


def _plan(
    h: CustomerHistory, upstream: dict[str, ScoreResult] | None = None, **config: object
) -> PlanResult:
    result = CarePlanScorer(**config).score(h, as_of=AS_OF, upstream=upstream)
    for a in result.actions:
        assert a.due >= a.event_at and a.due >= AS_OF
    return result


def _codes(result: PlanResult) -> list[str]:
    return [a.code.value for a in result.actions]


def test_plan_passes_the_conformance_kit() -> None:
    check_scorer(CarePlanScorer(), generated_examples=10)


def test_plan_is_registered_and_config_round_trips_json() -> None:
    calendar = CareCalendar(
        timezone="Asia/Shanghai",
        holidays=(Holiday(day=date(2026, 6, 19), name_zh="端午节", name_en="Dragon Boat"),),
        launches=(Launch(id="new-oolong", starts=date(2026, 6, 5)),),
    )
    scorer = get_scorer("care.plan", weekly_budget=2, calendar=calendar)
    assert isinstance(scorer, CarePlanScorer)
    config = scorer.config
    assert PlanConfig.model_validate_json(config.model_dump_json()) == config
    with pytest.raises(ValidationError, match="time zone"):
        CareCalendar(timezone="Mars/Olympus")


def test_payment_reminder_for_a_recent_unpaid_order() -> None:
    o = _order("o1", AS_OF - timedelta(hours=1), status="pending_payment")
    r = _plan(_history(orders=(o,)))
    assert _codes(r) == ["payment_reminder"]
    a = r.actions[0]
    assert a.due == AS_OF + timedelta(hours=1) and a.record_id == "o1"
    assert a.channel.value == "chat" and "付款" in a.script_zh
    assert r.reasons[0].code == "plan.payment_reminder" and r.reasons[0].evidence == ("o1",)


def test_no_payment_reminder_for_an_old_unpaid_or_a_paid_order() -> None:
    old = _order("o1", AS_OF - 5 * DAY, status="pending_payment")
    done = _order("o2", AS_OF - timedelta(hours=1), status="completed")
    r = _plan(_history(orders=(old, done)))
    assert "payment_reminder" not in _codes(r)
    assert r.reason_codes == ("plan.nothing_due",)


def test_shipping_notice_for_a_shipped_order_not_yet_delivered() -> None:
    o = _order("o1", AS_OF - 2 * DAY, status="shipped")
    assert _codes(_plan(_history(orders=(o,)))) == ["shipping_notice"]


def test_delivered_order_gets_a_receipt_notice_not_a_shipping_notice() -> None:
    o = _order("o1", AS_OF - 3 * DAY, status="shipped", delivered_at=AS_OF - DAY)
    r = _plan(_history(orders=(o,)))
    assert _codes(r) == ["receipt_notice"]
    assert r.actions[0].event_at == AS_OF - DAY
    old = _order("o2", AS_OF - 20 * DAY, delivered_at=AS_OF - 10 * DAY)
    assert _codes(_plan(_history(orders=(old,)))) == []


def test_open_complaint_is_followed_up_several_times() -> None:
    q = _complaint("q1", 1, category="long_wait")
    r = _plan(_history(complaints=(q,)))
    assert _codes(r) == ["complaint_follow_up"] * 3
    assert [a.due for a in r.actions] == [AS_OF, AS_OF + 2 * DAY, AS_OF + 4 * DAY]
    assert all(a.record_id == "q1" and a.event_at == AS_OF - DAY for a in r.actions)
    assert r.reasons[0].evidence == ("q1",)


def test_negative_review_is_followed_up_and_a_positive_one_is_not() -> None:
    bad = _plan(_history(reviews=(_review("r1", 2, 1),)))
    assert _codes(bad) == ["complaint_follow_up"] * 3
    assert bad.actions[0].record_id == "r1"
    good = _plan(_history(reviews=(_review("r1", 5, 1),)))
    assert _codes(good) == []


def test_resolved_complaint_gets_a_satisfaction_check_not_a_follow_up() -> None:
    q = _complaint("q1", 3, resolved_at=AS_OF - DAY)
    r = _plan(_history(complaints=(q,)))
    assert _codes(r) == ["satisfaction_check"]
    assert r.actions[0].due == AS_OF + DAY
    old = _complaint("q2", 40, resolved_at=AS_OF - 30 * DAY)
    assert _codes(_plan(_history(complaints=(old,)))) == []


def test_win_back_matches_the_churn_cause_and_price_hunters_are_let_go() -> None:
    h = _history(orders=(_order("o1", AS_OF - 200 * DAY),))
    r = _plan(h, _cause("service_attitude"))
    assert _codes(r) == ["win_back"]
    assert r.actions[0].detail == "service_attitude" and "主管" in r.actions[0].script_zh
    assert r.actions[0].record_id == "o1"
    let_go = _plan(h, {**_cause("price"), **_value(0.9)})
    assert _codes(let_go)[0] == "let_go" and "greeting" not in _codes(let_go)
    assert let_go.held_let_go == 2 and let_go.contacts == 0
    assert "plan.guard.let_go" in let_go.reason_codes
    uncertain = _plan(h, _cause("price", low=True))
    assert _codes(uncertain) == ["win_back"] and uncertain.actions[0].detail == "unknown"


def test_no_win_back_for_an_active_customer_or_without_a_cause() -> None:
    h = _history(orders=(_order("o1", AS_OF - 20 * DAY),))
    assert _codes(_plan(h, _cause("service_attitude", band="active"))) == []
    assert _codes(_plan(h)) == []


def test_key_customers_get_a_weekly_greeting_others_do_not() -> None:
    h = _history(orders=(_order("o1", AS_OF - 20 * DAY),))
    key = _plan(h, _value(0.9))
    assert _codes(key) == ["greeting", "greeting"]
    assert [a.due for a in key.actions] == [AS_OF, AS_OF + 7 * DAY]
    assert _codes(_plan(h, _value(0.3))) == []
    no_purchase = _history(orders=(_order("o1", AS_OF - DAY, status="cancelled"),))
    assert _codes(_plan(no_purchase, _value(0.9))) == []


def test_holiday_wishes_and_launch_week_come_from_the_shops_calendar() -> None:
    calendar = CareCalendar(
        holidays=(
            Holiday(day=date(2026, 6, 5), name_zh="节日", name_en="Shop day"),
            Holiday(day=date(2026, 8, 1), name_zh="远", name_en="Too far"),
        ),
        launches=(Launch(id="new-oolong", starts=date(2026, 6, 3)),),
    )
    orders = (_order("o1", AS_OF - 60 * DAY), _order("o2", AS_OF - 20 * DAY))
    r = _plan(_history(orders=orders), _value(0.9), calendar=calendar, weekly_budget=10)
    assert _codes(r) == ["greeting", "launch_week", "holiday_wishes", "greeting"]
    wish = r.actions[2]
    assert wish.detail == "Shop day" and wish.due == datetime(2026, 6, 5, 10, tzinfo=timezone.utc)
    once = _plan(_history(orders=orders[1:]), _value(0.3), calendar=calendar)
    assert _codes(once) == []  # not key (no wishes), one purchase (not an old customer)


def test_no_other_contact_while_a_complaint_is_open() -> None:
    h = _history(
        orders=(_order("o1", AS_OF - 20 * DAY),),
        complaints=(_complaint("q1", 1, order_id="o1"),),
    )
    r = _plan(h, _value(0.9))
    # Follow-ups on days 0, 2, 4; the greeting of day 0 waits, the one of day 7 stays.
    assert _codes(r) == ["complaint_follow_up"] * 3 + ["greeting"]
    assert r.actions[-1].due == AS_OF + 7 * DAY
    assert r.held_open_complaint == 1 and "plan.guard.open_complaint" in r.reason_codes


def test_weekly_budget_keeps_the_most_important_contacts() -> None:
    o = _order("o1", AS_OF - 3 * DAY, delivered_at=AS_OF - DAY)
    r = _plan(_history(orders=(o,)), _value(0.9), weekly_budget=1)
    assert _codes(r) == ["receipt_notice", "greeting"]  # the day-0 greeting waits
    assert r.actions[1].due == AS_OF + 7 * DAY and r.held_budget == 1
    assert "plan.guard.budget" in r.reason_codes


def test_plan_batch_reads_upstream_scores_as_per_customer() -> None:
    shop = sample_shop()
    batch = from_histories(shop.histories)
    tiers = ThresholdTierScorer()
    causes = ChurnCauseScorer()
    tier_scores = tiers.score_batch(batch, as_of=shop.as_of)
    cause_scores = causes.score_batch(batch, as_of=shop.as_of)
    scorer = CarePlanScorer()
    scores = scorer.score_batch(
        batch,
        as_of=shop.as_of,
        upstream={"loyalty.threshold": tier_scores, "churn.cause": cause_scores},
    )
    kinds = set()
    for i, h in enumerate(shop.histories):
        upstream = {
            "loyalty.threshold": tiers.score(h, as_of=shop.as_of),
            "churn.cause": causes.score(h, as_of=shop.as_of),
        }
        one = scorer.score(h, as_of=shop.as_of, upstream=upstream)
        assert scores.result(i) == one
        kinds |= {a.code.value for a in one.actions}
    assert {"greeting", "complaint_follow_up"} <= kinds
    assert scores.actions is not None and len(scores.actions) == int(scores["n_actions"].sum())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    history=strategies.histories(customer_id="u1"),
    when=st.floats(0.0, 1.0),
    value=st.floats(0.0, 1.0),
    budget=st.integers(1, 3),
)
def test_plan_properties_events_first_budget_kept_future_unseen(
    history: CustomerHistory, when: float, value: float, budget: int
) -> None:
    moments = [
        history.customer.created_at,
        *(o.placed_at for o in history.orders),
        *(r.posted_at for r in history.reviews),
        *(c.opened_at for c in history.complaints),
    ]
    lo, hi = min(moments), max(moments) + DAY
    as_of = lo + (hi - lo) * when
    scorer = CarePlanScorer(weekly_budget=budget)
    upstream = _value(value)
    plan = scorer.score(history, as_of=as_of, upstream=upstream)
    # Nothing after as_of changes a plan: the history cut at as_of plans the same.
    assert plan == scorer.score(history.until(as_of), as_of=as_of, upstream=upstream)
    weeks: dict[int, int] = {}
    for a in plan.actions:
        assert as_of <= a.due < as_of + scorer.config.horizon
        assert a.event_at <= a.due and a.event_at <= as_of
        if a.channel is not Channel.NONE:
            week = int((a.due - as_of) / timedelta(days=7))
            weeks[week] = weeks.get(week, 0) + 1
    assert all(count <= budget for count in weeks.values())


# --- the shop care calendar ----------------------------------------------------------------

_CHANNEL_OF = {k: c.value for k, c in PlanConfig().channels.items()}


def _plan_of(customers: list[str], actions: list[tuple[str, str, float, str]]) -> PlanScores:
    """Plan scores holding given actions: (customer id, kind, hours after AS_OF, record id).

    Rows are in the plan's own order (customer row, due, priority, record id).
    """
    row_of = {c: i for i, c in enumerate(customers)}
    pool = sorted({rec for *_, rec in actions if rec})
    kinds = [k.value for k in ACTION_PRIORITY]
    rows = sorted(
        (row_of[c], AS_OF.timestamp() + h * 3600, kinds.index(k), rec) for c, k, h, rec in actions
    )
    kind = np.array([r[2] for r in rows], dtype=np.int64)
    due = np.array([r[1] for r in rows], dtype=np.float64)
    plan_actions = PlanActions(
        row=np.array([r[0] for r in rows], dtype=np.int64),
        kind=kind,
        due=due,
        event=np.minimum(due, AS_OF.timestamp()),
        record=np.array([pool.index(r[3]) if r[3] else -1 for r in rows], dtype=np.int64),
        detail=np.full(len(rows), "", dtype=np.str_),
        pool=np.array(pool, dtype=np.str_),
        channel=np.array([_CHANNEL_OF[ACTION_PRIORITY[k]] for k in kind], dtype=np.str_),
    )
    ids = np.array(customers, dtype=np.str_)
    scores = PlanScores.build("care.plan", ids, {"n_actions": np.zeros(len(ids), np.int64)})
    return replace(scores, actions=plan_actions)


def test_value_at_stake_uses_the_seeds_52_and_4() -> None:
    assert (COMPLAINT_REACH, REFERRALS_PER_SATISFIED) == (13 * 4, 4)
    kinds = [
        ACTION_PRIORITY.index(ActionKind(k))
        for k in ("complaint_follow_up", "satisfaction_check", "greeting", "greeting")
    ]
    stake, reach = value_at_stake(
        kinds, [0.0, 0.5, 1.0, 1.0], [0.0, 0.0, 0.5, np.nan], [False, False, False, True]
    )
    assert reach.tolist() == [52.0, 4.0, 0.0, 4.0]
    assert stake.tolist() == [53.0, 1.5 + 4.0, 2.0 * 1.5, 2.0 + 4.0]


def test_calendar_puts_complaints_first_and_carries_overflow_to_the_next_day() -> None:
    plan = _plan_of(
        ["key", "plain", "angry"],
        [
            ("key", "greeting", 1, ""),
            ("plain", "receipt_notice", 2, "o1"),
            ("angry", "complaint_follow_up", 3, "q1"),
            ("plain", "let_go", 0, ""),
            ("key", "greeting", 24 * 9, ""),
        ],
    )
    cal = care_calendar(plan, start=AS_OF, capacity_per_day=1, days=3, value=[1.0, 0.0, 0.0])
    rows = list(cal)
    assert [(r.day, r.customer_id, r.action) for r in rows] == [
        (0, "angry", "complaint_follow_up"),  # 52 at stake: first, though due last
        (1, "key", "greeting"),  # value 1: 2.0 at stake, carried a day
        (2, "plain", "receipt_notice"),  # 1.0 at stake, carried two days
    ]
    assert rows[0].at == AS_OF + timedelta(hours=3) and rows[0].record_id == "q1"
    assert rows[1].at == AS_OF + DAY and rows[1].due == AS_OF + timedelta(hours=1)
    assert rows[0].reach == 52.0 and rows[0].stake == 53.0
    assert cal.counts() == {
        "scheduled": 3,
        "over_capacity": 0,
        "over_budget": 0,
        "after_window": 1,
        "not_a_contact": 1,
    }
    # One contact a day less: the cheapest is reported, never dropped.
    tight = care_calendar(
        plan, start=AS_OF, capacity_per_day=[1, 1, 0], days=3, value=[1.0, 0.0, 0.0]
    )
    (left,) = tight.rows(status="over_capacity")
    assert (left.customer_id, left.action, left.day, left.at) == (
        "plain",
        "receipt_notice",
        -1,
        None,
    )
    assert len(tight) == len(plan.actions or ())


def test_calendar_keeps_the_customer_budget_and_says_so() -> None:
    plan = _plan_of(["u1"], [("u1", "complaint_follow_up", h, f"q{h}") for h in (1, 2, 3)])
    cal = care_calendar(plan, start=AS_OF, capacity_per_day=10, days=7, customer_budget=2)
    assert cal.per_day().tolist() == [2, 0, 0, 0, 0, 0, 0]
    (held,) = cal.rows(status="over_budget")
    assert held.record_id == "q3"  # same stake and kind: the later due waits
    # A new week of the window gives a new budget: the held one goes on day 7.
    week2 = care_calendar(plan, start=AS_OF, capacity_per_day=10, days=8, customer_budget=2)
    assert [r.day for r in week2] == [0, 0, 7] and week2.counts()["over_budget"] == 0


def test_calendar_on_the_sample_shop_plan() -> None:
    shop = sample_shop()
    plan = CarePlanScorer().score_batch(from_histories(shop.histories), as_of=shop.as_of)
    cal = care_calendar(plan, start=shop.as_of, capacity_per_day=4, days=7)
    assert plan.actions is not None and sorted(cal.action.tolist()) == list(
        range(len(plan.actions))
    )
    assert cal.per_day().max() <= 4 and cal.counts()["scheduled"] > 0
    first = next(iter(cal))
    assert first.action == "complaint_follow_up" and first.record_id


def test_calendar_refuses_bad_arguments() -> None:
    plan = _plan_of(["u1"], [("u1", "greeting", 1, "")])
    with pytest.raises(CustcareUsageError, match="capacity_per_day has 2 days"):
        care_calendar(plan, start=AS_OF, capacity_per_day=[1, 2], days=3)
    with pytest.raises(CustcareUsageError, match="days must be"):
        care_calendar(plan, start=AS_OF, capacity_per_day=1, days=0)
    with pytest.raises(CustcareUsageError, match="value has 2 entries"):
        care_calendar(plan, start=AS_OF, capacity_per_day=1, value=[0.1, 0.2])
    with pytest.raises(CustcareUsageError, match="risk must lie"):
        care_calendar(plan, start=AS_OF, capacity_per_day=1, risk=[1.5])
    with pytest.raises(CustcareUsageError, match="customer_budget"):
        care_calendar(plan, start=AS_OF, capacity_per_day=1, customer_budget=0)
    with pytest.raises(CustcareUsageError, match="no actions"):
        care_calendar(replace(plan, actions=None), start=AS_OF, capacity_per_day=1)
    with pytest.raises(NaiveDatetimeError):
        care_calendar(plan, start=datetime(2026, 6, 1), capacity_per_day=1)


_ACTION = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from([k.value for k in ACTION_PRIORITY]),
    st.floats(-72.0, 24.0 * 20, allow_nan=False),
    st.sampled_from(["", "o1", "o2", "q1", "r1"]),
)


@settings(max_examples=60, deadline=None)
@given(
    actions=st.lists(_ACTION, max_size=30),
    capacity=st.lists(st.integers(0, 4), min_size=10, max_size=10),
    budget=st.integers(1, 3),
    start_hours=st.floats(-48.0, 48.0, allow_nan=False),
    value=st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4),
    order=st.permutations(["a", "b", "c", "d"]),
)
def test_calendar_properties_capacity_budget_window_order(
    actions: list[tuple[str, str, float, str]],
    capacity: list[int],
    budget: int,
    start_hours: float,
    value: list[float],
    order: list[str],
) -> None:
    start = AS_OF + timedelta(hours=start_hours)
    customers = ["a", "b", "c", "d"]
    plan = _plan_of(customers, actions)
    cal = care_calendar(
        plan, start=start, capacity_per_day=capacity, days=10, customer_budget=budget, value=value
    )
    # Every action of the plan once, with one status.
    assert sorted(cal.action.tolist()) == list(range(len(actions)))
    assert sum(cal.counts().values()) == len(actions)
    # Never over the day's capacity, never over a customer's weekly budget.
    assert (cal.per_day() <= np.array(capacity)).all()
    on = cal.day >= 0
    weeks: dict[tuple[str, int], int] = {}
    for cid, d in zip(cal.customer_id[on], cal.day[on], strict=True):
        weeks[(str(cid), int(d) // 7)] = weeks.get((str(cid), int(d) // 7), 0) + 1
    assert all(count <= budget for count in weeks.values())
    # Nothing before the window's start, nothing outside its day, nothing before it is due.
    t0 = start.timestamp()
    assert (cal.at[on] >= t0).all() and (cal.at[on] >= cal.due[on]).all()
    assert (cal.at[on] < t0 + (cal.day[on] + 1) * 86400).all()
    assert ((cal.status == "not_a_contact") == (cal.channel == "none")).all()
    assert (cal.due[cal.status == "after_window"] >= t0 + 10 * 86400).all()
    # Deterministic: the same calendar whatever the order of the customers.
    again = care_calendar(
        _plan_of(order, actions),
        start=start,
        capacity_per_day=capacity,
        days=10,
        customer_budget=budget,
        value=[value[customers.index(c)] for c in order],
    )

    def key(c: CareCalendarTable) -> list[tuple[object, ...]]:
        return list(
            zip(
                c.customer_id.tolist(),
                c.kind.tolist(),
                c.record_id.tolist(),
                c.day.tolist(),
                c.status.tolist(),
                c.due.tolist(),
                strict=True,
            )
        )

    assert key(again) == key(cal)


def test_tea_shop_care_tutorial_runs_and_shows_what_it_says() -> None:
    page = Path(__file__).parent.parent / "docs" / "tutorials" / "tea-shop-care.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 5
    space: dict[str, object] = {"__name__": "tutorial"}
    exec(compile("\n".join(blocks), str(page), "exec"), space)
    week = space["week"]
    assert isinstance(week, CareCalendarTable)
    assert week.capacity == (6, 6, 6, 6, 3, 3, 6)
    assert (week.per_day() <= np.array(week.capacity)).all()
    # As the page says: the open complaints come first, then the rest by stake.
    rows = list(week)
    assert rows[0].action == "complaint_follow_up" and rows[0].reach == COMPLAINT_REACH
    assert {"launch_week", "win_back"} <= {r.action for r in rows}
    assert space["left"] == week.counts()["over_capacity"] + week.counts()["over_budget"] > 0


# --- the deep-discount warning -------------------------------------------------------------


def _buyer(cid: str, *orders: tuple[str, float, str]) -> CustomerHistory:
    """A customer with completed orders (order id suffix, days before AS_OF, sku)."""
    return CustomerHistory(
        customer=_customer(cid),
        orders=tuple(
            Order(
                id=f"{cid}-{oid}",
                customer_id=cid,
                placed_at=AS_OF - days * DAY,
                currency="CNY",
                status="completed",
                lines=(OrderLine(sku=sku, quantity=1, unit_price=Decimal("99")),),
            )
            for oid, days, sku in orders
        ),
    )


_SALE = Discount(sku="OOLONG", starts=date(2026, 6, 5), depth=0.5)


def _warned(histories: list[CustomerHistory], *discounts: Discount) -> list[tuple[str, str]]:
    w = discount_warnings(from_histories(histories), discounts or (_SALE,), as_of=AS_OF)
    return list(zip(w.customer_id.tolist(), w.order_id.tolist(), strict=True))


def test_deep_discount_warns_about_old_customers_who_paid_full_price() -> None:
    old = _buyer("old", ("o1", 90, "GREEN"), ("o2", 10, "OOLONG"), ("o3", 5, "OOLONG"))
    w = discount_warnings(from_histories([old]), (_SALE,), as_of=AS_OF)
    assert list(zip(w.customer_id, w.order_id, strict=True)) == [("old", "old-o3")]  # the latest
    assert w.affected.tolist() == [1] and w.discounts == (_SALE,)
    assert w.placed.tolist() == [(AS_OF - 5 * DAY).timestamp()]


def test_no_discount_warning_when_it_does_not_hurt() -> None:
    new = _buyer("new", ("o1", 10, "OOLONG"))  # one purchase: not an old customer
    other = _buyer("other", ("o1", 90, "OOLONG"), ("o2", 10, "GREEN"))  # not recently
    later = _buyer("later", ("o1", 90, "GREEN"), ("o2", -1, "OOLONG"))  # after as_of
    assert _warned([new, other, later]) == []
    old = _buyer("old", ("o1", 90, "GREEN"), ("o2", 10, "OOLONG"))
    shallow = Discount(sku="OOLONG", starts=date(2026, 6, 5), depth=0.1)
    assert _warned([old], shallow) == []
    # Bought during an earlier discount of the item: not at full price.
    earlier = Discount(sku="OOLONG", starts=date(2026, 5, 20), depth=0.2, days=3)
    assert _warned([old], earlier, _SALE) == []
    assert _warned([old]) == [("old", "old-o2")]


def test_discounts_live_in_the_care_calendar_config() -> None:
    calendar = CareCalendar(timezone="Asia/Shanghai", discounts=(_SALE,))
    config = PlanConfig(calendar=calendar)
    assert PlanConfig.model_validate_json(config.model_dump_json()) == config
    with pytest.raises(ValidationError):
        Discount(sku="OOLONG", starts=date(2026, 6, 5), depth=1.0)
    with pytest.raises(CustcareUsageError, match="deep_from"):
        discount_warnings(from_histories([_buyer("u1")]), (), as_of=AS_OF, deep_from=0.0)


def test_old_key_customers_get_a_gift_from_the_shops_range_in_their_next_parcel() -> None:
    calendar = CareCalendar(gift_skus=("TEA1", "CUP-S"))
    orders = (
        _order("o1", AS_OF - 60 * DAY),
        _order("o2", AS_OF - 20 * DAY),
        _order("o3", AS_OF - DAY, status="paid"),
    )
    r = _plan(_history(orders=orders), _value(0.9), calendar=calendar, weekly_budget=10)
    (gift,) = [a for a in r.actions if a.code.value == "gift"]
    # TEA1 was bought already: the cup is the gift; it rides the paid order, no contact.
    assert (gift.detail, gift.record_id, gift.due) == ("CUP-S", "o3", AS_OF)
    assert gift.channel is Channel.NONE and "不是现金" in gift.script_zh
    codes = _codes(r)
    # Must not: no gift SKUs configured; not key; one purchase only; nothing waiting to ship.
    assert "gift" not in _codes(_plan(_history(orders=orders), _value(0.9)))
    assert "gift" not in _codes(_plan(_history(orders=orders), _value(0.3), calendar=calendar))
    once = (orders[1], orders[2])
    assert "gift" not in _codes(_plan(_history(orders=once), _value(0.9), calendar=calendar))
    shipped = (*orders[:2], _order("o3", AS_OF - DAY, status="shipped"))
    assert "gift" not in _codes(_plan(_history(orders=shipped), _value(0.9), calendar=calendar))
    # Let-go customers get no gift: it is a promotion.
    let_go = _plan(_history(orders=orders), {**_cause("price"), **_value(0.9)}, calendar=calendar)
    assert "gift" not in _codes(let_go) and "gift" in codes


# --- every action kind: a history that produces it and one that must not -------------------


def _lines_order(
    oid: str, placed: datetime, *skus: str, status: str = "completed", **kw: object
) -> Order:
    return Order(
        id=oid,
        customer_id="u1",
        placed_at=placed,
        currency="CNY",
        status=status,
        lines=tuple(OrderLine(sku=s, quantity=1, unit_price=Decimal("199")) for s in skus),
        **kw,
    )


_SETUP = CareCalendar(setup_skus=("KETTLE", "BREWER"))


def test_setup_call_after_delivery_of_an_item_that_needs_set_up() -> None:
    delivered = AS_OF - timedelta(hours=2)
    o = _lines_order("o1", AS_OF - 4 * DAY, "TEA1", "BREWER", "KETTLE", delivered_at=delivered)
    r = _plan(_history(orders=(o,)), calendar=_SETUP)
    assert _codes(r) == ["receipt_notice", "setup_call"]
    call = r.actions[1]
    # A day after delivery (setup_call_after), by phone; the first listed SKU is named.
    assert call.due == delivered + DAY and call.event_at == delivered
    assert (call.record_id, call.detail, call.channel) == ("o1", "KETTLE", Channel.PHONE)
    assert "安装" in call.script_zh and r.reasons[1].evidence == ("o1",)
    later = _plan(_history(orders=(o,)), calendar=_SETUP, setup_call_after="P3D")
    assert [a.due for a in later.actions if a.code is ActionKind.SETUP_CALL] == [
        delivered + 3 * DAY
    ]


def test_setup_call_not_before_delivery_nor_for_an_unlisted_sku() -> None:
    placed = AS_OF - 4 * DAY
    on_the_way = _lines_order("o1", placed, "KETTLE", status="shipped")
    assert "setup_call" not in _codes(_plan(_history(orders=(on_the_way,)), calendar=_SETUP))
    tea = _lines_order("o1", placed, "TEA1", delivered_at=AS_OF - DAY)
    assert "setup_call" not in _codes(_plan(_history(orders=(tea,)), calendar=_SETUP))
    kettle = _lines_order("o1", placed, "KETTLE", delivered_at=AS_OF - DAY)
    assert "setup_call" not in _codes(_plan(_history(orders=(kettle,))))  # no SKU listed
    long_ago = _lines_order("o1", AS_OF - 90 * DAY, "KETTLE", delivered_at=AS_OF - 60 * DAY)
    assert "setup_call" not in _codes(_plan(_history(orders=(long_ago,)), calendar=_SETUP))
    # Delivered after as_of: not known at as_of, so no call is planned from it.
    future = _lines_order("o1", placed, "KETTLE", delivered_at=AS_OF + DAY)
    assert "setup_call" not in _codes(_plan(_history(orders=(future,)), calendar=_SETUP))


def _wishes(result: PlanResult) -> list[CareAction]:
    return [a for a in result.actions if a.code is ActionKind.BIRTHDAY_WISHES]


def test_birthday_wishes_for_a_key_customer_on_the_next_birthday() -> None:
    calendar = CareCalendar(timezone="Asia/Shanghai", send_hour=9, birthdays={"u1": "06-05"})
    h = _history(orders=(_order("o1", AS_OF - 20 * DAY),))
    r = _plan(h, _value(0.9), calendar=calendar)
    (wish,) = _wishes(r)
    local = ZoneInfo("Asia/Shanghai")
    assert wish.due == datetime(2026, 6, 5, 9, tzinfo=local) and wish.record_id == "o1"
    assert wish.channel is Channel.SMS and "生日" in wish.script_zh and wish.detail == ""
    # Personal data: the date is in neither the reason, nor the reprs.
    reason = r.reasons[_codes(r).index("birthday_wishes")]
    assert reason.code == "plan.birthday_wishes" and "birthday" in reason.message
    config = CarePlanScorer(calendar=calendar).config
    for text in (reason.message, repr(calendar), repr(config), str(config), repr(wish), repr(r)):
        assert "06-05" not in text and "06-04" not in text and "2026-06-05" not in text
    # The config still round-trips the dates it was given.
    assert PlanConfig.model_validate_json(config.model_dump_json()) == config


def test_birthday_wishes_today_after_the_send_hour_are_due_at_once() -> None:
    calendar = CareCalendar(send_hour=10, birthdays={"u1": "06-01"})  # AS_OF is 12:00
    h = _history(orders=(_order("o1", AS_OF - 20 * DAY),))
    assert [a.due for a in _wishes(_plan(h, _value(0.9), calendar=calendar))] == [AS_OF]


def test_birthday_wishes_on_feb_28_for_feb_29_in_a_common_year() -> None:
    as_of = datetime(2027, 2, 20, 12, tzinfo=timezone.utc)
    h = _history(orders=(_order("o1", as_of - 20 * DAY),))
    calendar = CareCalendar(birthdays={"u1": "02-29"})
    upstream = {
        "loyalty.pyramid": _Value(
            scorer="loyalty.pyramid", customer_id="u1", as_of=as_of, reasons=(), customer_value=0.9
        )
    }
    r = CarePlanScorer(calendar=calendar).score(h, as_of=as_of, upstream=upstream)
    assert [a.due for a in _wishes(r)] == [datetime(2027, 2, 28, 10, tzinfo=timezone.utc)]
    leap = datetime(2028, 2, 20, 12, tzinfo=timezone.utc)
    r = CarePlanScorer(calendar=calendar).score(
        _history(orders=(_order("o1", leap - 20 * DAY),)),
        as_of=leap,
        upstream={
            "loyalty.pyramid": upstream["loyalty.pyramid"].model_copy(update={"as_of": leap})
        },
    )
    assert [a.due for a in _wishes(r)] == [datetime(2028, 2, 29, 10, tzinfo=timezone.utc)]


def test_birthday_wishes_not_for_others_nor_outside_the_horizon() -> None:
    h = _history(orders=(_order("o1", AS_OF - 20 * DAY),))
    soon = CareCalendar(birthdays={"u1": "06-05"})
    assert _wishes(_plan(h, _value(0.3), calendar=soon)) == []  # not a valued customer
    far = CareCalendar(birthdays={"u1": "07-20"})
    assert _wishes(_plan(h, _value(0.9), calendar=far)) == []  # beyond the 14-day horizon
    passed = CareCalendar(birthdays={"u1": "05-25"})
    assert _wishes(_plan(h, _value(0.9), calendar=passed)) == []  # next one is next year
    someone_else = CareCalendar(birthdays={"u2": "06-05"})
    assert _wishes(_plan(h, _value(0.9), calendar=someone_else)) == []
    no_purchase = _history(orders=(_order("o1", AS_OF - DAY, status="cancelled"),))
    assert _wishes(_plan(no_purchase, _value(0.9), calendar=soon)) == []
    let_go = _plan(h, {**_cause("price"), **_value(0.9)}, calendar=soon)
    assert _wishes(let_go) == [] and let_go.held_let_go > 0


@pytest.mark.parametrize("month_day", ["13-01", "02-30", "6-5", "06/05", "00-10", "ab-cd"])
def test_birthdays_must_be_month_days_and_errors_do_not_show_them(month_day: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CareCalendar(birthdays={"u1": month_day})
    assert "birthday of customer 'u1'" in str(caught.value)
    assert month_day not in str(caught.value)
    with pytest.raises(ValidationError) as nested:
        PlanConfig.model_validate({"calendar": {"birthdays": {"u1": month_day}}})
    assert month_day not in str(nested.value)


def test_plan_config_channels_fill_kinds_a_saved_config_lacks() -> None:
    saved = PlanConfig(channels={ActionKind.GREETING: Channel.SMS}).model_dump(mode="json")
    for kind in ("gift", "setup_call", "birthday_wishes"):
        del saved["channels"][kind]
    config = PlanConfig.model_validate(saved)
    defaults = PlanConfig().channels
    assert config.channels[ActionKind.GIFT] is Channel.NONE
    assert config.channels[ActionKind.SETUP_CALL] is defaults[ActionKind.SETUP_CALL]
    assert config.channels[ActionKind.GREETING] is Channel.SMS  # what was saved is kept
    assert set(config.channels) == set(ActionKind)
    with pytest.raises(ValidationError):
        PlanConfig.model_validate({"channels": {"carrier_pigeon": "sms"}})


def test_shipping_notice_not_for_a_delivered_unpaid_or_old_order() -> None:
    delivered = _order("o1", AS_OF - 3 * DAY, status="shipped", delivered_at=AS_OF - DAY)
    unpaid = _order("o2", AS_OF - timedelta(hours=1), status="pending_payment")
    old = _order("o3", AS_OF - 40 * DAY, status="shipped")
    assert "shipping_notice" not in _codes(_plan(_history(orders=(delivered, unpaid, old))))


def test_receipt_notice_after_delivery_not_before() -> None:
    got = _order("o1", AS_OF - 3 * DAY, delivered_at=AS_OF - timedelta(hours=2))
    r = _plan(_history(orders=(got,)))
    assert _codes(r) == ["receipt_notice"]
    assert r.actions[0].due == AS_OF + timedelta(hours=10)  # 12 h after delivery
    on_the_way = _order("o1", AS_OF - 3 * DAY, status="shipped")
    future = _order("o1", AS_OF - 3 * DAY, status="shipped", delivered_at=AS_OF + DAY)
    for o in (on_the_way, future):
        assert "receipt_notice" not in _codes(_plan(_history(orders=(o,))))


def test_complaint_follow_up_not_once_resolved_nor_for_an_old_or_praising_review() -> None:
    resolved = _complaint("q1", 5, resolved_at=AS_OF - 4 * DAY)
    old_bad = _review("r1", 1, 60)
    fine = _review("r2", 4, 1)
    r = _plan(_history(complaints=(resolved,), reviews=(old_bad, fine)))
    assert "complaint_follow_up" not in _codes(r)


def test_satisfaction_check_not_while_the_complaint_is_open() -> None:
    r = _plan(_history(complaints=(_complaint("q1", 2),)))
    assert "satisfaction_check" not in _codes(r) and "complaint_follow_up" in _codes(r)
    # Resolved after as_of: still open at as_of.
    later = _plan(_history(complaints=(_complaint("q1", 2, resolved_at=AS_OF + DAY),)))
    assert "satisfaction_check" not in _codes(later)


def test_let_go_not_for_a_cause_worth_winning_back_nor_an_active_customer() -> None:
    h = _history(orders=(_order("o1", AS_OF - 200 * DAY),))
    assert "let_go" not in _codes(_plan(h, _cause("product_quality")))
    assert "let_go" not in _codes(_plan(h, _cause("price", band="active")))
    assert "let_go" not in _codes(_plan(_history(), _cause("natural")))  # never bought
    assert _codes(_plan(h, _cause("natural"))) == ["let_go"]


def test_holiday_wishes_not_for_an_ordinary_customer_nor_a_past_holiday() -> None:
    calendar = CareCalendar(
        holidays=(
            Holiday(day=date(2026, 5, 31), name_zh="昨", name_en="Past"),
            Holiday(day=date(2026, 6, 10), name_zh="节", name_en="Soon"),
        )
    )
    h = _history(orders=(_order("o1", AS_OF - 20 * DAY),))
    assert "holiday_wishes" not in _codes(_plan(h, _value(0.3), calendar=calendar))
    key = _plan(h, _value(0.9), calendar=calendar)
    assert [a.detail for a in key.actions if a.code is ActionKind.HOLIDAY_WISHES] == ["Soon"]


def test_launch_week_not_for_a_new_customer_nor_a_launch_beyond_the_horizon() -> None:
    orders = (_order("o1", AS_OF - 60 * DAY), _order("o2", AS_OF - 20 * DAY))
    far = CareCalendar(launches=(Launch(id="winter", starts=date(2026, 7, 1)),))
    assert "launch_week" not in _codes(_plan(_history(orders=orders), calendar=far))
    soon = CareCalendar(launches=(Launch(id="oolong", starts=date(2026, 6, 3)),))
    assert "launch_week" not in _codes(_plan(_history(orders=orders[1:]), calendar=soon))
    assert _codes(_plan(_history(orders=orders), calendar=soon)) == ["launch_week"]


def test_birthday_wishes_rows_of_the_calendar_hide_the_date_in_their_repr() -> None:
    plan = _plan_of(["u1"], [("u1", "birthday_wishes", 24 * 4 - 2, ""), ("u1", "greeting", 0, "")])
    cal = care_calendar(plan, start=AS_OF, capacity_per_day=5, days=7)
    wish, greeting = sorted(cal, key=lambda row: row.action)
    assert wish.action == "birthday_wishes" and wish.due == AS_OF + timedelta(hours=94)
    assert "datetime(2026, 6, 5" not in repr(wish) and "<birthday hidden>" in repr(wish)
    assert "u1" in repr(wish) and repr(greeting.due) in repr(greeting)


@pytest.mark.parametrize("nested", [False, True])
def test_birthday_errors_keep_the_date_out_of_errors_and_json(nested: bool) -> None:
    from pydantic import ValidationError

    from custcare.care import CareCalendar, PlanConfig

    bad = {"birthdays": {"u1": "13-45"}}
    with pytest.raises(ValidationError) as info:
        PlanConfig(calendar=bad) if nested else CareCalendar(**bad)  # type: ignore[arg-type]
    assert "13-45" not in str(info.value)
    assert "13-45" not in info.value.json()
    assert "13-45" not in repr(info.value.errors())
    assert info.value.errors()[0]["loc"][-1] == "birthdays"


def test_value_at_stake_refuses_values_outside_0_1_instead_of_clipping() -> None:
    from custcare.care import value_at_stake
    from custcare.errors import CustcareUsageError

    with pytest.raises(CustcareUsageError, match="value"):
        value_at_stake([7, 7], [5.0, 0.5], [0.0, 0.0], [False, False])
    with pytest.raises(CustcareUsageError, match="value"):
        value_at_stake([7], [float("inf")], [0.0], [False])
    with pytest.raises(CustcareUsageError, match="risk"):
        value_at_stake([7], [0.5], [-3.0], [False])
    stake, _ = value_at_stake([7], [float("nan")], [float("nan")], [False])
    assert stake.tolist() == [1.0]  # unknown counts as 0, as documented
