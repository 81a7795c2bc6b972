"""The model-free fallback: time since the last purchase over the customer's usual gap.

For one customer, or when no population model is fitted. A customer with two or
more purchases is compared with their own median gap between purchases; a
one-time buyer with the population's median gap. The ratio falls into bands:

| band | ratio (days since last purchase / typical gap) |
|---|---|
| ``active`` | below 1 |
| ``cooling`` | 1 to below 2 |
| ``at_risk`` | 2 to below 4 |
| ``lapsed`` | 4 or more |

A customer with no purchase gets the band ``no_purchases``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custcare.batch import SECONDS_PER_DAY, CustomerBatch

__all__ = [
    "GAP_BANDS",
    "GAP_EDGES",
    "GapArrays",
    "gap_band_index",
    "gap_bands",
    "gap_kernel",
    "median_gap_days",
]


@dataclass(frozen=True, eq=False)
class GapArrays:
    """Per-customer columns of the gap method."""

    purchases: NDArray[np.int64]
    days_since_last: NDArray[np.float64]
    typical_gap_days: NDArray[np.float64]
    own_gap: NDArray[np.bool_]
    ratio: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class _SortedOrders:
    """Orders in (customer, time) order: the one sort of a gap-rule call."""

    cust: NDArray[np.int64]
    time: NDArray[np.float64]

    def gaps(self) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Days between consecutive purchases of the same customer, and whose they are."""
        same = self.cust[1:] == self.cust[:-1]
        return (self.time[1:] - self.time[:-1])[same] / SECONDS_PER_DAY, self.cust[1:][same]


#: Customers x time span (seconds) must stay below this for the packed int64 key.
_MAX_PACK = 2**62


def _sorted_orders(batch: CustomerBatch) -> _SortedOrders:
    """Sort the orders by (customer, time) once, as values of a packed int64 key.

    Times in whole seconds (the usual case) pack as ``customer * span + second``, and
    sorting those values needs no argsort; fractional times, or spans too long to pack,
    fall back to a two-key lexsort.
    """
    cust, t = batch.order_customer, batch.order_time
    if t.size:
        lo, hi = float(t.min()), float(t.max())
        span = int(hi - lo) + 1
        whole = abs(lo) < 2.0**53 and abs(hi) < 2.0**53 and np.array_equal(t, np.floor(t))
        if whole and batch.n_customers * span < _MAX_PACK:
            step = np.int64(span)
            packed = cust * step
            packed += (t - lo).astype(np.int64)
            packed.sort()
            sorted_cust = packed // step
            packed -= sorted_cust * step
            return _SortedOrders(sorted_cust, packed.astype(np.float64) + lo)
    order = np.lexsort((t, cust))
    return _SortedOrders(cust[order], t[order])


def _own_median_gaps(orders: _SortedOrders, n: int) -> NDArray[np.float64]:
    """Per-customer median gap (days) between consecutive purchases; NaN with < 2.

    The gaps come out grouped by customer, so no second sort: customers with the same
    number of gaps ``k`` form a ``(customers, k)`` matrix, and ``np.partition`` picks
    the middle one(s) of each row. Each pass drops the customers done, so the work over
    all ``k`` is proportional to the number of gaps.
    """
    gaps, gcust = orders.gaps()
    counts = np.bincount(gcust, minlength=n)
    starts = np.cumsum(counts) - counts
    median = np.full(n, np.nan)
    todo = np.flatnonzero(counts)
    while todo.size:
        k = int(counts[todo].min())
        rows = todo[counts[todo] == k]
        block = gaps[starts[rows][:, None] + np.arange(k)]
        lo, hi = (k - 1) // 2, k // 2
        if k > 2:
            block = np.partition(block, (lo, hi), axis=1)
        median[rows] = (block[:, lo] + block[:, hi]) / 2.0
        todo = todo[counts[todo] > k]
    return median


def median_gap_days(batch: CustomerBatch) -> float | None:
    """The population's median gap between consecutive purchases, in days.

    Returns None when no customer has two purchases.

    Examples:
        >>> b = CustomerBatch.from_arrays(customer_ids=["a"], created_at=[0.0],
        ...     order_customer=[0, 0, 0], order_time=[0.0, 86400.0 * 10, 86400.0 * 40],
        ...     order_total=[1.0, 1.0, 1.0], currency="CNY")
        >>> median_gap_days(b)
        20.0
    """
    gaps, _ = _sorted_orders(batch).gaps()
    return float(np.median(gaps)) if gaps.size else None


def gap_kernel(batch: CustomerBatch, as_of: float, population_gap_days: float) -> GapArrays:
    """Vectorised gap method for every customer of ``batch`` (orders already cut at as_of).

    Args:
        batch: Customers and their purchases.
        as_of: Epoch seconds of the moment to score at.
        population_gap_days: The typical gap used for one-time buyers.

    Examples:
        >>> b = CustomerBatch.from_arrays(customer_ids=["a", "b"], created_at=[0.0, 0.0],
        ...     order_customer=[0, 0, 1], order_time=[0.0, 86400.0 * 10, 0.0],
        ...     order_total=[1.0, 1.0, 1.0], currency="CNY")
        >>> g = gap_kernel(b, 86400.0 * 30, population_gap_days=60.0)
        >>> g.ratio.tolist(), g.own_gap.tolist()
        ([2.0, 0.5], [True, False])
    """
    n = batch.n_customers
    orders = _sorted_orders(batch)
    own = _own_median_gaps(orders, n)
    purchases = np.bincount(batch.order_customer, minlength=n).astype(np.int64)
    last = np.full(n, np.nan)
    if orders.cust.size:  # each customer's last order ends their run of sorted orders
        ends = np.flatnonzero(np.r_[orders.cust[1:] != orders.cust[:-1], True])
        last[orders.cust[ends]] = orders.time[ends]
    days_since = (as_of - last) / SECONDS_PER_DAY
    own_gap = ~np.isnan(own) & (own > 0)
    typical = np.where(own_gap, own, population_gap_days)
    typical = np.where(purchases > 0, typical, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = days_since / typical
    return GapArrays(purchases, days_since, typical, own_gap, ratio)


GAP_EDGES: tuple[float, float, float] = (1.0, 2.0, 4.0)
"""Ratio edges between the bands ``active | cooling | at_risk | lapsed``."""

GAP_BANDS: tuple[str, ...] = ("active", "cooling", "at_risk", "lapsed", "no_purchases")


def gap_band_index(gap: GapArrays) -> NDArray[np.int64]:
    """The band of each customer as an index into `GAP_BANDS`."""
    idx = np.searchsorted(np.asarray(GAP_EDGES), np.nan_to_num(gap.ratio), side="right")
    return np.where(gap.purchases > 0, idx, len(GAP_BANDS) - 1).astype(np.int64)


def gap_bands(gap: GapArrays) -> NDArray[np.str_]:
    """The band of each customer from the gap ratio (see the module docs for the edges).

    Examples:
        >>> import numpy as np
        >>> g = GapArrays(np.array([2, 1, 0]), np.zeros(3), np.ones(3), np.ones(3, bool),
        ...               np.array([0.5, 5.0, np.nan]))
        >>> gap_bands(g).tolist()
        ['active', 'lapsed', 'no_purchases']
    """
    return np.asarray(GAP_BANDS, dtype=np.str_)[gap_band_index(gap)]
