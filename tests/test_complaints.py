from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from custcare import Complaint, Customer, CustomerHistory, Order, OrderLine, Review, get_scorer
from custcare.batch import CustomerBatch, from_histories
from custcare.complaints import (
    CATEGORY_CODES,
    BusinessHours,
    ComplaintFeatures,
    ComplaintPriorityScorer,
    PriorityConfig,
    PriorityWeights,
    SLAPolicy,
    rank_features,
    rank_queue,
)
from custcare.datasets import sample_shop
from custcare.errors import CustcareUsageError
from custcare.loyalty import ThresholdTierScorer
from custcare.loyalty.threshold import TierScores
from custcare.scoring import Pipeline
from custcare.testing import check_scorer, strategies

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 1, 10, 0, tzinfo=SH)
AS_OF = T0 + timedelta(hours=3)


def history(
    *complaints: Complaint,
    reviews: tuple[Review, ...] = (),
    cid: str = "u1",
    orders: tuple[Order, ...] = (),
) -> CustomerHistory:
    return CustomerHistory(
        customer=Customer(id=cid, created_at=T0 - timedelta(days=400)),
        orders=orders,
        reviews=reviews,
        complaints=complaints,
    )


def complaint(cid: str = "q1", text: str = "", **kw: object) -> Complaint:
    base: dict[str, object] = {
        "id": cid,
        "customer_id": "u1",
        "opened_at": T0,
        "channel": "chat",
        "text": text,
    }
    base.update(kw)
    return Complaint.model_validate(base)


def score(*cs: Complaint) -> tuple[str, float]:
    r = ComplaintPriorityScorer().score(history(*cs), as_of=AS_OF)
    return r.level, r.score


def test_registered_and_passes_the_kit() -> None:
    scorer = get_scorer("complaint.priority")
    assert isinstance(scorer, ComplaintPriorityScorer)
    check_scorer(scorer)


def test_no_open_complaint_is_p4_with_reason() -> None:
    r = ComplaintPriorityScorer().score(history(), as_of=AS_OF)
    assert (r.level, r.score, r.respond_by) == ("P4", 0.0, None)
    assert r.reason_codes == ("complaint.none_open",)


def test_safety_is_always_p1_and_cites_the_lexicon_terms() -> None:
    r = ComplaintPriorityScorer().score(
        history(complaint(text="充电器用了一次就起火了，差点烧伤孩子")), as_of=AS_OF
    )
    assert r.level == "P1"
    codes = r.reason_codes
    assert "complaint.safety" in codes
    safety = next(x for x in r.reasons if x.code == "complaint.safety")
    assert (
        safety.message == "Safety concern: lexicon terms “起火”, “烧伤” in q1. Safety comes first."
    )
    assert safety.evidence == ("q1",)
    assert r.complaints[0].steps[0].code == "safety_first"


def test_escalation_raises_priority() -> None:
    plain = score(complaint(text="客服态度很差", category="staff_attitude"))
    threat = score(complaint(text="客服态度很差，我要去12315投诉你们", category="staff_attitude"))
    assert threat[1] > plain[1]


def test_public_fresh_review_says_call_now() -> None:
    r = Review(id="r1", customer_id="u1", posted_at=T0, rating=1, text="物流太慢了")
    result = ComplaintPriorityScorer().score(history(reviews=(r,)), as_of=AS_OF)
    item = result.complaints[0]
    assert item.complaint_id == "review:r1"
    assert "complaint.public" in [x.code for x in item.reasons]
    assert [s.code for s in item.steps][:2] == ["feeling_first", "call_now"]
    assert "r1" in result.evidence


def test_old_negative_review_outside_window_is_not_queued() -> None:
    r = Review(id="r1", customer_id="u1", posted_at=T0 - timedelta(days=90), rating=1)
    assert ComplaintPriorityScorer().score(history(reviews=(r,)), as_of=AS_OF).complaints == ()


