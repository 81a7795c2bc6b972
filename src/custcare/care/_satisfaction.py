"""The ``care.satisfaction`` scorer: how satisfied a customer is, honestly, and their effort.

Every piece of feedback the customer gave within the look-back window is an
observation on the seeds' scale ("it's OK" 40, "satisfied" 60, "very satisfied"
100): a review's stars, each detailed rating (description, service, logistics),
and each complaint by its outcome. Satisfaction is their weighted mean; the
process, quality and price parts are the means of the observations about each.
A customer with no feedback is ``unknown``, never 60: silence is not satisfaction.
Beside it sits the customer's effort: problems, contacts, repeat contacts, days to
resolve and first-contact resolution.

One columnar path (`SatisfactionScorer.score_batch`) scores a whole
`custcare.batch.CustomerBatch` from its `custcare.batch.CareRecords`; the
per-customer `score` is a one-row view of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from custcare.batch import SECONDS_PER_DAY, CareRecords, CustomerBatch, to_epoch_seconds
from custcare.care._labels import SatisfactionLevel, SatisfactionPart
from custcare.models import ComplaintCategory
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
    "COMPLAINT_PARTS",
    "SatisfactionConfig",
    "SatisfactionResult",
    "SatisfactionScorer",
    "SatisfactionScores",
]

Points = Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)]
Weight = Annotated[float, Field(gt=0.0, le=100.0, allow_inf_nan=False)]

_PARTS = tuple(SatisfactionPart)
_LEVELS = tuple(SatisfactionLevel)

COMPLAINT_PARTS: dict[ComplaintCategory, SatisfactionPart] = {
    ComplaintCategory.STAFF_ATTITUDE: SatisfactionPart.PROCESS,
    ComplaintCategory.LONG_WAIT: SatisfactionPart.PROCESS,
    ComplaintCategory.PROMISE_NOT_KEPT: SatisfactionPart.PROCESS,
    ComplaintCategory.POOR_AFTER_SALES: SatisfactionPart.PROCESS,
    ComplaintCategory.PRODUCT_QUALITY: SatisfactionPart.QUALITY,
    ComplaintCategory.NOT_FIXED_FIRST_TIME: SatisfactionPart.QUALITY,
    ComplaintCategory.WARRANTY_DISPUTE: SatisfactionPart.QUALITY,
    ComplaintCategory.EXAGGERATED_ADVERTISING: SatisfactionPart.QUALITY,
    ComplaintCategory.OVERCHARGING: SatisfactionPart.PRICE,
}
"""The part of satisfaction each complaint category speaks to.

