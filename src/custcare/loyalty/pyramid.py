"""The 80/20 value pyramid (二八法则): rank a population by value and cut it into levels.

Value is margin-aware: by default it is the gross profit of completed orders
(total paid less cost of goods), so a customer who buys a few high-margin items
can outrank one who spent more on thin-margin ones. An optional future term comes
from a churn-risk or predicted-value model.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import Self

from custcare.batch import CustomerBatch, to_epoch_seconds
from custcare.errors import CustcareUsageError, DataError
from custcare.loyalty._common import (
    MAX_DAYS,
    LevelLabel,
    cents,
    decimal_from_cents,
    format_money,
    ids_by_customer,
    minor_digits,
    searchsorted,
    window_seconds,
)
from custcare.loyalty._value import HasPredictedValue
from custcare.models import CustomerHistory, Money
from custcare.scoring import (
    BatchScores,
    PopulationScorer,
    PredictedValueScores,
    Ragged,
    Reason,
    ReasonColumns,
    ReasonSlot,
    ScorerConfig,
    ScoreResult,
    ScorerTraits,
    Upstream,
    UpstreamScores,
    check_as_of,
    check_upstream_rows,
)
from custcare.scoring._scorer import FittedState, check_existing

__all__ = [
    "DEFAULT_PYRAMID_LEVELS",
    "FUTURE_SOURCE",
    "PyramidConfig",
    "PyramidResult",
    "PyramidScorer",
    "PyramidScores",
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
        window_days: Count orders of the last ``window_days`` days (1 .. 36,500); None: all.

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
    window_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None

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


class PyramidState(FittedState):
    """The fitted population: its values (ascending), total and level cut ranks.

    Checked on load: values finite and ascending, one per customer; the total is
    the sum of the positive values; cut ranks non-decreasing in ``0..n_customers``
    (and, by the scorer, one per level but the last); no unknown keys.

    Attributes:
        values: Every fitted customer's value, ascending (for ranks).
        total_value: Sum of the positive values (the denominator of ``share``).
        cut_ranks: The last rank of each level but the last.
        n_customers: Size of the fitted population.
        fitted_as_of: The moment the population was taken at.
        currency: Currency of the amounts; None when no orders.
        future_included: Whether a future value term was given at fit.
        n_not_yet_created: Customers left out: created after ``fitted_as_of``.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> state = PyramidScorer().fit(shop.histories, as_of=shop.as_of).state
        >>> state.n_customers, state.cut_ranks
        (60, (12, 30))
    """

    values: tuple[float, ...]
    total_value: Annotated[float, Field(ge=0)]
    cut_ranks: tuple[Annotated[int, Field(ge=0)], ...]
    n_customers: Annotated[int, Field(ge=1)]
    future_included: bool

    @model_validator(mode="after")
    def _check_population(self) -> PyramidState:
        values = np.asarray(self.values, dtype=np.float64)
        if values.size != self.n_customers:
            raise PydanticCustomError(
                "inconsistent_state",
                "values holds {k} values for n_customers {n}: one per fitted customer",
                {"k": int(values.size), "n": self.n_customers},
            )
        if values.size > 1 and bool(np.any(values[1:] < values[:-1])):
            raise PydanticCustomError("values_not_sorted", "values must be ascending")
        total = float(np.maximum(values, 0.0).sum())
        if not math.isclose(self.total_value, total, rel_tol=1e-9, abs_tol=1e-9):
            raise PydanticCustomError(
                "inconsistent_state",
                "total_value is not the sum of the positive values (the share denominator)",
            )
        ranks = self.cut_ranks
        if any(b < a for a, b in itertools.pairwise(ranks)) or any(
            r > self.n_customers for r in ranks
        ):
            raise PydanticCustomError(
                "cut_ranks_invalid", "cut_ranks must be non-decreasing ranks in 0..n_customers"
            )
        return self


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
        "level_code",
        "label_zh",
        "label_en",
        "rank",
        "value",
        "share",
        "current_value",
        "future_value",
        "revenue",
        "customer_value",
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


class PyramidScores(BatchScores):
    """`PyramidScorer.score_batch` output; offers ``customer_value`` to other scorers."""

    @property
    def customer_value(self) -> NDArray[np.float64]:
        """The value percentile per row, in ``[0, 1]``: 1 for the top-ranked customer."""
        return self.columns["customer_value"]


@dataclass(frozen=True)
class _Parts:
    revenue: NDArray[np.int64]  # whole minor units (cents for CNY)
    margin_known: NDArray[np.int64]  # minor units
    revenue_unknown: NDArray[np.int64]  # minor units
    orders: NDArray[np.int64]
    units: NDArray[np.int64]
    current: NDArray[np.float64]
    digits: int  # decimal places of the currency's minor unit


class PyramidScorer(PopulationScorer[PyramidConfig, PyramidResult, PyramidState]):
    """The 80/20 value pyramid: level, rank and share of value in a fitted population.

    ``fit`` ranks the population by value and cuts it by share of customers
    (default: top 20% level 1, next 30% level 2, the rest level 3). Customers of
    equal value share the better rank, so ties never split across levels. Scoring
    places a customer against the fitted population: scoring that population at
    the fitting moment gives levels covering everyone and shares summing to 1.

    With ``traits.uses = ("churn.risk",)``: when ``churn.risk`` predicts a future
    value in the shop's currency, ``future_weight * predicted_value`` is added, if
    the population was fitted with future values too. It is read through typed
    interfaces: batch scores as `custcare.scoring.PredictedValueScores` (in
    `score_batch`, as `Pipeline` passes them), a per-customer result as
    `custcare.loyalty.HasPredictedValue`; or pass ``future_value`` arrays to
    `fit_values` and `score_batch`.

    One columnar path (`score_batch`) computes every value, rank, level and reason;
    `score` is a one-row view of it.

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
        digits = minor_digits(batch.currency)
        scale = 10.0**digits
        total = cents(batch.order_total[sel], digits)
        cost = batch.order_cost[sel]
        known = ~np.isnan(cost)
        margin = np.where(known, total - cents(np.nan_to_num(cost), digits), 0)

        def per_customer(values: NDArray[Any]) -> NDArray[np.int64]:
            return np.bincount(cust, weights=values, minlength=n).astype(np.int64)

        revenue = per_customer(total)
        margin_known = per_customer(margin)
        revenue_unknown = per_customer(np.where(known, 0, total))
        orders = np.bincount(cust, minlength=n).astype(np.int64)
        units = per_customer(batch.order_units[sel])
        current = (
            cfg.margin_weight
            * (margin_known / scale + cfg.unknown_cost_margin_rate * revenue_unknown / scale)
            + cfg.revenue_weight * revenue / scale
            - float(cfg.order_handling_cost) * orders
            - float(cfg.unit_handling_cost) * units
        )
        return _Parts(revenue, margin_known, revenue_unknown, orders, units, current, digits)

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

    def _check_state(self, state: PyramidState) -> None:
        if len(state.cut_ranks) != len(self.config.cuts):
            raise DataError(
                f"{self.name}: the saved state has {len(state.cut_ranks)} cut rank(s) but "
                f"the saved config {len(self.config.cuts)} cut(s): they do not belong together"
            )

    def _fit_upstream(
        self,
        batch: CustomerBatch,
        *,
        as_of: datetime,
        upstream: Sequence[Upstream] | UpstreamScores | None,
    ) -> PyramidState:
        # Fit on the same future values scoring adds (read the same way as score_batch).
        if isinstance(upstream, Mapping):
            return self._fit_values(batch, as_of, self._offered(batch, upstream, None))
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
        n_given = len(data.customer_ids) if isinstance(data, CustomerBatch) else len(data)
        future = None if future_value is None else self._future(future_value, n_given)
        batch, kept = self._population_as_of(data, as_of)
        if future is not None and kept is not None:
            future = future[kept]
        state = self._fit_values(batch, as_of, future)
        self.state_ = self._stamp(state, 0 if kept is None else n_given - int(kept.size))
        return self

    # --- the future value offered by upstream ----------------------------------------------

    def _offered(
        self,
        batch: CustomerBatch,
        upstream: UpstreamScores | None,
        future_value: ArrayLike | None,
    ) -> NDArray[np.float64] | None:
        """The future value offered per row: given, read from upstream, or None.

        Upstream batch scores of `FUTURE_SOURCE` are read through
        `custcare.scoring.PredictedValueScores` (NaN: no prediction, counted as 0).
        Scores of a scorer without a batch path (`BatchScores.from_results`) are
        read from their per-customer results, like the per-customer path reads them.
        """
        source = None if upstream is None else upstream.get(FUTURE_SOURCE)
        if future_value is not None:
            if source is not None:
                raise CustcareUsageError(
                    f"{self.name}: got both future_value and upstream scores of "
                    f"{FUTURE_SOURCE}; give the future value one way",
                    code="bad_argument",
                )
            return self._future(future_value, batch.n_customers)
        if source is None:
            return None
        check_upstream_rows({FUTURE_SOURCE: source}, batch.customer_ids, self.name)
        if isinstance(source, PredictedValueScores):
            values = np.asarray(source.predicted_value, dtype=np.float64)
            if values.shape != (batch.n_customers,) or np.isinf(values).any():
                raise CustcareUsageError(
                    f"{FUTURE_SOURCE}.predicted_value must hold one finite number or NaN "
                    f"per customer, got shape {values.shape}",
                    code="bad_argument",
                )
            return np.nan_to_num(values, nan=0.0)
        if source.explain is None:
            return None
        # A scorer without a batch path was run per customer: read its results.
        return np.array(
            [_predicted_value({FUTURE_SOURCE: source.result(i)}) for i in range(len(source))],
            dtype=np.float64,
        )

    # --- the one columnar path; the per-customer path is a one-row view of it ----------

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
        self,
        batch: CustomerBatch,
        *,
        as_of: datetime,
        upstream: UpstreamScores | None = None,
        future_value: ArrayLike | None = None,
    ) -> PyramidScores:
        """Every customer's level, rank, value and share at once, vectorised.

        Gives the same values as `score` for the `PyramidResult.batch_columns`,
        reason codes and evidence as columns (`BatchScores.reasons`), and
        `BatchScores.result` builds any row's full `PyramidResult`.

        The future value comes from ``upstream`` (the batch scores of
        ``churn.risk``, read as `custcare.scoring.PredictedValueScores`; NaN counts
        as 0, as `Pipeline` passes them) or from ``future_value``. As on the
        per-customer path, it only counts when the population was fitted with a
        future value (`fit_values`, or `Pipeline.fit`); otherwise it is left out
        and ``loyalty.pyramid.future_ignored`` says so.

        Args:
            batch: The customers to place in the fitted pyramid.
            as_of: A timezone-aware moment; later orders are ignored.
            upstream: Batch scores of the scorers this one uses, by name.
            future_value: Predicted future value per customer row, or None.

        Raises:
            custcare.errors.NotFittedError: before `fit`.
            custcare.errors.DataError: if ``future_value`` is not one finite number
                per customer.
            custcare.errors.CustcareUsageError: if both ``future_value`` and upstream
                ``churn.risk`` scores are given, or the upstream scores are not for
                the batch's customers.

        Examples:
            >>> from custcare.batch import from_histories
            >>> from custcare.datasets import sample_shop
            >>> shop = sample_shop()
            >>> batch = from_histories(shop.histories)
            >>> p = PyramidScorer().fit(batch, as_of=shop.as_of)
            >>> s = p.score_batch(batch, as_of=shop.as_of)
            >>> sorted(set(s["level"].tolist())), round(float(s["share"].sum()), 9)
            ([1, 2, 3], 1.0)
            >>> s.reasons.codes_of(0)[:2]
            ('loyalty.pyramid.level', 'loyalty.pyramid.value')
            >>> s.result(0) == p.score(shop.histories[0], as_of=shop.as_of)
            True
        """
        self._check_ready()
        as_of = check_as_of(as_of)
        if not isinstance(batch, CustomerBatch):
            raise CustcareUsageError(
                f"{self.name}: score_batch() takes a CustomerBatch, got {type(batch).__name__}",
                code="bad_argument",
            )
        check_existing(batch, as_of, self.name)
        self._check_currency(batch.currency)
        offered = self._offered(batch, upstream, future_value)
        return self._place_all(batch.until(as_of), as_of, offered)

    def _scores_upstream(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores
    ) -> PyramidScores:
        return self._place_all(batch, as_of, self._offered(batch, upstream, None))

    def _scores_rows(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: Sequence[Upstream]
    ) -> PyramidScores:
        return self._place_all(batch, as_of, np.array([_predicted_value(u) for u in upstream]))

    def _place_all(
        self, batch: CustomerBatch, as_of: datetime, offered: NDArray[np.float64] | None
    ) -> PyramidScores:
        """Columns, reasons and per-row results of a batch already cut at ``as_of``."""
        cfg, state = self.config, self.state
        n = batch.n_customers
        as_of_s = to_epoch_seconds(as_of)
        parts = self._parts(batch, as_of_s)
        if offered is None:
            offered = np.zeros(n)
        # Ranks compare like with like: a future term only counts when the population
        # was fitted with one (fit_values, or Pipeline.fit with churn.risk).
        future = offered if state.future_included else np.zeros(n)
        value = parts.current + cfg.future_weight * future
        rank, level, share = self._place(value)
        window = self._window(batch, as_of_s)
        unknown = window & np.isnan(batch.order_cost)
        assumed = parts.revenue_unknown != 0
        ignored = np.zeros(n, dtype=np.bool_) if state.future_included else offered != 0
        added = future != 0
        slots = [
            ReasonSlot("loyalty.pyramid.level", True, self._top_orders(batch, window)),
            ReasonSlot(
                np.where(
                    parts.orders == 0, "loyalty.pyramid.no_purchases", "loyalty.pyramid.value"
                ),
                True,
            ),
        ]
        # Optional reasons no row gives are left out: narrower reason columns, same reasons.
        if assumed.any():
            evidence = ids_by_customer(batch, unknown, batch.order_time)
            slots.append(ReasonSlot("loyalty.pyramid.cost_assumed", assumed, evidence))
        if ignored.any():
            slots.append(ReasonSlot("loyalty.pyramid.future_ignored", ignored))
        if added.any():
            slots.append(ReasonSlot("loyalty.pyramid.future_value", added))
        reasons = ReasonColumns.build(n, slots)
        facts = _PyramidFacts(
            parts=parts,
            value=value,
            future=future,
            rank=rank,
            level=level,
            share=share,
            n_unknown=np.bincount(batch.order_customer[unknown], minlength=n),
            # The result's currency: the orders', None for a customer without any order.
            has_orders=(np.bincount(batch.order_customer, minlength=n) > 0)
            | (np.bincount(batch.uncounted_customer, minlength=n) > 0),
        )
        labels = cfg.levels
        idx = level - 1
        return PyramidScores.build(
            self.name,
            batch.customer_ids,
            {
                "level": level,
                "level_code": np.array([lv.code for lv in labels])[idx],
                "label_zh": np.array([lv.label_zh for lv in labels])[idx],
                "label_en": np.array([lv.label_en for lv in labels])[idx],
                "rank": rank,
                "value": value,
                "share": share,
                "current_value": parts.current,
                "future_value": future,
                "revenue": parts.revenue / 10.0**parts.digits,
                "customer_value": np.clip(1.0 - (rank - 1) / state.n_customers, 0.0, 1.0),
            },
            reasons=reasons,
            as_of=as_of,
            explain=lambda i: self._result(batch, facts, reasons, i, as_of),
        )

    def _top_orders(self, batch: CustomerBatch, window: NDArray[np.bool_]) -> Ragged:
        """Each customer's (up to 5) orders that bring the most value, best first.

        One sort by (customer, -contribution, id), then the first 5 of each customer.
        """
        cfg = self.config
        digits = minor_digits(batch.currency)
        total = cents(batch.order_total, digits) / 10.0**digits
        cost = batch.order_cost
        margin = np.where(np.isnan(cost), cfg.unknown_cost_margin_rate * total, total - cost)
        contribution = cfg.margin_weight * margin + cfg.revenue_weight * total
        return ids_by_customer(batch, window, -contribution, limit=_TOP_ORDERS)

    def _window(self, batch: CustomerBatch, as_of_s: float) -> NDArray[np.bool_]:
        w = window_seconds(self.config.window_days)
        return (batch.order_time <= as_of_s) & (batch.order_time > as_of_s - w)

    # --- each row's result, its reasons as sentences --------------------------------------

    def _result(
        self,
        batch: CustomerBatch,
        facts: _PyramidFacts,
        reasons: ReasonColumns,
        i: int,
        as_of: datetime,
    ) -> PyramidResult:
        """Row ``i``'s result: its values from the columns, its reasons as sentences."""
        cfg, state = self.config, self.state
        parts = facts.parts
        lvl, rank = int(facts.level[i]), int(facts.rank[i])
        label = cfg.levels[lvl - 1]
        currency = batch.currency if facts.has_orders[i] else None
        money_in = currency or state.currency or ""

        def money(minor: int) -> str:
            return format_money(decimal_from_cents(minor, parts.digits), money_in).strip()

        value, future = float(facts.value[i]), float(facts.future[i])
        revenue, unknown = int(parts.revenue[i]), int(parts.revenue_unknown[i])
        out: list[Reason] = []
        for j, code in enumerate(reasons.codes_of(i)):
            evidence = reasons.evidence_of(i, j)
            if code == "loyalty.pyramid.level":
                out.append(self._level_reason(lvl, rank, float(facts.share[i]), evidence))
            elif code in ("loyalty.pyramid.value", "loyalty.pyramid.no_purchases"):
                out.append(self._value_reason(parts, i, value, money_in))
            elif code == "loyalty.pyramid.cost_assumed":
                out.append(
                    Reason(
                        code=code,
                        message=(
                            f"Cost unknown for {int(facts.n_unknown[i])} order(s) "
                            f"({money(unknown)} "
                            f"paid): margin assumed at {cfg.unknown_cost_margin_rate:.0%} of "
                            "the amount paid."
                        ),
                        weight=0.5,
                        evidence=evidence,
                    )
                )
            elif code == "loyalty.pyramid.future_ignored":
                out.append(
                    Reason(
                        code=code,
                        message=(
                            f"{FUTURE_SOURCE} predicted a future value, but the population was "
                            "fitted without one, so it is left out; fit with Pipeline.fit or "
                            "fit_values(future_value=...) to include it."
                        ),
                        weight=0.0,
                    )
                )
            else:
                out.append(
                    Reason(
                        code=code,
                        message=(
                            f"Future value {format_money(future, money_in).strip()} predicted "
                            f"by {FUTURE_SOURCE}, weighted {cfg.future_weight:g}."
                        ),
                        weight=0.5,
                    )
                )
        return PyramidResult(
            scorer=self.name,
            customer_id=str(batch.customer_ids[i]),
            as_of=as_of,
            reasons=tuple(out),
            level=lvl,
            level_code=label.code,
            label_zh=label.label_zh,
            label_en=label.label_en,
            rank=rank,
            population=state.n_customers,
            value=value,
            share=float(facts.share[i]),
            current_value=float(parts.current[i]),
            future_value=future,
            revenue=decimal_from_cents(revenue, parts.digits),
            margin_known=decimal_from_cents(int(parts.margin_known[i]), parts.digits),
            cost_known_share=1.0 if revenue == 0 else (revenue - unknown) / revenue,
            currency=currency,
        )

    def _level_reason(
        self, level: int, rank: int, share: float, evidence: tuple[str, ...]
    ) -> Reason:
        cfg, state = self.config, self.state
        label = cfg.levels[level - 1]
        lo = 1 if level == 1 else state.cut_ranks[level - 2] + 1
        hi = state.cut_ranks[level - 1] if level <= len(state.cut_ranks) else state.n_customers
        band = f"ranks {lo}-{hi}" if lo <= hi else "no fitted customer"
        return Reason(
            code="loyalty.pyramid.level",
            message=(
                f"Level {level}, {label.label_en} ({label.label_zh}): rank {rank} of "
                f"{state.n_customers} by value (level {level} is {band}); "
                f"{share:.1%} of the population's value."
            ),
            evidence=evidence,
        )

    def _value_reason(self, parts: _Parts, i: int, value: float, currency: str) -> Reason:
        cfg = self.config

        def money(c: int | float) -> str:
            return format_money(decimal_from_cents(c, parts.digits), currency).strip()

        scale = 10.0**parts.digits
        orders = int(parts.orders[i])
        if orders == 0:
            return Reason(
                code="loyalty.pyramid.no_purchases",
                message="No completed orders: current value 0.00.",
                weight=0.5,
            )
        margin = int(parts.margin_known[i]) + cfg.unknown_cost_margin_rate * int(
            parts.revenue_unknown[i]
        )
        terms = []
        if cfg.margin_weight:
            terms.append(f"gross profit {money(margin)}" + _times(cfg.margin_weight))
        if cfg.revenue_weight:
            terms.append(f"revenue {money(int(parts.revenue[i]))}" + _times(cfg.revenue_weight))
        if cfg.order_handling_cost:
            terms.append(f"minus handling {money(float(cfg.order_handling_cost) * scale * orders)}")
        if cfg.unit_handling_cost:
            units = int(parts.units[i])
            terms.append(
                f"minus unit handling {money(float(cfg.unit_handling_cost) * scale * units)}"
            )
        return Reason(
            code="loyalty.pyramid.value",
            message=(
                f"Value {format_money(round(value, 2), currency).strip()} from {orders} completed "
                f"order(s) (paid {money(int(parts.revenue[i]))}): {', '.join(terms)}."
            ),
            weight=0.5,
        )


_TOP_ORDERS = 5
"""How many of a customer's most valuable orders the level reason cites."""


@dataclass(frozen=True)
class _PyramidFacts:
    """What each row's result needs, beyond the reason columns."""

    parts: _Parts
    value: NDArray[np.float64]
    future: NDArray[np.float64]
    rank: NDArray[np.int64]
    level: NDArray[np.int64]
    share: NDArray[np.float64]
    n_unknown: NDArray[np.int64]  # orders of unknown cost in the window
    has_orders: NDArray[np.bool_]


def _times(weight: float) -> str:
    return "" if weight == 1 else f" x {weight:g}"


def _predicted_value(upstream: Upstream) -> float:
    """The ``predicted_value`` of the ``churn.risk`` result, 0.0 when absent or None."""
    result = upstream.get(FUTURE_SOURCE)
    if not isinstance(result, HasPredictedValue):
        return 0.0
    value: object = result.predicted_value
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
