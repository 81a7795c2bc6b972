from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import custcare
from custcare import Customer, CustomerHistory, DataError, NotFittedError, Order, OrderLine
from custcare.batch import CustomerBatch, from_histories
from custcare.datasets import sample_shop
from custcare.loyalty import (
    DEFAULT_SEGMENTS,
    RFMConfig,
    RFMResult,
    RFMScorer,
    RFMScores,
    RFMSegment,
)
from custcare.models import OrderStatus
from custcare.scoring import CustomerValueScores
from custcare.testing import check_scorer, strategies

UTC = timezone.utc
T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)
SHOP = sample_shop()
DOCS = Path(__file__).parent.parent / "docs"

FIXED = {
    "recency_edges": (30, 90, 180, 365),
    "frequency_edges": (1, 2, 4, 8),
    "monetary_edges": ("100", "500", "1000", "5000"),
}


def _history(cid: str, *orders: tuple[float, str]) -> CustomerHistory:
    return CustomerHistory(
        customer=Customer(id=cid, created_at=T0),
        orders=[
            Order(
                id=f"{cid}-o{k}",
                customer_id=cid,
                placed_at=T0 + timedelta(days=day),
                currency="CNY",
                status="completed",
                lines=[OrderLine(sku="A", quantity=1, unit_price=Decimal(amount))],
            )
            for k, (day, amount) in enumerate(orders)
        ],
    )


def _batch(recency_days: list[float], as_of: datetime) -> CustomerBatch:
    """One order per customer, placed ``recency_days`` before ``as_of``, 10.00 each."""
    n = len(recency_days)
    end = as_of.timestamp()
    return CustomerBatch.from_arrays(
        customer_ids=[f"c{i}" for i in range(n)],
        created_at=np.zeros(n),
        order_customer=np.arange(n),
        order_time=end - np.asarray(recency_days) * 86_400.0,
        order_total=np.full(n, 10.0),
        currency="CNY",
    )


# --- the contract ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config", [{}, {"window_days": 180}, FIXED], ids=["default", "window", "fixed"]
)
def test_passes_the_kit(config: dict[str, Any]) -> None:
    check_scorer(RFMScorer(**config))


def test_unfitted_raises_and_state_round_trips() -> None:
    with pytest.raises(NotFittedError, match="call fit"):
        RFMScorer().score(SHOP.histories[0], as_of=SHOP.as_of)
    fitted = RFMScorer().fit(SHOP.histories, as_of=SHOP.as_of)
    back = RFMScorer.from_json(fitted.to_json())
    assert back.state == fitted.state
    assert custcare.get_scorer("loyalty.rfm").name == "loyalty.rfm"


def test_fit_on_histories_or_batch_is_the_same() -> None:
    a = RFMScorer().fit(SHOP.histories, as_of=SHOP.as_of)
    b = RFMScorer().fit(from_histories(SHOP.histories), as_of=SHOP.as_of)
    assert a.state == b.state


# --- scores and edges -----------------------------------------------------------------------


def test_fixed_edges_bins_are_upper_inclusive() -> None:
    as_of = T0 + timedelta(days=400)
    scorer = RFMScorer(**FIXED).fit([], as_of=as_of)
    cases = [
        (_history("a", (370, "100")), (5, 1, 1)),  # 30 days, 1 order, 100.00
        (_history("b", (369, "60"), (369.5, "41")), (4, 2, 2)),  # 30.5 days, 2 orders, 101.00
        (_history("c", *((d, "300") for d in (1, 2, 3, 4, 5, 6, 7, 8, 9))), (1, 5, 4)),
        (_history("d", (0, "6000")), (1, 1, 5)),  # 400 days: > 365
    ]
    for history, scores in cases:
        r = scorer.score(history, as_of=as_of)
        assert (r.recency_score, r.frequency_score, r.monetary_score) == scores, history.customer_id


