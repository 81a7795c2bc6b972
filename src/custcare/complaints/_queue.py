"""The work queue: every open complaint of a shop, most urgent first.

The queue of a whole population comes from the columnar path: give `rank_queue` a
`custcare.batch.CustomerBatch` (or the `PriorityScores` of
`ComplaintPriorityScorer.score_batch`), and `rank_features` the same scores for
the queue as arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from custcare.batch import CustomerBatch, to_epoch_seconds
from custcare.complaints._features import ComplaintFeatures
from custcare.complaints._priority import (
    ComplaintPriority,
    ComplaintPriorityScorer,
    PriorityArrays,
    PriorityConfig,
    PriorityScores,
    priority_kernel,
)
from custcare.errors import CustcareUsageError
from custcare.models import AwareDatetime, CustomerHistory
from custcare.scoring import Upstream, UpstreamScores, check_as_of

__all__ = ["QueueArrays", "WorkQueue", "rank_features", "rank_queue"]


class WorkQueue(BaseModel):
    """Open complaints in the order to handle them.

    Order: level (P1 first), then score (higher first), then age (older first),
    then complaint id, so the order is total and does not depend on input order.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: AwareDatetime
    items: tuple[ComplaintPriority, ...]

    def __len__(self) -> int:
        return len(self.items)

    @property
    def overdue(self) -> tuple[ComplaintPriority, ...]:
        """The items already past their respond-by deadline."""
        return tuple(i for i in self.items if i.overdue)


def _queue_key(item: ComplaintPriority) -> tuple[str, float, datetime, str]:
    return (item.level, -item.score, item.opened_at, item.complaint_id)


def rank_queue(
    data: Sequence[CustomerHistory] | CustomerBatch | PriorityScores,
    *,
    as_of: datetime | None = None,
    scorer: ComplaintPriorityScorer | None = None,
    upstream: Sequence[Upstream] | UpstreamScores | None = None,
) -> WorkQueue:
    """Rank all open complaints (and recent negative reviews) of a shop.

    Args:
        data: The customers' histories (scored one by one); or a
            `custcare.batch.CustomerBatch` (scored by the columnar path); or the
            `PriorityScores` of `ComplaintPriorityScorer.score_batch`, already scored.
        as_of: A timezone-aware moment; for scores, None or the moment they were
            scored at.
        scorer: The priority scorer (default configuration when None); not with scores.
        upstream: Results of other scorers (e.g. loyalty) for the customer-value
            input: per-history results aligned with histories, or batch scores by
            scorer name for a batch. Not with scores.

    Raises:
        CustcareUsageError: if ``as_of`` is missing (or differs from the scores'),
            or scores come with a scorer or upstream results.

    Examples:
        >>> from custcare.batch import from_histories
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> queue = rank_queue(shop.histories, as_of=shop.as_of)
        >>> [item.level for item in queue.items][:1] <= ["P2"]
        True
        >>> rank_queue(from_histories(shop.histories), as_of=shop.as_of) == queue
        True
    """
    if isinstance(data, PriorityScores | CustomerBatch):
        if isinstance(data, CustomerBatch):
            moment = _required(as_of)
            if upstream is not None and not isinstance(upstream, Mapping):
                raise CustcareUsageError(
                    "rank_queue: with a CustomerBatch, upstream holds batch scores by scorer "
                    "name (UpstreamScores), not per-history results",
                    code="bad_argument",
                )
            scores = (scorer or ComplaintPriorityScorer()).score_batch(
                data, as_of=moment, upstream=upstream
            )
        else:
            if scorer is not None or upstream is not None:
                raise CustcareUsageError(
                    "rank_queue: scores are already scored; give no scorer or upstream",
                    code="bad_argument",
                )
            scores = data
        moment = _scored_at(scores, as_of)
        order = rank_features(scores).order
        return WorkQueue(as_of=moment, items=tuple(scores.item(int(k)) for k in order))
    moment = _required(as_of)
    if isinstance(upstream, Mapping):
        raise CustcareUsageError(
            "rank_queue: with histories, upstream holds one mapping of results per history",
            code="bad_argument",
        )
    scorer = scorer or ComplaintPriorityScorer()
    results = scorer.score_many(data, as_of=moment, upstream=upstream)
    items = [item for result in results for item in result.complaints]
    return WorkQueue(as_of=moment, items=tuple(sorted(items, key=_queue_key)))


