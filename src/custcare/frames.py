"""Your own tables in: a `CustomerBatch` from pandas, polars or pyarrow DataFrames.

`batch_from_frames` reads an orders table (and, when you have one, a customers
table) through `narwhals <https://narwhals-dev.github.io/narwhals/>`_, checks every
cell by the rules of `CustomerBatch.from_arrays`, and returns the batch with a
`LoadReport` of what was read, what was refused and why. Nothing is silently
dropped, clipped or guessed: a cell that cannot be read exactly rejects its row,
and by default (``on_error="raise"``) any rejected row raises a `ColumnError`
naming the column, the rule and the rows.

This module needs the ``frames`` extra (``pip install 'custcare[frames]'``, which
installs narwhals); your DataFrame library is the one you already use. The rest of
custcare never imports a DataFrame library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from custcare.batch import CustomerBatch
from custcare.batch._columns import (
    _MAX_TIME,
    _MIN_TIME,
    _float_each,
    _is_amount_each,
    _is_str_each,
    blank_mask,
    check_currency,
    check_timezone,
    datetime64_seconds,
    duplicate_mask,
    hash_text,
)
from custcare.errors import ColumnError, CustcareUsageError
from custcare.models import COUNTED_STATUSES, OrderStatus

if TYPE_CHECKING:  # narwhals is optional: imported when a function runs
    from narwhals.typing import IntoDataFrame

__all__ = [
    "STATUS_WORDS",
    "CustomerColumns",
    "LoadReport",
    "OrderColumns",
    "Rejection",
    "batch_from_frames",
]

STATUS_WORDS: Mapping[str, OrderStatus] = {
    word: status
    for status in OrderStatus
    for word in (status.value, status.label_zh, status.label_en)
}
"""The status words read without a ``status_map``: each `OrderStatus` code, Chinese
label and English label, exactly as written (``"completed"``, ``"交易成功"``,
``"Completed"``)."""


def _narwhals() -> Any:
    try:
        import narwhals.stable.v2 as nw_module
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "custcare.frames reads DataFrames through narwhals, which is not installed: "
            "pip install 'custcare[frames]'"
        ) from exc
    return nw_module


class OrderColumns(BaseModel):
    """Which column of the orders table holds what (None: the table has no such column).

    Attributes:
        customer_id: The customer's id (text; see ``ids_as_text``).
        placed_at: When the order was placed (a datetime or date column).
        total: The amount paid, after discounts (numbers or Decimal).
        order_id: The order's id (text), if the table has one.
        cost: Cost of goods; empty cells mean unknown.
        units: Number of units on the order (whole numbers); 1 when absent.
        discounted: Whether the order had a discount (a boolean column).
        status: The order's status word (see `STATUS_WORDS`); every order
            counts as completed when absent.
        currency: The currency code of the amounts, if a column holds it.

    Examples:
        >>> OrderColumns(customer_id="user", placed_at="paid_time", total="amount").units is None
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str
    placed_at: str
    total: str
    order_id: str | None = None
    cost: str | None = None
    units: str | None = None
    discounted: str | None = None
    status: str | None = None
    currency: str | None = None


