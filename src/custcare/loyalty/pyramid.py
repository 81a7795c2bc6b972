"""The 80/20 value pyramid (二八法则): rank a population by value and cut it into levels.

Value is margin-aware: by default it is the gross profit of completed orders
(total paid less cost of goods), so a customer who buys a few high-margin items
can outrank one who spent more on thin-margin ones. An optional future term comes
from a churn-risk or predicted-value model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import Self

from custcare.batch import CustomerBatch, from_histories, to_epoch_seconds
from custcare.errors import CustcareUsageError, DataError
from custcare.loyalty._common import (
    LevelLabel,
    cents,
    decimal_from_cents,
    format_money,
    order_ids,
    searchsorted,
    window_seconds,
)
from custcare.models import AwareDatetime, CustomerHistory, Money
from custcare.scoring import (
    BatchScores,
    PopulationScorer,
    PredictedValueScores,
    Reason,
    ScorerConfig,
    ScoreResult,
    ScorerTraits,
    Upstream,
    UpstreamScores,
    check_as_of,
)

__all__ = [
    "DEFAULT_PYRAMID_LEVELS",
    "FUTURE_SOURCE",
    "PyramidConfig",
    "PyramidResult",
    "PyramidScorer",
    "PyramidState",
]

FUTURE_SOURCE = "churn.risk"
"""The upstream scorer whose result's ``predicted_value`` is the future value term."""

DEFAULT_PYRAMID_LEVELS: tuple[LevelLabel, ...] = (
    LevelLabel(code="key", label_zh="重点客户", label_en="Key customer"),
    LevelLabel(code="middle", label_zh="中间客户", label_en="Middle customer"),
    LevelLabel(code="low", label_zh="低价值客户", label_en="Low-value customer"),
)
"""Level 1 (key customers), level 2 and level 3 (low value) of the pyramid."""

Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class PyramidConfig(ScorerConfig):
    """Parameters of `PyramidScorer`.

    Value of a customer, over completed orders (in the window, if any)::

        current = margin_weight * margin + revenue_weight * revenue
                  - order_handling_cost * orders - unit_handling_cost * units
        value   = current + future_weight * predicted_value

    ``margin`` is total paid less cost of goods where every line's ``unit_cost`` is
    known, and ``unknown_cost_margin_rate * total`` for orders whose cost is not.

    Attributes:
        cuts: Cumulative shares of customers, by rank, that close each level but the
            last: ``(0.2, 0.5)`` is top 20% level 1, next 30% level 2, the rest level 3.
        levels: Codes and display names of the levels, one more than ``cuts``.
        margin_weight: Weight of gross profit.
        revenue_weight: Weight of revenue (amount paid); raise it to reward spend too.
        unknown_cost_margin_rate: Margin assumed, as a share of the amount paid, for
            orders whose cost is unknown. Without costs, ranking is by revenue unless
            handling costs are set: record ``unit_cost`` for an honest answer.
        order_handling_cost: Cost per completed order (shipping, packing) that the
            recorded costs leave out; makes many small orders worth less.
        unit_handling_cost: Cost per unit sold that recorded costs leave out; makes
            price point matter even without recorded costs.
        future_weight: Weight of the future value term, when one is given. The
            ``churn.risk`` scorer predicts future *spend*: set this to your margin
            rate (e.g. 0.3) to put it on the gross-profit scale of the default value.
        window_days: Count orders of the last ``window_days`` days; None: all.

    Examples:
        >>> PyramidConfig(cuts=(0.1, 0.3, 0.6), levels=[
        ...     {"code": c, "label_zh": c, "label_en": c} for c in "abcd"]).cuts
        (0.1, 0.3, 0.6)
    """

    cuts: tuple[float, ...] = (0.2, 0.5)
    levels: tuple[LevelLabel, ...] = DEFAULT_PYRAMID_LEVELS
    margin_weight: Weight = 1.0
    revenue_weight: Weight = 0.0
    unknown_cost_margin_rate: Annotated[float, Field(ge=0, le=1)] = 0.3
    order_handling_cost: Money = Decimal(0)
    unit_handling_cost: Money = Decimal(0)
    future_weight: Weight = 1.0
    window_days: Annotated[int, Field(ge=1)] | None = None

    @field_validator("cuts")
    @classmethod
    def _check_cuts(cls, cuts: tuple[float, ...]) -> tuple[float, ...]:
        if not cuts:
            raise PydanticCustomError("no_cuts", "cuts must hold at least one share")
        for i, c in enumerate(cuts):
            if not 0 < c < 1:
                raise PydanticCustomError(
                    "cut_out_of_range",
                    "cuts[{i}] ({c}) must be a share of customers strictly between 0 and 1",
                    {"i": i, "c": c},
                )
            if i and not c > cuts[i - 1]:
                raise PydanticCustomError(
                    "cuts_not_increasing",
                    "cuts[{i}] ({c}) must be greater than cuts[{j}] ({p}): cuts are "
                    "cumulative shares and must strictly increase",
                    {"i": i, "j": i - 1, "c": c, "p": cuts[i - 1]},
                )
        return cuts

    @model_validator(mode="after")
    def _check_consistency(self) -> PyramidConfig:
        if len(self.levels) != len(self.cuts) + 1:
            raise PydanticCustomError(
                "levels_do_not_match_cuts",
                "levels has {n} entries but {k} cuts make {k1} levels",
                {"n": len(self.levels), "k": len(self.cuts), "k1": len(self.cuts) + 1},
            )
        codes = [lv.code for lv in self.levels]
        if len(set(codes)) != len(codes):
            raise PydanticCustomError(
                "duplicate_level_code", "levels codes {codes} must be unique", {"codes": codes}
            )
        if self.margin_weight == 0 and self.revenue_weight == 0:
            raise PydanticCustomError(
                "value_undefined",
                "margin_weight and revenue_weight are both 0: value would ignore purchases",
            )
        return self