def test_quantile_edges_give_five_even_bins() -> None:
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    batch = _batch([float(d) for d in range(1, 101)], as_of)
    rfm = RFMScorer().fit(batch, as_of=as_of)
    assert rfm.state.recency_edges == pytest.approx((20.8, 40.6, 60.4, 80.2))
    scores = rfm.score_batch(batch, as_of=as_of)["recency_score"]
    assert np.bincount(scores, minlength=6)[1:].tolist() == [20, 20, 20, 20, 20]


def test_ties_go_to_the_bin_of_their_upper_edge() -> None:
    # 70% one-time buyers: the 20/40/60% edges are all 1; one order scores F=1.
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    freq = [1] * 7 + [2, 5, 9]
    n = len(freq)
    batch = CustomerBatch.from_arrays(
        customer_ids=[f"c{i}" for i in range(n)],
        created_at=np.zeros(n),
        order_customer=np.repeat(np.arange(n), freq),
        order_time=np.full(sum(freq), as_of.timestamp() - 86_400.0),
        order_total=np.full(sum(freq), 10.0),
        currency="CNY",
    )
    rfm = RFMScorer().fit(batch, as_of=as_of)
    assert rfm.state.frequency_edges[:3] == (1.0, 1.0, 1.0)
    f = rfm.score_batch(batch, as_of=as_of)["frequency_score"].tolist()
    assert f == [1] * 7 + [4, 5, 5]


def test_fit_ignores_population_order() -> None:
    histories = list(SHOP.histories)
    a = RFMScorer().fit(histories, as_of=SHOP.as_of).state
    b = RFMScorer().fit(histories[::-1], as_of=SHOP.as_of).state
    assert a == b


@pytest.mark.parametrize("n", [1, 2, 3])
def test_small_and_all_equal_populations_do_not_crash(n: int) -> None:
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    batch = _batch([10.0] * n, as_of)
    rfm = RFMScorer().fit(batch, as_of=as_of)
    scores = rfm.score_batch(batch, as_of=as_of)
    assert set(scores["segment"].tolist()) == {"new"}  # R=5 (= the edge), F=1, M=1
    assert rfm.state.monetary_edges == (10.0, 10.0, 10.0, 10.0)


def test_no_buyers_cannot_be_learnt_but_fixed_edges_need_none() -> None:
    empty = [CustomerHistory(customer=Customer(id="x", created_at=T0))]
    with pytest.raises(DataError, match="cannot learn the recency edges"):
        RFMScorer().fit(empty, as_of=T0)
    r = RFMScorer(**FIXED).fit(empty, as_of=T0).score(empty[0], as_of=T0)
    assert (r.rfm_code, r.segment) == ("111", "no_purchase")


def test_empty_history_scores_lowest_with_a_reason() -> None:
    rfm = RFMScorer().fit(SHOP.histories, as_of=SHOP.as_of)
    r = rfm.score(CustomerHistory(customer=Customer(id="new", created_at=T0)), as_of=SHOP.as_of)
    assert (r.recency_days, r.frequency, r.monetary, r.rfm_code) == (
        None,
        0,
        Decimal("0.00"),
        "111",
    )
    assert (r.segment, r.segment_zh) == ("no_purchase", "未购买客户")
    assert r.reason_codes == ("loyalty.rfm.no_purchases",)


def test_reasons_cite_the_orders() -> None:
    rfm = RFMScorer().fit(SHOP.histories, as_of=SHOP.as_of)
    h = SHOP.histories[0]
    r = rfm.score(h, as_of=SHOP.as_of)
    assert r.reason_codes == (
        "loyalty.rfm.segment",
        "loyalty.rfm.recency",
        "loyalty.rfm.frequency",
        "loyalty.rfm.monetary",
    )
    assert r.reasons[1].evidence == (h.purchases[-1].id,)
    assert set(r.reasons[2].evidence) == {o.id for o in h.purchases}


def test_window_counts_only_recent_orders() -> None:
    as_of = T0 + timedelta(days=400)
    h = _history("a", (10, "100"), (390, "50"))
    r = RFMScorer(window_days=30, **FIXED).fit([], as_of=as_of).score(h, as_of=as_of)
    assert (r.frequency, r.monetary, r.recency_days) == (1, Decimal("50.00"), 10.0)