class CustomerColumns(BaseModel):
    """Which column of the customers table holds what.

    Attributes:
        id: The customer's id (text), the same ids as the orders' ``customer_id``.
        created_at: When the customer was created (a datetime or date column).

    Examples:
        >>> CustomerColumns(id="user", created_at="signed_up").id
        'user'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    created_at: str


@dataclass(frozen=True)
class Rejection:
    """One rule one row broke. Cell values are never kept (they may be personal data).

    Attributes:
        table: ``"orders"`` or ``"customers"``.
        row: The row's 0-based position in that table (not its index label).
        column: The table's column (your name for it).
        rule: A stable slug (the `ColumnError` rules, plus the table rules
            ``missing``, ``unknown_customer``, ``customer_rejected``,
            ``nonexistent_time``, ``ambiguous_time``, ``other_currency``).

    Examples:
        >>> Rejection("orders", 3, "paid_time", "missing")
        Rejection(table='orders', row=3, column='paid_time', rule='missing')
    """

    table: str
    row: int
    column: str
    rule: str


@dataclass(frozen=True, eq=False)
class LoadReport:
    """What `batch_from_frames` read, what it refused and what it decided.

    The rejections are kept as columns (one entry per row and rule broken; a row
    may break several rules), sorted by table, row and column.

    Attributes:
        orders_in: Rows of the orders table.
        orders_counted: Orders in the batch's order table (their status counts).
        orders_uncounted: Orders kept as not counting (cancelled, refunded ...).
        customers_in: Rows of the customers table, or None when none was given.
        customers_out: Customers in the batch.
        notes: What was decided on your behalf, in words (e.g. where
            ``created_at`` came from, how naive times were read).
        rejected_table: ``(r,)`` table of each rejection.
        rejected_row: ``(r,)`` its 0-based row.
        rejected_column: ``(r,)`` its column.
        rejected_rule: ``(r,)`` the rule broken.

    Examples:
        >>> import pytest
        >>> pd = pytest.importorskip("pandas")  # the example needs pandas
        >>> orders = pd.DataFrame({
        ...     "user": ["u1", "u1", "u2"],
        ...     "paid_time": pd.to_datetime(["2026-01-05 10:00", None, "2026-02-01 09:30"]),
        ...     "amount": [99.0, 10.0, 35.5]})
        >>> batch, report = batch_from_frames(
        ...     orders=orders, columns={"customer_id": "user", "placed_at": "paid_time",
        ...     "total": "amount"}, timezone="Asia/Shanghai", currency="CNY",
        ...     on_error="report")
        >>> report.orders_in, report.orders_counted, report.orders_rejected
        (3, 2, 1)
        >>> report.rejections()
        (Rejection(table='orders', row=1, column='paid_time', rule='missing'),)
    """

    orders_in: int
    orders_counted: int
    orders_uncounted: int
    customers_in: int | None
    customers_out: int
    notes: tuple[str, ...]
    rejected_table: NDArray[np.str_]
    rejected_row: NDArray[np.int64]
    rejected_column: NDArray[np.str_]
    rejected_rule: NDArray[np.str_]

    @property
    def orders_rejected(self) -> int:
        """Rows of the orders table left out (each counted once)."""
        return int(self.rejected_rows("orders").shape[0])

    @property
    def customers_rejected(self) -> int:
        """Rows of the customers table left out (each counted once)."""
        return int(self.rejected_rows("customers").shape[0])

    def rejected_rows(self, table: str = "orders") -> NDArray[np.int64]:
        """The distinct rejected rows of ``table``, ascending."""
        return np.unique(self.rejected_row[self.rejected_table == table])

    def rejections(self) -> tuple[Rejection, ...]:
        """Every rejection as a `Rejection` (one Python object each)."""
        return tuple(
            Rejection(str(t), int(r), str(c), str(u))
            for t, r, c, u in zip(
                self.rejected_table.tolist(),
                self.rejected_row.tolist(),
                self.rejected_column.tolist(),
                self.rejected_rule.tolist(),
                strict=True,
            )
        )

    def counts(self) -> dict[tuple[str, str, str], int]:
        """Rows per ``(table, column, rule)``, sorted by table, column and rule."""
        if not self.rejected_row.size:
            return {}
        parts = [
            np.unique(a, return_inverse=True)
            for a in (self.rejected_table, self.rejected_column, self.rejected_rule)
        ]
        (tables, t), (columns, c), (rules, r) = parts
        key = (t * columns.shape[0] + c) * rules.shape[0] + r
        uniq, counts = np.unique(key, return_counts=True)
        out: dict[tuple[str, str, str], int] = {}
        for k, count in zip(uniq.tolist(), counts.tolist(), strict=True):
            rest, i_rule = divmod(k, rules.shape[0])
            i_table, i_column = divmod(rest, columns.shape[0])
            out[(str(tables[i_table]), str(columns[i_column]), str(rules[i_rule]))] = count
        return out

    def __str__(self) -> str:
        lines = [
            f"orders: {self.orders_in:,} rows in; {self.orders_counted:,} counted, "
            f"{self.orders_uncounted:,} not counted, {self.orders_rejected:,} rejected",
        ]
        if self.customers_in is None:
            lines.append(f"customers: {self.customers_out:,} (from the orders table)")
        else:
            lines.append(
                f"customers: {self.customers_in:,} rows in; {self.customers_out:,} kept, "
                f"{self.customers_rejected:,} rejected"
            )
        for (table, column, rule), count in self.counts().items():
            mine = (self.rejected_table == table) & (self.rejected_column == column)
            rows = self.rejected_row[mine & (self.rejected_rule == rule)][:5].tolist()
            more = ", ..." if count > len(rows) else ""
            shown = ", ".join(map(str, rows))
            noun = "row" if count == 1 else "rows"
            lines.append(f"rejected: {table}.{column} [{rule}]: {count:,} {noun} ({shown}{more})")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


# --- reading columns ----------------------------------------------------------------------


class _Rejections:
    """Rejected rows gathered per (table, column, rule), in the order they were found."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str, str, NDArray[np.int64]]] = []

    def add(self, table: str, column: str, rule: str, detail: str, bad: NDArray[np.bool_]) -> None:
        rows = np.flatnonzero(bad)
        if rows.size:
            self.items.append((table, column, rule, detail, rows))

    def mask(self, table: str, n: int) -> NDArray[np.bool_]:
        out = np.zeros(n, dtype=np.bool_)
        for t, _, _, _, rows in self.items:
            if t == table:
                out[rows] = True
        return out

    def raise_first(self) -> None:
        if not self.items:
            return
        table, column, rule, detail, rows = self.items[0]
        others = sum(item[4].size for item in self.items[1:])
        more = f"; {others:,} more rejections (on_error='report' lists them all)" if others else ""
        raise ColumnError(
            column,
            rule,
            f"{table} table: {detail}{more}",
            rows=rows[: ColumnError.MAX_ROWS].tolist(),
            n_rows=rows.size,
        )

    def report_arrays(
        self,
    ) -> tuple[NDArray[np.str_], NDArray[np.int64], NDArray[np.str_], NDArray[np.str_]]:
        if not self.items:
            empty = np.empty(0, dtype=np.str_)
            return empty, np.empty(0, dtype=np.int64), empty, empty
        tables = np.concatenate([np.full(i[4].size, i[0]) for i in self.items])
        rows = np.concatenate([i[4] for i in self.items]).astype(np.int64)
        cols = np.concatenate([np.full(i[4].size, i[1]) for i in self.items])
        rules = np.concatenate([np.full(i[4].size, i[2]) for i in self.items])
        order = np.lexsort((rules, cols, rows, tables))
        return tables[order], rows[order], cols[order], rules[order]