class PyramidState(BaseModel):
    """The fitted population: its values (ascending), total and level cut ranks.

    Attributes:
        values: Every fitted customer's value, ascending (for ranks).
        total_value: Sum of the positive values (the denominator of ``share``).
        cut_ranks: The last rank of each level but the last.
        n_customers: Size of the fitted population.
        fitted_as_of: The moment the population was taken at.
        currency: Currency of the amounts; None when no orders.
        future_included: Whether a future value term was given at fit.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> state = PyramidScorer().fit(shop.histories, as_of=shop.as_of).state
        >>> state.n_customers, state.cut_ranks
        (60, (12, 30))
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    values: tuple[float, ...]
    total_value: Annotated[float, Field(ge=0)]
    cut_ranks: tuple[int, ...]
    n_customers: Annotated[int, Field(ge=1)]
    fitted_as_of: AwareDatetime
    currency: str | None
    future_included: bool


class PyramidResult(ScoreResult):
    """A customer's place in the value pyramid.

    Attributes:
        level: 1 (key customers) to the number of levels (low value).
        level_code: The level's code, e.g. ``"key"``.
        label_zh: Chinese name of the level.
        label_en: English name of the level.
        rank: 1 + the number of fitted customers with a higher value (ties share a rank).
        population: Size of the fitted population.
        value: ``current_value + future_weight * future_value``.
        share: ``max(value, 0)`` over the fitted population's total positive value
            (0 when that total is 0; above 1 only for a customer outside the
            population who is worth more than all of it).
        current_value: Value of completed orders to ``as_of``.
        future_value: The predicted future value given (0 when none).
        revenue: Amount paid on completed orders (in the window, if any).
        margin_known: Gross profit of the orders whose cost is known.
        cost_known_share: Share of revenue whose cost is known (1 when no revenue).
        currency: Currency of the amounts; None without orders.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> pyramid = PyramidScorer().fit(shop.histories, as_of=shop.as_of)
        >>> r = pyramid.score(shop.histories[1], as_of=shop.as_of)
        >>> r.level, r.rank, r.value, r.revenue
        (2, 14, 1225.5, Decimal('2554.50'))
    """

    batch_columns: ClassVar[tuple[str, ...]] = (
        "level",
        "rank",
        "value",
        "share",
        "current_value",
        "future_value",
        "revenue",
    )

    level: Annotated[int, Field(ge=1)]
    level_code: str
    label_zh: str
    label_en: str
    rank: Annotated[int, Field(ge=1)]
    population: Annotated[int, Field(ge=1)]
    value: float
    share: Annotated[float, Field(ge=0)]
    current_value: float
    future_value: float
    revenue: Decimal
    margin_known: Decimal
    cost_known_share: Annotated[float, Field(ge=0, le=1)]

    @property
    def customer_value(self) -> float:
        """The customer's value percentile in ``[0, 1]``: 1 for the top-ranked customer.

        Other scorers read it as the customer's value (complaint priority, churn cause).
        """
        return min(max(1.0 - (self.rank - 1) / self.population, 0.0), 1.0)

    currency: str | None


@dataclass(frozen=True)
class _Parts:
    revenue: NDArray[np.int64]  # cents
    margin_known: NDArray[np.int64]  # cents
    revenue_unknown: NDArray[np.int64]  # cents
    orders: NDArray[np.int64]
    units: NDArray[np.int64]
    current: NDArray[np.float64]


class PyramidScorer(PopulationScorer[PyramidConfig, PyramidResult, PyramidState]):
    """The 80/20 value pyramid: level, rank and share of value in a fitted population.

    ``fit`` ranks the population by value and cuts it by share of customers
    (default: top 20% level 1, next 30% level 2, the rest level 3). Customers of
    equal value share the better rank, so ties never split across levels. Scoring
    places a customer against the fitted population: scoring that population at
    the fitting moment gives levels covering everyone and shares summing to 1.

    With ``traits.uses = ("churn.risk",)``: when the upstream result of
    ``churn.risk`` has a numeric ``predicted_value`` (future value in the shop's
    currency), ``future_weight * predicted_value`` is added. For populations, pass
    ``future_value`` arrays to `fit_values` and `score_batch`.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> pyramid = PyramidScorer().fit(shop.histories, as_of=shop.as_of)
        >>> r = pyramid.score(shop.histories[0], as_of=shop.as_of)
        >>> r.level, r.level_code, r.rank
        (1, 'key', 1)
    """

    name: ClassVar[str] = "loyalty.pyramid"
    description: ClassVar[str] = (
        "The 80/20 value pyramid: margin-aware value, rank, level and share of value."
    )
    config_model = PyramidConfig
    state_model = PyramidState
    traits: ClassVar[ScorerTraits] = ScorerTraits(
        population=True, batch=True, uses=(FUTURE_SOURCE,)
    )

    def __init__(
        self, config: PyramidConfig | Mapping[str, Any] | None = None, **params: Any
    ) -> None:
        super().__init__(config, **params)
        self._cache: tuple[PyramidState, NDArray[np.float64]] | None = None

    # --- value -------------------------------------------------------------------------------

    def _parts(self, batch: CustomerBatch, as_of_s: float) -> _Parts:
        cfg = self.config
        n = batch.n_customers
        sel = (batch.order_time <= as_of_s) & (
            batch.order_time > as_of_s - window_seconds(cfg.window_days)
        )
        cust = batch.order_customer[sel]
        total = cents(batch.order_total[sel])
        cost = batch.order_cost[sel]
        known = ~np.isnan(cost)
        margin = np.where(known, total - cents(np.nan_to_num(cost)), 0)

        def per_customer(values: NDArray[Any]) -> NDArray[np.int64]:
            return np.bincount(cust, weights=values, minlength=n).astype(np.int64)

        revenue = per_customer(total)
        margin_known = per_customer(margin)
        revenue_unknown = per_customer(np.where(known, 0, total))
        orders = np.bincount(cust, minlength=n).astype(np.int64)
        units = per_customer(batch.order_units[sel])
        current = (
            cfg.margin_weight
            * (margin_known / 100.0 + cfg.unknown_cost_margin_rate * revenue_unknown / 100.0)
            + cfg.revenue_weight * revenue / 100.0
            - float(cfg.order_handling_cost) * orders
            - float(cfg.unit_handling_cost) * units
        )
        return _Parts(revenue, margin_known, revenue_unknown, orders, units, current)

    def _future(self, future_value: ArrayLike | None, n: int) -> NDArray[np.float64]:
        if future_value is None:
            return np.zeros(n)
        arr = np.asarray(future_value, dtype=np.float64)
        if arr.shape != (n,):
            raise DataError(
                f"future_value has shape {arr.shape}, expected ({n},): one per customer"
            )
        if not np.all(np.isfinite(arr)):
            raise DataError("future_value must be finite (no NaN or inf)")
        return arr

    # --- fitting -----------------------------------------------------------------------------

    def _fit_batch(self, batch: CustomerBatch, *, as_of: datetime) -> PyramidState:
        return self._fit_values(batch, as_of, None)

    def _fit_upstream(
        self,
        batch: CustomerBatch,
        *,
        as_of: datetime,
        upstream: Sequence[Upstream] | UpstreamScores | None,
    ) -> PyramidState:
        # Fit on the same future values the per-customer path adds when scoring.
        if isinstance(upstream, Mapping):
            source = upstream.get(FUTURE_SOURCE)
            if not isinstance(source, PredictedValueScores):
                return self._fit_batch(batch, as_of=as_of)
            return self._fit_values(batch, as_of, np.nan_to_num(source.predicted_value))
        if upstream is None or not any(FUTURE_SOURCE in u for u in upstream):
            return self._fit_batch(batch, as_of=as_of)
        return self._fit_values(batch, as_of, [_predicted_value(u) for u in upstream])

    def _fit_values(
        self, batch: CustomerBatch, as_of: datetime, future_value: ArrayLike | None
    ) -> PyramidState:
        n = batch.n_customers
        if n == 0:
            raise DataError(f"{self.name}: cannot fit a value pyramid on an empty population")
        future = self._future(future_value, n)
        value = self._parts(batch, to_epoch_seconds(as_of)).current
        value = value + self.config.future_weight * future
        ranks = tuple(math.ceil(c * n - 1e-9) for c in self.config.cuts)
        return PyramidState(
            values=tuple(np.sort(value).tolist()),
            total_value=float(np.maximum(value, 0.0).sum()),
            cut_ranks=ranks,
            n_customers=n,
            fitted_as_of=as_of,
            currency=batch.currency,
            future_included=future_value is not None,
        )

    def fit_values(
        self,
        data: Sequence[CustomerHistory] | CustomerBatch,
        *,
        as_of: datetime,
        future_value: ArrayLike | None = None,
    ) -> Self:
        """Fit like `fit`, adding a future value per customer (row order of ``data``).

        Args:
            data: Histories, or a `custcare.batch.CustomerBatch`.
            as_of: A timezone-aware moment; later orders are ignored.
            future_value: Predicted future value of each customer, in the shop's
                currency (e.g. from a churn or lifetime-value model), or None.

        Raises:
            custcare.errors.DataError: on an empty population or a bad array.

        Examples:
            >>> from custcare.datasets import sample_shop
            >>> shop = sample_shop()
            >>> future = [0.0] * (len(shop.histories) - 1) + [1e6]
            >>> p = PyramidScorer().fit_values(shop.histories, as_of=shop.as_of,
            ...                                future_value=future)
            >>> p.state.future_included
            True
        """
        as_of = check_as_of(as_of)
        if isinstance(data, CustomerBatch):
            batch = data.until(as_of)
        else:
            batch = from_histories([h.until(as_of) for h in data])
        self.state_ = self._fit_values(batch, as_of, future_value)
        return self

    # --- scoring -----------------------------------------------------------------------------

    def _population(self) -> NDArray[np.float64]:
        state = self.state
        if self._cache is None or self._cache[0] is not state:
            values = np.asarray(state.values, dtype=np.float64)
            values.flags.writeable = False
            self._cache = (state, values)
        return self._cache[1]

    def _place(
        self, value: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """Rank, level (1-based) and share of each value against the fitted population."""
        state = self.state
        pop = self._population()
        rank = (pop.size - searchsorted(pop, value, "right") + 1).astype(np.int64)
        level = (np.searchsorted(np.asarray(state.cut_ranks), rank, side="left") + 1).astype(
            np.int64
        )
        total = state.total_value
        share = np.maximum(value, 0.0) / total if total > 0 else np.zeros(value.shape)
        return rank, level, share

    def score_batch(
        self, batch: CustomerBatch, *, as_of: datetime, future_value: ArrayLike | None = None
    ) -> BatchScores:
        """Every customer's level, rank, value and share at once, vectorised.

        Args:
            batch: The customers to place in the fitted pyramid.
            as_of: A timezone-aware moment; later orders are ignored.
            future_value: Predicted future value per customer row, or None.

        Examples:
            >>> from custcare.batch import from_histories
            >>> from custcare.datasets import sample_shop
            >>> shop = sample_shop()
            >>> batch = from_histories(shop.histories)
            >>> p = PyramidScorer().fit(batch, as_of=shop.as_of)
            >>> s = p.score_batch(batch, as_of=shop.as_of)
            >>> sorted(set(s["level"].tolist())), round(float(s["share"].sum()), 9)
            ([1, 2, 3], 1.0)
        """
        self._check_ready()
        as_of = check_as_of(as_of)
        parts = self._parts(batch.until(as_of), to_epoch_seconds(as_of))
        future = self._future(future_value, batch.n_customers)
        value = parts.current + self.config.future_weight * future
        rank, level, share = self._place(value)
        return BatchScores.build(
            self.name,
            batch.customer_ids,
            {
                "level": level,
                "rank": rank,
                "value": value,
                "share": share,
                "current_value": parts.current,
                "future_value": future,
                "revenue": parts.revenue / 100.0,
            },
        )

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> PyramidResult:
        cfg, state = self.config, self.state
        batch = from_histories([history])
        as_of_s = to_epoch_seconds(as_of)
        parts = self._parts(batch, as_of_s)
        offered = _predicted_value(upstream)
        # Ranks compare like with like: a future term only counts when the population
        # was fitted with one (fit_values, or Pipeline.fit with churn.risk).
        future = offered if state.future_included else 0.0
        value = parts.current + cfg.future_weight * self._future([future], 1)
        rank, level, share = self._place(value)
        lvl = int(level[0])
        label = cfg.levels[lvl - 1]
        currency = batch.currency or state.currency or ""
        revenue = int(parts.revenue[0])
        unknown = int(parts.revenue_unknown[0])
        reasons = [
            self._level_reason(batch, as_of_s, lvl, int(rank[0]), float(share[0])),
            self._value_reason(parts, float(value[0]), currency),
        ]
        if unknown:
            sel = np.isnan(batch.order_cost) & self._window(batch, as_of_s)
            reasons.append(
                Reason(
                    code="loyalty.pyramid.cost_assumed",
                    message=(
                        f"Cost unknown for {int(sel.sum())} order(s) "
                        f"({format_money(decimal_from_cents(unknown), currency).strip()} paid): "
                        f"margin assumed at {cfg.unknown_cost_margin_rate:.0%} of the amount paid."
                    ),
                    weight=0.5,
                    evidence=order_ids(batch, sel),
                )
            )
        if offered and not state.future_included:
            reasons.append(
                Reason(
                    code="loyalty.pyramid.future_ignored",
                    message=(
                        f"{FUTURE_SOURCE} predicted a future value, but the population was "
                        "fitted without one, so it is left out; fit with Pipeline.fit or "
                        "fit_values(future_value=...) to include it."
                    ),
                    weight=0.0,
                )
            )
        if future:
            reasons.append(
                Reason(
                    code="loyalty.pyramid.future_value",
                    message=(
                        f"Future value {format_money(future, currency).strip()} predicted by "
                        f"{FUTURE_SOURCE}, weighted {cfg.future_weight:g}."
                    ),
                    weight=0.5,
                )
            )
        return PyramidResult(
            scorer=self.name,
            customer_id=history.customer_id,
            as_of=as_of,
            reasons=tuple(reasons),
            level=lvl,
            level_code=label.code,
            label_zh=label.label_zh,
            label_en=label.label_en,
            rank=int(rank[0]),
            population=state.n_customers,
            value=float(value[0]),
            share=float(share[0]),
            current_value=float(parts.current[0]),
            future_value=future,
            revenue=decimal_from_cents(revenue),
            margin_known=decimal_from_cents(int(parts.margin_known[0])),
            cost_known_share=1.0 if revenue == 0 else (revenue - unknown) / revenue,
            currency=batch.currency,
        )

    def _window(self, batch: CustomerBatch, as_of_s: float) -> NDArray[np.bool_]:
        w = window_seconds(self.config.window_days)
        return (batch.order_time <= as_of_s) & (batch.order_time > as_of_s - w)

    def _level_reason(
        self, batch: CustomerBatch, as_of_s: float, level: int, rank: int, share: float
    ) -> Reason:
        cfg, state = self.config, self.state
        label = cfg.levels[level - 1]
        lo = 1 if level == 1 else state.cut_ranks[level - 2] + 1
        hi = state.cut_ranks[level - 1] if level <= len(state.cut_ranks) else state.n_customers
        band = f"ranks {lo}-{hi}" if lo <= hi else "no fitted customer"
        # Evidence: the customer's orders that bring the most value, best first.
        sel = self._window(batch, as_of_s)
        idx = np.flatnonzero(sel)
        total = cents(batch.order_total[idx]) / 100.0
        cost = batch.order_cost[idx]
        margin = np.where(np.isnan(cost), cfg.unknown_cost_margin_rate * total, total - cost)
        contribution = cfg.margin_weight * margin + cfg.revenue_weight * total
        ids = batch.order_ids[idx] if batch.order_ids is not None else np.array([], dtype=str)
        top = np.lexsort((ids, -contribution))[:5] if ids.size else np.array([], dtype=np.int64)
        return Reason(
            code="loyalty.pyramid.level",
            message=(
                f"Level {level}, {label.label_en} ({label.label_zh}): rank {rank} of "
                f"{state.n_customers} by value (level {level} is {band}); "
                f"{share:.1%} of the population's value."
            ),
            evidence=tuple(str(i) for i in ids[top]),
        )

    def _value_reason(self, parts: _Parts, value: float, currency: str) -> Reason:
        cfg = self.config

        def money(c: int | float) -> str:
            return format_money(decimal_from_cents(c), currency).strip()

        orders = int(parts.orders[0])
        if orders == 0:
            return Reason(
                code="loyalty.pyramid.no_purchases",
                message="No completed orders: current value 0.00.",
                weight=0.5,
            )
        margin = int(parts.margin_known[0]) + cfg.unknown_cost_margin_rate * int(
            parts.revenue_unknown[0]
        )
        terms = []
        if cfg.margin_weight:
            terms.append(f"gross profit {money(margin)}" + _times(cfg.margin_weight))
        if cfg.revenue_weight:
            terms.append(f"revenue {money(int(parts.revenue[0]))}" + _times(cfg.revenue_weight))
        if cfg.order_handling_cost:
            terms.append(f"minus handling {money(float(cfg.order_handling_cost) * 100 * orders)}")
        if cfg.unit_handling_cost:
            units = int(parts.units[0])
            terms.append(
                f"minus unit handling {money(float(cfg.unit_handling_cost) * 100 * units)}"
            )
        return Reason(
            code="loyalty.pyramid.value",
            message=(
                f"Value {format_money(round(value, 2), currency).strip()} from {orders} completed "
                f"order(s) (paid {money(int(parts.revenue[0]))}): {', '.join(terms)}."
            ),
            weight=0.5,
        )


def _times(weight: float) -> str:
    return "" if weight == 1 else f" x {weight:g}"


def _predicted_value(upstream: Upstream) -> float:
    """The ``predicted_value`` of the ``churn.risk`` result, 0.0 when absent."""
    result = upstream.get(FUTURE_SOURCE)
    value = getattr(result, "predicted_value", None) if result is not None else None
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise CustcareUsageError(
            f"{FUTURE_SOURCE}.predicted_value must be a number, got {type(value).__name__}",
            code="bad_argument",
        )
    out = float(value)
    if not math.isfinite(out):
        raise CustcareUsageError(
            f"{FUTURE_SOURCE}.predicted_value must be finite, got {out}", code="bad_argument"
        )
    return out
