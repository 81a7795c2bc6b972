"""Customers (客户), with personal fields masked wherever they are shown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field

from custcare.models._base import (
    AwareDatetime,
    DomainModel,
    NonEmptyStr,
    mask_email,
    mask_phone,
    mask_text,
)

__all__ = ["PERSONAL_FIELDS", "AttributeValue", "Customer"]

AttributeValue = str | int | float | bool | None
"""A vertical-specific attribute: JSON scalars only (dates as ISO 8601 strings)."""

PERSONAL_FIELDS: tuple[str, ...] = ("name", "phone", "email", "address")
"""Fields holding personal data; masked in ``repr``/``str`` and scorer text."""

_MASKERS = {"name": mask_text, "phone": mask_phone, "email": mask_email, "address": mask_text}


class Customer(DomainModel):
    """A customer of the shop.

    Personal fields (`PERSONAL_FIELDS`) are kept as given, for the caller's own
    use, but never shown: ``repr()`` and ``str()`` mask them, and `redacted` gives
    a masked dump for logs and reports.

    Examples:
        >>> from datetime import datetime, timezone
        >>> c = Customer(id="u1", created_at=datetime(2025, 1, 1, tzinfo=timezone.utc),
        ...              name="张伟", phone="13812348000", region="上海",
        ...              attributes={"daily_km": 120.0})
        >>> c
        Customer(id='u1', created_at=..., name='张*', phone='138****8000', ...)
        >>> c.redacted()["phone"]
        '138****8000'
    """

    id: NonEmptyStr
    created_at: AwareDatetime
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    region: str | None = None
    channel: str | None = Field(default=None, description="Acquisition channel.")
    tags: tuple[str, ...] = ()
    assigned_agent_id: str | None = Field(
        default=None, description="The staff member who owns the relationship."
    )
    attributes: Annotated[
        dict[str, AttributeValue],
        Field(description="Vertical-specific data, e.g. vehicle daily mileage."),
    ] = Field(default_factory=dict)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for key, value in super().__repr_args__():
            if key in _MASKERS and isinstance(value, str):
                yield key, _MASKERS[key](value)
            else:
                yield key, value

    def redacted(self) -> dict[str, Any]:
        """A JSON-ready dump with every personal field masked.

        Examples:
            >>> from datetime import datetime, timezone
            >>> Customer(id="u2", created_at=datetime(2025, 1, 1, tzinfo=timezone.utc),
            ...          email="li.na@example.com").redacted()["email"]
            'l***@example.com'
        """
        data = self.model_dump(mode="json")
        for key, mask in _MASKERS.items():
            if isinstance(data.get(key), str):
                data[key] = mask(data[key])
        return data

    def display_name(self) -> str:
        """A masked label for messages: the masked name, else the id.

        Examples:
            >>> from datetime import datetime, timezone
            >>> Customer(id="u3", created_at=datetime(2025, 1, 1, tzinfo=timezone.utc),
            ...          name="王小明").display_name()
            '王**'
        """
        return mask_text(self.name) if self.name else self.id
