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
from decimal import Decimal
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
from custcare.errors import CustcareUsageError
from custcare.loyalty import DEFAULT_LEVELS, customer_value, customer_value_columns
from custcare.models import CustomerHistory, Money, ShopContext, minor_unit_digits
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
    check_as_of,
    check_upstream_rows,
)
from custcare.text import (
    CATEGORY_CODES,
    NONE,
    CombinedClassifier,
    TextAnalysis,
    TextClassifier,
)

__all__ = [
    "DEFAULT_SMALL_CUSTOMER_SPEND",
    "EVIDENCE_KINDS",
    "SMALL_CUSTOMER_SOURCES",
    "ChurnCauseConfig",
    "ChurnCauseResult",
    "ChurnCauseScorer",
    "ChurnCauseScores",
    "EvidenceKind",
    "FittedRatios",
    "Remedy",
    "fit_ratios",
    "small_customer_spend",
]


@dataclass(frozen=True)
class EvidenceKind:
    """One kind of evidence: the cause it supports and its default likelihood ratio.

    ``pattern`` kinds describe one habit seen across several records (the records
    are cited, but the habit is one piece of evidence): they count once, not once
    per record up to ``max_per_kind``.
    """

    code: str
    cause: ChurnCause
    ratio: float
    description: str = field(compare=False)
    pattern: bool = False


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
        "context.discounts_ended",
        _C.PRICE,
        5.0,
        "the customer bought in the shop's discount periods and stopped when one ended",
    ),
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
        "the customer kept buying from the same small set of items, nothing new",
        pattern=True,
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

SMALL_CUSTOMER_SOURCES: tuple[str, ...] = ("loyalty.pyramid", "loyalty.rfm")
"""Loyalty scorers whose customer value is relative to the population, read in order
to tell small customers (the pyramid's levels follow the 80/20 rule; RFM scores are
population quantiles)."""

_SENIOR = next((lv.min_spend for lv in DEFAULT_LEVELS if lv.code == "senior_member"), None)
if _SENIOR is None:  # pragma: no cover
    raise ImportError("the default member levels need a senior_member level with min_spend")