def test_review_already_raised_as_complaint_is_not_double_counted() -> None:
    r = Review(id="r1", customer_id="u1", posted_at=T0, rating=2, text="质量差")
    c = Complaint.from_review(r)
    result = ComplaintPriorityScorer().score(history(c, reviews=(r,)), as_of=AS_OF)
    assert [i.complaint_id for i in result.complaints] == ["review:r1"]


def test_untrue_lowers_but_never_hides() -> None:
    true = score(complaint(category="product_quality", text="坏了"))
    untrue = score(complaint(category="untrue", text="坏了"))
    assert untrue[1] < true[1]
    r = ComplaintPriorityScorer().score(history(complaint(category="untrue")), as_of=AS_OF)
    assert len(r.complaints) == 1
    assert "verify_facts" in [s.code for s in r.complaints[0].steps]


def test_first_response_lowers_and_moves_deadline_to_resolution() -> None:
    c = complaint(category="long_wait")
    responded = complaint(category="long_wait", first_response_at=T0 + timedelta(minutes=5))
    a = ComplaintPriorityScorer().score(history(c), as_of=AS_OF)
    b = ComplaintPriorityScorer().score(history(responded), as_of=AS_OF)
    assert b.score < a.score
    assert b.respond_by is not None and a.respond_by is not None
    assert b.respond_by > a.respond_by


def test_repeat_on_same_order_counts() -> None:
    o = Order(
        id="o1",
        customer_id="u1",
        placed_at=T0 - timedelta(days=5),
        currency="CNY",
        status="completed",
        lines=[OrderLine(sku="A", quantity=1, unit_price=Decimal(5))],
    )
    first = complaint(
        "q1",
        order_id="o1",
        opened_at=T0 - timedelta(days=2),
        resolved_at=T0 - timedelta(days=1),
        category="product_quality",
    )
    second = complaint("q2", order_id="o1", category="product_quality")
    r = ComplaintPriorityScorer().score(history(first, second, orders=(o,)), as_of=AS_OF)
    repeat = next(x for x in r.reasons if x.code == "complaint.repeat")
    assert set(repeat.evidence) == {"q1", "q2"}
    assert "fix_first_time" in [s.code for s in r.complaints[0].steps]


def test_deadline_uses_business_hours() -> None:
    policy = SLAPolicy(business_hours=BusinessHours(start=time(9), end=time(18)))
    friday_evening = datetime(2026, 6, 26, 20, 0, tzinfo=SH)
    c = complaint(opened_at=friday_evening, category="long_wait")
    scorer = ComplaintPriorityScorer(sla=policy)
    r = scorer.score(history(c), as_of=friday_evening + timedelta(minutes=1))
    assert r.respond_by is not None
    target = policy.targets[r.level].first_response
    assert r.respond_by == policy.deadline(friday_evening, target)
    assert r.respond_by.weekday() < 5
    assert time(9) <= r.respond_by.timetz().replace(tzinfo=None) <= time(18)
    assert r.respond_by > friday_evening + target  # the weekend does not count


def test_deadline_skips_holidays() -> None:
    policy = SLAPolicy(business_hours=BusinessHours(holidays=(date(2026, 6, 29),)))
    due = policy.deadline(datetime(2026, 6, 26, 20, 0, tzinfo=SH), timedelta(hours=2))
    assert due == datetime(2026, 6, 30, 11, 0, tzinfo=SH)


def test_overdue_flag() -> None:
    late = ComplaintPriorityScorer().score(
        history(complaint(category="long_wait")), as_of=T0 + timedelta(days=10)
    )
    assert late.overdue
    assert "complaint.overdue" in late.reason_codes or late.complaints[0].overdue


def test_customer_value_from_upstream() -> None:
    class Tier:
        customer_value = 1.0

    h = history(complaint(category="long_wait"))
    plain = ComplaintPriorityScorer().score(h, as_of=AS_OF)
    valued = ComplaintPriorityScorer().score(h, as_of=AS_OF, upstream={"loyalty.pyramid": Tier()})  # type: ignore[dict-item]
    assert valued.score == pytest.approx(plain.score + 10.0)
    assert "complaint.customer_value" in valued.reason_codes


