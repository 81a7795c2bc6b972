"""Customers (客户), with personal fields masked wherever they are shown."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, PlainValidator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from custcare.models._base import (
    AwareDatetime,
    DomainModel,
    NonEmptyStr,
    Text,
    mask_email,
    mask_phone,
    mask_text,
    raise_errors,
    require_unicode,
    rule_error,
)

__all__ = ["MASKED_FIELDS", "PERSONAL_FIELDS", "AttributeValue", "Customer"]

_INT64 = 2**63


def _check_attribute(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value if not isinstance(value, str) else require_unicode(value)
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise PydanticCustomError(
                "attribute_out_of_range",
                "an integer attribute must fit int64 (-2^63 .. 2^63-1)",
                {},
            )
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "Input should be a finite number", {})
        return float(value)
    raise PydanticCustomError(
        "attribute_type",
        "an attribute must be a JSON scalar (str, int, float, bool or None), not {type}",
        {"type": type(value).__name__},
    )


AttributeValue = Annotated[
    str | int | float | bool | None,
    PlainValidator(_check_attribute, json_schema_input_type=str | int | float | bool | None),
]
"""A vertical-specific attribute: a JSON scalar (dates as ISO 8601 strings).

Integers must fit int64 (``attribute_out_of_range``), floats must be finite
(``finite_number``), text valid Unicode (``lone_surrogate``), anything else is
``attribute_type``: so every attribute survives a JSON round trip exactly.
"""

PERSONAL_FIELDS: tuple[str, ...] = ("name", "phone", "email", "address")
"""Fields holding personal data; masked in ``repr``/``str`` and scorer text."""

MASKED_FIELDS: tuple[str, ...] = (*PERSONAL_FIELDS, "region", "tags", "tagged_at", "attributes")
"""Every field `Customer.redacted` and ``repr`` mask (personal data and what may reveal it)."""

_MASKERS = {
    "name": mask_text,
    "phone": mask_phone,
    "email": mask_email,
    "address": mask_text,
    "region": mask_text,
}
_HIDDEN = "***"


def _masked_tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(mask_text(tag) for tag in tags)


class Customer(DomainModel):
    """A customer of the shop.

    Personal fields (`PERSONAL_FIELDS`) are kept as given, for the caller's own
    use, but never shown: ``repr()`` and ``str()`` mask them and what may reveal
    them (`MASKED_FIELDS`: also ``region``, ``tags`` and ``attributes`` values), and
    `redacted` gives a masked dump for logs and reports.

    ``tags`` have no date unless ``tagged_at`` gives one: an undated tag counts as
    known since ``created_at`` (right for a fixed label such as ``"vip"``); a tag
    that records an event (``"moved"``, ``"deceased"``) should be dated, so that
    `custcare.models.CustomerHistory.until` drops it from views before that date.

    Examples:
        >>> from datetime import datetime, timezone
        >>> c = Customer(id="u1", created_at=datetime(2025, 1, 1, tzinfo=timezone.utc),
        ...              name="张伟", phone="13812348000", region="上海",
        ...              attributes={"daily_km": 120.0})
        >>> c
        Customer(id='u1', created_at=..., name='张*', phone='138****8000', ..., region='上*', ...)
        >>> c.redacted()["phone"], c.redacted()["attributes"]
        ('138****8000', {'daily_km': '***'})
    """

    id: NonEmptyStr
    created_at: AwareDatetime
    name: Text | None = None
    phone: Text | None = None
    email: Text | None = None
    address: Text | None = None
    region: Text | None = None
    channel: Text | None = Field(default=None, description="Acquisition channel.")
    tags: tuple[Text, ...] = ()
    tagged_at: dict[Text, AwareDatetime] = Field(
        default_factory=dict,
        description="When a tag was set, for tags that record an event (e.g. 'deceased').",
    )
    assigned_agent_id: Text | None = Field(
        default=None, description="The staff member who owns the relationship."
    )
    attributes: Annotated[
        dict[Text, AttributeValue],
        Field(description="Vertical-specific data, e.g. vehicle daily mileage."),
    ] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_tag_dates(self) -> Customer:
        errors: list[InitErrorDetails] = []
        for tag, moment in self.tagged_at.items():
            if tag not in self.tags:
                errors.append(
                    rule_error(
                        ("tagged_at",),
                        "unknown_tag",
                        "tagged_at dates a tag that is not in tags",
                    )
                )
            elif moment < self.created_at:
                errors.append(
                    rule_error(
                        ("tagged_at",),
                        "before_created",
                        "a tag is dated before created_at ({created})",
                        {"created": self.created_at.isoformat()},
                    )
                )
        raise_errors(type(self).__name__, errors)
        return self

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for key, value in super().__repr_args__():
            if key in _MASKERS and isinstance(value, str):
                yield key, _MASKERS[key](value)
            elif key == "tags":
                yield key, _masked_tags(value)
            elif key in ("attributes", "tagged_at"):
                yield key, dict.fromkeys(_masked_keys(key, value), _HIDDEN)
            else:
                yield key, value

    def known_at(self, as_of: datetime) -> Customer:
        """The customer without the tags dated after ``as_of`` (``as_of`` must be aware).

        Undated tags are kept: they count as known since ``created_at``.

        Examples:
            >>> from datetime import datetime, timezone
            >>> t = datetime(2025, 1, 1, tzinfo=timezone.utc)
            >>> c = Customer(id="u4", created_at=t, tags=("vip", "moved"),
            ...              tagged_at={"moved": datetime(2026, 1, 1, tzinfo=timezone.utc)})
            >>> c.known_at(datetime(2025, 6, 1, tzinfo=timezone.utc)).tags
            ('vip',)
        """
        later = {tag for tag, moment in self.tagged_at.items() if moment > as_of}
        if not later:
            return self
        return self.model_copy(
            update={
                "tags": tuple(tag for tag in self.tags if tag not in later),
                "tagged_at": {k: v for k, v in self.tagged_at.items() if k not in later},
            }
        )

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
        data["tags"] = list(_masked_tags(self.tags))
        for key in ("attributes", "tagged_at"):
            data[key] = dict.fromkeys(_masked_keys(key, data[key]), _HIDDEN)
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


def _masked_keys(field: str, mapping: dict[str, Any]) -> list[str]:
    """Attribute names are shown; ``tagged_at`` keys are tags, so they are masked."""
    return [mask_text(key) if field == "tagged_at" else key for key in mapping]
