"""Per-customer (frequency, recency, T, monetary value) summaries: the one kernel.

Both public paths count purchases here: `purchase_summary` over `CustomerBatch`
columns (the ``churn.risk`` scorer) and `summarise_transactions` /
`calibration_holdout_summary` over raw arrays (``_holdout.py``). Each turns its input
into integer customer rows and integer time keys (days, or finer units), then:

1. `_occasions`: the distinct (customer, key) pairs in (customer, key) order, from ONE
   sort of the values of a packed ``customer * span + key`` int64 key (a value sort, no
   argsort, no ``np.unique(..., axis=0)``, no two-key lexsort; a lexsort is the fallback
   only when keys are not integers or the pack would overflow);
2. `_customer_stats`: occasions per customer, first and last key, and the value of the
   repeat occasions, with bincounts over the transactions (no further sort).

Purchase days are the shop's calendar days: `_local_days` shifts each epoch time by its
UTC offset in the shop's IANA time zone, vectorised (the zone is asked once per calendar
day present, and a transition inside a day is located to the second).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray

from custcare.batch import SECONDS_PER_DAY, CustomerBatch
from custcare.errors import DataError

__all__ = ["PurchaseSummary", "purchase_summary"]

_DAY = 86_400
#: Largest packed key: customers x span must stay below it to fit int64 with room.
_MAX_PACK = 2**62
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: Epoch seconds a time zone can place: years 2..9998, so that local times (up to a
#: day off UTC) stay within Python's datetime range.
_ZONE_RANGE = (-62_104_060_800, 253_370_764_800)
#: Time ranges up to this many days (55 years) ask the zone about every day in them;
#: longer ones only about the days that hold an order.
_DENSE_DAYS = 20_000


@dataclass(frozen=True, eq=False)
class PurchaseSummary:
    """The summary BG/NBD and Gamma-Gamma read, one row per customer of the batch.

    Purchases on the same calendar day of the shop (in the batch's ``timezone``) count
    as one transaction, as in the CDNOW summary of Fader, Hardie and Lee. Times are in
    units of ``unit_days``.

    Attributes:
        frequency: Repeat transactions (distinct purchase days minus one).
        recency: Time from the first to the last transaction (whole days).
        T: Time from the start of the first purchase day to ``as_of`` (on the shop's
            clock).
        monetary_value: Mean value of the repeat transactions (0 with none).
        purchases: Number of transactions (0 for a customer who never bought).
        last_order_row: Row (in the batch's order table) of the last order, or -1.
    """

    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]
    monetary_value: NDArray[np.float64]
    purchases: NDArray[np.int64]
    last_order_row: NDArray[np.int64]


# --------------------------------------------------------------------------------------
# The kernel shared with the holdout helpers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Occasions:
    """Distinct (customer, key) pairs, sorted by customer then key."""

    cust: NDArray[np.int64]
    key: NDArray[Any]  # int64, or float64 on the fallback path


@dataclass(frozen=True, eq=False)
class _CustomerStats:
    """Per-customer counts of occasions; first/last keys are 0 where there are none."""

    purchases: NDArray[np.int64]
    first: NDArray[Any]
    last: NDArray[Any]
    repeat_value: NDArray[np.float64]


def _occasions(cust: NDArray[np.int64], key: NDArray[Any], n: int) -> _Occasions:
    """The distinct (customer, key) pairs of transactions, with one sort.

    Args:
        cust: Customer row (``0..n-1``) of each transaction.
        key: Integer time key (e.g. day number) of each transaction; float keys are
            accepted and take the slower lexsort path.
        n: Number of customers.
    """
    if key.size == 0:
        return _Occasions(np.zeros(0, np.int64), key[:0].copy())
    if key.dtype.kind in "iu":
        lo = int(key.min())
        span = int(key.max()) - lo + 1
        if n * span < _MAX_PACK:
            step = np.int64(span)  # an int64 scalar keeps numpy's fast integer loops
            packed = cust * step
            packed += key
            packed -= lo
            packed.sort()  # a value sort of one int64 column: the only sort
            new = np.empty(packed.size, dtype=bool)
            new[0] = True
            np.not_equal(packed[1:], packed[:-1], out=new[1:])
            unique = packed[new]
            occ_cust = unique // step  # (np.divmod has no fast path for a scalar divisor)
            unique -= occ_cust * step
            unique += lo
            return _Occasions(occ_cust, unique)
    # Non-integer keys, or customers x key span too large for int64.
    order = np.lexsort((key, cust))
    c, k = cust[order], key[order]
    new = np.r_[True, (c[1:] != c[:-1]) | (k[1:] != k[:-1])]
    return _Occasions(c[new], k[new])


def _customer_stats(
    occ: _Occasions,
    cust: NDArray[np.int64],
    key: NDArray[Any],
    amount: NDArray[np.float64] | None,
    n: int,
    upto: float | None = None,
) -> _CustomerStats:
    """Occasions per customer, first and last key, and the value of repeat occasions.

    Args:
        occ: The occasions (already restricted to keys ``<= upto`` if ``upto`` is given).
        cust: Customer row of each transaction.
        key: Time key of each transaction.
        amount: Value of each transaction, or None (repeat value 0).
        n: Number of customers.
        upto: Count only transactions with key ``<= upto``.
    """
    purchases = np.bincount(occ.cust, minlength=n).astype(np.int64)
    ends = np.cumsum(purchases)
    present = purchases > 0
    first = np.zeros(n, dtype=occ.key.dtype)
    last = np.zeros(n, dtype=occ.key.dtype)
    first[present] = occ.key[(ends - purchases)[present]]
    last[present] = occ.key[ends[present] - 1]
    repeat: NDArray[np.float64] = np.zeros(n)
    if amount is not None:
        # Summing transactions, not occasions, needs no sort to carry amounts along;
        # a repeat occasion is any day after the customer's first.
        later = key != first[cust]
        if upto is not None:
            later &= key <= upto
        weights = np.where(later, amount, 0.0)
        repeat = np.bincount(cust, weights=weights, minlength=n).astype(np.float64, copy=False)
    return _CustomerStats(purchases, first, last, repeat)


# --------------------------------------------------------------------------------------
# The shop's calendar days
# --------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError) as exc:
        raise DataError(
            f"timezone must be an IANA time zone name such as 'Asia/Shanghai', got "
            f"{name!r} ({type(exc).__name__})"
        ) from None


def _offset(zone: ZoneInfo, second: int) -> int:
    """UTC offset (seconds) of ``zone`` at an epoch second."""
    off = (_EPOCH + timedelta(seconds=second)).astimezone(zone).utcoffset()
    return 0 if off is None else int(off.total_seconds())


def _utc_offset(seconds: float, name: str) -> float:
    """UTC offset (seconds) of the time zone ``name`` at one epoch time.

    Example:
        >>> _utc_offset(0.0, "Asia/Shanghai") / 3600
        8.0
    """
    if name == "UTC" or not np.isfinite(seconds):
        return 0.0
    lo, hi = _ZONE_RANGE
    return float(_offset(_zone(name), int(np.floor(min(max(seconds, lo), hi)))))


def _day_changes(zone: ZoneInfo, start: int) -> list[tuple[int, int]]:
    """Every (second, new offset) where the offset changes within the day at ``start``."""
    hours = [start + 3600 * h for h in range(24)] + [start + _DAY - 1]
    offs = [_offset(zone, s) for s in hours]
    out = []
    for i in range(len(hours) - 1):
        (a, off_a), (b, off_b) = (hours[i], offs[i]), (hours[i + 1], offs[i + 1])
        if off_a == off_b:
            continue  # offsets never change twice within an hour
        while b - a > 1:  # first second with the new offset, by bisection
            mid = (a + b) // 2
            if _offset(zone, mid) == off_a:
                a = mid
            else:
                b = mid
        out.append((b, off_b))
    return out


def _local_days(times: NDArray[np.float64], name: str) -> NDArray[np.int64]:
    """Calendar day numbers (days since 1970-01-01) of epoch times in time zone ``name``.

    Vectorised: the zone is asked for its offset at the start and end of each UTC day
    of the range (or, for ranges over 55 years, each day that holds a time): about 1,500
    calls for two years of orders. Days holding a transition (daylight saving) are split
    at the transition's second; a zone with one offset throughout costs one addition.

    Raises:
        DataError: If ``name`` is not a known time zone, or a time is outside the years
            2 to 9998 (a time zone cannot place it).

    Example:
        >>> midnight = 19723 * 86400.0  # 2024-01-01T00:00Z
        >>> t = np.array([midnight - 3600, midnight + 3600])
        >>> (_local_days(t, "UTC") - 19723).tolist()
        [-1, 0]
        >>> (_local_days(t, "Asia/Shanghai") - 19723).tolist()
        [0, 0]
    """
    if name == "UTC" or times.size == 0:
        return np.floor(times / SECONDS_PER_DAY).astype(np.int64)
    zone = _zone(name)
    lo, hi = _ZONE_RANGE
    first, last = float(times.min()), float(times.max())
    if first < lo or last > hi:
        bad = (times < lo) | (times > hi)
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"order_time must be within the years 2 to 9998 to be placed in time zone "
            f"{name!r}: {int(bad.sum())} value(s); first at index {i}: {times[i]!r}"
        )
    d0 = int(np.floor(first / SECONDS_PER_DAY))
    n_days = int(np.floor(last / SECONDS_PER_DAY)) - d0 + 1
    rel: NDArray[np.int64] | None = None
    if n_days <= _DENSE_DAYS:  # ask the zone about every day of the range
        days = np.arange(n_days)
    else:  # a long range: only the days that hold a time
        rel = np.floor(times / SECONDS_PER_DAY).astype(np.int64) - d0
        present = np.zeros(n_days, dtype=bool)
        present[rel] = True
        days = np.flatnonzero(present)
    start_off = np.zeros(n_days, dtype=np.int64)
    changes: list[tuple[int, list[tuple[int, int]]]] = []
    for d in days.tolist():  # one step per calendar day, not per order
        start = (d0 + d) * _DAY
        start_off[d] = _offset(zone, start)
        # An offset that changes and changes back within one UTC day does not occur
        # in the tz database, so equal offsets at both ends mean none changed.
        if _offset(zone, start + _DAY - 1) != start_off[d]:
            changes.append((d, _day_changes(zone, start)))
    used = start_off[days]
    if not changes and np.all(used == used[0]):  # one offset throughout (e.g. Shanghai)
        return np.floor((times + float(used[0])) / SECONDS_PER_DAY).astype(np.int64)
    if rel is None:
        rel = np.floor(times / SECONDS_PER_DAY).astype(np.int64) - d0
    offsets = start_off[rel]
    if changes:
        split = np.zeros(n_days, dtype=bool)
        bounds: list[int] = []
        values: list[int] = []
        for d, found in changes:
            split[d] = True
            bounds.append((d0 + d) * _DAY)
            values.append(int(start_off[d]))
            for second, off in found:
                bounds.append(second)
                values.append(off)
        inside = split[rel]
        j = np.searchsorted(np.asarray(bounds, dtype=np.float64), times[inside], "right") - 1
        offsets[inside] = np.asarray(values, dtype=np.int64)[j]
    return np.floor((times + offsets) / SECONDS_PER_DAY).astype(np.int64)


# --------------------------------------------------------------------------------------
# The batch path
# --------------------------------------------------------------------------------------


def purchase_summary(batch: CustomerBatch, as_of: float, unit_days: float) -> PurchaseSummary:
    """Summarise purchases up to ``as_of`` (epoch seconds), vectorised.

    Purchase days are calendar days in ``batch.timezone``: two orders on the same
    Shanghai day are one purchase even if they straddle midnight UTC.

    Raises:
        DataError: If ``batch.timezone`` is not a known IANA time zone.

    Examples:
        >>> day = 86400.0
        >>> b = CustomerBatch.from_arrays(customer_ids=["a", "b"], created_at=[0.0, 0.0],
        ...     order_customer=[0, 0, 0, 1], order_time=[0.0, 7 * day, 7 * day + 60, 0.0],
        ...     order_total=[10.0, 20.0, 5.0, 3.0], currency="CNY")
        >>> s = purchase_summary(b, 14 * day, unit_days=7.0)
        >>> s.frequency.tolist(), s.recency.tolist(), s.T.tolist(), s.monetary_value.tolist()
        ([1.0, 0.0], [1.0, 0.0], [2.0, 2.0], [25.0, 0.0])

        Two orders 16:30 and 17:30 UTC are on one Shanghai day (00:30 and 01:30 local
        the next day), but an order at 15:30 UTC is on the day before:

        >>> t = [15.5 * 3600, 16.5 * 3600, 17.5 * 3600]
        >>> b = CustomerBatch.from_arrays(customer_ids=["a"], created_at=[0.0],
        ...     order_customer=[0, 0, 0], order_time=t, order_total=[1.0, 2.0, 3.0],
        ...     currency="CNY", timezone="Asia/Shanghai")
        >>> purchase_summary(b, 3 * day, unit_days=1.0).frequency.tolist()
        [1.0]
    """
    n = batch.n_customers
    t = batch.order_time
    rows: NDArray[np.int64] | None = None
    cust, amount = batch.order_customer, batch.order_total
    if t.size and not t.max() <= as_of:
        rows = np.flatnonzero(t <= as_of)
        cust, t, amount = cust[rows], t[rows], amount[rows]
    day = _local_days(t, batch.timezone)
    st = _customer_stats(_occasions(cust, day, n), cust, day, amount, n)
    purchases = st.purchases
    frequency = np.maximum(purchases - 1, 0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, st.repeat_value / frequency, 0.0)
    bought = purchases > 0
    first_time = np.where(bought, st.first * SECONDS_PER_DAY, np.nan)
    unit = unit_days * SECONDS_PER_DAY
    recency = np.where(bought, (st.last - st.first) * SECONDS_PER_DAY / unit, 0.0)
    local_as_of = as_of + _utc_offset(as_of, batch.timezone)
    T = np.where(bought, (local_as_of - first_time) / unit, 0.0)  # noqa: N806
    # Where clocks go back at midnight, as_of can fall on a local day before the last
    # purchase's; keep T >= recency, as the models require (a no-op in UTC).
    T = np.maximum(T, recency)  # noqa: N806
    return PurchaseSummary(frequency, recency, T, monetary, purchases, _last_rows(cust, t, rows, n))


def _last_rows(
    cust: NDArray[np.int64], t: NDArray[np.float64], rows: NDArray[np.int64] | None, n: int
) -> NDArray[np.int64]:
    """Row of each customer's latest order (the highest row among ties), -1 if none."""
    out = np.full(n, -1, dtype=np.int64)
    if cust.size == 0:
        return out
    latest = np.full(n, -np.inf)
    np.maximum.at(latest, cust, t)
    at_latest = np.flatnonzero(t == latest[cust])
    np.maximum.at(out, cust[at_latest], at_latest if rows is None else rows[at_latest])
    return out
