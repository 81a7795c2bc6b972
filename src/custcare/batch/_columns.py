"""Columnar, per-customer data for population work: numpy arrays, no Python loops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custcare.errors import DataError
from custcare.models import CustomerHistory

__all__ = ["CustomerBatch", "from_histories", "to_epoch_seconds"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

SECONDS_PER_DAY = 86_400.0


def _frozen_empty(dtype: Any) -> NDArray[Any]:
    arr: NDArray[Any] = np.empty(0, dtype=dtype)
    arr.flags.writeable = False
    return arr


_EMPTY_INT = _frozen_empty(np.int64)
_EMPTY_FLOAT = _frozen_empty(np.float64)
_EMPTY_STR = _frozen_empty(np.str_)


def to_epoch_seconds(moment: datetime) -> float:
    """Seconds since 1970-01-01 UTC of an aware datetime (the batch time axis).

    Examples:
        >>> from datetime import datetime, timezone
        >>> to_epoch_seconds(datetime(1970, 1, 2, tzinfo=timezone.utc))
        86400.0
    """
    return (moment - _EPOCH).total_seconds()


def _as_array(name: str, values: ArrayLike, dtype: Any, n: int | None) -> NDArray[Any]:
    arr: NDArray[Any] = np.asarray(values, dtype=dtype)
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise DataError(f"{name} has {arr.shape[0]} entries, expected {n}")
    arr = arr.copy()
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class CustomerBatch:
    """Customers and their orders as columns, for vectorised scoring of populations.

    Two tables share one time axis (seconds since the Unix epoch, UTC) and one
    currency. Customers are rows ``0..n-1``; orders are a long table whose
    ``order_customer`` column holds the customer's row. Only orders that count as
    purchases (completed; see `custcare.models.COUNTED_STATUSES`) belong in the
    order table. Money is float64 here, for speed; the per-customer path uses the
    same arithmetic, so both paths agree.

    Build it from histories with `from_histories`, or straight from arrays (an
    order log read by your own program) with `CustomerBatch.from_arrays`.

    Attributes:
        customer_ids: ``(n,)`` customer ids (unique).
        created_at: ``(n,)`` customer creation times.
        order_customer: ``(m,)`` row of the customer of each order.
        order_time: ``(m,)`` time each order was placed.
        order_total: ``(m,)`` amount paid (after discount).
        order_cost: ``(m,)`` cost of goods, NaN where unknown.
        order_units: ``(m,)`` number of units on the order.
        order_discounted: ``(m,)`` whether the order had a discount.
        currency: The one currency of every amount, or None when there are no orders.
        order_ids: ``(m,)`` order ids, when known (for evidence).
        timezone: The shop's IANA time zone (e.g. ``"Asia/Shanghai"``): purchase
            days are the shop's calendar days in it.
        uncounted_customer: ``(u,)`` row of the customer of each order that does not
            count as a purchase (pending, paid, shipped, cancelled, refunded,
            returned); these are cited in reasons, never summed.
        uncounted_time: ``(u,)`` time each such order was placed.
        uncounted_status: ``(u,)`` its status code (`custcare.models.OrderStatus` value).
        uncounted_ids: ``(u,)`` its id.
    """

    customer_ids: NDArray[np.str_]
    created_at: NDArray[np.float64]
    order_customer: NDArray[np.int64]
    order_time: NDArray[np.float64]
    order_total: NDArray[np.float64]
    order_cost: NDArray[np.float64]
    order_units: NDArray[np.int64]
    order_discounted: NDArray[np.bool_]
    currency: str | None = None
    order_ids: NDArray[np.str_] | None = field(default=None)
    timezone: str = "UTC"
    uncounted_customer: NDArray[np.int64] = field(default_factory=lambda: _EMPTY_INT)
    uncounted_time: NDArray[np.float64] = field(default_factory=lambda: _EMPTY_FLOAT)
    uncounted_status: NDArray[np.str_] = field(default_factory=lambda: _EMPTY_STR)
    uncounted_ids: NDArray[np.str_] = field(default_factory=lambda: _EMPTY_STR)

    @classmethod
    def from_arrays(
        cls,
        *,
        customer_ids: ArrayLike,
        created_at: ArrayLike,
        order_customer: ArrayLike,
        order_time: ArrayLike,
        order_total: ArrayLike,
        order_cost: ArrayLike | None = None,
        order_units: ArrayLike | None = None,
        order_discounted: ArrayLike | None = None,
        currency: str | None = None,
        order_ids: ArrayLike | None = None,
        timezone: str = "UTC",
        uncounted_customer: ArrayLike | None = None,
        uncounted_time: ArrayLike | None = None,
        uncounted_status: ArrayLike | None = None,
        uncounted_ids: ArrayLike | None = None,
    ) -> CustomerBatch:
        """Validate and freeze columns (copies are made; inputs are not changed).

        Raises:
            DataError: naming the column and the rule (lengths, negative amounts,
                rows out of range, NaN times, duplicate ids).

        Examples:
            >>> b = CustomerBatch.from_arrays(
            ...     customer_ids=["a", "b"], created_at=[0.0, 0.0],
            ...     order_customer=[0, 0, 1], order_time=[10.0, 20.0, 30.0],
            ...     order_total=[5.0, 7.5, 1.0], currency="CNY")
            >>> b.n_customers, b.n_orders, b.spend().tolist()
            (2, 3, [12.5, 1.0])
        """
        ids = _as_array("customer_ids", customer_ids, np.str_, None)
        n = ids.shape[0]
        if np.unique(ids).shape[0] != n:
            raise DataError("customer_ids must be unique")
        created = _as_array("created_at", created_at, np.float64, n)
        oc = _as_array("order_customer", order_customer, np.int64, None)
        m = oc.shape[0]
        if m and (oc.min() < 0 or oc.max() >= n):
            raise DataError(f"order_customer must hold customer rows in 0..{n - 1}")
        ot = _as_array("order_time", order_time, np.float64, m)
        total = _as_array("order_total", order_total, np.float64, m)
        cost = _as_array(
            "order_cost", np.full(m, np.nan) if order_cost is None else order_cost, np.float64, m
        )
        units = _as_array(
            "order_units", np.ones(m) if order_units is None else order_units, np.int64, m
        )
        disc = _as_array(
            "order_discounted",
            np.zeros(m, bool) if order_discounted is None else order_discounted,
            np.bool_,
            m,
        )
        for name, col in (("created_at", created), ("order_time", ot), ("order_total", total)):
            if not np.all(np.isfinite(col)):
                raise DataError(f"{name} must be finite (no NaN or inf)")
        if np.any(total < 0):
            raise DataError("order_total must be >= 0")
        if np.any(cost[~np.isnan(cost)] < 0):
            raise DataError("order_cost must be >= 0 where known")
        if np.any(units < 1):
            raise DataError("order_units must be >= 1")
        oids = None if order_ids is None else _as_array("order_ids", order_ids, np.str_, m)
        if m and currency is None:
            raise DataError("currency is required when there are orders")
        uc = _as_array(
            "uncounted_customer",
            [] if uncounted_customer is None else uncounted_customer,
            np.int64,
            None,
        )
        u = uc.shape[0]
        if u and (uc.min() < 0 or uc.max() >= n):
            raise DataError(f"uncounted_customer must hold customer rows in 0..{n - 1}")
        ut = _as_array(
            "uncounted_time", [] if uncounted_time is None else uncounted_time, np.float64, u
        )
        us = _as_array(
            "uncounted_status", [] if uncounted_status is None else uncounted_status, np.str_, u
        )
        ui = _as_array("uncounted_ids", [] if uncounted_ids is None else uncounted_ids, np.str_, u)
        return cls(
            ids, created, oc, ot, total, cost, units, disc, currency, oids, timezone, uc, ut, us, ui
        )

    @property
    def n_customers(self) -> int:
        """Number of customers (rows)."""
        return int(self.customer_ids.shape[0])

    @property
    def n_orders(self) -> int:
        """Number of orders in the long table."""
        return int(self.order_customer.shape[0])

    def _sum(self, values: NDArray[Any], mask: NDArray[np.bool_] | None) -> NDArray[np.float64]:
        idx = self.order_customer if mask is None else self.order_customer[mask]
        w = values if mask is None else values[mask]
        sums = np.bincount(idx, weights=w.astype(np.float64), minlength=self.n_customers)
        return sums.astype(np.float64, copy=False)

    def _window(self, as_of: float, window_days: float | None) -> NDArray[np.bool_]:
        keep = self.order_time <= as_of
        if window_days is not None:
            keep &= self.order_time > as_of - window_days * SECONDS_PER_DAY
        return keep

    def spend(self, as_of: float = np.inf, window_days: float | None = None) -> NDArray[np.float64]:
        """Per-customer spend of orders placed in ``(as_of - window, as_of]``.

        Examples:
            >>> b = CustomerBatch.from_arrays(customer_ids=["a"], created_at=[0.0],
            ...     order_customer=[0, 0], order_time=[0.0, 86400.0 * 10],
            ...     order_total=[3.0, 4.0], currency="CNY")
            >>> b.spend(as_of=86400.0 * 10, window_days=5).tolist()
            [4.0]
        """
        return self._sum(self.order_total, self._window(as_of, window_days))

    def order_count(
        self, as_of: float = np.inf, window_days: float | None = None
    ) -> NDArray[np.int64]:
        """Per-customer number of orders in ``(as_of - window, as_of]``."""
        idx = self.order_customer[self._window(as_of, window_days)]
        return np.bincount(idx, minlength=self.n_customers).astype(np.int64)

    def margin(self, as_of: float = np.inf) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Per-customer gross profit of orders with a known cost, and which are complete.

        Returns:
            ``(margin, complete)``: margin summed over orders whose cost is known;
            ``complete`` is True where every order's cost was known.
        """
        keep = self._window(as_of, None)
        known = keep & ~np.isnan(self.order_cost)
        margin = self._sum(self.order_total - np.nan_to_num(self.order_cost), known)
        unknown = np.bincount(
            self.order_customer[keep & np.isnan(self.order_cost)], minlength=self.n_customers
        )
        return margin, unknown == 0

    def last_order_time(self, as_of: float = np.inf) -> NDArray[np.float64]:
        """Per-customer time of the latest order at or before ``as_of``; NaN if none."""
        keep = self._window(as_of, None)
        out = np.full(self.n_customers, -np.inf)
        np.maximum.at(out, self.order_customer[keep], self.order_time[keep])
        out[np.isneginf(out)] = np.nan
        return out

    def first_order_time(self, as_of: float = np.inf) -> NDArray[np.float64]:
        """Per-customer time of the earliest order at or before ``as_of``; NaN if none."""
        keep = self._window(as_of, None)
        out = np.full(self.n_customers, np.inf)
        np.minimum.at(out, self.order_customer[keep], self.order_time[keep])
        out[np.isposinf(out)] = np.nan
        return out

    def until(self, as_of: datetime) -> CustomerBatch:
        """The batch without orders placed after ``as_of`` (customers are kept).

        Examples:
            >>> from datetime import datetime, timezone
            >>> b = CustomerBatch.from_arrays(customer_ids=["a"], created_at=[0.0],
            ...     order_customer=[0, 0], order_time=[0.0, 2e9], order_total=[1.0, 2.0],
            ...     currency="CNY")
            >>> b.until(datetime(2000, 1, 1, tzinfo=timezone.utc)).n_orders
            1
        """
        cut = to_epoch_seconds(as_of)
        keep = self.order_time <= cut
        keep_u = self.uncounted_time <= cut
        if keep.all() and keep_u.all():
            return self
        rows = np.arange(self.n_customers)
        return self._with_orders(rows, self.order_customer, keep, self.uncounted_customer, keep_u)

    def take(self, rows: ArrayLike) -> CustomerBatch:
        """A batch of the given customer rows (in that order) with their orders."""
        r = np.asarray(rows, dtype=np.int64)
        new_row = np.full(self.n_customers, -1, dtype=np.int64)
        new_row[r] = np.arange(r.shape[0])
        keep = new_row[self.order_customer] >= 0
        keep_u = new_row[self.uncounted_customer] >= 0
        return self._with_orders(
            r, new_row[self.order_customer], keep, new_row[self.uncounted_customer], keep_u
        )

    def _with_orders(
        self,
        rows: NDArray[np.int64],
        order_customer: NDArray[np.int64],
        keep: NDArray[np.bool_],
        uncounted_customer: NDArray[np.int64],
        keep_u: NDArray[np.bool_],
    ) -> CustomerBatch:
        return CustomerBatch.from_arrays(
            customer_ids=self.customer_ids[rows],
            created_at=self.created_at[rows],
            order_customer=order_customer[keep],
            order_time=self.order_time[keep],
            order_total=self.order_total[keep],
            order_cost=self.order_cost[keep],
            order_units=self.order_units[keep],
            order_discounted=self.order_discounted[keep],
            currency=self.currency,
            order_ids=None if self.order_ids is None else self.order_ids[keep],
            timezone=self.timezone,
            uncounted_customer=uncounted_customer[keep_u],
            uncounted_time=self.uncounted_time[keep_u],
            uncounted_status=self.uncounted_status[keep_u],
            uncounted_ids=self.uncounted_ids[keep_u],
        )


