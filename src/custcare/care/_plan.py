"""The ``care.plan`` scorer: dated care actions for each customer, with the records behind them.

Actions follow from what custcare holds: unpaid, shipped and delivered orders;
open complaints and negative reviews (follow up until resolved, then check
satisfaction); the churn cause found upstream (win back, or let go); the
customer's value upstream (regular greetings, holiday and birthday wishes for key
customers); the shop's calendar (holidays, birthdays, launch weeks, gifts, the
goods that need a set-up call after delivery). Guards then hold back contacts: none
but about the complaint while one is open, a weekly contact budget, and no
promotion to a customer the shop lets go.

One columnar path builds every customer's plan at once (`CarePlanScorer.score_batch`);
the per-customer `score` is a one-row view of it. Nothing after ``as_of`` is read,
and no action is due before the event it follows.
"""

from __future__ import annotations

from calendar import isleap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)

from custcare.batch import SECONDS_PER_DAY, CareRecords, CustomerBatch, to_epoch_seconds
from custcare.care._discounts import Discount
from custcare.care._labels import ActionKind, Channel
from custcare.care._protocols import ChurnCauseColumns, ChurnCauseView
from custcare.care._scripts import SCRIPTS, WIN_BACK_SCRIPTS
from custcare.loyalty import VALUE_SOURCES, customer_value, customer_value_columns
from custcare.models import AwareDatetime
from custcare.models._base import redact_errors
from custcare.scoring import (
    BaseScorer,
    BatchScores,
    Ragged,
    Reason,
    ReasonColumns,
    ReasonSlot,
    ScorerConfig,
    ScoreResult,
    ScorerTraits,
    Upstream,
    UpstreamScores,
)

__all__ = [
    "ACTION_PRIORITY",
    "CareAction",
    "CareCalendar",
    "CarePlanScorer",
    "Holiday",
    "Launch",
    "PlanActions",
    "PlanConfig",
    "PlanResult",
    "PlanScores",
]

Span = Annotated[timedelta, Field(ge=timedelta(0), le=timedelta(days=3650))]
Positive = Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=3650))]

ACTION_PRIORITY: tuple[ActionKind, ...] = (
    ActionKind.COMPLAINT_FOLLOW_UP,
    ActionKind.SATISFACTION_CHECK,
    ActionKind.PAYMENT_REMINDER,
    ActionKind.SHIPPING_NOTICE,
    ActionKind.RECEIPT_NOTICE,
    ActionKind.SETUP_CALL,
    ActionKind.WIN_BACK,
    ActionKind.LET_GO,
    ActionKind.GREETING,
    ActionKind.HOLIDAY_WISHES,
    ActionKind.BIRTHDAY_WISHES,
    ActionKind.LAUNCH_WEEK,
    ActionKind.GIFT,
)
"""Which action keeps its place first when the weekly budget is short."""

_KINDS = ACTION_PRIORITY
_K = {k: i for i, k in enumerate(_KINDS)}
_MARKETING = np.array(
    [
        k
        in (
            ActionKind.WIN_BACK,
            ActionKind.GREETING,
            ActionKind.HOLIDAY_WISHES,
            ActionKind.BIRTHDAY_WISHES,
            ActionKind.LAUNCH_WEEK,
            ActionKind.GIFT,
        )
        for k in _KINDS
    ]
)


def _default_channels() -> dict[ActionKind, Channel]:
    return {
        ActionKind.COMPLAINT_FOLLOW_UP: Channel.PHONE,
        ActionKind.SATISFACTION_CHECK: Channel.PHONE,
        ActionKind.PAYMENT_REMINDER: Channel.CHAT,
        ActionKind.SHIPPING_NOTICE: Channel.SMS,
        ActionKind.RECEIPT_NOTICE: Channel.CHAT,
        ActionKind.SETUP_CALL: Channel.PHONE,
        ActionKind.WIN_BACK: Channel.PHONE,
        ActionKind.LET_GO: Channel.NONE,
        ActionKind.GREETING: Channel.CHAT,
        ActionKind.HOLIDAY_WISHES: Channel.SMS,
        ActionKind.BIRTHDAY_WISHES: Channel.SMS,
        ActionKind.LAUNCH_WEEK: Channel.CHAT,
        ActionKind.GIFT: Channel.NONE,
    }


class Holiday(BaseModel):
    """A day the shop sends wishes on (the core holds no calendar of its own).

    Examples:
        >>> Holiday(day="2026-09-25", name_zh="中秋节", name_en="Mid-Autumn Festival").day.month
        9
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    day: date
    name_zh: Annotated[str, Field(min_length=1, max_length=40)]
    name_en: Annotated[str, Field(min_length=1, max_length=60)]


class Launch(BaseModel):
    """A product launch: old customers get a discount week from its first day.

    Examples:
        >>> Launch(id="autumn-tea", starts="2026-09-01").days
        7
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=60)]
    starts: date
    days: Annotated[int, Field(ge=1, le=31)] = 7