# --- segments -------------------------------------------------------------------------------

GRID = {
    5: ["new", "potential_loyalist", "potential_loyalist", "champions", "champions"],
    4: ["promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"],
    3: ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
    2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
    1: ["lost", "lost", "at_risk", "at_risk", "cant_lose"],
}


def test_default_segment_table_is_the_documented_grid() -> None:
    config = RFMConfig()
    for r, row in GRID.items():
        for fm, code in enumerate(row, start=1):
            for f in range(1, 6):
                for m in range(1, 6):
                    if (f + m + 1) // 2 == fm:
                        assert config.rule_for(r, f, m).code == code, (r, f, m)
    assert len({s.code for s in DEFAULT_SEGMENTS}) == 11


def test_reference_page_lists_every_default_segment() -> None:
    page = (DOCS / "reference" / "loyalty.md").read_text(encoding="utf-8")
    for seg in DEFAULT_SEGMENTS:
        assert f"`{seg.code}`" in page and seg.label_zh in page


def test_segments_are_replaceable() -> None:
    two = [
        {"code": "vip", "label_zh": "贵宾", "label_en": "VIP", "r": (4, 5), "m": (4, 5)},
        {"code": "others", "label_zh": "其他", "label_en": "Others"},
    ]
    rfm = RFMScorer(segments=two).fit(SHOP.histories, as_of=SHOP.as_of)
    segments = {r.segment for r in rfm.score_many(SHOP.histories, as_of=SHOP.as_of)}
    assert segments <= {"vip", "others", "no_purchase"} and "vip" in segments