@dataclass
class _Table:
    """One input table and where its problems go."""

    frame: Any  # a narwhals DataFrame
    name: str  # "orders" or "customers"
    rejections: _Rejections

    @property
    def n(self) -> int:
        return int(self.frame.shape[0])

    def series(self, column: str) -> Any:
        if column not in self.frame.columns:
            raise ColumnError(column, "missing_column", f"the {self.name} table has no such column")
        return self.frame[column]

    def reject(self, column: str, rule: str, detail: str, bad: NDArray[np.bool_]) -> None:
        self.rejections.add(self.name, column, rule, detail, bad)


def _nulls(series: Any) -> NDArray[np.bool_]:
    return np.asarray(series.is_null().to_numpy(), dtype=np.bool_)


def _present(series: Any, null: NDArray[np.bool_]) -> Any:
    """The series without its null cells (no copy when there are none)."""
    return series.filter(~series.is_null()) if null.any() else series


def _scatter(n: int, null: NDArray[np.bool_], values: NDArray[Any], fill: Any) -> NDArray[Any]:
    """Values of the non-null rows spread over all ``n`` rows (``fill`` at the nulls)."""
    if values.shape[0] == n:
        return values
    out = np.full(n, fill, dtype=values.dtype)
    out[~null] = values
    return out


def _arrow() -> Any:
    """``pyarrow`` when it is installed, else None."""
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - pyarrow is in the dev extra
        return None
    return pyarrow


def _strings(series: Any) -> NDArray[np.str_]:
    """A string series without nulls as a numpy str array.

    Through Arrow when pyarrow is installed (free for pandas' Arrow-backed strings,
    and faster than polars' own conversion), else through narwhals.
    """
    nw = _narwhals()
    pa = _arrow()
    if pa is not None:
        try:
            arr = series.to_arrow()
        except (TypeError, ValueError):  # Arrow cannot hold it: take the plain route
            arr = None
        if arr is not None:
            return _arrow_strings(arr, pa)
    return np.asarray(series.cast(nw.String()).to_numpy(), dtype=object).astype(np.str_)


_ROWS_PER_STEP = 1 << 20


def _arrow_strings(arr: Any, pa: Any) -> NDArray[np.str_]:
    """An Arrow string array without nulls as a numpy str array.

    ASCII text (most ids) is copied byte by byte into the fixed-width array,
    vectorised; other text goes through Python strings.
    """
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    n = len(arr)
    if not n or arr.null_count or not pc.all(pc.string_is_ascii(arr)).as_py():
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object).astype(np.str_)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    lengths = np.diff(offsets)
    width = max(int(lengths.max()), 1)
    out = np.zeros(n * width, dtype=np.uint32)
    for start in range(0, n, _ROWS_PER_STEP):  # bounded memory for the byte positions
        stop = min(start + _ROWS_PER_STEP, n)
        size = lengths[start:stop]
        first_byte = offsets[start]
        count = int(offsets[stop] - first_byte)
        row_start = np.arange(start, stop, dtype=np.int64) * width - (
            offsets[start:stop] - first_byte
        )
        dest = np.arange(count, dtype=np.int64) + np.repeat(row_start, size)
        out[dest] = data[first_byte : first_byte + count]
    return out.view(f"<U{width}")


def _is_text_dtype(dtype: Any) -> bool:
    nw = _narwhals()
    return bool(dtype == nw.String or isinstance(dtype, (nw.Categorical, nw.Enum)))


def _text_rows(
    table: _Table,
    column: str,
    role: str,
    *,
    ids_as_text: bool,
    within: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.str_], NDArray[np.bool_]]:
    """Each row's text (``""`` where unusable) and where it is usable.

    Rejects, among rows ``within`` (all when None), empty cells, cells that are not
    text and blank text. Integer columns are refused unless ``ids_as_text``.
    """
    nw = _narwhals()
    series = table.series(column)
    dtype = series.dtype
    null = _nulls(series)
    scope = np.ones(table.n, dtype=np.bool_) if within is None else within
    table.reject(column, "missing", f"{role} is empty (null)", null & scope)
    bad = np.zeros(table.n, dtype=np.bool_)
    if _is_text_dtype(dtype):
        values = _strings(_present(series, null))
    elif dtype == nw.Object:
        objects = np.asarray(_present(series, null).to_numpy(), dtype=object)
        is_str = _is_str_each(objects).astype(np.bool_)
        bad[np.flatnonzero(~null)[~is_str]] = True
        table.reject(
            column, "not_text", f"{role} is not text (a number or other object)", bad & scope
        )
        values = np.where(is_str, objects, "").astype(np.str_)
    elif dtype.is_integer():
        if not ids_as_text:
            raise ColumnError(
                column,
                "not_text",
                f"{role} holds integers ({dtype}); ids are text here: read the column as "
                "text (e.g. pd.read_csv(..., dtype={column: str})) to keep leading zeros, "
                "or pass ids_as_text=True to write each integer in decimal",
            )
        values = np.asarray(_present(series, null).to_numpy()).astype(np.str_)
    else:
        raise ColumnError(
            column,
            "not_text",
            f"{role} must be text, got {dtype} (floats and dates are not read as ids; "
            "read the column as text)",
        )
    text = _scatter(table.n, null, values, "")
    blank = blank_mask(text) & ~null & ~bad
    table.reject(column, "empty_string", f"{role} is empty or only whitespace", blank & scope)
    return text, ~(null | bad | blank)


_FEW_WORDS = 64


