"""The work queue: every open complaint of a shop, most urgent first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from custcare.batch import to_epoch_seconds
from custcare.complaints._features import ComplaintFeatures
from custcare.complaints._priority import (
    ComplaintPriority,
    ComplaintPriorityScorer,
    PriorityConfig,
    priority_kernel,
)
from custcare.models import AwareDatetime, CustomerHistory
from custcare.scoring import Upstream, check_as_of

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
    histories: Sequence[CustomerHistory],
    *,
    as_of: datetime,
    scorer: ComplaintPriorityScorer | None = None,
    upstream: Sequence[Upstream] | None = None,
) -> WorkQueue:
    """Rank all open complaints (and recent negative reviews) of a shop.

    Args:
        histories: The customers' histories.
        as_of: A timezone-aware moment.
        scorer: The priority scorer (default configuration when None).
        upstream: Per-history results of other scorers (e.g. loyalty), aligned with
            ``histories``, for the customer-value input.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> shop = sample_shop()
        >>> queue = rank_queue(shop.histories, as_of=shop.as_of)
        >>> [item.level for item in queue.items][:1] <= ["P2"]
        True
    """
    as_of = check_as_of(as_of)
    scorer = scorer or ComplaintPriorityScorer()
    results = scorer.score_many(histories, as_of=as_of, upstream=upstream)
    items = [item for result in results for item in result.complaints]
    return WorkQueue(as_of=as_of, items=tuple(sorted(items, key=_queue_key)))


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
    features: ComplaintFeatures, *, as_of: datetime, config: PriorityConfig | None = None
) -> QueueArrays:
    """The queue over feature columns: no Python loop per complaint.

    Gives the same order, scores, levels and deadlines as `rank_queue` on the
    same complaints.

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
    """
    as_of = check_as_of(as_of)
    arrays = priority_kernel(features, to_epoch_seconds(as_of), config or PriorityConfig())
    order = np.lexsort(
        (features.complaint_ids, features.opened_at, -arrays.score, arrays.level)
    ).astype(np.int64)
    return QueueArrays(order, arrays.score, arrays.level, arrays.respond_by, arrays.overdue)
