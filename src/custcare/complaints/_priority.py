"""The ``complaint.priority`` scorer: which complaint first, by when, and what to do.

The rule is additive points (documented in ``docs/reference/complaints.md``), then
a level from the points, then a respond-by deadline from the level's SLA target.
One vectorised kernel serves one complaint and a queue of 100,000, and one columnar
path (`ComplaintPriorityScorer.score_batch`) finds every customer's open items in a
`custcare.batch.CustomerBatch` and its `custcare.batch.CareRecords`; the
per-customer `score` is a one-row view of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Annotated, Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from custcare.batch import CustomerBatch, from_histories, to_epoch_seconds
from custcare.batch._records import CareRecords
from custcare.complaints._features import CATEGORY_CODES, ComplaintFeatures
from custcare.complaints._sla import LEVELS, Level, SLAPolicy, add_business_seconds
from custcare.errors import CustcareUsageError
from custcare.loyalty import VALUE_SOURCES, customer_value, customer_value_columns
from custcare.models import AwareDatetime, Complaint, ComplaintCategory, CustomerHistory
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
from custcare.text import (
    NONE,
    CombinedClassifier,
    LexiconClassifier,
    Span,
    TextAnalysis,
    TextClassifier,
)

__all__ = [
    "ComplaintPriority",
    "ComplaintPriorityScorer",
    "PriorityArrays",
    "PriorityConfig",
    "PriorityItems",
    "PriorityResult",
    "PriorityScores",
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

    The batch path gives `batch_columns`: the level, score, deadline (as epoch
    seconds, ``respond_by_epoch``) and overdue flag of the most urgent item, the
    number of open items, and that item's id and category with its labels.
    """

    batch_columns: ClassVar[tuple[str, ...]] = (
        "level",
        "score",
        "respond_by_epoch",
        "overdue",
        "open_items",
        "top_complaint_id",
        "category",
        "category_zh",
        "category_en",
    )

    level: Level
    score: float
    respond_by: AwareDatetime | None
    overdue: bool
    complaints: tuple[ComplaintPriority, ...]

    @property
    def respond_by_epoch(self) -> float | None:
        """``respond_by`` as epoch seconds (UTC); None without an open item."""
        return None if self.respond_by is None else self.respond_by.timestamp()

    @property
    def open_items(self) -> int:
        """How many open items (complaints and recent negative reviews) the customer has."""
        return len(self.complaints)

    @property
    def top_complaint_id(self) -> str:
        """The id of the most urgent item, ``""`` without one."""
        return self.complaints[0].complaint_id if self.complaints else ""

    @property
    def category(self) -> str:
        """The category code of the most urgent item, ``""`` without one."""
        return self.complaints[0].category if self.complaints else ""

    @property
    def category_zh(self) -> str:
        """The Chinese label of that category (``无类别`` for ``none``), ``""`` without one."""
        return _category_labels(self.category)[0] if self.complaints else ""

    @property
    def category_en(self) -> str:
        """The English label of that category, ``""`` without an item."""
        return _category_labels(self.category)[1] if self.complaints else ""


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
    base = np.zeros(len(features))
    for value in points.values():  # added in a fixed order: one row or many, the same sum
        base = base + value
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


_CITED_TERMS = 3  # distinct lexicon terms a reason names
_LOOKED_AT = 12  # spans a reason looks at to find them


def _cited(spans: Sequence[Span], record: str, term_of: Callable[[str], str | None] | None) -> str:
    """Where a signal was found, never in the customer's words: lexicon terms and the record.

    Up to `_CITED_TERMS` distinct terms among the first `_LOOKED_AT` spans, each
    looked up once (linear in the span); spans of a classifier without a lexicon are
    cited by their character offsets.
    """
    terms: list[str] = []
    if term_of is not None:
        for span in spans[:_LOOKED_AT]:
            term = term_of(span.text)
            if term is not None and term not in terms:
                terms.append(term)
                if len(terms) == _CITED_TERMS:
                    break
    if terms:
        quoted = ", ".join(f"“{t}”" for t in terms)
        return f"lexicon term{'s' if len(terms) > 1 else ''} {quoted} in {record}"
    places = ", ".join(f"{s.start}-{s.end}" for s in spans[:_CITED_TERMS])
    return f"characters {places} of {record}"


