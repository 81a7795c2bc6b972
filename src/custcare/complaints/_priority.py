"""The ``complaint.priority`` scorer: which complaint first, by when, and what to do.

The rule is additive points (documented in ``docs/reference/complaints.md``), then
a level from the points, then a respond-by deadline from the level's SLA target.
One vectorised kernel serves one complaint and a queue of 100,000.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from custcare.batch import to_epoch_seconds
from custcare.complaints._features import CATEGORY_CODES, ComplaintFeatures
from custcare.complaints._sla import LEVELS, Level, SLAPolicy, add_business_seconds
from custcare.loyalty import VALUE_SOURCES, customer_value
from custcare.models import AwareDatetime, Complaint, ComplaintCategory, CustomerHistory
from custcare.scoring import BaseScorer, Reason, ScorerConfig, ScoreResult, ScorerTraits, Upstream
from custcare.text import LexiconClassifier, TextAnalysis, TextClassifier

__all__ = [
    "ComplaintPriority",
    "ComplaintPriorityScorer",
    "PriorityArrays",
    "PriorityConfig",
    "PriorityResult",
    "PriorityWeights",
    "Step",
    "priority_kernel",
]


def _default_category_points() -> dict[str, float]:
    return {
        "product_quality": 14.0,
        "not_fixed_first_time": 14.0,
        "staff_attitude": 12.0,
        "promise_not_kept": 12.0,
        "warranty_dispute": 10.0,
        "poor_after_sales": 10.0,
        "overcharging": 8.0,
        "long_wait": 8.0,
        "exaggerated_advertising": 8.0,
        "untrue": 2.0,
        "none": 4.0,
    }


NonNegative = Annotated[float, Field(ge=0.0, le=100.0)]


class PriorityWeights(BaseModel):
    """Points each input adds to a complaint's priority score (0..100).

    Examples:
        >>> PriorityWeights(escalation=25).escalation
        25.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: dict[str, NonNegative] = Field(
        default_factory=_default_category_points,
        description="Base points per category code (severity).",
    )
    safety: NonNegative = Field(30.0, description="Injury, fire, allergy, electric shock.")
    escalation: NonNegative = Field(20.0, description="Threat to go to platform/regulator/media.")
    refund: NonNegative = Field(5.0, description="Refund or return demanded.")
    anger: NonNegative = Field(8.0, description="Times anger intensity (0..1).")
    public: NonNegative = Field(10.0, description="Public channel (a review).")
    repeat: NonNegative = Field(6.0, description="Per earlier complaint on the order or reopen.")
    max_repeats: Annotated[int, Field(ge=0, le=20)] = 3
    promise_broken: NonNegative = Field(12.0, description="A promised fix time has passed.")
    customer_value: NonNegative = Field(10.0, description="Times customer value (0..1).")
    age: NonNegative = Field(15.0, description="Times the share of the SLA target elapsed.")
    responded: NonNegative = Field(8.0, description="Subtracted once a first response is given.")
    untrue_factor: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.5, description="Multiplies the score of a complaint judged untrue (never hides it)."
    )

    @model_validator(mode="after")
    def _all_categories(self) -> PriorityWeights:
        missing = sorted(set(CATEGORY_CODES) - set(self.category))
        unknown = sorted(set(self.category) - set(CATEGORY_CODES))
        if missing or unknown:
            raise ValueError(
                f"category points must cover exactly {list(CATEGORY_CODES)}; "
                f"missing {missing}, unknown {unknown}"
            )
        return self


class PriorityConfig(ScorerConfig):
    """Parameters of `ComplaintPriorityScorer`.

    Examples:
        >>> PriorityConfig(p1=80, p2=50, p3=20).p1
        80.0
    """

    weights: PriorityWeights = Field(default_factory=PriorityWeights)
    p1: Annotated[float, Field(gt=0, le=100, description="Score from which a complaint is P1.")] = (
        70.0
    )
    p2: Annotated[float, Field(gt=0, le=100, description="Score from which it is P2.")] = 45.0
    p3: Annotated[float, Field(gt=0, le=100, description="Score from which it is P3.")] = 25.0
    sla: SLAPolicy = Field(default_factory=SLAPolicy)
    review_window: timedelta = Field(
        timedelta(days=30),
        description="Negative reviews younger than this, not yet a complaint, join the queue.",
    )
    fresh_review: timedelta = Field(
        timedelta(hours=24), description="A review this young calls for an immediate call."
    )

    @model_validator(mode="after")
    def _ordered(self) -> PriorityConfig:
        if not self.p1 > self.p2 > self.p3:
            raise ValueError(
                f"thresholds must decrease: p1 ({self.p1}) > p2 ({self.p2}) > p3 ({self.p3})"
            )
        return self


