"""The shop care calendar: every customer's planned contacts, day by day, within capacity.

`care_calendar` reads `PlanScores.actions` (every planned action of a population,
as columns), orders the contacts by the value at stake (`value_at_stake`), and
fills each day of a window with at most the team's capacity for that day and at
most a budget of contacts per customer per week. A contact that does not fit on
its day is carried to the next day (it competes again, by its stake, with that
day's actions); what still does not fit at the end of the window is reported as
not scheduled, with the reason. No action is dropped silently: every action of
the plan has one row and one status.

Columnar and vectorised: one sort, then one pass of array operations per day.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from custcare.batch import SECONDS_PER_DAY, to_epoch_seconds
from custcare.care._labels import ActionKind
from custcare.care._plan import ACTION_PRIORITY, PlanActions, PlanScores
from custcare.errors import CustcareUsageError
from custcare.scoring import check_as_of

__all__ = [
    "CALENDAR_STATUSES",
    "COMPLAINT_REACH",
    "REFERRALS_PER_SATISFIED",
    "CalendarRow",
    "CalendarStatus",
    "CareCalendarTable",
    "care_calendar",
    "value_at_stake",
]

COMPLAINT_REACH: Final = 52
"""Customers' business one complaint stands for (DOMAIN.md, "Complaints").

One dissatisfied customer keeps 13 others away, and of 4 dissatisfied customers
only 1 complains: 13 x 4 = 52.
"""

REFERRALS_PER_SATISFIED: Final = 4
"""New customers a satisfied customer brings (DOMAIN.md, "Complaints").

A satisfied customer introduces 8 potential customers, of whom 4 become customers.
"""

CalendarStatus = Literal[
    "scheduled", "over_capacity", "over_budget", "after_window", "not_a_contact"
]
CALENDAR_STATUSES: tuple[CalendarStatus, ...] = (
    "scheduled",
    "over_capacity",
    "over_budget",
    "after_window",
    "not_a_contact",
)
"""Every action of the plan gets one of these, in this order in the table."""

_FOLLOW_UP = ACTION_PRIORITY.index(ActionKind.COMPLAINT_FOLLOW_UP)
_CHECK = ACTION_PRIORITY.index(ActionKind.SATISFACTION_CHECK)
_KIND_CODES = np.array([k.value for k in ACTION_PRIORITY], dtype=np.str_)
_STATUS_CODES = np.array(CALENDAR_STATUSES, dtype=np.str_)
MAX_DAYS: Final = 366


def value_at_stake(
    kind: ArrayLike, value: ArrayLike, risk: ArrayLike, satisfied: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The business at stake in one action, in units of one ordinary customer's business.

    The rule (the one place it is written)::

        own   = (1 + value) * (1 + risk)
        reach = COMPLAINT_REACH (52)           for a complaint or negative-review follow-up
              + REFERRALS_PER_SATISFIED (4)    for a satisfaction check, or any action
                                               for a customer known to be satisfied
        stake = own + reach

    ``own`` is the customer's own business: 1 for an ordinary customer, up to 2 for
    the most valued (``value`` is population-relative, in ``[0, 1]``, from a loyalty
    scorer), doubled again at certain loss (``risk``, the probability of no further
    purchase, in ``[0, 1]``). ``reach`` is the business of others behind the
    action: an unresolved complaint stands for about 52 customers' business, and a
    satisfied customer brings about 4 new ones (DOMAIN.md, "Complaints"). So a
    complaint follow-up always comes before other care, as the seeds ask.

    Unknown inputs (NaN) count as 0: no evidence of value or of risk. Anything
    else outside ``[0, 1]`` (infinity included) is refused, never clipped.

    Args:
        kind: Index into `ACTION_PRIORITY` per action.
        value: Customer value per action, in ``[0, 1]``.
        risk: Churn risk per action, in ``[0, 1]``.
        satisfied: Whether the customer is known to be satisfied, per action.

    Returns:
        ``(stake, reach)`` per action.

    Raises:
        CustcareUsageError: if a value or risk lies outside ``[0, 1]``.

    Examples:
        >>> stake, reach = value_at_stake([0, 7], [0.5, 1.0], [0.0, 1.0], [False, False])
        >>> stake.tolist(), reach.tolist()
        ([53.5, 4.0], [52.0, 0.0])
    """
    k = np.asarray(kind, dtype=np.int64)
    v = _unit_interval("value", np.asarray(value, dtype=np.float64))
    p = _unit_interval("risk", np.asarray(risk, dtype=np.float64))
    happy = np.asarray(satisfied, dtype=np.bool_)
    reach = COMPLAINT_REACH * (k == _FOLLOW_UP) + REFERRALS_PER_SATISFIED * ((k == _CHECK) | happy)
    reach = reach.astype(np.float64)
    return (1.0 + v) * (1.0 + p) + reach, reach