def test_personal_data_in_text_is_masked_in_reasons() -> None:
    r = ComplaintPriorityScorer().score(
        history(complaint(text="手机爆炸起火了！联系我13812348000 或 a.b@example.com")), as_of=AS_OF
    )
    text = " ".join(x.message for x in r.reasons)
    assert "13812348000" not in text and "a.b@example.com" not in text


# --- config ----------------------------------------------------------------------------


def test_bad_config_is_rejected_naming_the_rule() -> None:
    with pytest.raises(ValidationError, match="thresholds must decrease"):
        PriorityConfig(p1=40, p2=45)
    with pytest.raises(ValidationError, match="unknown time zone"):
        SLAPolicy(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="missing"):
        PriorityWeights(category={"staff_attitude": 1.0})
    with pytest.raises(ValidationError, match="end"):
        BusinessHours(start=time(18), end=time(9))


# --- properties --------------------------------------------------------------------------

TEXTS = st.sampled_from(
    [
        "",
        "等太久了",
        "客服态度很差",
        "The item broke after a day",
        "质量太差",
        "说好的三天发货，一周了还没到",
        "not expensive, no problem",
    ]
)
EXTRAS = {
    "escalation": "我要去消协投诉，还要曝光你们",
    "safety": "孩子用了以后过敏起疹子",
    "promise": None,
}


@st.composite
def complaints_st(draw: st.DrawFn) -> Complaint:
    opened = T0 - timedelta(hours=draw(st.integers(0, 200)))
    return complaint(
        text=draw(TEXTS),
        opened_at=opened,
        channel=draw(st.sampled_from(["chat", "phone", "review", "email"])),
        category=draw(st.none() | st.sampled_from(CATEGORY_CODES[:-1])),
        reopened=draw(st.integers(0, 3)),
        first_response_at=draw(st.none() | st.just(opened + timedelta(minutes=30))),
    )


def _s(c: Complaint, as_of: datetime = AS_OF + timedelta(days=1)) -> tuple[int, float]:
    r = ComplaintPriorityScorer().score(history(c), as_of=as_of)
    return (-int(r.level[1]), r.score)


@given(complaints_st(), st.integers(1, 500))
def test_older_never_lowers_priority(c: Complaint, hours: int) -> None:
    older = c.model_copy(
        update={
            "opened_at": c.opened_at - timedelta(hours=hours),
            "first_response_at": None
            if c.first_response_at is None
            else c.first_response_at - timedelta(hours=hours),
        }
    )
    assert _s(older) >= _s(c)


@given(complaints_st(), st.sampled_from(["escalation", "safety"]))
def test_adding_a_signal_never_lowers_priority(c: Complaint, signal: str) -> None:
    text = EXTRAS[signal]
    assert text is not None
    louder = c.model_copy(update={"text": f"{c.text} {text}"})
    assert _s(louder) >= _s(c)


@given(complaints_st())
def test_broken_promise_never_lowers_priority(c: Complaint) -> None:
    promised = c.model_copy(update={"promised_by": c.opened_at + timedelta(minutes=1)})
    assert _s(promised) >= _s(c)


def _random_features(n: int, seed: int) -> ComplaintFeatures:
    rng = np.random.default_rng(seed)
    return ComplaintFeatures.from_arrays(
        complaint_ids=[f"q{i}" for i in range(n)],
        customer_ids=[f"u{i % 50}" for i in range(n)],
        opened_at=1.78e9 - rng.integers(0, 30, n) * 3600.0,  # many ties on purpose
        category=rng.integers(0, len(CATEGORY_CODES), n),
        safety=rng.random(n) < 0.05,
        escalation=rng.random(n) < 0.1,
        refund=rng.random(n) < 0.2,
        anger=rng.integers(0, 3, n) / 2,
        public=rng.random(n) < 0.3,
        repeats=rng.integers(0, 3, n),
        promise_broken=rng.random(n) < 0.1,
        responded=rng.random(n) < 0.5,
        customer_value=rng.integers(0, 3, n) / 2,
    )


