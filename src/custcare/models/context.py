"""Shop-level facts that customer records do not hold (for churn-cause attribution).

Each fact (a staff departure, a product launch, a discount period, a market event)
may carry an ``id``: a stable, non-personal code such as ``"dep-2026-01"``. A churn
reason that rests on a fact cites its id, or its place in the context
(``ShopContext.staff_departures[0]``) when it has none. Ids are unique across the
context; keep them distinct from order, review and complaint ids, since reasons
cite both in one list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import InitErrorDetails

from custcare.models._base import (
    AwareDatetime,
    DomainModel,
    NonEmptyStr,
    Text,
    raise_errors,
    rule_error,
)

__all__ = [
    "CONTEXT_LISTS",
    "DiscountPeriod",
    "MarketEvent",
    "OutreachContact",
    "ProductLaunch",
    "ShopContext",
    "StaffDeparture",
]

ContextList = Literal["staff_departures", "product_launches", "discount_periods", "market_events"]
CONTEXT_LISTS: tuple[ContextList, ...] = (
    "staff_departures",
    "product_launches",
    "discount_periods",
    "market_events",
)
"""The lists of `ShopContext` whose entries carry an optional ``id`` and are cited."""


def _period_errors(start: AwareDatetime, end: AwareDatetime) -> list[InitErrorDetails]:
    if end >= start:
        return []
    return [
        rule_error(
            ("end",),
            "end_before_start",
            "end ({end}) must not be before start ({start})",
            {"end": end.isoformat(), "start": start.isoformat()},
            value=end,
        )
    ]


class StaffDeparture(DomainModel):
    """A staff member who left the shop (员工离职).

    Attributes:
        agent_id: The staff member (as in `custcare.Customer.assigned_agent_id`).
        left_at: When they left.
        id: A stable, non-personal code for this record, cited by reasons.

    Examples:
        >>> from datetime import datetime, timezone
        >>> StaffDeparture(agent_id="agent-lin", left_at=datetime(2026, 1, 5, tzinfo=timezone.utc))
        StaffDeparture(agent_id='agent-lin', left_at=..., id=None)
    """

    agent_id: NonEmptyStr
    left_at: AwareDatetime
    id: NonEmptyStr | None = None


class ProductLaunch(DomainModel):
    """A new product put on sale (上新)."""

    sku: NonEmptyStr
    category: Text | None = None
    launched_at: AwareDatetime
    id: NonEmptyStr | None = None


class OutreachContact(DomainModel):
    """The shop reached out to a customer (回访, greeting, survey, gift)."""

    customer_id: NonEmptyStr
    at: AwareDatetime
    kind: Text = Field("contact", description="e.g. 'greeting', 'survey', 'gift', 'call'.")


class DiscountPeriod(DomainModel):
    """A period when the shop ran promotions or discounts (促销, 打折活动), ends included.

    The discount calendar lets ``churn.cause`` read the price-hunter's signature:
    orders that stop when the discounts stop.

    Examples:
        >>> from datetime import datetime, timezone
        >>> p = DiscountPeriod(start=datetime(2025, 11, 1, tzinfo=timezone.utc),
        ...                    end=datetime(2025, 11, 11, tzinfo=timezone.utc), id="promo-1111")
        >>> p.id
        'promo-1111'
    """

    start: AwareDatetime
    end: AwareDatetime
    id: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DiscountPeriod:
        raise_errors(type(self).__name__, _period_errors(self.start, self.end))
        return self


class MarketEvent(DomainModel):
    """A period of market turbulence (市场波动): disruption, cash trouble, disaster.

    ``description`` is free text for people: reasons never copy it (they cite the
    ``id``, or the event's place in the context, and its period).
    """

    start: AwareDatetime
    end: AwareDatetime
    description: Text
    id: NonEmptyStr | None = None

    @model_validator(mode="after")
    def _ordered(self) -> MarketEvent:
        raise_errors(type(self).__name__, _period_errors(self.start, self.end))
        return self


class ShopContext(DomainModel):
    """Shop-level facts given to scorers that need them (e.g. ``churn.cause``).

    ``has_outreach_log`` says whether ``outreach`` is a complete log: only then can
    the absence of contact be read as neglect. ``discount_periods`` is the shop's
    discount calendar (promotions, sales).

    Examples:
        >>> from datetime import datetime, timezone
        >>> t = datetime(2026, 3, 1, tzinfo=timezone.utc)
        >>> ctx = ShopContext(staff_departures=[StaffDeparture(agent_id="a1", left_at=t)])
        >>> ctx.departure_of("a1") == t
        True
        >>> ctx.cite("staff_departures", 0)
        'ShopContext.staff_departures[0]'
    """

    staff_departures: tuple[StaffDeparture, ...] = ()
    product_launches: tuple[ProductLaunch, ...] = ()
    outreach: tuple[OutreachContact, ...] = ()
    has_outreach_log: bool = Field(
        False, description="True when `outreach` lists every contact the shop made."
    )
    market_events: tuple[MarketEvent, ...] = ()
    discount_periods: tuple[DiscountPeriod, ...] = Field(
        (), description="The shop's discount calendar: periods of promotions."
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> ShopContext:
        seen: set[str] = set()
        errors: list[InitErrorDetails] = []
        for name in CONTEXT_LISTS:
            for i, entry in enumerate(self._entries(name)):
                if entry.id is None:
                    continue
                if entry.id in seen:
                    errors.append(
                        rule_error(
                            (name, i, "id"),
                            "duplicate_id",
                            "id {id} is used twice in the shop context",
                            {"id": entry.id},
                            value=entry.id,
                        )
                    )
                seen.add(entry.id)
        raise_errors(type(self).__name__, errors)
        return self

    def _entries(
        self, name: ContextList
    ) -> Sequence[StaffDeparture | ProductLaunch | DiscountPeriod | MarketEvent]:
        entries: Sequence[StaffDeparture | ProductLaunch | DiscountPeriod | MarketEvent] = getattr(
            self, name
        )
        return entries

    def cite(self, name: ContextList, index: int) -> str:
        """How reasons cite an entry: its ``id``, else ``ShopContext.<list>[index]``."""
        entry = self._entries(name)[index]
        return entry.id if entry.id is not None else f"ShopContext.{name}[{index}]"

    def departure_of(self, agent_id: str) -> AwareDatetime | None:
        """When the agent left, or None if they did not (earliest if listed twice)."""
        index = self.departure_index(agent_id)
        return None if index is None else self.staff_departures[index].left_at

    def departure_index(self, agent_id: str) -> int | None:
        """The agent's departure in `staff_departures` (the earliest; first if tied)."""
        best: int | None = None
        for i, d in enumerate(self.staff_departures):
            if d.agent_id == agent_id and (
                best is None or d.left_at < self.staff_departures[best].left_at
            ):
                best = i
        return best
