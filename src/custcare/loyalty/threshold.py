"""Seller member levels (会员等级): ordered spend and order-count thresholds.

A shop defines ordered levels (普通会员, 高级会员, VIP会员, 至尊VIP会员 by default),
each with conditions on completed spend and/or the number of completed orders,
optionally counted in a rolling window. A customer is promoted automatically to the
highest level whose conditions are met; with expiry, a customer who no longer meets
the window drops, after an optional grace period.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Annotated, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from custcare.batch import CustomerBatch, to_epoch_seconds
from custcare.loyalty._common import (
    MAX_DAYS,
    LevelLabel,
    cents,
    check_currency,
    decimal_from_cents,
    format_money,
    from_epoch_seconds,
    ids_by_customer,
    minor_digits,
    window_seconds,
)
from custcare.models import AwareDatetime, Money
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
)

__all__ = [
    "DEFAULT_LEVELS",
    "NON_MEMBER",
    "ThresholdConfig",
    "ThresholdTierScorer",
    "TierLevel",
    "TierResult",
    "TierScores",
]


class TierLevel(LevelLabel):
    """One member level and the conditions that promote a customer to it.

    Amounts are money: give them as `Decimal`, int or string, never float. A level
    with no condition is open to everyone; only the first level may have none.

    Attributes:
        code: Stable code, e.g. ``"vip"``.
        label_zh: Chinese display name, e.g. ``"VIP会员"``.
        label_en: English display name.
        min_spend: Completed spend needed (in the config's currency), or None.
        min_orders: Completed orders needed, or None.
        combine: ``"any"``: one condition is enough; ``"all"``: every one is needed.

    Examples:
        >>> TierLevel(code="vip", label_zh="VIP会员", label_en="VIP",
        ...           min_spend="3000", min_orders=10).conditions
        ('spend', 'orders')
    """

    min_spend: Money | None = None
    min_orders: Annotated[int, Field(ge=1)] | None = None
    combine: Literal["all", "any"] = "any"

    @property
    def conditions(self) -> tuple[Literal["spend", "orders"], ...]:
        """The kinds of condition this level sets, in a fixed order."""
        kinds: list[Literal["spend", "orders"]] = []
        if self.min_spend is not None:
            kinds.append("spend")
        if self.min_orders is not None:
            kinds.append("orders")
        return tuple(kinds)

    def describe(self, currency: str) -> str:
        """The conditions as text, e.g. ``"spend >= 3,000.00 CNY or >= 10 orders"``.

        Examples:
            >>> TierLevel(code="a", label_zh="甲", label_en="A", min_orders=2).describe("CNY")
            '>= 2 completed orders'
        """
        parts = []
        if self.min_spend is not None:
            parts.append(f"spend >= {format_money(self.min_spend, currency)}")
        if self.min_orders is not None:
            parts.append(f">= {self.min_orders} completed orders")
        if not parts:
            return "no condition"
        return f" {'or' if self.combine == 'any' else 'and'} ".join(parts)


NON_MEMBER = LevelLabel(code="non_member", label_zh="非会员", label_en="Not a member")
"""The level (rank 0) of a customer who meets no configured level."""

DEFAULT_LEVELS: tuple[TierLevel, ...] = (
    TierLevel(
        code="ordinary_member",
        label_zh="普通会员",
        label_en="Ordinary member",
        min_spend=Decimal("1"),
        min_orders=1,
    ),
    TierLevel(
        code="senior_member",
        label_zh="高级会员",
        label_en="Senior member",
        min_spend=Decimal("1000"),
        min_orders=5,
    ),
    TierLevel(
        code="vip", label_zh="VIP会员", label_en="VIP", min_spend=Decimal("3000"), min_orders=10
    ),
    TierLevel(
        code="supreme_vip",
        label_zh="至尊VIP会员",
        label_en="Supreme VIP",
        min_spend=Decimal("8000"),
        min_orders=20,
    ),
)
"""The default levels: spend (CNY) or completed orders in the last 365 days."""


class ThresholdConfig(ScorerConfig):
    """Parameters of `ThresholdTierScorer`.

    Attributes:
        levels: Ordered levels, lowest first. Codes are unique; every level but the
            first sets at least one condition; all conditioned levels set the same
            kinds of condition, with thresholds strictly increasing from level to level.
        window_days: Count spend and orders in the last ``window_days`` days (a
            rolling window, ``(as_of - window, as_of]``; 1 .. 36,500, i.e. up to a
            hundred years); None counts the whole history.
        expires: With a window, a customer who no longer meets a level drops from
            it (after ``grace_days``). False: the best level ever reached is kept.
        grace_days: Days a level is kept after the customer last met it, 0 .. 36,500.
            Needs ``expires=True`` (without expiry levels are kept for ever anyway).
        currency: The currency of the amounts in ``levels``; orders in another
            currency are refused.

    Examples:
        >>> ThresholdConfig(window_days=None).levels[2].code
        'vip'
    """

    levels: tuple[TierLevel, ...] = DEFAULT_LEVELS
    window_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = 365
    expires: bool = True
    grace_days: Annotated[int, Field(ge=0, le=MAX_DAYS)] = 0
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"

    @field_validator("levels")
    @classmethod
    def _check_levels(cls, levels: tuple[TierLevel, ...]) -> tuple[TierLevel, ...]:
        if not levels:
            raise PydanticCustomError("no_levels", "levels must hold at least one level")
        seen: set[str] = set()
        for i, level in enumerate(levels):
            if level.code in seen or level.code == NON_MEMBER.code:
                raise PydanticCustomError(
                    "duplicate_level_code",
                    "levels[{index}].code '{code}' is used twice or reserved ('non_member')",
                    {"index": i, "code": level.code},
                )
            seen.add(level.code)
            if i > 0 and not level.conditions:
                raise PydanticCustomError(
                    "level_without_condition",
                    "levels[{index}] ('{code}') sets no condition; only the first level "
                    "may be open to everyone",
                    {"index": i, "code": level.code},
                )
        conditioned = [(i, lv) for i, lv in enumerate(levels) if lv.conditions]
        for (i, low), (j, high) in itertools.pairwise(conditioned):
            if high.conditions != low.conditions:
                raise PydanticCustomError(
                    "mixed_conditions",
                    "levels[{j}] ('{high}') sets {hk} but levels[{i}] ('{low}') sets {lk}; "
                    "every conditioned level must set the same kinds of condition",
                    {
                        "i": i,
                        "j": j,
                        "low": low.code,
                        "high": high.code,
                        "lk": list(low.conditions),
                        "hk": list(high.conditions),
                    },
                )
            for attr in ("min_spend", "min_orders"):
                a, b = getattr(low, attr), getattr(high, attr)
                if a is not None and b is not None and not b > a:
                    raise PydanticCustomError(
                        "thresholds_not_increasing",
                        "levels[{j}].{attr} ({b}) must be greater than levels[{i}].{attr} "
                        "({a}): thresholds must increase with the level",
                        {"i": i, "j": j, "attr": attr, "a": str(a), "b": str(b)},
                    )
        return levels

    @model_validator(mode="after")
    def _check_expiry(self) -> ThresholdConfig:
        if self.grace_days > 0 and not self.expires:
            raise PydanticCustomError(
                "contradictory_options",
                "grace_days ({grace}) needs expires=True: levels that do not expire need "
                "no grace period",
                {"grace": self.grace_days},
            )
        return self

    @property
    def all_levels(self) -> tuple[LevelLabel, ...]:
        """Levels by rank: rank 0 is `NON_MEMBER`, rank ``k`` is ``levels[k - 1]``."""
        return (NON_MEMBER, *self.levels)


class TierResult(ScoreResult):
    """A customer's member level, what qualified it, and the gap to the next level.

    Attributes:
        level: The level's code (``"non_member"`` when no level is met).
        level_rank: 0 for non-members, then 1 for the first level, 2 for the next...
        label_zh: Chinese display name of the level.
        label_en: English display name of the level.
        window_spend: Completed spend in the window ending at ``as_of``.
        window_orders: Completed orders in the window ending at ``as_of``.
        held: The level is kept from an earlier moment (grace period, or levels
            that do not expire) although the current window no longer meets it.
        qualified_by: Which of the level's conditions the qualifying window met.
        qualifying_spend: Completed spend of the qualifying window: the current
            window, or for a held level the last window that met it.
        qualifying_orders: Completed orders of the qualifying window.
        met_until: For a held level, the moment its conditions stopped being met
            (an order left the window); None when the current window meets them.
        held_until: For a level held by the grace period, the moment it lapses
            unless met again; None otherwise.
        next_level: Code of the next level up, None at the top.
        gap_spend: Spend still needed in the current window for the next level (0 if
            already met), None when the next level sets no spend condition or at the top.
        gap_orders: Completed orders still needed for the next level, likewise.
        currency: Currency of the amounts.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> r = ThresholdTierScorer().score(shop.histories[1], as_of=shop.as_of)
        >>> r.level, r.next_level, r.gap_spend, r.gap_orders
        ('senior_member', 'vip', Decimal('1278.50'), 7)
    """

    batch_columns: ClassVar[tuple[str, ...]] = (
        "level",
        "level_rank",
        "label_zh",
        "label_en",
        "window_spend",
        "window_orders",
        "held",
        "gap_spend",
        "gap_orders",
        "customer_value",
    )

    level: str
    level_rank: Annotated[int, Field(ge=0)]
    label_zh: str
    label_en: str
    window_spend: Decimal
    window_orders: Annotated[int, Field(ge=0)]
    held: bool
    qualified_by: tuple[Literal["spend", "orders"], ...]
    qualifying_spend: Decimal
    qualifying_orders: Annotated[int, Field(ge=0)]
    met_until: AwareDatetime | None
    held_until: AwareDatetime | None
    next_level: str | None
    gap_spend: Decimal | None
    gap_orders: Annotated[int, Field(ge=0)] | None
    currency: str
    n_levels: Annotated[int, Field(ge=1)]

    @property
    def customer_value(self) -> float:
        """The level as a value in ``[0, 1]`` (rank over the number of levels).

        Other scorers read it as the customer's value (complaint priority, churn cause).
        """
        return self.level_rank / self.n_levels


_LEVEL_CODES = (
    "loyalty.threshold.not_member",
    "loyalty.threshold.qualified",
    "loyalty.threshold.entry_level",
)


class TierScores(BatchScores):
    """`ThresholdTierScorer.score_batch` output; offers ``customer_value`` to other scorers."""

    @property
    def customer_value(self) -> NDArray[np.float64]:
        """The level as a value in ``[0, 1]`` (rank over the number of levels)."""
        return self.columns["customer_value"]


@dataclass(frozen=True)
class _TierColumns:
    """The kernel's answer, one entry per customer (money in cents)."""

    rank_now: NDArray[np.int64]
    peak: NDArray[np.int64]
    # For a held level: the time t of the order whose exit from the window (at
    # t + window) ended the level, so the qualifying window is [t, t + window).
    last_met_from: NDArray[np.float64]  # NaN when not held
    spend_now: NDArray[np.int64]
    orders_now: NDArray[np.int64]
    gap_spend: NDArray[np.float64]  # cents; NaN when not applicable
    gap_orders: NDArray[np.float64]  # NaN when not applicable


@dataclass(frozen=True)
class _TierFacts:
    """What the reasons of each row need, beyond the kernel's columns."""

    cols: _TierColumns
    held: NDArray[np.bool_]
    q_spend: NDArray[np.int64]  # cents, in the qualifying window
    q_orders: NDArray[np.int64]
    by_spend: NDArray[np.bool_]  # the level's spend condition is met
    by_orders: NDArray[np.bool_]
    window_u: NDArray[np.bool_]  # uncounted orders inside the window


class ThresholdTierScorer(BaseScorer[ThresholdConfig, TierResult]):
    """Member levels (会员等级) by completed spend and order count, with gaps to the next.

    A customer is at the highest level whose conditions the window ending at
    ``as_of`` meets. With ``grace_days``, a level met at any moment of the last
    ``grace_days`` days is kept; with ``expires=False``, the best level ever met is
    kept. Only completed orders count (`custcare.models.COUNTED_STATUSES`):
    pending, paid and shipped orders may still be cancelled, refunded or returned;
    cancelled, refunded and returned ones are money the customer did not keep
    spending. Amounts are counted to the cent. More spend or more orders never
    lowers a level.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> r = ThresholdTierScorer().score(shop.histories[0], as_of=shop.as_of)
        >>> r.level, r.label_zh, r.reason_codes[0]
        ('vip', 'VIP会员', 'loyalty.threshold.qualified')

        The batch path (`score_batch`), with reasons as columns:

        >>> from custcare.batch import from_histories
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> scores = ThresholdTierScorer().score_batch(
        ...     from_histories(shop.histories), as_of=shop.as_of)
        >>> scores.row("C0001")["level"], scores.reasons.codes_of(0)[0]
        ('vip', 'loyalty.threshold.qualified')
    """

    name: ClassVar[str] = "loyalty.threshold"
    description: ClassVar[str] = (
        "Seller member levels (会员等级) from completed spend and orders, with the gap to "
        "the next level."
    )
    config_model = ThresholdConfig
    traits: ClassVar[ScorerTraits] = ScorerTraits(batch=True)

    # --- the vectorised kernel, shared by both paths --------------------------------------

    @property
    def _digits(self) -> int:
        """Decimal places of the minor unit of the config's currency."""
        return minor_digits(self.config.currency)

    def _table(self) -> list[tuple[int | None, int | None, bool]]:
        return [
            (
                None if lv.min_spend is None else _to_cents(lv.min_spend, self._digits),
                lv.min_orders,
                lv.combine == "any",
            )
            for lv in self.config.levels
        ]

    def _rank(self, spend: NDArray[np.int64], orders: NDArray[np.int64]) -> NDArray[np.int64]:
        """The highest level met by each (spend in cents, order count) pair."""
        rank = np.zeros(spend.shape, dtype=np.int64)
        for j, (min_spend, min_orders, any_) in enumerate(self._table()):
            conds = []
            if min_spend is not None:
                conds.append(spend >= min_spend)
            if min_orders is not None:
                conds.append(orders >= min_orders)
            if not conds:
                met: NDArray[np.bool_] = np.ones(spend.shape, dtype=np.bool_)
            elif any_:
                met = np.logical_or.reduce(conds)
            else:
                met = np.logical_and.reduce(conds)
            rank[met] = j + 1
        return rank

    def _kernel(self, batch: CustomerBatch, as_of_s: float) -> _TierColumns:
        cfg = self.config
        n = batch.n_customers
        keep = batch.order_time <= as_of_s
        cust, t = batch.order_customer[keep], batch.order_time[keep]
        amount = cents(batch.order_total[keep], self._digits)
        w = window_seconds(cfg.window_days)
        grace = window_seconds(cfg.grace_days) if cfg.expires else np.inf

        now = t > as_of_s - w
        spend_now = np.bincount(cust[now], weights=amount[now], minlength=n).astype(np.int64)
        orders_now = np.bincount(cust[now], minlength=n).astype(np.int64)
        rank_now = self._rank(spend_now, orders_now)
        peak = rank_now.copy()
        last_met_from = np.full(n, np.nan)
        if np.isfinite(w) and grace > 0:
            # Window totals only fall when an order leaves the window (at t + w). A
            # level met at some moment of [as_of - grace, as_of] but not at as_of was
            # therefore met just before such an exit inside (as_of - grace, as_of],
            # by the orders of [t, t + w): the best of those is the kept level.
            exits = (t + w > as_of_s - grace) & (t + w <= as_of_s)
            if exits.any():
                involved = np.zeros(n, dtype=np.bool_)
                involved[cust[exits]] = True
                sub = involved[cust]  # only the orders of customers with an exit matter
                rows, starts, spend_x, orders_x = _totals_before_exits(
                    cust[sub], t[sub], amount[sub], w, exits[sub]
                )
                rank_x = self._rank(spend_x, orders_x)
                np.maximum.at(peak, rows, rank_x)
                best = (rank_x == peak[rows]) & (peak[rows] > rank_now[rows])
                latest = np.full(n, -np.inf)
                np.maximum.at(latest, rows[best], starts[best])
                held = peak > rank_now
                last_met_from[held] = latest[held]

        table = self._table()
        top = len(table)
        nxt = np.minimum(peak, top - 1)  # index into table of the next level
        spend_thr = np.array([np.nan if s is None else s for s, _, _ in table])[nxt]
        orders_thr = np.array([np.nan if o is None else o for _, o, _ in table])[nxt]
        at_top = peak >= top
        gap_spend = np.where(at_top, np.nan, np.maximum(spend_thr - spend_now, 0.0))
        gap_orders = np.where(at_top, np.nan, np.maximum(orders_thr - orders_now, 0.0))
        return _TierColumns(
            rank_now, peak, last_met_from, spend_now, orders_now, gap_spend, gap_orders
        )

    # --- the one columnar path; the per-customer path is a one-row view of it ----------

    def _scores(self, batch: CustomerBatch, as_of: datetime) -> TierScores:
        """Columns, reasons and per-row results of a batch already cut at ``as_of``."""
        cfg = self.config
        check_currency(batch, cfg.currency, self.name)
        n = batch.n_customers
        as_of_s = to_epoch_seconds(as_of)
        cols = self._kernel(batch, as_of_s)
        held = cols.peak > cols.rank_now
        w = window_seconds(cfg.window_days)
        cust, t = batch.order_customer, batch.order_time
        # The qualifying window: the current one, or the last one that met a held level.
        start = cols.last_met_from[cust]
        in_window = np.where(
            held[cust], (t >= start) & (t < start + w), (t <= as_of_s) & (t > as_of_s - w)
        )
        amount = cents(batch.order_total, self._digits)
        q_spend = np.bincount(cust[in_window], weights=amount[in_window], minlength=n)
        q_spend = q_spend.astype(np.int64)
        q_orders = np.bincount(cust[in_window], minlength=n).astype(np.int64)
        table = self._table()
        tier = np.maximum(cols.peak - 1, 0)
        spend_thr = np.array([-1 if s is None else s for s, _, _ in table], dtype=np.int64)[tier]
        orders_thr = np.array([-1 if o is None else o for _, o, _ in table], dtype=np.int64)[tier]
        member = cols.peak > 0
        by_spend = member & (spend_thr >= 0) & (q_spend >= spend_thr)
        by_orders = member & (orders_thr >= 0) & (q_orders >= orders_thr)
        conditioned = np.array([bool(lv.conditions) for lv in cfg.levels])[tier] & member
        level_code = np.where(~member, 0, np.where(conditioned, 1, 2))
        cites = in_window & (by_spend | by_orders)[cust] & conditioned[cust]
        top = cols.peak >= len(table)
        window_u = batch.uncounted_time > as_of_s - w
        uncounted = np.bincount(batch.uncounted_customer[window_u], minlength=n) > 0
        reasons = ReasonColumns.build(
            n,
            [
                ReasonSlot(
                    _LEVEL_CODES,
                    True,
                    ids_by_customer(batch, cites, batch.order_time),
                    index=level_code,
                ),
                ReasonSlot("loyalty.threshold.held", held),
                ReasonSlot(
                    ("loyalty.threshold.gap", "loyalty.threshold.top_level"),
                    True,
                    index=top.view(np.int8),
                ),
                ReasonSlot(
                    "loyalty.threshold.uncounted_orders",
                    uncounted,
                    _uncounted_ids(batch, window_u),
                ),
            ],
        )
        labels = cfg.all_levels
        level_rank = cols.peak
        facts = _TierFacts(
            cols=cols,
            held=held,
            q_spend=q_spend,
            q_orders=q_orders,
            by_spend=by_spend,
            by_orders=by_orders,
            window_u=window_u,
        )
        return TierScores.build(
            self.name,
            batch.customer_ids,
            {
                "level": np.array([lv.code for lv in labels])[level_rank],
                "level_rank": level_rank,
                "label_zh": np.array([lv.label_zh for lv in labels])[level_rank],
                "label_en": np.array([lv.label_en for lv in labels])[level_rank],
                "window_spend": cols.spend_now / 10.0**self._digits,
                "window_orders": cols.orders_now,
                "held": held,
                "gap_spend": cols.gap_spend / 10.0**self._digits,
                "gap_orders": cols.gap_orders,
                "customer_value": level_rank / len(cfg.levels),
            },
            reasons=reasons,
            as_of=as_of,
            explain=lambda i: self._result(batch, facts, reasons, i, as_of),
        )

    def _result(
        self,
        batch: CustomerBatch,
        facts: _TierFacts,
        reasons: ReasonColumns,
        i: int,
        as_of: datetime,
    ) -> TierResult:
        """Row ``i``'s result: its values from the columns, its reasons as sentences."""
        cfg, cols = self.config, facts.cols
        peak, held = int(cols.peak[i]), bool(facts.held[i])
        level = cfg.all_levels[peak]
        start = float(cols.last_met_from[i])
        w = window_seconds(cfg.window_days)
        tier = cfg.levels[peak - 1] if peak else None
        qualified_by: tuple[Literal["spend", "orders"], ...] = ()
        if tier is not None:
            met = {"spend": bool(facts.by_spend[i]), "orders": bool(facts.by_orders[i])}
            qualified_by = tuple(k for k in tier.conditions if met[k])
        met_until = from_epoch_seconds(start + w, as_of.tzinfo) if held else None
        held_until = (
            _moment_or_none(start + w + cfg.grace_days * 86_400.0, as_of)
            if held and cfg.expires
            else None
        )
        nxt = cfg.all_levels[peak + 1] if peak + 1 < len(cfg.all_levels) else None
        gap_spend, gap_orders = float(cols.gap_spend[i]), float(cols.gap_orders[i])
        result_gap_spend = (
            None if np.isnan(gap_spend) else decimal_from_cents(gap_spend, self._digits)
        )
        result_gap_orders = None if np.isnan(gap_orders) else int(gap_orders)
        spend_now = decimal_from_cents(cols.spend_now[i], self._digits)
        orders_now = int(cols.orders_now[i])
        q_spend, q_orders = int(facts.q_spend[i]), int(facts.q_orders[i])
        end = met_until if met_until is not None else as_of
        out: list[Reason] = []
        for j, code in enumerate(reasons.codes_of(i)):
            evidence = reasons.evidence_of(i, j)
            if code == "loyalty.threshold.held":
                assert met_until is not None
                out.append(self._held_reason(level, met_until, held_until, spend_now, orders_now))
            elif code in ("loyalty.threshold.gap", "loyalty.threshold.top_level"):
                out.append(self._gap_reason(nxt, result_gap_spend, result_gap_orders, level))
            elif code == "loyalty.threshold.uncounted_orders":
                out.append(self._uncounted_reason(batch, facts.window_u, i, evidence))
            else:
                out.append(
                    self._level_reason(
                        level, peak, end, q_spend, q_orders, evidence, held_from=held
                    )
                )
        return TierResult(
            scorer=self.name,
            customer_id=str(batch.customer_ids[i]),
            as_of=as_of,
            reasons=tuple(out),
            level=level.code,
            level_rank=peak,
            label_zh=level.label_zh,
            label_en=level.label_en,
            window_spend=spend_now,
            window_orders=orders_now,
            held=held,
            qualified_by=qualified_by,
            qualifying_spend=decimal_from_cents(q_spend, self._digits),
            qualifying_orders=q_orders,
            met_until=met_until,
            held_until=held_until,
            next_level=None if nxt is None else nxt.code,
            gap_spend=result_gap_spend,
            gap_orders=result_gap_orders,
            currency=cfg.currency,
            n_levels=len(cfg.levels),
        )

    # --- reasons --------------------------------------------------------------------------

    def _window_text(self, end: datetime, *, before: bool = False) -> str:
        days = self.config.window_days
        when = end.date().isoformat()
        if days is None:
            return f"up to {when}"
        return f"in the {days} days {'before' if before else 'to'} {when}"

    def _level_reason(
        self,
        level: LevelLabel,
        rank: int,
        end: datetime,
        q_spend: int,
        q_orders: int,
        evidence: tuple[str, ...],
        *,
        held_from: bool,
    ) -> Reason:
        cfg = self.config
        name = f"{level.label_en} ({level.label_zh})"
        money = format_money(decimal_from_cents(q_spend, self._digits), cfg.currency)
        if rank == 0:
            first = cfg.levels[0]
            return Reason(
                code="loyalty.threshold.not_member",
                message=(
                    f"{name}: {money} and {q_orders} completed order(s) "
                    f"{self._window_text(end)} do not meet {first.label_en} "
                    f"({first.label_zh}): {first.describe(cfg.currency)}."
                ),
            )
        tier = cfg.levels[rank - 1]
        if not tier.conditions:
            return Reason(
                code="loyalty.threshold.entry_level",
                message=f"{name}: the entry level, open to every customer.",
            )
        return Reason(
            code="loyalty.threshold.qualified",
            message=(
                f"{name}: {money} and {q_orders} completed order(s) "
                f"{self._window_text(end, before=held_from)} meet "
                f"{tier.describe(cfg.currency)}."
            ),
            evidence=evidence,
        )

    def _held_reason(
        self,
        level: LevelLabel,
        met_until: datetime,
        held_until: datetime | None,
        spend_now: Decimal,
        orders_now: int,
    ) -> Reason:
        cfg = self.config
        name = f"{level.label_en} ({level.label_zh})"
        now = (
            f"the current window ({format_money(spend_now, cfg.currency)}, "
            f"{orders_now} completed order(s)) no longer meets it"
        )
        since = met_until.date().isoformat()
        if held_until is not None:
            message = (
                f"Kept at {name} by the {cfg.grace_days}-day grace period: met until {since}, "
                f"{now}; it lapses on {held_until.date().isoformat()} unless met again."
            )
        else:
            message = f"Levels do not expire: {name}, met until {since}, is kept although {now}."
        return Reason(code="loyalty.threshold.held", message=message, weight=0.8)

    def _gap_reason(
        self,
        nxt: LevelLabel | None,
        gap_spend: Decimal | None,
        gap_orders: int | None,
        level: LevelLabel,
    ) -> Reason:
        cfg = self.config
        if nxt is None:
            return Reason(
                code="loyalty.threshold.top_level",
                message=f"{level.label_en} ({level.label_zh}) is the highest level.",
                weight=0.5,
            )
        tier = cfg.levels[cfg.all_levels.index(nxt) - 1]
        parts = []
        if gap_spend is not None and gap_spend > 0:
            parts.append(f"spend {format_money(gap_spend, cfg.currency)} more")
        if gap_orders is not None and gap_orders > 0:
            parts.append(f"{gap_orders} more completed order{'s' if gap_orders > 1 else ''}")
        joined = f" {'or' if tier.combine == 'any' else 'and'} ".join(parts)
        where = "" if cfg.window_days is None else f" (within {cfg.window_days} days)"
        text = f"{joined[:1].upper()}{joined[1:]}{where} to reach {nxt.label_en} ({nxt.label_zh})."
        return Reason(code="loyalty.threshold.gap", message=text, weight=0.5)

    def _uncounted_reason(
        self, batch: CustomerBatch, window_u: NDArray[np.bool_], i: int, evidence: tuple[str, ...]
    ) -> Reason:
        statuses = batch.uncounted_status[window_u & (batch.uncounted_customer == i)]
        kinds, counts = np.unique(statuses, return_counts=True)
        detail = ", ".join(f"{k} {c}" for k, c in zip(kinds.tolist(), counts.tolist(), strict=True))
        return Reason(
            code="loyalty.threshold.uncounted_orders",
            message=(
                f"{len(evidence)} order(s) in the window not counted ({detail}): only completed "
                "orders count towards a level."
            ),
            weight=0.3,
            evidence=evidence,
        )


def _moment_or_none(seconds: float, as_of: datetime) -> datetime | None:
    """The moment of epoch ``seconds`` in ``as_of``'s zone; None beyond the year 9999."""
    try:
        return from_epoch_seconds(seconds, as_of.tzinfo)
    except OverflowError:
        return None


def _to_cents(amount: Decimal, digits: int) -> int:
    """A threshold in whole minor units, rounded up: spend >= it iff spend >= ``amount``."""
    return int(amount.scaleb(digits).to_integral_value(rounding=ROUND_CEILING))


def _totals_before_exits(
    cust: NDArray[np.int64],
    t: NDArray[np.float64],
    amount: NDArray[np.int64],
    w: float,
    exits: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Totals of each exiting order's customer over ``[t, t + w)``, with no per-row loop.

    Each order gets an exact integer key (customer, rank of its time among all
    order times); sorted by that key, every window's bounds come from one
    ``searchsorted`` with sorted queries (fast), with no float rounding.

    Returns:
        ``(rows, starts, spend, orders)`` for the orders selected by ``exits``:
        the customer row, the window start ``t``, the spend (cents) and the count.
    """
    m = t.size
    by_time = np.argsort(t)
    t_sorted = t[by_time]
    new = np.empty(m, dtype=np.bool_)
    new[:1] = True
    np.not_equal(t_sorted[1:], t_sorted[:-1], out=new[1:])
    moments = t_sorted[new]
    span = np.int64(moments.size + 1)
    time_rank = np.empty(m, dtype=np.int64)
    time_rank[by_time] = np.cumsum(new) - 1
    end_rank = np.empty(m, dtype=np.int64)  # number of moments < t + w (queries sorted)
    end_rank[by_time] = np.searchsorted(moments, t_sorted + w, side="left")
    key = cust * span + time_rank
    if bool(np.all(key[1:] >= key[:-1])):  # e.g. from_histories: already by customer, time
        order: NDArray[np.int64] = np.arange(m, dtype=np.int64)
    else:
        order = np.argsort(key)
    key_sorted = key[order]
    sel = exits[order]
    # first order of the same (customer, time) run: the window start, ties included
    run = np.empty(m, dtype=np.bool_)
    run[:1] = True
    np.not_equal(key_sorted[1:], key_sorted[:-1], out=run[1:])
    lo = np.maximum.accumulate(np.where(run, np.arange(m), 0))[sel]
    ends = (cust * span + end_rank)[order][sel]  # sorted, like key_sorted
    hi = np.searchsorted(key_sorted, ends, side="left")
    csum = np.concatenate(([0], np.cumsum(amount[order])))
    rows, starts = cust[order][sel], t[order][sel]
    return rows, starts, (csum[hi] - csum[lo]).astype(np.int64), (hi - lo).astype(np.int64)


def _uncounted_ids(batch: CustomerBatch, mask: NDArray[np.bool_]) -> Ragged:
    """The ids of the selected uncounted orders, per customer, in time then id order."""
    idx = np.flatnonzero(mask)
    order = idx[np.lexsort((batch.uncounted_ids[idx], batch.uncounted_time[idx]))]
    return Ragged.cite(
        batch.uncounted_customer[order], order, batch.uncounted_ids, batch.n_customers
    )
