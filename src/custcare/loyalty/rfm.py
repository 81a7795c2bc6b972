"""RFM: recency, frequency and monetary scores 1..5 and a named segment.

Edges are learnt with `RFMScorer.fit` as population quantiles (20/40/60/80%) or
fixed in the config. Scores map to segments (Champions, Loyal, ..., Lost) by a
documented, replaceable rule table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from custcare.batch import SECONDS_PER_DAY, CustomerBatch, to_epoch_seconds
from custcare.errors import DataError
from custcare.loyalty._common import (
    MAX_DAYS,
    LevelLabel,
    cents,
    decimal_from_cents,
    format_money,
    ids_by_customer,
    minor_digits,
    window_seconds,
)
from custcare.models import Money
from custcare.scoring import (
    BatchScores,
    PopulationScorer,
    Reason,
    ReasonColumns,
    ReasonSlot,
    ScorerConfig,
    ScoreResult,
    ScorerTraits,
)
from custcare.scoring._scorer import FittedState

__all__ = [
    "DEFAULT_SEGMENTS",
    "NO_PURCHASE",
    "QUANTILES",
    "RFMConfig",
    "RFMResult",
    "RFMScorer",
    "RFMScores",
    "RFMSegment",
    "RFMState",
]

QUANTILES: tuple[float, float, float, float] = (0.2, 0.4, 0.6, 0.8)
"""The population quantiles that make the four edges of the five scores."""

Score = Annotated[int, Field(ge=1, le=5)]
ScoreRange = tuple[Score, Score]


class RFMSegment(LevelLabel):
    """A segment and the box of scores it covers (bounds inclusive).

    A customer falls in the first segment of the table whose every range holds
    their scores. ``fm`` is ``(F + M) / 2`` rounded half up. A segment may appear
    in several rows (several boxes) with the same labels.

    Attributes:
        code: Stable code, e.g. ``"champions"``.
        label_zh: Chinese display name.
        label_en: English display name.
        r: Recency score range.
        f: Frequency score range.
        m: Monetary score range.
        fm: Range of the combined frequency-monetary score.

    Examples:
        >>> seg = RFMSegment(code="new", label_zh="新客户", label_en="New", r=(5, 5), fm=(1, 1))
        >>> seg.matches(5, 1, 1), seg.matches(4, 1, 1)
        (True, False)
    """

    r: ScoreRange = (1, 5)
    f: ScoreRange = (1, 5)
    m: ScoreRange = (1, 5)
    fm: ScoreRange = (1, 5)

    @field_validator("r", "f", "m", "fm")
    @classmethod
    def _ordered(cls, value: ScoreRange) -> ScoreRange:
        if value[0] > value[1]:
            raise PydanticCustomError(
                "empty_range",
                "score range ({lo}, {hi}) is empty: the low bound must not exceed the high one",
                {"lo": value[0], "hi": value[1]},
            )
        return value

    def matches(self, r: int, f: int, m: int) -> bool:
        """Whether scores ``(r, f, m)`` fall in this segment's box."""
        fm = (f + m + 1) // 2
        return all(
            lo <= v <= hi for v, (lo, hi) in ((r, self.r), (f, self.f), (m, self.m), (fm, self.fm))
        )

    def describe(self) -> str:
        """The box as text, e.g. ``"R 5, FM 4-5"`` (full ranges are left out)."""
        parts = [
            f"{name} {lo}" if lo == hi else f"{name} {lo}-{hi}"
            for name, (lo, hi) in (("R", self.r), ("F", self.f), ("M", self.m), ("FM", self.fm))
            if (lo, hi) != (1, 5)
        ]
        return ", ".join(parts) or "any scores"


def _seg(code: str, zh: str, en: str, r: ScoreRange, fm: ScoreRange) -> RFMSegment:
    return RFMSegment(code=code, label_zh=zh, label_en=en, r=r, fm=fm)


