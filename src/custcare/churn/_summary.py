"""Per-customer (frequency, recency, T, monetary value) summaries from batch columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from custcare.batch import SECONDS_PER_DAY, CustomerBatch

__all__ = ["PurchaseSummary", "purchase_summary"]


@dataclass(frozen=True, eq=False)
class PurchaseSummary:
    """The summary BG/NBD and Gamma-Gamma read, one row per customer of the batch.

    Purchases on the same calendar day (UTC) count as one transaction, as in the
    CDNOW summary of Fader, Hardie and Lee. Times are in units of ``unit_days``.

    Attributes:
        frequency: Repeat transactions (distinct purchase days minus one).
        recency: Time from the first to the last transaction.
        T: Time from the first transaction to ``as_of``.
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


def purchase_summary(batch: CustomerBatch, as_of: float, unit_days: float) -> PurchaseSummary:
    """Summarise purchases up to ``as_of`` (epoch seconds), vectorised.

    Examples:
        >>> day = 86400.0
        >>> b = CustomerBatch.from_arrays(customer_ids=["a", "b"], created_at=[0.0, 0.0],
        ...     order_customer=[0, 0, 0, 1], order_time=[0.0, 7 * day, 7 * day + 60, 0.0],
        ...     order_total=[10.0, 20.0, 5.0, 3.0], currency="CNY")
        >>> s = purchase_summary(b, 14 * day, unit_days=7.0)
        >>> s.frequency.tolist(), s.recency.tolist(), s.T.tolist(), s.monetary_value.tolist()
        ([1.0, 0.0], [1.0, 0.0], [2.0, 2.0], [25.0, 0.0])
    """
    n = batch.n_customers
    keep = np.flatnonzero(batch.order_time <= as_of)
    cust = batch.order_customer[keep]
    day = np.floor(batch.order_time[keep] / SECONDS_PER_DAY).astype(np.int64)
    # One transaction per customer-day: its value is the day's total.
    pairs, inverse = np.unique(np.stack([cust, day], axis=1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    day_value = np.bincount(inverse, weights=batch.order_total[keep], minlength=len(pairs))
    pc, pd = pairs[:, 0], pairs[:, 1]
    purchases = np.bincount(pc, minlength=n).astype(np.int64)
    first_day = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_day, pc, pd)
    last_day = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_day, pc, pd)
    is_first = pd == first_day[pc]
    repeat_value = np.bincount(pc[~is_first], weights=day_value[~is_first], minlength=n)
    frequency = np.maximum(purchases - 1, 0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_value / frequency, 0.0)
    bought = purchases > 0
    first_time = np.where(bought, first_day * SECONDS_PER_DAY, np.nan)
    unit = unit_days * SECONDS_PER_DAY
    recency = np.where(bought, (last_day - first_day) * SECONDS_PER_DAY / unit, 0.0)
    T = np.where(bought, (as_of - first_time) / unit, 0.0)  # noqa: N806
    last_row = np.full(n, -1, dtype=np.int64)
    if keep.size:
        order = np.lexsort((keep, batch.order_time[keep], cust))
        ends = np.flatnonzero(np.r_[cust[order][1:] != cust[order][:-1], True])
        last_row[cust[order][ends]] = keep[order][ends]
    return PurchaseSummary(frequency, recency, T, monetary, purchases, last_row)