DEFAULT_SMALL_CUSTOMER_SPEND: Decimal = _SENIOR
"""Spend below which a customer counts as small when nothing better is known: the
money condition of the default senior member level (高级会员, 1000 in the shop's
currency, `custcare.loyalty.DEFAULT_LEVELS`), without its order-count condition."""

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
    * ``population_gap_days``: above 0, at most 36,500;
    * ``marker_window``: as the other windows;
    * ``same_items_share``: above 0, at most 1;
    * ``small_customer_spend``: money (`Decimal`, int or string, never float) in
      the shop's currency, or None for `DEFAULT_SMALL_CUSTOMER_SPEND`.

    Who counts as a *small customer* (for ``context.no_outreach``): with a
    population-relative loyalty result upstream (`SMALL_CUSTOMER_SOURCES`:
    ``loyalty.pyramid``, whose levels follow the 80/20 rule, or ``loyalty.rfm``,
    whose scores are population quantiles), a customer value at or below
    ``small_customer_value``; otherwise completed spend up to ``as_of`` below
    ``small_customer_spend`` (set it from the population with
    `small_customer_spend`, or leave the documented default). Member levels
    (``loyalty.threshold``) are not read for size: they promote on order count as
    well as spend, so six small orders make a "senior member".

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
        description="Customer value (0..1, from loyalty.pyramid or loyalty.rfm) at or "
        "below which a customer counts as small.",
    )
    small_customer_spend: Money | None = Field(
        None,
        description="Completed spend (shop currency) below which a customer counts as "
        "small when no population-relative loyalty value is given; None: "
        "DEFAULT_SMALL_CUSTOMER_SPEND.",
    )
    same_items_share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.5,
        description="Share of the purchases after the first that bring no item new to "
        "the customer, from which they 'keep buying the same items'.",
    )
    marker_window: Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=36_500))] = Field(
        timedelta(days=90),
        description="A moved/deceased marker dated later than this after the last "
        "purchase does not explain the lapse.",
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
        context_evidence: The shop-context entries behind context evidence, by
            evidence code (``context.staff_departure``, ``context.market_event``,
            ``context.discounts_ended``): each entry's ``id``, else its place, e.g.
            ``ShopContext.staff_departures[0]``. They are not customer records, so
            reasons name them in their message, not in ``evidence``.

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
    context_evidence: dict[str, tuple[str, ...]] = Field(default_factory=dict)

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
    full `ChurnCauseResult`, equal to what `ChurnCauseScorer.score` returns. The
    cause, band and confidence flag are also properties, so scorers downstream (the
    care plan) read them as columns through a typed protocol.
    """

    @property
    def top_cause(self) -> NDArray[np.str_]:
        """The most probable cause code per row (`ChurnCause` values)."""
        return np.asarray(self["top_cause"], dtype=np.str_)

    @property
    def risk_band(self) -> NDArray[np.str_]:
        """The churn risk band each row's cause was found for."""
        return np.asarray(self["risk_band"], dtype=np.str_)

    @property
    def low_confidence(self) -> NDArray[np.bool_]:
        """Whether each row's cause rests on too little evidence to trust."""
        return np.asarray(self["low_confidence"], dtype=np.bool_)


# --- upstream, as columns ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Inputs:
    """What the scorer reads from other scorers, one entry per customer."""

    value: NDArray[np.float64]  # customer value in [0, 1] (SMALL_CUSTOMER_SOURCES)
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
            value, source = customer_value({k: up[k] for k in SMALL_CUSTOMER_SOURCES if k in up})
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
        value, value_source = customer_value_columns(
            {k: upstream[k] for k in SMALL_CUSTOMER_SOURCES if k in upstream}, n
        )
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
        # Context evidence cites shop-context entries, not the customer's records.
        self.cited: dict[str, NDArray[np.object_]] = {}

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

    def add_context(
        self, code: str, rows: NDArray[np.int64], key: np.int64, cites: NDArray[np.str_]
    ) -> None:
        """Context kind ``code`` found for ``rows``, each citing one context entry."""
        if rows.size == 0:
            return
        self.add(code, rows, key)
        cited = self.cited.setdefault(code, np.full(self.n, "", dtype=object))
        cited[rows] = cites

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
    small: _Small  # who counts as a small customer, and by which source
    cited: dict[str, NDArray[np.object_]]  # context kind -> (n,) cited entry, "" if none


@dataclass(frozen=True, eq=False)
class _Small:
    """Who counts as a small customer (``context.no_outreach``), and by which source."""

    small: NDArray[np.bool_]
    by_value: NDArray[np.bool_]  # True: by a SMALL_CUSTOMER_SOURCES value; False: by spend
    value: NDArray[np.float64]  # that value
    source: NDArray[np.str_]  # that source
    spend: NDArray[np.float64]  # completed spend up to as_of, in currency units
    bought: NDArray[np.bool_]  # has a completed purchase (so the batch has a currency)
    cutoff: Decimal  # the spend cut-off used
    configured: bool  # the cut-off came from the config (else the default)
    currency: str
    digits: int


# --- the scorer ------------------------------------------------------------------------------


class ChurnCauseScorer(BaseScorer[ChurnCauseConfig, ChurnCauseResult]):
    """Likely churn cause from a fixed taxonomy, with evidence, confidence and remedy.

    One columnar path finds the evidence of every customer at once (`score_batch`,
    over a `custcare.batch.CustomerBatch` with its `custcare.batch.CareRecords`);
    `score` is a one-row view of it. Text is classified once per distinct text.

    Args:
        config: A `ChurnCauseConfig`, a mapping, or keyword parameters.
        context: Shop-level facts (staff departures, launches, outreach, market events).
        classifier: Text classifier for complaint and review text (default:
            `custcare.text.CombinedClassifier`, the lexicons with the learned model).

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
    traits: ClassVar[ScorerTraits] = ScorerTraits(
        batch=True, uses=("churn.risk", *SMALL_CUSTOMER_SOURCES)
    )

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
        self.classifier: TextClassifier = classifier or CombinedClassifier()

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

        Codes come in the order the rules found them; ids in record order. Context
        evidence lists the shop-context entry it rests on (its ``id``, else e.g.
        ``ShopContext.staff_departures[0]``); evidence of an absence (no new products,
        no outreach) lists nothing.
        """
        facts = self._facts(from_histories([history]), as_of, _Inputs.of_results(upstream or {}))
        mine = facts.item_row == 0
        kinds = np.flatnonzero(facts.found[0])
        kinds = kinds[np.argsort(facts.first[0, kinds], kind="stable")]
        out: dict[str, tuple[str, ...]] = {}
        for j in kinds:
            code = EVIDENCE_KINDS[j].code
            if code in facts.cited:
                out[code] = (str(facts.cited[code][0]),)
            else:
                out[code] = tuple(str(i) for i in facts.item_id[mine & (facts.item_kind == j)])
        return out

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
        last = batch.last_order_time()
        col.add("customer.moved_or_deceased", self._natural(rec, last), _P_CUSTOMER)
        purchases, discounted = self._habits(batch, col)
        fresh = self._fresh(rec, n, as_of)
        if known:
            self._same_items(rec, n, fresh, col)
        small = self._context(batch, rec, known, as_of, inputs, purchases, fresh, col)
        self._discounts_ended(batch, now, last, purchases, col)
        event = self._market(batch, as_of, last, col)

        # Attribution: a naive-Bayes update per row, kinds added in a fixed order so
        # that one row and many give the same floats.
        found = col.first != _NEVER
        item_row, item_kind, item_id = col.items()
        k = len(EVIDENCE_KINDS)
        cited = np.bincount(item_row * k + item_kind, minlength=n * k).reshape(n, k)
        cap = np.array([1 if kind.pattern else cfg.max_per_kind for kind in EVIDENCE_KINDS])
        counts = np.where(found, np.minimum(np.maximum(cited, 1), cap), 0)
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
            small=small,
            cited=col.cited,
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

    def _natural(self, rec: CareRecords, last: NDArray[np.float64]) -> NDArray[np.int64]:
        """``customer.moved_or_deceased``: a marker known before the customer lapsed.

        A dated marker (`custcare.Customer.tagged_at`) explains the lapse only if it
        is dated at most ``marker_window`` after the last purchase; one dated later
        came after the customer had already gone quiet. Undated markers count from
        the customer's creation, so they always count; so does any marker of a
        customer who never bought.
        """
        marked = rec.natural_markers
        if rec.marker_since is None:
            return np.flatnonzero(marked.any(axis=1))
        limit = last + self.config.marker_window.total_seconds()
        with np.errstate(invalid="ignore"):
            in_time = marked & ~(rec.marker_since > limit[:, None])
        return np.flatnonzero(in_time.any(axis=1))

    def _fresh(self, rec: CareRecords, n: int, as_of: datetime) -> NDArray[np.bool_] | None:
        """Who the shop launched something new for in the look-back; None without launches.

        A launch is "for" a customer when it is in one of the categories they bought
        (any launch counts for a customer whose lines carry no category).
        """
        ctx = self.context
        if not ctx.product_launches:
            return None
        since = as_of - self.config.look_back
        recent = [p for p in ctx.product_launches if since <= p.launched_at <= as_of]
        launched = [p.category for p in recent if p.category]
        counted = rec.order_counted[rec.line_order]
        line_cust = rec.order_customer[rec.line_order][counted]
        category = rec.line_category[counted]
        has_cats = np.bincount(line_cust[category != ""], minlength=n) > 0
        matched = np.bincount(line_cust[np.isin(category, launched)], minlength=n) > 0
        out: NDArray[np.bool_] = bool(recent) & (~has_cats | matched)
        return out

    def _same_items(
        self, rec: CareRecords, n: int, fresh: NDArray[np.bool_] | None, col: _Collect
    ) -> None:
        """``order.same_items``: the customer keeps buying from the same small set of items.

        Over the customer's purchases with lines (at least ``min_purchases_for_habits``),
        a purchase is a *repeat* when every SKU on it was bought in an earlier
        purchase. The rule holds when at least ``same_items_share`` of the purchases
        after the first are repeats and the last one is a repeat too (a customer whose
        last purchase tried something new is not stuck), and the shop launched nothing
        new for the customer in the look-back window (`_fresh`; when the context lists
        launches). The repeat purchases are cited.
        """
        cfg = self.config
        if rec.line_order.size == 0:
            return
        counted = rec.order_counted[rec.line_order]
        line_order = rec.line_order[counted]
        if line_order.size == 0:
            return
        rank = _rank(rec.order_placed, rec.order_ids)
        cust = rec.order_customer[line_order]
        _, sku = np.unique(rec.line_sku[counted], return_inverse=True)
        sku = sku.reshape(-1).astype(np.int64)
        pair = cust * np.int64(int(sku.max(initial=0)) + 1) + sku
        _, pair_id = np.unique(pair, return_inverse=True)
        pair_id = pair_id.reshape(-1)
        first_rank = np.full(int(pair_id.max(initial=-1)) + 1, _NEVER, dtype=np.int64)
        np.minimum.at(first_rank, pair_id, rank[line_order])
        new_line = rank[line_order] == first_rank[pair_id]
        # Per order (with lines): does it bring a new SKU?
        o = rec.order_ids.size
        has_lines = np.bincount(line_order, minlength=o) > 0
        brings_new = np.bincount(line_order[new_line], minlength=o) > 0
        po = np.flatnonzero(has_lines)
        po_cust = rec.order_customer[po]
        po_rank = rank[po]
        repeat = ~brings_new[po]
        bought = np.bincount(po_cust, minlength=n)
        repeats = np.bincount(po_cust[repeat], minlength=n)
        last_rank = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last_rank, po_cust, po_rank)
        last_is_repeat = np.zeros(n, dtype=np.bool_)
        last_is_repeat[po_cust[repeat & (po_rank == last_rank[po_cust])]] = True
        with np.errstate(invalid="ignore", divide="ignore"):
            share = repeats / np.maximum(bought - 1, 1)
        same = (
            (bought >= cfg.min_purchases_for_habits)
            & last_is_repeat
            & (share >= cfg.same_items_share)
        )
        if fresh is not None:
            same &= ~fresh
        sel = repeat & same[po_cust]
        col.add(
            "order.same_items",
            po_cust[sel],
            _P_HABIT + _SUB + po_rank[sel],
            rec.order_ids[po][sel],
        )

    def _small(self, batch: CustomerBatch, inputs: _Inputs) -> _Small:
        """Who counts as a small customer, by loyalty value or by spend (see the config)."""
        cfg = self.config
        n = batch.n_customers
        digits = 2 if batch.currency is None else minor_unit_digits(batch.currency)
        scale = 10.0**digits
        paid = np.round(batch.order_total * scale)
        spend = np.bincount(batch.order_customer, weights=paid, minlength=n).astype(np.float64)
        cutoff = cfg.small_customer_spend
        configured = cutoff is not None
        cut = DEFAULT_SMALL_CUSTOMER_SPEND if cutoff is None else cutoff
        cut_minor = float(cut.scaleb(digits).to_integral_value())
        by_value = inputs.value_source != ""
        small = np.where(by_value, inputs.value <= cfg.small_customer_value, spend < cut_minor)
        return _Small(
            small=np.asarray(small, dtype=np.bool_),
            by_value=by_value,
            value=inputs.value,
            source=inputs.value_source,
            spend=spend / scale,
            bought=np.bincount(batch.order_customer, minlength=n) > 0,
            cutoff=cut,
            configured=configured,
            currency=batch.currency or "",
            digits=digits,
        )

    def _context(
        self,
        batch: CustomerBatch,
        rec: CareRecords,
        known: bool,
        as_of: datetime,
        inputs: _Inputs,
        purchases: NDArray[np.int64],
        fresh: NDArray[np.bool_] | None,
        col: _Collect,
    ) -> _Small:
        """Staff departures, no new products, no outreach; returns who counts as small."""
        cfg, ctx = self.config, self.context
        n = batch.n_customers
        now = to_epoch_seconds(as_of)
        bought = purchases > 0
        if known and ctx.staff_departures:
            agents, which = np.unique(rec.assigned_agent, return_inverse=True)
            index = [ctx.departure_index(str(a)) if a else None for a in agents]
            left = np.array(
                [
                    np.nan if i is None else to_epoch_seconds(ctx.staff_departures[i].left_at)
                    for i in index
                ]
            )[which.reshape(-1)]
            cite = np.array(
                [ctx.cite("staff_departures", i) if i is not None else "" for i in index]
            )
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
            # The departure is cited (its id, or its place in the context).
            col.add_context(
                "context.staff_departure", rows, _P_CONTEXT, cite[which.reshape(-1)][rows]
            )
        since = as_of - cfg.look_back
        if fresh is not None:
            col.add("context.no_new_products", np.flatnonzero(bought & ~fresh), _P_CONTEXT + 1)
        small = self._small(batch, inputs)
        if ctx.has_outreach_log:
            touched = sorted({c.customer_id for c in ctx.outreach if since <= c.at <= as_of})
            contacted = np.isin(batch.customer_ids, touched)
            others = len(touched) - contacted.astype(np.int64) > 0
            col.add(
                "context.no_outreach",
                np.flatnonzero(small.small & others & ~contacted),
                _P_CONTEXT + 2,
            )
        return small

    def _discounts_ended(
        self,
        batch: CustomerBatch,
        now: float,
        last: NDArray[np.float64],
        purchases: NDArray[np.int64],
        col: _Collect,
    ) -> None:
        """``context.discounts_ended``: orders that stop when the discounts stop.

        From the shop's discount calendar (`custcare.models.DiscountPeriod`): at least
        ``min_purchases_for_habits`` purchases, at least ``discount_share`` of them
        placed in a discount period, and the last one in a period that has ended
        before ``as_of`` (no purchase since: the orders stopped when the discounts
        did). The period of the last purchase is cited (its id, or its place in the
        context).

        Its default ratio (5) rests on how rarely the pattern arises by chance: if
        promotions cover a share ``f`` of the calendar, a customer who ignores them
        places the last and at least one more of three purchases inside them with
        probability about ``f * (1 - (1 - f)^2)``: 0.07 for ``f = 0.2``, 0.02 for
        ``f = 0.1``, against nearly 1 for a price-hunter. 5 stays well below those
        ratios, for calendars that cover more of the year.
        """
        cfg, ctx = self.config, self.context
        if not ctx.discount_periods or batch.n_orders == 0:
            return
        n = batch.n_customers
        t = batch.order_time
        in_promo = np.zeros(t.size, dtype=np.bool_)
        period = np.full(n, -1, dtype=np.int64)  # the first period holding the last purchase
        for p, dp in enumerate(ctx.discount_periods):
            start, end = to_epoch_seconds(dp.start), to_epoch_seconds(dp.end)
            in_promo |= (t >= start) & (t <= end)
            with np.errstate(invalid="ignore"):
                holds = (period < 0) & (last >= start) & (last <= end) & (end < now)
            period[holds] = p
        has_period = period >= 0
        in_count = np.bincount(batch.order_customer[in_promo], minlength=n)
        hit = (
            (purchases >= cfg.min_purchases_for_habits)
            & (in_count >= cfg.discount_share * purchases)
            & has_period
        )
        rows = np.flatnonzero(hit)
        cite = np.array([ctx.cite("discount_periods", int(p)) for p in period[rows]], np.str_)
        col.add_context("context.discounts_ended", rows, _P_CONTEXT + 4, cite)

    def _market(
        self, batch: CustomerBatch, as_of: datetime, last: NDArray[np.float64], col: _Collect
    ) -> NDArray[np.int64]:
        """``context.market_event``: the first event that overlaps the customer's decline."""
        n = batch.n_customers
        event = np.full(n, -1, dtype=np.int64)
        ctx = self.context
        if not ctx.market_events:
            return event
        with np.errstate(invalid="ignore"):
            for e, ev in enumerate(ctx.market_events):
                if ev.start <= as_of:
                    hit = (event < 0) & (to_epoch_seconds(ev.end) >= last - _MONTH)
                    event[hit] = e
        rows = np.flatnonzero(event >= 0)
        cite = np.array([ctx.cite("market_events", int(e)) for e in event[rows]], np.str_)
        col.add_context("context.market_event", rows, _P_CONTEXT + 3, cite)
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
            context_evidence={
                code: (str(f.cited[code][i]),) for code in sorted(f.cited) if f.cited[code][i]
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
            index = self.context.departure_index(agent)
            assert index is not None
            left = self.context.staff_departures[index].left_at
            return f"{f.cited[code][i]}: assigned staff {agent} left on {left.date().isoformat()}"
        if code == "context.no_new_products":
            return f"no launch in the customer's categories since {since}"
        if code == "context.no_outreach":
            return f"no contact since {since}, {self._size_note(f.small, i)}"
        if code.startswith("text.") and f.text_cut[i]:
            return f"one of the customer's texts was read up to character {int(f.text_cut[i]):,}"
        if code == "context.market_event":
            # Cited by its id or place in the shop context and its period, never by its
            # description (free text that may name people or carry anything else).
            event = self.context.market_events[int(f.event[i])]
            return (
                f"{f.cited[code][i]}, "
                f"{event.start.date().isoformat()}–{event.end.date().isoformat()}"
            )
        if code == "context.discounts_ended":
            return f"{f.cited[code][i]}"
        return ""

    @staticmethod
    def _size_note(small: _Small, i: int) -> str:
        """Why the customer counts as small, naming the source used."""
        if small.by_value[i]:
            return f"customer value {float(small.value[i]):.0%} from {small.source[i]}"
        which = "configured" if small.configured else "default, the senior-member spend"
        cut = f"below the small-customer cut-off {small.cutoff} ({which})"
        if not small.bought[i]:
            # No purchase: nothing in a currency to show (a one-row batch has none).
            return f"no completed purchase, {cut}"
        return f"spend {small.spend[i]:.{small.digits}f} {small.currency} {cut}"


# --- who is small, and ratios from labelled outcomes -------------------------------------


def small_customer_spend(
    population: CustomerBatch | Sequence[CustomerHistory],
    *,
    as_of: datetime,
    big_share: float = 0.8,
) -> Decimal:
    """The spend below which a customer is small, from the population's 80/20 split.

    The domain's 80/20 rule (二八法则): about 20% of customers bring about 80% of the
    business. Customers are ranked by completed spend up to ``as_of``; the big ones
    are the fewest top customers whose spend together reaches ``big_share`` of the
    total, and the cut-off is the smallest big customer's spend. Pass it as
    ``ChurnCauseConfig(small_customer_spend=...)``: a customer spending less counts
    as small when no population-relative loyalty value is given. Fixed in the
    config, it gives every customer the same answer in the batch and the
    per-customer path.

    Args:
        population: The shop's customers, as a batch or histories.
        as_of: A timezone-aware moment; later orders are not counted.
        big_share: The share of spend the big customers bring (0 < x <= 1).

    Returns:
        The cut-off in the batch's currency, in whole minor units (0 with no spend).

    Raises:
        CustcareUsageError: if ``big_share`` is not in ``(0, 1]``.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> small_customer_spend(shop.histories, as_of=shop.as_of) > 0
        True
    """
    if not (isinstance(big_share, float | int) and 0.0 < big_share <= 1.0):
        raise CustcareUsageError(
            f"small_customer_spend: big_share must be in (0, 1], got {big_share!r}",
            code="bad_argument",
        )
    as_of = check_as_of(as_of)
    batch = population if isinstance(population, CustomerBatch) else from_histories(population)
    batch = batch.until(as_of)
    digits = 2 if batch.currency is None else minor_unit_digits(batch.currency)
    paid = np.round(batch.order_total * 10.0**digits)
    spend = np.bincount(batch.order_customer, weights=paid, minlength=batch.n_customers)
    ranked = np.sort(spend)[::-1]
    total = float(ranked.sum())
    if total <= 0.0:
        return Decimal(0).scaleb(-digits)
    reach = np.cumsum(ranked) >= big_share * total - 0.5  # whole minor units: exact sums
    cut = int(ranked[int(np.argmax(reach))])
    return Decimal(cut).scaleb(-digits)


class FittedRatios(BaseModel):
    """Likelihood ratios estimated from customers whose churn cause is known.

    Made by `fit_ratios`; give ``ratios`` to ``ChurnCauseConfig(ratios=...)``.

    Attributes:
        ratios: The fitted likelihood ratio of every evidence code.
        n_labelled: How many labelled customers were read.
        per_cause: Labelled customers per cause code.
        present: Per evidence code, how many labelled customers had it:
            ``(with the code's cause, with another cause)``.
        strength: The smoothing strength used (customers' worth of the defaults).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ratios: dict[str, float]
    n_labelled: int
    per_cause: dict[str, int]
    present: dict[str, tuple[int, int]]
    strength: float


def fit_ratios(
    histories: Sequence[CustomerHistory],
    causes: Sequence[ChurnCause | str],
    *,
    as_of: datetime | Sequence[datetime],
    scorer: ChurnCauseScorer | None = None,
    strength: float = 20.0,
) -> FittedRatios:
    r"""Estimate each evidence kind's likelihood ratio from labelled outcomes.

    Where the shop knows why some customers left (exit surveys, win-back calls), the
    ratios can rest on its own data instead of the documented defaults. For each
    evidence kind ``k`` supporting cause ``c``, with ``n1`` labelled customers who
    left for ``c`` (``a1`` of them showing ``k``) and ``n0`` who left for another
    cause (``a0`` showing ``k``):

    .. math::

        \hat r = \frac{(a_1 + 1/2)/(n_1 + 1)}{(a_0 + 1/2)/(n_0 + 1)}, \qquad
        \log r = \frac{w \log \hat r + s \log r_0}{w + s}, \qquad
        w = \frac{n_1 n_0}{n_1 + n_0}

    The half counts keep the estimate finite (no kind is certain or impossible from a
    finite sample); ``w`` is how many customers' worth of information the pair of
    rates holds (0 when either group is empty); the estimate is shrunk in log space
    toward the scorer's ratio ``r0`` (the documented default unless configured) with
    the weight of ``s = strength`` customers, then clipped to ``1 .. MAX_RATIO``
    (a kind never counts against its cause). With no labelled customers for a cause,
    its kinds keep ``r0``. Evidence is found exactly as the scorer finds it (same
    context, classifier and windows), each customer at its own ``as_of``; a kind
    counts once per customer (presence), while the scorer counts up to
    ``max_per_kind`` items.

    Args:
        histories: Customers whose churn cause is known.
        causes: The known cause of each (a `ChurnCause` or its code).
        as_of: When each was labelled (one moment for all, or one per history).
        scorer: Whose rules, context and default ratios to use (default: a plain
            `ChurnCauseScorer`).
        strength: How many customers' worth of weight the defaults get (> 0).

    Raises:
        CustcareUsageError: if the lengths differ, a cause is unknown, or
            ``strength`` is not a positive finite number.
        NotYetCreatedError: if a customer was created after its ``as_of``.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> fitted = fit_ratios(shop.histories[:4], ["price"] * 4, as_of=shop.as_of)
        >>> fitted.ratios == {k.code: k.ratio for k in EVIDENCE_KINDS}  # no other cause
        True
    """
    n = len(histories)
    moments = [as_of] * n if isinstance(as_of, datetime) else list(as_of)
    if len(causes) != n or len(moments) != n:
        raise CustcareUsageError(
            f"fit_ratios: {n} histories, {len(causes)} causes, {len(moments)} as_of moments",
            code="bad_argument",
        )
    if not (isinstance(strength, float | int) and math.isfinite(strength) and strength > 0):
        raise CustcareUsageError(
            f"fit_ratios: strength must be a positive finite number, got {strength!r}",
            code="bad_argument",
        )
    try:
        labels = np.array([_CAUSES.index(ChurnCause(c)) for c in causes], dtype=np.int64)
    except ValueError as exc:
        raise CustcareUsageError(f"fit_ratios: {exc}", code="bad_argument") from None
    scorer = scorer or ChurnCauseScorer()
    k = len(EVIDENCE_KINDS)
    present = np.zeros((n, k), dtype=np.bool_)
    checked = [check_as_of(t) for t in moments]
    for t in sorted(set(checked)):
        rows = [i for i in range(n) if checked[i] == t]
        batch = from_histories([histories[i].until(t) for i in rows])
        facts = scorer._facts(batch, t, _Inputs.of_rows([None] * len(rows)))
        present[rows] = facts.found
    ratios: dict[str, float] = {}
    counts: dict[str, tuple[int, int]] = {}
    for j, kind in enumerate(EVIDENCE_KINDS):
        mine = labels == _KIND_CAUSE[j]
        n1, n0 = int(mine.sum()), int((~mine).sum())
        a1, a0 = int(present[mine, j].sum()), int(present[~mine, j].sum())
        counts[kind.code] = (a1, a0)
        r0 = scorer.config.ratio(kind.code)
        if n1 == 0 or n0 == 0:
            ratios[kind.code] = r0
            continue
        r_hat = ((a1 + 0.5) / (n1 + 1)) / ((a0 + 0.5) / (n0 + 1))
        w = n1 * n0 / (n1 + n0)
        log_r = (w * math.log(r_hat) + strength * math.log(r0)) / (w + strength)
        ratios[kind.code] = round(min(max(math.exp(log_r), 1.0), ChurnCauseConfig.MAX_RATIO), 12)
    return FittedRatios(
        ratios=ratios,
        n_labelled=n,
        per_cause={c.value: int((labels == i).sum()) for i, c in enumerate(_CAUSES)},
        present=counts,
        strength=float(strength),
    )


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