An ``untrue`` complaint, or one without a category, counts in the overall figure
only.
"""

_DETAILED_PARTS = (SatisfactionPart.QUALITY, SatisfactionPart.PROCESS, SatisfactionPart.PROCESS)
"""The part of each detailed rating (`custcare.batch.DETAILED_RATINGS` order)."""


class SatisfactionConfig(ScorerConfig):
    """Parameters of `SatisfactionScorer`.

    Examples:
        >>> SatisfactionConfig(look_back="P180D").look_back.days
        180
    """

    star_points: tuple[Points, Points, Points, Points, Points] = Field(
        (0.0, 20.0, 40.0, 60.0, 100.0),
        description="Points of a 1..5 star rating (overall or detailed): 3 stars is 'it's OK' "
        "(40), 4 'satisfied' (60), 5 'very satisfied' (100).",
    )
    open_complaint_points: Points = Field(
        0.0, description="A complaint still open: the lowest value any feedback can have."
    )
    reopened_points: Points = Field(20.0, description="A complaint resolved after reopening.")
    resolved_points: Points = Field(40.0, description="A complaint resolved the first time.")
    slow_resolution: Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=3650))] = Field(
        timedelta(days=3), description="A complaint resolved later than this after opening is slow."
    )
    slow_penalty: Points = Field(20.0, description="Points a slow resolution takes off.")
    review_weight: Weight = Field(1.0, description="Weight of a review's overall stars.")
    detail_weight: Weight = Field(0.5, description="Weight of each detailed rating.")
    complaint_weight: Weight = Field(1.0, description="Weight of each complaint.")
    look_back: Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=36_500))] = Field(
        timedelta(days=365), description="Feedback older than this (by its date) is not read."
    )
    very_satisfied_from: Points = 80.0
    satisfied_from: Points = 60.0
    ok_from: Points = 40.0
    weak_below: Points = Field(
        60.0, description="A part below this is weak; the lowest weak part is named."
    )

    @model_validator(mode="after")
    def _consistent(self) -> SatisfactionConfig:
        if not self.very_satisfied_from > self.satisfied_from > self.ok_from:
            raise ValueError(
                "levels must increase: ok_from < satisfied_from < very_satisfied_from, got "
                f"{self.ok_from}, {self.satisfied_from}, {self.very_satisfied_from}"
            )
        if list(self.star_points) != sorted(self.star_points):
            raise ValueError(f"star_points must not decrease with the stars: {self.star_points}")
        lowest = min(
            self.star_points[0],
            max(min(self.reopened_points, self.resolved_points) - self.slow_penalty, 0.0),
        )
        if self.open_complaint_points > lowest:
            raise ValueError(
                f"open_complaint_points ({self.open_complaint_points}) must not exceed any other "
                f"feedback's points (lowest {lowest}): an unresolved problem never raises "
                "satisfaction"
            )
        return self


class SatisfactionResult(ScoreResult):
    """A customer's satisfaction, its weak part, and the effort their problems took.

    Attributes:
        satisfaction: 0..100 on the seeds' scale, None when unknown (no feedback).
        level: The level; ``unknown`` without feedback.
        process: The process part (service, logistics, handling), None when unknown.
        quality: The quality part (description match, quality complaints), None when unknown.
        price: The price part (overcharging complaints), None when unknown.
        weak_part: The lowest part below ``weak_below`` (a `SatisfactionPart` code), ``""``
            when no known part is weak.
        feedback: How many observations (reviews, detailed ratings, complaints) were read.
        problems: Distinct problems complained about (complaints on one order are one).
        contacts: Complaints plus reopenings: the contacts the problems took.
        repeat_contacts: Contacts beyond the first for each problem.
        open_problems: Problems with a complaint still open.
        days_to_resolve: Mean days from opening to resolution of the resolved
            complaints, None when none was resolved.
        first_contact_resolution: Share of the resolved problems settled by one
            complaint with no reopening, None when none was resolved.
        contacts_per_problem: The customer effort figure, None without a problem.
    """

    batch_columns: ClassVar[tuple[str, ...]] = (
        "satisfaction",
        "level",
        "level_zh",
        "level_en",
        "process",
        "quality",
        "price",
        "weak_part",
        "weak_part_zh",
        "weak_part_en",
        "feedback",
        "problems",
        "contacts",
        "repeat_contacts",
        "open_problems",
        "days_to_resolve",
        "first_contact_resolution",
        "contacts_per_problem",
    )

    satisfaction: Annotated[float, Field(ge=0.0, le=100.0)] | None
    level: SatisfactionLevel
    process: Annotated[float, Field(ge=0.0, le=100.0)] | None
    quality: Annotated[float, Field(ge=0.0, le=100.0)] | None
    price: Annotated[float, Field(ge=0.0, le=100.0)] | None
    weak_part: str
    feedback: Annotated[int, Field(ge=0)]
    problems: Annotated[int, Field(ge=0)]
    contacts: Annotated[int, Field(ge=0)]
    repeat_contacts: Annotated[int, Field(ge=0)]
    open_problems: Annotated[int, Field(ge=0)]
    days_to_resolve: Annotated[float, Field(ge=0.0)] | None
    first_contact_resolution: Annotated[float, Field(ge=0.0, le=1.0)] | None
    contacts_per_problem: Annotated[float, Field(ge=1.0)] | None

    @property
    def level_zh(self) -> str:
        """Chinese label of the level."""
        return self.level.label_zh

    @property
    def level_en(self) -> str:
        """English label of the level."""
        return self.level.label_en

    @property
    def weak_part_zh(self) -> str:
        """Chinese label of the weak part, ``""`` without one."""
        return SatisfactionPart(self.weak_part).label_zh if self.weak_part else ""

    @property
    def weak_part_en(self) -> str:
        """English label of the weak part, ``""`` without one."""
        return SatisfactionPart(self.weak_part).label_en if self.weak_part else ""


class SatisfactionScores(BatchScores):
    """`SatisfactionScorer.score_batch` output: one row per customer, reasons as columns.

    Columns are those of `SatisfactionResult.batch_columns` (None as NaN, codes
    ``""`` where there is none); `result` builds a row's full `SatisfactionResult`.
    """


_REASONS = (
    "satisfaction.unknown",
    "satisfaction.weak_process",
    "satisfaction.weak_quality",
    "satisfaction.weak_price",
    "satisfaction.open_complaints",
    "satisfaction.repeat_contacts",
    "satisfaction.slow_resolution",
    "satisfaction.low_reviews",
    "satisfaction.resolved_first_time",
    "satisfaction.feedback",
)


@dataclass(frozen=True, eq=False)
class _Figures:
    """Every row's figures, and the counts its reason messages quote."""

    satisfaction: NDArray[np.float64]
    parts: NDArray[np.float64]  # (n, 3)
    level: NDArray[np.int64]
    weak: NDArray[np.int64]  # index into _PARTS, -1 if none
    feedback: NDArray[np.int64]
    problems: NDArray[np.int64]
    contacts: NDArray[np.int64]
    repeat: NDArray[np.int64]
    open_problems: NDArray[np.int64]
    days: NDArray[np.float64]
    fcr: NDArray[np.float64]
    reviews: NDArray[np.int64]
    complaints: NDArray[np.int64]
    low_reviews: NDArray[np.int64]
    slow: NDArray[np.int64]
    first_time: NDArray[np.int64]
    open_complaints: NDArray[np.int64]