class CareCalendar(BaseModel):
    """The shop's own dates for care: holidays, launches and discounts, in the shop's time zone.

    ``birthdays`` are personal data: the repr shows how many there are, never the
    dates, and validation errors name the customer id only (the config hides input
    values in its errors).

    Examples:
        >>> CareCalendar(timezone="Asia/Shanghai").timezone
        'Asia/Shanghai'
        >>> shop = CareCalendar(birthdays={"u1": "02-29"})
        >>> "02-29" in repr(shop), "birthdays=<1 birthday(s) hidden>" in repr(shop)
        (False, True)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    timezone: str = Field("UTC", description="IANA zone of the shop's calendar days.")
    send_hour: Annotated[int, Field(ge=0, le=23)] = Field(
        10, description="Local hour at which wishes and launch invitations are due."
    )
    holidays: tuple[Holiday, ...] = ()
    launches: tuple[Launch, ...] = ()
    gift_skus: tuple[Annotated[str, Field(min_length=1, max_length=60)], ...] = Field(
        (),
        description="SKUs of the shop's own range given to old key customers as a gift "
        "in their next parcel (rather than cash), first choice first.",
    )
    setup_skus: tuple[Annotated[str, Field(min_length=1, max_length=60)], ...] = Field(
        (),
        description="SKUs that need set-up or repair: a delivered order holding one gets "
        "a call after delivery.",
    )
    birthdays: dict[Annotated[str, Field(min_length=1)], str] = Field(
        default_factory=dict,
        description='Customer id to birthday as month-day "MM-DD" (Feb 29 is wished on '
        "Feb 28 in other years). Personal data: masked in the repr.",
    )
    discounts: tuple[Discount, ...] = Field(
        (), description="The shop's discount events, for `discount_warnings`."
    )

    @model_validator(mode="wrap")
    @classmethod
    def _redact_errors(cls, data: Any, handler: ModelWrapValidatorHandler[CareCalendar]) -> Any:
        # Birthdays are personal data: like the record models, errors keep the
        # input only for ids, codes, times and numbers (not in errors() or json()).
        try:
            return handler(data)
        except ValidationError as exc:
            redacted = redact_errors(exc)
        raise ValidationError.from_exception_data(cls.__name__, redacted)

    @field_validator("birthdays")
    @classmethod
    def _month_days(cls, value: dict[str, str]) -> dict[str, str]:
        for customer_id, month_day in value.items():
            if _month_day(month_day) is None:
                # Name the customer only: the date is personal data.
                raise ValueError(
                    f"birthday of customer {customer_id!r} must be a month-day MM-DD "
                    "(01-01 to 12-31)"
                )
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name == "birthdays":
                yield name, _Masked(f"<{len(self.birthdays)} birthday(s) hidden>")
            else:
                yield name, value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


class PlanConfig(ScorerConfig):
    """Parameters of `CarePlanScorer`.

    ``channels`` need not name every action kind: kinds it leaves out take their
    default channel, so a config saved before a kind existed still loads.

    Examples:
        >>> PlanConfig(weekly_budget=2).weekly_budget
        2
        >>> PlanConfig(channels={"greeting": "sms"}).channels[ActionKind.GIFT].value
        'none'
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    horizon: Positive = Field(timedelta(days=14), description="Plan actions due within this.")
    payment_window: Positive = Field(
        timedelta(days=3), description="Unpaid orders placed within this get a reminder (催付)."
    )
    payment_reminder_after: Span = Field(timedelta(hours=2), description="Delay after ordering.")
    notice_window: Positive = Field(
        timedelta(days=14), description="Shipped orders placed within this get a shipping notice."
    )
    receipt_window: Positive = Field(
        timedelta(days=3), description="Orders delivered within this get a receipt notice."
    )
    receipt_after: Span = Field(timedelta(hours=12), description="Delay after delivery.")
    setup_window: Positive = Field(
        timedelta(days=14),
        description="Orders delivered within this, holding a set-up SKU, get a set-up call.",
    )
    setup_call_after: Span = Field(
        timedelta(days=1), description="Set-up or repair call this long after delivery."
    )
    follow_ups: Annotated[int, Field(ge=1, le=10)] = Field(
        3, description="Follow-ups planned for each open complaint or negative review."
    )
    follow_up_every: Positive = Field(timedelta(days=2), description="Days between follow-ups.")
    review_window: Positive = Field(
        timedelta(days=30),
        description="Negative reviews younger than this, not yet complaints, are followed up.",
    )
    check_after: Span = Field(timedelta(days=2), description="Satisfaction check after resolution.")
    check_window: Positive = Field(
        timedelta(days=14), description="Complaints resolved within this get a satisfaction check."
    )
    win_back_bands: tuple[str, ...] = Field(
        ("at_risk", "lapsed"), description="Churn risk bands that call for win-back or let-go."
    )
    let_go_causes: tuple[str, ...] = Field(
        ("price", "natural"), description="Churn causes the shop lets go (price-hunters, natural)."
    )
    key_value: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.75, description="Customer value (upstream loyalty) from which a customer is key."
    )
    greeting_every: Positive = Field(timedelta(days=7), description="Key customers' greetings.")
    old_customer_purchases: Annotated[int, Field(ge=1, le=1000)] = Field(
        2, description="Purchases from which a customer is invited to a launch week."
    )
    weekly_budget: Annotated[int, Field(ge=1, le=50)] = Field(
        4, description="Contacts per customer per week (from as_of), most important first."
    )
    max_actions: Annotated[int, Field(ge=1, le=100)] = Field(
        24, description="Actions kept per customer, soonest first."
    )
    channels: dict[ActionKind, Channel] = Field(default_factory=_default_channels)
    calendar: CareCalendar = Field(default_factory=CareCalendar)

    @field_validator("channels")
    @classmethod
    def _every_kind(cls, value: dict[ActionKind, Channel]) -> dict[ActionKind, Channel]:
        # Kinds the map leaves out (e.g. added after the config was saved) keep their default.
        return {**_default_channels(), **value}