_REASON_TABLE: tuple[tuple[str | None, str], ...] = (
    # (points key, or None for a note without weight; reason code), in table order
    ("category", "complaint.category"),
    ("safety", "complaint.safety"),
    ("escalation", "complaint.escalation"),
    ("refund", "complaint.refund"),
    ("anger", "complaint.anger"),
    ("public", "complaint.public"),
    ("repeat", "complaint.repeat"),
    ("promise_broken", "complaint.promise_broken"),
    ("customer_value", "complaint.customer_value"),
    ("age", "complaint.age"),
    ("responded", "complaint.responded"),
    (None, "complaint.untrue"),
    (None, "complaint.overdue"),
)
_REASON_NAMES = tuple(code for _, code in _REASON_TABLE)
_REASON_CODES = np.array(_REASON_NAMES, dtype=np.str_)
_REPEAT = [code for _, code in _REASON_TABLE].index("complaint.repeat")
_UNTRUE = CATEGORY_CODES.index("untrue")
_NOT_FIXED = CATEGORY_CODES.index("not_fixed_first_time")
_REVIEW_PREFIX = "review:"


@dataclass(frozen=True, eq=False)
class PriorityItems:
    """Every open item of a population (complaint, or recent negative review) as columns.

    Rows are in customer, then opening time, then id order.

    Attributes:
        customer_row: ``(k,)`` the row of the item's customer in the batch.
        features: The items' feature columns (what `priority_kernel` reads).
        arrays: The kernel's answers: score, level, respond-by, overdue, points.
    """

    customer_row: NDArray[np.int64]
    features: ComplaintFeatures
    arrays: PriorityArrays

    def __len__(self) -> int:
        return int(self.customer_row.shape[0])


@dataclass(frozen=True, eq=False)
class PriorityScores(BatchScores):
    """`ComplaintPriorityScorer.score_batch` output: one row per customer, plus every item.

    Columns are those of `PriorityResult.batch_columns` (the most urgent item's);
    `items` holds every open item as columns, so `custcare.complaints.rank_features`
    and `custcare.complaints.rank_queue` rank a whole population's work queue from
    them, and `item` builds one item's full `ComplaintPriority`.
    """

    items: PriorityItems | None = None
    explain_item: Callable[[int], ComplaintPriority] | None = field(default=None, repr=False)

    def item(self, k: int) -> ComplaintPriority:
        """Item ``k``'s full `ComplaintPriority` (reasons and first steps included).

        Raises:
            CustcareUsageError: if these scores carry no items.
        """
        if self.items is None or self.explain_item is None:
            raise CustcareUsageError(
                f"{self.scorer}: these batch scores carry no complaint items", code="bad_argument"
            )
        if not 0 <= k < len(self.items):
            raise IndexError(f"item {k} is outside 0..{len(self.items) - 1}")
        return self.explain_item(k)


@dataclass(frozen=True, eq=False)
class _Open:
    """The open items as selected from the records (before any text is read)."""

    row: NDArray[np.int64]
    ids: NDArray[np.str_]
    opened: NDArray[np.float64]
    is_review: NDArray[np.bool_]
    source: NDArray[np.int64]  # the row in the complaint (or review) table


@dataclass(frozen=True, eq=False)
class _Facts:
    """What a row's result needs beyond the kernel: texts, repeats, reasons' order."""

    items: PriorityItems
    open: _Open
    analyses: list[TextAnalysis]
    text_of: NDArray[np.int64]  # item -> its analysis
    inferred: NDArray[np.bool_]
    evidence: NDArray[np.str_]  # the record each item's reasons cite first
    repeats: Ragged  # earlier complaints on the same order, per item
    promised: NDArray[np.float64]
    weight: NDArray[np.float64]  # (k, 13) the reasons' weights, in table order
    order: NDArray[np.int64]  # (k, 13) the reasons in the order given (shown first)
    shown: NDArray[np.int64]  # (k,) how many reasons are given
    by_row: NDArray[np.int64]  # items in queue order within each customer
    row_start: NDArray[np.int64]  # (n + 1,) offsets into by_row
    value_source: NDArray[np.str_]
    records_known: bool


