"""Columnar, per-customer data for population work: numpy arrays, no Python loops."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Final, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic_core import PydanticCustomError

from custcare._gc import gc_paused
from custcare.batch._records import CareRecords, records_from_histories
from custcare.errors import ColumnError, DataError
from custcare.models import (
    COUNTED_STATUSES,
    MAX_AMOUNT,
    CustomerHistory,
    Order,
    OrderStatus,
    minor_unit_digits,
)

__all__ = [
    "MAX_CUSTOMER_TOTAL",
    "MAX_CUSTOMER_UNITS",
    "CustomerBatch",
    "from_histories",
    "hash_text",
    "to_epoch_seconds",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

SECONDS_PER_DAY = 86_400.0


def _frozen(arr: NDArray[Any]) -> NDArray[Any]:
    arr.flags.writeable = False
    return arr


def _frozen_empty(dtype: Any) -> NDArray[Any]:
    return _frozen(np.empty(0, dtype=dtype))


_EMPTY_INT = _frozen_empty(np.int64)
_EMPTY_FLOAT = _frozen_empty(np.float64)
_EMPTY_STR = _frozen_empty(np.str_)


def to_epoch_seconds(moment: datetime) -> float:
    """Seconds since 1970-01-01 UTC of an aware datetime (the batch time axis).

    Examples:
        >>> from datetime import datetime, timezone
        >>> to_epoch_seconds(datetime(1970, 1, 2, tzinfo=timezone.utc))
        86400.0
    """
    return (moment - _EPOCH).total_seconds()


# --- column rules -----------------------------------------------------------------------------
#
# Every check is vectorised numpy; object arrays (Decimal money, str ids read from a
# DataFrame) are the only inputs looked at element by element, and only to learn each
# element's type. Errors name the column, the rule and the rows, never a value.

_MIN_TIME = to_epoch_seconds(datetime.min.replace(tzinfo=timezone.utc))
_MAX_TIME = to_epoch_seconds(datetime.max.replace(tzinfo=timezone.utc))
_US_PER_SECOND = 1e6
# Ticks of a datetime64 unit per microsecond, for the units at least that fine.
_TICKS_PER_US = {"us": 1, "ns": 10**3, "ps": 10**6, "fs": 10**9, "as": 10**12}
_INT64_MAX = np.iinfo(np.int64).max

MAX_CUSTOMER_TOTAL: Final = 10**11
"""A customer's orders together stay below 10^11 currency units (paid, and cost).

