"""Shared building blocks of the domain model: base config, aware datetimes, money."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

__all__ = [
    "AwareDatetime",
    "DomainModel",
    "Money",
    "NonEmptyStr",
    "mask_email",
    "mask_phone",
    "mask_text",
]


class DomainModel(BaseModel):
    """Base of every custcare record: frozen, strict about unknown fields.

    Unknown fields are rejected rather than ignored, so a misspelt field name is an
    error instead of silently lost data.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=False,
        validate_default=True,
        ser_json_inf_nan="strings",
    )


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise PydanticCustomError(
            "naive_datetime",
            "datetime must be timezone-aware (got naive {value}); attach a tzinfo, "
            "e.g. value.replace(tzinfo=ZoneInfo('Asia/Shanghai'))",
            {"value": value.isoformat()},
        )
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_aware)]
"""A datetime that must carry a time zone; naive values are rejected."""


def _require_non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError(
            "negative_amount", "amount must be >= 0, got {value}", {"value": str(value)}
        )
    return value


def _reject_float(value: Any) -> Any:
    if isinstance(value, float):
        raise PydanticCustomError(
            "money_from_float",
            "money must be given as Decimal, int or str, not float ('{value}'); "
            "floats cannot hold amounts like 0.1 exactly",
            {"value": value},
        )
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_reject_float),
    AfterValidator(_require_non_negative),
]
"""A non-negative, finite `Decimal` amount. Floats are rejected: money is never float."""


def _require_non_empty(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("empty_string", "must not be empty or only whitespace", {})
    return value


NonEmptyStr = Annotated[str, AfterValidator(_require_non_empty)]
"""A string with at least one non-space character (ids, codes)."""


def mask_phone(phone: str) -> str:
    """Mask a phone number, keeping the first three and last four digits.

    Examples:
        >>> mask_phone("13812348000")
        '138****8000'
        >>> mask_phone("+86 138 1234 8000")
        '+86 138****8000'
    """
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) <= 7:
        return "*" * len(phone)
    # Keep a country prefix written with '+' as is; mask the middle of the rest.
    if phone.startswith("+") and " " in phone:
        prefix, _, rest = phone.partition(" ")
        return f"{prefix} {mask_phone(rest.replace(' ', ''))}"
    compact = "".join(ch for ch in phone if ch.isdigit())
    return f"{compact[:3]}{'*' * (len(compact) - 7)}{compact[-4:]}"


def mask_email(email: str) -> str:
    """Mask an email address, keeping the first character and the domain.

    Examples:
        >>> mask_email("zhang.wei@example.com")
        'z***@example.com'
    """
    local, at, domain = email.partition("@")
    if not at:
        return mask_text(email)
    return f"{local[:1]}***@{domain}"


def mask_text(text: str) -> str:
    """Mask free personal text (a name or address), keeping only its first character.

    Examples:
        >>> mask_text("张伟")
        '张*'
        >>> mask_text("Li")
        'L*'
    """
    if not text:
        return text
    return text[0] + "*" * max(1, min(len(text) - 1, 6))
