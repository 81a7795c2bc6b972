"""Hypothesis strategies that build valid custcare records and whole histories.

Use them to test your own scorers (``check_scorer`` does) or anything that takes
custcare models. Text mixes Chinese and English.

Examples:
    >>> from hypothesis import given
    >>> @given(histories())
    ... def test_history_round_trips(history):
    ...     assert type(history).model_validate_json(history.model_dump_json()) == history
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import strategies as st

from custcare.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    Customer,
    CustomerHistory,
    DetailedRatings,
    Order,
    OrderLine,
    OrderStatus,
    Review,
)

__all__ = [
    "aware_datetimes",
    "complaints",
    "customers",
    "histories",
    "money",
    "order_lines",
    "orders",
    "reviews",
    "shops",
    "texts",
]

_START = datetime(2020, 1, 1)
_END = datetime(2027, 12, 31)
_ZONES = (
    timezone.utc,
    timezone(timedelta(hours=8)),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
)
_ZH_WORDS = ("质量", "太差", "客服", "态度", "好评", "物流", "很快", "退货", "谢谢", "不错")
_EN_WORDS = ("great", "tea", "slow", "refund", "rude", "thanks", "broken", "ok")


def aware_datetimes(
    min_value: datetime = _START, max_value: datetime = _END
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes (whole seconds) between two naive bounds, in a few zones."""
    return st.builds(
        lambda dt, tz: dt.replace(microsecond=0, tzinfo=timezone.utc).astimezone(tz),
        st.datetimes(min_value=min_value, max_value=max_value),
        st.sampled_from(_ZONES),
    )


def money(max_value: int = 5_000) -> st.SearchStrategy[Decimal]:
    """Non-negative amounts with two decimal places."""
    return st.integers(min_value=0, max_value=max_value * 100).map(lambda c: Decimal(c) / 100)


def texts() -> st.SearchStrategy[str]:
    """Short texts of Chinese and English words, sometimes empty."""
    word = st.sampled_from(_ZH_WORDS + _EN_WORDS)
    return st.lists(word, max_size=6).map(" ".join)


_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)


def customers(customer_id: str | None = None) -> st.SearchStrategy[Customer]:
    """Valid customers, with personal data on some."""
    return st.builds(
        Customer,
        id=st.just(customer_id) if customer_id else _ids.map(lambda s: f"u{s}"),
        created_at=aware_datetimes(max_value=datetime(2023, 1, 1)),
        name=st.none() | st.sampled_from(("张伟", "李娜", "Alice Smith")),
        phone=st.none() | st.just("13812348000"),
        region=st.none() | st.sampled_from(("上海", "北京", "Singapore")),
        assigned_agent_id=st.none() | st.sampled_from(("agent-a", "agent-b")),
        tags=st.lists(st.sampled_from(("vip", "wholesale", "老客户")), max_size=2, unique=True).map(
            tuple
        ),
        attributes=st.dictionaries(
            st.sampled_from(("daily_km", "visits", "plate")),
            st.integers(0, 500) | st.sampled_from(("沪A12345", "2024-01-01")),
            max_size=2,
        ),
    )


def order_lines() -> st.SearchStrategy[OrderLine]:
    """Valid order lines, with a known cost on some."""
    return st.builds(
        OrderLine,
        sku=st.sampled_from(("A1", "B2", "C3", "茶-01")),
        quantity=st.integers(1, 40),
        unit_price=money(500),
        unit_cost=st.none() | money(200),
        category=st.none() | st.sampled_from(("tea", "teaware")),
    )


@st.composite
def orders(
    draw: st.DrawFn, customer_id: str = "u1", order_id: str = "o1", currency: str = "CNY"
) -> Order:
    """A valid order for one customer."""
    lines = tuple(draw(st.lists(order_lines(), min_size=1, max_size=3)))
    subtotal = sum((ln.revenue for ln in lines), Decimal(0))
    discount = draw(st.sampled_from((Decimal(0), (subtotal / 10).quantize(Decimal("0.01")))))
    placed = draw(aware_datetimes(min_value=datetime(2023, 1, 2)))
    promised = placed + timedelta(days=draw(st.integers(1, 7)))
    delivered = draw(st.none() | st.just(placed + timedelta(days=draw(st.integers(0, 12)))))
    return Order(
        id=order_id,
        customer_id=customer_id,
        placed_at=placed,
        currency=currency,
        lines=lines,
        discount=min(discount, subtotal),
        status=draw(st.sampled_from(list(OrderStatus))),
        promised_delivery_at=promised,
        delivered_at=delivered,
    )