@given(st.integers(0, 10_000), st.randoms())
def test_ranking_is_total_and_independent_of_input_order(seed: int, rnd: random.Random) -> None:
    f = _random_features(60, seed)
    as_of = datetime(2026, 6, 1, tzinfo=timezone.utc)
    q = rank_features(f, as_of=as_of)
    perm = list(range(len(f)))
    rnd.shuffle(perm)
    g = ComplaintFeatures.from_arrays(**{k: getattr(f, k)[perm] for k in f.__dataclass_fields__})
    q2 = rank_features(g, as_of=as_of)
    assert q.complaint_ids(f).tolist() == q2.complaint_ids(g).tolist()
    assert sorted(q.order.tolist()) == list(range(len(f)))


def test_queue_batch_path_agrees_with_per_customer_path() -> None:
    shop = sample_shop()
    scorer = ComplaintPriorityScorer()
    queue = rank_queue(shop.histories, as_of=shop.as_of, scorer=scorer)
    assert len(queue) > 5
    parts = [scorer.features(h.until(shop.as_of), as_of=shop.as_of)[0] for h in shop.histories]
    cols = {
        k: np.concatenate([getattr(p, k) for p in parts])
        for k in ComplaintFeatures.__dataclass_fields__
    }
    f = ComplaintFeatures.from_arrays(**cols)
    q = rank_features(f, as_of=shop.as_of)
    assert q.complaint_ids(f).tolist() == [i.complaint_id for i in queue.items]
    assert q.score[q.order].tolist() == [i.score for i in queue.items]
    levels = [f"P{lv + 1}" for lv in q.level[q.order]]
    assert levels == [i.level for i in queue.items]
    assert [i.respond_by.timestamp() for i in queue.items] == pytest.approx(
        q.respond_by[q.order].tolist()
    )


def test_queue_json_round_trip() -> None:
    shop = sample_shop(n_customers=20)
    q = rank_queue(shop.histories, as_of=shop.as_of)
    assert type(q).model_validate_json(q.model_dump_json()) == q


# --- the columnar path ---------------------------------------------------------------------

SHOP = sample_shop()


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


@pytest.mark.parametrize("hours_before", [0, 40, 24 * 200])
def test_batch_rows_equal_the_per_customer_results_on_the_sample_shop(hours_before: int) -> None:
    as_of = SHOP.as_of - timedelta(hours=hours_before)
    histories = _existing(SHOP.histories, as_of)
    scorer = ComplaintPriorityScorer()
    tiers, per_row = _tiers(histories, as_of)
    scores = scorer.score_batch(
        from_histories(histories), as_of=as_of, upstream={"loyalty.threshold": tiers}
    )
    assert scores.reasons is not None
    busy = 0
    for i, h in enumerate(histories):
        direct = scorer.score(h, as_of=as_of, upstream=per_row[i])
        assert scores.reasons.codes_of(i) == direct.reason_codes
        for j, reason in enumerate(direct.reasons):
            assert scores.reasons.evidence_of(i, j) == reason.evidence
        assert scores.result(i) == direct
        row = scores.row(h.customer.id)
        assert (row["level"], row["score"], row["overdue"]) == (
            direct.level,
            direct.score,
            direct.overdue,
        )
        assert row["open_items"] == len(direct.complaints)
        if direct.respond_by is None:
            assert np.isnan(row["respond_by_epoch"]) and row["top_complaint_id"] == ""
        else:
            assert row["respond_by_epoch"] == pytest.approx(direct.respond_by.timestamp())
            assert row["top_complaint_id"] == direct.complaints[0].complaint_id
            assert row["category"] == direct.complaints[0].category
            busy += 1
    assert busy >= (5 if hours_before == 0 else 1)