Each order is below `custcare.models.MAX_AMOUNT` (10^10), the bound of the record
models. Scorers sum amounts per customer as whole minor units (cents, or 1/10^4 of
a unit for the finest ISO 4217 currencies): below 10^15 minor units, such a sum is
exact in float64 and in int64, so no sum can wrap or round.
"""

MAX_CUSTOMER_UNITS: Final = 10**15
"""A customer's orders together hold at most 10^15 units (and so does each order):
unit counts summed per customer stay exact in float64 and int64."""

_MAX_AMOUNT_FLOAT = float(MAX_AMOUNT)

UNCOUNTED_STATUSES: tuple[str, ...] = tuple(
    s.value for s in OrderStatus if s not in COUNTED_STATUSES
)
"""Status codes an uncounted order may have (every `OrderStatus` not counted)."""

_COUNTED_CODES = tuple(s.value for s in OrderStatus if s in COUNTED_STATUSES)


def _what(dtype: np.dtype[Any]) -> str:
    """The kind of values a dtype holds, in words (for messages)."""
    names = {
        "b": "booleans",
        "i": "integers",
        "u": "integers",
        "f": "floats",
        "c": "complex numbers",
        "m": "timedelta64 durations",
        "M": "datetime64 times",
        "O": "Python objects",
        "S": "bytes",
        "U": "strings",
        "V": "raw records",
    }
    return f"{names.get(dtype.kind, 'values')} (dtype {dtype})"


def _fail(column: str, rule: str, detail: str, bad: NDArray[np.bool_] | None = None) -> NoReturn:
    if bad is None:
        raise ColumnError(column, rule, detail)
    rows = np.flatnonzero(bad)
    raise ColumnError(
        column, rule, detail, rows=rows[: ColumnError.MAX_ROWS].tolist(), n_rows=rows.size
    )


def _check(column: str, rule: str, detail: str, bad: NDArray[np.bool_]) -> None:
    if bad.any():
        _fail(column, rule, detail, bad)


def _read(name: str, values: ArrayLike, n: int | None) -> NDArray[Any]:
    """One-dimensional array of ``values`` (not copied yet), with the length checked.

    A Python list mixing strings or booleans with other types is read as an object
    array (numpy would otherwise turn ``["a", 1]`` into strings and ``[True, 2]``
    into integers), so the element checks see what the caller passed.
    """
    try:
        arr: NDArray[Any] = np.asarray(values)
    except (ValueError, TypeError):
        _fail(name, "not_one_dimensional", "cannot be read as one array (ragged nesting?)")
    if arr.ndim != 1:
        _fail(name, "not_one_dimensional", f"must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        _fail(name, "wrong_length", f"has {arr.shape[0]} entries, expected {n}")
    if isinstance(values, (list, tuple)) and arr.dtype.kind in "biufUS" and arr.size:
        kinds = {_kind_of(t) for t in set(map(type, values))}
        if len(kinds) > 1 and kinds != {"number"}:
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
    return arr


def _kind_of(cls: type) -> str:
    for kind, types in (("text", (str,)), ("bytes", (bytes,)), ("bool", (bool, np.bool_))):
        if issubclass(cls, types):
            return kind
    return "number"


def _times(name: str, values: ArrayLike, n: int | None) -> NDArray[np.float64]:
    """Epoch seconds from float/int seconds or datetime64 of any unit."""
    arr = _read(name, values, n)
    if arr.size == 0:
        return _frozen_empty(np.float64)
    kind = arr.dtype.kind
    if kind == "M":
        secs, nat, overflow = datetime64_seconds(arr)
        _check(name, "not_a_time", "datetime64 NaT is not a time", nat)
        _check(name, "out_of_range", "time outside the years 1..9999", overflow)
    elif kind in "iuf":
        secs = arr.astype(np.float64)
        _check(name, "not_a_time", "NaN is not a time", np.isnan(secs))
        _check(name, "not_finite", "infinite time", np.isinf(secs))
    else:
        _fail(
            name,
            "not_a_time",
            f"{_what(arr.dtype)} are not times: pass epoch seconds (float or int) or "
            "datetime64 (parse text and convert aware datetimes first)",
        )
    _check(
        name,
        "out_of_range",
        "time outside the years 1..9999",
        (secs < _MIN_TIME) | (secs > _MAX_TIME),
    )
    return _frozen(secs)


def datetime64_seconds(
    arr: NDArray[np.datetime64],
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
    """Epoch seconds of datetime64 values, by their unit; never guessed.

    Values are converted through whole microseconds, so a time with microsecond
    precision gives the same float whatever its unit (s, ms, us, ns) and the same
    float as `to_epoch_seconds` of the equal `datetime`; finer ticks are added as a
    fraction.

    Returns:
        ``(seconds, nat, overflow)``: NaN where the value is NaT (``nat``) or cannot
        be held as microseconds since the epoch (``overflow``).
    """
    nat = np.isnat(arr)
    unit, count = np.datetime_data(arr.dtype)
    overflow = np.zeros(arr.shape, dtype=np.bool_)
    if unit == "generic":  # only NaT can be generic
        return np.full(arr.shape, np.nan), nat, overflow
    per_us_unit = _TICKS_PER_US.get(unit)
    if per_us_unit is not None and per_us_unit % count:  # e.g. datetime64[7ns]
        base = arr.astype(f"datetime64[{unit}]")
        overflow = (base.astype(arr.dtype) != arr) & ~nat
        return _fine_seconds(base, per_us_unit, nat, overflow)
    if per_us_unit is not None:
        return _fine_seconds(arr, per_us_unit // count, nat, overflow)
    micro = arr.astype("datetime64[us]")  # coarser unit: exact unless out of range
    overflow = (micro.astype(arr.dtype) != arr) & ~nat
    secs = micro.view(np.int64) / _US_PER_SECOND
    secs[nat | overflow] = np.nan
    return secs, nat, overflow


def _fine_seconds(
    arr: NDArray[np.datetime64],
    per_us: int,
    nat: NDArray[np.bool_],
    overflow: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
    ticks = arr.view(np.int64)
    if per_us == 1:
        secs = ticks / _US_PER_SECOND
    else:
        whole_us, rest = np.divmod(ticks, per_us)
        secs = whole_us / _US_PER_SECOND
        if rest.any():
            secs += rest / (per_us * _US_PER_SECOND)
    secs[nat | overflow] = np.nan
    return secs, nat, overflow


def _rows(name: str, values: ArrayLike, n_customers: int) -> NDArray[np.int64]:
    """Customer row numbers: integers in ``0..n_customers-1``."""
    arr = _read(name, values, None)
    if arr.size == 0:
        return _frozen_empty(np.int64)
    kind = arr.dtype.kind
    if kind in "iu":
        where = f"0..{n_customers - 1}" if n_customers else "an empty range (no customers)"
        _check(
            name,
            "row_out_of_range",
            f"customer rows must be in {where}",
            (arr < 0) | (arr >= n_customers),
        )
        return _frozen(arr.astype(np.int64))
    if kind == "f":
        with np.errstate(invalid="ignore"):
            fractional = ~(np.isfinite(arr) & (np.floor(arr) == arr))
        _check(
            name, "not_an_integer", "fractional/float row numbers are not customer rows", fractional
        )
    _fail(
        name,
        "not_an_integer",
        f"{_what(arr.dtype)}: fractional/float row numbers, booleans and text are not "
        "customer rows; pass an integer array (e.g. the inverse of np.unique(..., "
        "return_inverse=True))",
    )


def _flags(name: str, values: ArrayLike, m: int) -> NDArray[np.bool_]:
    arr = _read(name, values, m)
    if arr.size == 0:
        return _frozen_empty(np.bool_)
    if arr.dtype.kind != "b":
        _fail(
            name,
            "not_a_bool",
            f"{_what(arr.dtype)} are not read as flags (text such as 'False' and numbers "
            "are refused); pass a bool array",
        )
    return _frozen(arr.astype(np.bool_))


def _is_amount(value: object) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, Decimal):
        return not value.is_snan()
    return isinstance(value, (int, float, np.integer, np.floating))


def _to_float(value: Any) -> float:
    """The nearest float of a number, never infinite for a finite number.

    A finite int or Decimal beyond the float range gives the largest float of its
    sign, so it is refused as too large rather than as infinite.
    """
    try:
        out = float(value)
    except OverflowError:  # a Python int beyond 1.8e308
        out = float("inf") if value > 0 else float("-inf")
    infinite = isinstance(value, (float, np.floating)) or (
        isinstance(value, Decimal) and value.is_infinite()
    )
    if math.isinf(out) and not infinite:
        return math.copysign(sys.float_info.max, out)
    return out


_is_amount_each = np.frompyfunc(_is_amount, 1, 1)
_is_none_each = np.frompyfunc(lambda value: value is None, 1, 1)
_float_each = np.frompyfunc(_to_float, 1, 1)


def _money(
    name: str, values: ArrayLike, m: int, *, unknown_ok: bool, digits: int
) -> NDArray[np.float64]:
    """Amounts as float64 in ``0 <= x < MAX_AMOUNT``, whole minor units of the currency.

    NaN (unknown) only where ``unknown_ok``; ``digits`` is the currency's number
    of minor-unit decimals (`custcare.models.minor_unit_digits`).
    """
    arr = _read(name, values, m)
    if arr.size == 0:
        return _frozen_empty(np.float64)
    kind = arr.dtype.kind
    if kind in "iuf":
        vals = arr.astype(np.float64)
    elif kind == "O":
        number = _is_amount_each(arr).astype(np.bool_)
        missing = _is_none_each(arr).astype(np.bool_) if unknown_ok else np.zeros_like(number)
        _check(
            name,
            "not_a_number",
            "not an amount: only Decimal, int and float are read (not text, bool or None)",
            ~number & ~missing,
        )
        vals = np.full(arr.shape, np.nan)
        vals[number] = _float_each(arr[number]).astype(np.float64)
    else:
        _fail(
            name,
            "not_a_number",
            f"{_what(arr.dtype)} are not amounts; pass int/float numbers or Decimal objects",
        )
    if unknown_ok:
        _check(name, "not_finite", "infinite amount (NaN means unknown)", np.isinf(vals))
    else:
        _check(name, "not_finite", "NaN or infinite amount", ~np.isfinite(vals))
    _check(name, "negative_amount", "amount must be >= 0", vals < 0)
    _check(name, "amount_too_large", AMOUNT_TOO_LARGE, amount_too_large(vals))
    _check(name, "sub_minor_unit", sub_minor_unit_text(digits), sub_minor_unit(vals, digits))
    return _frozen(vals)


AMOUNT_TOO_LARGE = f"amount must be below {_MAX_AMOUNT_FLOAT:,.0f} (custcare.models.MAX_AMOUNT)"
CUSTOMER_TOTAL_TOO_LARGE = (
    "a customer's orders together reach the supported limit or more (MAX_CUSTOMER_TOTAL "
    "for money, MAX_CUSTOMER_UNITS for units); the rows are the orders of such customers"
)


def sub_minor_unit_text(digits: int) -> str:
    """The message of the ``sub_minor_unit`` rule for a currency with ``digits`` decimals."""
    return (
        f"amount is not a whole number of the currency's minor units (1/{10**digits}); "
        "round it first (custcare does not round money)"
    )


def amount_too_large(vals: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Where an amount is at or above `custcare.models.MAX_AMOUNT` (NaN: no)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(vals >= _MAX_AMOUNT_FLOAT)


def sub_minor_unit(vals: NDArray[np.float64], digits: int) -> NDArray[np.bool_]:
    """Where an amount is not a whole number of minor units (``digits`` decimals; NaN: no)."""
    with np.errstate(invalid="ignore"):
        scaled = vals * 10.0**digits
        # Whole minor units, up to the float error of the decimal amount's nearest float.
        off = np.abs(scaled - np.rint(scaled)) > 8 * np.spacing(np.abs(scaled))
    return np.asarray(off & ~np.isnan(vals))


def customer_total_over(
    values: NDArray[Any], order_customer: NDArray[np.int64], n: int, limit: float
) -> NDArray[np.bool_]:
    """Per order: whether its customer's values (NaN left out) sum to ``limit`` or more."""
    if values.size == 0:
        return np.zeros(0, dtype=np.bool_)
    per_customer = np.bincount(
        order_customer, weights=np.nan_to_num(values.astype(np.float64)), minlength=n
    )
    return np.asarray((per_customer >= limit)[order_customer])