class CareAction(BaseModel):
    """One dated action of a customer's care plan.

    Attributes:
        code: The action kind.
        due: When to do it (in the calendar's time zone); never before ``event_at``.
        event_at: The event it follows (an order, a delivery, a complaint, the last
            purchase for greetings and win-back).
        channel: How to reach the customer (``none``: not a contact).
        script_zh: A short script, in Chinese.
        script_en: The same, in English.
        record_id: The record behind it (order, review or complaint), ``""`` if none.
        detail: The churn cause of a win-back or let-go, the holiday's English name,
            the launch id, the gift SKU or the set-up SKU; ``""`` otherwise (a
            birthday's date is never put here).

    The repr of a birthday action hides its ``due`` moment (personal data).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: ActionKind
    due: AwareDatetime
    event_at: AwareDatetime
    channel: Channel
    script_zh: str
    script_en: str
    record_id: str
    detail: str = ""

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name == "due" and self.code is ActionKind.BIRTHDAY_WISHES:
                yield name, _Masked("<birthday hidden>")  # the due moment is the birthday
            else:
                yield name, value


class PlanResult(ScoreResult):
    """A customer's care plan: actions soonest first, and what the guards held back.

    The reasons are one per action (``plan.<kind>``, citing its record), then the
    guards that held actions back, or ``plan.nothing_due``.
    """

    batch_columns: ClassVar[tuple[str, ...]] = (
        "n_actions",
        "contacts",
        "next_action",
        "next_due_epoch",
        "held_budget",
        "held_open_complaint",
        "held_let_go",
    )

    actions: tuple[CareAction, ...]
    held_budget: Annotated[int, Field(ge=0)]
    held_open_complaint: Annotated[int, Field(ge=0)]
    held_let_go: Annotated[int, Field(ge=0)]

    @property
    def n_actions(self) -> int:
        """How many actions are planned."""
        return len(self.actions)

    @property
    def contacts(self) -> int:
        """How many planned actions contact the customer."""
        return sum(a.channel is not Channel.NONE for a in self.actions)

    @property
    def next_action(self) -> str:
        """The first action's code, ``""`` without one."""
        return self.actions[0].code.value if self.actions else ""

    @property
    def next_due_epoch(self) -> float | None:
        """The first action's due moment as epoch seconds, None without one."""
        return self.actions[0].due.timestamp() if self.actions else None


@dataclass(frozen=True, eq=False)
class PlanActions:
    """Every planned action of a population as columns, rows in customer, then due order.

    Attributes:
        row: ``(a,)`` the customer row.
        kind: ``(a,)`` index into `ACTION_PRIORITY`.
        due: ``(a,)`` due moment, epoch seconds.
        event: ``(a,)`` the moment of the event it follows.
        record: ``(a,)`` position of its record in ``pool``, -1 if none.
        detail: ``(a,)`` the cause code, holiday or launch, ``""`` if none.
        pool: Ids of the records the actions cite.
        channel: ``(a,)`` the channel code of each action (``"none"``: not a contact).
    """

    row: NDArray[np.int64]
    kind: NDArray[np.int64]
    due: NDArray[np.float64]
    event: NDArray[np.float64]
    record: NDArray[np.int64]
    detail: NDArray[np.str_]
    pool: NDArray[np.str_]
    channel: NDArray[np.str_]

    def __len__(self) -> int:
        return int(self.row.shape[0])


@dataclass(frozen=True, eq=False)
class PlanScores(BatchScores):
    """`CarePlanScorer.score_batch` output: one row per customer, plus every action.

    `actions` holds every planned action as columns, for a shop-wide care calendar.
    """

    actions: PlanActions | None = None


