"""A seeded, in-memory sample online shop, for the demo, docs and tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np

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

__all__ = ["SampleShop", "sample_shop"]

SHANGHAI = ZoneInfo("Asia/Shanghai")

# sku, category, price, cost
_CATALOGUE: tuple[tuple[str, str, str, str], ...] = (
    ("TEA-001", "tea", "9.90", "7.20"),  # the brief's 9.9-yuan free-shipping item
    ("TEA-050", "tea", "99.00", "45.00"),  # the brief's 99-yuan item
    ("CUP-010", "teaware", "39.00", "18.00"),
    ("POT-200", "teaware", "268.00", "120.00"),
    ("GIFT-88", "gift", "188.00", "90.00"),
    ("SNK-005", "snack", "15.50", "9.00"),
)
_SURNAMES = ("张", "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴")
_GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "婷")
_EN_NAMES = ("Alice Smith", "Ben Carter", "Chloe Wong", "David Lee", "Emma Brown")
_REGIONS = ("上海", "北京", "广东", "浙江", "四川", "Hong Kong", "Singapore")
_AGENTS = ("agent-lin", "agent-xu", "agent-sun")

# text, recorded category, (description match, service attitude, logistics)
_NEGATIVE_TEXTS: tuple[tuple[str, ComplaintCategory | None, tuple[int, int, int]], ...] = (
    ("茶叶有股霉味，质量太差了，要求退货！", ComplaintCategory.PRODUCT_QUALITY, (1, 4, 4)),
    ("客服态度很差，问了三遍都不理人", ComplaintCategory.STAFF_ATTITUDE, (3, 1, 4)),
    ("说好三天发货，等了一个星期还没发", ComplaintCategory.PROMISE_NOT_KEPT, (3, 3, 1)),
    ("The teapot arrived cracked and customer service never replied.", None, (2, 2, 3)),
    ("价格比别家贵了二十块，别家更便宜，以后去别家买了", None, (3, 4, 4)),
    ("宣传说是明前龙井，喝起来根本不是", ComplaintCategory.EXAGGERATED_ADVERTISING, (1, 3, 4)),
    ("Waited two weeks for delivery, way too long.", ComplaintCategory.LONG_WAIT, (3, 3, 1)),
    ("换了一次货还是坏的，再不解决我就投诉到消协", None, (1, 2, 3)),
)
# Fresh trouble in the last days before as_of: these complaints are still open.
_FRESH_COMPLAINTS: tuple[tuple[str, ComplaintChannel], ...] = (
    ("电水壶用了两次就漏电，手都麻了！要求退货退款", ComplaintChannel.REVIEW),
    ("说好昨天到货，今天还没到，再不处理我就投诉到平台", ComplaintChannel.CHAT),
    ("The lid does not fit and nobody answered my two emails.", ComplaintChannel.EMAIL),
    ("客服回复太慢了，问个问题等了半天", ComplaintChannel.CHAT),
    ("茶叶里有异物，孩子喝了过敏起疹子，你们必须给个说法", ComplaintChannel.PHONE),
    ("价格还行，就是包装有点简陋", ComplaintChannel.REVIEW),
)
_RESOLVE_AFTER = timedelta(days=45)
# customer row -> (index into _FRESH_COMPLAINTS, hours before as_of it was raised)
_FRESH_SLOTS: dict[int, tuple[int, int]] = {
    1: (0, 2),
    6: (1, 20),
    9: (2, 30),
    14: (3, 5),
    21: (4, 1),
    26: (5, 50),
}


def _settled(complaint: Complaint, as_of: datetime) -> Complaint:
    """Complaints older than 45 days were answered and resolved in this sample shop."""
    if complaint.opened_at >= as_of - _RESOLVE_AFTER:
        return complaint
    return complaint.model_copy(
        update={
            "first_response_at": complaint.first_response_at
            or complaint.opened_at + timedelta(hours=3),
            "resolved_at": complaint.opened_at + timedelta(days=4),
        }
    )


def _add_fresh(
    cid: str,
    order: Order,
    slot: tuple[int, int],
    as_of: datetime,
    reviews: list[Review],
    complaints: list[Complaint],
) -> tuple[list[Review], list[Complaint]]:
    text, channel = _FRESH_COMPLAINTS[slot[0]]
    opened = as_of - timedelta(hours=slot[1])
    if channel is ComplaintChannel.REVIEW:
        rating = 3 if "还行" in text else 1
        review = Review(
            id=f"{cid}-RF",
            customer_id=cid,
            order_id=order.id,
            posted_at=opened,
            rating=rating,
            text=text,
            language="zh",
        )
        return [*reviews, review], complaints
    complaint = Complaint(
        id=f"{cid}-QF",
        customer_id=cid,
        order_id=order.id,
        opened_at=opened,
        channel=channel,
        text=text,
        promised_by=opened + timedelta(hours=12) if "昨天" in text else None,
    )
    return reviews, [*complaints, complaint]


_POSITIVE_TEXTS = (
    "茶很好喝，包装精美，还会回购",
    "Great tea, fast shipping.",
    "物流很快，客服很耐心",
    "",
)


@dataclass(frozen=True)
class SampleShop:
    """A small tea shop: customers, their histories, and the moment to score at.

    Attributes:
        name: The shop's name.
        currency: The currency of every order.
        as_of: The moment the sample describes (scores are taken as of it).
        histories: One validated history per customer, sorted by customer id.
    """

    name: str
    currency: str
    as_of: datetime
    histories: tuple[CustomerHistory, ...]

    @property
    def customers(self) -> tuple[Customer, ...]:
        """The customers, in the order of `histories`."""
        return tuple(h.customer for h in self.histories)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def sample_shop(seed: int = 7, n_customers: int = 60) -> SampleShop:
    """Build the seeded sample shop; the same seed always gives the same shop.

    Customers range from loyal big spenders to one-time buyers and customers who
    went quiet after a bad experience, with reviews and complaints in Chinese and
    English, so every scorer has something to say.

    Args:
        seed: Seed of the random generator.
        n_customers: How many customers (at least 5).

    Examples:
        >>> shop = sample_shop()
        >>> len(shop.histories), shop.currency
        (60, 'CNY')
        >>> sample_shop() == shop
        True
    """
    if n_customers < 5:
        raise ValueError(f"n_customers must be >= 5, got {n_customers}")
    rng = np.random.default_rng(seed)
    as_of = datetime(2026, 6, 30, 18, 0, tzinfo=SHANGHAI)
    start = datetime(2024, 7, 1, 9, 0, tzinfo=SHANGHAI)
    span_days = (as_of - start).days
    histories = []
    for i in range(n_customers):
        cid = f"C{i + 1:04d}"
        created = start + timedelta(days=int(rng.integers(0, span_days - 30)))
        if i % 9 == 4:
            name = _EN_NAMES[i % len(_EN_NAMES)]
        else:
            name = _SURNAMES[i % len(_SURNAMES)] + _GIVEN[int(rng.integers(len(_GIVEN)))]
        customer = Customer(
            id=cid,
            created_at=created,
            name=name,
            phone=f"13{int(rng.integers(0, 10))}{int(rng.integers(10_000_000, 99_999_999)):08d}",
            email=f"user{i + 1}@example.com" if i % 3 == 0 else None,
            region=_REGIONS[int(rng.integers(len(_REGIONS)))],
            channel=("taobao", "wechat", "douyin")[i % 3],
            tags=("wholesale",) if i % 11 == 0 else ("moved",) if i % 24 == 7 else (),
            assigned_agent_id=_AGENTS[i % len(_AGENTS)],
        )
        # Profiles: loyal regulars, occasional buyers, one-timers, lapsed after trouble.
        profile = ("loyal", "occasional", "one_time", "lapsed")[i % 4]
        n_orders = {
            "loyal": int(rng.integers(6, 16)),
            "occasional": int(rng.integers(2, 6)),
            "one_time": 1,
            "lapsed": int(rng.integers(2, 5)),
        }[profile]
        horizon = (as_of - created).days
        if profile == "lapsed":
            horizon = max(10, horizon - 200)
        days = sorted(int(d) for d in rng.integers(0, max(horizon, 1), size=n_orders))
        orders, reviews, complaints = [], [], []
        for k, day in enumerate(days):
            placed = created + timedelta(days=day, hours=int(rng.integers(0, 12)))
            n_lines = int(rng.integers(1, 3))
            lines = []
            for sku, cat, price, cost in (
                _CATALOGUE[int(j)] for j in rng.choice(len(_CATALOGUE), n_lines, replace=False)
            ):
                lines.append(
                    OrderLine(
                        sku=sku,
                        quantity=int(rng.integers(1, 4)) if sku != "TEA-001" else 30,
                        unit_price=Decimal(price),
                        unit_cost=Decimal(cost),
                        category=cat,
                    )
                )
            subtotal = sum((ln.revenue for ln in lines), Decimal(0))
            discount = _money(float(subtotal) * 0.1) if rng.random() < 0.3 else Decimal(0)
            status = OrderStatus.COMPLETED
            roll = rng.random()
            if roll < 0.06:
                status = OrderStatus.REFUNDED
            elif roll < 0.09:
                status = OrderStatus.RETURNED
            elif placed > as_of - timedelta(days=3):
                status = OrderStatus.SHIPPED
            promised = placed + timedelta(days=3)
            late = profile == "lapsed" and k == len(days) - 1
            delivered = promised + timedelta(days=4 if late else -1)
            order = Order(
                id=f"{cid}-O{k + 1:02d}",
                customer_id=cid,
                placed_at=placed,
                currency="CNY",
                lines=tuple(lines),
                discount=discount,
                status=status,
                paid_at=placed + timedelta(minutes=5),
                promised_delivery_at=promised,
                delivered_at=delivered if delivered <= as_of else None,
                channel=customer.channel,
            )
            orders.append(order)
            unhappy = profile == "lapsed" and k == len(days) - 1
            if unhappy or rng.random() < 0.35:
                posted = delivered + timedelta(hours=int(rng.integers(2, 72)))
                if posted > as_of:
                    continue
                if unhappy:
                    text, category, (desc, service, logistics) = _NEGATIVE_TEXTS[
                        (i // 4) % len(_NEGATIVE_TEXTS)
                    ]
                    rating = int(rng.integers(1, 3))
                    detailed = DetailedRatings(
                        description_match=desc, service_attitude=service, logistics=logistics
                    )
                else:
                    text, category = _POSITIVE_TEXTS[int(rng.integers(len(_POSITIVE_TEXTS)))], None
                    rating = int(rng.integers(4, 6))
                    detailed = DetailedRatings(
                        description_match=rating, service_attitude=5, logistics=rating
                    )
                review = Review(
                    id=f"{cid}-R{k + 1:02d}",
                    customer_id=cid,
                    order_id=order.id,
                    posted_at=posted,
                    rating=rating,
                    detailed=detailed,
                    text=text,
                    language="en" if text.isascii() and text else "zh",
                )
                reviews.append(review)
                if unhappy:
                    complaints.append(Complaint.from_review(review, category=category))
                    if i % 8 == 3:
                        opened = posted + timedelta(days=1)
                        complaints.append(
                            Complaint(
                                id=f"{cid}-Q{k + 1:02d}",
                                customer_id=cid,
                                order_id=order.id,
                                opened_at=opened,
                                channel=ComplaintChannel.PHONE,
                                text="第二次打电话了，问题还是没解决，再不处理我就去12315投诉",
                                category=ComplaintCategory.NOT_FIXED_FIRST_TIME,
                                promised_by=opened + timedelta(days=1),
                                first_response_at=opened + timedelta(hours=6),
                                reopened=1,
                            )
                        )
        complaints = [_settled(c, as_of) for c in complaints]
        fresh = _FRESH_SLOTS.get(i)
        if fresh is not None and orders and orders[-1].placed_at < as_of - timedelta(days=4):
            reviews, complaints = _add_fresh(cid, orders[-1], fresh, as_of, reviews, complaints)
        histories.append(
            CustomerHistory(
                customer=customer,
                orders=tuple(orders),
                reviews=tuple(reviews),
                complaints=tuple(complaints),
            )
        )
    return SampleShop(
        name="清风茶舍 Breeze Tea House", currency="CNY", as_of=as_of, histories=tuple(histories)
    )
