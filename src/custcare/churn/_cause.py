"""The ``churn.cause`` scorer: why is this customer leaving, with evidence and remedy.

Attribution is a naive-Bayes update. Start from a prior over the causes (by
default the survey figures of the domain brief), then multiply each cause's
weight by the likelihood ratio of every piece of evidence found for it in the
customer's records and the shop context (each kind counted at most
``max_per_kind`` times), and normalise. Evidence for a cause only ever multiplies
that cause by a ratio >= 1, so adding evidence never lowers its probability.

``confidence`` is ``1 - exp(-S)``, where ``S`` is the summed log likelihood ratio of
the evidence behind the top cause: 0 with no evidence (the prior comes back with
``low_confidence`` set), about 0.67 with one ratio-3 item, 0.89 with two.

One columnar path (`ChurnCauseScorer.score_batch`) runs every evidence rule over the
columns of a `custcare.batch.CustomerBatch` and its `custcare.batch.CareRecords`;
the per-customer `score` is a one-row view of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated, Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator

from custcare.batch import SECONDS_PER_DAY, CustomerBatch, from_histories, to_epoch_seconds
from custcare.batch._records import NATURAL_MARKERS as _MARKERS
from custcare.batch._records import CareRecords
from custcare.churn._causes import REMEDIES, ChurnCause, default_prior
from custcare.churn._gap import gap_bands, gap_kernel
from custcare.churn._protocols import RiskBandResult, RiskBandScores
from custcare.loyalty import VALUE_SOURCES, customer_value, customer_value_columns
from custcare.models import CustomerHistory, ShopContext
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
    check_upstream_rows,
)
from custcare.text import CATEGORY_CODES, NONE, LexiconClassifier, TextAnalysis, TextClassifier

__all__ = [
    "EVIDENCE_KINDS",
    "ChurnCauseConfig",
    "ChurnCauseResult",
    "ChurnCauseScorer",
    "ChurnCauseScores",
    "EvidenceKind",
    "Remedy",
]


@dataclass(frozen=True)
class EvidenceKind:
    """One kind of evidence: the cause it supports and its default likelihood ratio."""

    code: str
    cause: ChurnCause
    ratio: float
    description: str = field(compare=False)


_C = ChurnCause
EVIDENCE_KINDS: tuple[EvidenceKind, ...] = (
    EvidenceKind(
        "review.low_description", _C.PRODUCT_QUALITY, 2.5, "a review rates description match 1 or 2"
    ),
    EvidenceKind(
        "review.low_service", _C.SERVICE_ATTITUDE, 2.5, "a review rates service attitude 1 or 2"
    ),
    EvidenceKind("review.low_logistics", _C.BROKEN_PROMISE, 2.0, "a review rates logistics 1 or 2"),
    EvidenceKind(
        "review.low_rating",
        _C.PRODUCT_QUALITY,
        1.5,
        "a review rated 1 or 2 overall with no low detailed rating",
    ),
    EvidenceKind(
        "order.returned_or_refunded", _C.PRODUCT_QUALITY, 2.0, "an order was returned or refunded"
    ),
    EvidenceKind(
        "complaint.product_quality", _C.PRODUCT_QUALITY, 3.0, "a complaint about product quality"
    ),
    EvidenceKind(
        "complaint.exaggerated_advertising",
        _C.PRODUCT_QUALITY,
        2.0,
        "a complaint that the product is not as advertised",
    ),
    EvidenceKind(
        "complaint.staff_attitude", _C.SERVICE_ATTITUDE, 3.0, "a complaint about staff attitude"
    ),
    EvidenceKind(
        "complaint.poor_after_sales",
        _C.SERVICE_ATTITUDE,
        2.5,
        "a complaint about after-sales service",
    ),
    EvidenceKind("complaint.warranty_dispute", _C.SERVICE_ATTITUDE, 2.0, "a warranty dispute"),
    EvidenceKind(
        "complaint.not_fixed_first_time",
        _C.SERVICE_ATTITUDE,
        2.0,
        "a complaint that the problem was not fixed the first time",
    ),
    EvidenceKind(
        "complaint.long_wait", _C.SERVICE_ATTITUDE, 1.5, "a complaint about waiting too long"
    ),
    EvidenceKind(
        "complaint.promise_not_kept",
        _C.BROKEN_PROMISE,
        3.0,
        "a complaint that a promise was not kept",
    ),
    EvidenceKind("complaint.overcharging", _C.PRICE, 3.0, "a complaint about the price"),
    EvidenceKind(
        "complaint.slow_response",
        _C.SERVICE_ATTITUDE,
        2.0,
        "a complaint waited longer than the response limit for a first answer",
    ),
    EvidenceKind(
        "complaint.unresolved",
        _C.SERVICE_ATTITUDE,
        2.0,
        "a complaint stayed unresolved longer than the resolution limit",
    ),
    EvidenceKind("complaint.reopened", _C.SERVICE_ATTITUDE, 1.5, "a complaint was reopened"),
    EvidenceKind(
        "order.late_delivery",
        _C.BROKEN_PROMISE,
        2.0,
        "an order was delivered after the promised time",
    ),
    EvidenceKind(
        "text.late_delivery", _C.BROKEN_PROMISE, 1.5, "the customer wrote about late delivery"
    ),
    EvidenceKind("order.discount_share", _C.PRICE, 2.5, "most purchases were bought on discount"),
    EvidenceKind("text.price", _C.PRICE, 2.0, "the customer wrote about price"),
    EvidenceKind(
        "text.competitor",
        _C.COMPETITOR,
        3.0,
        "the customer mentioned another shop or going elsewhere",
    ),
    EvidenceKind(
        "text.cheaper_offer", _C.COMPETITOR, 3.0, "the customer mentioned a cheaper offer elsewhere"
    ),
    EvidenceKind(
        "context.staff_departure",
        _C.STAFF_DEPARTURE,
        10.0,
        "the customer's assigned staff member left shortly before they went quiet",
    ),
    EvidenceKind(
        "order.same_items",
        _C.STALE_RANGE,
        3.0,
        "the customer kept buying the same items, nothing new",
    ),
    EvidenceKind(
        "context.no_new_products",
        _C.STALE_RANGE,
        3.0,
        "no new product in the customer's categories in the look-back window",
    ),
    EvidenceKind(
        "context.no_outreach",
        _C.SMALL_CUSTOMER_NEGLECT,
        8.0,
        "the shop contacted other customers in the look-back window but not this small customer",
    ),
    EvidenceKind(
        "context.market_event",
        _C.MARKET_TURBULENCE,
        8.0,
        "a market event overlaps the customer's decline",
    ),
    EvidenceKind(
        "customer.moved_or_deceased",
        _C.NATURAL,
        200.0,
        "the customer record is marked moved or deceased",
    ),
    EvidenceKind("text.moved_away", _C.NATURAL, 10.0, "the customer wrote that they moved away"),
    EvidenceKind("text.deceased", _C.NATURAL, 10.0, "text says the customer passed away"),
)
_KINDS = {k.code: k for k in EVIDENCE_KINDS}

NATURAL_MARKERS = frozenset(_MARKERS)
"""Customer tags (or attributes set to True) read as moved away or deceased."""


class ChurnCauseConfig(ScorerConfig):
    """Parameters of `ChurnCauseScorer`.

    Ranges (a value outside is refused with a pydantic ``ValidationError`` naming
    the field; NaN and infinity are refused everywhere):

    * ``prior``: each probability > 0, every cause given, summing to 1;
    * ``ratios``: each likelihood ratio in ``1 .. MAX_RATIO`` (10^6);
    * ``look_back``, ``response_limit``, ``resolution_limit``,
      ``departure_window``: longer than 0 and at most ``MAX_WINDOW`` (36,500 days,
      a hundred years), so every date they give stays in the calendar;
    * ``population_gap_days``: above 0, at most 36,500.

    Examples:
        >>> ChurnCauseConfig(ratios={"context.staff_departure": 8.0}).ratios[
        ...     "context.staff_departure"]
        8.0
    """

    MAX_RATIO: ClassVar[float] = 1e6
    MAX_WINDOW: ClassVar[timedelta] = timedelta(days=36_500)

    prior: dict[str, Annotated[float, Field(gt=0.0, allow_inf_nan=False)]] = Field(
        default_factory=default_prior,
        description="Prior probability per cause code; must cover every cause and sum to 1.",
    )
    ratios: dict[str, Annotated[float, Field(ge=1.0, le=1e6, allow_inf_nan=False)]] = Field(
        default_factory=dict,
        description="Likelihood ratio per evidence code, overriding the defaults (1 .. 1e6).",
    )
    max_per_kind: Annotated[int, Field(ge=1, le=20)] = 3
    look_back: Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=36_500))] = Field(
        timedelta(days=180), description="Window for recent-ness tests (up to 100 years)."
    )
    response_limit: Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=36_500))] = Field(
        timedelta(hours=24), description="Slow first response."
    )
    resolution_limit: Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=36_500))] = (
        Field(timedelta(days=7), description="Unresolved too long.")
    )
    departure_window: Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=36_500))] = (
        Field(
            timedelta(days=90),
            description="A departure this close to the last purchase counts as 'shortly before'.",
        )
    )
    discount_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.6
    min_purchases_for_habits: Annotated[int, Field(ge=2)] = 3
    population_gap_days: Annotated[float, Field(gt=0.0, le=36_500.0, allow_inf_nan=False)] = 90.0
    small_customer_value: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.34,
        description="Customer value (0..1, from a loyalty result) at or below which a "
        "customer counts as small.",
    )
    low_confidence_below: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5

    @field_validator("prior")
    @classmethod
    def _prior(cls, value: dict[str, float]) -> dict[str, float]:
        codes = {c.value for c in ChurnCause}
        if set(value) != codes:
            raise ValueError(
                f"prior must give every cause: missing {sorted(codes - set(value))}, "
                f"unknown {sorted(set(value) - codes)}"
            )
        if not math.isclose(sum(value.values()), 1.0, abs_tol=1e-9):
            raise ValueError(f"prior must sum to 1, got {sum(value.values())}")
        return value

    @field_validator("ratios")
    @classmethod
    def _ratios(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(_KINDS))
        if unknown:
            raise ValueError(f"unknown evidence codes {unknown}; known: {sorted(_KINDS)}")
        return value

    def ratio(self, code: str) -> float:
        """The likelihood ratio used for an evidence code."""
        return self.ratios.get(code, _KINDS[code].ratio)


class Remedy(BaseModel):
    """What to do next, in Chinese and English."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zh: str
    en: str


