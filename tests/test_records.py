"""CareRecords: reviews, complaints, deliveries and purchase lines as columns, cut in step."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custcare import Complaint, Customer, CustomerHistory, Order, OrderLine, Review
from custcare.batch import CustomerBatch, from_histories
from custcare.batch._records import (
    DETAILED_RATINGS,
    NATURAL_MARKERS,
    CareRecords,
    records_from_histories,
)
from custcare.datasets import sample_shop
from custcare.models import DetailedRatings, population_until
from custcare.testing import strategies

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
H = timedelta(hours=1)

# The record tables: (id column, the columns of the table).
_TABLES = {
    "review": "review_ids",
    "complaint": "complaint_ids",
    "order": "order_ids",
}


def _plain(records: CareRecords) -> dict[str, Any]:
    """The records as comparable Python values, each table sorted by (customer, id).

    Row order inside a table carries no meaning, so two records are equal when they
    hold the same rows; a line is named by its order's id.
    """
    out: dict[str, Any] = {
        "n_customers": records.n_customers,
        "assigned_agent": records.assigned_agent.tolist(),
        "natural_markers": records.natural_markers.tolist(),
    }
    for prefix, id_column in _TABLES.items():
        ids = getattr(records, id_column)
        customer = getattr(records, f"{prefix}_customer")
        order = np.lexsort((ids, customer))
        for f in fields(records):
            if f.name.startswith(f"{prefix}_"):
                values = getattr(records, f.name)[order]
                out[f.name] = [_value(v) for v in values.tolist()]
    lines = sorted(
        zip(
            records.order_ids[records.line_order].tolist(),
            records.line_sku.tolist(),
            records.line_category.tolist(),
            strict=True,
        )
    )
    out["lines"] = lines
    since = records.marker_since
    out["marker_since"] = None if since is None else _value(since.tolist())
    out["reopens"] = sorted(
        zip(
            records.complaint_ids[records.reopen_complaint].tolist(),
            records.reopen_time.tolist(),
            strict=True,
        )
    )
    return out


def _value(v: Any) -> Any:
    """NaN equals NaN here (a missing time or rating)."""
    if isinstance(v, float) and np.isnan(v):
        return "NaN"
    if isinstance(v, list):
        return [_value(x) for x in v]
    return v


def _history() -> CustomerHistory:
    customer = Customer(
        id="u1",
        created_at=T0 - 400 * 24 * H,
        name="张伟",
        phone="13812348000",
        tags=("VIP", "Moved"),
        attributes={"deceased": False, "已故": True, "relocated": "yes"},
        assigned_agent_id="agent-lin",
    )
    lines = (
        OrderLine(sku="A", quantity=1, unit_price=Decimal("5"), category="tea"),
        OrderLine(sku="B", quantity=2, unit_price=Decimal("3")),
    )
    orders = (
        Order(
            id="o1",
            customer_id="u1",
            placed_at=T0,
            currency="CNY",
            status="completed",
            lines=lines,
            promised_delivery_at=T0 + 48 * H,
            delivered_at=T0 + 72 * H,
        ),
        Order(
            id="o2",
            customer_id="u1",
            placed_at=T0 + 1 * H,
            currency="CNY",
            status="returned",
            lines=lines[:1],
        ),
    )
    reviews = (
        Review(
            id="r1",
            customer_id="u1",
            order_id="o1",
            posted_at=T0 + 100 * H,
            rating=2,
            text="secret text 13812348000",
            detailed=DetailedRatings(service_attitude=1),
            seller_replied_at=T0 + 110 * H,
            revised_rating=4,
            revised_at=T0 + 200 * H,
        ),
    )
    complaints = (
        Complaint(
            id="q1",
            customer_id="u1",
            order_id="o1",
            opened_at=T0 + 101 * H,
            channel="review",
            text="broken",
            category="long_wait",
            promised_by=T0 + 120 * H,
            first_response_at=T0 + 105 * H,
            resolved_at=T0 + 300 * H,
            reopened=2,
            review_id="r1",
        ),
        Complaint(id="q2", customer_id="u1", opened_at=T0 + 500 * H, channel="phone"),
    )
    return CustomerHistory(customer=customer, orders=orders, reviews=reviews, complaints=complaints)


def test_columns_hold_what_the_scorers_read() -> None:
    r = records_from_histories([_history()])
    assert r.n_customers == 1
    assert r.assigned_agent.tolist() == ["agent-lin"]
    # tags are matched case-insensitively; attributes only when exactly True
    assert [m for m, on in zip(NATURAL_MARKERS, r.natural_markers[0], strict=True) if on] == [
        "moved",
        "已故",
    ]
    assert r.review_ids.tolist() == ["r1"]
    assert r.review_detailed.shape == (1, len(DETAILED_RATINGS))
    assert np.isnan(r.review_detailed[0, 0]) and r.review_detailed[0, 1] == 1.0
    assert r.review_effective_rating.tolist() == [4]
    assert not r.review_negative[0]
    assert r.complaint_ids.tolist() == ["q1", "q2"]
    assert r.complaint_category.tolist() == [2, -1]  # long_wait, none
    assert r.complaint_public.tolist() == [True, False]
    assert r.complaint_open.tolist() == [False, True]
    assert r.complaint_review_id.tolist() == ["r1", ""]
    assert r.complaint_order_id.tolist() == ["o1", ""]
    assert np.isnan(r.complaint_promised_by[1])
    assert r.order_ids.tolist() == ["o1", "o2"]
    assert r.order_counted.tolist() == [True, False]
    assert r.order_delivered_late.tolist() == [True, False]
    # lines of purchases only (the returned order's line is not a purchase line)
    assert r.line_sku.tolist() == ["A", "B"]
    assert r.line_category.tolist() == ["tea", ""]
    assert r.order_ids[r.line_order].tolist() == ["o1", "o1"]


def test_no_personal_data_is_copied_and_repr_shows_sizes_only() -> None:
    r = records_from_histories([_history()])
    text = repr(r)
    assert text == "CareRecords(n_customers=1, reviews=1, complaints=2, orders=2, lines=2)"
    copied = " ".join(
        " ".join(map(str, getattr(r, f.name).ravel().tolist()))
        for f in fields(r)
        if isinstance(getattr(r, f.name), np.ndarray) and not f.name.endswith("_text")
    )
    for personal in ("张伟", "13812348000", "VIP", "Moved", "relocated"):
        assert personal not in copied


def test_arrays_are_frozen() -> None:
    r = records_from_histories(sample_shop(n_customers=5).histories)
    for f in fields(r):
        value = getattr(r, f.name)
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, f.name
    cut = r.until(r.review_posted.max() - 1.0)
    assert not cut.review_ids.flags.writeable


def test_until_clears_later_facts_like_the_history_does() -> None:
    h = _history()
    cut = T0 + 150 * H
    r = records_from_histories([h]).until(cut.timestamp())
    assert _plain(r) == _plain(records_from_histories([h.until(cut)]))
    assert r.complaint_ids.tolist() == ["q1"]  # q2 is later
    assert r.complaint_open.tolist() == [True]  # resolved later
    assert r.complaint_first_response.tolist() == [(T0 + 105 * H).timestamp()]
    assert r.review_revised_rating.tolist() == [0] and np.isnan(r.review_revised_at[0])
    assert r.review_negative.tolist() == [True]  # the revision to 4 stars is later
    early = records_from_histories([h]).until((T0 + 50 * H).timestamp())
    assert np.isnan(early.order_delivered[0]) and not early.order_delivered_late.any()


def test_until_returns_itself_when_nothing_changes() -> None:
    r = records_from_histories(sample_shop(n_customers=8).histories)
    assert r.until(float("inf")) is r
    assert r.until(0.0) is not r


def test_empty_records() -> None:
    r = CareRecords.empty(3)
    assert r.n_customers == 3
    assert r.assigned_agent.tolist() == ["", "", ""]
    assert r.natural_markers.shape == (3, len(NATURAL_MARKERS))
    assert r.review_ids.size == r.complaint_ids.size == r.order_ids.size == r.line_sku.size == 0
    assert r.take(np.array([1, -1, 0])).n_customers == 2


@given(population=strategies.shops(max_customers=6), days=st.integers(0, 1900))
def test_until_equals_records_of_the_cut_histories(
    population: list[CustomerHistory], days: int
) -> None:
    cut = datetime(2022, 12, 1, tzinfo=UTC) + timedelta(days=days, hours=days % 24)
    # Customers created after the cut cannot be cut (NotYetCreatedError): compare the others.
    population = [h for h in population if h.exists_at(cut)]
    whole = records_from_histories(population)
    expected = records_from_histories(population_until(population, cut))
    assert _plain(whole.until(cut.timestamp())) == _plain(expected)
    # the batch cuts its records in step
    batch = from_histories(population).until(cut)
    assert batch.records is not None
    assert _plain(batch.records) == _plain(expected)


@given(population=strategies.shops(max_customers=6), data=st.data())
def test_take_equals_records_of_the_taken_histories(
    population: list[CustomerHistory], data: st.DataObject
) -> None:
    n = len(population)
    rows = data.draw(st.permutations(range(n)).flatmap(lambda p: st.just(p[: max(1, n // 2)])))
    new_row = np.full(n, -1, dtype=np.int64)
    new_row[list(rows)] = np.arange(len(rows))
    taken = records_from_histories(population).take(new_row)
    expected = records_from_histories([population[r] for r in rows])
    assert _plain(taken) == _plain(expected)
    batch = from_histories(population).take(list(rows))
    assert batch.records is not None
    assert _plain(batch.records) == _plain(expected)


def test_from_arrays_batch_has_no_records() -> None:
    b = CustomerBatch.from_arrays(
        customer_ids=["a"],
        created_at=[0.0],
        order_customer=[0],
        order_time=[1.0],
        order_total=[1.0],
        currency="CNY",
    )
    assert b.records is None
    assert from_histories([_history()]).records is not None


@pytest.mark.parametrize("n", [0, 1, 7])
def test_one_row_per_customer(n: int) -> None:
    r = records_from_histories(sample_shop(n_customers=8).histories[:n])
    assert r.n_customers == n == r.assigned_agent.size == r.natural_markers.shape[0]


def _dated(cut_hours: float) -> tuple[CareRecords, CareRecords]:
    """Records of a history with a dated tag and dated reopens, cut two ways."""
    h = _history()
    customer = h.customer.model_copy(
        update={"tags": ("VIP", "Moved", "deceased"), "tagged_at": {"deceased": T0 + 400 * H}}
    )
    q1 = h.complaints[0].model_copy(
        update={"reopened": 2, "reopened_at": (T0 + 150 * H, T0 + 250 * H)}
    )
    dated = h.model_copy(update={"customer": customer, "complaints": (q1, h.complaints[1])})
    dated = CustomerHistory.model_validate(dated.model_dump())
    cut = T0 + cut_hours * H
    return records_from_histories([dated]).until(cut.timestamp()), records_from_histories(
        [dated.until(cut)]
    )


@pytest.mark.parametrize("cut_hours", [200, 280, 450])
def test_dated_tags_and_reopens_are_cut_like_the_history(cut_hours: float) -> None:
    cut_whole, of_cut = _dated(cut_hours)
    assert _plain(cut_whole) == _plain(of_cut)
    deceased = NATURAL_MARKERS.index("deceased")
    assert bool(cut_whole.natural_markers[0, deceased]) is (cut_hours >= 400)
    q1 = cut_whole.complaint_ids.tolist().index("q1")
    assert int(cut_whole.complaint_reopened[q1]) == (1 if cut_hours < 250 else 2)


def test_batch_scores_do_not_see_a_tag_or_reopen_dated_after_as_of() -> None:
    from custcare.churn import ChurnCauseScorer

    h = _history()
    customer = h.customer.model_copy(
        update={"tags": ("deceased",), "tagged_at": {"deceased": T0 + 400 * H}, "attributes": {}}
    )
    dated = CustomerHistory.model_validate(h.model_copy(update={"customer": customer}).model_dump())
    scorer = ChurnCauseScorer()
    as_of = T0 + 350 * H
    batch = scorer.score_batch(from_histories([dated]), as_of=as_of).result(0)
    assert batch == scorer.score(dated, as_of=as_of)
    assert "churn_cause.customer.moved_or_deceased" not in batch.reason_codes
    later = scorer.score_batch(from_histories([dated]), as_of=T0 + 450 * H).result(0)
    assert "churn_cause.customer.moved_or_deceased" in later.reason_codes


def test_from_histories_runs_no_garbage_collection_and_restores_the_collector() -> None:
    # Each collection walks every live object, the caller's histories included, so
    # collections triggered while building columns made big populations slow.
    import gc

    histories = sample_shop(n_customers=200).histories
    started: list[int] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.collect()
    gc.callbacks.append(on_gc)
    try:
        batch = from_histories(histories)
    finally:
        gc.callbacks.remove(on_gc)
    assert batch.n_customers == 200
    assert started == []
    assert gc.isenabled()