DEFAULT_SEGMENTS: tuple[RFMSegment, ...] = (
    _seg("champions", "冠军客户", "Champions", (5, 5), (4, 5)),
    _seg("loyal", "忠诚客户", "Loyal", (3, 4), (4, 5)),
    _seg("potential_loyalist", "潜在忠诚客户", "Potential loyalist", (4, 5), (2, 3)),
    _seg("new", "新客户", "New", (5, 5), (1, 1)),
    _seg("promising", "有潜力客户", "Promising", (4, 4), (1, 1)),
    _seg("need_attention", "需要关注客户", "Need attention", (3, 3), (3, 3)),
    _seg("about_to_sleep", "即将沉睡客户", "About to sleep", (3, 3), (1, 2)),
    _seg("at_risk", "有流失风险客户", "At risk", (1, 2), (3, 4)),
    _seg("cant_lose", "不能失去的客户", "Can't lose them", (1, 2), (5, 5)),
    _seg("hibernating", "沉睡客户", "Hibernating", (2, 2), (1, 2)),
    _seg("lost", "已流失客户", "Lost", (1, 1), (1, 2)),
)
"""The default segment table on the recency score and ``FM = (F + M) / 2``::

    R \\ FM   1               2                   3                   4          5
    5        New             Potential loyalist  Potential loyalist  Champions  Champions
    4        Promising       Potential loyalist  Potential loyalist  Loyal      Loyal
    3        About to sleep  About to sleep      Need attention      Loyal      Loyal
    2        Hibernating     Hibernating         At risk             At risk    Can't lose them
    1        Lost            Lost                At risk             At risk    Can't lose them
"""

NO_PURCHASE = LevelLabel(code="no_purchase", label_zh="未购买客户", label_en="No purchase yet")
"""The segment of a customer with no completed order up to ``as_of`` (outside the table)."""


def _increasing(name: str, edges: Sequence[float | Decimal] | None) -> None:
    if edges is None:
        return
    for i in range(1, len(edges)):
        if not edges[i] > edges[i - 1]:
            raise PydanticCustomError(
                "edges_not_increasing",
                "{name}[{i}] ({b}) must be greater than {name}[{j}] ({a}): edges must "
                "strictly increase",
                {"name": name, "i": i, "j": i - 1, "a": str(edges[i - 1]), "b": str(edges[i])},
            )


NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class RFMConfig(ScorerConfig):
    """Parameters of `RFMScorer`.

    Attributes:
        recency_edges: Four fixed edges in days since the last completed order, or
            None to learn them. ``<= e1`` scores 5, ``(e1, e2]`` 4, ..., ``> e4`` 1.
        frequency_edges: Four fixed edges on the number of completed orders, or None.
            ``<= e1`` scores 1, ``(e1, e2]`` 2, ..., ``> e4`` 5.
        monetary_edges: Four fixed edges on completed spend (money: Decimal, int or
            string), or None. Scored like frequency.
        window_days: Count frequency and spend in the last ``window_days`` days
            only (1 .. 36,500); None counts the whole history. Recency always looks
            at all of it.
        segments: The segment table, first match wins; it must give every one of
            the 125 score combinations a segment.

    Examples:
        >>> RFMConfig(frequency_edges=(1, 2, 4, 8)).frequency_edges
        (1.0, 2.0, 4.0, 8.0)
    """

    recency_edges: tuple[NonNegative, NonNegative, NonNegative, NonNegative] | None = None
    frequency_edges: tuple[NonNegative, NonNegative, NonNegative, NonNegative] | None = None
    monetary_edges: tuple[Money, Money, Money, Money] | None = None
    window_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    segments: tuple[RFMSegment, ...] = DEFAULT_SEGMENTS

    @field_validator("recency_edges", "frequency_edges", "monetary_edges")
    @classmethod
    def _check_edges(cls, value: Any, info: Any) -> Any:
        _increasing(info.field_name, value)
        return value

    @field_validator("segments")
    @classmethod
    def _check_segments(cls, segments: tuple[RFMSegment, ...]) -> tuple[RFMSegment, ...]:
        labels: dict[str, tuple[str, str]] = {}
        for i, seg in enumerate(segments):
            if seg.code == NO_PURCHASE.code:
                raise PydanticCustomError(
                    "reserved_segment_code",
                    "segments[{i}].code 'no_purchase' is reserved for customers with no purchase",
                    {"i": i},
                )
            pair = (seg.label_zh, seg.label_en)
            if labels.setdefault(seg.code, pair) != pair:
                raise PydanticCustomError(
                    "segment_labels_differ",
                    "segments[{i}] ('{code}') repeats a segment code with other labels",
                    {"i": i, "code": seg.code},
                )
        for r in range(1, 6):
            for f in range(1, 6):
                for m in range(1, 6):
                    if not any(seg.matches(r, f, m) for seg in segments):
                        raise PydanticCustomError(
                            "segments_incomplete",
                            "segments leave R={r}, F={f}, M={m} without a segment; every "
                            "score combination needs one (add a catch-all row last)",
                            {"r": r, "f": f, "m": m},
                        )
        return segments

    def segment_table(self) -> tuple[tuple[LevelLabel, ...], NDArray[np.int64]]:
        """The distinct segments (then `NO_PURCHASE`) and a 5x5x5 lookup of their index.

        Examples:
            >>> labels, table = RFMConfig().segment_table()
            >>> labels[int(table[4, 4, 4])].code, labels[-1].code
            ('champions', 'no_purchase')
        """
        distinct: dict[str, LevelLabel] = {}
        for seg in self.segments:
            distinct.setdefault(
                seg.code, LevelLabel(code=seg.code, label_zh=seg.label_zh, label_en=seg.label_en)
            )
        codes = list(distinct)
        table = np.zeros((5, 5, 5), dtype=np.int64)
        for r in range(1, 6):
            for f in range(1, 6):
                for m in range(1, 6):
                    first = next(s for s in self.segments if s.matches(r, f, m))
                    table[r - 1, f - 1, m - 1] = codes.index(first.code)
        return (*distinct.values(), NO_PURCHASE), table

    def rule_for(self, r: int, f: int, m: int) -> RFMSegment:
        """The first row of the table that holds scores ``(r, f, m)``.

        Examples:
            >>> RFMConfig().rule_for(5, 5, 4).describe()
            'R 5, FM 4-5'
        """
        return next(s for s in self.segments if s.matches(r, f, m))