@dataclass(frozen=True, eq=False)
class _Inputs:
    """What the plan reads from other scorers, one entry per customer."""

    value: NDArray[np.float64]
    cause: NDArray[np.str_]  # "" where no cause is known or the band does not call for it

    @classmethod
    def of_rows(cls, upstream: Sequence[Upstream], bands: tuple[str, ...]) -> _Inputs:
        value = np.array([customer_value(u)[0] for u in upstream], dtype=np.float64)
        causes = []
        for u in upstream:
            view = u.get("churn.cause")
            causes.append(_cause_of(view, bands) if isinstance(view, ChurnCauseView) else "")
        return cls(value, np.asarray(causes, dtype=np.str_).reshape(-1))

    @classmethod
    def of_scores(cls, upstream: UpstreamScores, n: int, bands: tuple[str, ...]) -> _Inputs:
        value, _ = customer_value_columns(upstream, n)
        cause = np.full(n, "", dtype=object)
        scores = upstream.get("churn.cause")
        if isinstance(scores, ChurnCauseColumns):
            top = np.asarray(scores.top_cause, dtype=np.str_)
            low = np.asarray(scores.low_confidence, dtype=np.bool_)
            band = np.isin(np.asarray(scores.risk_band, dtype=np.str_), bands)
            cause = np.where(band, np.where(low, "unknown", top), "")
        elif scores is not None and scores.explain is not None:
            for i in range(n):
                view = scores.result(i)
                if isinstance(view, ChurnCauseView):
                    cause[i] = _cause_of(view, bands)
        return cls(value, np.asarray(cause, dtype=np.str_).reshape(-1))


def _cause_of(view: ChurnCauseView, bands: tuple[str, ...]) -> str:
    if str(view.risk_band) not in bands:
        return ""
    return "unknown" if view.low_confidence else str(view.top_cause)