class ComplaintPriorityScorer(BaseScorer[PriorityConfig, PriorityResult]):
    """Priority P1..P4, a 0..100 score and a respond-by deadline for open complaints.

    Every open complaint of the customer as of ``as_of`` is scored, and so is
    every recent negative review (rating 3 or lower, within ``review_window``)
    that is not yet a complaint. The result's level is the most urgent one.
    Customer value comes from a loyalty result in ``upstream`` when present.

    One columnar path scores every customer's items at once (`score_batch`, over a
    `custcare.batch.CustomerBatch` and its `custcare.batch.CareRecords`); `score`
    is a one-row view of it. Text is classified once per distinct text. Times in
    results are shown in the SLA policy's time zone.

    Args:
        config: A `PriorityConfig`, a mapping, or keyword parameters.
        classifier: The text classifier (default: `custcare.text.CombinedClassifier`,
            the lexicon with the learned model).

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
    traits: ClassVar[ScorerTraits] = ScorerTraits(batch=True, uses=VALUE_SOURCES)

    def __init__(
        self,
        config: PriorityConfig | Mapping[str, Any] | None = None,
        *,
        classifier: TextClassifier | None = None,
        **params: Any,
    ) -> None:
        super().__init__(config, **params)
        self.classifier: TextClassifier = classifier or CombinedClassifier()

    def with_config(self, **update: Any) -> ComplaintPriorityScorer:
        """A new scorer with some parameters changed, keeping the classifier."""
        return type(self)(self.config, classifier=self.classifier, **update)

    # --- views of one history -------------------------------------------------------------

    def open_items(self, history: CustomerHistory, *, as_of: datetime) -> tuple[Complaint, ...]:
        """Open complaints plus recent negative reviews not yet complaints, as of a moment.

        ``history`` must already be cut at ``as_of`` (``history.until(as_of)``).
        Items come in opening time, then id order.
        """
        batch = from_histories([history])
        found = self._open(_records(batch), to_epoch_seconds(as_of))
        return self._complaints(history, found)

    def features(
        self, history: CustomerHistory, *, as_of: datetime, upstream: Upstream | None = None
    ) -> tuple[ComplaintFeatures, tuple[Complaint, ...]]:
        """Feature columns for a customer's open items, and the items (history already cut).

        Row ``k`` of the features is item ``k`` of `open_items`.
        """
        batch = from_histories([history])
        facts = self._facts(batch, as_of, _Inputs.of_results(upstream or {}))
        return facts.items.features, self._complaints(history, facts.open)

    def _complaints(self, history: CustomerHistory, found: _Open) -> tuple[Complaint, ...]:
        complaints = {c.id: c for c in history.complaints}
        reviews = {r.id: r for r in history.reviews}
        return tuple(
            Complaint.from_review(reviews[str(i).removeprefix(_REVIEW_PREFIX)])
            if review
            else complaints[str(i)]
            for i, review in zip(found.ids, found.is_review, strict=True)
        )

    # --- the one columnar path; the per-customer path is a one-row view of it ----------

    def score_batch(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores | None = None
    ) -> PriorityScores:
        """Every customer's open items at once, from the batch's columns and records.

        Gives the same values as `score` for the `PriorityResult.batch_columns`
        (``respond_by_epoch`` in epoch seconds, NaN without an item), reason codes
        and evidence as columns, `BatchScores.result` builds any row's full
        `PriorityResult`, and `PriorityScores.items` holds every item for the
        work queue. Customer value comes from loyalty batch scores in ``upstream``
        (`custcare.scoring.CustomerValueScores`).

        A batch without records (built with `CustomerBatch.from_arrays`) holds no
        complaints or reviews: every row is ``P4`` with the reason
        ``complaint.no_records`` (not ``complaint.none_open``: nothing is known).

        Raises:
            CustcareUsageError: if upstream scores are for other customers.

        Examples:
            >>> from custcare.batch import from_histories
            >>> from custcare.datasets import sample_shop
            >>> shop = sample_shop()
            >>> scorer = ComplaintPriorityScorer()
            >>> scores = scorer.score_batch(from_histories(shop.histories), as_of=shop.as_of)
            >>> scores.result(1) == scorer.score(shop.histories[1], as_of=shop.as_of)
            True
            >>> scores.row("C0002")["level"], scores.reasons.codes_of(1)[0]
            ('P1', 'complaint.safety')
        """
        scores = super().score_batch(batch, as_of=as_of, upstream=upstream)
        assert isinstance(scores, PriorityScores)
        return scores

    def _scores_upstream(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: UpstreamScores
    ) -> PriorityScores:
        """The batch path on a batch cut at ``as_of``, reading other scorers' batch scores."""
        return self._scores_with(batch, as_of, _Inputs.of_scores(upstream, batch, self.name))

    def _scores_rows(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: Sequence[Upstream]
    ) -> PriorityScores:
        """The batch path given each row's upstream results (the per-customer paths)."""
        return self._scores_with(batch, as_of, _Inputs.of_rows(upstream))

    def _open(self, rec: CareRecords, now: float) -> _Open:
        """Open complaints, and negative reviews of the window not raised as complaints."""
        q = np.flatnonzero(rec.complaint_open)
        raised = rec.complaint_review_id != ""
        names, code = np.unique(
            np.concatenate([rec.review_ids, rec.complaint_review_id[raised]]).astype(np.str_),
            return_inverse=True,
        )
        span = np.int64(max(names.size, 1))
        r_pair = rec.review_customer * span + code[: rec.review_ids.size]
        q_pair = rec.complaint_customer[raised] * span + code[rec.review_ids.size :]
        window = self.config.review_window.total_seconds()
        r = np.flatnonzero(
            rec.review_negative
            & ~(np.isin(r_pair, q_pair) if q_pair.size else False)
            & (now - rec.review_posted <= window)
        )
        row = np.concatenate([rec.complaint_customer[q], rec.review_customer[r]])
        ids = np.concatenate(
            [rec.complaint_ids[q], np.char.add(_REVIEW_PREFIX, rec.review_ids[r].astype(np.str_))]
        ).astype(np.str_)
        opened = np.concatenate([rec.complaint_opened[q], rec.review_posted[r]])
        is_review = np.r_[np.zeros(q.size, dtype=np.bool_), np.ones(r.size, dtype=np.bool_)]
        source = np.concatenate([q, r]).astype(np.int64)
        order = np.lexsort((ids, opened, row))
        return _Open(row[order], ids[order], opened[order], is_review[order], source[order])

    def _facts(self, batch: CustomerBatch, as_of: datetime, inputs: _Inputs) -> _Facts:
        """The items of every row of a batch cut at ``as_of``: features, kernel, reasons."""
        cfg = self.config
        n = batch.n_customers
        now = to_epoch_seconds(as_of)
        rec = _records(batch)
        found = self._open(rec, now)
        k = found.row.size
        rv, q = found.is_review, ~found.is_review
        qs, rs = found.source[q], found.source[rv]

        def pick(complaint: NDArray[Any], review: NDArray[Any] | Any) -> NDArray[Any]:
            kind = np.result_type(complaint, review) if isinstance(review, np.ndarray) else None
            out = np.empty(k, dtype=kind or complaint.dtype)
            out[q] = complaint[qs]
            out[rv] = review[rs] if isinstance(review, np.ndarray) else review
            return out

        text = pick(rec.complaint_text, rec.review_text)
        order_id = pick(rec.complaint_order_id, rec.review_order_id)
        given = pick(rec.complaint_category, -1)
        public = pick(rec.complaint_public, True)
        reopened = pick(rec.complaint_reopened, 0)
        responded = ~np.isnan(pick(rec.complaint_first_response, rec.review_replied))
        promised = pick(rec.complaint_promised_by, np.nan)
        review_id = pick(rec.complaint_review_id, rec.review_ids.astype(np.str_))
        cites_review = (review_id != "") & np.char.startswith(found.ids, _REVIEW_PREFIX)
        evidence = np.where(cites_review, review_id, found.ids).astype(np.str_)

        analyses, text_of = _classify(self.classifier, text)
        top_code = np.array(
            [CATEGORY_CODES.index(a.top_category) for a in analyses], dtype=np.int64
        )
        inferred = given < 0
        category = np.where(inferred, top_code[text_of] if analyses else 0, given)

        def signal(code: str) -> NDArray[np.bool_]:
            has = np.array([bool(a.signals.get(code)) for a in analyses], dtype=np.bool_)
            return has[text_of] if analyses else np.zeros(k, dtype=np.bool_)

        anger = np.array([_anger(a) for a in analyses], dtype=np.float64)
        repeats = _earlier(rec, found, order_id)
        with np.errstate(invalid="ignore"):
            broken = promised < now
        features = ComplaintFeatures(
            **{
                name: _frozen(np.asarray(value))
                for name, value in {
                    "complaint_ids": found.ids,
                    "customer_ids": batch.customer_ids[found.row],
                    "opened_at": found.opened,
                    "category": category.astype(np.int64),
                    "safety": signal("safety"),
                    "escalation": signal("escalation"),
                    "refund": signal("refund"),
                    "anger": anger[text_of] if analyses else np.zeros(k),
                    "public": public.astype(np.bool_),
                    "repeats": (np.diff(repeats.offsets) + reopened).astype(np.int64),
                    "promise_broken": broken,
                    "responded": responded,
                    "customer_value": inputs.value[found.row],
                }.items()
            }
        )
        arrays = priority_kernel(features, now, cfg)
        weight, order, shown = _reason_order(features, arrays)
        queue = np.lexsort((found.ids, found.opened, -arrays.score, arrays.level, found.row))
        row_start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(found.row, minlength=n), out=row_start[1:])
        return _Facts(
            items=PriorityItems(found.row, features, arrays),
            open=found,
            analyses=analyses,
            text_of=text_of,
            inferred=inferred,
            evidence=evidence,
            repeats=repeats,
            promised=promised,
            weight=weight,
            order=order,
            shown=shown,
            by_row=queue.astype(np.int64),
            row_start=row_start,
            value_source=inputs.value_source,
            records_known=batch.records is not None,
        )

    def _scores_with(
        self, batch: CustomerBatch, as_of: datetime, inputs: _Inputs
    ) -> PriorityScores:
        """Columns, reasons, per-row results and items of a batch already cut at ``as_of``."""
        n = batch.n_customers
        f = self._facts(batch, as_of, inputs)
        arrays, feats = f.items.arrays, f.items.features
        has = np.diff(f.row_start) > 0
        top = np.full(n, -1, dtype=np.int64)
        top[has] = f.by_row[f.row_start[:-1][has]]
        t = top[has]
        rows = np.flatnonzero(has)
        slots = [
            ReasonSlot("complaint.none_open", ~has & f.records_known),
            ReasonSlot("complaint.no_records", not f.records_known),
        ]
        # Every reason of an item cites the item; the repeat reason also the earlier ones.
        # One pool for every slot, the items' ids then earlier complaints' ids, so a
        # record cited by two reasons is one position.
        pool, at = np.unique(
            np.concatenate([f.evidence, f.repeats.pool]).astype(np.str_), return_inverse=True
        )
        pool.flags.writeable = False
        at = at.reshape(-1)
        cited = Ragged.cite(rows, at[t], pool, n)
        repeat_rows = np.repeat(np.arange(len(f.items)), np.diff(f.repeats.offsets))
        owner = np.full(len(f.items), -1, dtype=np.int64)
        owner[t] = rows
        for j in range(int(f.shown[t].max(initial=0))):  # as many as the longest row needs
            kind = f.order[t, j]
            code = np.zeros(n, dtype=np.int64)  # the top item's j-th reason, per row
            code[rows] = kind
            present = np.zeros(n, dtype=np.bool_)
            present[rows] = f.shown[t] > j
            cites_repeats = np.zeros(len(f.items), dtype=np.bool_)
            cites_repeats[t[(kind == _REPEAT) & (f.shown[t] > j)]] = True
            more = cites_repeats[repeat_rows]
            evidence = cited
            if more.any():
                evidence = Ragged.cite(
                    np.concatenate([rows, owner[repeat_rows[more]]]),
                    at[np.concatenate([t, f.evidence.size + f.repeats.index[more]])],
                    pool,
                    n,
                )
            slots.append(ReasonSlot(_REASON_NAMES, present, evidence, index=code))
        reasons = ReasonColumns.build(n, slots)

        def top_of(values: NDArray[Any], empty: Any) -> NDArray[Any]:
            out = np.full(n, empty, dtype=values.dtype if values.dtype.kind != "U" else object)
            out[has] = values[t]
            return out

        category = np.array(CATEGORY_CODES, dtype=np.str_)[feats.category]
        labels = np.array([_category_labels(c) for c in CATEGORY_CODES], dtype=np.str_)
        level = np.full(n, len(LEVELS) - 1, dtype=np.int64)
        level[has] = arrays.level[t]
        columns: dict[str, NDArray[Any]] = {
            "level": np.array(LEVELS, dtype=np.str_)[level],
            "score": top_of(arrays.score, 0.0),
            "respond_by_epoch": top_of(arrays.respond_by, np.nan),
            "overdue": top_of(arrays.overdue, False),
            "open_items": np.diff(f.row_start),
            "top_complaint_id": top_of(feats.complaint_ids, "").astype(np.str_),
            "category": top_of(category, "").astype(np.str_),
            "category_zh": top_of(labels[feats.category, 0], "").astype(np.str_),
            "category_en": top_of(labels[feats.category, 1], "").astype(np.str_),
        }
        scores = PriorityScores.build(
            self.name,
            batch.customer_ids,
            columns,
            reasons=reasons,
            as_of=as_of,
            explain=lambda i: self._result(batch, f, i, as_of),
        )
        return replace(scores, items=f.items, explain_item=lambda k: self._item(batch, f, k, as_of))

    def _result(self, batch: CustomerBatch, f: _Facts, i: int, as_of: datetime) -> PriorityResult:
        """Row ``i``'s result: its items in queue order, the first one's reasons."""
        customer = str(batch.customer_ids[i])
        mine = f.by_row[f.row_start[i] : f.row_start[i + 1]]
        if mine.size == 0:
            known = f.records_known
            return PriorityResult(
                scorer=self.name,
                customer_id=customer,
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
                    )
                    if known
                    else Reason(
                        code="complaint.no_records",
                        message="The batch carries no complaints or reviews (built from "
                        "arrays without records): no item could be ranked.",
                        weight=1.0,
                    ),
                ),
            )
        items = tuple(self._item(batch, f, int(k), as_of) for k in mine)
        first = items[0]
        return PriorityResult(
            scorer=self.name,
            customer_id=customer,
            as_of=as_of,
            level=first.level,
            score=first.score,
            respond_by=first.respond_by,
            overdue=first.overdue,
            complaints=items,
            reasons=first.reasons,
        )

    def _item(self, batch: CustomerBatch, f: _Facts, k: int, as_of: datetime) -> ComplaintPriority:
        """Item ``k``'s priority, reasons and first steps."""
        cfg = self.config
        zone = cfg.sla.zone
        arrays, feats = f.items.arrays, f.items.features
        opened = _moment(float(feats.opened_at[k]), zone)
        category = CATEGORY_CODES[int(feats.category[k])]
        return ComplaintPriority(
            complaint_id=str(feats.complaint_ids[k]),
            customer_id=str(feats.customer_ids[k]),
            opened_at=opened,
            level=LEVELS[int(arrays.level[k])],
            score=float(arrays.score[k]),
            respond_by=_moment(float(arrays.respond_by[k]), zone),
            overdue=bool(arrays.overdue[k]),
            category=category,
            reasons=self._reasons(f, k, opened, as_of, category),
            steps=self._steps(f, k, opened, as_of, category),
        )

    def _reasons(
        self, f: _Facts, k: int, opened: datetime, as_of: datetime, category: str
    ) -> tuple[Reason, ...]:
        feats = f.items.features
        analysis = f.analyses[int(f.text_of[k])]
        ev = (str(f.evidence[k]),)
        repeats = f.repeats.row(k)

        clf = self.classifier
        term_of = clf.term_of if isinstance(clf, LexiconClassifier | CombinedClassifier) else None
        cut = analysis.truncated_at  # a text longer than the classifier reads
        read = "" if cut is None else f" (text read up to character {cut:,})"
        text = "the text" if cut is None else f"the first {cut:,} characters of the text"

        def spans(signal: str) -> str:
            return _cited(analysis.signals.get(signal, ()), ev[0], term_of) + read

        label = _category_labels(category)[1] if category != NONE else "no category"
        how = f"inferred from {text}" if f.inferred[k] else "as recorded"
        hours = max((as_of - opened).total_seconds(), 0.0) / 3600.0
        promised = (
            ""
            if np.isnan(f.promised[k])
            else _moment(float(f.promised[k]), opened.tzinfo).isoformat()
        )
        row = int(f.items.customer_row[k])
        messages = {
            "complaint.category": f"Category {category} ({label}), {how}.",
            "complaint.safety": f"Safety concern: {spans('safety')}. Safety comes first.",
            "complaint.escalation": f"Threatens to escalate: {spans('escalation')}.",
            "complaint.refund": f"Demands a refund or return: {spans('refund')}.",
            "complaint.anger": f"Angry wording ({float(feats.anger[k]):.0%}){read}.",
            "complaint.public": "Public review: other buyers see it; one complaint stands for "
            "about 52 customers' business.",
            "complaint.repeat": f"Not fixed the first time: {int(feats.repeats[k])} earlier "
            "complaint(s) or reopening(s) on the same matter.",
            "complaint.promise_broken": f"The promised time {promised} has passed.",
            "complaint.customer_value": f"Valuable customer ({float(feats.customer_value[k]):.0%} "
            f"by {f.value_source[row]}).",
            "complaint.age": f"Open for {hours:.1f} h against its SLA target.",
            "complaint.responded": "A first response was already given; the deadline is now for "
            "resolution.",
            "complaint.untrue": "Judged untrue: priority lowered, but it stays in the queue and "
            "gets a reply.",
            "complaint.overdue": "Past its respond-by deadline.",
        }
        return tuple(
            Reason(
                code=str(_REASON_CODES[j]),
                message=messages[str(_REASON_CODES[j])],
                weight=float(f.weight[k, j]),
                evidence=(*ev, *repeats) if j == _REPEAT else ev,
            )
            for j in (int(x) for x in f.order[k, : f.shown[k]])
        )

    def _steps(
        self, f: _Facts, k: int, opened: datetime, as_of: datetime, category: str
    ) -> tuple[Step, ...]:
        feats = f.items.features
        codes = []
        if feats.safety[k]:
            codes.append("safety_first")
        codes.append("feeling_first")
        if feats.public[k] and as_of - opened <= self.config.fresh_review:
            codes.append("call_now")
        if feats.escalation[k]:
            codes.append("senior_owner")
        if feats.promise_broken[k]:
            codes.append("keep_promise")
        if feats.repeats[k] or category == "not_fixed_first_time":
            codes.append("fix_first_time")
        if feats.refund[k]:
            codes.append("offer_remedy")
        if category == "untrue":
            codes.append("verify_facts")
        codes.append("follow_up")
        return tuple(_STEPS[code] for code in codes)