Edges = tuple[float, float, float, float]


class RFMState(FittedState):
    """The fitted edges (JSON-serialisable) and what they were learnt from.

    Checked on load: edges finite, >= 0 and non-decreasing (learnt quantiles may
    tie), ``n_buyers <= n_customers``, no unknown keys.

    Attributes:
        recency_edges: Days since the last completed order.
        frequency_edges: Completed orders.
        monetary_edges: Completed spend.
        n_customers: Customers in the fitting population.
        n_buyers: Of them, customers with a completed order (edges are learnt on these).
        fitted_as_of: The moment the population was taken at.
        currency: Currency of the spend, None when no orders.
        n_not_yet_created: Customers left out: created after ``fitted_as_of``.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> RFMScorer().fit(shop.histories, as_of=shop.as_of).state.frequency_edges
        (1.0, 2.0, 3.0, 7.0)
    """

    recency_edges: Edges
    frequency_edges: Edges
    monetary_edges: Edges
    n_customers: Annotated[int, Field(ge=0)]
    n_buyers: Annotated[int, Field(ge=0)]

    @field_validator("recency_edges", "frequency_edges", "monetary_edges")
    @classmethod
    def _check_edges(cls, value: Edges, info: Any) -> Edges:
        if not all(v >= 0 for v in value):
            raise PydanticCustomError(
                "negative_edge", "{name} must be >= 0", {"name": info.field_name}
            )
        for i in range(1, len(value)):
            if value[i] < value[i - 1]:
                raise PydanticCustomError(
                    "edges_decreasing",
                    "{name}[{i}] is below {name}[{j}]: fitted edges never decrease",
                    {"name": info.field_name, "i": i, "j": i - 1},
                )
        return value

    @model_validator(mode="after")
    def _check_counts(self) -> RFMState:
        if self.n_buyers > self.n_customers:
            raise PydanticCustomError(
                "inconsistent_state", "n_buyers exceeds n_customers in the fitted population"
            )
        return self