class ChurnCauseResult(ScoreResult):
    """The likely reasons a customer is leaving.

    Attributes:
        causes: Probability per cause code, summing to 1.
        top_cause: The most probable cause.
        confidence: ``1 - exp(-S)``, S the log-evidence behind the top cause.
        low_confidence: True when confidence is below the configured threshold
            (always with no evidence: the prior is returned).
        risk_band: The churn risk band the attribution was conditioned on.
        risk_method: Which method gave the band (``gap``, or the upstream scorer's).
        remedy: What to do next for the top cause.
        evidence_counts: How many items of each evidence kind were found.

    The batch path gives `batch_columns`: the top cause with its labels, the
    confidence, the risk band and method, and one ``p_<cause>`` column per cause.
    """

    batch_columns: ClassVar[tuple[str, ...]] = (
        "top_cause",
        "label_zh",
        "label_en",
        "confidence",
        "low_confidence",
        "risk_band",
        "risk_method",
        *(f"p_{c.value}" for c in ChurnCause),
    )

    causes: dict[str, float]
    top_cause: ChurnCause
    confidence: float
    low_confidence: bool
    risk_band: str
    risk_method: str
    remedy: Remedy
    evidence_counts: dict[str, int]

    @property
    def label_zh(self) -> str:
        """Chinese label of the top cause, e.g. ``服务意识淡薄``."""
        return self.top_cause.label_zh

    @property
    def label_en(self) -> str:
        """English label of the top cause, e.g. ``Poor service attitude``."""
        return self.top_cause.label_en

    @property
    def p_product_quality(self) -> float:
        """Probability of ``product_quality``."""
        return self.causes["product_quality"]

    @property
    def p_service_attitude(self) -> float:
        """Probability of ``service_attitude``."""
        return self.causes["service_attitude"]

    @property
    def p_broken_promise(self) -> float:
        """Probability of ``broken_promise``."""
        return self.causes["broken_promise"]

    @property
    def p_price(self) -> float:
        """Probability of ``price``."""
        return self.causes["price"]

    @property
    def p_competitor(self) -> float:
        """Probability of ``competitor``."""
        return self.causes["competitor"]

    @property
    def p_staff_departure(self) -> float:
        """Probability of ``staff_departure``."""
        return self.causes["staff_departure"]

    @property
    def p_stale_range(self) -> float:
        """Probability of ``stale_range``."""
        return self.causes["stale_range"]

    @property
    def p_small_customer_neglect(self) -> float:
        """Probability of ``small_customer_neglect``."""
        return self.causes["small_customer_neglect"]

    @property
    def p_market_turbulence(self) -> float:
        """Probability of ``market_turbulence``."""
        return self.causes["market_turbulence"]

    @property
    def p_natural(self) -> float:
        """Probability of ``natural``."""
        return self.causes["natural"]

    @property
    def p_unknown(self) -> float:
        """Probability of ``unknown``."""
        return self.causes["unknown"]