@dataclass(frozen=True)
class CalendarRow:
    """One row of the care calendar, for printing.

    Attributes:
        day: Day of the window (0 = the day from ``start``), -1 if not scheduled.
        at: When to do it (the due moment, or the start of the day it was carried
            to); None if not scheduled.
        due: When the plan had it due.
        customer_id: The customer.
        action: The action code (`ActionKind` value).
        channel: The channel code.
        record_id: The record behind it, ``""`` if none.
        detail: The churn cause, holiday or launch, ``""`` if none.
        stake: Business at stake (`value_at_stake`).
        value: The customer value read.
        risk: The churn risk read.
        reach: The others' business in ``stake`` (52 complaint, 4 referrals, 0).
        status: A `CALENDAR_STATUSES` code.

    The repr of a ``birthday_wishes`` row hides ``day``, ``at`` and ``due``: they
    give the customer's birthday away.
    """

    day: int
    at: datetime | None
    due: datetime
    customer_id: str
    action: str
    channel: str
    record_id: str
    detail: str
    stake: float
    value: float
    risk: float
    reach: float
    status: CalendarStatus

    def __repr__(self) -> str:
        """The fields, with a birthday's moments hidden (personal data)."""
        hide = self.action == ActionKind.BIRTHDAY_WISHES.value
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown = "<birthday hidden>" if hide and f.name in ("due", "at", "day") else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"CalendarRow({', '.join(parts)})"


@dataclass(frozen=True, eq=False)
class CareCalendarTable:
    """The care calendar as columns: one row per action of the plan.

    Rows are ordered: scheduled actions by day, then within a day by the calendar
    order (stake, higher first; then due, earlier first; then `ACTION_PRIORITY`;
    then customer id; then the plan's own order within a customer, which is by
    record id); then the actions not scheduled (``over_capacity``,
    ``over_budget``) in the calendar order; then ``after_window`` and
    ``not_a_contact``, each by customer id and then the plan's order. The order
    does not depend on the order of the customers in the plan.

    Numeric columns are stored; the text columns (`customer_id`, `kind`,
    `channel`, `record_id`, `detail`, `status`) are read from the plan when asked
    for, so a calendar of millions of actions copies no strings.

    Attributes:
        start: The window's start; day ``d`` is ``[start + d days, start + d+1 days)``.
        days: Length of the window in days.
        capacity: Contacts the team can make, per day of the window.
        customer_budget: Contacts per customer per week of the window (weeks from
            ``start``).
        plan: The plan's customer ids and actions the rows point into.
        action: ``(r,)`` position of the action in ``PlanScores.actions``.
        day: ``(r,)`` day scheduled, -1 if not.
        at: ``(r,)`` epoch seconds to do it, NaN if not scheduled.
        stake: ``(r,)`` business at stake (`value_at_stake`).
        value: ``(r,)`` customer value read.
        risk: ``(r,)`` churn risk read.
        reach: ``(r,)`` others' business in the stake (52, 4, 56 or 0).
        status_index: ``(r,)`` index into `CALENDAR_STATUSES`.
    """

    start: datetime
    days: int
    capacity: tuple[int, ...]
    customer_budget: int
    plan: PlanScores
    action: NDArray[np.int64]
    day: NDArray[np.int64]
    at: NDArray[np.float64]
    stake: NDArray[np.float64]
    value: NDArray[np.float64]
    risk: NDArray[np.float64]
    reach: NDArray[np.float64]
    status_index: NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.action.shape[0])

    @property
    def _actions(self) -> PlanActions:
        assert self.plan.actions is not None  # care_calendar refuses a plan without
        return self.plan.actions

    @property
    def due(self) -> NDArray[np.float64]:
        """``(r,)`` epoch seconds the plan had each action due."""
        return self._actions.due[self.action]

    @property
    def customer_id(self) -> NDArray[np.str_]:
        """``(r,)`` the customer of each row."""
        return self.plan.customer_ids[self._actions.row[self.action]]

    @property
    def kind(self) -> NDArray[np.str_]:
        """``(r,)`` the action codes (`ActionKind` values)."""
        return _KIND_CODES[self._actions.kind[self.action]]

    @property
    def channel(self) -> NDArray[np.str_]:
        """``(r,)`` the channel codes."""
        return self._actions.channel[self.action]

    @property
    def record_id(self) -> NDArray[np.str_]:
        """``(r,)`` the record behind each action, ``""`` if none."""
        a = self._actions
        record = a.record[self.action]
        if not a.pool.size:
            return np.full(record.shape, "", dtype=np.str_)
        return np.where(record >= 0, a.pool[np.maximum(record, 0)], "").astype(np.str_)

    @property
    def detail(self) -> NDArray[np.str_]:
        """``(r,)`` the churn cause, holiday or launch, ``""`` if none."""
        return self._actions.detail[self.action]

    @property
    def status(self) -> NDArray[np.str_]:
        """``(r,)`` the `CALENDAR_STATUSES` codes."""
        return _STATUS_CODES[self.status_index]

    def counts(self) -> dict[CalendarStatus, int]:
        """How many actions have each status (every status named, zeros included)."""
        tally = np.bincount(self.status_index, minlength=len(CALENDAR_STATUSES))
        return {s: int(tally[k]) for k, s in enumerate(CALENDAR_STATUSES)}

    def per_day(self) -> NDArray[np.int64]:
        """Contacts scheduled on each day of the window."""
        on = self.day[self.day >= 0]
        return np.bincount(on, minlength=self.days).astype(np.int64)

    def rows(
        self, *, status: CalendarStatus = "scheduled", day: int | None = None
    ) -> Iterator[CalendarRow]:
        """The rows with a status (and on one day), in table order, for printing."""
        mask = self.status_index == CALENDAR_STATUSES.index(status)
        if day is not None:
            mask &= self.day == day
        zone = self.start.tzinfo or timezone.utc
        a = self._actions
        for i in np.flatnonzero(mask):
            k = int(self.action[i])
            record = int(a.record[k])
            yield CalendarRow(
                day=int(self.day[i]),
                at=None if np.isnan(self.at[i]) else _moment(float(self.at[i]), zone),
                due=_moment(float(a.due[k]), zone),
                customer_id=str(self.plan.customer_ids[a.row[k]]),
                action=str(_KIND_CODES[a.kind[k]]),
                channel=str(a.channel[k]),
                record_id=str(a.pool[record]) if record >= 0 else "",
                detail=str(a.detail[k]),
                stake=float(self.stake[i]),
                value=float(self.value[i]),
                risk=float(self.risk[i]),
                reach=float(self.reach[i]),
                status=status,
            )

    def __iter__(self) -> Iterator[CalendarRow]:
        """The scheduled rows, day by day, in calendar order."""
        return self.rows()