def _required(as_of: datetime | None) -> datetime:
    if as_of is None:
        raise CustcareUsageError(
            "rank_queue/rank_features: as_of is required unless priority scores are given",
            code="bad_argument",
        )
    return check_as_of(as_of)


def _scored_at(scores: PriorityScores, as_of: datetime | None) -> datetime:
    """The moment the scores describe; an ``as_of`` given too must be that moment."""
    if scores.as_of is None or scores.items is None:
        raise CustcareUsageError(
            "priority scores without items or as_of: use ComplaintPriorityScorer.score_batch",
            code="bad_argument",
        )
    if as_of is not None and check_as_of(as_of) != scores.as_of:
        raise CustcareUsageError(
            f"these scores describe {scores.as_of.isoformat()}, not {as_of.isoformat()}",
            code="bad_argument",
        )
    return scores.as_of


@dataclass(frozen=True, eq=False)
class QueueArrays:
    """The vectorised queue: ``order`` lists feature rows, most urgent first."""

    order: NDArray[np.int64]
    score: NDArray[np.float64]
    level: NDArray[np.int64]
    respond_by: NDArray[np.float64]
    overdue: NDArray[np.bool_]

    def complaint_ids(self, features: ComplaintFeatures) -> NDArray[np.str_]:
        """Complaint ids in queue order."""
        return features.complaint_ids[self.order]


def rank_features(
    features: ComplaintFeatures | PriorityScores,
    *,
    as_of: datetime | None = None,
    config: PriorityConfig | None = None,
) -> QueueArrays:
    """The queue over feature columns: no Python loop per complaint.

    Gives the same order, scores, levels and deadlines as `rank_queue` on the
    same complaints. Given `PriorityScores` (from
    `ComplaintPriorityScorer.score_batch`), it ranks their items (rows of
    ``scores.items.features``) with the answers already computed: ``as_of`` may be
    omitted and ``config`` must be.

    Raises:
        CustcareUsageError: if ``as_of`` is missing for features, differs from the
            scores', or a config comes with scores.

    Examples:
        >>> from datetime import datetime, timezone
        >>> f = ComplaintFeatures.from_arrays(
        ...     complaint_ids=["a", "b"], customer_ids=["u1", "u2"], opened_at=[0.0, 10.0],
        ...     category=[2, 2], safety=[False, False], escalation=[False, True],
        ...     refund=[False, False], anger=[0.0, 0.0], public=[False, False],
        ...     repeats=[0, 0], promise_broken=[False, False], responded=[False, False],
        ...     customer_value=[0.0, 0.0])
        >>> q = rank_features(f, as_of=datetime(1970, 1, 2, tzinfo=timezone.utc))
        >>> q.complaint_ids(f).tolist()
        ['b', 'a']

        The queue of a whole population, from the batch path:

        >>> from custcare.batch import from_histories
        >>> from custcare.complaints import ComplaintPriorityScorer
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> scores = ComplaintPriorityScorer().score_batch(
        ...     from_histories(shop.histories), as_of=shop.as_of)
        >>> q = rank_features(scores)
        >>> str(q.complaint_ids(scores.items.features)[0]), f"P{q.level[q.order[0]] + 1}"
        ('review:C0002-RF', 'P1')
    """
    if isinstance(features, PriorityScores):
        if config is not None:
            raise CustcareUsageError(
                "rank_features: scores carry their scorer's answers; give no config",
                code="bad_argument",
            )
        _scored_at(features, as_of)
        assert features.items is not None
        return _ranked(features.items.features, features.items.arrays)
    moment = _required(as_of)
    arrays = priority_kernel(features, to_epoch_seconds(moment), config or PriorityConfig())
    return _ranked(features, arrays)


def _ranked(features: ComplaintFeatures, arrays: PriorityArrays) -> QueueArrays:
    """Level, then score (higher first), then age (older first), then id; ties keep row order."""
    order = np.lexsort(
        (features.complaint_ids, features.opened_at, -arrays.score, arrays.level)
    ).astype(np.int64)
    return QueueArrays(order, arrays.score, arrays.level, arrays.respond_by, arrays.overdue)