if any(not hasattr(ChurnCauseResult, f"p_{c.value}") for c in ChurnCause):  # pragma: no cover
    raise ImportError("ChurnCauseResult needs one p_<cause> property per ChurnCause")


class ChurnCauseScores(BatchScores):
    """`ChurnCauseScorer.score_batch` output: one row per customer, reasons as columns.

    Columns are those of `ChurnCauseResult.batch_columns`; `result` builds a row's
    full `ChurnCauseResult`, equal to what `ChurnCauseScorer.score` returns.
    """


# --- upstream, as columns ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Inputs:
    """What the scorer reads from other scorers, one entry per customer."""

    value: NDArray[np.float64]  # customer value in [0, 1]
    value_source: NDArray[np.str_]  # the loyalty scorer it came from, "" if none
    band: NDArray[np.str_]  # churn risk band, "" if none (the gap rule is used)
    method: NDArray[np.str_]  # the method behind the band

    @classmethod
    def of_results(cls, upstream: Upstream) -> _Inputs:
        """One row, from per-customer results (read through result protocols)."""
        return cls.of_rows([upstream])

    @classmethod
    def of_rows(cls, upstream: Sequence[Upstream | None]) -> _Inputs:
        """One row per customer, from each customer's results."""
        rows = []
        for up in upstream:
            if not up:  # nothing to read
                rows.append((0.0, "", "", ""))
                continue
            value, source = customer_value(up)
            risk = up.get("churn.risk")
            if isinstance(risk, RiskBandResult):
                band, method = _code(risk.band), _code(risk.method)
            else:
                band, method = "", ""
            rows.append((value, source or "", band, method))
        value_, source_, band_, method_ = _columns(rows, 4)
        return cls(
            np.asarray(value_, dtype=np.float64),
            np.asarray(source_, dtype=np.str_).reshape(-1),
            np.asarray(band_, dtype=np.str_).reshape(-1),
            np.asarray(method_, dtype=np.str_).reshape(-1),
        )

    @classmethod
    def of_scores(cls, upstream: UpstreamScores, batch: CustomerBatch, scorer: str) -> _Inputs:
        """Columns from other scorers' batch scores (read through typed protocols)."""
        n = batch.n_customers
        check_upstream_rows(upstream, batch.customer_ids, scorer)
        value, value_source = customer_value_columns(upstream, n)
        band = np.full(n, "", dtype=object)
        method = np.full(n, "", dtype=object)
        risk = upstream.get("churn.risk")
        if isinstance(risk, RiskBandScores):
            band[:] = np.asarray(risk.band, dtype=np.str_)
            method[:] = np.asarray(risk.method, dtype=np.str_)
        elif risk is not None and risk.explain is not None:
            # Scores without band columns: read each row's result through its protocol.
            for i in range(n):
                result = risk.result(i)
                if isinstance(result, RiskBandResult):
                    band[i], method[i] = _code(result.band), _code(result.method)
        return cls(value, value_source, band.astype(np.str_), method.astype(np.str_))


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _code(value: object) -> str:
    """The code of an enum member (its value), or the text of anything else."""
    return str(value.value) if isinstance(value, Enum) else str(value)


# --- evidence over columns ----------------------------------------------------------------

_KIND_INDEX = {k.code: j for j, k in enumerate(EVIDENCE_KINDS)}
_KIND_REASONS = tuple(f"churn_cause.{k.code}" for k in EVIDENCE_KINDS)
_CAUSES = tuple(ChurnCause)
_KIND_CAUSE = np.array([_CAUSES.index(k.cause) for k in EVIDENCE_KINDS], dtype=np.int64)
_TEXT_SIGNALS = ("late_delivery", "price", "competitor", "cheaper_offer", "moved_away", "deceased")
_DETAILED_CODES = ("review.low_description", "review.low_service", "review.low_logistics")
_RETURNED = ("returned", "refunded")

# Evidence is "found" in a fixed sequence of rules (reviews, orders, complaints, text,
# the customer record, buying habits, the shop context), each going through its records
# in time order. A key orders the items of each kind (record order) and, through the
# first item of each kind, the kinds of a row: the ``churn_cause.top`` reason cites the
# records of its kinds in the order they were found.
_PHASE = np.int64(1) << np.int64(50)
_NEVER = np.iinfo(np.int64).max
_SUB = np.int64(1) << np.int64(40)
(_P_REVIEW, _P_ORDER, _P_COMPLAINT, _P_TEXT, _P_CUSTOMER, _P_HABIT, _P_CONTEXT) = (
    _PHASE * k for k in range(7)
)
_EMPTY_IDS: NDArray[np.str_] = np.empty(0, dtype=np.str_)


def _rank(times: NDArray[np.float64], ids: NDArray[np.str_]) -> NDArray[np.int64]:
    """Each record's rank in (time, id) order (the order of a history's records)."""
    order = np.lexsort((ids, times))
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return rank