@settings(max_examples=40, deadline=None)
@given(
    population=strategies.shops(min_customers=1, max_customers=6),
    days=st.integers(0, 1500),
    hours=st.integers(0, 23),
)
def test_batch_result_equals_score_on_generated_shops(
    population: list[CustomerHistory], days: int, hours: int
) -> None:
    as_of = datetime(2023, 1, 1, tzinfo=SH) + timedelta(days=days, hours=hours)
    population = _existing(population, as_of)
    scorer = ComplaintPriorityScorer()
    tiers, per_row = _tiers(population, as_of)
    scores = scorer.score_batch(
        from_histories(population), as_of=as_of, upstream={"loyalty.threshold": tiers}
    )
    for i, h in enumerate(population):
        assert scores.result(i) == scorer.score(h, as_of=as_of, upstream=per_row[i])
    queue = rank_queue(scores)
    assert queue == rank_queue(population, as_of=as_of, scorer=scorer, upstream=per_row)


def test_work_queue_of_a_population_from_the_batch_path() -> None:
    as_of = SHOP.as_of
    scorer = ComplaintPriorityScorer()
    tiers, per_row = _tiers(SHOP.histories, as_of)
    batch = from_histories(SHOP.histories)
    scores = scorer.score_batch(batch, as_of=as_of, upstream={"loyalty.threshold": tiers})
    by_history = rank_queue(SHOP.histories, as_of=as_of, scorer=scorer, upstream=per_row)
    assert len(by_history) > 5
    assert rank_queue(scores) == by_history
    assert rank_queue(scores, as_of=as_of) == by_history
    assert (
        rank_queue(batch, as_of=as_of, scorer=scorer, upstream={"loyalty.threshold": tiers})
        == by_history
    )
    q = rank_features(scores)
    assert scores.items is not None
    assert q.complaint_ids(scores.items.features).tolist() == [
        i.complaint_id for i in by_history.items
    ]
    assert q.score[q.order].tolist() == [i.score for i in by_history.items]
    assert [scores.item(int(k)) for k in q.order] == list(by_history.items)
    # the customer value came from the loyalty scores
    assert scores.items.features.customer_value.max() > 0


def test_queue_arguments_are_checked() -> None:
    scores = ComplaintPriorityScorer().score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
    with pytest.raises(CustcareUsageError, match="describe"):
        rank_queue(scores, as_of=SHOP.as_of - timedelta(days=1))
    with pytest.raises(CustcareUsageError, match="already scored"):
        rank_queue(scores, scorer=ComplaintPriorityScorer())
    with pytest.raises(CustcareUsageError, match="no config"):
        rank_features(scores, config=PriorityConfig())
    with pytest.raises(CustcareUsageError, match="as_of is required"):
        rank_queue(SHOP.histories)
    with pytest.raises(CustcareUsageError, match="as_of is required"):
        rank_features(_random_features(3, 0))
    tiers, _ = _tiers(SHOP.histories[:3], SHOP.as_of)
    with pytest.raises(CustcareUsageError, match="not for the batch's customers"):
        ComplaintPriorityScorer().score_batch(
            from_histories(SHOP.histories[1:4]),
            as_of=SHOP.as_of,
            upstream={"loyalty.threshold": tiers},
        )


def test_a_batch_without_records_says_so() -> None:
    batch = CustomerBatch.from_arrays(
        customer_ids=["a", "b"],
        created_at=[0.0, 0.0],
        order_customer=[0, 1],
        order_time=[1.7e9, 1.7e9],
        order_total=[5.0, 6.0],
        currency="CNY",
    )
    scores = ComplaintPriorityScorer().score_batch(batch, as_of=AS_OF)
    assert scores.reasons is not None
    assert [scores.reasons.codes_of(i) for i in range(2)] == [("complaint.no_records",)] * 2
    r = scores.result(0)
    assert (r.level, r.score, r.respond_by, r.complaints) == ("P4", 0.0, None, ())
    assert scores["open_items"].tolist() == [0, 0]
    assert np.isnan(scores["respond_by_epoch"]).all()
    assert len(rank_queue(scores)) == 0
    # a customer with records but nothing open is told apart
    known = ComplaintPriorityScorer().score_batch(from_histories([history()]), as_of=AS_OF)
    assert known.result(0).reason_codes == ("complaint.none_open",)