def _customer_totals(
    name: str, rule_values: NDArray[Any], order_customer: NDArray[np.int64], n: int, limit: float
) -> None:
    """Refuse the orders of customers whose values (NaN: left out) sum to ``limit`` or more."""
    over = customer_total_over(rule_values, order_customer, n, limit)
    if over.any():
        _fail(name, "customer_total_too_large", CUSTOMER_TOTAL_TOO_LARGE, over)


def _units(name: str, values: ArrayLike, m: int) -> NDArray[np.int64]:
    arr = _read(name, values, m)
    if arr.size == 0:
        return _frozen_empty(np.int64)
    kind = arr.dtype.kind
    if kind == "f":
        with np.errstate(invalid="ignore"):
            fractional = ~(np.isfinite(arr) & (np.floor(arr) == arr))
        _check(name, "not_an_integer", "fractional number of units", fractional)
    elif kind not in "iu":
        _fail(name, "not_an_integer", f"{_what(arr.dtype)} are not numbers of units")
    _check(
        name,
        "out_of_range",
        f"number of units above {MAX_CUSTOMER_UNITS:,} (MAX_CUSTOMER_UNITS)",
        arr > MAX_CUSTOMER_UNITS,
    )
    _check(name, "greater_than_equal", "number of units must be >= 1", arr < 1)
    return _frozen(arr.astype(np.int64))


_is_str_each = np.frompyfunc(lambda value: isinstance(value, str), 1, 1)