# --- columns helpers ---------------------------------------------------------------------


def _frozen(arr: NDArray[Any]) -> NDArray[Any]:
    arr = np.array(arr, copy=True)
    arr.flags.writeable = False
    return arr


def _records(batch: CustomerBatch) -> CareRecords:
    return batch.records if batch.records is not None else CareRecords.empty(batch.n_customers)


def _moment(seconds: float, zone: tzinfo | None) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).astimezone(zone)


def _category_labels(code: str) -> tuple[str, str]:
    """Chinese and English label of a category code (``none``: no category)."""
    if code == NONE:
        return ("无类别", "No category")
    category = ComplaintCategory(code)
    return (category.label_zh, category.label_en)


def _classify(
    classifier: TextClassifier, texts: NDArray[Any]
) -> tuple[list[TextAnalysis], NDArray[np.int64]]:
    """The analysis of each distinct text (classified once), and each text's index into it."""
    if texts.size == 0:
        return [], np.empty(0, dtype=np.int64)
    unique, inverse = np.unique(texts, return_inverse=True)
    return classifier.classify_many([str(t) for t in unique]), inverse.reshape(-1)


def _earlier(rec: CareRecords, found: _Open, order_id: NDArray[np.str_]) -> Ragged:
    """Per item, the complaints on the same order opened before it, in record order."""
    k = found.row.size
    named = rec.complaint_order_id != ""
    asks = order_id != ""
    if not (named.any() and asks.any()):
        return Ragged.empty(k)
    names, code = np.unique(
        np.concatenate([rec.complaint_order_id[named], order_id[asks]]).astype(np.str_),
        return_inverse=True,
    )
    span = np.int64(max(names.size, 1))
    m = int(named.sum())
    _, group = np.unique(
        np.concatenate([rec.complaint_customer[named], found.row[asks]]) * span + code,
        return_inverse=True,
    )
    moments, moment = np.unique(
        np.concatenate([rec.complaint_opened[named], found.opened[asks]]), return_inverse=True
    )
    step = np.int64(moments.size + 1)
    key = group * step + moment
    c_key, q_key = key[:m], key[m:]
    ids = rec.complaint_ids[named]
    order = np.lexsort((ids, c_key))
    where = np.flatnonzero(named)[order]  # positions in rec.complaint_ids
    c_sorted = c_key[order]
    lo = np.searchsorted(c_sorted, group[m:] * step, side="left")
    hi = np.searchsorted(c_sorted, q_key, side="left")
    counts = np.zeros(k, dtype=np.int64)
    counts[asks] = hi - lo
    offsets = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    starts = np.zeros(k, dtype=np.int64)
    starts[asks] = lo
    within = np.arange(offsets[-1]) - np.repeat(offsets[:-1], counts)
    positions = where[np.repeat(starts, counts) + within].astype(np.int64)
    return Ragged(_frozen(offsets), _frozen(positions), rec.complaint_ids)