_ratings = st.integers(1, 5)


@st.composite
def reviews(
    draw: st.DrawFn, customer_id: str = "u1", review_id: str = "r1", order: Order | None = None
) -> Review:
    """A valid review, about ``order`` when given (and dated after it)."""
    earliest = order.placed_at if order else datetime(2023, 1, 2, tzinfo=timezone.utc)
    posted = earliest + timedelta(minutes=draw(st.integers(0, 60 * 24 * 90)))
    revised = draw(st.booleans())
    return Review(
        id=review_id,
        customer_id=customer_id,
        order_id=order.id if order else None,
        posted_at=posted,
        rating=draw(_ratings),
        detailed=draw(
            st.none()
            | st.builds(
                DetailedRatings,
                description_match=_ratings,
                service_attitude=_ratings,
                logistics=_ratings,
            )
        ),
        text=draw(texts()),
        seller_replied_at=draw(st.none() | st.just(posted + timedelta(hours=3))),
        revised_rating=draw(_ratings) if revised else None,
        revised_at=posted + timedelta(days=2) if revised else None,
    )


@st.composite
def complaints(
    draw: st.DrawFn, customer_id: str = "u1", complaint_id: str = "q1", order: Order | None = None
) -> Complaint:
    """A valid complaint, about ``order`` when given (and opened after it)."""
    earliest = order.placed_at if order else datetime(2023, 1, 2, tzinfo=timezone.utc)
    opened = earliest + timedelta(minutes=draw(st.integers(0, 60 * 24 * 90)))
    responded = draw(st.none() | st.integers(1, 96).map(lambda h: opened + timedelta(hours=h)))
    resolved = draw(st.none() | st.integers(1, 30).map(lambda d: opened + timedelta(days=d)))
    return Complaint(
        id=complaint_id,
        customer_id=customer_id,
        order_id=order.id if order else None,
        opened_at=opened,
        channel=draw(st.sampled_from(list(ComplaintChannel))),
        text=draw(texts()),
        category=draw(st.none() | st.sampled_from(list(ComplaintCategory))),
        promised_by=draw(st.none() | st.just(opened + timedelta(days=2))),
        first_response_at=responded,
        resolved_at=resolved,
        reopened=draw(st.integers(0, 2)),
    )


@st.composite
def histories(
    draw: st.DrawFn,
    customer_id: str | None = None,
    max_orders: int = 6,
    max_reviews: int = 3,
    max_complaints: int = 3,
    currency: str = "CNY",
) -> CustomerHistory:
    """A valid history: one customer, their orders, reviews and complaints.

    Reviews and complaints name an order of the history (or none) and are dated
    after it. All orders share ``currency``.
    """
    customer = draw(customers(customer_id))
    cid = customer.id
    n = draw(st.integers(0, max_orders))
    order_list = [draw(orders(cid, f"{cid}-o{k}", currency)) for k in range(n)]
    about = st.none() | st.sampled_from(order_list) if order_list else st.none()
    review_list = [
        draw(reviews(cid, f"{cid}-r{k}", draw(about)))
        for k in range(draw(st.integers(0, max_reviews)))
    ]
    complaint_list = [
        draw(complaints(cid, f"{cid}-q{k}", draw(about)))
        for k in range(draw(st.integers(0, max_complaints)))
    ]
    return CustomerHistory(
        customer=customer,
        orders=tuple(order_list),
        reviews=tuple(review_list),
        complaints=tuple(complaint_list),
    )


@st.composite
def shops(
    draw: st.DrawFn, min_customers: int = 1, max_customers: int = 8, currency: str = "CNY"
) -> list[CustomerHistory]:
    """A population: histories of distinct customers, all in one currency.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=3, deadline=None)
        ... @given(shops(max_customers=3))
        ... def test(population):
        ...     ids = [h.customer.id for h in population]
        ...     assert len(ids) == len(set(ids))
        >>> test()
    """
    n = draw(st.integers(min_customers, max_customers))
    return [draw(histories(customer_id=f"c{k:03d}", currency=currency)) for k in range(n)]