def _text(name: str, values: ArrayLike, n: int | None, what: str) -> NDArray[np.str_]:
    """A numpy str array (a copy) from a str array or an object array of str."""
    arr = _read(name, values, n)
    if arr.size == 0:
        return _frozen_empty(np.str_)
    kind = arr.dtype.kind
    if kind == "U":
        return _frozen(np.array(arr, copy=True, order="C"))
    if kind == "O":
        _check(
            name,
            "not_text",
            f"not a str (None, number, bytes ...): {what}",
            ~_is_str_each(arr).astype(np.bool_),
        )
        return _frozen(arr.astype(np.str_))
    hint = ""
    if kind in "iufb":
        hint = (
            "; convert ids to strings explicitly (e.g. np.char.mod('%d', ids)) so leading "
            "zeros and long order numbers are kept as written"
        )
    elif kind == "S":
        hint = "; decode bytes to str first"
    _fail(name, "not_text", f"{_what(arr.dtype)}: {what} must be strings{hint}")


def _ids(name: str, values: ArrayLike, n: int | None) -> NDArray[np.str_]:
    ids = _text(name, values, n, "ids must be strings")
    _check(name, "empty_string", "id is empty or only whitespace", blank_mask(ids))
    return ids


_SPACE_LIMIT = 0x3000  # the largest code point for which str.isspace() is True
_IS_SPACE = np.array([chr(c).isspace() or c == 0 for c in range(_SPACE_LIMIT + 1)])


def blank_mask(text: NDArray[np.str_]) -> NDArray[np.bool_]:
    """Where a str array holds ``""`` or only whitespace (vectorised).

    Only strings that start with whitespace are stripped, so the common case (ids)
    costs one look at the first character.
    """
    n = text.shape[0]
    width = text.dtype.itemsize // 4
    if n == 0 or width == 0:
        return np.ones(n, dtype=np.bool_)
    first = np.ascontiguousarray(text).view(np.uint32).reshape(n, width)[:, 0]
    maybe = np.flatnonzero(_IS_SPACE[np.minimum(first, _SPACE_LIMIT)] & (first <= _SPACE_LIMIT))
    out = np.zeros(n, dtype=np.bool_)
    if maybe.size:
        out[maybe] = np.char.str_len(np.char.strip(text[maybe])) == 0
    return out


_HASH_CHUNK = 1 << 12  # rows per step: a chunk of codes stays in the CPU cache
_HASH_SEED = 20260301


