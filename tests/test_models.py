from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from pydantic import ValidationError

import custcare
from custcare import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    Customer,
    CustomerHistory,
    Order,
    OrderLine,
    OrderStatus,
    Review,
)
from custcare.testing import strategies

UTC = timezone.utc


def line(price: str = "10", qty: int = 1, cost: str | None = None) -> OrderLine:
    return OrderLine(
        sku="A",
        quantity=qty,
        unit_price=Decimal(price),
        unit_cost=None if cost is None else Decimal(cost),
    )


def order(t0: datetime, oid: str = "o1", cid: str = "u1", **kw: object) -> Order:
    base: dict[str, object] = {
        "id": oid,
        "customer_id": cid,
        "placed_at": t0,
        "currency": "CNY",
        "status": "completed",
        "lines": [line()],
    }
    base.update(kw)
    return Order(**base)  # type: ignore[arg-type]


def error_of(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, object]:
    errors = exc.value.errors()
    assert len(errors) == 1, errors
    return dict(errors[0])


# --- bad input is rejected, naming the field and the rule ------------------------------


def test_negative_price_is_rejected_naming_field() -> None:
    with pytest.raises(ValidationError) as exc:
        OrderLine(sku="A", quantity=1, unit_price=Decimal("-1"))
    err = error_of(exc)
    assert err["loc"] == ("unit_price",)
    assert err["type"] == "negative_amount"


def test_float_money_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        OrderLine(sku="A", quantity=1, unit_price=9.9)  # type: ignore[arg-type]
    assert error_of(exc)["type"] == "money_from_float"


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
def test_non_finite_money_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        OrderLine(sku="A", quantity=1, unit_price=Decimal(value))
    assert error_of(exc)["type"] == "finite_number"


def test_quantity_zero_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        OrderLine(sku="A", quantity=0, unit_price=Decimal(1))
    assert error_of(exc)["loc"] == ("quantity",)


def test_naive_datetime_is_rejected_with_message(t0: datetime) -> None:
    with pytest.raises(ValidationError) as exc:
        order(t0.replace(tzinfo=None))
    err = error_of(exc)
    assert err["loc"] == ("placed_at",)
    assert err["type"] == "naive_datetime"
    assert "timezone-aware" in str(err["msg"])


@pytest.mark.parametrize("rating", [0, 6, 7, -1])
def test_rating_out_of_range_is_rejected(t0: datetime, rating: int) -> None:
    with pytest.raises(ValidationError) as exc:
        Review(id="r", customer_id="u1", posted_at=t0, rating=rating)
    assert error_of(exc)["loc"] == ("rating",)


def test_rating_as_float_is_rejected(t0: datetime) -> None:
    with pytest.raises(ValidationError):
        Review(id="r", customer_id="u1", posted_at=t0, rating=4.5)  # type: ignore[arg-type]


def test_unknown_field_is_rejected(t0: datetime) -> None:
    with pytest.raises(ValidationError) as exc:
        Customer(id="u1", created_at=t0, nmae="typo")  # type: ignore[call-arg]
    err = error_of(exc)
    assert err["loc"] == ("nmae",)
    assert err["type"] == "extra_forbidden"