@pytest.mark.parametrize(
    ("config", "error_type"),
    [
        (
            {"segments": [{"code": "a", "label_zh": "甲", "label_en": "A", "r": (2, 5)}]},
            "segments_incomplete",
        ),
        (
            {"segments": [{"code": "a", "label_zh": "甲", "label_en": "A", "r": (4, 2)}]},
            "empty_range",
        ),
        (
            {"segments": [{"code": "no_purchase", "label_zh": "甲", "label_en": "A"}]},
            "reserved_segment_code",
        ),
        ({"recency_edges": (30, 30, 90, 180)}, "edges_not_increasing"),
        ({"frequency_edges": (1, 2, 3)}, "missing"),
        ({"monetary_edges": (1.5, 2, 3, 4)}, "money_from_float"),
        ({"window_days": 0}, "greater_than_equal"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_config_is_rejected_naming_the_rule(config: dict[str, Any], error_type: str) -> None:
    with pytest.raises(ValidationError) as exc:
        RFMScorer(**config)
    assert error_type in {e["type"] for e in exc.value.errors()}


def test_segment_rule_describes_itself() -> None:
    seg = RFMSegment(code="x", label_zh="x", label_en="x", r=(1, 2), f=(3, 3))
    assert seg.describe() == "R 1-2, F 3"


# --- properties -----------------------------------------------------------------------------

CHECK_AS_OF = datetime(2025, 6, 1, 12, tzinfo=UTC)


def _unique(histories: list[CustomerHistory]) -> list[CustomerHistory]:
    return list({h.customer.id: h for h in histories}.values())


@settings(max_examples=15)
@given(st.lists(strategies.histories(max_reviews=0, max_complaints=0), min_size=1, max_size=5))
def test_scores_in_range_and_batch_agrees(histories: list[CustomerHistory]) -> None:
    histories = _unique(histories)
    assume(any(h.until(CHECK_AS_OF).purchases for h in histories))
    rfm = RFMScorer().fit(histories, as_of=CHECK_AS_OF)
    batch = rfm.score_batch(from_histories(histories), as_of=CHECK_AS_OF)
    for h in histories:
        r = rfm.score(h, as_of=CHECK_AS_OF)
        assert {r.recency_score, r.frequency_score, r.monetary_score} <= {1, 2, 3, 4, 5}
        row = batch.row(h.customer.id)
        assert (row["segment"], row["frequency_score"]) == (r.segment, r.frequency_score)
        assert RFMResult.model_validate_json(r.model_dump_json()) == r


@given(
    st.lists(st.integers(0, 400), min_size=1, max_size=30),
    st.lists(st.integers(0, 400), min_size=1, max_size=30),
)
def test_ties_are_deterministic_and_order_free(a: list[int], b: list[int]) -> None:
    as_of = datetime(2026, 1, 1, tzinfo=UTC)
    days = [float(x) for x in a + b]
    batch = _batch(days, as_of)
    rfm = RFMScorer().fit(batch, as_of=as_of)
    scores = rfm.score_batch(batch, as_of=as_of)["recency_score"]
    # the same recency always gets the same score, and more recent never scores lower
    order = np.argsort(days, kind="stable")
    assert np.all(np.diff(scores[order]) <= 0)
    rev = RFMScorer().fit(_batch(days[::-1], as_of), as_of=as_of)
    assert rev.state.recency_edges == rfm.state.recency_edges


# --- one columnar path: reasons as columns, results as one-row views ------------------------


def _population_with_non_buyers() -> list[CustomerHistory]:
    """The sample shop, a customer with no order, one whose only order was cancelled, and
    one whose two last orders were placed at the same moment (cited by id)."""
    cancelled = _history("cancelled", (100, "80"))
    order = cancelled.orders[0].model_copy(update={"status": OrderStatus.CANCELLED})
    twins = _history("twins", (300, "20"), (500, "30"), (500, "40"))
    b, a = (
        o.model_copy(update={"id": f"twins-{x}"})
        for o, x in zip(twins.orders[1:], "ba", strict=True)
    )
    return [
        *SHOP.histories,
        CustomerHistory(customer=twins.customer, orders=(twins.orders[0], b, a)),
        CustomerHistory(customer=Customer(id="never", created_at=T0)),
        CustomerHistory(customer=cancelled.customer, orders=(order,)),
    ]


def _expected_evidence(
    history: CustomerHistory, as_of: datetime, window_days: int | None
) -> dict[str, tuple[str, ...]]:
    """The documented evidence, straight from the records: last orders, counted orders."""
    bought = [o for o in history.purchases if o.placed_at <= as_of]
    if not bought:
        return {"loyalty.rfm.no_purchases": ()}
    latest = max(o.placed_at for o in bought)
    last = tuple(sorted(o.id for o in bought if o.placed_at == latest))
    start = None if window_days is None else as_of - timedelta(days=window_days)
    counted = tuple(
        o.id
        for o in sorted(bought, key=lambda o: (o.placed_at, o.id))
        if start is None or o.placed_at > start
    )
    return {
        "loyalty.rfm.segment": last,
        "loyalty.rfm.recency": last,
        "loyalty.rfm.frequency": counted,
        "loyalty.rfm.monetary": counted,
    }


@pytest.mark.parametrize("config", [{}, {"window_days": 90}], ids=["default", "window"])
def test_batch_reason_columns_equal_the_per_customer_reasons(config: dict[str, Any]) -> None:
    histories = _population_with_non_buyers()
    batch = from_histories(histories)
    rfm = RFMScorer(**config).fit(batch, as_of=SHOP.as_of)
    scores = rfm.score_batch(batch, as_of=SHOP.as_of)
    results = [rfm.score(h, as_of=SHOP.as_of) for h in histories]
    assert isinstance(scores, RFMScores) and scores.reasons is not None
    codes, cited = scores.reasons.code_lists(), scores.reasons.evidence_lists()
    assert [codes.row(i) for i in range(len(histories))] == [r.reason_codes for r in results]
    for i, r in enumerate(results):  # every cited id once
        assert sorted(cited.row(i)) == sorted(r.evidence)
    for i, r in enumerate(results):
        for j, reason in enumerate(r.reasons):
            assert scores.reasons.evidence_of(i, j) == reason.evidence
        assert scores.result(i) == r
        assert {reason.code: reason.evidence for reason in r.reasons} == _expected_evidence(
            histories[i], SHOP.as_of, config.get("window_days")
        )
    # not vacuous: buyers and non-buyers, cited orders, both currencies of a non-buyer
    assert {c for r in results for c in r.reason_codes} == {
        "loyalty.rfm.segment",
        "loyalty.rfm.recency",
        "loyalty.rfm.frequency",
        "loyalty.rfm.monetary",
        "loyalty.rfm.no_purchases",
    }
    assert sum(len(cited.row(i)) for i in range(len(histories))) > len(histories)
    assert (results[-2].currency, results[-1].currency) == (None, "CNY")


def test_batch_reasons_do_not_depend_on_the_order_of_rows() -> None:
    histories = _population_with_non_buyers()
    batch = from_histories(histories)
    perm = np.random.default_rng(5).permutation(batch.n_orders)
    assert batch.order_ids is not None
    shuffled = CustomerBatch.from_arrays(
        customer_ids=batch.customer_ids,
        created_at=batch.created_at,
        order_customer=batch.order_customer[perm],
        order_time=batch.order_time[perm],
        order_total=batch.order_total[perm],
        order_ids=batch.order_ids[perm],
        currency="CNY",
        uncounted_customer=batch.uncounted_customer,
        uncounted_time=batch.uncounted_time,
        uncounted_status=batch.uncounted_status,
        uncounted_ids=batch.uncounted_ids,
    )
    rfm = RFMScorer(window_days=200).fit(batch, as_of=SHOP.as_of)
    a = rfm.score_batch(batch, as_of=SHOP.as_of)
    b = rfm.score_batch(shuffled, as_of=SHOP.as_of)
    assert [b.result(i) for i in range(len(b))] == [a.result(i) for i in range(len(a))]
    twins = [h.customer.id for h in histories].index("twins")
    assert b.result(twins).reasons[1].evidence == ("twins-a", "twins-b")


def test_batch_columns_carry_labels_and_customer_value() -> None:
    batch = from_histories(SHOP.histories)
    rfm = RFMScorer().fit(batch, as_of=SHOP.as_of)
    scores = rfm.score_batch(batch, as_of=SHOP.as_of)
    assert isinstance(scores, CustomerValueScores)
    for i, h in enumerate(SHOP.histories):
        r = rfm.score(h, as_of=SHOP.as_of)
        assert (scores["label_zh"][i], scores["label_en"][i]) == (r.segment_zh, r.segment_en)
        assert (r.label_zh, r.label_en) == (r.segment_zh, r.segment_en)
        assert scores.customer_value[i] == pytest.approx(r.customer_value)
    assert len(set(scores["label_zh"].tolist())) > 3
    assert 0.0 <= scores.customer_value.min() < scores.customer_value.max() <= 1.0


@settings(max_examples=40, deadline=None)
@given(
    population=strategies.shops(min_customers=1, max_customers=6),
    days=st.integers(0, 900),
    config=st.sampled_from([{}, {"window_days": 120}, FIXED]),
)
def test_batch_result_equals_score_on_generated_shops(
    population: list[CustomerHistory], days: int, config: dict[str, Any]
) -> None:
    as_of = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=days)
    if "recency_edges" not in config:  # learnt edges need a buyer
        assume(any(h.until(as_of).purchases for h in population))
    rfm = RFMScorer(**config).fit(population, as_of=as_of)
    scores = rfm.score_batch(from_histories(population), as_of=as_of)
    for i, h in enumerate(population):
        assert scores.result(i) == rfm.score(h, as_of=as_of)


# --- the tutorials run ----------------------------------------------------------------------


def _python_blocks(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL))


@pytest.mark.parametrize("page", ["online-shop.md", "auto-repair.md"])
def test_tutorial_code_runs(page: str) -> None:
    code = _python_blocks(DOCS / "tutorials" / page)
    assert code
    exec(compile(code, page, "exec"), {"__name__": "tutorial"})