class Step(BaseModel):
    """A first step to take, in Chinese and English."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    zh: str
    en: str


_STEPS: dict[str, Step] = {
    s.code: s
    for s in (
        Step(
            code="safety_first",
            zh="立即核实安全问题，必要时暂停相关商品销售并上报负责人。",
            en="Check the safety issue at once; pause sales of the item if needed and escalate.",
        ),
        Step(
            code="feeling_first",
            zh="先处理心情，再处理事情：先真诚致歉、认同顾客感受。",
            en="Handle the feeling first, then the matter: apologise and acknowledge first.",
        ),
        Step(
            code="call_now",
            zh="评价刚发出，立即致电买家：对方记忆犹新，可能仍在线。",
            en="The review is fresh: call the buyer now, while they remember and may be online.",
        ),
        Step(
            code="senior_owner",
            zh="由主管亲自跟进，在投诉升级到平台、消协或媒体之前解决。",
            en="A supervisor takes it over and resolves it before it goes to a platform, "
            "regulator or the media.",
        ),
        Step(
            code="keep_promise",
            zh="承认承诺未兑现，给出新的确定时间，并务必兑现。",
            en="Admit the broken promise, give a new firm time, and keep it.",
        ),
        Step(
            code="fix_first_time",
            zh="首问负责：指定专人，这一次务必彻底解决。",
            en="First-contact ownership: one named person fixes it completely this time.",
        ),
        Step(
            code="offer_remedy",
            zh="明确给出退款、退货或换货方案。",
            en="State the refund, return or exchange options clearly.",
        ),
        Step(
            code="verify_facts",
            zh="核实事实并保留证据，礼貌说明情况；不实投诉也要回复。",
            en="Verify the facts and keep evidence; reply politely even to an untrue complaint.",
        ),
        Step(
            code="follow_up",
            zh="解决后多次回访，热情坚持，争取买家修改评价。",
            en="Follow up several times after resolving; be warm and persistent.",
        ),
    )
}


class ComplaintPriority(BaseModel):
    """The priority of one open complaint.

    Attributes:
        complaint_id: The complaint (``review:<id>`` for a review not yet a complaint).
        level: ``P1`` (urgent) to ``P4`` (low).
        score: Points, 0..100.
        respond_by: The deadline: first response, or resolution once responded.
        overdue: True when ``as_of`` is past ``respond_by``.
        category: The category code (given, or inferred from the text).
        reasons: Why, largest contribution first.
        steps: The first steps to take.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    complaint_id: str
    customer_id: str
    opened_at: AwareDatetime
    level: Level
    score: Annotated[float, Field(ge=0.0, le=100.0)]
    respond_by: AwareDatetime
    overdue: bool
    category: str
    reasons: tuple[Reason, ...]
    steps: tuple[Step, ...]


class PriorityResult(ScoreResult):
    """A customer's open complaints, most urgent first.

    ``level``, ``score``, ``respond_by`` and ``overdue`` are those of the most
    urgent complaint; a customer with none is ``P4`` with score 0.
    """

    level: Level
    score: float
    respond_by: AwareDatetime | None
    overdue: bool
    complaints: tuple[ComplaintPriority, ...]


@dataclass(frozen=True, eq=False)
class PriorityArrays:
    """The kernel's answers, one row per complaint; points per input for reasons."""

    score: NDArray[np.float64]
    level: NDArray[np.int64]
    respond_by: NDArray[np.float64]
    overdue: NDArray[np.bool_]
    points: Mapping[str, NDArray[Any]]


def _level_of(
    score: NDArray[np.float64], safety: NDArray[np.bool_], config: PriorityConfig
) -> NDArray[np.int64]:
    level = np.full(score.shape, 3, dtype=np.int64)
    level[score >= config.p3] = 2
    level[score >= config.p2] = 1
    level[score >= config.p1] = 0
    level[safety] = 0  # safety first, whatever the points
    return level


