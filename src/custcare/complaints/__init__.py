"""Which complaint first: priority, respond-by deadline, first steps and the work queue."""

from custcare.complaints._calendars import (
    CalendarCoverageError,
    CalendarSource,
    HolidayCalendar,
    china_calendar,
)
from custcare.complaints._features import CATEGORY_CODES, ComplaintFeatures
from custcare.complaints._priority import (
    ComplaintPriority,
    ComplaintPriorityScorer,
    PriorityArrays,
    PriorityConfig,
    PriorityItems,
    PriorityResult,
    PriorityScores,
    PriorityWeights,
    Step,
    priority_kernel,
)
from custcare.complaints._queue import QueueArrays, WorkQueue, rank_features, rank_queue
from custcare.complaints._sla import (
    BusinessHours,
    Level,
    SLAPolicy,
    SLATarget,
    add_business_seconds,
)

__all__ = [
    "CATEGORY_CODES",
    "BusinessHours",
    "CalendarCoverageError",
    "CalendarSource",
    "ComplaintFeatures",
    "ComplaintPriority",
    "ComplaintPriorityScorer",
    "HolidayCalendar",
    "Level",
    "PriorityArrays",
    "PriorityConfig",
    "PriorityItems",
    "PriorityResult",
    "PriorityScores",
    "PriorityWeights",
    "QueueArrays",
    "SLAPolicy",
    "SLATarget",
    "Step",
    "WorkQueue",
    "add_business_seconds",
    "china_calendar",
    "priority_kernel",
    "rank_features",
    "rank_queue",
]