class CarePlanScorer(BaseScorer[PlanConfig, PlanResult]):
    """Dated care actions per customer, each with a channel, a script and its records.

    Action kinds (`ActionKind`), each due no earlier than the event it follows
    and no earlier than ``as_of``, within ``horizon``:

    * ``payment_reminder`` (催付): an order pending payment, placed within
      ``payment_window``; ``shipping_notice``: a shipped order not yet delivered;
      ``receipt_notice``: an order delivered within ``receipt_window``;
      ``setup_call``: ``setup_call_after`` after the delivery (within
      ``setup_window``) of a completed order holding one of the calendar's
      ``setup_skus``.
    * ``complaint_follow_up``: ``follow_ups`` times, ``follow_up_every`` apart, for
      each open complaint and each negative review of the ``review_window`` not
      raised as a complaint; ``satisfaction_check`` after a resolution.
    * ``win_back`` with the script for the churn cause (`ChurnCauseView` from
      ``churn.cause`` upstream, for the ``win_back_bands``), or ``let_go`` (no
      contact) for the ``let_go_causes``.
    * ``greeting`` every ``greeting_every`` and ``holiday_wishes`` on the calendar's
      holidays for key customers (value from a loyalty scorer upstream at least
      ``key_value``); ``birthday_wishes`` for key customers on their next birthday
      in the calendar's ``birthdays`` (a date never shown in reasons or reprs);
      ``launch_week`` for old customers on a launch's first day; ``gift`` from the
      calendar's ``gift_skus`` in an old key customer's next parcel.

    Guards: while a complaint or negative review is open, no other contact is
    planned up to the day of its last follow-up; a customer who is let go gets
    no win-back, greeting or promotion; at most ``weekly_budget`` contacts per
    week from ``as_of`` (`ACTION_PRIORITY` decides which stay).

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> plans = CarePlanScorer().score_many(shop.histories, as_of=shop.as_of)
        >>> all(a.due >= a.event_at for p in plans for a in p.actions)
        True
    """

    name: ClassVar[str] = "care.plan"
    description: ClassVar[str] = (
        "Dated care actions per customer (order care, complaint follow-up, win-back, "
        "greetings) with channel, script and records."
    )
    config_model = PlanConfig
    traits: ClassVar[ScorerTraits] = ScorerTraits(batch=True, uses=("churn.cause", *VALUE_SOURCES))

    def score_batch(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores | None = None
    ) -> PlanScores:
        """Every customer's plan at once; `PlanScores.actions` holds every action as columns.

        Examples:
            >>> from custcare.batch import from_histories
            >>> from custcare.datasets import sample_shop
            >>> shop = sample_shop()
            >>> scorer = CarePlanScorer()
            >>> scores = scorer.score_batch(from_histories(shop.histories), as_of=shop.as_of)
            >>> scores.result(3) == scorer.score(shop.histories[3], as_of=shop.as_of)
            True
        """
        scores = super().score_batch(batch, as_of=as_of, upstream=upstream)
        assert isinstance(scores, PlanScores)
        return scores

    def _scores_upstream(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores
    ) -> PlanScores:
        bands = self.config.win_back_bands
        return self._plan(batch, as_of, _Inputs.of_scores(upstream, batch.n_customers, bands))

    def _scores_rows(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: Sequence[Upstream]
    ) -> PlanScores:
        return self._plan(batch, as_of, _Inputs.of_rows(upstream, self.config.win_back_bands))

    def _plan(self, batch: CustomerBatch, as_of: datetime, inputs: _Inputs) -> PlanScores:
        cfg = self.config
        n = batch.n_customers
        rec = batch.records if batch.records is not None else CareRecords.empty(n)
        now = to_epoch_seconds(as_of)
        end = now + cfg.horizon.total_seconds()
        n_o, n_r = rec.order_ids.size, rec.review_ids.size
        pool = np.concatenate([rec.order_ids, rec.review_ids, rec.complaint_ids]).astype(np.str_)
        pool.flags.writeable = False
        rows: list[NDArray[np.int64]] = []
        kinds: list[NDArray[np.int64]] = []
        dues: list[NDArray[np.float64]] = []
        events: list[NDArray[np.float64]] = []
        records: list[NDArray[np.int64]] = []
        details: list[NDArray[np.str_]] = []

        def add(
            kind: ActionKind,
            row: NDArray[np.int64],
            due: NDArray[np.float64],
            event: NDArray[np.float64],
            record: NDArray[np.int64],
            detail: NDArray[np.str_] | str = "",
        ) -> None:
            rows.append(np.asarray(row, dtype=np.int64))
            kinds.append(np.full(row.size, _K[kind], dtype=np.int64))
            dues.append(np.maximum(np.asarray(due, dtype=np.float64), np.maximum(event, now)))
            events.append(np.asarray(event, dtype=np.float64))
            records.append(np.asarray(record, dtype=np.int64))
            details.append(np.broadcast_to(np.asarray(detail, dtype=np.str_), row.shape))

        # --- order care -----------------------------------------------------------------
        def status_is(code: str) -> NDArray[np.bool_]:
            ids = batch.uncounted_ids[batch.uncounted_status == code]
            return np.isin(rec.order_ids, ids) if ids.size else np.zeros(n_o, dtype=np.bool_)

        placed = rec.order_placed
        pending = np.flatnonzero(
            status_is("pending_payment") & (placed >= now - cfg.payment_window.total_seconds())
        )
        add(
            ActionKind.PAYMENT_REMINDER,
            rec.order_customer[pending],
            placed[pending] + cfg.payment_reminder_after.total_seconds(),
            placed[pending],
            pending,
        )
        delivered = rec.order_delivered
        is_shipped = status_is("shipped")
        shipped = np.flatnonzero(
            is_shipped & np.isnan(delivered) & (placed >= now - cfg.notice_window.total_seconds())
        )
        add(
            ActionKind.SHIPPING_NOTICE,
            rec.order_customer[shipped],
            placed[shipped],
            placed[shipped],
            shipped,
        )
        with np.errstate(invalid="ignore"):
            got = np.flatnonzero(
                (delivered >= now - cfg.receipt_window.total_seconds())
                & (rec.order_counted | is_shipped)
            )
        add(
            ActionKind.RECEIPT_NOTICE,
            rec.order_customer[got],
            delivered[got] + cfg.receipt_after.total_seconds(),
            delivered[got],
            got,
        )

        # --- a call after delivery for goods that need set-up or repair --------------------
        setup_skus = cfg.calendar.setup_skus
        if setup_skus:
            # Purchase lines (completed orders) holding a set-up SKU; the first listed wins.
            sku_rank = np.full(rec.line_sku.size, len(setup_skus), dtype=np.int64)
            for j, sku in reversed(list(enumerate(setup_skus))):
                sku_rank[rec.line_sku == sku] = j
            hit = np.flatnonzero(sku_rank < len(setup_skus))
            best = np.full(n_o, len(setup_skus), dtype=np.int64)
            np.minimum.at(best, rec.line_order[hit], sku_rank[hit])
            with np.errstate(invalid="ignore"):
                calls = np.flatnonzero(
                    (best < len(setup_skus))
                    & (delivered >= now - cfg.setup_window.total_seconds())
                    & (delivered <= now)
                )
            add(
                ActionKind.SETUP_CALL,
                rec.order_customer[calls],
                delivered[calls] + cfg.setup_call_after.total_seconds(),
                delivered[calls],
                calls,
                np.asarray(setup_skus, dtype=np.str_)[best[calls]],
            )

        # --- complaints and negative reviews: follow up until resolved, then check --------
        q_open = np.flatnonzero(rec.complaint_open)
        raised = np.isin(rec.review_ids, rec.complaint_review_id[rec.complaint_review_id != ""])
        r_open = np.flatnonzero(
            rec.review_negative
            & ~raised
            & (rec.review_posted >= now - cfg.review_window.total_seconds())
        )
        p_row = np.concatenate([rec.complaint_customer[q_open], rec.review_customer[r_open]])
        p_event = np.concatenate([rec.complaint_opened[q_open], rec.review_posted[r_open]])
        p_record = np.concatenate([n_o + n_r + q_open, n_o + r_open]).astype(np.int64)
        every = cfg.follow_up_every.total_seconds()
        for j in range(cfg.follow_ups):
            add(
                ActionKind.COMPLAINT_FOLLOW_UP,
                p_row,
                np.maximum(p_event, now) + j * every,
                p_event,
                p_record,
            )
        resolved = rec.complaint_resolved
        with np.errstate(invalid="ignore"):
            settled = np.flatnonzero(resolved >= now - cfg.check_window.total_seconds())
        add(
            ActionKind.SATISFACTION_CHECK,
            rec.complaint_customer[settled],
            resolved[settled] + cfg.check_after.total_seconds(),
            resolved[settled],
            n_o + n_r + settled,
        )

        # --- the last purchase: what greetings and win-back follow --------------------------
        counted = np.flatnonzero(rec.order_counted)
        last = np.full(n, -1, dtype=np.int64)
        if counted.size:
            by = counted[
                np.lexsort((rec.order_ids[counted], placed[counted], rec.order_customer[counted]))
            ]
            last[rec.order_customer[by]] = by  # the last write per row wins: the latest order
        purchases = np.bincount(rec.order_customer[counted], minlength=n)
        has = np.flatnonzero(last >= 0)
        last_time = np.where(last >= 0, placed[np.maximum(last, 0)] if n_o else 0.0, np.nan)

        # --- win-back or let go, from the churn cause upstream -----------------------------
        cause = inputs.cause
        let_go = np.isin(cause, cfg.let_go_causes) & (last >= 0)
        win = (cause != "") & ~let_go & (last >= 0)
        for mask, step_kind in ((win, ActionKind.WIN_BACK), (let_go, ActionKind.LET_GO)):
            rws = np.flatnonzero(mask)
            add(step_kind, rws, np.full(rws.size, now), last_time[rws], last[rws], cause[rws])

        # --- due service for key customers, the shop's calendar ------------------------------
        key = has[inputs.value[has] >= cfg.key_value]
        step = cfg.greeting_every.total_seconds()
        for j in range(int(np.ceil(cfg.horizon.total_seconds() / step))):
            add(
                ActionKind.GREETING,
                key,
                np.full(key.size, now + j * step),
                last_time[key],
                last[key],
            )
        cal = cfg.calendar
        zone = ZoneInfo(cal.timezone)
        for h in cal.holidays:
            t = _local(h.day, cal.send_hour, zone)
            if now <= t < end:
                add(
                    ActionKind.HOLIDAY_WISHES,
                    key,
                    np.full(key.size, t),
                    last_time[key],
                    last[key],
                    h.name_en,
                )
        # Birthday wishes: key customers whose birthday the shop gave, on the next one.
        if cal.birthdays and key.size:
            known = sorted(cal.birthdays)
            ids = np.asarray(known, dtype=np.str_)
            where = np.searchsorted(ids, batch.customer_ids[key].astype(np.str_))
            where = np.minimum(where, ids.size - 1)
            has_day = ids[where] == batch.customer_ids[key]
            b_rows, b_at = key[has_day], where[has_day]
            today = datetime.fromtimestamp(now, tz=timezone.utc).astimezone(zone).date()
            moments = np.array(
                [_next_birthday(cal.birthdays[c], today, cal.send_hour, zone) for c in known]
            )
            add(
                ActionKind.BIRTHDAY_WISHES,
                b_rows,
                moments[b_at],
                last_time[b_rows],
                last[b_rows],
            )
        old = np.flatnonzero(purchases >= cfg.old_customer_purchases)
        for launch in cal.launches:
            t = _local(launch.starts, cal.send_hour, zone)
            if now <= t < end:
                add(
                    ActionKind.LAUNCH_WEEK,
                    old,
                    np.full(old.size, t),
                    last_time[old],
                    last[old],
                    launch.id,
                )
        # --- a gift from the shop's own range in an old key customer's next parcel ---------
        if cal.gift_skus:
            loyal = (purchases >= cfg.old_customer_purchases) & (inputs.value >= cfg.key_value)
            paid = status_is("paid") & (placed >= now - cfg.notice_window.total_seconds())
            waiting = np.flatnonzero(paid & loyal[rec.order_customer])
            by = waiting[
                np.lexsort((rec.order_ids[waiting], placed[waiting], rec.order_customer[waiting]))
            ]
            parcel = np.full(n, -1, dtype=np.int64)
            parcel[rec.order_customer[by]] = by  # the latest paid order per customer
            gets = np.flatnonzero(parcel >= 0)
            # The first gift SKU the customer has not bought yet (else the first).
            skus = np.asarray(cal.gift_skus, dtype=np.str_)
            bought = np.zeros((n, skus.size), dtype=np.bool_)
            line_counted = rec.order_counted[rec.line_order]
            for j, sku in enumerate(skus):
                hit = rec.line_order[line_counted & (rec.line_sku == sku)]
                bought[rec.order_customer[hit], j] = True
            choice = np.argmax(~bought[gets], axis=1) if gets.size else gets
            o = parcel[gets]
            add(ActionKind.GIFT, gets, placed[o], placed[o], o, skus[choice])

        row: NDArray[Any] = np.concatenate(rows)
        kind: NDArray[Any] = np.concatenate(kinds)
        due: NDArray[Any] = np.concatenate(dues)
        event: NDArray[Any] = np.concatenate(events)
        record: NDArray[Any] = np.concatenate(records)
        detail: NDArray[Any] = np.concatenate(details).astype(np.str_)
        keep = due < end
        row, kind, due, event, record, detail = (
            a[keep] for a in (row, kind, due, event, record, detail)
        )

        # --- guards -------------------------------------------------------------------------
        offset = as_of.astimezone(zone).utcoffset()
        shift = 0.0 if offset is None else offset.total_seconds()
        day = np.floor((due + shift) / SECONDS_PER_DAY)
        contact = np.array([cfg.channels[k] is not Channel.NONE for k in _KINDS])[kind]
        follow = kind == _K[ActionKind.COMPLAINT_FOLLOW_UP]
        last_follow = np.full(n, -np.inf)
        np.maximum.at(last_follow, row[follow], day[follow])
        quiet = contact & ~follow & (day <= last_follow[row])
        held_open = np.bincount(row[quiet], minlength=n)
        promo = _MARKETING[kind] & let_go[row]
        held_let_go = np.bincount(row[promo & ~quiet], minlength=n)
        keep = ~quiet & ~promo
        row, kind, due, event, record, detail = (
            a[keep] for a in (row, kind, due, event, record, detail)
        )
        contact = contact[keep]
        # Order: customer, due, priority, record id, detail: the same whatever the input order.
        rank = np.unique(pool, return_inverse=True)[1].reshape(-1) if pool.size else pool
        rec_rank = np.where(record >= 0, rank[np.maximum(record, 0)] if pool.size else 0, -1)
        order = np.lexsort((detail, rec_rank, kind, due, row))
        row, kind, due, event, record, detail, contact = (
            a[order] for a in (row, kind, due, event, record, detail, contact)
        )
        # The weekly budget: contacts in priority order within each customer's week.
        week = np.floor((due - now) / (7 * SECONDS_PER_DAY)).astype(np.int64)
        by_week = np.lexsort((np.arange(row.size), due, kind, week, row))
        group = np.stack([row[by_week], week[by_week]], axis=1)
        counted_contact = contact[by_week].astype(np.int64)
        start = np.ones(row.size, dtype=np.bool_)
        if row.size:
            start[1:] = np.any(group[1:] != group[:-1], axis=1)
        running = np.cumsum(counted_contact)
        base = np.maximum.accumulate(np.where(start, running - counted_contact, 0))
        place = running - base  # contacts so far in this customer's week, this one included
        over = np.zeros(row.size, dtype=np.bool_)
        over[by_week] = (counted_contact == 1) & (place > cfg.weekly_budget)
        held_budget = np.bincount(row[over], minlength=n)
        keep = ~over
        row, kind, due, event, record, detail, contact = (
            a[keep] for a in (row, kind, due, event, record, detail, contact)
        )
        # At most max_actions per customer, soonest first.
        first = np.searchsorted(row, np.arange(n), side="left")
        within = np.arange(row.size) - first[row]
        keep = within < cfg.max_actions
        row, kind, due, event, record, detail, contact = (
            a[keep] for a in (row, kind, due, event, record, detail, contact)
        )
        channel_codes = np.array([cfg.channels[k].value for k in _KINDS], dtype=np.str_)
        actions = PlanActions(row, kind, due, event, record, detail, pool, channel_codes[kind])

        counts = np.bincount(row, minlength=n)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        within = np.arange(row.size) - offsets[row]
        slots: list[ReasonSlot] = []
        codes = tuple(f"plan.{k.value}" for k in _KINDS)
        for j in range(int(counts.max(initial=0))):
            at = np.flatnonzero(within == j)
            code = np.zeros(n, dtype=np.int64)
            code[row[at]] = kind[at]
            cites = at[record[at] >= 0]
            evidence = Ragged.cite(row[cites], record[cites], pool, n)
            slots.append(ReasonSlot(codes, counts > j, evidence, index=code))
        slots += [
            ReasonSlot("plan.guard.open_complaint", held_open > 0),
            ReasonSlot("plan.guard.let_go", held_let_go > 0),
            ReasonSlot("plan.guard.budget", held_budget > 0),
            ReasonSlot(
                "plan.nothing_due",
                (counts == 0) & (held_open == 0) & (held_let_go == 0) & (held_budget == 0),
            ),
        ]
        reasons = ReasonColumns.build(n, slots)
        has_action = counts > 0
        first_at = np.minimum(offsets[:-1], max(row.size - 1, 0))
        kind_codes = np.array([k.value for k in _KINDS] + [""], dtype=np.str_)
        columns: dict[str, NDArray[Any]] = {
            "n_actions": counts.astype(np.int64),
            "contacts": np.bincount(row[contact], minlength=n).astype(np.int64),
            "next_action": kind_codes[np.where(has_action, kind[first_at] if row.size else -1, -1)],
            "next_due_epoch": np.where(has_action, due[first_at] if row.size else np.nan, np.nan),
            "held_budget": held_budget.astype(np.int64),
            "held_open_complaint": held_open.astype(np.int64),
            "held_let_go": held_let_go.astype(np.int64),
        }
        scores = PlanScores.build(
            self.name,
            batch.customer_ids,
            columns,
            reasons=reasons,
            as_of=as_of,
            explain=lambda i: self._result(batch, actions, offsets, columns, i, as_of, zone),
        )
        return replace(scores, actions=actions)

    def _result(
        self,
        batch: CustomerBatch,
        a: PlanActions,
        offsets: NDArray[np.int64],
        columns: dict[str, NDArray[Any]],
        i: int,
        as_of: datetime,
        zone: ZoneInfo,
    ) -> PlanResult:
        cfg = self.config
        planned: list[CareAction] = []
        reasons: list[Reason] = []
        for k in range(int(offsets[i]), int(offsets[i + 1])):
            kind = _KINDS[int(a.kind[k])]
            detail = str(a.detail[k])
            record = str(a.pool[a.record[k]]) if a.record[k] >= 0 else ""
            zh, en = SCRIPTS[kind]
            if kind is ActionKind.WIN_BACK:
                zh, en = WIN_BACK_SCRIPTS.get(detail, WIN_BACK_SCRIPTS["unknown"])
            due = _moment(float(a.due[k]), zone)
            event = _moment(float(a.event[k]), zone)
            planned.append(
                CareAction(
                    code=kind,
                    due=due,
                    event_at=event,
                    channel=cfg.channels[kind],
                    script_zh=zh,
                    script_en=en,
                    record_id=record,
                    detail=detail,
                )
            )
            about = f" ({detail})" if detail else ""
            # A birthday is personal data: its reason cites "birthday", never the date.
            when = (
                "due on the customer's birthday"
                if kind is ActionKind.BIRTHDAY_WISHES
                else f"due {due.isoformat()}"
            )
            reasons.append(
                Reason(
                    code=f"plan.{kind.value}",
                    message=f"{kind.label_en}{about}: {when}, after the event of "
                    f"{event.isoformat()}, by {cfg.channels[kind].value}.",
                    evidence=(record,) if record else (),
                )
            )
        held = {
            "plan.guard.open_complaint": int(columns["held_open_complaint"][i]),
            "plan.guard.let_go": int(columns["held_let_go"][i]),
            "plan.guard.budget": int(columns["held_budget"][i]),
        }
        notes = {
            "plan.guard.open_complaint": "held back: no other contact while a complaint is open",
            "plan.guard.let_go": "held back: no win-back or promotion for a customer let go",
            "plan.guard.budget": f"held back: over the budget of {cfg.weekly_budget} contacts "
            "a week",
        }
        for code, count in held.items():
            if count:
                reasons.append(Reason(code=code, message=f"{count} action(s) {notes[code]}."))
        if not reasons:
            reasons.append(
                Reason(
                    code="plan.nothing_due",
                    message=f"No care action is due in the next {cfg.horizon.days} days.",
                )
            )
        return PlanResult(
            scorer=self.name,
            customer_id=str(batch.customer_ids[i]),
            as_of=as_of,
            actions=tuple(planned),
            held_budget=held["plan.guard.budget"],
            held_open_complaint=held["plan.guard.open_complaint"],
            held_let_go=held["plan.guard.let_go"],
            reasons=tuple(reasons),
        )


