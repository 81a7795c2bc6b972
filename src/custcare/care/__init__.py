"""Care: how satisfied each customer is, and what the shop should do for them next.

* ``care.satisfaction`` (`SatisfactionScorer`): satisfaction on the seeds' scale
  (it's OK 40, satisfied 60, very satisfied 100), ``unknown`` when the customer
  said nothing, the weak part (process, quality, price), and the customer's effort.
* ``care.plan`` (`CarePlanScorer`): dated actions per customer (order care,
  set-up calls, complaint follow-up and satisfaction check, win-back or let go,
  greetings, holiday and birthday wishes, launch weeks, gifts), each with a
  channel, a bilingual script and the record behind it, under the guards (open
  complaint, weekly budget, let go).
* `care_calendar`: the shop care calendar, every customer's contacts for a window
  ordered by the value at stake (`value_at_stake`) and capped by the team's daily
  capacity and a per-customer budget (`CareCalendarTable`).
* `discount_warnings`: deep discounts (`Discount`, in the `CareCalendar`) that hurt
  old customers who recently bought the item at full price.
"""

from custcare.care._calendar import (
    CALENDAR_STATUSES,
    COMPLAINT_REACH,
    REFERRALS_PER_SATISFIED,
    CalendarRow,
    CalendarStatus,
    CareCalendarTable,
    care_calendar,
    value_at_stake,
)
from custcare.care._discounts import DEEP_DISCOUNT, Discount, DiscountWarnings, discount_warnings
from custcare.care._labels import ActionKind, Channel, SatisfactionLevel, SatisfactionPart
from custcare.care._plan import (
    ACTION_PRIORITY,
    CareAction,
    CareCalendar,
    CarePlanScorer,
    Holiday,
    Launch,
    PlanActions,
    PlanConfig,
    PlanResult,
    PlanScores,
)
from custcare.care._protocols import ChurnCauseColumns, ChurnCauseView
from custcare.care._satisfaction import (
    COMPLAINT_PARTS,
    SatisfactionConfig,
    SatisfactionResult,
    SatisfactionScorer,
    SatisfactionScores,
)

__all__ = [
    "ACTION_PRIORITY",
    "CALENDAR_STATUSES",
    "COMPLAINT_PARTS",
    "COMPLAINT_REACH",
    "DEEP_DISCOUNT",
    "REFERRALS_PER_SATISFIED",
    "ActionKind",
    "CalendarRow",
    "CalendarStatus",
    "CareAction",
    "CareCalendar",
    "CareCalendarTable",
    "CarePlanScorer",
    "Channel",
    "ChurnCauseColumns",
    "ChurnCauseView",
    "Discount",
    "DiscountWarnings",
    "Holiday",
    "Launch",
    "PlanActions",
    "PlanConfig",
    "PlanResult",
    "PlanScores",
    "SatisfactionConfig",
    "SatisfactionLevel",
    "SatisfactionPart",
    "SatisfactionResult",
    "SatisfactionScorer",
    "SatisfactionScores",
    "care_calendar",
    "discount_warnings",
    "value_at_stake",
]