class RFMResult(ScoreResult):
    """A customer's RFM values, scores 1..5 and segment.

    Attributes:
        recency_days: Days from the last completed order to ``as_of``; None if none.
        frequency: Completed orders (in the window, if any).
        monetary: Completed spend (in the window, if any).
        recency_score: 1 (long ago, or never) to 5 (most recent).
        frequency_score: 1 (fewest orders) to 5 (most).
        monetary_score: 1 (least spend) to 5 (most).
        rfm_code: The three scores as text, e.g. ``"545"``.
        segment: Segment code, e.g. ``"champions"``; ``"no_purchase"`` if no purchase.
        segment_zh: Chinese segment name.
        segment_en: English segment name.
        currency: Currency of ``monetary``; None without orders.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> rfm = RFMScorer().fit(shop.histories, as_of=shop.as_of)
        >>> r = rfm.score(shop.histories[3], as_of=shop.as_of)
        >>> r.rfm_code, r.segment_en, r.monetary
        ('245', "Can't lose them", Decimal('2691.55'))
    """

    batch_columns: ClassVar[tuple[str, ...]] = (
        "recency_days",
        "frequency",
        "monetary",
        "recency_score",
        "frequency_score",
        "monetary_score",
        "segment",
        "label_zh",
        "label_en",
        "customer_value",
    )

    recency_days: Annotated[float, Field(ge=0)] | None
    frequency: Annotated[int, Field(ge=0)]
    monetary: Decimal
    recency_score: Score
    frequency_score: Score
    monetary_score: Score

    @property
    def customer_value(self) -> float:
        """``(R + F + M - 3) / 12``: the three scores as a value in ``[0, 1]``.

        Other scorers read it as the customer's value (complaint priority, churn cause).
        """
        return (self.recency_score + self.frequency_score + self.monetary_score - 3) / 12

    rfm_code: str
    segment: str
    segment_zh: str
    segment_en: str
    currency: str | None

    @property
    def label_zh(self) -> str:
        """Chinese segment name (``segment_zh``), named like the other scorers' labels."""
        return self.segment_zh

    @property
    def label_en(self) -> str:
        """English segment name (``segment_en``), named like the other scorers' labels."""
        return self.segment_en


class RFMScores(BatchScores):
    """`RFMScorer.score_batch` output; offers ``customer_value`` to other scorers."""

    @property
    def customer_value(self) -> NDArray[np.float64]:
        """``(R + F + M - 3) / 12`` per row, in ``[0, 1]``."""
        return self.columns["customer_value"]


@dataclass(frozen=True)
class _RFMColumns:
    last_time: NDArray[np.float64]  # NaN when no purchase
    recency_days: NDArray[np.float64]  # NaN when no purchase
    frequency: NDArray[np.int64]
    monetary: NDArray[np.int64]  # cents
    r: NDArray[np.int64]
    f: NDArray[np.int64]
    m: NDArray[np.int64]
    segment: NDArray[np.int64]  # index into the segment labels


