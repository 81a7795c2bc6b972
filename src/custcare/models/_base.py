"""Shared building blocks of the domain model: base config, aware datetimes, money, text.

Also the two guarantees every record model gives:

* validation errors never carry personal data (`DomainModel` redacts the
  ``input`` of errors on personal and free-text fields, unknown fields and
  whole records, see `redact_errors`);
* money stays in the supported range and exact (`Money`, `MAX_AMOUNT`,
  `minor_unit_digits`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Context, Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Final, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    SerializerFunctionWrapHandler,
    ValidationError,
    WrapSerializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType
from typing_extensions import Self

from custcare.errors import RedactedInput

__all__ = [
    "MAX_AMOUNT",
    "MAX_QUANTITY",
    "MAX_RECORD_TEXT",
    "MAX_UNIT_DECIMALS",
    "PERSONAL_KEYS",
    "AwareDatetime",
    "DomainModel",
    "Money",
    "NonEmptyStr",
    "RecordText",
    "Text",
    "UnitMoney",
    "mask_email",
    "mask_phone",
    "mask_text",
    "minor_unit_digits",
    "raise_errors",
    "redact_errors",
]

MAX_AMOUNT: Final = Decimal(10) ** 10
"""Every amount is below ten billion currency units (10^10).

This holds for each unit price, unit cost and discount, and for each derived
amount: a line's revenue and cost, an order's subtotal, total and cost. As whole
cents an order is then below 10^12, so the int64 cent sums used by the scorers
(max 9.2 × 10^18) hold the sum of over nine million orders at the bound; a float64
holds every such amount to the cent.
"""

MAX_QUANTITY: Final = 10**9
"""Order line quantities are 1 .. 10^9 (so an order's unit count fits int64)."""

MAX_UNIT_DECIMALS: Final = 6
"""Unit prices and unit costs have at most six decimal places (0.000001)."""

MAX_COUNT: Final = 10**6
"""Counts given as numbers (``Complaint.reopened``) are at most a million."""

MONEY_CONTEXT: Final = Context(prec=60)
"""The decimal context of money arithmetic: sums and products of amounts in range
are exact in it, whatever the caller's own context."""

_NO_MINOR_UNIT: Final = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
# ISO 4217 currencies whose minor unit is not 1/100 (the default).
_MINOR_UNITS: Final[dict[str, int]] = {
    **dict.fromkeys(_NO_MINOR_UNIT.split(" "), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


def minor_unit_digits(currency: str) -> int:
    """How many decimal places the currency's minor unit has (ISO 4217).

    Two unless the code is one of the ISO 4217 currencies without cents (``JPY``,
    ``KRW``, ``VND``, ...: 0) or with a finer unit (``BHD``, ``KWD``, ...: 3;
    ``CLF``: 4).

    Examples:
        >>> minor_unit_digits("CNY"), minor_unit_digits("JPY"), minor_unit_digits("KWD")
        (2, 0, 3)
    """
    return _MINOR_UNITS.get(currency, 2)


_STEPS: Final = tuple(Decimal(1).scaleb(-digits) for digits in range(5))


def is_whole_minor_units(amount: Decimal, digits: int) -> bool:
    """Whether ``amount`` (in range) is a whole number of minor units with ``digits`` places.

    Examples:
        >>> is_whole_minor_units(Decimal("0.400"), 2), is_whole_minor_units(Decimal("0.004"), 2)
        (True, False)
    """
    return MONEY_CONTEXT.quantize(amount, _STEPS[digits]) == amount


def money_product(unit: Decimal, quantity: int) -> Decimal:
    """``unit × quantity``, exact for amounts and quantities in range."""
    return MONEY_CONTEXT.multiply(unit, quantity)


def money_sum(amounts: Iterable[Decimal]) -> Decimal:
    """The exact sum of amounts in range (never rounded by the caller's context)."""
    total = Decimal(0)
    for amount in amounts:
        total = MONEY_CONTEXT.add(total, amount)
    return total


# --- validation errors without personal data --------------------------------------------

PERSONAL_KEYS: Final[frozenset[str]] = frozenset(
    {
        "name",
        "phone",
        "email",
        "address",
        "region",
        "tags",
        "tagged_at",
        "attributes",
        "text",
        "description",
    }
)
"""Field names whose values are personal data or free text: never put in errors."""

_SAFE_KEYS: Final[frozenset[str]] = frozenset(
    {
        # ids and codes
        "id",
        "customer_id",
        "order_id",
        "review_id",
        "agent_id",
        "assigned_agent_id",
        "sku",
        "currency",
        "status",
        "channel",
        "category",
        "language",
        "kind",
        # times
        "created_at",
        "placed_at",
        "paid_at",
        "promised_delivery_at",
        "delivered_at",
        "posted_at",
        "seller_replied_at",
        "revised_at",
        "opened_at",
        "promised_by",
        "first_response_at",
        "resolved_at",
        "reopened_at",
        "left_at",
        "launched_at",
        "start",
        "end",
        "at",
        # numbers
        "quantity",
        "unit_price",
        "unit_cost",
        "discount",
        "rating",
        "revised_rating",
        "description_match",
        "service_attitude",
        "logistics",
        "reopened",
        "has_outreach_log",
    }
)
"""Fields whose (scalar) input is kept in errors: ids, codes, times and numbers."""

_SCALARS: Final = (bool, int, float, Decimal, datetime, date, time, timedelta, Enum)
_MAX_KEPT_CHARS: Final = 64
_KNOWN_ERROR_TYPES: Final[frozenset[str]] = frozenset(get_args(ErrorType))


def _keeps_input(loc: Sequence[int | str], error_type: str, value: object) -> bool:
    if error_type == "extra_forbidden" or isinstance(value, RedactedInput):
        return False
    names = [part for part in loc if isinstance(part, str)]
    if not names or names[-1] not in _SAFE_KEYS or not PERSONAL_KEYS.isdisjoint(names):
        return False
    if value is None or isinstance(value, _SCALARS):
        return True
    if not isinstance(value, str) or len(value) > _MAX_KEPT_CHARS:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean(part: int | str) -> int | str:
    """A location part that JSON can hold (lone surrogates escaped)."""
    if isinstance(part, str):
        try:
            part.encode("utf-8")
        except UnicodeEncodeError:
            return part.encode("utf-8", "backslashreplace").decode("ascii", "replace")
    return part


def redact_errors(exc: ValidationError) -> list[InitErrorDetails]:
    """The errors of ``exc`` with personal inputs replaced by `RedactedInput` markers.

    The type, location, message and context of each error are kept. The input is
    kept only for id, code, time and number fields (and only when it is a scalar);
    personal and free-text fields (`PERSONAL_KEYS`), unknown fields and whole
    records get ``RedactedInput.of(value)``.
    """
    details: list[InitErrorDetails] = []
    for err in exc.errors(include_url=False):
        loc = tuple(_clean(part) for part in err["loc"])
        value = err["input"]
        if not _keeps_input(loc, err["type"], value):
            value = RedactedInput.of(value)
        ctx = err.get("ctx")
        kind: Any
        if err["type"] in _KNOWN_ERROR_TYPES:
            kind = err["type"]
        else:
            kind = PydanticCustomError(err["type"], err["msg"], ctx)
        detail = InitErrorDetails(type=kind, loc=loc, input=value)
        if ctx is not None and isinstance(kind, str):
            detail["ctx"] = ctx
        details.append(detail)
    return details


def raise_errors(title: str, errors: list[InitErrorDetails]) -> None:
    """Raise the collected errors as one `ValidationError` (nothing when empty)."""
    if errors:
        raise ValidationError.from_exception_data(title, errors)


_UNSET: Final = RedactedInput("<redacted>")


def rule_error(
    loc: tuple[int | str, ...],
    rule: str,
    message: str,
    context: dict[str, Any] | None = None,
    *,
    value: object = _UNSET,
) -> InitErrorDetails:
    """One whole-record rule's error at ``loc`` (``value`` is redacted unless it is safe)."""
    kept = value if _keeps_input(loc, rule, value) else RedactedInput.of(value)
    return InitErrorDetails(type=PydanticCustomError(rule, message, context), loc=loc, input=kept)


# --- the base model ---------------------------------------------------------------------


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return frozenset((key, _frozen(item)) for key, item in value.items())
    if isinstance(value, (tuple, list)):
        return tuple(_frozen(item) for item in value)
    return value


class DomainModel(BaseModel):
    """Base of every custcare record: frozen, strict about unknown fields, hashable.

    Unknown fields are rejected rather than ignored, so a misspelt field name is an
    error instead of silently lost data. Validation errors never carry personal
    data: see `redact_errors`.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=False,
        validate_default=True,
        ser_json_inf_nan="strings",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _redact_errors(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        try:
            return handler(data)
        except ValidationError as exc:
            redacted = redact_errors(exc)
        raise ValidationError.from_exception_data(cls.__name__, redacted)

    def __hash__(self) -> int:
        return hash((type(self), _frozen(tuple(self.__dict__.values()))))


# --- datetimes --------------------------------------------------------------------------


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise PydanticCustomError(
            "naive_datetime",
            "datetime must be timezone-aware (got naive {value}); attach a tzinfo, "
            "e.g. value.replace(tzinfo=ZoneInfo('Asia/Shanghai'))",
            {"value": value.isoformat()},
        )
    return value


_SECONDS_OFFSET = re.compile(r"[+-]\d\d:\d\d:\d\d(\.\d{1,6})?\Z")


def _parse_seconds_offset(value: Any) -> Any:
    """Read ISO 8601 text whose UTC offset has seconds (``+08:05:43``), as written by us."""
    if isinstance(value, str) and _SECONDS_OFFSET.search(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "datetime_from_date_parsing",
                "Input should be a valid datetime with a UTC offset",
                {},
            ) from None
    return value


def _write_seconds_offset(value: datetime, handler: SerializerFunctionWrapHandler) -> Any:
    """JSON text of a datetime; keeps seconds of the UTC offset (pydantic cuts them)."""
    offset = value.utcoffset()
    if offset is not None and (offset.seconds % 60 or offset.microseconds):
        return value.isoformat()
    return handler(value)


AwareDatetime = Annotated[
    datetime,
    BeforeValidator(_parse_seconds_offset),
    AfterValidator(_require_aware),
    WrapSerializer(_write_seconds_offset, when_used="json"),
]
"""A datetime that must carry a time zone; naive values are rejected.

Any datetime from year 1 to 9999 in any fixed or IANA zone is accepted, and JSON
keeps its UTC offset exactly, seconds included (Asia/Shanghai in 1900 was
+08:05:43).
"""


# --- text -------------------------------------------------------------------------------


def require_unicode(value: str) -> str:
    """``value`` if it can be written as UTF-8, else a ``lone_surrogate`` error."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise PydanticCustomError(
                "lone_surrogate",
                "text must be valid Unicode; it has a lone surrogate at position {position}",
                {"position": exc.start},
            ) from None
    return value


Text = Annotated[str, AfterValidator(require_unicode)]
"""Any string that can be written as UTF-8 (lone surrogates are refused)."""

MAX_RECORD_TEXT: Final = 1_000_000
"""A review's or complaint's text is at most a million characters (memory stays
bounded; the text classifier reads at most `custcare.text.MAX_TEXT_CHARS` of it)."""

RecordText = Annotated[Text, Field(max_length=MAX_RECORD_TEXT)]
"""The free text of a review or complaint: valid Unicode, up to `MAX_RECORD_TEXT`."""


def _require_non_empty(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("empty_string", "must not be empty or only whitespace", {})
    return require_unicode(value)


NonEmptyStr = Annotated[str, AfterValidator(_require_non_empty)]
"""A string with at least one non-space character (ids, codes), valid Unicode."""


# --- money ------------------------------------------------------------------------------


def _reject_float(value: Any) -> Any:
    if isinstance(value, float):
        raise PydanticCustomError(
            "money_from_float",
            "money must be given as Decimal, int or str, not float ('{value}'); "
            "floats cannot hold amounts like 0.1 exactly",
            {"value": value},
        )
    return value


def _require_amount(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError(
            "negative_amount", "amount must be >= 0, got {value}", {"value": str(value)}
        )
    if value >= MAX_AMOUNT:
        raise PydanticCustomError(
            "amount_too_large",
            "amount must be below {limit} (10^10), the largest amount custcare supports",
            {"limit": str(MAX_AMOUNT)},
        )
    return value


_UNIT_STEP: Final = Decimal(1).scaleb(-MAX_UNIT_DECIMALS)


def _require_unit_amount(value: Decimal) -> Decimal:
    _require_amount(value)
    if MONEY_CONTEXT.quantize(value, _UNIT_STEP) != value:
        raise PydanticCustomError(
            "amount_too_precise",
            "a unit amount has at most {places} decimal places; round it first",
            {"places": MAX_UNIT_DECIMALS},
        )
    return value


Money = Annotated[Decimal, BeforeValidator(_reject_float), AfterValidator(_require_amount)]
"""A finite `Decimal` amount, ``0 <= amount < MAX_AMOUNT``. Floats are rejected.

Errors: ``money_from_float``, ``finite_number`` (NaN, infinity), ``negative_amount``,
``amount_too_large``. An order also requires its discount and each line's
revenue and cost to be whole minor units of its currency (``sub_minor_unit``).
"""

UnitMoney = Annotated[Decimal, BeforeValidator(_reject_float), AfterValidator(_require_unit_amount)]
"""A unit price or cost: `Money` with at most `MAX_UNIT_DECIMALS` decimal places
(``amount_too_precise``)."""


# --- masking ----------------------------------------------------------------------------


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


class MasksText(DomainModel):
    """Base of records with a free ``text``: masked in ``repr`` and in `redacted`.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from custcare.models import Review
        >>> r = Review(id="r2", customer_id="u1", rating=1, text="快递员态度很差",
        ...            posted_at=datetime(2026, 5, 2, tzinfo=timezone.utc))
        >>> r.redacted()["text"], "快递员" in repr(r)
        ('快******', False)
    """

    if TYPE_CHECKING:  # each record declares its own ``text`` field, in its own place
        text: str

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for key, value in super().__repr_args__():
            yield key, mask_text(value) if key == "text" else value

    def redacted(self) -> dict[str, Any]:
        """A JSON-ready dump with the text masked (its first character kept)."""
        data = self.model_dump(mode="json")
        data["text"] = mask_text(self.text)
        return data
