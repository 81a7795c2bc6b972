"""Helpers shared by the loyalty scorers: cents, money text, moments, level labels."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from custcare.batch import SECONDS_PER_DAY, CustomerBatch
from custcare.batch._order import sort_orders
from custcare.errors import DataError
from custcare.models import minor_unit_digits
from custcare.scoring import Ragged

__all__ = [
    "MAX_DAYS",
    "Code",
    "LevelLabel",
    "cents",
    "check_currency",
    "decimal_from_cents",
    "format_money",
    "from_epoch_seconds",
    "ids_by_customer",
    "minor_digits",
    "order_ids",
    "searchsorted",
    "window_seconds",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

MAX_DAYS = 36_500
"""The longest window or grace period a loyalty config accepts: a hundred years."""

Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
"""A stable machine code: lower-case letters, digits and underscores."""


class LevelLabel(BaseModel):
    """A level's stable code and its Chinese and English display names.

    Examples:
        >>> LevelLabel(code="key", label_zh="重点客户", label_en="Key customer").label_en
        'Key customer'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Code
    label_zh: Annotated[str, Field(min_length=1)]
    label_en: Annotated[str, Field(min_length=1)]


def minor_digits(currency: str | None) -> int:
    """Decimal places of the currency's minor unit (2 when there is no currency).

    Examples:
        >>> minor_digits("CNY"), minor_digits("JPY"), minor_digits("KWD"), minor_digits(None)
        (2, 0, 3, 2)
    """
    return 2 if currency is None else minor_unit_digits(currency)


def cents(amounts: NDArray[np.float64], digits: int = 2) -> NDArray[np.int64]:
    """Amounts as whole minor units (1/10^digits of the currency unit), so sums are exact.

    Amounts in a valid batch are whole minor units below `custcare.models.MAX_AMOUNT`
    and each customer's orders together below `custcare.batch.MAX_CUSTOMER_TOTAL`,
    so every per-customer sum of these integers is below 10^15: exact in float64
    (``np.bincount`` weights) and far from int64 overflow.

    Examples:
        >>> cents(np.array([9.9, 0.1, 2.67])).tolist()
        [990, 10, 267]
        >>> cents(np.array([1.234]), digits=3).tolist()
        [1234]
    """
    return np.rint(np.asarray(amounts, dtype=np.float64) * 10.0**digits).astype(np.int64)


def decimal_from_cents(
    value: float | int | np.integer[Any] | np.floating[Any], digits: int = 2
) -> Decimal:
    """A whole number of minor units as a `Decimal` with ``digits`` places.

    Examples:
        >>> decimal_from_cents(32000), decimal_from_cents(1234, digits=3)
        (Decimal('320.00'), Decimal('1.234'))
    """
    return Decimal(round(float(value))).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def format_money(amount: Decimal | float, currency: str) -> str:
    """Money for messages: the currency's minor-unit places, thousands separated.

    Examples:
        >>> format_money(Decimal("3210.5"), "CNY"), format_money(Decimal("1.234"), "KWD")
        ('3,210.50 CNY', '1.234 KWD')
    """
    digits = minor_unit_digits(currency) if len(currency) == 3 else 2
    return f"{Decimal(str(amount)).quantize(Decimal(1).scaleb(-digits)):,} {currency}"


def from_epoch_seconds(seconds: float, tz: Any) -> datetime:
    """The aware datetime of a batch time, in the zone ``tz``.

    Examples:
        >>> from_epoch_seconds(86400.0, timezone.utc).isoformat()
        '1970-01-02T00:00:00+00:00'
    """
    return (_EPOCH + timedelta(seconds=float(seconds))).astimezone(tz)


def searchsorted(
    a: NDArray[np.float64], v: NDArray[np.float64], side: Literal["left", "right"]
) -> NDArray[np.int64]:
    """`numpy.searchsorted` with the queries sorted first: same answer, far fewer cache misses.

    Examples:
        >>> searchsorted(np.array([1.0, 2.0, 3.0]), np.array([2.5, 0.0, 2.0]), "right").tolist()
        [2, 0, 2]
    """
    if v.size < 4096:
        return np.searchsorted(a, v, side=side).astype(np.int64)
    order = np.argsort(v)
    out = np.empty(v.size, dtype=np.int64)
    out[order] = np.searchsorted(a, v[order], side=side)
    return out


def window_seconds(days: float | None) -> float:
    """A window length in seconds; ``None`` (no window) is infinite.

    Examples:
        >>> window_seconds(1), window_seconds(None)
        (86400.0, inf)
    """
    return np.inf if days is None else float(days) * SECONDS_PER_DAY


def order_ids(batch: CustomerBatch, mask: NDArray[np.bool_]) -> tuple[str, ...]:
    """Ids of the orders selected by ``mask``, in time then id order (for evidence).

    Examples:
        >>> b = CustomerBatch.from_arrays(customer_ids=["a"], created_at=[0.0],
        ...     order_customer=[0, 0], order_time=[5.0, 1.0], order_total=[1.0, 2.0],
        ...     currency="CNY", order_ids=["o2", "o1"])
        >>> order_ids(b, np.array([True, True]))
        ('o1', 'o2')
    """
    if batch.order_ids is None:
        return ()
    idx = np.flatnonzero(mask)
    ids = batch.order_ids[idx]
    order = np.lexsort((ids, batch.order_time[idx]))
    return tuple(str(i) for i in ids[order])


def check_currency(batch: CustomerBatch, currency: str, who: str) -> None:
    """Refuse a batch whose amounts are in another currency than the config's.

    Raises:
        DataError: naming both currencies.

    Examples:
        >>> b = CustomerBatch.from_arrays(customer_ids=["a"], created_at=[0.0],
        ...     order_customer=[0], order_time=[0.0], order_total=[1.0], currency="USD")
        >>> check_currency(b, "CNY", "loyalty.threshold")
        Traceback (most recent call last):
        ...
        custcare.errors.DataError: loyalty.threshold: the orders are in USD but the ...
    """
    if batch.currency is not None and batch.currency != currency:
        raise DataError(
            f"{who}: the orders are in {batch.currency} but the config's amounts are in "
            f"{currency}; set currency={batch.currency!r} with amounts in that currency, "
            "or convert the orders"
        )


def ids_by_customer(
    batch: CustomerBatch,
    mask: NDArray[np.bool_],
    key: NDArray[np.float64],
    limit: int | None = None,
) -> Ragged:
    """The ids of the selected orders, per customer, by ``key`` (one per order) then id.

    With ``limit``, only each customer's first ``limit`` ids.
    """
    n = batch.n_customers
    if batch.order_ids is None or not mask.any():
        return Ragged.empty(n)
    if key is batch.order_time:  # the batch's own (customer, time, id) order, sorted once
        by_time = batch.orders_by_time()
        rows = by_time[mask[by_time]]
    else:
        idx = np.flatnonzero(mask)
        rows = idx[sort_orders(batch.order_customer[idx], key[idx], batch.order_ids[idx])]
    customer = batch.order_customer[rows]
    counts = np.bincount(customer, minlength=n)
    if limit is not None:
        start = np.repeat(np.cumsum(counts) - counts, counts)  # first row of each customer
        rows = rows[np.arange(rows.size) - start < limit]
        counts = np.minimum(counts, limit)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    positions = rows.astype(np.int64)
    offsets.flags.writeable = False
    positions.flags.writeable = False
    return Ragged(offsets, positions, batch.order_ids)