@pytest.mark.parametrize("code", ["cny", "RMB1", "", "€€€"])
def test_bad_currency_code_is_rejected(t0: datetime, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        order(t0, currency=code)
    assert error_of(exc)["loc"] == ("currency",)


def test_discount_above_subtotal_is_rejected(t0: datetime) -> None:
    with pytest.raises(ValidationError, match="discount"):
        order(t0, discount=Decimal("11"))


def test_delivery_before_order_is_rejected(t0: datetime) -> None:
    with pytest.raises(ValidationError, match="delivered_at"):
        order(t0, delivered_at=t0 - timedelta(hours=1))


def test_order_needs_lines(t0: datetime) -> None:
    with pytest.raises(ValidationError) as exc:
        order(t0, lines=[])
    assert error_of(exc)["loc"] == ("lines",)


def test_unknown_status_is_rejected(t0: datetime) -> None:
    with pytest.raises(ValidationError) as exc:
        order(t0, status="done")
    assert error_of(exc)["loc"] == ("status",)


def test_complaint_response_before_opening_is_rejected(t0: datetime) -> None:
    with pytest.raises(ValidationError, match="first_response_at"):
        Complaint(
            id="q",
            customer_id="u1",
            opened_at=t0,
            channel="chat",
            first_response_at=t0 - timedelta(minutes=1),
        )


def test_review_revision_needs_both_fields(t0: datetime) -> None:
    with pytest.raises(ValidationError, match="together"):
        Review(id="r", customer_id="u1", posted_at=t0, rating=2, revised_rating=4)


def test_empty_id_is_rejected(t0: datetime) -> None:
    with pytest.raises(ValidationError) as exc:
        Customer(id="  ", created_at=t0)
    assert error_of(exc)["type"] == "empty_string"


# --- derived values ----------------------------------------------------------------------


def test_totals_and_margin_are_derived(t0: datetime) -> None:
    o = order(t0, lines=[line("99", 2, "45"), line("9.9", 30, "7.2")], discount=Decimal("10"))
    assert o.subtotal == Decimal("495.0")
    assert o.total == Decimal("485.0")
    assert o.margin == Decimal("485.0") - Decimal("90") - Decimal("216.0")
    assert isinstance(o.total, Decimal)


def test_margin_unknown_when_any_cost_unknown(t0: datetime) -> None:
    o = order(t0, lines=[line("99", 2, "45"), line("9.9", 1)])
    assert o.margin is None
    assert o.cost is None


def test_only_completed_orders_count(t0: datetime) -> None:
    counted = {s for s in OrderStatus if order(t0, status=s).counts_as_purchase}
    assert counted == {OrderStatus.COMPLETED}


def test_labels_are_bilingual() -> None:
    assert ComplaintCategory.LONG_WAIT.label("zh") == "等待时间过长"
    assert ComplaintCategory.LONG_WAIT.label("en") == "Waiting too long"
    assert {c.value for c in ComplaintCategory} == {
        "staff_attitude",
        "overcharging",
        "long_wait",
        "product_quality",
        "promise_not_kept",
        "not_fixed_first_time",
        "warranty_dispute",
        "poor_after_sales",
        "exaggerated_advertising",
        "untrue",
    }
    assert all(c.label_zh and c.label_en for c in ComplaintCategory)


# --- personal data ---------------------------------------------------------------------


def test_personal_fields_are_masked_in_repr_and_str(t0: datetime) -> None:
    c = Customer(
        id="u1",
        created_at=t0,
        name="张伟",
        phone="13812348000",
        email="zhang.wei@example.com",
        address="上海市浦东新区世纪大道100号",
    )
    for text in (repr(c), str(c)):
        assert "13812348000" not in text
        assert "138****8000" in text
        assert "张伟" not in text
        assert "zhang.wei" not in text
        assert "世纪大道" not in text
    assert c.phone == "13812348000"  # the value itself is kept for the caller
    red = c.redacted()
    assert red["phone"] == "138****8000"
    assert red["email"] == "z***@example.com"
    assert "13812348000" not in str(red)


def test_history_repr_masks_nested_customer(t0: datetime) -> None:
    h = CustomerHistory(customer=Customer(id="u1", created_at=t0, phone="13812348000"))
    assert "13812348000" not in repr(h)


# --- history consistency -----------------------------------------------------------------


def customer(t0: datetime, cid: str = "u1") -> Customer:
    return Customer(id=cid, created_at=t0 - timedelta(days=100))


def test_history_rejects_other_customers_order(t0: datetime) -> None:
    with pytest.raises(ValidationError) as exc:
        CustomerHistory(customer=customer(t0), orders=[order(t0, cid="u2")])
    err = error_of(exc)
    assert err["type"] == "foreign_record"
    assert "'u2'" in str(err["msg"]) and "orders[0]" in str(err["msg"])


def test_history_rejects_duplicate_ids(t0: datetime) -> None:
    with pytest.raises(ValidationError) as exc:
        CustomerHistory(customer=customer(t0), orders=[order(t0), order(t0 + timedelta(days=1))])
    assert error_of(exc)["type"] == "duplicate_id"


def test_history_rejects_duplicate_ids_across_kinds(t0: datetime) -> None:
    review = Review(id="o1", customer_id="u1", posted_at=t0, rating=5)
    with pytest.raises(ValidationError) as exc:
        CustomerHistory(customer=customer(t0), orders=[order(t0)], reviews=[review])
    assert error_of(exc)["type"] == "duplicate_id"


def test_history_rejects_review_before_its_order(t0: datetime) -> None:
    review = Review(
        id="r1", customer_id="u1", order_id="o1", posted_at=t0 - timedelta(hours=1), rating=1
    )
    with pytest.raises(ValidationError) as exc:
        CustomerHistory(customer=customer(t0), orders=[order(t0)], reviews=[review])
    err = error_of(exc)
    assert err["type"] == "before_order"
    assert "r1" in str(err["msg"])


def test_history_rejects_review_of_unknown_order(t0: datetime) -> None:
    review = Review(id="r1", customer_id="u1", order_id="o404", posted_at=t0, rating=1)
    with pytest.raises(ValidationError) as exc:
        CustomerHistory(customer=customer(t0), reviews=[review])
    assert error_of(exc)["type"] == "unknown_order"


def test_history_rejects_complaint_of_unknown_order(t0: datetime) -> None:
    c = Complaint(id="q1", customer_id="u1", order_id="o404", opened_at=t0, channel="chat")
    with pytest.raises(ValidationError) as exc:
        CustomerHistory(customer=customer(t0), complaints=[c])
    assert error_of(exc)["type"] == "unknown_order"


def test_history_rejects_mixed_currencies(t0: datetime) -> None:
    with pytest.raises(ValidationError) as exc:
        CustomerHistory(
            customer=customer(t0),
            orders=[order(t0), order(t0, oid="o2", currency="USD")],
        )
    err = error_of(exc)
    assert err["type"] == "mixed_currencies"
    assert "convert" in str(err["msg"])


def test_history_sorts_records_by_time_then_id(t0: datetime) -> None:
    later, earlier = order(t0 + timedelta(days=2), oid="a"), order(t0, oid="b")
    tie = order(t0, oid="a0")
    h = CustomerHistory(customer=customer(t0), orders=[later, earlier, tie])
    assert [o.id for o in h.orders] == ["a0", "b", "a"]


def test_until_drops_later_records_and_clears_later_facts(t0: datetime) -> None:
    o = order(t0, delivered_at=t0 + timedelta(days=3))
    c = Complaint(
        id="q1",
        customer_id="u1",
        order_id="o1",
        opened_at=t0 + timedelta(days=1),
        channel="phone",
        resolved_at=t0 + timedelta(days=5),
    )
    late = order(t0 + timedelta(days=10), oid="o2")
    h = CustomerHistory(customer=customer(t0), orders=[o, late], complaints=[c])
    view = h.until(t0 + timedelta(days=2))
    assert [x.id for x in view.orders] == ["o1"]
    assert view.orders[0].delivered_at is None
    assert view.complaints[0].is_open
    # the original is unchanged
    assert h.orders[0].delivered_at is not None and not h.complaints[0].is_open


def test_until_rejects_naive(t0: datetime) -> None:
    h = CustomerHistory(customer=customer(t0))
    with pytest.raises(ValueError, match="timezone-aware"):
        h.until(t0.replace(tzinfo=None))


def test_complaint_from_negative_review(t0: datetime) -> None:
    r = Review(id="r1", customer_id="u1", posted_at=t0, rating=2, text="物流太慢")
    c = Complaint.from_review(r)
    assert c.channel is ComplaintChannel.REVIEW and c.channel.is_public
    assert (c.opened_at, c.text, c.review_id) == (t0, "物流太慢", "r1")


def test_complaint_from_positive_review_is_refused(t0: datetime) -> None:
    r = Review(id="r1", customer_id="u1", posted_at=t0, rating=5)
    with pytest.raises(ValueError, match="rating 5"):
        Complaint.from_review(r)


def test_revised_rating_is_effective(t0: datetime) -> None:
    r = Review(
        id="r1",
        customer_id="u1",
        posted_at=t0,
        rating=1,
        revised_rating=5,
        revised_at=t0 + timedelta(days=1),
    )
    assert r.effective_rating == 5 and not r.is_negative


def test_json_schema_documents_the_format() -> None:
    schema = custcare.json_schema()
    assert schema["title"] == "CustomerHistory"
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    assert {"Order", "OrderLine", "Review", "Complaint", "Customer"} <= set(defs)


def test_models_are_frozen(t0: datetime) -> None:
    o = order(t0)
    with pytest.raises(ValidationError):
        o.currency = "USD"  # type: ignore[misc]


def test_input_list_is_not_mutated(t0: datetime) -> None:
    orders = [order(t0 + timedelta(days=1), oid="b"), order(t0, oid="a")]
    snapshot = list(orders)
    CustomerHistory(customer=customer(t0), orders=orders)
    assert orders == snapshot


# --- properties --------------------------------------------------------------------------


@given(strategies.histories())
def test_history_json_round_trip_is_exact(h: CustomerHistory) -> None:
    back = CustomerHistory.model_validate_json(h.model_dump_json())
    assert back == h


@given(strategies.histories())
def test_generated_histories_validate(h: CustomerHistory) -> None:
    assert CustomerHistory.model_validate(h.model_dump()) == h


@given(strategies.histories(), strategies.aware_datetimes())
def test_until_never_contains_later_records(h: CustomerHistory, as_of: datetime) -> None:
    if as_of < h.customer.created_at:
        with pytest.raises(custcare.errors.NotYetCreatedError):
            h.until(as_of)
        return
    view = h.until(as_of)
    for rec in (*view.orders, *view.reviews, *view.complaints):
        assert rec.time <= as_of
    for c in view.complaints:
        assert c.resolved_at is None or c.resolved_at <= as_of
        assert c.first_response_at is None or c.first_response_at <= as_of
    assert view.record_ids <= h.record_ids


@given(strategies.histories(), strategies.aware_datetimes())
def test_until_is_idempotent_and_valid(h: CustomerHistory, as_of: datetime) -> None:
    if as_of < h.customer.created_at:
        assert not h.exists_at(as_of)
        return
    view = h.until(as_of)
    assert view.until(as_of) == view
    assert CustomerHistory.model_validate(view.model_dump()) == view


@given(strategies.histories())
def test_shuffled_records_give_equal_history(h: CustomerHistory) -> None:
    shuffled = CustomerHistory(
        customer=h.customer,
        orders=tuple(reversed(h.orders)),
        reviews=tuple(reversed(h.reviews)),
        complaints=h.complaints[1:] + h.complaints[:1],
    )
    assert shuffled == h


def test_sample_shop_is_seeded() -> None:
    a, b = custcare.datasets.sample_shop(seed=3), custcare.datasets.sample_shop(seed=3)
    assert a == b
    assert a != custcare.datasets.sample_shop(seed=4)
    assert a.as_of.tzinfo is not None