def _values(
    batch: CustomerBatch, as_of_s: float, window_days: int | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Last purchase time and recency in days (NaN: no purchase), frequency, spend.

    Spend is in whole minor units of the batch currency (`cents`).
    """
    n = batch.n_customers
    last = batch.last_order_time(as_of_s)
    recency = (as_of_s - last) / SECONDS_PER_DAY
    sel = (batch.order_time <= as_of_s) & (batch.order_time > as_of_s - window_seconds(window_days))
    idx = batch.order_customer[sel]
    freq = np.bincount(idx, minlength=n).astype(np.int64)
    amounts = cents(batch.order_total[sel], minor_digits(batch.currency))
    spend = np.bincount(idx, weights=amounts, minlength=n).astype(np.int64)
    return last, recency, freq, spend


def _bins(edges: Edges, values: NDArray[Any]) -> NDArray[np.int64]:
    """How many edges lie strictly below each value: 0..4 (bins are upper-inclusive)."""
    return np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="left").astype(
        np.int64
    )


def _edges_text(values: Edges, unit: str = "") -> str:
    return " / ".join(f"{v:,.2f}".rstrip("0").rstrip(".") for v in values) + unit


class RFMScorer(PopulationScorer[RFMConfig, RFMResult, RFMState]):
    """RFM scores 1..5 from population quantiles (or fixed edges) and a named segment.

    ``fit`` learns each edge set the config leaves open as the 20/40/60/80%
    quantiles (linear interpolation) of the customers who bought at least once
    (monetary edges rounded to the cent).
    A value equal to an edge falls in the bin below it (bins are
    upper-inclusive), so ties always land in the same bin and many equal values
    (one-time buyers) get the low frequency score. Customers with no completed
    order score R=1, F=1, M=1 and get the segment ``"no_purchase"``.

    One columnar path (`score_batch`) computes every value, score, segment and
    reason; `score` is a one-row view of it.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> rfm = RFMScorer().fit(shop.histories, as_of=shop.as_of)
        >>> r = rfm.score(shop.histories[0], as_of=shop.as_of)
        >>> r.rfm_code, r.segment
        ('555', 'champions')

        The batch path (`score_batch`), with reasons as columns:

        >>> from custcare.batch import from_histories
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> batch = from_histories(shop.histories)
        >>> rfm = RFMScorer().fit(batch, as_of=shop.as_of)
        >>> scores = rfm.score_batch(batch, as_of=shop.as_of)
        >>> scores.row("C0001")["segment"], scores.row("C0001")["label_zh"]
        ('champions', '冠军客户')
        >>> scores.reasons.codes_of(0)[:2]
        ('loyalty.rfm.segment', 'loyalty.rfm.recency')
        >>> scores.result(0) == rfm.score(shop.histories[0], as_of=shop.as_of)
        True
    """

    name: ClassVar[str] = "loyalty.rfm"
    description: ClassVar[str] = (
        "RFM scores 1..5 from population quantiles and a named segment (Champions ... Lost)."
    )
    config_model = RFMConfig
    state_model = RFMState
    traits: ClassVar[ScorerTraits] = ScorerTraits(population=True, batch=True)

    def _fit_batch(self, batch: CustomerBatch, *, as_of: datetime) -> RFMState:
        cfg = self.config
        _, recency, freq, spend = _values(batch, to_epoch_seconds(as_of), cfg.window_days)
        digits = minor_digits(batch.currency)
        scale = 10.0**digits
        buyers = ~np.isnan(recency)
        n_buyers = int(buyers.sum())

        def learn(
            fixed: Sequence[float | Decimal] | None,
            values: NDArray[Any],
            what: str,
            decimals: int | None = None,
        ) -> Edges:
            if fixed is not None:
                a, b, c, d = (float(x) for x in fixed)
                return (a, b, c, d)
            if n_buyers == 0:
                raise DataError(
                    f"{self.name}: cannot learn the {what} edges: none of the "
                    f"{batch.n_customers} customers has a completed order up to "
                    f"{as_of.isoformat()}; fit on a population with purchases or fix the edges"
                )
            q = np.quantile(values[buyers].astype(np.float64), QUANTILES)
            if decimals is not None:
                q = np.round(q, decimals)
            a, b, c, d = (float(x) for x in q)
            return (a, b, c, d)

        return RFMState(
            recency_edges=learn(cfg.recency_edges, recency, "recency"),
            frequency_edges=learn(cfg.frequency_edges, freq, "frequency"),
            monetary_edges=learn(cfg.monetary_edges, spend / scale, "monetary", decimals=digits),
            n_customers=batch.n_customers,
            n_buyers=n_buyers,
            fitted_as_of=as_of,
            currency=batch.currency,
        )

    # --- the one columnar path; the per-customer path is a one-row view of it ----------

    def _kernel(
        self, batch: CustomerBatch, as_of_s: float, table: NDArray[np.int64], no_purchase: int
    ) -> _RFMColumns:
        state = self.state
        last, recency, freq, spend = _values(batch, as_of_s, self.config.window_days)
        none = np.isnan(recency)
        r = 5 - _bins(state.recency_edges, np.where(none, np.inf, recency))
        f = 1 + _bins(state.frequency_edges, freq)
        m = 1 + _bins(state.monetary_edges, spend / 10.0 ** minor_digits(batch.currency))
        segment = np.where(none, no_purchase, table[r - 1, f - 1, m - 1])
        return _RFMColumns(last, recency, freq, spend, r, f, m, segment)

    def _scores(self, batch: CustomerBatch, as_of: datetime) -> RFMScores:
        """Columns, reasons and per-row results of a batch already cut at ``as_of``."""
        cfg = self.config
        n = batch.n_customers
        as_of_s = to_epoch_seconds(as_of)
        labels, table = cfg.segment_table()
        cols = self._kernel(batch, as_of_s, table, len(labels) - 1)
        buyer = ~np.isnan(cols.recency_days)
        cust, t = batch.order_customer, batch.order_time
        counted = (t <= as_of_s) & (t > as_of_s - window_seconds(cfg.window_days))
        last = (t <= as_of_s) & (t == cols.last_time[cust])
        last_ids = ids_by_customer(batch, last, t)
        counted_ids = ids_by_customer(batch, counted, t)
        reasons = ReasonColumns.build(
            n,
            [
                # A customer without purchases has no last order: nothing to cite.
                ReasonSlot(
                    np.where(buyer, "loyalty.rfm.segment", "loyalty.rfm.no_purchases"),
                    True,
                    last_ids,
                ),
                ReasonSlot("loyalty.rfm.recency", buyer, last_ids),
                ReasonSlot("loyalty.rfm.frequency", buyer, counted_ids),
                ReasonSlot("loyalty.rfm.monetary", buyer, counted_ids),
            ],
        )
        # The result's currency: the orders', None for a customer without any order.
        has_orders = (np.bincount(cust, minlength=n) > 0) | (
            np.bincount(batch.uncounted_customer, minlength=n) > 0
        )
        seg = cols.segment
        return RFMScores.build(
            self.name,
            batch.customer_ids,
            {
                "recency_days": cols.recency_days,
                "frequency": cols.frequency,
                "monetary": cols.monetary / 10.0 ** minor_digits(batch.currency),
                "recency_score": cols.r,
                "frequency_score": cols.f,
                "monetary_score": cols.m,
                "segment": np.array([lab.code for lab in labels])[seg],
                "label_zh": np.array([lab.label_zh for lab in labels])[seg],
                "label_en": np.array([lab.label_en for lab in labels])[seg],
                "customer_value": (cols.r + cols.f + cols.m - 3) / 12,
            },
            reasons=reasons,
            as_of=as_of,
            explain=lambda i: self._result(batch, cols, labels, has_orders, reasons, i, as_of),
        )

    def _result(
        self,
        batch: CustomerBatch,
        cols: _RFMColumns,
        labels: tuple[LevelLabel, ...],
        has_orders: NDArray[np.bool_],
        reasons: ReasonColumns,
        i: int,
        as_of: datetime,
    ) -> RFMResult:
        """Row ``i``'s result: its values from the columns, its reasons as sentences."""
        cfg, state = self.config, self.state
        r, f, m = int(cols.r[i]), int(cols.f[i]), int(cols.m[i])
        seg = labels[int(cols.segment[i])]
        currency = batch.currency if has_orders[i] else None
        recency = float(cols.recency_days[i])
        frequency = int(cols.frequency[i])
        monetary = decimal_from_cents(cols.monetary[i], minor_digits(batch.currency))
        within = "" if cfg.window_days is None else f" in the last {cfg.window_days} days"
        out: list[Reason] = []
        for j, code in enumerate(reasons.codes_of(i)):
            evidence = reasons.evidence_of(i, j)
            if code == "loyalty.rfm.no_purchases":
                message = (
                    f"{seg.label_en} ({seg.label_zh}): no completed order up to "
                    f"{as_of.date().isoformat()}, so R=1, F=1, M=1."
                )
                out.append(Reason(code=code, message=message))
            elif code == "loyalty.rfm.segment":
                message = (
                    f"{seg.label_en} ({seg.label_zh}): R={r}, F={f}, M={m} "
                    f"(FM={(f + m + 1) // 2}) falls in the rule {cfg.rule_for(r, f, m).describe()}."
                )
                out.append(Reason(code=code, message=message, evidence=evidence))
            elif code == "loyalty.rfm.recency":
                message = (
                    f"Last completed order {recency:.1f} days before as_of: recency score "
                    f"{r} (edges {_edges_text(state.recency_edges, ' days')})."
                )
                out.append(Reason(code=code, message=message, weight=1 / 3, evidence=evidence))
            elif code == "loyalty.rfm.frequency":
                message = (
                    f"{frequency} completed order(s){within}: frequency "
                    f"score {f} (edges {_edges_text(state.frequency_edges)})."
                )
                out.append(Reason(code=code, message=message, weight=1 / 3, evidence=evidence))
            else:
                money = format_money(monetary, currency or state.currency or "").strip()
                message = (
                    f"Spent {money}{within}: monetary "
                    f"score {m} (edges {_edges_text(state.monetary_edges)})."
                )
                out.append(Reason(code=code, message=message, weight=1 / 3, evidence=evidence))
        return RFMResult(
            scorer=self.name,
            customer_id=str(batch.customer_ids[i]),
            as_of=as_of,
            reasons=tuple(out),
            recency_days=None if np.isnan(recency) else recency,
            frequency=frequency,
            monetary=monetary,
            recency_score=r,
            frequency_score=f,
            monetary_score=m,
            rfm_code=f"{r}{f}{m}",
            segment=seg.code,
            segment_zh=seg.label_zh,
            segment_en=seg.label_en,
            currency=currency,
        )