def _words(
    table: _Table, column: str, role: str, *, within: NDArray[np.bool_] | None = None
) -> tuple[NDArray[np.int64], list[str]]:
    """A column of a few distinct words: each row's word number (-1 if empty), the words.

    The distinct words are found by the DataFrame library and each row compared
    with them there; a column of many words, or of Python objects, is factorized.
    """
    series = table.series(column)
    codes = np.full(table.n, -1, dtype=np.int64)
    if _is_text_dtype(series.dtype):
        null = _nulls(series)
        distinct = _present(series, null).unique().to_list()
        if len(distinct) <= _FEW_WORDS:
            scope = np.ones(table.n, dtype=np.bool_) if within is None else within
            table.reject(column, "missing", f"{role} is empty (null)", null & scope)
            for i, word in enumerate(distinct):
                codes[np.asarray((series == word).fill_null(False).to_numpy(), dtype=np.bool_)] = i
            return codes, [str(word) for word in distinct]
    text, usable = _text_rows(table, column, role, ids_as_text=False, within=within)
    inner, first = _factorize(text[usable])
    codes[usable] = inner
    return codes, text[usable][first].tolist()


def _times(
    table: _Table, column: str, role: str, zone: str, notes: list[str]
) -> NDArray[np.float64]:
    """Epoch seconds of a datetime or date column (NaN where the cell is rejected)."""
    nw = _narwhals()
    series = table.series(column)
    dtype = series.dtype
    if isinstance(dtype, nw.Datetime):
        unit = "ns" if dtype.time_unit == "ns" else "us"
        aware = dtype.time_zone is not None
    elif dtype == nw.Date:
        unit, aware = "us", False
        notes.append(
            f"{table.name}.{column} holds dates without a time: read as midnight in {zone}"
        )
    elif dtype == nw.String or isinstance(dtype, (nw.Categorical, nw.Enum)):
        raise ColumnError(
            column,
            "not_a_time",
            f"{role} is text; parse it into datetimes first with the format you know, e.g. "
            "pd.to_datetime(s, format='%Y-%m-%d %H:%M:%S') or "
            "pl.col(...).str.to_datetime('%Y-%m-%d %H:%M:%S'); custcare does not guess formats",
        )
    elif dtype.is_numeric():
        raise ColumnError(
            column,
            "not_a_time",
            f"{role} holds numbers ({dtype}), which could be seconds, milliseconds or "
            "yyyymmdd dates; convert them, e.g. pd.to_datetime(s, unit='s') or "
            "pd.to_datetime(s.astype(str), format='%Y%m%d')",
        )
    else:
        raise ColumnError(column, "not_a_time", f"{role} must be datetimes or dates, got {dtype}")
    null = _nulls(series)
    table.reject(column, "missing", f"{role} is empty (null/NaT)", null)
    ticks = np.asarray(_present(series, null).dt.timestamp(unit).to_numpy()).astype(np.int64)
    per_second = 10**9 if unit == "ns" else 10**6
    if not aware:
        if dtype != nw.Date:
            notes.append(
                f"{table.name}.{column} holds wall-clock times without a zone: read in {zone}"
            )
        ticks, nonexistent, ambiguous, outside = _wall_to_utc(ticks, per_second, zone)
        for rule, bad, detail in (
            (
                "nonexistent_time",
                nonexistent,
                f"wall-clock time does not exist in {zone} (DST gap)",
            ),
            ("ambiguous_time", ambiguous, f"wall-clock time happens twice in {zone} (DST fold)"),
            ("out_of_range", outside, "time outside the years 1..9999"),
        ):
            table.reject(column, rule, f"{role}: {detail}", _scatter(table.n, null, bad, False))
    else:
        outside = np.zeros(ticks.shape, dtype=np.bool_)
    secs, _, overflow = datetime64_seconds(ticks.view(f"datetime64[{unit}]"))
    beyond = ~outside & (overflow | (secs < _MIN_TIME) | (secs > _MAX_TIME))
    table.reject(
        column,
        "out_of_range",
        f"{role}: time outside the years 1..9999",
        _scatter(table.n, null, beyond, False),
    )
    return _scatter(table.n, null, secs, np.nan)


def _money(
    table: _Table, column: str, role: str, rows: NDArray[np.bool_], *, unknown_ok: bool
) -> NDArray[np.float64]:
    """Amounts as float64 for the selected ``rows`` (NaN elsewhere and where unknown)."""
    nw = _narwhals()
    series = table.series(column)
    dtype = series.dtype
    null = _nulls(series)
    if not unknown_ok:
        table.reject(column, "missing", f"{role} is empty (null)", null & rows)
    if dtype.is_integer() or dtype.is_float():
        values = np.asarray(_present(series, null).to_numpy()).astype(np.float64)
    elif dtype.is_decimal() or dtype == nw.Object:
        objects = np.asarray(_present(series, null).to_numpy(), dtype=object)
        number = _is_amount_each(objects).astype(np.bool_)
        bad = np.zeros(table.n, dtype=np.bool_)
        bad[np.flatnonzero(~null)[~number]] = True
        table.reject(
            column, "not_a_number", f"{role} is not a number (text or other object)", bad & rows
        )
        values = np.full(objects.shape, np.nan)
        values[number] = _float_each(objects[number]).astype(np.float64)
    else:
        raise ColumnError(column, "not_a_number", f"{role} must be numbers or Decimal, got {dtype}")
    amounts = _scatter(table.n, null, values, np.nan)
    if unknown_ok:
        table.reject(column, "not_finite", f"{role} is infinite", np.isinf(amounts) & rows)
    else:
        nan_or_inf = ~np.isfinite(amounts) & ~null
        table.reject(column, "not_finite", f"{role} is NaN or infinite", nan_or_inf & rows)
    table.reject(column, "negative_amount", f"{role} must be >= 0", (amounts < 0) & rows)
    return amounts