def priority_kernel(
    features: ComplaintFeatures, as_of: float, config: PriorityConfig
) -> PriorityArrays:
    """The priority rule over columns: scores, levels, deadlines, no Python loop per row.

    Args:
        features: The complaints.
        as_of: Epoch seconds (UTC) of the moment to score at.
        config: Weights, thresholds and the SLA policy.

    Examples:
        >>> f = ComplaintFeatures.from_arrays(
        ...     complaint_ids=["q1", "q2"], customer_ids=["u1", "u2"], opened_at=[0.0, 0.0],
        ...     category=[3, 2], safety=[True, False], escalation=[False, False],
        ...     refund=[False, False], anger=[0.0, 0.0], public=[False, False],
        ...     repeats=[0, 0], promise_broken=[False, False], responded=[False, False],
        ...     customer_value=[0.0, 0.0])
        >>> [LEVELS[i] for i in priority_kernel(f, 3600.0, PriorityConfig()).level]
        ['P1', 'P4']
    """
    w = config.weights
    category_points = np.array([w.category[c] for c in CATEGORY_CODES])
    points: dict[str, NDArray[Any]] = {
        "category": category_points[features.category],
        "safety": features.safety * w.safety,
        "escalation": features.escalation * w.escalation,
        "refund": features.refund * w.refund,
        "anger": features.anger * w.anger,
        "public": features.public * w.public,
        "repeat": np.minimum(features.repeats, w.max_repeats) * w.repeat,
        "promise_broken": features.promise_broken * w.promise_broken,
        "customer_value": features.customer_value * w.customer_value,
        "responded": features.responded * -w.responded,
    }
    base = np.sum(list(points.values()), axis=0) if len(features) else np.zeros(0)
    targets = config.sla.targets
    first = np.array([targets[lv].first_response.total_seconds() for lv in LEVELS])
    resolve = np.array([targets[lv].resolution.total_seconds() for lv in LEVELS])
    base_level = _level_of(base, features.safety, config)
    target = np.where(features.responded, resolve[base_level], first[base_level])
    age = np.maximum(as_of - features.opened_at, 0.0)
    points["age"] = w.age * np.minimum(age / target, 1.0)
    untrue = features.category == CATEGORY_CODES.index("untrue")
    # Rounded so that the per-complaint and the queue paths sort ties identically.
    score = np.round(
        np.clip((base + points["age"]) * np.where(untrue, w.untrue_factor, 1.0), 0.0, 100.0), 6
    )
    level = _level_of(score, features.safety, config)
    due_in = np.where(features.responded, resolve[level], first[level])
    respond_by = add_business_seconds(features.opened_at, due_in, config.sla)
    return PriorityArrays(score, level, respond_by, as_of > respond_by, points)


