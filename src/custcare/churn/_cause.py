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
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from custcare.batch import from_histories, to_epoch_seconds
from custcare.churn._causes import REMEDIES, ChurnCause, default_prior
from custcare.churn._gap import gap_bands, gap_kernel
from custcare.loyalty import VALUE_SOURCES, customer_value
from custcare.models import ComplaintCategory, CustomerHistory, ShopContext
from custcare.scoring import BaseScorer, Reason, ScorerConfig, ScoreResult, ScorerTraits, Upstream
from custcare.text import LexiconClassifier, TextClassifier

__all__ = [
    "EVIDENCE_KINDS",
    "ChurnCauseConfig",
    "ChurnCauseResult",
    "ChurnCauseScorer",
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

NATURAL_MARKERS = frozenset(
    {"moved", "moved_away", "relocated", "deceased", "搬家", "已搬走", "移民", "已故", "去世"}
)


class ChurnCauseConfig(ScorerConfig):
    """Parameters of `ChurnCauseScorer`.

    Examples:
        >>> ChurnCauseConfig(ratios={"context.staff_departure": 8.0}).ratios[
        ...     "context.staff_departure"]
        8.0
    """

    prior: dict[str, Annotated[float, Field(gt=0.0)]] = Field(
        default_factory=default_prior,
        description="Prior probability per cause code; must cover every cause and sum to 1.",
    )
    ratios: dict[str, Annotated[float, Field(ge=1.0)]] = Field(
        default_factory=dict,
        description="Likelihood ratio per evidence code, overriding the defaults (>= 1).",
    )
    max_per_kind: Annotated[int, Field(ge=1, le=20)] = 3
    look_back: timedelta = Field(timedelta(days=180), description="Window for recent-ness tests.")
    response_limit: timedelta = Field(timedelta(hours=24), description="Slow first response.")
    resolution_limit: timedelta = Field(timedelta(days=7), description="Unresolved too long.")
    departure_window: timedelta = Field(
        timedelta(days=90),
        description="A departure this close to the last purchase counts as 'shortly before'.",
    )
    discount_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.6
    min_purchases_for_habits: Annotated[int, Field(ge=2)] = 3
    population_gap_days: Annotated[float, Field(gt=0.0)] = 90.0
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
    """

    causes: dict[str, float]
    top_cause: ChurnCause
    confidence: float
    low_confidence: bool
    risk_band: str
    risk_method: str
    remedy: Remedy
    evidence_counts: dict[str, int]


@dataclass
class _Found:
    evidence: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, code: str, record_id: str | None = None, note: str | None = None) -> None:
        ids = self.evidence.setdefault(code, [])
        if record_id is not None and record_id not in ids:
            ids.append(record_id)
        if note is not None:
            self.notes[code] = note

    def count(self, code: str) -> int:
        return max(len(self.evidence.get(code, ())), 1 if code in self.evidence else 0)


class ChurnCauseScorer(BaseScorer[ChurnCauseConfig, ChurnCauseResult]):
    """Likely churn cause from a fixed taxonomy, with evidence, confidence and remedy.

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
    traits: ClassVar[ScorerTraits] = ScorerTraits(uses=("churn.risk", *VALUE_SOURCES))

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

    # --- evidence -----------------------------------------------------------------------

    def find_evidence(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream | None = None
    ) -> dict[str, tuple[str, ...]]:
        """Evidence codes found in a history already cut at ``as_of``, with record ids."""
        return {k: tuple(v) for k, v in self._find(history, as_of, upstream or {}).evidence.items()}

    def _find(self, h: CustomerHistory, as_of: datetime, upstream: Upstream) -> _Found:
        cfg, found = self.config, _Found()
        for r in h.reviews:
            d = r.detailed
            low = False
            if d is not None:
                for attr, code in (
                    ("description_match", "review.low_description"),
                    ("service_attitude", "review.low_service"),
                    ("logistics", "review.low_logistics"),
                ):
                    value = getattr(d, attr)
                    if value is not None and value <= 2:
                        found.add(code, r.id)
                        low = True
            if not low and r.effective_rating <= 2:
                found.add("review.low_rating", r.id)
        for o in h.orders:
            if o.status.value in ("returned", "refunded"):
                found.add("order.returned_or_refunded", o.id)
            if o.delivered_late:
                found.add("order.late_delivery", o.id)
        texts = [(r.id, r.text) for r in h.reviews if r.text] + [
            (c.id, c.text) for c in h.complaints if c.text
        ]
        analyses = dict(
            zip(
                [i for i, _ in texts],
                self.classifier.classify_many([t for _, t in texts]),
                strict=True,
            )
        )
        for c in h.complaints:
            category = c.category
            if category is None and c.id in analyses:
                top = analyses[c.id].top_category
                category = ComplaintCategory(top) if top != "none" else None
            if category is not None and f"complaint.{category.value}" in _KINDS:
                found.add(f"complaint.{category.value}", c.id)
            if c.first_response_at is not None:
                slow = c.first_response_at - c.opened_at > cfg.response_limit
            else:
                slow = as_of - c.opened_at > cfg.response_limit
            if slow:
                found.add("complaint.slow_response", c.id)
            if c.is_open and as_of - c.opened_at > cfg.resolution_limit:
                found.add("complaint.unresolved", c.id)
            if c.reopened:
                found.add("complaint.reopened", c.id)
        for record_id, analysis in analyses.items():
            for signal in (
                "late_delivery",
                "price",
                "competitor",
                "cheaper_offer",
                "moved_away",
                "deceased",
            ):
                if analysis.signals.get(signal):
                    found.add(f"text.{signal}", record_id)
        markers = {t.lower() for t in h.customer.tags} | {
            k.lower() for k, v in h.customer.attributes.items() if v is True
        }
        if markers & NATURAL_MARKERS:
            found.add(
                "customer.moved_or_deceased",
                note=f"marked {', '.join(sorted(markers & NATURAL_MARKERS))}",
            )
        self._habits(h, as_of, found)
        self._context(h, as_of, upstream, found)
        return found

    def _habits(self, h: CustomerHistory, as_of: datetime, found: _Found) -> None:
        cfg = self.config
        purchases = h.purchases
        if len(purchases) < cfg.min_purchases_for_habits:
            return
        discounted = [o.id for o in purchases if o.is_discounted]
        if len(discounted) / len(purchases) >= cfg.discount_share:
            for oid in discounted:
                found.add("order.discount_share", oid)
            found.notes["order.discount_share"] = f"{len(discounted)} of {len(purchases)}"
        first = {line.sku for line in purchases[0].lines}
        if all({line.sku for line in o.lines} <= first for o in purchases[1:]):
            for o in purchases:
                found.add("order.same_items", o.id)

    def _context(
        self, h: CustomerHistory, as_of: datetime, upstream: Upstream, found: _Found
    ) -> None:
        cfg, ctx = self.config, self.context
        purchases = h.purchases
        last = purchases[-1].placed_at if purchases else None
        agent = h.customer.assigned_agent_id
        if agent is not None and last is not None:
            left = ctx.departure_of(agent)
            if left is not None and left <= as_of and abs(left - last) <= cfg.departure_window:
                found.add(
                    "context.staff_departure",
                    purchases[-1].id,
                    note=f"assigned staff {agent} left on {left.date().isoformat()}",
                )
        since = as_of - cfg.look_back
        if ctx.product_launches and purchases:
            categories = {ln.category for o in purchases for ln in o.lines if ln.category}
            recent = [
                p
                for p in ctx.product_launches
                if since <= p.launched_at <= as_of and (p.category in categories or not categories)
            ]
            if not recent:
                found.add(
                    "context.no_new_products",
                    note=f"no launch in the customer's categories since {since.date().isoformat()}",
                )
        if ctx.has_outreach_log:
            value, source = customer_value(upstream)
            touched = [c.customer_id for c in ctx.outreach if since <= c.at <= as_of]
            contacted = h.customer.id in touched
            others = any(cid != h.customer.id for cid in touched)
            small = source is not None and value <= cfg.small_customer_value
            if small and others and not contacted:
                found.add(
                    "context.no_outreach",
                    note=f"no contact since {since.date().isoformat()}, customer value {value:.0%}",
                )
        if last is not None:
            for event in ctx.market_events:
                if event.start <= as_of and event.end >= last - timedelta(days=30):
                    found.add(
                        "context.market_event",
                        note=f"{event.description} "
                        f"({event.start.date().isoformat()}–{event.end.date().isoformat()})",
                    )
                    break

    # --- attribution ----------------------------------------------------------------------

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> ChurnCauseResult:
        cfg = self.config
        found = self._find(history, as_of, upstream)
        counts = {code: min(found.count(code), cfg.max_per_kind) for code in found.evidence}
        log_w = {c.value: math.log(cfg.prior[c.value]) for c in ChurnCause}
        support = dict.fromkeys(log_w, 0.0)
        for code, n in counts.items():
            kind = _KINDS[code]
            gain = n * math.log(cfg.ratio(code))
            log_w[kind.cause.value] += gain
            support[kind.cause.value] += gain
        top_log = max(log_w.values())
        weights = {c: math.exp(v - top_log) for c, v in log_w.items()}
        total = sum(weights.values())
        causes = {c: w / total for c, w in weights.items()}
        top = max(ChurnCause, key=lambda c: (causes[c.value], -list(ChurnCause).index(c)))
        confidence = 1.0 - math.exp(-support[top.value])
        band, method = _risk(history, as_of, upstream, cfg.population_gap_days)
        reasons = self._reasons(history, top, causes, counts, found, confidence, band, method)
        zh, en = REMEDIES[top]
        return ChurnCauseResult(
            scorer=self.name,
            customer_id=history.customer.id,
            as_of=as_of,
            causes={c: round(p, 12) for c, p in causes.items()},
            top_cause=top,
            confidence=round(confidence, 12),
            low_confidence=confidence < cfg.low_confidence_below,
            risk_band=band,
            risk_method=method,
            remedy=Remedy(zh=zh, en=en),
            evidence_counts=dict(sorted(counts.items())),
            reasons=reasons,
        )

    def _reasons(
        self,
        h: CustomerHistory,
        top: ChurnCause,
        causes: dict[str, float],
        counts: dict[str, int],
        found: _Found,
        confidence: float,
        band: str,
        method: str,
    ) -> tuple[Reason, ...]:
        cfg = self.config
        if not counts:
            head = Reason(
                code="churn_cause.no_evidence",
                message="No evidence in the records: the prior is returned with low "
                f"confidence (most common cause overall: {top.label_en}).",
                weight=1.0,
            )
            return (head, _risk_reason(band, method))
        logs = {code: n * math.log(cfg.ratio(code)) for code, n in counts.items()}
        total = sum(logs.values()) or 1.0
        out = [
            Reason(
                code="churn_cause.top",
                message=f"Most likely cause: {top.label_en} ({top.label_zh}), "
                f"p={causes[top.value]:.2f}, confidence {confidence:.2f}.",
                weight=round(min(causes[top.value], 1.0), 12),
                evidence=tuple(
                    i for code in counts if _KINDS[code].cause is top for i in found.evidence[code]
                ),
            )
        ]
        for code in sorted(counts, key=lambda c: (-logs[c], c)):
            kind = _KINDS[code]
            note = found.notes.get(code)
            detail = f" ({note})" if note else ""
            out.append(
                Reason(
                    code=f"churn_cause.{code}",
                    message=f"{kind.description[0].upper()}{kind.description[1:]}{detail}: "
                    f"x{counts[code]}, ratio {cfg.ratio(code):g} for {kind.cause.value}.",
                    weight=round(logs[code] / total, 12),
                    evidence=tuple(found.evidence[code]),
                )
            )
        out.append(_risk_reason(band, method))
        return tuple(out)


def _risk(
    history: CustomerHistory, as_of: datetime, upstream: Upstream, population_gap_days: float
) -> tuple[str, str]:
    risk = upstream.get("churn.risk")
    band = getattr(risk, "band", None)
    if band is not None:
        return str(getattr(band, "value", band)), str(getattr(risk, "method", "churn.risk"))
    g = gap_kernel(from_histories([history]), to_epoch_seconds(as_of), population_gap_days)
    return str(gap_bands(g)[0]), "gap"


def _risk_reason(band: str, method: str) -> Reason:
    return Reason(
        code="churn_cause.risk",
        message=f"Conditioned on churn risk band {band!r} (method {method}).",
        weight=0.0,
    )
