"""Shop-level facts that customer records do not hold (for churn-cause attribution)."""

from __future__ import annotations

from pydantic import Field, model_validator

from custcare.models._base import (
    AwareDatetime,
    DomainModel,
    NonEmptyStr,
    Text,
    raise_errors,
    rule_error,
)

__all__ = ["MarketEvent", "OutreachContact", "ProductLaunch", "ShopContext", "StaffDeparture"]


class StaffDeparture(DomainModel):
    """A staff member who left the shop (员工离职).

    Examples:
        >>> from datetime import datetime, timezone
        >>> StaffDeparture(agent_id="agent-lin", left_at=datetime(2026, 1, 5, tzinfo=timezone.utc))
        StaffDeparture(agent_id='agent-lin', left_at=...)
    """

    agent_id: NonEmptyStr
    left_at: AwareDatetime


class ProductLaunch(DomainModel):
    """A new product put on sale (上新)."""

    sku: NonEmptyStr
    category: Text | None = None
    launched_at: AwareDatetime


class OutreachContact(DomainModel):
    """The shop reached out to a customer (回访, greeting, survey, gift)."""

    customer_id: NonEmptyStr
    at: AwareDatetime
    kind: Text = Field("contact", description="e.g. 'greeting', 'survey', 'gift', 'call'.")


class MarketEvent(DomainModel):
    """A period of market turbulence (市场波动): disruption, cash trouble, disaster."""

    start: AwareDatetime
    end: AwareDatetime
    description: Text

    @model_validator(mode="after")
    def _ordered(self) -> MarketEvent:
        if self.end < self.start:
            raise_errors(
                type(self).__name__,
                [
                    rule_error(
                        ("end",),
                        "end_before_start",
                        "end ({end}) must not be before start ({start})",
                        {"end": self.end.isoformat(), "start": self.start.isoformat()},
                        value=self.end,
                    )
                ],
            )
        return self


class ShopContext(DomainModel):
    """Shop-level facts given to scorers that need them (e.g. ``churn.cause``).

    ``has_outreach_log`` says whether ``outreach`` is a complete log: only then can
    the absence of contact be read as neglect.

    Examples:
        >>> from datetime import datetime, timezone
        >>> t = datetime(2026, 3, 1, tzinfo=timezone.utc)
        >>> ctx = ShopContext(staff_departures=[StaffDeparture(agent_id="a1", left_at=t)])
        >>> ctx.departure_of("a1") == t
        True
    """

    staff_departures: tuple[StaffDeparture, ...] = ()
    product_launches: tuple[ProductLaunch, ...] = ()
    outreach: tuple[OutreachContact, ...] = ()
    has_outreach_log: bool = Field(
        False, description="True when `outreach` lists every contact the shop made."
    )
    market_events: tuple[MarketEvent, ...] = ()

    def departure_of(self, agent_id: str) -> AwareDatetime | None:
        """When the agent left, or None if they did not (earliest if listed twice)."""
        times = [d.left_at for d in self.staff_departures if d.agent_id == agent_id]
        return min(times) if times else None