_DIGITS = re.compile(r"\d{7,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _quote(text: str) -> str:
    """A span fit for a message: personal numbers and emails masked, kept short."""
    text = _EMAIL.sub("***@***", _DIGITS.sub(lambda m: m.group()[:3] + "****", text))
    return text if len(text) <= 40 else text[:39] + "…"


@dataclass(frozen=True)
class _Row:
    complaint: Complaint
    analysis: TextAnalysis
    category: str
    inferred: bool
    repeats: tuple[str, ...]


class ComplaintPriorityScorer(BaseScorer[PriorityConfig, PriorityResult]):
    """Priority P1..P4, a 0..100 score and a respond-by deadline for open complaints.

    Every open complaint of the customer as of ``as_of`` is scored, and so is
    every recent negative review (rating 3 or lower, within ``review_window``)
    that is not yet a complaint. The result's level is the most urgent one.
    Customer value comes from a loyalty result in ``upstream`` when present.

    Args:
        config: A `PriorityConfig`, a mapping, or keyword parameters.
        classifier: The text classifier (default: `custcare.text.LexiconClassifier`).

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> scorer = ComplaintPriorityScorer()
        >>> results = scorer.score_many(shop.histories, as_of=shop.as_of)
        >>> worst = min(results, key=lambda r: (r.level, -r.score))
        >>> worst.level in ("P1", "P2")
        True
    """

    name: ClassVar[str] = "complaint.priority"
    description: ClassVar[str] = (
        "Priority, deadline and first steps for each open complaint or negative review."
    )
    config_model = PriorityConfig
    traits: ClassVar[ScorerTraits] = ScorerTraits(uses=VALUE_SOURCES)

    def __init__(
        self,
        config: PriorityConfig | Mapping[str, Any] | None = None,
        *,
        classifier: TextClassifier | None = None,
        **params: Any,
    ) -> None:
        super().__init__(config, **params)
        self.classifier: TextClassifier = classifier or LexiconClassifier()

    def with_config(self, **update: Any) -> ComplaintPriorityScorer:
        """A new scorer with some parameters changed, keeping the classifier."""
        return type(self)(self.config, classifier=self.classifier, **update)

    def open_items(self, history: CustomerHistory, *, as_of: datetime) -> tuple[Complaint, ...]:
        """Open complaints plus recent negative reviews not yet complaints, as of a moment.

        ``history`` must already be cut at ``as_of`` (``history.until(as_of)``).
        """
        raised = {c.review_id for c in history.complaints if c.review_id}
        items = [c for c in history.complaints if c.is_open]
        for review in history.reviews:
            if (
                review.is_negative
                and review.id not in raised
                and as_of - review.posted_at <= self.config.review_window
            ):
                items.append(Complaint.from_review(review))
        return tuple(sorted(items, key=lambda c: (c.opened_at, c.id)))

    def features(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream | None = None
    ) -> tuple[ComplaintFeatures, tuple[_Row, ...]]:
        """Feature columns for a customer's open items (history already cut at as_of)."""
        items = self.open_items(history, as_of=as_of)
        analyses = self.classifier.classify_many([c.text for c in items])
        value, _ = customer_value(upstream or {})
        rows = []
        for c, analysis in zip(items, analyses, strict=True):
            inferred = c.category is None
            category = analysis.top_category if inferred else str(c.category)
            earlier = tuple(
                o.id
                for o in history.complaints
                if o.order_id is not None
                and o.order_id == c.order_id
                and o.opened_at < c.opened_at
                and o.id != c.id
            )
            rows.append(_Row(c, analysis, category, inferred, earlier))
        features = ComplaintFeatures.from_arrays(
            complaint_ids=[r.complaint.id for r in rows],
            customer_ids=[history.customer.id] * len(rows),
            opened_at=[to_epoch_seconds(r.complaint.opened_at) for r in rows],
            category=[CATEGORY_CODES.index(r.category) for r in rows],
            safety=[bool(r.analysis.signals.get("safety")) for r in rows],
            escalation=[bool(r.analysis.signals.get("escalation")) for r in rows],
            refund=[bool(r.analysis.signals.get("refund")) for r in rows],
            anger=[_anger(r.analysis) for r in rows],
            public=[r.complaint.channel.is_public for r in rows],
            repeats=[len(r.repeats) + r.complaint.reopened for r in rows],
            promise_broken=[
                r.complaint.promised_by is not None and r.complaint.promised_by < as_of
                for r in rows
            ],
            responded=[r.complaint.first_response_at is not None for r in rows],
            customer_value=[value] * len(rows),
        )
        return features, tuple(rows)

    def _score(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream
    ) -> PriorityResult:
        features, rows = self.features(history, as_of=as_of, upstream=upstream)
        arrays = priority_kernel(features, to_epoch_seconds(as_of), self.config)
        _, value_source = customer_value(upstream)
        zone = self.config.sla.zone
        items = []
        for i, row in enumerate(rows):
            reasons = self._reasons(row, arrays, i, as_of, value_source, features)
            items.append(
                ComplaintPriority(
                    complaint_id=row.complaint.id,
                    customer_id=history.customer.id,
                    opened_at=row.complaint.opened_at,
                    level=LEVELS[int(arrays.level[i])],
                    score=float(arrays.score[i]),
                    respond_by=datetime.fromtimestamp(
                        float(arrays.respond_by[i]), tz=timezone.utc
                    ).astimezone(zone),
                    overdue=bool(arrays.overdue[i]),
                    category=row.category,
                    reasons=reasons,
                    steps=self._steps(row, features, i, as_of),
                )
            )
        items.sort(key=lambda p: (p.level, -p.score, p.opened_at, p.complaint_id))
        if not items:
            return PriorityResult(
                scorer=self.name,
                customer_id=history.customer.id,
                as_of=as_of,
                level="P4",
                score=0.0,
                respond_by=None,
                overdue=False,
                complaints=(),
                reasons=(
                    Reason(
                        code="complaint.none_open",
                        message="No open complaint or recent negative review.",
                        weight=1.0,
                    ),
                ),
            )
        top = items[0]
        return PriorityResult(
            scorer=self.name,
            customer_id=history.customer.id,
            as_of=as_of,
            level=top.level,
            score=top.score,
            respond_by=top.respond_by,
            overdue=top.overdue,
            complaints=tuple(items),
            reasons=top.reasons,
        )

    def _reasons(
        self,
        row: _Row,
        arrays: PriorityArrays,
        i: int,
        as_of: datetime,
        value_source: str | None,
        features: ComplaintFeatures,
    ) -> tuple[Reason, ...]:
        c, a = row.complaint, row.analysis
        ev = (c.review_id or c.id,) if c.review_id and c.id.startswith("review:") else (c.id,)
        pts = {k: float(v[i]) for k, v in arrays.points.items()}
        positive = sum(v for v in pts.values() if v > 0) or 1.0

        def spans(signal: str) -> str:
            found = a.signals.get(signal, ())
            return ", ".join(f"“{_quote(s.text)}”" for s in found[:3])

        label = (
            ComplaintCategory(row.category).label_en if row.category != "none" else "no category"
        )
        how = "inferred from the text" if row.inferred else "as recorded"
        hours = max((as_of - c.opened_at).total_seconds(), 0.0) / 3600.0
        promised = c.promised_by.isoformat() if c.promised_by is not None else ""
        # (points key or None for a zero-weight note, code, shown when, message, extra evidence)
        table: tuple[tuple[str | None, str, bool, str, tuple[str, ...]], ...] = (
            (
                "category",
                "complaint.category",
                True,
                f"Category {row.category} ({label}), {how}.",
                (),
            ),
            (
                "safety",
                "complaint.safety",
                bool(pts["safety"]),
                f"Safety concern: {spans('safety')}. Safety comes first.",
                (),
            ),
            (
                "escalation",
                "complaint.escalation",
                bool(pts["escalation"]),
                f"Threatens to escalate: {spans('escalation')}.",
                (),
            ),
            (
                "refund",
                "complaint.refund",
                bool(pts["refund"]),
                f"Demands a refund or return: {spans('refund')}.",
                (),
            ),
            (
                "anger",
                "complaint.anger",
                bool(pts["anger"]),
                f"Angry wording ({float(features.anger[i]):.0%}).",
                (),
            ),
            (
                "public",
                "complaint.public",
                bool(pts["public"]),
                "Public review: other buyers see it; one complaint stands for about 52 "
                "customers' business.",
                (),
            ),
            (
                "repeat",
                "complaint.repeat",
                bool(pts["repeat"]),
                f"Not fixed the first time: {int(features.repeats[i])} earlier complaint(s) or "
                "reopening(s) on the same matter.",
                row.repeats,
            ),
            (
                "promise_broken",
                "complaint.promise_broken",
                bool(pts["promise_broken"]),
                f"The promised time {promised} has passed.",
                (),
            ),
            (
                "customer_value",
                "complaint.customer_value",
                bool(pts["customer_value"]),
                f"Valuable customer ({float(features.customer_value[i]):.0%} by {value_source}).",
                (),
            ),
            ("age", "complaint.age", True, f"Open for {hours:.1f} h against its SLA target.", ()),
            (
                "responded",
                "complaint.responded",
                bool(pts["responded"]),
                "A first response was already given; the deadline is now for resolution.",
                (),
            ),
            (
                None,
                "complaint.untrue",
                row.category == "untrue",
                "Judged untrue: priority lowered, but it stays in the queue and gets a reply.",
                (),
            ),
            (
                None,
                "complaint.overdue",
                bool(arrays.overdue[i]),
                "Past its respond-by deadline.",
                (),
            ),
        )
        out = [
            Reason(
                code=code,
                message=message,
                weight=0.0 if key is None else round(min(abs(pts[key]) / positive, 1.0), 6),
                evidence=(*ev, *extra),
            )
            for key, code, shown, message, extra in table
            if shown
        ]
        return tuple(sorted(out, key=lambda r: -r.weight))

    def _steps(
        self, row: _Row, features: ComplaintFeatures, i: int, as_of: datetime
    ) -> tuple[Step, ...]:
        c = row.complaint
        codes = []
        if features.safety[i]:
            codes.append("safety_first")
        codes.append("feeling_first")
        if c.channel.is_public and as_of - c.opened_at <= self.config.fresh_review:
            codes.append("call_now")
        if features.escalation[i]:
            codes.append("senior_owner")
        if features.promise_broken[i]:
            codes.append("keep_promise")
        if features.repeats[i] or row.category == "not_fixed_first_time":
            codes.append("fix_first_time")
        if features.refund[i]:
            codes.append("offer_remedy")
        if row.category == "untrue":
            codes.append("verify_facts")
        codes.append("follow_up")
        return tuple(_STEPS[code] for code in codes)


def _anger(analysis: TextAnalysis) -> float:
    value = getattr(analysis, "anger_intensity", None)
    if isinstance(value, float | int):
        return float(min(max(value, 0.0), 1.0))
    return 1.0 if analysis.signals.get("anger") else 0.0