def from_histories(histories: Sequence[CustomerHistory], *, timezone: str = "UTC") -> CustomerBatch:
    """Columns from validated histories (one Python pass over the records).

    Only orders that count as purchases go in the order table. All histories must
    share one currency.

    Raises:
        DataError: if the histories mix currencies or repeat a customer.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> batch = from_histories(sample_shop().histories)
        >>> batch.n_customers == len(sample_shop().histories)
        True
    """
    currencies = sorted({h.currency for h in histories if h.currency is not None})
    if len(currencies) > 1:
        raise DataError(f"histories use several currencies {currencies}; convert them to one first")
    cust: list[int] = []
    times: list[float] = []
    totals: list[float] = []
    costs: list[float] = []
    units: list[int] = []
    disc: list[bool] = []
    oids: list[str] = []
    u_cust: list[int] = []
    u_times: list[float] = []
    u_status: list[str] = []
    u_ids: list[str] = []
    for row, history in enumerate(histories):
        for order in history.orders:
            if not order.counts_as_purchase:
                u_cust.append(row)
                u_times.append(to_epoch_seconds(order.placed_at))
                u_status.append(order.status.value)
                u_ids.append(order.id)
        for order in history.purchases:
            cost = order.cost
            cust.append(row)
            times.append(to_epoch_seconds(order.placed_at))
            totals.append(float(order.total))
            costs.append(np.nan if cost is None else float(cost))
            units.append(sum(line.quantity for line in order.lines))
            disc.append(order.is_discounted)
            oids.append(order.id)
    return CustomerBatch.from_arrays(
        customer_ids=[h.customer.id for h in histories],
        created_at=[to_epoch_seconds(h.customer.created_at) for h in histories],
        order_customer=np.asarray(cust, dtype=np.int64),
        order_time=np.asarray(times, dtype=np.float64),
        order_total=np.asarray(totals, dtype=np.float64),
        order_cost=np.asarray(costs, dtype=np.float64),
        order_units=np.asarray(units, dtype=np.int64),
        order_discounted=np.asarray(disc, dtype=np.bool_),
        currency=currencies[0] if currencies else None,
        order_ids=np.asarray(oids, dtype=np.str_),
        timezone=timezone,
        uncounted_customer=np.asarray(u_cust, dtype=np.int64),
        uncounted_time=np.asarray(u_times, dtype=np.float64),
        uncounted_status=np.asarray(u_status, dtype=np.str_),
        uncounted_ids=np.asarray(u_ids, dtype=np.str_),
    )