def hash_text(text: NDArray[np.str_]) -> NDArray[np.uint64]:
    """A 64-bit hash of each string: a fixed random odd-weighted sum of its code points.

    Strings of even width are read as 64-bit words (two code points each), which
    halves the work; the sum wraps modulo 2**64.
    """
    n = text.shape[0]
    width = text.dtype.itemsize // 4
    text = np.ascontiguousarray(text)
    words: NDArray[np.unsignedinteger[Any]]
    if width % 2 == 0:
        words = text.view(np.uint64).reshape(n, width // 2)
    else:
        words = text.view(np.uint32).reshape(n, width)
    rng = np.random.default_rng(_HASH_SEED)
    weights = rng.integers(0, _INT64_MAX, size=words.shape[1], dtype=np.uint64)
    weights = weights * np.uint64(2) + np.uint64(1)
    out = np.empty(n, dtype=np.uint64)
    for start in range(0, n, _HASH_CHUNK):
        stop = min(start + _HASH_CHUNK, n)
        np.matmul(words[start:stop].astype(np.uint64, copy=False), weights, out=out[start:stop])
    return out


def duplicate_mask(text: NDArray[np.str_]) -> NDArray[np.bool_]:
    """Where a str array holds a value that occurs more than once (every occurrence).

    One sort of 64-bit hashes; strings whose hash repeats are then compared exactly,
    so a hash collision never makes two different ids look equal.
    """
    n = text.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    if n < 2:
        return out
    hashes = hash_text(text)
    ordered = np.sort(hashes)
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return out
    maybe = np.flatnonzero(np.isin(hashes, ordered[1:][same]))
    _, inverse, counts = np.unique(text[maybe], return_inverse=True, return_counts=True)
    out[maybe[counts[inverse] > 1]] = True
    return out


def _check_order_ids_unique(
    order_ids: NDArray[np.str_] | None, uncounted_ids: NDArray[np.str_]
) -> None:
    """Order ids are unique across the counted and the uncounted orders."""
    m = 0 if order_ids is None else order_ids.shape[0]
    if order_ids is None or not uncounted_ids.size:
        both = uncounted_ids if order_ids is None else order_ids
    else:
        both = np.concatenate([order_ids, uncounted_ids])
    dup = duplicate_mask(both)
    detail = "order id is not unique (across order_ids and uncounted_ids)"
    _check("order_ids", "duplicate_id", detail, dup[:m])
    _check("uncounted_ids", "duplicate_id", detail, dup[m:])


def _repeats(rows: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Where an integer array holds a value that occurs more than once."""
    out = np.zeros(rows.shape, dtype=np.bool_)
    if rows.size > 1:
        counts = np.bincount(rows)
        out = counts[rows] > 1
    return out


def _statuses(name: str, values: ArrayLike, u: int) -> NDArray[np.str_]:
    codes = _text(name, values, u, "status codes must be strings")
    _check(
        name,
        "unknown_status",
        f"not an OrderStatus code (known: {', '.join(s.value for s in OrderStatus)})",
        ~np.isin(codes, [s.value for s in OrderStatus]),
    )
    _check(
        name,
        "counted_status",
        f"orders with a counted status ({', '.join(_COUNTED_CODES)}) belong in the order table",
        np.isin(codes, _COUNTED_CODES),
    )
    return codes


def check_currency(currency: object, *, required: bool) -> str | None:
    """The currency code, checked with the record model's rule (`custcare.Order`)."""
    if currency is None:
        if required:
            _fail("currency", "currency_required", "currency is required when there are orders")
        return None
    detail = f"must be an ISO 4217 code of three capital letters (e.g. 'CNY'), got {currency!r}"
    if not isinstance(currency, str):
        _fail("currency", "currency_code", detail)
    try:
        Order._check_currency(currency)
    except PydanticCustomError as exc:
        _fail("currency", exc.type, detail)
    return currency


def check_timezone(name: object) -> str:
    """The IANA time zone name, checked by loading it with `zoneinfo`."""
    detail = f"unknown time zone {name!r}: use an IANA name such as 'Asia/Shanghai'"
    if not isinstance(name, str) or not name:
        _fail("timezone", "unknown_timezone", detail)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        _fail("timezone", "unknown_timezone", detail)
    return name


@dataclass(frozen=True, eq=False)
class CustomerBatch:
    """Customers and their orders as columns, for vectorised scoring of populations.

    Two tables share one time axis (seconds since the Unix epoch, UTC) and one
    currency. Customers are rows ``0..n-1``; orders are a long table whose
    ``order_customer`` column holds the customer's row. Only orders that count as
    purchases (completed; see `custcare.models.COUNTED_STATUSES`) belong in the
    order table. Money is float64 here, for speed; the per-customer path uses the
    same arithmetic, so both paths agree.

    Build it from histories with `from_histories`, or straight from arrays (an
    order log read by your own program) with `CustomerBatch.from_arrays`.

    Attributes:
        customer_ids: ``(n,)`` customer ids (unique).
        created_at: ``(n,)`` customer creation times.
        order_customer: ``(m,)`` row of the customer of each order.
        order_time: ``(m,)`` time each order was placed.
        order_total: ``(m,)`` amount paid (after discount).
        order_cost: ``(m,)`` cost of goods, NaN where unknown.
        order_units: ``(m,)`` number of units on the order.
        order_discounted: ``(m,)`` whether the order had a discount.
        currency: The one currency of every amount, or None when there are no orders.
        order_ids: ``(m,)`` order ids, when known (for evidence).
        timezone: The shop's IANA time zone (e.g. ``"Asia/Shanghai"``): purchase
            days are the shop's calendar days in it.
        uncounted_customer: ``(u,)`` row of the customer of each order that does not
            count as a purchase (pending, paid, shipped, cancelled, refunded,
            returned); these are cited in reasons, never summed.
        uncounted_time: ``(u,)`` time each such order was placed.
        uncounted_status: ``(u,)`` its status code (`custcare.models.OrderStatus` value).
        uncounted_ids: ``(u,)`` its id.
        records: Reviews, complaints and order lines as columns, when known
            (`from_histories` fills them; churn causes and complaint priority read them).
    """

    customer_ids: NDArray[np.str_]
    created_at: NDArray[np.float64]
    order_customer: NDArray[np.int64]
    order_time: NDArray[np.float64]
    order_total: NDArray[np.float64]
    order_cost: NDArray[np.float64]
    order_units: NDArray[np.int64]
    order_discounted: NDArray[np.bool_]
    currency: str | None = None
    order_ids: NDArray[np.str_] | None = field(default=None)
    timezone: str = "UTC"
    uncounted_customer: NDArray[np.int64] = field(default_factory=lambda: _EMPTY_INT)
    uncounted_time: NDArray[np.float64] = field(default_factory=lambda: _EMPTY_FLOAT)
    uncounted_status: NDArray[np.str_] = field(default_factory=lambda: _EMPTY_STR)
    uncounted_ids: NDArray[np.str_] = field(default_factory=lambda: _EMPTY_STR)
    records: CareRecords | None = None
    # Derived orderings, computed once per batch on first use (the batch is immutable).
    _derived: dict[str, NDArray[np.int64]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def from_arrays(
        cls,
        *,
        customer_ids: ArrayLike,
        created_at: ArrayLike,
        order_customer: ArrayLike,
        order_time: ArrayLike,
        order_total: ArrayLike,
        order_cost: ArrayLike | None = None,
        order_units: ArrayLike | None = None,
        order_discounted: ArrayLike | None = None,
        currency: str | None = None,
        order_ids: ArrayLike | None = None,
        timezone: str = "UTC",
        uncounted_customer: ArrayLike | None = None,
        uncounted_time: ArrayLike | None = None,
        uncounted_status: ArrayLike | None = None,
        uncounted_ids: ArrayLike | None = None,
        records: CareRecords | None = None,
    ) -> CustomerBatch:
        """Validate and freeze columns (copies are made; inputs are not changed).

        Every column is read exactly or refused; nothing is cast, rounded or guessed:

        * times (``created_at``, ``order_time``, ``uncounted_time``): finite epoch
          seconds (float or int), or ``datetime64`` of any unit, converted by its
          unit (NaT refused). Text, objects, booleans and durations are refused.
        * customer rows (``order_customer``, ``uncounted_customer``): integers in
          ``0..n-1``; floats (even whole ones) and booleans are refused.
        * ``order_discounted``: a bool array.
        * money (``order_total``, ``order_cost``): int or float numbers, or Decimal
          objects (converted to the nearest float); finite, >= 0, below
          `custcare.models.MAX_AMOUNT` (10^10) and whole minor units of the
          currency (cents for ``CNY``, yen for ``JPY``; `custcare.models.
          minor_unit_digits`); each customer's orders together below
          `MAX_CUSTOMER_TOTAL` (10^11). A cost may be NaN (unknown), never infinite.
        * ``order_units``: whole numbers >= 1; a customer's orders together at most
          `MAX_CUSTOMER_UNITS` (10^15).
        * ids (``customer_ids``, ``order_ids``, ``uncounted_ids``): strings, not
          empty or blank; customer ids unique, order ids unique across
          ``order_ids`` and ``uncounted_ids``. Numbers are refused: convert them to
          text yourself, so that leading zeros and long order numbers survive.
        * ``uncounted_status``: `custcare.models.OrderStatus` codes that do not
          count (not in `custcare.models.COUNTED_STATUSES`).
        * ``currency``: three capital letters (the `custcare.Order` rule), required
          when there are orders; ``timezone``: an IANA name `zoneinfo` can load.

        Validation is vectorised (about a second for ten million orders with ids).

        Raises:
            ColumnError: a `custcare.errors.DataError` naming the column, the rule
                (``err.rule``, a stable slug) and the first offending rows
                (``err.rows``, ``err.n_rows``); values are never shown.

        Examples:
            >>> b = CustomerBatch.from_arrays(
            ...     customer_ids=["a", "b"], created_at=[0.0, 0.0],
            ...     order_customer=[0, 0, 1], order_time=[10.0, 20.0, 30.0],
            ...     order_total=[5.0, 7.5, 1.0], currency="CNY")
            >>> b.n_customers, b.n_orders, b.spend().tolist()
            (2, 3, [12.5, 1.0])

            Times may be datetime64 in any unit:

            >>> import numpy as np
            >>> b = CustomerBatch.from_arrays(
            ...     customer_ids=["a"], created_at=np.array(["2026-01-01"], "datetime64[D]"),
            ...     order_customer=[0], order_time=np.array([1_767_225_600_000], "datetime64[ms]"),
            ...     order_total=[5.0], currency="CNY")
            >>> b.created_at.tolist(), b.order_time.tolist()
            ([1767225600.0], [1767225600.0])

            A float row number is refused rather than truncated:

            >>> CustomerBatch.from_arrays(
            ...     customer_ids=["a", "b"], created_at=[0.0, 0.0],
            ...     order_customer=[0, 0.7], order_time=[1.0, 2.0],
            ...     order_total=[1.0, 1.0], currency="CNY")
            Traceback (most recent call last):
            ...
            custcare.errors.ColumnError: order_customer: row 1 (1 row): fractional/float row numbers are not customer rows [rule=not_an_integer]
        """  # noqa: E501
        ids = _ids("customer_ids", customer_ids, None)
        n = ids.shape[0]
        _check("customer_ids", "duplicate_id", "customer id is not unique", duplicate_mask(ids))
        created = _times("created_at", created_at, n)
        oc = _rows("order_customer", order_customer, n)
        m = oc.shape[0]
        ot = _times("order_time", order_time, m)
        cur = check_currency(currency, required=m > 0)
        digits = 2 if cur is None else minor_unit_digits(cur)
        total = _money("order_total", order_total, m, unknown_ok=False, digits=digits)
        _customer_totals("order_total", total, oc, n, MAX_CUSTOMER_TOTAL)
        cost = (
            _frozen(np.full(m, np.nan))
            if order_cost is None
            else _money("order_cost", order_cost, m, unknown_ok=True, digits=digits)
        )
        _customer_totals("order_cost", cost, oc, n, MAX_CUSTOMER_TOTAL)
        units = (
            _frozen(np.ones(m, dtype=np.int64))
            if order_units is None
            else _units("order_units", order_units, m)
        )
        _customer_totals("order_units", units, oc, n, MAX_CUSTOMER_UNITS)
        disc = (
            _frozen(np.zeros(m, dtype=np.bool_))
            if order_discounted is None
            else _flags("order_discounted", order_discounted, m)
        )
        zone = check_timezone(timezone)
        oids = None if order_ids is None else _ids("order_ids", order_ids, m)
        uc = _rows(
            "uncounted_customer", [] if uncounted_customer is None else uncounted_customer, n
        )
        u = uc.shape[0]
        ut = _times("uncounted_time", [] if uncounted_time is None else uncounted_time, u)
        us = _statuses("uncounted_status", [] if uncounted_status is None else uncounted_status, u)
        ui = _ids("uncounted_ids", [] if uncounted_ids is None else uncounted_ids, u)
        _check_order_ids_unique(oids, ui)
        return cls(
            ids, created, oc, ot, total, cost, units, disc, cur, oids, zone, uc, ut, us, ui, records
        )

    @classmethod
    def _trusted(cls, **columns: Any) -> CustomerBatch:
        """A batch of columns already valid (cut from a valid batch); nothing re-checked.

        For `until`, `take` and custcare's own builders: arrays are frozen, not copied.
        """
        for value in columns.values():
            if isinstance(value, np.ndarray) and value.flags.writeable:
                value.flags.writeable = False
        return cls(**columns)

    @property
    def n_customers(self) -> int:
        """Number of customers (rows)."""
        return int(self.customer_ids.shape[0])

    @property
    def n_orders(self) -> int:
        """Number of orders in the long table."""
        return int(self.order_customer.shape[0])

    def orders_by_time(self) -> NDArray[np.int64]:
        """The order rows sorted by customer, then time, then id (computed once).

        Examples:
            >>> b = CustomerBatch.from_arrays(customer_ids=["a", "b"], created_at=[0.0, 0.0],
            ...     order_customer=[1, 0, 1], order_time=[5.0, 9.0, 2.0],
            ...     order_total=[1.0, 2.0, 3.0], currency="CNY")
            >>> b.orders_by_time().tolist()
            [1, 2, 0]
        """
        found = self._derived.get("by_time")
        if found is None:
            from custcare.batch._order import sort_orders

            ids = self.order_ids
            if ids is None:  # ties in (customer, time) keep row order
                ids = np.zeros(self.n_orders, dtype="<U1")
            found = _frozen(sort_orders(self.order_customer, self.order_time, ids))
            self._derived["by_time"] = found
        return found

    def _sum(self, values: NDArray[Any], mask: NDArray[np.bool_] | None) -> NDArray[np.float64]:
        idx = self.order_customer if mask is None else self.order_customer[mask]
        w = values if mask is None else values[mask]
        sums = np.bincount(idx, weights=w.astype(np.float64), minlength=self.n_customers)
        return sums.astype(np.float64, copy=False)

    def _window(self, as_of: float, window_days: float | None) -> NDArray[np.bool_]:
        keep = self.order_time <= as_of
        if window_days is not None:
            keep &= self.order_time > as_of - window_days * SECONDS_PER_DAY
        return keep

    def spend(self, as_of: float = np.inf, window_days: float | None = None) -> NDArray[np.float64]:
        """Per-customer spend of orders placed in ``(as_of - window, as_of]``.

        Examples:
            >>> b = CustomerBatch.from_arrays(customer_ids=["a"], created_at=[0.0],
            ...     order_customer=[0, 0], order_time=[0.0, 86400.0 * 10],
            ...     order_total=[3.0, 4.0], currency="CNY")
            >>> b.spend(as_of=86400.0 * 10, window_days=5).tolist()
            [4.0]
        """
        return self._sum(self.order_total, self._window(as_of, window_days))

    def order_count(
        self, as_of: float = np.inf, window_days: float | None = None
    ) -> NDArray[np.int64]:
        """Per-customer number of orders in ``(as_of - window, as_of]``."""
        idx = self.order_customer[self._window(as_of, window_days)]
        return np.bincount(idx, minlength=self.n_customers).astype(np.int64)

    def margin(self, as_of: float = np.inf) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Per-customer gross profit of orders with a known cost, and which are complete.

        Returns:
            ``(margin, complete)``: margin summed over orders whose cost is known;
            ``complete`` is True where every order's cost was known.
        """
        keep = self._window(as_of, None)
        known = keep & ~np.isnan(self.order_cost)
        margin = self._sum(self.order_total - np.nan_to_num(self.order_cost), known)
        unknown = np.bincount(
            self.order_customer[keep & np.isnan(self.order_cost)], minlength=self.n_customers
        )
        return margin, unknown == 0

    def last_order_time(self, as_of: float = np.inf) -> NDArray[np.float64]:
        """Per-customer time of the latest order at or before ``as_of``; NaN if none."""
        keep = self._window(as_of, None)
        out = np.full(self.n_customers, -np.inf)
        np.maximum.at(out, self.order_customer[keep], self.order_time[keep])
        out[np.isneginf(out)] = np.nan
        return out

    def first_order_time(self, as_of: float = np.inf) -> NDArray[np.float64]:
        """Per-customer time of the earliest order at or before ``as_of``; NaN if none."""
        keep = self._window(as_of, None)
        out = np.full(self.n_customers, np.inf)
        np.minimum.at(out, self.order_customer[keep], self.order_time[keep])
        out[np.isposinf(out)] = np.nan
        return out

    def until(self, as_of: datetime) -> CustomerBatch:
        """The batch without orders placed after ``as_of`` (customers are kept).

        Examples:
            >>> from datetime import datetime, timezone
            >>> b = CustomerBatch.from_arrays(customer_ids=["a"], created_at=[0.0],
            ...     order_customer=[0, 0], order_time=[0.0, 2e9], order_total=[1.0, 2.0],
            ...     currency="CNY")
            >>> b.until(datetime(2000, 1, 1, tzinfo=timezone.utc)).n_orders
            1
        """
        cut = to_epoch_seconds(as_of)
        keep = self.order_time <= cut
        keep_u = self.uncounted_time <= cut
        records = None if self.records is None else self.records.until(cut)
        if keep.all() and keep_u.all() and records is self.records:
            return self
        return self._with_orders(
            None, self.order_customer, keep, self.uncounted_customer, keep_u, records
        )

    def created_after(self, as_of: datetime) -> NDArray[np.bool_]:
        """Where a customer was created after ``as_of`` (not a customer then).

        Examples:
            >>> from datetime import datetime, timezone
            >>> b = CustomerBatch.from_arrays(customer_ids=["a", "b"], created_at=[0.0, 9e9],
            ...     order_customer=[], order_time=[], order_total=[])
            >>> b.created_after(datetime(2000, 1, 1, tzinfo=timezone.utc)).tolist()
            [False, True]
        """
        return np.asarray(self.created_at > to_epoch_seconds(as_of), dtype=np.bool_)

    def existing_at(self, as_of: datetime) -> CustomerBatch:
        """The batch of the customers created at or before ``as_of``, in row order.

        Customers created after ``as_of`` were not customers then: population fits
        leave them out and scoring refuses them (``ColumnError`` on ``created_at``,
        rule ``created_after_as_of``). Use this to leave them out yourself; it is
        `take` of the kept rows (the batch itself when all are kept).

        Examples:
            >>> from datetime import datetime, timezone
            >>> b = CustomerBatch.from_arrays(customer_ids=["a", "b"], created_at=[0.0, 9e9],
            ...     order_customer=[0], order_time=[1.0], order_total=[2.0], currency="CNY")
            >>> b.existing_at(datetime(2000, 1, 1, tzinfo=timezone.utc)).customer_ids.tolist()
            ['a']
        """
        late = self.created_after(as_of)
        if not late.any():
            return self
        return self.take(np.flatnonzero(~late))

    def take(self, rows: ArrayLike) -> CustomerBatch:
        """A batch of the given customer rows (in that order) with their orders.

        Raises:
            ColumnError: if ``rows`` are not distinct integer rows of this batch.

        Examples:
            >>> b = CustomerBatch.from_arrays(customer_ids=["a", "b"], created_at=[0.0, 0.0],
            ...     order_customer=[0, 1, 1], order_time=[1.0, 2.0, 3.0],
            ...     order_total=[1.0, 2.0, 3.0], currency="CNY")
            >>> t = b.take([1])
            >>> t.customer_ids.tolist(), t.order_customer.tolist(), t.spend().tolist()
            (['b'], [0, 0], [5.0])
        """
        r = _rows("rows", rows, self.n_customers)
        _check("rows", "duplicate_row", "a customer row is taken twice", _repeats(r))
        new_row = np.full(self.n_customers, -1, dtype=np.int64)
        new_row[r] = np.arange(r.shape[0])
        keep = new_row[self.order_customer] >= 0
        keep_u = new_row[self.uncounted_customer] >= 0
        records = None if self.records is None else self.records.take(new_row)
        return self._with_orders(
            r, new_row[self.order_customer], keep, new_row[self.uncounted_customer], keep_u, records
        )

    def _with_orders(
        self,
        rows: NDArray[np.int64] | None,
        order_customer: NDArray[np.int64],
        keep: NDArray[np.bool_],
        uncounted_customer: NDArray[np.int64],
        keep_u: NDArray[np.bool_],
        records: CareRecords | None,
    ) -> CustomerBatch:
        """The batch with customers ``rows`` (None: all, as they are) and the kept orders.

        The columns come from this valid batch, so they are cut, not re-validated.
        """
        return CustomerBatch._trusted(
            customer_ids=self.customer_ids if rows is None else self.customer_ids[rows],
            created_at=self.created_at if rows is None else self.created_at[rows],
            order_customer=order_customer[keep],
            order_time=self.order_time[keep],
            order_total=self.order_total[keep],
            order_cost=self.order_cost[keep],
            order_units=self.order_units[keep],
            order_discounted=self.order_discounted[keep],
            currency=self.currency,
            order_ids=None if self.order_ids is None else self.order_ids[keep],
            timezone=self.timezone,
            uncounted_customer=uncounted_customer[keep_u],
            uncounted_time=self.uncounted_time[keep_u],
            uncounted_status=self.uncounted_status[keep_u],
            uncounted_ids=self.uncounted_ids[keep_u],
            records=records,
        )


def from_histories(histories: Sequence[CustomerHistory], *, timezone: str = "UTC") -> CustomerBatch:
    """Columns from validated histories (one Python pass over the records).

    Only orders that count as purchases go in the order table. All histories must
    share one currency.

    Raises:
        DataError: if the histories mix currencies or repeat a customer.

    Examples:
        >>> from custcare.datasets import sample_shop
        >>> batch = from_histories(sample_shop().histories)
        >>> batch.n_customers == len(sample_shop().histories)
        True
    """
    with gc_paused():  # one pass that builds many small objects: see gc_paused
        return _from_histories(histories, timezone)


def _from_histories(histories: Sequence[CustomerHistory], timezone: str) -> CustomerBatch:
    currencies = sorted({h.currency for h in histories if h.currency is not None})
    if len(currencies) > 1:
        raise DataError(f"histories use several currencies {currencies}; convert them to one first")
    cust: list[int] = []
    times: list[float] = []
    totals: list[float] = []
    costs: list[float] = []
    units: list[int] = []
    disc: list[bool] = []
    oids: list[str] = []
    u_cust: list[int] = []
    u_times: list[float] = []
    u_status: list[str] = []
    u_ids: list[str] = []
    for row, history in enumerate(histories):
        for order in history.orders:
            if not order.counts_as_purchase:
                u_cust.append(row)
                u_times.append(to_epoch_seconds(order.placed_at))
                u_status.append(order.status.value)
                u_ids.append(order.id)
        for order in history.purchases:
            cost = order.cost
            cust.append(row)
            times.append(to_epoch_seconds(order.placed_at))
            totals.append(float(order.total))
            costs.append(np.nan if cost is None else float(cost))
            units.append(sum(line.quantity for line in order.lines))
            disc.append(order.is_discounted)
            oids.append(order.id)
    return CustomerBatch.from_arrays(
        customer_ids=[h.customer.id for h in histories],
        created_at=[to_epoch_seconds(h.customer.created_at) for h in histories],
        order_customer=np.asarray(cust, dtype=np.int64),
        order_time=np.asarray(times, dtype=np.float64),
        order_total=np.asarray(totals, dtype=np.float64),
        order_cost=np.asarray(costs, dtype=np.float64),
        order_units=np.asarray(units, dtype=np.int64),
        order_discounted=np.asarray(disc, dtype=np.bool_),
        currency=currencies[0] if currencies else None,
        order_ids=np.asarray(oids, dtype=np.str_),
        timezone=timezone,
        uncounted_customer=np.asarray(u_cust, dtype=np.int64),
        uncounted_time=np.asarray(u_times, dtype=np.float64),
        uncounted_status=np.asarray(u_status, dtype=np.str_),
        uncounted_ids=np.asarray(u_ids, dtype=np.str_),
        records=records_from_histories(histories),
    )