def _reason_order(
    features: ComplaintFeatures, arrays: PriorityArrays
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Each item's reasons: weights (table order), the order given, and how many.

    A reason's weight is its points over the sum of the positive points (notes
    weigh 0); reasons come heaviest first, ties in table order.
    """
    k = len(features)
    positive = np.zeros(k)
    for value in arrays.points.values():
        positive = positive + np.where(value > 0, value, 0.0)
    positive = np.where(positive == 0, 1.0, positive)
    weight = np.zeros((k, len(_REASON_TABLE)))
    shown = np.zeros((k, len(_REASON_TABLE)), dtype=np.bool_)
    for j, (key, code) in enumerate(_REASON_TABLE):
        if key is not None:
            points = arrays.points[key]
            weight[:, j] = np.round(np.minimum(np.abs(points) / positive, 1.0), 6)
            always = key in ("category", "age")
            shown[:, j] = True if always else points != 0
        elif code == "complaint.untrue":
            shown[:, j] = features.category == _UNTRUE
        else:
            shown[:, j] = arrays.overdue
    order = np.argsort(np.where(shown, -weight, np.inf), axis=1, kind="stable").astype(np.int64)
    return weight, order, shown.sum(axis=1).astype(np.int64)


@dataclass(frozen=True, eq=False)
class _Inputs:
    """What the scorer reads from loyalty scorers, one entry per customer."""

    value: NDArray[np.float64]
    value_source: NDArray[np.str_]

    @classmethod
    def of_results(cls, upstream: Upstream) -> _Inputs:
        """One row, from per-customer results (`custcare.loyalty.customer_value`)."""
        return cls.of_rows([upstream])

    @classmethod
    def of_rows(cls, upstream: Sequence[Upstream | None]) -> _Inputs:
        """One row per customer, from each customer's results."""
        values = [customer_value(up) if up else (0.0, None) for up in upstream]
        return cls(
            np.array([v for v, _ in values], dtype=np.float64),
            np.array([s or "" for _, s in values], dtype=np.str_).reshape(-1),
        )

    @classmethod
    def of_scores(cls, upstream: UpstreamScores, batch: CustomerBatch, scorer: str) -> _Inputs:
        """Columns from loyalty batch scores (`custcare.scoring.CustomerValueScores`)."""
        check_upstream_rows(upstream, batch.customer_ids, scorer)
        return cls(*customer_value_columns(upstream, batch.n_customers))


def _priority_result(scores: PriorityScores, i: int) -> PriorityResult:
    result = scores.result(i)
    assert isinstance(result, PriorityResult)
    return result


def _anger(analysis: TextAnalysis) -> float:
    value = getattr(analysis, "anger_intensity", None)
    if isinstance(value, float | int):
        return float(min(max(value, 0.0), 1.0))
    return 1.0 if analysis.signals.get("anger") else 0.0