def _classify(
    classifier: TextClassifier, texts: NDArray[np.object_]
) -> tuple[list[TextAnalysis], NDArray[np.int64]]:
    """The analysis of each distinct text (classified once), and each text's index into it."""
    if texts.size == 0:
        return [], np.empty(0, dtype=np.int64)
    unique, inverse = np.unique(texts, return_inverse=True)
    return classifier.classify_many([str(t) for t in unique]), inverse.reshape(-1)


class _Collect:
    """Evidence found over columns: kinds per row, and the records behind each item."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.first = np.full((n, len(EVIDENCE_KINDS)), _NEVER, dtype=np.int64)
        self._rows: list[NDArray[np.int64]] = []
        self._kinds: list[NDArray[np.int64]] = []
        self._keys: list[NDArray[np.int64]] = []
        self._ids: list[NDArray[np.str_]] = []

    def add(
        self,
        code: str,
        rows: NDArray[np.int64],
        key: NDArray[np.int64] | np.int64,
        ids: NDArray[np.str_] | None = None,
    ) -> None:
        """Kind ``code`` found for ``rows``, one entry per record (``ids``) or per row."""
        if rows.size == 0:
            return
        j = _KIND_INDEX[code]
        keys = np.asarray(key, dtype=np.int64)
        if keys.ndim == 0:
            keys = np.full(rows.shape, keys, dtype=np.int64)
        column = self.first[:, j]
        np.minimum.at(column, rows, keys)
        if ids is not None:
            self._rows.append(rows)
            self._kinds.append(np.full(rows.size, j, dtype=np.int64))
            self._keys.append(keys)
            self._ids.append(ids)

    def items(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.str_]]:
        """``(row, kind, id)`` of every cited record, by row, kind and record order."""
        if not self._rows:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, _EMPTY_IDS
        rows = np.concatenate(self._rows)
        kinds = np.concatenate(self._kinds)
        keys = np.concatenate(self._keys)
        ids = np.concatenate(self._ids).astype(np.str_)
        order = np.lexsort((keys, kinds, rows))
        return rows[order], kinds[order], ids[order]


def _reviews(rec: CareRecords, col: _Collect) -> NDArray[np.int64]:
    """Low detailed ratings (1 or 2), else a low overall rating; returns the review ranks."""
    rank = _rank(rec.review_posted, rec.review_ids)
    low = np.zeros(rank.size, dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        for d, code in enumerate(_DETAILED_CODES):
            hit = rec.review_detailed[:, d] <= 2
            col.add(
                code, rec.review_customer[hit], _P_REVIEW + rank[hit] * 4 + d, rec.review_ids[hit]
            )
            low |= hit
    hit = ~low & (rec.review_effective_rating <= 2)
    key = _P_REVIEW + rank[hit] * 4 + 3
    col.add("review.low_rating", rec.review_customer[hit], key, rec.review_ids[hit])
    return rank


def _orders(batch: CustomerBatch, rec: CareRecords, col: _Collect) -> None:
    """Returned or refunded orders (the batch's), late deliveries (the records'), in time order."""
    status = batch.uncounted_status
    ret = (status == _RETURNED[0]) | (status == _RETURNED[1])
    late = rec.order_delivered_late
    n_ret = int(ret.sum())
    rank = _rank(
        np.concatenate([batch.uncounted_time[ret], rec.order_placed[late]]),
        np.concatenate([batch.uncounted_ids[ret], rec.order_ids[late]]).astype(np.str_),
    )
    col.add(
        "order.returned_or_refunded",
        batch.uncounted_customer[ret],
        _P_ORDER + rank[:n_ret] * 2,
        batch.uncounted_ids[ret],
    )
    col.add(
        "order.late_delivery",
        rec.order_customer[late],
        _P_ORDER + rank[n_ret:] * 2 + 1,
        rec.order_ids[late],
    )


@dataclass(frozen=True, eq=False)
class _Facts:
    """Everything a row's result needs: the evidence, the arithmetic, the notes' inputs."""

    first: NDArray[np.int64]  # (n, K) discovery key of each kind found, _NEVER if not
    found: NDArray[np.bool_]  # (n, K) which kinds of evidence each row has
    item_row: NDArray[np.int64]  # the cited records: row, kind, id
    item_kind: NDArray[np.int64]
    item_id: NDArray[np.str_]
    counts: NDArray[np.int64]  # (n, K) items per kind, capped at max_per_kind
    logs: NDArray[np.float64]  # (n, K) count x log ratio
    causes: NDArray[np.float64]  # (n, C)
    top: NDArray[np.int64]
    confidence: NDArray[np.float64]
    band: NDArray[np.str_]
    method: NDArray[np.str_]
    records: CareRecords
    records_known: bool
    inputs: _Inputs
    purchases: NDArray[np.int64]
    discounted: NDArray[np.int64]
    event: NDArray[np.int64]  # index of the market event cited, -1 if none
    text_cut: NDArray[np.int64]  # (n,) characters read of a text cut at the limit, 0 if none


# --- the scorer ------------------------------------------------------------------------------


class ChurnCauseScorer(BaseScorer[ChurnCauseConfig, ChurnCauseResult]):
    """Likely churn cause from a fixed taxonomy, with evidence, confidence and remedy.

    One columnar path finds the evidence of every customer at once (`score_batch`,
    over a `custcare.batch.CustomerBatch` with its `custcare.batch.CareRecords`);
    `score` is a one-row view of it. Text is classified once per distinct text.

    Args:
        config: A `ChurnCauseConfig`, a mapping, or keyword parameters.
        context: Shop-level facts (staff departures, launches, outreach, market events).
        classifier: Text classifier for complaint and review text (default lexicons).

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> r = ChurnCauseScorer().score(shop.histories[3], as_of=shop.as_of)
        >>> round(sum(r.causes.values()), 9)
        1.0
    """

    name: ClassVar[str] = "churn.cause"
    description: ClassVar[str] = "Why a customer is leaving: cause, evidence, confidence, remedy."
    config_model = ChurnCauseConfig
    traits: ClassVar[ScorerTraits] = ScorerTraits(batch=True, uses=("churn.risk", *VALUE_SOURCES))

    def __init__(
        self,
        config: ChurnCauseConfig | Mapping[str, Any] | None = None,
        *,
        context: ShopContext | None = None,
        classifier: TextClassifier | None = None,
        **params: Any,
    ) -> None:
        super().__init__(config, **params)
        self.context = context or ShopContext()
        self.classifier: TextClassifier = classifier or LexiconClassifier()

    def with_config(self, **update: Any) -> ChurnCauseScorer:
        """A new scorer with some parameters changed, keeping context and classifier."""
        return type(self)(self.config, context=self.context, classifier=self.classifier, **update)

    # --- the one columnar path; the per-customer path is a one-row view of it ----------

    def score_batch(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores | None = None
    ) -> ChurnCauseScores:
        """Every customer's churn cause at once, from the batch's columns and records.

        Gives the same values as `score` for the `ChurnCauseResult.batch_columns`,
        reason codes and evidence as columns, and `BatchScores.result` builds any
        row's full `ChurnCauseResult`. ``upstream`` may hold ``churn.risk`` scores
        (read through `RiskBandScores`, or row by row through `RiskBandResult`) and
        loyalty scores (`custcare.scoring.CustomerValueScores`).

        A batch without records (built with `CustomerBatch.from_arrays`) has no
        reviews, complaints, deliveries, purchase lines or customer facts: only the
        order rules run, and each row says so with the reason ``churn_cause.no_records``.

        Raises:
            CustcareUsageError: if upstream scores are for other customers.

        Examples:
            >>> from custcare.batch import from_histories
            >>> from custcare.datasets import sample_shop
            >>> shop = sample_shop()
            >>> scorer = ChurnCauseScorer()
            >>> scores = scorer.score_batch(from_histories(shop.histories), as_of=shop.as_of)
            >>> scores.result(3) == scorer.score(shop.histories[3], as_of=shop.as_of)
            True
            >>> scores.reasons.codes_of(3)[-1]
            'churn_cause.risk'
        """
        scores = super().score_batch(batch, as_of=as_of, upstream=upstream)
        assert isinstance(scores, ChurnCauseScores)
        return scores

    def _scores_upstream(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores
    ) -> ChurnCauseScores:
        """The batch path on a batch cut at ``as_of``, reading other scorers' batch scores."""
        return self._scores_with(batch, as_of, _Inputs.of_scores(upstream, batch, self.name))

    def _scores_rows(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: Sequence[Upstream]
    ) -> ChurnCauseScores:
        """The batch path given each row's upstream results (the per-customer paths)."""
        return self._scores_with(batch, as_of, _Inputs.of_rows(upstream))

    def find_evidence(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream | None = None
    ) -> dict[str, tuple[str, ...]]:
        """Evidence codes found in a history already cut at ``as_of``, with record ids.

        Codes come in the order the rules found them; ids in record order.
        """
        facts = self._facts(from_histories([history]), as_of, _Inputs.of_results(upstream or {}))
        mine = facts.item_row == 0
        kinds = np.flatnonzero(facts.found[0])
        kinds = kinds[np.argsort(facts.first[0, kinds], kind="stable")]
        return {
            EVIDENCE_KINDS[j].code: tuple(
                str(i) for i in facts.item_id[mine & (facts.item_kind == j)]
            )
            for j in kinds
        }

    def _facts(self, batch: CustomerBatch, as_of: datetime, inputs: _Inputs) -> _Facts:
        """Find the evidence and do the arithmetic for every row of a batch cut at as_of.

        The rule families run in the order of the documentation: reviews, orders,
        complaints and their text, the customer record, buying habits, the shop
        context. Rules that need records do not run on a batch without them.
        """
        cfg = self.config
        n = batch.n_customers
        now = to_epoch_seconds(as_of)
        known = batch.records is not None
        rec = batch.records if batch.records is not None else CareRecords.empty(n)
        col = _Collect(n)
        review_rank = _reviews(rec, col)
        _orders(batch, rec, col)
        text_cut = self._complaints_and_text(rec, now, review_rank, col)
        col.add(
            "customer.moved_or_deceased",
            np.flatnonzero(rec.natural_markers.any(axis=1)),
            _P_CUSTOMER,
        )
        purchases, discounted = self._habits(batch, col)
        if known:
            self._same_items(rec, n, col)
        self._context(batch, rec, known, as_of, inputs, purchases, col)
        event = self._market(batch, as_of, col)

        # Attribution: a naive-Bayes update per row, kinds added in a fixed order so
        # that one row and many give the same floats.
        found = col.first != _NEVER
        item_row, item_kind, item_id = col.items()
        k = len(EVIDENCE_KINDS)
        cited = np.bincount(item_row * k + item_kind, minlength=n * k).reshape(n, k)
        counts = np.where(found, np.minimum(np.maximum(cited, 1), cfg.max_per_kind), 0)
        logs = counts * np.array([math.log(cfg.ratio(kind.code)) for kind in EVIDENCE_KINDS])
        # Rows without evidence all get the prior: it is worked out once, by the same
        # arithmetic, and only rows with evidence are updated.
        has = found.any(axis=1)
        causes = np.empty((n, len(_CAUSES)))
        top = np.empty(n, dtype=np.int64)
        confidence = np.empty(n)
        c0, t0, f0 = self._attribute(np.zeros((1, k)))
        causes[~has], top[~has], confidence[~has] = c0, t0, f0
        causes[has], top[has], confidence[has] = self._attribute(logs[has])

        band, method = inputs.band, inputs.method
        gap = band == ""
        if gap.any():  # no band from churn.risk: the gap rule
            bands = gap_bands(gap_kernel(batch, now, cfg.population_gap_days))
            band = np.where(gap, bands, band).astype(np.str_)
            method = np.where(gap, "gap", method).astype(np.str_)
        return _Facts(
            first=col.first,
            found=found,
            item_row=item_row,
            item_kind=item_kind,
            item_id=item_id,
            counts=counts.astype(np.int64),
            logs=logs,
            causes=causes,
            top=top,
            confidence=confidence,
            band=band,
            method=method,
            records=rec,
            records_known=known,
            inputs=inputs,
            purchases=purchases,
            discounted=discounted,
            event=event,
            text_cut=text_cut,
        )

    def _attribute(
        self, logs: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
        """Posterior over causes, top cause and confidence from each row's log ratios.

        Kinds are added in a fixed order, so one row and many give the same floats.
        """
        m = logs.shape[0]
        log_w = np.tile(np.array([math.log(self.config.prior[c.value]) for c in _CAUSES]), (m, 1))
        support = np.zeros((m, len(_CAUSES)))
        for j, c in enumerate(_KIND_CAUSE):
            log_w[:, c] += logs[:, j]
            support[:, c] += logs[:, j]
        weights = np.exp(log_w - log_w.max(axis=1, keepdims=True))
        total = weights[:, 0].copy()
        for c in range(1, len(_CAUSES)):
            total += weights[:, c]
        causes = weights / total[:, None]
        top = np.argmax(causes, axis=1).astype(np.int64)  # ties: the earlier cause
        confidence = 1.0 - np.exp(-support[np.arange(m), top])
        return causes, top, confidence

    def _complaints_and_text(
        self, rec: CareRecords, now: float, review_rank: NDArray[np.int64], col: _Collect
    ) -> NDArray[np.int64]:
        """Complaint category (recorded, else the text's), slow, unresolved, reopened; signals.

        Review and complaint text is classified once per distinct text. Returns, per
        row, how many characters were read of a text longer than the classifier
        reads (``TextAnalysis.truncated_at``; 0 when every text was read whole).
        """
        cfg = self.config
        r_text = rec.review_text != ""
        q_text = rec.complaint_text != ""
        analyses, which = _classify(
            self.classifier, np.concatenate([rec.review_text[r_text], rec.complaint_text[q_text]])
        )
        n_rt = int(r_text.sum())
        qr = _rank(rec.complaint_opened, rec.complaint_ids)
        top_of_text = np.array(
            [
                CATEGORY_CODES.index(a.top_category) if a.top_category != NONE else -1
                for a in analyses
            ],
            dtype=np.int64,
        )
        inferred = np.full(qr.size, -1, dtype=np.int64)
        if analyses:
            inferred[q_text] = top_of_text[which[n_rt:]]
        category = np.where(rec.complaint_category >= 0, rec.complaint_category, inferred)
        q_key = _P_COMPLAINT + qr * 4
        for c, code in enumerate(CATEGORY_CODES[:-1]):
            kind = f"complaint.{code}"
            hit = category == c
            if kind in _KIND_INDEX:
                col.add(kind, rec.complaint_customer[hit], q_key[hit], rec.complaint_ids[hit])
        opened, first = rec.complaint_opened, rec.complaint_first_response
        limit = cfg.response_limit.total_seconds()
        slow = np.where(np.isnan(first), now - opened > limit, first - opened > limit)
        unresolved = rec.complaint_open & (now - opened > cfg.resolution_limit.total_seconds())
        for sub, rule, hit in (
            (1, "complaint.slow_response", slow),
            (2, "complaint.unresolved", unresolved),
            (3, "complaint.reopened", rec.complaint_reopened > 0),
        ):
            col.add(rule, rec.complaint_customer[hit], q_key[hit] + sub, rec.complaint_ids[hit])
        # Signals, per record in (reviews, then complaints) order.
        rows = np.concatenate([rec.review_customer[r_text], rec.complaint_customer[q_text]])
        ids = np.concatenate([rec.review_ids[r_text], rec.complaint_ids[q_text]]).astype(np.str_)
        position = np.concatenate([review_rank[r_text], review_rank.size + qr[q_text]])
        for s, signal in enumerate(_TEXT_SIGNALS):
            if not analyses:
                break
            has = np.array([bool(a.signals.get(signal)) for a in analyses], dtype=np.bool_)
            hit = has[which]
            col.add(f"text.{signal}", rows[hit], _P_TEXT + position[hit] * 8 + s, ids[hit])
        cut = np.zeros(rec.n_customers, dtype=np.int64)
        if analyses:
            read = np.array([a.truncated_at or 0 for a in analyses], dtype=np.int64)
            np.maximum.at(cut, rows, read[which])
        return cut

    def _habits(
        self, batch: CustomerBatch, col: _Collect
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``order.discount_share`` over the purchases; returns purchases and discounted counts."""
        cfg = self.config
        n = batch.n_customers
        purchases = np.bincount(batch.order_customer, minlength=n).astype(np.int64)
        disc = batch.order_discounted
        discounted = np.bincount(batch.order_customer[disc], minlength=n).astype(np.int64)
        habits = purchases >= cfg.min_purchases_for_habits
        with np.errstate(invalid="ignore", divide="ignore"):
            share = habits & (discounted / purchases >= cfg.discount_share)
        if batch.order_ids is None:
            col.add("order.discount_share", np.flatnonzero(share), _P_HABIT)
        else:
            sel = disc & share[batch.order_customer]
            rank = _rank(batch.order_time, batch.order_ids)
            col.add(
                "order.discount_share",
                batch.order_customer[sel],
                _P_HABIT + rank[sel],
                batch.order_ids[sel],
            )
        return purchases, discounted

    def _same_items(self, rec: CareRecords, n: int, col: _Collect) -> None:
        """``order.same_items``: every later purchase holds only SKUs of the first one."""
        cfg = self.config
        if rec.line_order.size == 0:
            return
        po = np.flatnonzero(rec.order_counted)
        rank = _rank(rec.order_placed[po], rec.order_ids[po])
        cust = rec.order_customer[po]
        first_rank = np.full(n, _NEVER, dtype=np.int64)
        np.minimum.at(first_rank, cust, rank)
        first_order = np.full(n, -1, dtype=np.int64)
        is_first = rank == first_rank[cust]
        first_order[cust[is_first]] = po[is_first]
        line_cust = rec.order_customer[rec.line_order]
        _, sku = np.unique(rec.line_sku, return_inverse=True)
        pair = line_cust * np.int64(max(int(sku.max(initial=0)) + 1, 1)) + sku.reshape(-1)
        in_first = rec.line_order == first_order[line_cust]
        covered = np.isin(pair, pair[in_first])
        strays = np.bincount(line_cust[~covered], minlength=n)
        bought = np.bincount(cust, minlength=n)
        same = (bought >= cfg.min_purchases_for_habits) & (strays == 0)
        sel = same[cust]
        col.add("order.same_items", cust[sel], _P_HABIT + _SUB + rank[sel], rec.order_ids[po][sel])

    def _context(
        self,
        batch: CustomerBatch,
        rec: CareRecords,
        known: bool,
        as_of: datetime,
        inputs: _Inputs,
        purchases: NDArray[np.int64],
        col: _Collect,
    ) -> None:
        cfg, ctx = self.config, self.context
        n = batch.n_customers
        now = to_epoch_seconds(as_of)
        bought = purchases > 0
        if known and ctx.staff_departures:
            agents, which = np.unique(rec.assigned_agent, return_inverse=True)
            left_at = [ctx.departure_of(str(a)) if a else None for a in agents]
            left = np.array([np.nan if t is None else to_epoch_seconds(t) for t in left_at])[
                which.reshape(-1)
            ]
            last_row = _last_purchase(batch)
            last = np.full(n, np.nan)
            last[bought] = batch.order_time[last_row[bought]]
            with np.errstate(invalid="ignore"):
                hit = (
                    bought
                    & (left <= now)
                    & (np.abs(left - last) <= cfg.departure_window.total_seconds())
                )
            rows = np.flatnonzero(hit)
            ids = None if batch.order_ids is None else batch.order_ids[last_row[rows]]
            col.add("context.staff_departure", rows, _P_CONTEXT, ids)
        since = as_of - cfg.look_back
        if ctx.product_launches:
            recent = [p for p in ctx.product_launches if since <= p.launched_at <= as_of]
            launched = [p.category for p in recent if p.category]
            counted = rec.order_counted[rec.line_order]
            line_cust = rec.order_customer[rec.line_order][counted]
            category = rec.line_category[counted]
            has_cats = np.bincount(line_cust[category != ""], minlength=n) > 0
            matched = np.bincount(line_cust[np.isin(category, launched)], minlength=n) > 0
            fresh = bool(recent) & (~has_cats | matched)
            col.add("context.no_new_products", np.flatnonzero(bought & ~fresh), _P_CONTEXT + 1)
        if ctx.has_outreach_log:
            touched = sorted({c.customer_id for c in ctx.outreach if since <= c.at <= as_of})
            contacted = np.isin(batch.customer_ids, touched)
            others = len(touched) - contacted.astype(np.int64) > 0
            small = (inputs.value_source != "") & (inputs.value <= cfg.small_customer_value)
            col.add(
                "context.no_outreach", np.flatnonzero(small & others & ~contacted), _P_CONTEXT + 2
            )

    def _market(self, batch: CustomerBatch, as_of: datetime, col: _Collect) -> NDArray[np.int64]:
        """``context.market_event``: the first event that overlaps the customer's decline."""
        n = batch.n_customers
        event = np.full(n, -1, dtype=np.int64)
        if not self.context.market_events:
            return event
        last = batch.last_order_time()
        with np.errstate(invalid="ignore"):
            for e, ev in enumerate(self.context.market_events):
                if ev.start <= as_of:
                    hit = (event < 0) & (to_epoch_seconds(ev.end) >= last - _MONTH)
                    event[hit] = e
        col.add("context.market_event", np.flatnonzero(event >= 0), _P_CONTEXT + 3)
        return event

    def _scores_with(
        self, batch: CustomerBatch, as_of: datetime, inputs: _Inputs
    ) -> ChurnCauseScores:
        """Columns, reasons and per-row results of a batch already cut at ``as_of``."""
        cfg = self.config
        n = batch.n_customers
        f = self._facts(batch, as_of, inputs)
        k = len(EVIDENCE_KINDS)
        any_found: NDArray[np.bool_] = np.any(f.found, axis=1)

        # The kinds of each row, largest log-evidence first, then by code.
        alpha = np.argsort(np.argsort([kind.code for kind in EVIDENCE_KINDS]))
        r_idx, k_idx = np.nonzero(f.found)
        order = np.lexsort((alpha[k_idx], -f.logs[r_idx, k_idx], r_idx))
        r_idx, k_idx = r_idx[order], k_idx[order]
        n_kinds = f.found.sum(axis=1)
        starts = np.cumsum(n_kinds) - n_kinds
        position = np.arange(r_idx.size) - starts[r_idx]
        slot_of = np.full((n, k), -1, dtype=np.int64)
        slot_of[r_idx, k_idx] = position

        # The top reason cites the records of the top cause's kinds, in the order found.
        on_top = _KIND_CAUSE[f.item_kind] == f.top[f.item_row]
        by_found = np.lexsort(
            (
                np.arange(f.item_row.size)[on_top],
                f.first[f.item_row, f.item_kind][on_top],
                f.item_row[on_top],
            )
        )
        # Every slot cites positions in one pool of the distinct ids: one record found
        # by several rules (a review with a low rating and a price complaint) is one
        # position, so it is listed once.
        pool, at = np.unique(f.item_id, return_inverse=True)
        pool.flags.writeable = False
        at = at.reshape(-1)
        top_ev = Ragged.cite(f.item_row[on_top][by_found], at[on_top][by_found], pool, n)
        slots = [
            ReasonSlot(
                ("churn_cause.no_evidence", "churn_cause.top"),
                True,
                top_ev,
                index=np.asarray(any_found, dtype=np.int64),
            )
        ]
        item_slot = slot_of[f.item_row, f.item_kind]
        for j in range(int(n_kinds.max(initial=0))):
            kind = np.zeros(n, dtype=np.int64)  # the row's j-th kind of evidence
            here = position == j
            kind[r_idx[here]] = k_idx[here]
            mine = item_slot == j
            evidence = Ragged.cite(f.item_row[mine], at[mine], pool, n)
            slots.append(ReasonSlot(_KIND_REASONS, n_kinds > j, evidence, index=kind))
        slots.append(ReasonSlot("churn_cause.no_records", not f.records_known))
        slots.append(ReasonSlot("churn_cause.risk", True))
        reasons = ReasonColumns.build(n, slots)

        causes = np.round(f.causes, 12)
        confidence = np.round(f.confidence, 12)
        labels = np.array([(c.value, c.label_zh, c.label_en) for c in _CAUSES], dtype=np.str_)
        columns: dict[str, NDArray[Any]] = {
            "top_cause": labels[f.top, 0],
            "label_zh": labels[f.top, 1],
            "label_en": labels[f.top, 2],
            "confidence": confidence,
            "low_confidence": f.confidence < cfg.low_confidence_below,
            "risk_band": f.band,
            "risk_method": f.method,
        }
        columns.update((f"p_{c.value}", causes[:, i]) for i, c in enumerate(_CAUSES))
        return ChurnCauseScores.build(
            self.name,
            batch.customer_ids,
            columns,
            reasons=reasons,
            as_of=as_of,
            explain=lambda i: self._result(batch, f, reasons, i, as_of),
        )

    def _result(
        self, batch: CustomerBatch, f: _Facts, reasons: ReasonColumns, i: int, as_of: datetime
    ) -> ChurnCauseResult:
        """Row ``i``'s result: its values from the columns, its reasons as sentences."""
        cfg = self.config
        top = _CAUSES[int(f.top[i])]
        p_top = float(f.causes[i, f.top[i]])
        confidence = float(f.confidence[i])
        found = [int(k) for k in np.flatnonzero(f.found[i])]
        total = 0.0
        for k in found:
            total += float(f.logs[i, k])
        total = total or 1.0
        out: list[Reason] = []
        for j, code in enumerate(reasons.codes_of(i)):
            evidence = reasons.evidence_of(i, j)
            if code == "churn_cause.top":
                out.append(
                    Reason(
                        code=code,
                        message=f"Most likely cause: {top.label_en} ({top.label_zh}), "
                        f"p={p_top:.2f}, confidence {confidence:.2f}.",
                        weight=round(min(p_top, 1.0), 12),
                        evidence=evidence,
                    )
                )
            elif code == "churn_cause.no_evidence":
                out.append(
                    Reason(
                        code=code,
                        message="No evidence in the records: the prior is returned with low "
                        f"confidence (most common cause overall: {top.label_en}).",
                        weight=1.0,
                    )
                )
            elif code == "churn_cause.no_records":
                out.append(
                    Reason(
                        code=code,
                        message="The batch carries no reviews, complaints, deliveries, "
                        "purchase lines or customer facts (built from arrays without "
                        "records): only the orders and the shop context were read.",
                        weight=0.0,
                    )
                )
            elif code == "churn_cause.risk":
                out.append(_risk_reason(str(f.band[i]), str(f.method[i])))
            else:
                kind = _KINDS[code.removeprefix("churn_cause.")]
                k = _KIND_INDEX[kind.code]
                note = self._note(batch, f, i, kind.code, as_of)
                detail = f" ({note})" if note else ""
                out.append(
                    Reason(
                        code=code,
                        message=f"{kind.description[0].upper()}{kind.description[1:]}{detail}: "
                        f"x{int(f.counts[i, k])}, ratio {cfg.ratio(kind.code):g} for "
                        f"{kind.cause.value}.",
                        weight=round(float(f.logs[i, k]) / total, 12),
                        evidence=evidence,
                    )
                )
        zh, en = REMEDIES[top]
        return ChurnCauseResult(
            scorer=self.name,
            customer_id=str(batch.customer_ids[i]),
            as_of=as_of,
            causes={c.value: round(float(f.causes[i, j]), 12) for j, c in enumerate(_CAUSES)},
            top_cause=top,
            confidence=round(confidence, 12),
            low_confidence=confidence < cfg.low_confidence_below,
            risk_band=str(f.band[i]),
            risk_method=str(f.method[i]),
            remedy=Remedy(zh=zh, en=en),
            evidence_counts={
                EVIDENCE_KINDS[k].code: int(f.counts[i, k])
                for k in sorted(found, key=lambda k: EVIDENCE_KINDS[k].code)
            },
            reasons=tuple(out),
        )

    def _note(self, batch: CustomerBatch, f: _Facts, i: int, code: str, as_of: datetime) -> str:
        """The detail a reason adds for some kinds (``""`` for the others)."""
        since = (as_of - self.config.look_back).date().isoformat()
        if code == "order.discount_share":
            return f"{int(f.discounted[i])} of {int(f.purchases[i])}"
        if code == "customer.moved_or_deceased":
            marks = [m for m, on in zip(_MARKERS, f.records.natural_markers[i], strict=True) if on]
            return f"marked {', '.join(marks)}"
        if code == "context.staff_departure":
            agent = str(f.records.assigned_agent[i])
            left = self.context.departure_of(agent)
            assert left is not None
            return f"assigned staff {agent} left on {left.date().isoformat()}"
        if code == "context.no_new_products":
            return f"no launch in the customer's categories since {since}"
        if code == "context.no_outreach":
            return f"no contact since {since}, customer value {float(f.inputs.value[i]):.0%}"
        if code.startswith("text.") and f.text_cut[i]:
            return f"one of the customer's texts was read up to character {int(f.text_cut[i]):,}"
        if code == "context.market_event":
            # Cited by its place in the shop context and its period, never by its
            # description (free text that may name people or carry anything else).
            e = int(f.event[i])
            event = self.context.market_events[e]
            return (
                f"ShopContext.market_events[{e}], "
                f"{event.start.date().isoformat()}–{event.end.date().isoformat()}"
            )
        return ""


_MONTH = 30 * SECONDS_PER_DAY


def _last_purchase(batch: CustomerBatch) -> NDArray[np.int64]:
    """Each customer's last purchase (latest, then largest id) as an order row; -1 if none."""
    n = batch.n_customers
    ids = batch.order_ids if batch.order_ids is not None else np.zeros(batch.n_orders, np.str_)
    order = np.lexsort((ids, batch.order_time, batch.order_customer))
    cust = batch.order_customer[order]
    ends = np.flatnonzero(np.r_[cust[1:] != cust[:-1], True]) if cust.size else cust
    last = np.full(n, -1, dtype=np.int64)
    last[cust[ends]] = order[ends]
    return last


def _cause_result(scores: ChurnCauseScores, i: int) -> ChurnCauseResult:
    result = scores.result(i)
    assert isinstance(result, ChurnCauseResult)
    return result


def _risk_reason(band: str, method: str) -> Reason:
    return Reason(
        code="churn_cause.risk",
        message=f"Conditioned on churn risk band {band!r} (method {method}).",
        weight=0.0,
    )