def _units(table: _Table, column: str, rows: NDArray[np.bool_]) -> NDArray[np.int64]:
    series = table.series(column)
    dtype = series.dtype
    null = _nulls(series)
    table.reject(column, "missing", "units is empty (null)", null & rows)
    if not (dtype.is_integer() or dtype.is_float()):
        raise ColumnError(column, "not_an_integer", f"units must be whole numbers, got {dtype}")
    values = _scatter(
        table.n, null, np.asarray(_present(series, null).to_numpy()).astype(np.float64), 1.0
    )
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**62)
    table.reject(column, "not_an_integer", "units is not a whole number", ~whole & rows)
    table.reject(column, "greater_than_equal", "units must be >= 1", whole & (values < 1) & rows)
    return np.where(whole, values, 1).astype(np.int64)


def _flags(table: _Table, column: str, rows: NDArray[np.bool_]) -> NDArray[np.bool_]:
    nw = _narwhals()
    series = table.series(column)
    if series.dtype != nw.Boolean:
        raise ColumnError(
            column,
            "not_a_bool",
            f"discounted must be a boolean column, got {series.dtype} (text such as 'False' "
            "and numbers are not read as flags); convert it yourself",
        )
    null = _nulls(series)
    table.reject(column, "missing", "discounted is empty (null)", null & rows)
    return _scatter(
        table.n, null, np.asarray(_present(series, null).to_numpy()).astype(np.bool_), False
    )


_STATUSES: tuple[OrderStatus, ...] = tuple(OrderStatus)


def _statuses(table: _Table, column: str, words: Mapping[str, OrderStatus]) -> NDArray[np.int64]:
    """Each row's status as a position in `OrderStatus` (-1: empty cell or unknown word)."""
    codes, distinct = _words(table, column, "status")
    lookup = np.asarray(
        [-1 if words.get(w) is None else _STATUSES.index(words[w]) for w in distinct] + [-1],
        dtype=np.int64,
    )
    status = lookup[codes]
    known = ", ".join(s.value for s in OrderStatus)
    table.reject(
        column,
        "unknown_status",
        f"status word is not an OrderStatus code or label (known: {known}; "
        "pass status_map for your own words)",
        (status < 0) & (codes >= 0),
    )
    return status


# --- time zones ---------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DAY = 86_400
_FIRST_DAY = (date(1, 1, 3) - date(1970, 1, 1)).days  # a zone can place every wall time
_LAST_DAY = (date(9999, 12, 29) - date(1970, 1, 1)).days


def _offset(zone: ZoneInfo, second: int) -> int:
    off = (_EPOCH + timedelta(seconds=second)).astimezone(zone).utcoffset()
    return 0 if off is None else int(off.total_seconds())