def care_calendar(
    plan: PlanScores,
    *,
    start: datetime,
    capacity_per_day: int | Sequence[int],
    days: int = 14,
    customer_budget: int = 4,
    value: ArrayLike | None = None,
    risk: ArrayLike | None = None,
    satisfied: ArrayLike | None = None,
) -> CareCalendarTable:
    """The shop care calendar: who to contact on which day, most at stake first.

    Contacts (actions whose channel is not ``none``) due before the end of the
    window are ordered by `value_at_stake` (higher first), then due (earlier
    first), then `ACTION_PRIORITY`, then customer id, then the plan's order within
    the customer (by record id): the order is total and does not depend on the
    order of the customers. Day by day, from ``start``, the actions due by the end
    of that day and not yet scheduled (those due before ``start`` are overdue and
    count from day 0) are taken in that order, skipping a customer who already has
    ``customer_budget`` contacts that week of the window, until the day's capacity
    is used. What does not fit is **carried to the next day**, where it competes
    again by its stake; what is left after the last day is reported, never
    dropped: ``over_budget`` if the customer's budget for the window's last week
    would hold it back even with more capacity, else ``over_capacity``. Actions
    due after the window are ``after_window``; actions that are not contacts
    (``let_go``) are ``not_a_contact``. A scheduled action is done at its due moment, or at the
    start of the day it was carried to: never before ``start``.

    Args:
        plan: `CarePlanScorer.score_batch` output (with ``actions``).
        start: A timezone-aware moment; day 0 starts here (e.g. the shop's local
            midnight, or the plan's ``as_of``). Row times are given in its zone.
        capacity_per_day: Contacts the team can make in a day: one number, or one
            per day of the window.
        days: Length of the window, 1 to 366.
        customer_budget: Contacts per customer per week of the window (weeks counted
            from ``start``), at least 1; the plan's ``weekly_budget`` is the natural
            choice.
        value: Customer value per plan row (customer), in ``[0, 1]`` (e.g. a loyalty
            scorer's ``customer_value`` column); 0 when None.
        risk: Churn risk per plan row, in ``[0, 1]`` (e.g. the ``risk`` column of
            ``churn.risk``); NaN or None counts as 0.
        satisfied: Whether each customer is known to be satisfied (e.g. the
            ``care.satisfaction`` level is satisfied or very satisfied); False when
            None.

    Returns:
        A `CareCalendarTable` with one row per action of the plan.

    Raises:
        CustcareUsageError: (code ``bad_argument``) if the plan has no actions
            columns, an option is out of range, or a per-customer column does not
            have one entry per plan row or is outside ``[0, 1]``.
        NaiveDatetimeError: if ``start`` is naive.

    Examples:
        >>> from custcare.batch import from_histories
        >>> from custcare.care import CarePlanScorer
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> plan = CarePlanScorer().score_batch(from_histories(shop.histories), as_of=shop.as_of)
        >>> cal = care_calendar(plan, start=shop.as_of, capacity_per_day=3, days=7)
        >>> int(cal.per_day().max()) <= 3, sum(cal.counts().values()) == len(plan.actions)
        (True, True)
    """
    start = check_as_of(start)
    a = plan.actions
    if a is None:
        raise _usage("plan has no actions columns; pass CarePlanScorer.score_batch output")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        raise _usage(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    capacity = _capacity(capacity_per_day, days)
    if (
        not isinstance(customer_budget, int)
        or isinstance(customer_budget, bool)
        or customer_budget < 1
    ):
        raise _usage(f"customer_budget must be a whole number from 1, got {customer_budget!r}")
    n = len(plan)
    v = _per_customer("value", value, n, 0.0)
    p = _per_customer("risk", risk, n, 0.0)
    happy = _per_customer("satisfied", satisfied, n, False).astype(np.bool_)

    t0 = to_epoch_seconds(start)
    t_end = t0 + days * SECONDS_PER_DAY
    n_a = len(a)
    contact = a.channel != "none"
    candidate = contact & (a.due < t_end)
    stake, reach = value_at_stake(a.kind, v[a.row], p[a.row], happy[a.row])

    # The calendar order over the candidates: stake, due, priority, customer id, plan order.
    cand = np.flatnonzero(candidate)
    # Stake first (stable: the plan's order, which within a customer is due, priority,
    # record id); then runs of equal stake that hold several customers are put in
    # the full order (due, priority, customer id, plan order).
    order = cand[np.argsort(-stake[cand], kind="stable")]
    ids = plan.customer_ids
    order = _ties_across_customers(order, a, ids, stake)
    cust = a.row[order]
    due_day = np.maximum(np.floor((a.due[order] - t0) / SECONDS_PER_DAY), 0).astype(np.int64)
    day_of = np.full(order.size, -1, dtype=np.int64)
    used = np.zeros(n, dtype=np.int64)
    for d in range(days):
        if d % 7 == 0:
            used[:] = 0
        eligible = np.flatnonzero((day_of < 0) & (due_day <= d))  # in calendar order
        cap = int(capacity[d])
        # Only a prefix of the eligible actions can be taken today: widen it until it
        # holds the day's capacity of actions the customers' budgets allow.
        size = min(eligible.size, max(2 * cap, 1024))
        while True:
            head = eligible[:size]
            allowed = used[cust[head]] + _earlier_same(cust[head]) < customer_budget
            if size == eligible.size or int(np.count_nonzero(allowed)) >= cap:
                break
            size = min(eligible.size, 4 * size)
        take = head[allowed][:cap]
        day_of[take] = d
        np.add.at(used, cust[take], 1)
    # Not scheduled: over_budget when the last week's budget would hold it back even
    # with more capacity on the last day, else over_capacity.
    left_pos = np.flatnonzero(day_of < 0)
    waiting = np.bincount(cust[left_pos], minlength=n)
    crowded = left_pos[used[cust[left_pos]] + waiting[cust[left_pos]] > customer_budget]
    blocked = np.zeros(order.size, dtype=np.bool_)
    blocked[crowded] = used[cust[crowded]] + _earlier_same(cust[crowded]) >= customer_budget

    # Assemble: every action one row, one status.
    status = np.full(n_a, CALENDAR_STATUSES.index("not_a_contact"), dtype=np.int8)
    status[contact & ~candidate] = CALENDAR_STATUSES.index("after_window")
    scheduled = day_of >= 0
    status[order[scheduled]] = CALENDAR_STATUSES.index("scheduled")
    status[order[~scheduled & blocked]] = CALENDAR_STATUSES.index("over_budget")
    status[order[~scheduled & ~blocked]] = CALENDAR_STATUSES.index("over_capacity")
    sched = order[scheduled]
    sched = sched[np.argsort(day_of[scheduled], kind="stable")]
    rest_mask = np.ones(n_a, dtype=np.bool_)
    rest_mask[order] = False
    rest = np.flatnonzero(rest_mask)
    # after_window, then not_a_contact; each by customer id, then the plan's order.
    rest = rest[np.lexsort((rest, ids[a.row[rest]], status[rest]))]
    rows = np.concatenate([sched, order[~scheduled], rest]).astype(np.int64)

    day = np.full(n_a, -1, dtype=np.int64)
    day[order] = day_of
    at = np.full(n_a, np.nan)
    on = order[scheduled]
    at[on] = np.maximum(a.due[on], t0 + day[on] * SECONDS_PER_DAY)
    return CareCalendarTable(
        start=start,
        days=days,
        capacity=tuple(int(c) for c in capacity),
        customer_budget=customer_budget,
        plan=plan,
        action=rows,
        day=day[rows],
        at=at[rows],
        stake=stake[rows],
        value=v[a.row[rows]],
        risk=p[a.row[rows]],
        reach=reach[rows],
        status_index=status[rows],
    )


def _ties_across_customers(
    order: NDArray[np.int64], a: PlanActions, ids: NDArray[np.str_], stake: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Reorder runs of equal stake that span customers by (due, priority, customer id).

    Sorting only those runs keeps a million distinct stakes from paying for a
    five-key sort and a string sort of a million customer ids.
    """
    if order.size < 2:
        return order
    s = stake[order]
    rows = a.row[order]
    same = s[1:] == s[:-1]
    if not same.any():
        return order
    run = np.cumsum(np.concatenate([[True], ~same]))
    mixed = np.zeros(int(run[-1]) + 1, dtype=np.bool_)
    mixed[run[1:][same & (rows[1:] != rows[:-1])]] = True
    tied = np.flatnonzero(mixed[run])
    if not tied.size:
        return order
    sub = order[tied]
    key = np.lexsort((sub, ids[a.row[sub]], a.kind[sub], a.due[sub], run[tied]))
    out: NDArray[np.int64] = order.copy()
    out[tied] = sub[key]
    return out


def _earlier_same(cust: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each position, how many earlier positions hold the same customer."""
    by = np.argsort(cust, kind="stable")
    grouped = cust[by]
    first = np.ones(grouped.size, dtype=np.bool_)
    first[1:] = grouped[1:] != grouped[:-1]
    starts = np.flatnonzero(first)
    rank = np.arange(grouped.size) - np.repeat(starts, np.diff(np.append(starts, grouped.size)))
    earlier = np.empty(cust.size, dtype=np.int64)
    earlier[by] = rank
    return earlier


def _usage(message: str) -> CustcareUsageError:
    return CustcareUsageError(f"care_calendar: {message}", code="bad_argument")


def _capacity(capacity: int | Sequence[int], days: int) -> NDArray[np.int64]:
    if isinstance(capacity, int) and not isinstance(capacity, bool):
        values = [capacity] * days
    elif isinstance(capacity, Sequence) and not isinstance(capacity, str):
        values = list(capacity)
        if len(values) != days:
            raise _usage(f"capacity_per_day has {len(values)} days, the window {days}")
    else:
        raise _usage("capacity_per_day must be a whole number or one per day")
    if any(not isinstance(c, int) or isinstance(c, bool) or c < 0 for c in values):
        raise _usage("capacity_per_day must hold whole numbers from 0")
    return np.asarray(values, dtype=np.int64)


def _per_customer(name: str, column: ArrayLike | None, n: int, default: float) -> NDArray[Any]:
    if column is None:
        return np.full(n, default, dtype=np.float64)
    arr = np.asarray(column, dtype=np.float64).reshape(-1)
    if arr.shape[0] != n:
        raise _usage(f"{name} has {arr.shape[0]} entries, the plan {n} customers")
    return _unit_interval(name, arr)


def _unit_interval(name: str, arr: NDArray[np.float64]) -> NDArray[np.float64]:
    """``arr`` with NaN (unknown) as 0; anything else outside ``[0, 1]`` is refused."""
    known = arr[~np.isnan(arr)]
    if known.size and (known.min() < 0.0 or known.max() > 1.0):
        raise _usage(f"{name} must lie in [0, 1] (NaN for unknown)")
    return np.nan_to_num(arr)


def _moment(seconds: float, zone: tzinfo) -> datetime:
    return (datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds)).astimezone(zone)
