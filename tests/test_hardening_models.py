"""Catalogue of hostile input for the domain model (issue 11, model part).

One test (or parametrised case) per class of the issue: personal data in errors
and reprs (2), money range and exactness (3), look-ahead through the population
and undated facts (7), exact JSON round trips (9), crashes at the edges (10), and
the bad-input list of the models' docs. Names new in the fix are reached through
their modules, so each case fails on its own on the code before the fix.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import custcare.errors as errors_module
import custcare.models as models
from custcare import (
    Complaint,
    Customer,
    CustomerHistory,
    Order,
    OrderLine,
    Review,
)
from custcare.errors import CustcareError
from custcare.models import MarketEvent

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

# --- planted personal data ---------------------------------------------------------------

NAME = "欧阳娜娜"
PHONE = "13987654321"
PHONE_INT = 13987654321
EMAIL = "ouyang.nana@example.org"
ADDRESS = "北京市朝阳区建国路88号"
REGION = "朝阳区建国门外"
TAG = "肾透析患者"
ATTRIBUTE = "身份证110101199003077777"
ID_CARD = "110101199003071234"
REVIEW_TEXT = "快递员把我的地址贴在门上了 太差"
COMPLAINT_TEXT = "电话13987654321一直打不通 要求赔偿"
DESCRIPTION = "欧阳娜娜家中失火"

PLANTED = (
    NAME,
    PHONE,
    str(PHONE_INT),
    EMAIL,
    ADDRESS,
    REGION,
    TAG,
    ATTRIBUTE,
    ID_CARD,
    REVIEW_TEXT,
    COMPLAINT_TEXT,
    DESCRIPTION,
    "ouyang.nana",
    "建国路88号",
    "肾透析",
    "110101199003077777",
)


def personal_customer(cid: str = "u1", **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": cid,
        "created_at": T0 - timedelta(days=300),
        "name": NAME,
        "phone": PHONE,
        "email": EMAIL,
        "address": ADDRESS,
        "region": REGION,
        "tags": (TAG,),
        "attributes": {"note": ATTRIBUTE, "daily_km": 88.5},
    }
    data.update(kw)
    return data


def line(price: str = "10", qty: int = 1, cost: str | None = None) -> dict[str, Any]:
    return {"sku": "A", "quantity": qty, "unit_price": Decimal(price), "unit_cost": cost}


def order(oid: str = "o1", cid: str = "u1", **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": oid,
        "customer_id": cid,
        "placed_at": T0,
        "currency": "CNY",
        "status": "completed",
        "lines": [line()],
    }
    data.update(kw)
    return data


def review(rid: str = "r1", cid: str = "u1", **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rid,
        "customer_id": cid,
        "posted_at": T0 + timedelta(days=1),
        "rating": 1,
        "text": REVIEW_TEXT,
    }
    data.update(kw)
    return data


def complaint(qid: str = "q1", cid: str = "u1", **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": qid,
        "customer_id": cid,
        "opened_at": T0 + timedelta(days=1),
        "channel": "phone",
        "text": COMPLAINT_TEXT,
    }
    data.update(kw)
    return data


def history(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer": personal_customer(),
        "orders": [order()],
        "reviews": [review(order_id="o1")],
        "complaints": [complaint(order_id="o1")],
    }
    data.update(kw)
    return data


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        todo += [item.__context__, item.__cause__]


def assert_no_personal_data(*texts: str) -> None:
    for text in texts:
        for value in PLANTED:
            assert value not in text, f"{value!r} leaked into: {text[:300]}"


def assert_error_is_clean(exc: ValidationError) -> None:
    """None of the planted values in str, errors(), json(), nor in chained exceptions."""
    outputs = [exc.json(), repr(exc.errors())]
    for item in _chain(exc):
        outputs += [str(item), repr(item)]
        if isinstance(item, ValidationError):
            outputs += [item.json(), repr(item.errors())]
    assert_no_personal_data(*outputs)


def errors_of(build: Callable[[], object]) -> tuple[ValidationError, list[dict[str, Any]]]:
    with pytest.raises(ValidationError) as info:
        build()
    return info.value, [dict(e) for e in info.value.errors()]


# --- 2. personal data is never echoed ----------------------------------------------------


def test_field_errors_do_not_echo_personal_input() -> None:
    exc, errs = errors_of(lambda: Customer(**personal_customer(phone=PHONE_INT, id_card=ID_CARD)))
    assert {(e["type"], e["loc"]) for e in errs} == {
        ("string_type", ("phone",)),
        ("extra_forbidden", ("id_card",)),
    }
    assert all(isinstance(e["input"], errors_module.RedactedInput) for e in errs)
    assert errs[0]["input"] == "<redacted int>"
    assert_error_is_clean(exc)


WHOLE_RECORD_RULES: dict[str, tuple[Callable[[], object], set[tuple[object, ...]]]] = {
    "foreign_record": (
        lambda: CustomerHistory(**history(orders=[order(), order("o2", cid="u2")])),
        {("orders", 1, "customer_id")},
    ),
    "duplicate_id": (
        lambda: CustomerHistory(**history(reviews=[review("o1"), review(order_id="o1")])),
        {("reviews", 0, "id")},
    ),
    "before_order": (
        lambda: CustomerHistory(
            **history(reviews=[review(order_id="o1", posted_at=T0 - timedelta(hours=1))])
        ),
        {("reviews", 0, "posted_at")},
    ),
    "mixed_currencies": (
        lambda: CustomerHistory(**history(orders=[order(), order("o2", currency="USD")])),
        {("orders", 1, "currency")},
    ),
    "unknown_order": (
        lambda: CustomerHistory(**history(complaints=[complaint(order_id="o404")])),
        {("complaints", 0, "order_id")},
    ),
    "before_posted": (
        lambda: Review(**review(seller_replied_at=T0)),
        {("seller_replied_at",)},
    ),
    "before_opened": (
        lambda: Complaint(**complaint(resolved_at=T0)),
        {("resolved_at",)},
    ),
    "revision_incomplete": (
        lambda: Review(**review(revised_rating=5)),
        {("revised_at",)},
    ),
}


@pytest.mark.parametrize("rule", sorted(WHOLE_RECORD_RULES))
def test_whole_record_rule_has_loc_and_no_personal_data(rule: str) -> None:
    build, locs = WHOLE_RECORD_RULES[rule]
    exc, errs = errors_of(build)
    assert {e["loc"] for e in errs if e["type"] == rule} == locs
    assert_error_is_clean(exc)


def test_whole_record_rules_nested_in_a_history_keep_their_place() -> None:
    exc, errs = errors_of(
        lambda: CustomerHistory(
            **history(reviews=[review(order_id="o1", seller_replied_at=T0 - timedelta(days=9))])
        )
    )
    assert [(e["type"], e["loc"]) for e in errs] == [
        ("before_posted", ("reviews", 0, "seller_replied_at"))
    ]
    assert_error_is_clean(exc)


def test_every_problem_of_a_history_is_reported() -> None:
    exc, errs = errors_of(
        lambda: CustomerHistory(
            **history(
                orders=[order(), order("o2", cid="u9"), order("o3", currency="USD")],
                reviews=[review("o2", order_id="o1")],
                complaints=[complaint(order_id="o404")],
            )
        )
    )
    assert sorted((e["type"], e["loc"]) for e in errs) == [
        ("duplicate_id", ("reviews", 0, "id")),
        ("foreign_record", ("orders", 1, "customer_id")),
        ("mixed_currencies", ("orders", 2, "currency")),
        ("unknown_order", ("complaints", 0, "order_id")),
    ]
    assert_error_is_clean(exc)


def test_every_problem_of_a_record_is_reported() -> None:
    _, errs = errors_of(
        lambda: Order(
            **order(
                discount=Decimal("11"),
                paid_at=T0 - timedelta(hours=1),
                delivered_at=T0 - timedelta(hours=2),
            )
        )
    )
    assert sorted((e["type"], e["loc"]) for e in errs) == [
        ("before_placed", ("delivered_at",)),
        ("before_placed", ("paid_at",)),
        ("discount_exceeds_subtotal", ("discount",)),
    ]


# Every personal field, with a bad value of a wrong type, an odd character or an
# unknown neighbour: the error must not carry any planted value.
PERSONAL_FIELD_ERRORS: dict[str, Callable[[], object]] = {
    "customer name as list": lambda: Customer(**personal_customer(name=[NAME])),
    "customer email as bytes-like": lambda: Customer(**personal_customer(email={EMAIL: 1})),
    "customer address surrogate": lambda: Customer(**personal_customer(address=ADDRESS + "\ud800")),
    "customer region as int": lambda: Customer(**personal_customer(region=PHONE_INT)),
    "customer tags as str list with dict": lambda: Customer(
        **personal_customer(tags=[TAG, {TAG: ADDRESS}])
    ),
    "customer attribute nested": lambda: Customer(
        **personal_customer(attributes={"note": [ATTRIBUTE, NAME]})
    ),
    "customer attribute nan": lambda: Customer(
        **personal_customer(attributes={"note": ATTRIBUTE, "x": float("nan")})
    ),
    "customer as a string": lambda: Customer.model_validate(f"{NAME} {PHONE} {ADDRESS}"),
    "customer extra": lambda: Customer(**personal_customer(id_card=ID_CARD, 身份证=ID_CARD)),
    "review text as list": lambda: Review(**review(text=[REVIEW_TEXT])),
    "review with extra": lambda: Review(**review(author=NAME, rating=9)),
    "complaint text surrogate": lambda: Complaint(**complaint(text=COMPLAINT_TEXT + "\udfff")),
    "complaint as json": lambda: Complaint.model_validate_json(
        json.dumps({**complaint(), "opened_at": "not a time", "phone": PHONE})
    ),
    "history nested customer": lambda: CustomerHistory(
        **history(customer=personal_customer(phone=PHONE_INT, passport=ID_CARD))
    ),
    "history json": lambda: CustomerHistory.model_validate_json(
        json.dumps(
            {"customer": f"{NAME} {PHONE}", "orders": [], "reviews": [REVIEW_TEXT]},
        )
    ),
    "market event": lambda: MarketEvent(start=T0, end=T0 - timedelta(1), description=DESCRIPTION),
    "market event bad text": lambda: MarketEvent(start=T0, end=T0, description=[DESCRIPTION]),
}


@pytest.mark.parametrize("case", sorted(PERSONAL_FIELD_ERRORS))
def test_planted_personal_values_never_appear_in_errors(case: str) -> None:
    exc, _ = errors_of(PERSONAL_FIELD_ERRORS[case])
    assert_error_is_clean(exc)


def test_planted_personal_values_never_appear_in_repr_str_or_redacted() -> None:
    h = CustomerHistory(
        **history(
            customer=personal_customer(
                tags=(TAG, "vip"), tagged_at={TAG: T0}, assigned_agent_id="agent-1"
            )
        )
    )
    c, r, q = h.customer, h.reviews[0], h.complaints[0]
    shown = [repr(h), str(h), repr(c), str(c), repr(r), str(r), repr(q), str(q)]
    shown += [json.dumps(x, ensure_ascii=False) for x in (c.redacted(), r.redacted())]
    shown += [json.dumps(x, ensure_ascii=False) for x in (q.redacted(), h.redacted())]
    assert_no_personal_data(*shown)
    # the values are kept for the caller, and the masks still help a human
    assert c.region == REGION and c.tags == (TAG, "vip") and r.text == REVIEW_TEXT
    assert c.redacted()["attributes"] == {"note": "***", "daily_km": "***"}
    assert "region='朝*" in repr(c)


@given(
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=4, max_size=12),
    st.integers(10**10, 10**11 - 1),
)
def test_generated_personal_values_never_leak(secret: str, number: int) -> None:
    data = personal_customer(name=secret, address=secret + "路", region=secret, tags=(secret,))
    data["attributes"] = {"k": secret}
    c = Customer(**data)
    shown = [repr(c), str(c), json.dumps(c.redacted(), ensure_ascii=False)]
    with pytest.raises(ValidationError) as info:
        Customer(**{**data, "phone": number, "note": secret})
    shown += [str(info.value), info.value.json(), repr(info.value.errors())]
    for text in shown:
        assert secret not in text and str(number) not in text


# --- 3. money: a supported range, exact, refused beyond ---------------------------------


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("unit_price", Decimal("1E+17"), "amount_too_large"),
        ("unit_price", Decimal("9E+999999"), "amount_too_large"),
        ("unit_price", 10**30, "amount_too_large"),
        ("unit_price", Decimal("10000000000"), "amount_too_large"),
        ("unit_cost", Decimal("9E+999999"), "amount_too_large"),
        ("unit_price", Decimal("0.0000001"), "amount_too_precise"),
        ("unit_price", Decimal("1E-999999"), "amount_too_precise"),
        ("quantity", 2**63, "less_than_equal"),
        ("quantity", 10**9 + 1, "less_than_equal"),
    ],
)
def test_money_and_quantities_out_of_range_are_refused(
    field: str, value: object, rule: str
) -> None:
    data = {**line(), field: value}
    _, errs = errors_of(lambda: OrderLine(**data))
    assert [(e["type"], e["loc"]) for e in errs] == [(rule, (field,))]


def test_huge_exponent_discount_is_a_validation_error_not_decimal_overflow() -> None:
    with pytest.raises((ValidationError, decimal.DecimalException)) as info:
        Order(**order(discount=Decimal("9E+999999")))
    assert isinstance(info.value, ValidationError), f"raw {type(info.value).__name__}"
    assert [(e["type"], e["loc"]) for e in info.value.errors()] == [
        ("amount_too_large", ("discount",))
    ]


def test_line_and_order_totals_beyond_the_bound_are_refused() -> None:
    _, errs = errors_of(lambda: OrderLine(**line("100", 10**9)))
    assert [(e["type"], e["loc"]) for e in errs] == [("amount_too_large", ("quantity",))]
    big = line("9999999999", 1)
    _, errs = errors_of(lambda: Order(**order(lines=[big, big])))
    assert [(e["type"], e["loc"]) for e in errs] == [("amount_too_large", ("lines",))]


def test_sub_cent_amounts_never_vanish() -> None:
    # 100 × 0.004 is 0.40, exactly: a unit price may be finer than a cent
    o = Order(**order(lines=[line("0.004", 100)]))
    assert o.total == Decimal("0.4")
    # one unit at 0.004 cannot be paid: refused at the field, not rounded away later
    _, errs = errors_of(lambda: Order(**order(lines=[line("0.004", 1)])))
    assert [(e["type"], e["loc"]) for e in errs] == [("sub_minor_unit", ("lines", 0, "unit_price"))]
    _, errs = errors_of(lambda: Order(**order(discount=Decimal("0.005"))))
    assert [(e["type"], e["loc"]) for e in errs] == [("sub_minor_unit", ("discount",))]
    _, errs = errors_of(lambda: Order(**order(lines=[line("10", 3, "0.333")])))
    assert [(e["type"], e["loc"]) for e in errs] == [("sub_minor_unit", ("lines", 0, "unit_cost"))]


def test_minor_units_follow_iso_4217() -> None:
    _, errs = errors_of(lambda: Order(**order(currency="JPY", lines=[line("99.5")])))
    assert [e["type"] for e in errs] == ["sub_minor_unit"]
    assert Order(**order(currency="KWD", lines=[line("0.125")])).total == Decimal("0.125")
    assert models.minor_unit_digits("CNY") == 2


def test_money_arithmetic_is_exact_whatever_the_callers_context() -> None:
    o = Order(**order(lines=[line("12345.67", 3, "9999.99"), line("0.01", 7, "0.01")]))
    with decimal.localcontext() as ctx:
        ctx.prec = 4
        assert o.subtotal == Decimal("37037.08")
        assert o.total == Decimal("37037.08")
        assert o.margin == Decimal("7037.04")


# --- 7. look-ahead through the population and undated facts -----------------------------


def test_until_refuses_a_customer_created_after_as_of() -> None:
    h = CustomerHistory(customer=Customer(id="late", created_at=T0))
    with pytest.raises(errors_module.NotYetCreatedError) as info:
        h.until(T0 - timedelta(seconds=1))
    assert isinstance(info.value, CustcareError) and isinstance(info.value, ValueError)
    assert h.until(T0).customer.id == "late"


def test_population_until_leaves_out_customers_created_later() -> None:
    early = CustomerHistory(customer=Customer(id="a", created_at=T0 - timedelta(days=5)))
    late = CustomerHistory(customer=Customer(id="b", created_at=T0 + timedelta(days=5)))
    cut = models.population_until([early, late], T0)
    assert [h.customer_id for h in cut] == ["a"]
    assert early.exists_at(T0) and not late.exists_at(T0)


def test_reopens_are_dated_and_cut() -> None:
    reopens = (T0 + timedelta(days=3), T0 + timedelta(days=10))
    q = Complaint(**complaint(reopened_at=reopens))
    assert q.reopened == 2
    h = CustomerHistory(customer=personal_customer(), complaints=[q])
    assert h.until(T0 + timedelta(days=5)).complaints[0].reopened == 1
    assert h.until(T0 + timedelta(days=2)).complaints[0].reopened == 0
    assert h.until(T0 + timedelta(days=11)).complaints[0] == q
    # reopen times are checked like the other times of the complaint
    _, errs = errors_of(lambda: Complaint(**complaint(reopened_at=(T0,))))
    assert [(e["type"], e["loc"]) for e in errs] == [("before_opened", ("reopened_at", 0))]
    _, errs = errors_of(lambda: Complaint(**complaint(reopened_at=reopens, reopened=1)))
    assert [e["type"] for e in errs] == ["reopen_count_mismatch"]
    _, errs = errors_of(
        lambda: Complaint(**complaint(reopened_at=reopens, resolved_at=T0 + timedelta(days=4)))
    )
    assert [(e["type"], e["loc"]) for e in errs] == [("resolved_before_reopen", ("resolved_at",))]


def test_tags_are_dated_and_cut_undated_ones_count_from_creation() -> None:
    died = T0 + timedelta(days=30)
    customer = personal_customer(tags=("vip", "deceased"), tagged_at={"deceased": died})
    h = CustomerHistory(customer=customer)
    assert h.until(T0).customer.tags == ("vip",)  # undated: known since created_at
    assert h.until(died).customer.tags == ("vip", "deceased")
    _, errs = errors_of(lambda: Customer(**personal_customer(tagged_at={"moved": T0})))
    assert [(e["type"], e["loc"]) for e in errs] == [("unknown_tag", ("tagged_at",))]


def test_undated_reopen_count_is_kept_at_every_cut_after_opening() -> None:
    q = Complaint(**complaint(reopened=2, resolved_at=T0 + timedelta(days=9)))
    h = CustomerHistory(customer=personal_customer(), complaints=[q])
    view = h.until(T0 + timedelta(days=2))
    assert view.complaints[0].reopened == 2 and view.complaints[0].is_open
    assert view.complaints[0].reopened_at == ()


# --- 9. JSON round trip is exact ---------------------------------------------------------


def test_offset_with_seconds_survives_json() -> None:
    shanghai_1900 = datetime(1900, 6, 1, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert shanghai_1900.utcoffset() == timedelta(hours=8, minutes=5, seconds=43)
    c = Customer(id="u1", created_at=shanghai_1900)
    back = Customer.model_validate_json(c.model_dump_json())
    assert back == c
    assert back.created_at.utcoffset() == shanghai_1900.utcoffset()


_offsets = st.integers(-86399, 86399).map(lambda s: timezone(timedelta(seconds=s)))
_moments = st.builds(
    lambda dt, tz: dt.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    _offsets,
)


@given(_moments, _moments, st.sampled_from(["CNY", "JPY", "KWD"]))
def test_generated_models_with_odd_offsets_round_trip_exactly(
    created: datetime, placed: datetime, currency: str
) -> None:
    later = max(created, placed)
    o = Order(**order(placed_at=later, currency=currency, lines=[line("3")]))
    h = CustomerHistory(
        customer=Customer(id="u1", created_at=created, attributes={"km": 1.5, "n": -(2**63)}),
        orders=[o],
        complaints=[complaint(opened_at=later, reopened_at=(later,))],
    )
    back = CustomerHistory.model_validate_json(h.model_dump_json())
    assert back == h
    assert back.orders[0].placed_at.utcoffset() == later.utcoffset()
    assert back.customer.created_at.utcoffset() == created.utcoffset()


@pytest.mark.parametrize(
    "build",
    [
        lambda s: Customer(**personal_customer(name=s)),
        lambda s: Customer(**personal_customer(tags=(s,))),
        lambda s: Customer(**personal_customer(attributes={"k": s})),
        lambda s: Customer(**personal_customer(attributes={s: 1})),
        lambda s: Customer(**personal_customer(id=s)),
        lambda s: Review(**review(text=s)),
        lambda s: Complaint(**complaint(text=s)),
        lambda s: Order(**order(lines=[{**line(), "sku": s}])),
        lambda s: MarketEvent(start=T0, end=T0, description=s),
    ],
    ids=["name", "tag", "attribute", "attribute_key", "id", "review", "complaint", "sku", "event"],
)
def test_lone_surrogates_are_refused_at_validation(build: Callable[[str], object]) -> None:
    exc, errs = errors_of(lambda: build("ab\ud83dcd"))
    assert "lone_surrogate" in {e["type"] for e in errs}
    json.loads(exc.json())  # the error itself can be written


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (float("nan"), "finite_number"),
        (float("inf"), "finite_number"),
        (float("-inf"), "finite_number"),
        (2**63, "attribute_out_of_range"),
        (-(2**63) - 1, "attribute_out_of_range"),
        (Decimal("1.5"), "attribute_type"),
        ([1, 2], "attribute_type"),
    ],
)
def test_attributes_that_cannot_round_trip_are_refused(value: object, rule: str) -> None:
    _, errs = errors_of(lambda: Customer(**personal_customer(attributes={"x": value})))
    assert [(e["type"], e["loc"]) for e in errs] == [(rule, ("attributes", "x"))]


# --- 10. the edges ----------------------------------------------------------------------


@given(_moments, _moments)
def test_dates_near_year_1_and_9999_never_crash(created: datetime, as_of: datetime) -> None:
    h = CustomerHistory(
        customer=Customer(id="u1", created_at=created, tags=("x",), tagged_at={"x": created}),
        orders=[order(placed_at=created, cid="u1", delivered_at=max(created, as_of))],
        complaints=[complaint(opened_at=created, reopened_at=(max(created, as_of),))],
    )
    hash(h)
    repr(h)
    h.redacted()
    if created <= as_of:
        view = h.until(as_of)
        assert view.until(as_of) == view
        assert CustomerHistory.model_validate_json(view.model_dump_json()) == view
    else:
        with pytest.raises(errors_module.NotYetCreatedError):
            h.until(as_of)


def test_until_with_a_date_is_a_clear_usage_error() -> None:
    h = CustomerHistory(customer=Customer(id="u1", created_at=T0))
    with pytest.raises(errors_module.CustcareUsageError, match="got date") as info:
        h.until(date(2026, 4, 1))  # type: ignore[arg-type]
    assert info.value.code == "bad_argument"


def test_naive_as_of_is_a_custcare_value_error() -> None:
    h = CustomerHistory(customer=Customer(id="u1", created_at=T0))
    with pytest.raises(errors_module.NaiveDatetimeError) as info:
        h.until(datetime(2026, 4, 1))
    assert isinstance(info.value, CustcareError) and isinstance(info.value, ValueError)
    assert info.value.argument == "as_of"


def test_histories_are_hashable() -> None:
    a = CustomerHistory(**history())
    b = CustomerHistory(**history())
    assert a == b and hash(a) == hash(b)
    assert len({a, b, CustomerHistory(**history(complaints=[]))}) == 2


def test_positive_review_to_complaint_is_a_data_error() -> None:
    r = Review(**review(rating=5))
    with pytest.raises(errors_module.DataError, match="rating 5"):
        Complaint.from_review(r)


# --- the bad-input list of the models' docs ---------------------------------------------

DOCUMENTED_BAD_INPUT: dict[str, tuple[Callable[[], object], str, tuple[object, ...]]] = {
    "naive datetime": (
        lambda: Customer(**personal_customer(created_at=datetime(2026, 1, 1))),
        "naive_datetime",
        ("created_at",),
    ),
    "negative amount": (lambda: OrderLine(**line("-1")), "negative_amount", ("unit_price",)),
    "float money": (
        lambda: OrderLine(**{**line(), "unit_price": 9.9}),
        "money_from_float",
        ("unit_price",),
    ),
    "nan money": (lambda: OrderLine(**line("NaN")), "finite_number", ("unit_price",)),
    "misspelt field": (
        lambda: Customer(**personal_customer(nmae=NAME)),
        "extra_forbidden",
        ("nmae",),
    ),
    "currency code": (lambda: Order(**order(currency="cny")), "currency_code", ("currency",)),
    "rating range": (lambda: Review(**review(rating=6)), "less_than_equal", ("rating",)),
    "discount above subtotal": (
        lambda: Order(**order(discount=Decimal("11"))),
        "discount_exceeds_subtotal",
        ("discount",),
    ),
    "delivery before order": (
        lambda: Order(**order(delivered_at=T0 - timedelta(hours=1))),
        "before_placed",
        ("delivered_at",),
    ),
    "order without lines": (lambda: Order(**order(lines=[])), "too_short", ("lines",)),
    "empty id": (lambda: Customer(**personal_customer(id=" ")), "empty_string", ("id",)),
    "foreign record": (
        lambda: CustomerHistory(**history(complaints=[complaint(cid="u2")])),
        "foreign_record",
        ("complaints", 0, "customer_id"),
    ),
    "duplicate id": (
        lambda: CustomerHistory(**history(complaints=[complaint("o1")])),
        "duplicate_id",
        ("complaints", 0, "id"),
    ),
    "unknown order": (
        lambda: CustomerHistory(**history(reviews=[review(order_id="o9")])),
        "unknown_order",
        ("reviews", 0, "order_id"),
    ),
    "before order": (
        lambda: CustomerHistory(
            **history(complaints=[complaint(order_id="o1", opened_at=T0 - timedelta(1))])
        ),
        "before_order",
        ("complaints", 0, "opened_at"),
    ),
    "mixed currencies": (
        lambda: CustomerHistory(
            **history(orders=[order(currency="USD"), order("o2", placed_at=T0 + timedelta(1))])
        ),
        "mixed_currencies",
        ("orders", 1, "currency"),
    ),
}


@pytest.mark.parametrize("case", sorted(DOCUMENTED_BAD_INPUT))
def test_documented_bad_input_is_refused_cleanly(case: str) -> None:
    build, rule, loc = DOCUMENTED_BAD_INPUT[case]
    exc, errs = errors_of(build)
    assert [(e["type"], e["loc"]) for e in errs] == [(rule, loc)]
    assert_error_is_clean(exc)


def test_inputs_are_never_mutated() -> None:
    data = history(orders=[order("o2", placed_at=T0 + timedelta(1)), order()])
    snapshot = json.dumps(data, default=str, sort_keys=True)
    h = CustomerHistory(**data)
    assert [o.id for o in h.orders] == ["o1", "o2"]
    assert json.dumps(data, default=str, sort_keys=True) == snapshot