def _mean(
    rows: NDArray[np.int64], value: NDArray[np.float64], w: NDArray[np.float64], n: int
) -> Any:
    total = np.bincount(rows, weights=w * value, minlength=n)
    weight = np.bincount(rows, weights=w, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), np.nan)
    return np.round(np.clip(out, 0.0, 100.0), 6)


class SatisfactionScorer(BaseScorer[SatisfactionConfig, SatisfactionResult]):
    """Satisfaction on the seeds' scale from what the customer told the shop, and their effort.

    Read within ``look_back`` of ``as_of``: each review's overall stars and
    detailed ratings (description match is quality; service attitude and
    logistics are process), and each complaint, worth its outcome: open 0,
    resolved after reopening 20, resolved the first time 40, less 20 when
    resolution took longer than ``slow_resolution``. Satisfaction is the weighted
    mean of these observations; each part the mean of the observations about it
    (complaints by category, `COMPLAINT_PARTS`). No feedback: ``unknown``.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> results = SatisfactionScorer().score_many(shop.histories, as_of=shop.as_of)
        >>> sorted({r.level.value for r in results}) # doctest: +NORMALIZE_WHITESPACE
        ['dissatisfied', 'ok', 'satisfied', 'unknown', 'very_satisfied']
    """

    name: ClassVar[str] = "care.satisfaction"
    description: ClassVar[str] = (
        "Satisfaction (40/60/100 scale, unknown when silent), its weak part, and customer effort."
    )
    config_model = SatisfactionConfig
    traits: ClassVar[ScorerTraits] = ScorerTraits(batch=True)

    def score_batch(
        self, batch: CustomerBatch, *, as_of: datetime, upstream: Any = None
    ) -> SatisfactionScores:
        """Every customer's satisfaction and effort at once, from the batch's records.

        A batch without records (built with `CustomerBatch.from_arrays`) holds no
        feedback: every row is ``unknown``.

        Examples:
            >>> from custcare.batch import from_histories
            >>> from custcare.datasets import sample_shop
            >>> shop = sample_shop()
            >>> scorer = SatisfactionScorer()
            >>> scores = scorer.score_batch(from_histories(shop.histories), as_of=shop.as_of)
            >>> scores.result(0) == scorer.score(shop.histories[0], as_of=shop.as_of)
            True
        """
        scores = super().score_batch(batch, as_of=as_of, upstream=upstream)
        assert isinstance(scores, SatisfactionScores)
        return scores

    def _scores(self, batch: CustomerBatch, as_of: datetime) -> SatisfactionScores:
        cfg = self.config
        n = batch.n_customers
        rec = batch.records if batch.records is not None else CareRecords.empty(n)
        now = to_epoch_seconds(as_of)
        start = now - cfg.look_back.total_seconds()
        stars = np.asarray(cfg.star_points, dtype=np.float64)

        # --- observations: overall stars, detailed ratings, complaints -------------------
        r = np.flatnonzero(rec.review_posted >= start)
        q = np.flatnonzero(rec.complaint_opened >= start)
        n_r = rec.review_ids.size
        eff = rec.review_effective_rating[r]
        obs_row = [rec.review_customer[r]]
        obs_value = [stars[eff - 1]]
        obs_w = [np.full(r.size, cfg.review_weight)]
        obs_part = [np.full(r.size, -1, dtype=np.int64)]
        for d, part in enumerate(_DETAILED_PARTS):
            given = r[~np.isnan(rec.review_detailed[r, d])]
            obs_row.append(rec.review_customer[given])
            obs_value.append(stars[rec.review_detailed[given, d].astype(np.int64) - 1])
            obs_w.append(np.full(given.size, cfg.detail_weight))
            obs_part.append(np.full(given.size, _PARTS.index(part), dtype=np.int64))
        opened = rec.complaint_opened[q]
        resolved = rec.complaint_resolved[q]
        is_open = np.isnan(resolved)
        reopened = rec.complaint_reopened[q]
        with np.errstate(invalid="ignore"):
            slow = resolved - opened > cfg.slow_resolution.total_seconds()
        base = np.where(reopened > 0, cfg.reopened_points, cfg.resolved_points)
        value = np.where(slow, np.maximum(base - cfg.slow_penalty, 0.0), base)
        value = np.where(is_open, cfg.open_complaint_points, value)
        category_part = np.full(len(ComplaintCategory) + 1, -1, dtype=np.int64)
        for i, c in enumerate(ComplaintCategory):
            if c in COMPLAINT_PARTS:
                category_part[i] = _PARTS.index(COMPLAINT_PARTS[c])
        q_row = rec.complaint_customer[q]
        obs_row.append(q_row)
        obs_value.append(value)
        obs_w.append(np.full(q.size, cfg.complaint_weight))
        obs_part.append(category_part[rec.complaint_category[q]])  # -1 (none) -> last: -1
        rows, values = np.concatenate(obs_row), np.concatenate(obs_value)
        weights, parts = np.concatenate(obs_w), np.concatenate(obs_part)

        satisfaction = _mean(rows, values, weights, n)
        part_values = np.stack(
            [_mean(rows[parts == p], values[parts == p], weights[parts == p], n) for p in range(3)],
            axis=1,
        )
        feedback = np.bincount(rows, minlength=n).astype(np.int64)
        known = feedback > 0
        level = np.full(n, _LEVELS.index(SatisfactionLevel.UNKNOWN), dtype=np.int64)
        for lv, edge in (
            (SatisfactionLevel.DISSATISFIED, -1.0),
            (SatisfactionLevel.OK, cfg.ok_from),
            (SatisfactionLevel.SATISFIED, cfg.satisfied_from),
            (SatisfactionLevel.VERY_SATISFIED, cfg.very_satisfied_from),
        ):
            level[known & (satisfaction >= edge)] = _LEVELS.index(lv)
        masked = np.where(
            np.isnan(part_values) | (part_values >= cfg.weak_below), np.inf, part_values
        )
        weak = np.where(np.isfinite(masked.min(axis=1)), masked.argmin(axis=1), -1).astype(np.int64)

        # --- effort: problems (complaints on one order are one), contacts, resolution -------
        order_id = rec.complaint_order_id[q]
        named = order_id != ""
        key = np.empty(q.size, dtype=np.int64)
        if q.size:
            _, code = np.unique(order_id.astype(np.str_), return_inverse=True)
            span = np.int64(code.max() + 2)
            key[:] = np.where(named, q_row * span + code.reshape(-1), -1 - np.arange(q.size))
        _, problem = np.unique(key, return_inverse=True)
        problem = problem.reshape(-1)
        n_p = int(problem.max()) + 1 if q.size else 0
        p_row = np.zeros(n_p, dtype=np.int64)
        p_row[problem] = q_row
        p_complaints = np.bincount(problem, minlength=n_p)
        p_reopens = np.bincount(problem, weights=reopened, minlength=n_p)
        p_open = np.bincount(problem, weights=is_open, minlength=n_p) > 0
        p_first = (p_complaints == 1) & (p_reopens == 0)
        problems = np.bincount(p_row, minlength=n).astype(np.int64)
        contacts = (
            np.bincount(q_row, minlength=n) + np.bincount(q_row, weights=reopened, minlength=n)
        ).astype(np.int64)
        open_problems = np.bincount(p_row, weights=p_open, minlength=n).astype(np.int64)
        settled = np.bincount(p_row, weights=~p_open, minlength=n)
        first_settled = np.bincount(p_row, weights=~p_open & p_first, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            fcr = np.where(settled > 0, first_settled / np.where(settled > 0, settled, 1), np.nan)
            took = (resolved - opened) / SECONDS_PER_DAY
            done = ~is_open
            n_done = np.bincount(q_row[done], minlength=n)
            days = np.where(
                n_done > 0,
                np.bincount(q_row[done], weights=took[done], minlength=n)
                / np.where(n_done > 0, n_done, 1),
                np.nan,
            )
        multi = (p_complaints[problem] > 1) | (reopened > 0)
        low_review = rec.review_negative[r]
        first_time = done & (p_first[problem]) if q.size else np.zeros(0, dtype=np.bool_)

        figures = _Figures(
            satisfaction=satisfaction,
            parts=part_values,
            level=level,
            weak=weak,
            feedback=feedback,
            problems=problems,
            contacts=contacts,
            repeat=contacts - problems,
            open_problems=open_problems,
            days=np.round(days, 6).astype(np.float64),
            fcr=np.round(fcr, 6).astype(np.float64),
            reviews=np.bincount(rec.review_customer[r], minlength=n),
            complaints=np.bincount(q_row, minlength=n),
            low_reviews=np.bincount(rec.review_customer[r[low_review]], minlength=n),
            slow=np.bincount(q_row[slow], minlength=n),
            first_time=np.bincount(q_row[first_time], minlength=n),
            open_complaints=np.bincount(q_row[is_open], minlength=n),
        )

        # --- evidence: one pool of review and complaint ids, cited in time, then id order ---
        pool = np.concatenate([rec.review_ids, rec.complaint_ids]).astype(np.str_)
        pool.flags.writeable = False
        owner = np.concatenate([rec.review_customer, rec.complaint_customer])
        moment = np.concatenate([rec.review_posted, rec.complaint_opened])
        order = np.lexsort((pool, moment, owner)) if pool.size else np.zeros(0, dtype=np.int64)

        def cite(review_mask: NDArray[np.bool_], complaint_mask: NDArray[np.bool_]) -> Ragged:
            wanted = np.zeros(pool.size, dtype=np.bool_)
            wanted[r[review_mask]] = True
            wanted[n_r + q[complaint_mask]] = True
            sel = order[wanted[order]]
            return Ragged.cite(owner[sel], sel, pool, n)

        all_r = np.ones(r.size, dtype=np.bool_)
        no_r = np.zeros(r.size, dtype=np.bool_)
        no_q = np.zeros(q.size, dtype=np.bool_)
        detail_low = np.zeros((r.size, 3), dtype=np.bool_)
        with np.errstate(invalid="ignore"):
            for d in range(3):
                ratings = rec.review_detailed[r, d]
                given = ~np.isnan(ratings)
                pts = np.where(given, stars[np.where(given, ratings, 1).astype(np.int64) - 1], 100)
                detail_low[:, d] = given & (pts < cfg.weak_below)
        q_part = category_part[rec.complaint_category[q]]
        slots = [ReasonSlot(_REASONS[0], ~known)]
        for p in range(3):
            in_part = np.array([_PARTS.index(d) == p for d in _DETAILED_PARTS])
            low_part: NDArray[np.bool_] = np.asarray(detail_low[:, in_part].any(axis=1))
            cited = cite(low_part, (q_part == p) & (value < cfg.weak_below))
            slots.append(ReasonSlot(_REASONS[1 + p], weak == p, cited))
        slots += [
            ReasonSlot(_REASONS[4], figures.open_complaints > 0, cite(no_r, is_open)),
            ReasonSlot(_REASONS[5], figures.repeat > 0, cite(no_r, multi)),
            ReasonSlot(_REASONS[6], figures.slow > 0, cite(no_r, slow)),
            ReasonSlot(_REASONS[7], figures.low_reviews > 0, cite(low_review, no_q)),
            ReasonSlot(_REASONS[8], figures.first_time > 0, cite(no_r, first_time)),
            ReasonSlot(_REASONS[9], known, cite(all_r, ~no_q)),
        ]
        reasons = ReasonColumns.build(n, slots)

        level_words = np.array([[lv.value, lv.label_zh, lv.label_en] for lv in _LEVELS])
        part_words = np.array([[p.value, p.label_zh, p.label_en] for p in _PARTS] + [["", "", ""]])
        columns: dict[str, NDArray[Any]] = {
            "satisfaction": satisfaction,
            "level": level_words[level, 0].astype(np.str_),
            "level_zh": level_words[level, 1].astype(np.str_),
            "level_en": level_words[level, 2].astype(np.str_),
            "process": part_values[:, 0].copy(),
            "quality": part_values[:, 1].copy(),
            "price": part_values[:, 2].copy(),
            "weak_part": part_words[weak, 0].astype(np.str_),
            "weak_part_zh": part_words[weak, 1].astype(np.str_),
            "weak_part_en": part_words[weak, 2].astype(np.str_),
            "feedback": feedback,
            "problems": problems,
            "contacts": contacts,
            "repeat_contacts": figures.repeat,
            "open_problems": open_problems,
            "days_to_resolve": figures.days,
            "first_contact_resolution": figures.fcr,
            "contacts_per_problem": np.round(
                np.where(problems > 0, contacts / np.maximum(problems, 1), np.nan), 6
            ),
        }
        return SatisfactionScores.build(
            self.name,
            batch.customer_ids,
            columns,
            reasons=reasons,
            as_of=as_of,
            explain=lambda i: self._result(batch, columns, figures, reasons, i, as_of),
        )

    def _result(
        self,
        batch: CustomerBatch,
        columns: dict[str, NDArray[Any]],
        f: _Figures,
        reasons: ReasonColumns,
        i: int,
        as_of: datetime,
    ) -> SatisfactionResult:
        def opt(name: str) -> float | None:
            v = float(columns[name][i])
            return None if np.isnan(v) else v

        weak = int(f.weak[i])
        messages = self._messages(f, i, weak)
        return SatisfactionResult(
            scorer=self.name,
            customer_id=str(batch.customer_ids[i]),
            as_of=as_of,
            satisfaction=opt("satisfaction"),
            level=_LEVELS[int(f.level[i])],
            process=opt("process"),
            quality=opt("quality"),
            price=opt("price"),
            weak_part="" if weak < 0 else _PARTS[weak].value,
            feedback=int(f.feedback[i]),
            problems=int(f.problems[i]),
            contacts=int(f.contacts[i]),
            repeat_contacts=int(f.repeat[i]),
            open_problems=int(f.open_problems[i]),
            days_to_resolve=opt("days_to_resolve"),
            first_contact_resolution=opt("first_contact_resolution"),
            contacts_per_problem=opt("contacts_per_problem"),
            reasons=tuple(
                Reason(code=code, message=messages[code], evidence=reasons.evidence_of(i, j))
                for j, code in enumerate(reasons.codes_of(i))
            ),
        )

    def _messages(self, f: _Figures, i: int, weak: int) -> dict[str, str]:
        cfg = self.config
        days = cfg.look_back.days
        weak_msg = ""
        if weak >= 0:
            part = _PARTS[weak]
            weak_msg = (
                f"The weakest part is {part.value} ({part.label_en}): "
                f"{float(f.parts[i, weak]):.1f} points, below {cfg.weak_below:g}."
            )
        fcr = float(f.fcr[i])
        return {
            "satisfaction.unknown": f"No feedback in the last {days} days: silence is not "
            "satisfaction, so satisfaction is unknown (not 60).",
            "satisfaction.weak_process": weak_msg,
            "satisfaction.weak_quality": weak_msg,
            "satisfaction.weak_price": weak_msg,
            "satisfaction.open_complaints": f"{int(f.open_complaints[i])} complaint(s) still "
            f"open, worth {cfg.open_complaint_points:g} points each.",
            "satisfaction.repeat_contacts": f"{int(f.repeat[i])} repeat contact(s) for "
            f"{int(f.problems[i])} problem(s): the customer had to come back.",
            "satisfaction.slow_resolution": f"{int(f.slow[i])} complaint(s) took longer than "
            f"{cfg.slow_resolution.total_seconds() / SECONDS_PER_DAY:g} days to resolve.",
            "satisfaction.low_reviews": f"{int(f.low_reviews[i])} neutral or negative review(s) "
            "(3 stars or fewer).",
            "satisfaction.resolved_first_time": f"{int(f.first_time[i])} complaint(s) resolved "
            "the first time"
            + ("" if np.isnan(fcr) else f" (first-contact resolution {fcr:.0%})")
            + ".",
            "satisfaction.feedback": f"{int(f.reviews[i])} review(s) and {int(f.complaints[i])} "
            f"complaint(s) in the last {days} days give {float(f.satisfaction[i]):.1f} points "
            f"({_LEVELS[int(f.level[i])].label_en}; it's OK 40, satisfied 60, very satisfied "
            "100).",
        }