def _zone_table(
    zone: ZoneInfo, days: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(start second, UTC offset) of each UTC day given and of every change within it.

    The zone is asked twice per day (its offset at the start and the end); a day
    whose offsets differ is searched hour by hour, then to the second.
    """
    bounds: list[int] = []
    offsets: list[int] = []
    for day in days.tolist():  # one step per calendar day present, not per row
        start = day * _DAY
        first = _offset(zone, start)
        bounds.append(start)
        offsets.append(first)
        if _offset(zone, start + _DAY - 1) == first:
            continue
        hours = [start + 3600 * h for h in range(24)] + [start + _DAY - 1]
        probes = [(second, _offset(zone, second)) for second in hours]
        for (a, off_a), (b, off_b) in pairwise(probes):
            if off_a == off_b:
                continue
            while b - a > 1:  # the first second with the new offset
                mid = (a + b) // 2
                if _offset(zone, mid) == off_a:
                    a = mid
                else:
                    b = mid
            bounds.append(b)
            offsets.append(off_b)
    return np.asarray(bounds, dtype=np.int64), np.asarray(offsets, dtype=np.int64)


def _wall_to_utc(
    wall: NDArray[np.int64], per_second: int, zone_name: str
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """UTC ticks of wall-clock ticks in a time zone; DST gaps and folds are flagged.

    A wall time ``w`` is the instant ``w - o`` for each UTC offset ``o`` the zone
    has at that instant: none in a gap (nonexistent), two in a fold (ambiguous).

    Returns:
        ``(utc, nonexistent, ambiguous, out_of_range)``; ``utc`` is meaningful only
        where none of the three is set.

    Examples:
        >>> wall = np.array([0, 1_710_037_800, 1_730_597_400])  # 2024-03-10 02:30, 11-03 01:30
        >>> utc, gap, fold, _ = _wall_to_utc(wall, 1, "America/New_York")
        >>> int(utc[0]) // 3600, gap.tolist(), fold.tolist()
        (5, [False, True, False], [False, False, True])
    """
    seconds = np.floor_divide(wall, per_second)
    day = np.floor_divide(seconds, _DAY)
    outside = (day < _FIRST_DAY) | (day > _LAST_DAY)
    n = wall.shape[0]
    utc = wall.copy()
    nonexistent = np.zeros(n, dtype=np.bool_)
    ambiguous = np.zeros(n, dtype=np.bool_)
    inside = day[~outside]
    if not inside.size:
        return utc, nonexistent, ambiguous, outside
    zone = ZoneInfo(zone_name)
    first = int(inside.min()) - 1
    present = np.zeros(int(inside.max()) - first + 2, dtype=np.bool_)
    present[inside - first] = True
    near = present.copy()  # the instants of a wall day lie within the day either side
    near[1:] |= present[:-1]
    near[:-1] |= present[1:]
    probed = np.flatnonzero(near)
    bounds, offsets = _zone_table(zone, probed + first)
    # Most days are quiet: one offset from the day before to the day after, so
    # each of their wall times is one instant. Only the rest are searched.
    starts = np.isin(bounds, (probed + first) * _DAY)
    day_offset = np.zeros(near.shape[0], dtype=np.int64)
    day_offset[probed] = offsets[starts]
    day_changes = np.ones(near.shape[0], dtype=np.bool_)
    day_changes[probed] = np.diff(np.flatnonzero(np.append(starts, True))) > 1
    steady = np.zeros(near.shape[0], dtype=np.bool_)
    steady[1:-1] = (
        ~(day_changes[:-2] | day_changes[1:-1] | day_changes[2:])
        & (day_offset[:-2] == day_offset[1:-1])
        & (day_offset[1:-1] == day_offset[2:])
    )
    rel = np.where(outside, 0, day - first)
    quiet = steady[rel] & ~outside
    utc = np.where(quiet, wall - day_offset[rel] * per_second, wall)
    rest = np.flatnonzero(~quiet & ~outside)
    found = np.zeros(rest.shape[0], dtype=np.int8)
    for off in np.unique(offsets).tolist():  # a handful of offsets per zone
        instant = seconds[rest] - off
        where = np.searchsorted(bounds, instant, side="right") - 1
        holds = offsets[np.clip(where, 0, None)] == off
        found += holds
        utc[rest[holds]] = wall[rest[holds]] - off * per_second
    nonexistent[rest] = found == 0
    ambiguous[rest] = found > 1
    return utc, nonexistent, ambiguous, outside


# --- ids -> rows ---------------------------------------------------------------------------


def _factorize(text: NDArray[np.str_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Codes ``0..k-1`` by first appearance, and the first row of each code.

    One sort of integers: each row's 64-bit string hash, cut to leave room for
    the row number, packed with it. Rows are then compared with their group's
    first row; a group whose hash two different strings share is split exactly.

    Examples:
        >>> codes, first = _factorize(np.array(["b", "a", "b", "c", "a"]))
        >>> codes.tolist(), first.tolist()
        ([0, 1, 0, 2, 1], [0, 1, 3])
    """
    n = text.shape[0]
    if not n:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    bits = np.uint64(max(1, (n - 1).bit_length()))
    packed = (hash_text(text) >> bits) << bits | np.arange(n, dtype=np.uint64)
    packed.sort()
    rows = (packed & ((np.uint64(1) << bits) - np.uint64(1))).astype(np.int64)
    key = packed >> bits
    starts = np.empty(n, dtype=np.bool_)
    starts[0] = True
    np.not_equal(key[1:], key[:-1], out=starts[1:])
    inverse = np.empty(n, dtype=np.int64)
    inverse[rows] = np.cumsum(starts) - 1
    first = rows[starts]  # rows ascend within a key: the group's first row
    clash = np.flatnonzero(text != text[first[inverse]])
    if clash.size:  # different strings share a cut hash: split those groups exactly
        groups = np.unique(inverse[clash])
        members = np.flatnonzero(np.isin(inverse, groups))
        _, sub_first, sub_inverse = np.unique(text[members], return_index=True, return_inverse=True)
        inverse[members] = first.shape[0] + sub_inverse
        first = np.concatenate([first, members[sub_first]])
        first[groups] = n  # emptied
        alive = first < n
        renumber = np.cumsum(alive) - 1
        inverse = renumber[inverse]
        first = first[alive]
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return rank[inverse].astype(np.int64), first[order].astype(np.int64)


# --- the edge -------------------------------------------------------------------------------


def _status_words(status_map: Mapping[str, OrderStatus | str] | None) -> dict[str, OrderStatus]:
    words = dict(STATUS_WORDS)
    for word, value in (status_map or {}).items():
        try:
            words[str(word)] = OrderStatus(value)
        except ValueError:
            raise CustcareUsageError(
                f"status_map[{word!r}] must be an OrderStatus or its code "
                f"({', '.join(s.value for s in OrderStatus)}), got {value!r}",
                code="bad_argument",
            ) from None
    return words


def _frame(native: Any, name: str) -> Any:
    nw = _narwhals()
    try:
        return nw.from_native(native, eager_only=True)
    except TypeError:
        raise CustcareUsageError(
            f"{name} must be an eager pandas, polars or pyarrow table (collect a lazy "
            f"frame first), got {type(native).__name__}",
            code="bad_argument",
        ) from None


def batch_from_frames(
    *,
    orders: IntoDataFrame,
    columns: OrderColumns | Mapping[str, str | None],
    timezone: str,
    customers: IntoDataFrame | None = None,
    customer_columns: CustomerColumns | Mapping[str, str] | None = None,
    currency: str | None = None,
    status_map: Mapping[str, OrderStatus | str] | None = None,
    ids_as_text: bool = False,
    on_error: Literal["raise", "report"] = "raise",
) -> tuple[CustomerBatch, LoadReport]:
    """A `CustomerBatch` from your orders table (and customers table), with a report.

    Reads pandas, polars or pyarrow tables (anything narwhals reads eagerly), by
    the column names in ``columns``:

    * **times**: datetime columns of any unit. Time-zone-aware columns are
      instants; naive ones are wall-clock times in ``timezone`` (a wall time that
      does not exist or happens twice there, at a daylight-saving change, is a
      rejected row). Date columns are midnight in ``timezone``. Text and numbers
      are refused: parse them yourself, with the format you know.
    * **ids** stay text (``"007"`` stays ``"007"``). Integer id columns are refused
      unless ``ids_as_text=True``, which writes each integer in decimal.
    * **money**: numbers or Decimal (converted to the nearest float). Amount,
      cost, units, discount and currency are read only for orders that count.
    * **status** words: `OrderStatus` codes and labels (`STATUS_WORDS`) and
      your own ``status_map``; orders whose status counts (completed) form the
      order table, the rest are kept as orders that do not count.
    * **currency**: ``currency=`` states it; or ``columns.currency`` names a column
      that must hold one code (with both, rows in another currency are rejected).
    * **customers**: with a customers table, every order's customer must be in it
      (else ``unknown_customer``); without one, the customers are those of the
      orders, created at their first order (the report says so).

    Every cell breaking a rule rejects its row (the report lists row, column and
    rule; never the value). ``on_error="raise"`` (the default) raises a
    `ColumnError` for the first rule broken; ``on_error="report"`` leaves the
    rejected rows out and lists them in the report. A column that is missing or
    of the wrong type always raises.

    Args:
        orders: The orders table, one row per order.
        columns: Which column holds what (`OrderColumns` or a dict of its fields).
        timezone: The shop's IANA time zone (naive times and purchase days).
        customers: The customers table, one row per customer.
        customer_columns: Its columns (`CustomerColumns` or a dict).
        currency: The currency of every amount (ISO 4217 code).
        status_map: Your status words, to `OrderStatus` members or codes.
        ids_as_text: Write integer ids in decimal instead of refusing them.
        on_error: ``"raise"`` or ``"report"``.

    Returns:
        ``(batch, report)``.

    Raises:
        ColumnError: a column is missing or of a type that cannot be read, or (with
            ``on_error="raise"``) a row broke a rule.
        CustcareUsageError: the arguments do not fit together.
        ImportError: narwhals is not installed (``pip install 'custcare[frames]'``).

    Examples:
        >>> import pytest
        >>> pd = pytest.importorskip("pandas")  # the example needs pandas
        >>> orders = pd.DataFrame({
        ...     "order_no": ["240101000000000001", "240101000000000002", "240102000000000003"],
        ...     "user": ["007", "007", "042"],
        ...     "paid_time": pd.to_datetime(["2026-01-01 10:00", "2026-01-02 20:00",
        ...                                  "2026-01-02 21:00"]),
        ...     "amount": [99.0, 25.5, 10.0],
        ...     "state": ["交易成功", "交易关闭", "completed"]})
        >>> batch, report = batch_from_frames(
        ...     orders=orders, timezone="Asia/Shanghai", currency="CNY",
        ...     columns={"customer_id": "user", "order_id": "order_no",
        ...              "placed_at": "paid_time", "total": "amount", "status": "state"})
        >>> batch.customer_ids.tolist(), batch.order_ids.tolist(), batch.spend().tolist()
        (['007', '042'], ['240101000000000001', '240102000000000003'], [99.0, 10.0])
        >>> batch.uncounted_status.tolist(), float(batch.order_time[0]) == pd.Timestamp(
        ...     "2026-01-01 02:00", tz="UTC").timestamp()
        (['cancelled'], True)
        >>> print(report)
        orders: 3 rows in; 2 counted, 1 not counted, 0 rejected
        customers: 2 (from the orders table)
        note: orders.paid_time holds wall-clock times without a zone: read in Asia/Shanghai
        note: no customers table: created_at is each customer's first order time (any status)
    """
    if on_error not in ("raise", "report"):
        raise CustcareUsageError(
            f"on_error must be 'raise' or 'report', got {on_error!r}", code="bad_argument"
        )
    if (customers is None) != (customer_columns is None):
        raise CustcareUsageError(
            "customers and customer_columns go together: pass both or neither",
            code="bad_argument",
        )
    cols = columns if isinstance(columns, OrderColumns) else OrderColumns.model_validate(columns)
    zone = check_timezone(timezone)
    words = _status_words(status_map)
    if currency is not None:
        check_currency(currency, required=False)
    rejections = _Rejections()
    notes: list[str] = []
    table = _Table(_frame(orders, "orders"), "orders", rejections)
    m = table.n

    # customers table
    ccols: CustomerColumns | None = None
    customers_in: int | None = None
    if customers is not None and customer_columns is not None:
        ccols = (
            customer_columns
            if isinstance(customer_columns, CustomerColumns)
            else CustomerColumns.model_validate(customer_columns)
        )
        ctable = _Table(_frame(customers, "customers"), "customers", rejections)
        customers_in = ctable.n
        cust_text, cust_usable = _text_rows(
            ctable, ccols.id, "customer id", ids_as_text=ids_as_text
        )
        repeated = np.zeros(ctable.n, dtype=np.bool_)
        repeated[cust_usable] = duplicate_mask(cust_text[cust_usable])
        ctable.reject(ccols.id, "duplicate_id", "customer id is not unique", repeated)
        created = _times(ctable, ccols.created_at, "created_at", zone, notes)

    # orders table: who, which order, when, which status
    who, who_usable = _text_rows(table, cols.customer_id, "customer id", ids_as_text=ids_as_text)
    order_text: NDArray[np.str_] | None = None
    if cols.order_id is not None:
        order_text, id_usable = _text_rows(
            table, cols.order_id, "order id", ids_as_text=ids_as_text
        )
        repeated = np.zeros(m, dtype=np.bool_)
        repeated[id_usable] = duplicate_mask(order_text[id_usable])
        table.reject(cols.order_id, "duplicate_id", "order id is not unique", repeated)
    placed = _times(table, cols.placed_at, "placed_at", zone, notes)
    if cols.status is None:
        status = np.full(m, _STATUSES.index(OrderStatus.COMPLETED), dtype=np.int64)
        notes.append("no status column: every order counts as completed")
    else:
        status = _statuses(table, cols.status, words)
    counted = np.asarray([s in COUNTED_STATUSES for s in _STATUSES] + [False])[status]

    # money, for the orders that count
    total = _money(table, cols.total, "amount paid", counted, unknown_ok=False)
    cost = (
        np.full(m, np.nan)
        if cols.cost is None
        else _money(table, cols.cost, "cost", counted, unknown_ok=True)
    )
    units = np.ones(m, dtype=np.int64) if cols.units is None else _units(table, cols.units, counted)
    discounted = (
        np.zeros(m, dtype=np.bool_)
        if cols.discounted is None
        else _flags(table, cols.discounted, counted)
    )
    code = _currency(table, cols.currency, currency, counted)

    # the customer of each order: one factorization of the ids
    if ccols is not None:
        keep_c = ~rejections.mask("customers", ctable.n)
        listed_ids = cust_text[cust_usable]
        k = listed_ids.shape[0]
        joint, _ = _factorize(np.concatenate([listed_ids, who[who_usable]]))
        n_codes = int(joint.max()) + 1 if joint.size else 0
        listed = np.zeros(n_codes, dtype=np.bool_)
        listed[joint[:k]] = True
        row_of_code = np.full(n_codes, -1, dtype=np.int64)
        kept = keep_c[cust_usable]
        row_of_code[joint[:k][kept]] = (np.cumsum(keep_c) - 1)[cust_usable][kept]
        order_row = np.full(m, -1, dtype=np.int64)
        order_row[who_usable] = row_of_code[joint[k:]]
        in_table = np.zeros(m, dtype=np.bool_)
        in_table[who_usable] = listed[joint[k:]]
        table.reject(
            cols.customer_id,
            "unknown_customer",
            "the order's customer is not in the customers table",
            who_usable & ~in_table,
        )
        table.reject(
            cols.customer_id,
            "customer_rejected",
            "the order's customer was rejected in the customers table",
            in_table & (order_row < 0),
        )

    if on_error == "raise":
        rejections.raise_first()
    keep = ~rejections.mask("orders", m)
    take = keep & counted
    skip = keep & ~counted

    if ccols is not None:
        batch_ids = cust_text[keep_c]
        batch_created = created[keep_c]
    else:  # the customers of the kept orders, in order of first appearance
        kept_who = who if keep.all() else who[keep]
        codes, first = _factorize(kept_who)
        order_row = np.full(m, -1, dtype=np.int64)
        order_row[keep] = codes
        batch_ids = kept_who[first]
        batch_created = np.full(first.shape[0], np.inf)
        np.minimum.at(batch_created, codes, placed[keep])
        notes.append(
            "no customers table: created_at is each customer's first order time (any status)"
        )
    if order_text is None:
        uncounted_ids = np.char.add("row ", np.flatnonzero(skip).astype(np.str_))
        if skip.any():
            notes.append(
                "no order id column: orders that do not count are cited as 'row N' "
                "(their row in the orders table)"
            )
    else:
        uncounted_ids = order_text[skip]
    # Every rule of CustomerBatch.from_arrays was checked above, cell by cell, with
    # its own checks: the columns go in as they are.
    batch = CustomerBatch._trusted(
        customer_ids=np.ascontiguousarray(batch_ids),
        created_at=batch_created,
        order_customer=order_row[take],
        order_time=placed[take],
        order_total=total[take],
        order_cost=cost[take],
        order_units=units[take],
        order_discounted=discounted[take],
        currency=check_currency(code, required=bool(take.any())),
        order_ids=None if order_text is None else order_text[take],
        timezone=zone,
        uncounted_customer=order_row[skip],
        uncounted_time=placed[skip],
        uncounted_status=np.asarray([s.value for s in _STATUSES], dtype=np.str_)[status[skip]],
        uncounted_ids=uncounted_ids,
    )
    tables, rejected_rows, rejected_cols, rules = rejections.report_arrays()
    report = LoadReport(
        orders_in=m,
        orders_counted=int(take.sum()),
        orders_uncounted=int(skip.sum()),
        customers_in=customers_in,
        customers_out=batch.n_customers,
        notes=tuple(dict.fromkeys(notes)),
        rejected_table=tables,
        rejected_row=rejected_rows,
        rejected_column=rejected_cols,
        rejected_rule=rules,
    )
    return batch, report


def _currency(
    table: _Table, column: str | None, stated: str | None, counted: NDArray[np.bool_]
) -> str | None:
    """The one currency of the counted orders: stated, or the column's one code."""
    if column is None:
        return stated
    codes, words = _words(table, column, "currency", within=counted)
    if stated is not None:
        other = np.asarray([w != stated for w in words] + [False], dtype=np.bool_)
        table.reject(column, "other_currency", f"currency is not {stated}", counted & other[codes])
        return stated
    used = np.zeros(len(words) + 1, dtype=np.bool_)
    used[codes[counted]] = True
    distinct = sorted({w for w, u in zip(words, used[:-1].tolist(), strict=True) if u})
    if len(distinct) > 1:
        raise ColumnError(
            column,
            "mixed_currencies",
            f"holds several currencies ({', '.join(distinct)}); convert the amounts "
            "to one currency first, or pass currency= to keep only that one",
        )
    if not distinct:
        return None
    try:
        return check_currency(distinct[0], required=False)
    except ColumnError as exc:
        raise ColumnError(column, exc.rule, exc.detail) from None
