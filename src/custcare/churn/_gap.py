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


def _gaps(batch: CustomerBatch) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Days between consecutive purchases of the same customer, and whose they are."""
    order = np.lexsort((batch.order_time, batch.order_customer))
    cust, times = batch.order_customer[order], batch.order_time[order]
    same = cust[1:] == cust[:-1]
    return (times[1:] - times[:-1])[same] / SECONDS_PER_DAY, cust[1:][same]


def _own_median_gaps(batch: CustomerBatch) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per-customer median gap (days) between consecutive purchases; NaN with < 2."""
    n = batch.n_customers
    gaps, gcust = _gaps(batch)
    counts = np.bincount(gcust, minlength=n)
    # Sort gaps within each customer, then pick the middle one(s).
    by = np.lexsort((gaps, gcust))
    gaps, gcust = gaps[by], gcust[by]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    lo = starts + (counts - 1) // 2
    hi = starts + counts // 2
    median = np.full(n, np.nan)
    median[has] = (gaps[lo[has]] + gaps[hi[has]]) / 2.0
    return median, np.bincount(batch.order_customer, minlength=n).astype(np.int64)


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
    gaps, _ = _gaps(batch)
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
    own, purchases = _own_median_gaps(batch)
    last = batch.last_order_time()
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