def test_open_items_and_features_are_views_of_the_columns() -> None:
    r = Review(id="r1", customer_id="u1", posted_at=T0, rating=2, text="质量差")
    c = complaint("q1", text="说好三天到，一周了", promised_by=T0 + timedelta(hours=1))
    h = history(c, reviews=(r,))
    scorer = ComplaintPriorityScorer()
    items = scorer.open_items(h, as_of=AS_OF)
    assert [i.id for i in items] == ["q1", "review:r1"]
    assert items[1] == Complaint.from_review(r)
    features, again = scorer.features(h, as_of=AS_OF)
    assert again == items
    assert features.complaint_ids.tolist() == ["q1", "review:r1"]
    assert features.promise_broken.tolist() == [True, False]
    assert features.public.tolist() == [False, True]
    promise = next(x for x in scorer.score(h, as_of=AS_OF).complaints if x.complaint_id == "q1")
    message = next(x.message for x in promise.reasons if x.code == "complaint.promise_broken")
    assert message == "The promised time 2026-06-01T11:00:00+08:00 has passed."


def test_record_ids_repeated_across_customers_stay_apart() -> None:
    """Review and complaint ids need only be unique within one customer's history."""
    shops = []
    for cid, raised in (("u1", True), ("u2", False)):
        r = Review(id="r1", customer_id=cid, posted_at=T0, rating=2, text="质量差")
        complaints = (Complaint.from_review(r, id="q1"),) if raised else ()
        shops.append(
            CustomerHistory(
                customer=Customer(id=cid, created_at=T0 - timedelta(days=400)),
                reviews=(r,),
                complaints=complaints,
            )
        )
    scorer = ComplaintPriorityScorer()
    scores = scorer.score_batch(from_histories(shops), as_of=AS_OF)
    assert [x.complaint_id for x in scores.result(0).complaints] == ["q1"]
    assert [x.complaint_id for x in scores.result(1).complaints] == ["review:r1"]
    for i, h in enumerate(shops):
        assert scores.result(i) == scorer.score(h, as_of=AS_OF)


def test_score_many_equals_score_one_by_one() -> None:
    scorer = ComplaintPriorityScorer()
    _, per_row = _tiers(SHOP.histories, SHOP.as_of)
    many = scorer.score_many(SHOP.histories, as_of=SHOP.as_of, upstream=per_row)
    assert many == [
        scorer.score(h, as_of=SHOP.as_of, upstream=u)
        for h, u in zip(SHOP.histories, per_row, strict=True)
    ]
    # the same customer twice cannot share a batch: scored one by one
    twice = [history(complaint()), history(complaint(category="untrue"))]
    assert scorer.score_many(twice, as_of=AS_OF) == [scorer.score(h, as_of=AS_OF) for h in twice]


def test_pipeline_hands_loyalty_value_to_the_batch_path() -> None:
    scorers: list[Any] = [ThresholdTierScorer(), ComplaintPriorityScorer()]
    pipeline = Pipeline(scorers)
    table = pipeline.run(SHOP.histories, as_of=SHOP.as_of)
    valued = 0
    for h in SHOP.histories:
        report = table.explain(h.customer.id)
        tier = scorers[0].score(h, as_of=SHOP.as_of)
        direct = scorers[1].score(h, as_of=SHOP.as_of, upstream={"loyalty.threshold": tier})
        assert report["complaint.priority"] == direct
        valued += "complaint.customer_value" in direct.reason_codes
    assert valued > 0
    cols = table.to_dict()
    assert "complaint.priority.respond_by_epoch" in cols
    assert "complaint.priority.category_zh" in cols
