"""The warning when a deep discount hurts old customers who just paid full price.

The seeds (DOMAIN.md, "Keeping old customers"): clearance goods are best given back
to old customers as a reward, but clearing an item that has been selling all along
at a deep discount hurts the old customers who paid full price; keep prices stable.
`discount_warnings` reads the shop's discount events (`Discount`, in
`CareCalendar.discounts`) and names, for each deep one, the old customers who
bought that item recently at full price, with the orders behind it.

"Full price" is read from the shop's own discount events, since the records hold
no list price: a purchase is at full price when no discount of that item in the
calendar was running when the order was placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from custcare.batch import SECONDS_PER_DAY, CareRecords, CustomerBatch, to_epoch_seconds
from custcare.errors import CustcareUsageError
from custcare.scoring import check_as_of

__all__ = ["DEEP_DISCOUNT", "Discount", "DiscountWarnings", "discount_warnings"]

DEEP_DISCOUNT = 0.3
"""Share off from which a discount counts as deep (30% off, i.e. 7折 or lower)."""


class Discount(BaseModel):
    """A discount event of the shop: an item sold below its price for some days.

    Examples:
        >>> Discount(sku="OOLONG-250", starts="2026-07-10", depth=0.5).days
        7
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Annotated[str, Field(min_length=1, max_length=60)]
    starts: date
    depth: Annotated[float, Field(gt=0.0, lt=1.0, description="Share off the price, 0.5 = half.")]
    days: Annotated[int, Field(ge=1, le=366)] = 7


@dataclass(frozen=True, eq=False)
class DiscountWarnings:
    """Deep discounts that hurt old customers, one row per (discount, customer).

    Rows are ordered by discount (the calendar's order), then customer id.

    Attributes:
        discounts: The deep discounts looked at (`Discount`), in the calendar's order.
        discount: ``(w,)`` index into ``discounts``.
        customer_id: ``(w,)`` the old customer who bought the item at full price.
        order_id: ``(w,)`` their latest such order before the discount.
        placed: ``(w,)`` when that order was placed, epoch seconds.
        affected: ``(d,)`` old customers hurt, per discount in ``discounts``.
    """

    discounts: tuple[Discount, ...]
    discount: NDArray[np.int64]
    customer_id: NDArray[np.str_]
    order_id: NDArray[np.str_]
    placed: NDArray[np.float64]
    affected: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.discount.shape[0])


def discount_warnings(
    batch: CustomerBatch,
    discounts: tuple[Discount, ...],
    *,
    as_of: datetime,
    timezone: str = "UTC",
    recent: timedelta = timedelta(days=30),
    deep_from: float = DEEP_DISCOUNT,
    old_customer_purchases: int = 2,
) -> DiscountWarnings:
    """Which deep discounts hurt old customers who recently paid full price.

    For each discount at least ``deep_from`` deep, the customers with at least
    ``old_customer_purchases`` counted orders by ``as_of`` who bought its SKU in a
    counted order placed within ``recent`` before the discount starts, at full
    price (no discount of that SKU in ``discounts`` was running then). Only orders
    placed by ``as_of`` are read. Discount days start at midnight in ``timezone``.

    Args:
        batch: The customers, with their `custcare.batch.CareRecords` (order lines).
        discounts: The shop's discount events (e.g. `CareCalendar.discounts`).
        as_of: A timezone-aware moment.
        timezone: IANA zone of the discount days (e.g. `CareCalendar.timezone`).
        recent: How long before a discount a full-price purchase still hurts.
        deep_from: Share off from which a discount is deep, in ``(0, 1)``.
        old_customer_purchases: Counted orders from which a customer is old.

    Returns:
        `DiscountWarnings`: the affected customers per deep discount.

    Raises:
        CustcareUsageError: (code ``bad_argument``) for an option out of range or a
            batch without care records.
        NaiveDatetimeError: if ``as_of`` is naive.

    Examples:
        >>> from custcare.batch import from_histories
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> sale = Discount(sku="NOT-SOLD", starts=shop.as_of.date(), depth=0.5)
        >>> len(discount_warnings(from_histories(shop.histories), (sale,), as_of=shop.as_of))
        0
    """
    as_of = check_as_of(as_of)
    if not 0.0 < deep_from < 1.0:
        raise _usage(f"deep_from must lie in (0, 1), got {deep_from!r}")
    if old_customer_purchases < 1:
        raise _usage(f"old_customer_purchases must be at least 1, got {old_customer_purchases!r}")
    if recent <= timedelta(0):
        raise _usage("recent must be a positive span")
    if batch.records is None:
        raise _usage("the batch has no care records (order lines); build it with from_histories")
    zone = ZoneInfo(timezone)
    rec: CareRecords = batch.records
    now = to_epoch_seconds(as_of)
    seen = rec.order_counted & (rec.order_placed <= now)
    purchases = np.bincount(rec.order_customer[seen], minlength=batch.n_customers)
    old = purchases >= old_customer_purchases
    line_ok = seen[rec.line_order] & old[rec.order_customer[rec.line_order]]
    placed = rec.order_placed[rec.line_order]
    windows = [(d.sku, _start(d.starts, zone), d.days * SECONDS_PER_DAY) for d in discounts]
    on_sale = np.zeros(rec.line_sku.shape[0], dtype=np.bool_)
    for sku, begin, length in windows:
        on_sale |= (rec.line_sku == sku) & (placed >= begin) & (placed < begin + length)
    full = line_ok & ~on_sale

    deep = tuple(d for d in discounts if d.depth >= deep_from)
    parts: list[tuple[int, NDArray[Any], NDArray[Any], NDArray[Any]]] = []
    affected = np.zeros(len(deep), dtype=np.int64)
    span = recent.total_seconds()
    for k, d in enumerate(deep):
        begin = _start(d.starts, zone)
        hit = np.flatnonzero(
            full & (rec.line_sku == d.sku) & (placed < begin) & (placed >= begin - span)
        )
        orders = rec.line_order[hit]
        customers = rec.order_customer[orders]
        ids = batch.customer_ids[customers]
        # One row per customer: the latest such order (then the larger order id).
        by = np.lexsort((rec.order_ids[orders], rec.order_placed[orders], ids))
        last = np.ones(by.size, dtype=np.bool_)
        last[:-1] = ids[by][1:] != ids[by][:-1]
        pick = orders[by][last]
        affected[k] = int(pick.size)
        parts.append((k, batch.customer_ids[rec.order_customer[pick]], rec.order_ids[pick], pick))
    if parts:
        discount = np.concatenate([np.full(p[1].size, p[0], dtype=np.int64) for p in parts])
        customer_id = np.concatenate([p[1] for p in parts]).astype(np.str_)
        order_id = np.concatenate([p[2] for p in parts]).astype(np.str_)
        picked = np.concatenate([p[3] for p in parts]).astype(np.int64)
    else:
        discount = np.zeros(0, dtype=np.int64)
        customer_id = order_id = np.zeros(0, dtype=np.str_)
        picked = np.zeros(0, dtype=np.int64)
    return DiscountWarnings(
        discounts=deep,
        discount=discount,
        customer_id=customer_id,
        order_id=order_id,
        placed=rec.order_placed[picked].astype(np.float64),
        affected=affected,
    )


def _start(day: date, zone: ZoneInfo) -> float:
    return datetime.combine(day, time(0), zone).timestamp()


def _usage(message: str) -> CustcareUsageError:
    return CustcareUsageError(f"discount_warnings: {message}", code="bad_argument")