def _local(day: date, hour: int, zone: ZoneInfo) -> float:
    return datetime.combine(day, time(hour), zone).timestamp()


def _moment(seconds: float, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).astimezone(zone)


class _Masked(str):
    """A placeholder shown in a repr instead of personal data."""

    def __repr__(self) -> str:
        return str(self)


def _month_day(value: str) -> tuple[int, int] | None:
    """``(month, day)`` of a ``"MM-DD"`` text, None unless it is a real month-day."""
    if len(value) != 5 or value[2] != "-" or not (value[:2] + value[3:]).isdigit():
        return None
    month, day = int(value[:2]), int(value[3:])
    try:
        date(2000, month, day)  # a leap year: 02-29 is a month-day
    except ValueError:
        return None
    return month, day


def _birthday_in(year: int, month: int, day: int) -> date:
    """The birthday in a year: Feb 29 falls on Feb 28 in a year that is not a leap year."""
    if (month, day) == (2, 29) and not isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def _next_birthday(month_day: str, today: date, hour: int, zone: ZoneInfo) -> float:
    """Epoch seconds of the next birthday from ``today`` (today's included), at ``hour``.

    A birthday today whose hour has passed is still today's: `add` makes it due at once.
    """
    parsed = _month_day(month_day)
    assert parsed is not None  # CareCalendar validated it
    day = _birthday_in(today.year, *parsed)
    if day < today:
        day = _birthday_in(today.year + 1, *parsed)
    return _local(day, hour, zone)
