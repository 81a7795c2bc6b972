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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from custcare.batch import CustomerBatch
from custcare.batch._columns import (
    _MAX_TIME,
    _MIN_TIME,
    AMOUNT_TOO_LARGE,
    CUSTOMER_TOTAL_TOO_LARGE,
    MAX_CUSTOMER_TOTAL,
    MAX_CUSTOMER_UNITS,
    _float_each,
    _is_amount_each,
    _is_str_each,
    amount_too_large,
    blank_mask,
    check_currency,
    check_timezone,
    customer_total_over,
    datetime64_seconds,
    duplicate_mask,
    hash_text,
    sub_minor_unit,
    sub_minor_unit_text,
)
from custcare.batch._records import DETAILED_RATINGS, NATURAL_MARKERS, CareRecords
from custcare.errors import ColumnError, CustcareUsageError
from custcare.models import (
    COUNTED_STATUSES,
    ComplaintCategory,
    ComplaintChannel,
    OrderStatus,
    minor_unit_digits,
)

if TYPE_CHECKING:  # narwhals is optional: imported when a function runs
    from narwhals.typing import IntoDataFrame

__all__ = [
    "CATEGORY_WORDS",
    "CHANNEL_WORDS",
    "STATUS_WORDS",
    "ComplaintColumns",
    "CustomerColumns",
    "LineColumns",
    "LoadReport",
    "OrderColumns",
    "Rejection",
    "ReviewColumns",
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

CHANNEL_WORDS: Mapping[str, ComplaintChannel] = {
    word: channel
    for channel in ComplaintChannel
    for word in (channel.value, channel.label_zh, channel.label_en)
}
"""The complaint channel words read: each `ComplaintChannel` code, Chinese label and
English label, exactly as written (``"phone"``, ``"电话"``, ``"Phone"``)."""

CATEGORY_WORDS: Mapping[str, ComplaintCategory] = {
    word: category
    for category in ComplaintCategory
    for word in (category.value, category.label_zh, category.label_en)
}
"""The complaint category words read: each `ComplaintCategory` code, Chinese label
and English label, exactly as written (``"long_wait"``, ``"等待时间过长"``)."""


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
        promised_delivery_at: The promised delivery time (empty cells: none);
            read into the care records (late deliveries).
        delivered_at: The delivery time (empty cells: not delivered yet).

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
    promised_delivery_at: str | None = None
    delivered_at: str | None = None


class CustomerColumns(BaseModel):
    """Which column of the customers table holds what.

    Attributes:
        id: The customer's id (text), the same ids as the orders' ``customer_id``.
        created_at: When the customer was created (a datetime or date column).
        assigned_agent: The staff member who owns the relationship (text; empty
            cells: none); read into the care records.
        tags: The customer's tags: a column of lists of text (or of text, one tag
            per cell; empty cells: no tags). Only whether they hold a
            `custcare.batch.NATURAL_MARKERS` word (moved away, deceased) is kept.

    Examples:
        >>> CustomerColumns(id="user", created_at="signed_up").id
        'user'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    created_at: str
    assigned_agent: str | None = None
    tags: str | None = None


class ReviewColumns(BaseModel):
    """Which column of the reviews table holds what (`custcare.Review`'s fields).

    Empty cells of the optional columns mean "none" (no order, no reply, not
    revised, no detailed rating, no text).

    Attributes:
        id: The review's id (text): unique among reviews, and not an order id.
        customer_id: The reviewing customer's id (text).
        posted_at: When the review was posted (a datetime or date column).
        rating: The star rating: whole numbers 1..5.
        order_id: The order reviewed (text); it must be the customer's own
            order, placed no later than the review.
        text: The review text.
        seller_replied_at: The seller's reply time (not before ``posted_at``).
        revised_rating: The revised rating 1..5 (追评/改评).
        revised_at: When it was revised (not before ``posted_at``); given
            exactly where ``revised_rating`` is.
        description_match: Detailed rating 1..5 (宝贝与描述相符).
        service_attitude: Detailed rating 1..5 (卖家的服务态度).
        logistics: Detailed rating 1..5 (物流服务的质量).

    Examples:
        >>> ReviewColumns(id="rid", customer_id="user", posted_at="t", rating="stars").text is None
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    customer_id: str
    posted_at: str
    rating: str
    order_id: str | None = None
    text: str | None = None
    seller_replied_at: str | None = None
    revised_rating: str | None = None
    revised_at: str | None = None
    description_match: str | None = None
    service_attitude: str | None = None
    logistics: str | None = None


class ComplaintColumns(BaseModel):
    """Which column of the complaints table holds what (`custcare.Complaint`'s fields).

    Empty cells of the optional columns mean "none" (no order, no category, no
    promise, no response, not resolved, no text, not raised from a review).

    Attributes:
        id: The complaint's id (text): unique among complaints, and neither an
            order id nor a review id.
        customer_id: The complaining customer's id (text).
        opened_at: When it was opened (a datetime or date column).
        channel: Where it reached the shop: `custcare.models.ComplaintChannel`
            codes or labels (`CHANNEL_WORDS`, e.g. ``"phone"``, ``"电话"``).
        order_id: The order it is about (the customer's own, placed no later).
        text: The complaint text.
        category: `custcare.models.ComplaintCategory` codes or labels
            (`CATEGORY_WORDS`); empty cells: not recorded (the text decides).
        promised_by: When the shop promised a fix or an answer.
        first_response_at: The first response (not before ``opened_at``).
        resolved_at: When it was resolved (not before ``opened_at``); empty: open.
        reopened: How many times it was reopened: whole numbers >= 0 (no
            empty cells; without this column, 0).
        review_id: The review it was raised from: a review of the same customer
            in the reviews table.

    Examples:
        >>> ComplaintColumns(id="qid", customer_id="user", opened_at="t",
        ...                  channel="via").reopened is None
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    customer_id: str
    opened_at: str
    channel: str
    order_id: str | None = None
    text: str | None = None
    category: str | None = None
    promised_by: str | None = None
    first_response_at: str | None = None
    resolved_at: str | None = None
    reopened: str | None = None
    review_id: str | None = None


class LineColumns(BaseModel):
    """Which column of the order lines table holds what (one row per SKU on an order).

    Attributes:
        order_id: The order (text), an order of the orders table.
        sku: The SKU (text, not blank).
        category: The product category (text; empty cells: none).

    Examples:
        >>> LineColumns(order_id="order_no", sku="item").category is None
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str
    sku: str
    category: str | None = None


@dataclass(frozen=True)
class Rejection:
    """One rule one row broke. Cell values are never kept (they may be personal data).

    Attributes:
        table: ``"orders"``, ``"customers"``, ``"reviews"``, ``"complaints"`` or
            ``"order_lines"``.
        row: The row's 0-based position in that table (not its index label).
        column: The table's column (your name for it).
        rule: A stable slug (the `ColumnError` rules, plus the table rules
            ``missing``, ``unknown_customer``, ``customer_rejected``,
            ``nonexistent_time``, ``ambiguous_time``, ``other_currency``, and for
            the record tables ``unknown_order``, ``order_rejected``,
            ``order_of_other_customer``, ``before_order``, ``unknown_review``,
            ``review_rejected``, ``review_of_other_customer``, the models' time
            rules ``before_placed``, ``before_posted``, ``before_opened``,
            ``revision_incomplete``, and ``unknown_channel``, ``unknown_category``).

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
        reviews_in: Rows of the reviews table, or None when none was given.
        reviews_out: Reviews in the batch's care records.
        complaints_in: Rows of the complaints table, or None when none was given.
        complaints_out: Complaints in the batch's care records.
        lines_in: Rows of the order lines table, or None when none was given.
        lines_out: Lines in the care records (lines of orders that count).
        lines_uncounted: Lines of orders that do not count, not kept (the
            records hold purchase lines only).

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
    reviews_in: int | None = None
    reviews_out: int = 0
    complaints_in: int | None = None
    complaints_out: int = 0
    lines_in: int | None = None
    lines_out: int = 0
    lines_uncounted: int = 0

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
        for name, rows_in, rows_out in (
            ("reviews", self.reviews_in, self.reviews_out),
            ("complaints", self.complaints_in, self.complaints_out),
        ):
            if rows_in is not None:
                rejected = self.rejected_rows(name).shape[0]
                lines.append(
                    f"{name}: {rows_in:,} rows in; {rows_out:,} kept, {rejected:,} rejected"
                )
        if self.lines_in is not None:
            rejected = self.rejected_rows("order_lines").shape[0]
            lines.append(
                f"order_lines: {self.lines_in:,} rows in; {self.lines_out:,} kept, "
                f"{self.lines_uncounted:,} of orders that do not count, {rejected:,} rejected"
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
    required: bool = True,
) -> tuple[NDArray[np.str_], NDArray[np.bool_]]:
    """Each row's text (``""`` where unusable) and where it is usable.

    Rejects, among rows ``within`` (all when None), empty cells (unless not
    ``required``: an empty cell is then no value), cells that are not text and
    blank text. Integer columns are refused unless ``ids_as_text``.
    """
    nw = _narwhals()
    series = table.series(column)
    dtype = series.dtype
    null = _nulls(series)
    scope = np.ones(table.n, dtype=np.bool_) if within is None else within
    if required:
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
    table: _Table, column: str, role: str, zone: str, notes: list[str], *, required: bool = True
) -> NDArray[np.float64]:
    """Epoch seconds of a datetime or date column (NaN where the cell is rejected).

    An empty cell is rejected when ``required``, else it is NaN (no such moment).
    """
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
    if required:
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
    table.reject(
        column,
        "out_of_range",
        f"number of units above {MAX_CUSTOMER_UNITS:,} (MAX_CUSTOMER_UNITS)",
        whole & (values > MAX_CUSTOMER_UNITS) & rows,
    )
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


# --- the care records: reviews, complaints, order lines -----------------------------------


def _free_text(table: _Table, column: str, role: str) -> NDArray[np.object_]:
    """Each row's text as Python str (``""`` for an empty cell); other objects are rejected."""
    nw = _narwhals()
    series = table.series(column)
    dtype = series.dtype
    if not (_is_text_dtype(dtype) or dtype == nw.Object):
        raise ColumnError(column, "not_text", f"{role} must be text, got {dtype}")
    null = _nulls(series)
    out = np.empty(table.n, dtype=object)
    out[:] = series.to_list()
    out[null] = ""
    is_str = _is_str_each(out).astype(np.bool_)
    table.reject(column, "not_text", f"{role} is not text (a number or other object)", ~is_str)
    out[~is_str] = ""
    return out


def _whole_numbers(
    table: _Table, column: str, role: str, *, low: int, high: int | None, required: bool
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Whole numbers in ``low..high`` (0 where empty or rejected), and where a cell is given.

    Integer columns, or float columns holding whole numbers (pandas' integers with
    gaps); text, booleans and fractions are refused.
    """
    series = table.series(column)
    dtype = series.dtype
    if not (dtype.is_integer() or dtype.is_float()):
        raise ColumnError(column, "not_an_integer", f"{role} must be whole numbers, got {dtype}")
    null = _nulls(series)
    if required:
        table.reject(column, "missing", f"{role} is empty (null)", null)
    present = np.asarray(_present(series, null).to_numpy())
    values = _scatter(table.n, null, present.astype(np.float64), float(low))
    if dtype.is_integer():
        whole = np.ones(table.n, dtype=np.bool_)
        ints = _scatter(table.n, null, present.astype(np.int64), low)
    else:
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**62)
        ints = np.where(whole, values, low).astype(np.int64)
    table.reject(column, "not_an_integer", f"{role} is not a whole number", ~whole & ~null)
    below = whole & ~null & (ints < low)
    table.reject(column, "greater_than_equal", f"{role} must be >= {low}", below)
    above = np.zeros(table.n, dtype=np.bool_)
    if high is not None:
        above = whole & ~null & (ints > high)
        table.reject(column, "less_than_equal", f"{role} must be <= {high}", above)
    good = whole & ~null & ~below & ~above
    return np.where(good, ints, 0).astype(np.int64), ~null


def _vocabulary(
    table: _Table,
    column: str,
    role: str,
    vocabulary: Mapping[str, int],
    rule: str,
    *,
    required: bool,
) -> NDArray[np.int64]:
    """Each row's word looked up in ``vocabulary`` (-1: empty cell or rejected)."""
    null = _nulls(table.series(column))
    scope = None if required else np.zeros(table.n, dtype=np.bool_)
    codes, distinct = _words(table, column, role, within=scope)
    lookup = np.asarray([vocabulary.get(w, -1) for w in distinct] + [-1], dtype=np.int64)
    value = lookup[codes]
    bad = (value < 0) & (codes >= 0) if required else (value < 0) & ~null
    table.reject(column, rule, f"{role} is not a known word (a code or a label)", bad)
    return np.where(bad, -1, value)


def _markers(table: _Table, column: str) -> NDArray[np.bool_]:
    """``(n, len(NATURAL_MARKERS))``: which marker words each row's tags hold.

    Tags are lists of text, or text (one tag per cell); matched as
    `records_from_histories` matches a customer's tags (case-insensitively).
    """
    nw = _narwhals()
    series = table.series(column)
    dtype = series.dtype
    listed = isinstance(dtype, nw.List)
    if not (listed or _is_text_dtype(dtype) or dtype == nw.Object):
        raise ColumnError(column, "not_text", f"tags must be lists of text or text, got {dtype}")
    null = _nulls(series)
    out = np.zeros((table.n, len(NATURAL_MARKERS)), dtype=np.bool_)
    position = {marker: k for k, marker in enumerate(NATURAL_MARKERS)}
    bad = np.zeros(table.n, dtype=np.bool_)
    for row, cell in enumerate(series.to_list()):
        if null[row] or cell is None:
            continue
        tags = [cell] if isinstance(cell, str) else cell
        if isinstance(tags, (str, bytes)) or not hasattr(tags, "__iter__"):
            bad[row] = True
            continue
        for tag in tags:
            if not isinstance(tag, str):
                bad[row] = True
                break
            k = position.get(tag.lower())
            if k is not None:
                out[row, k] = True
    table.reject(column, "not_text", "tags are not text or lists of text", bad)
    out[bad] = False
    return out


def _first_of(names: NDArray[np.str_], wanted: NDArray[np.str_]) -> NDArray[np.int64]:
    """For each wanted text, the first position in ``names`` holding it (-1: none).

    Examples:
        >>> _first_of(np.array(["a", "b", "a"]), np.array(["a", "c", "b"])).tolist()
        [0, -1, 1]
    """
    k = names.shape[0]
    codes, first = _factorize(np.concatenate([names, wanted]).astype(np.str_))
    position = np.where(first < k, first, -1)
    return position[codes[k:]].astype(np.int64)


@dataclass(frozen=True)
class _Index:
    """Ids to rows: the kept ids (-> their row), then the other ids read (-> -1).

    The names are hashed and sorted once; each lookup hashes the wanted ids and
    checks the text of the candidate found (hash collisions are looked up exactly).
    """

    names: NDArray[np.str_]
    rows: NDArray[np.int64]  # one more than names: a trailing -1 for "not found"
    hashes: NDArray[np.uint64]  # sorted
    by_hash: NDArray[np.int64]  # positions of the names in hash order (stable)

    @classmethod
    def of(cls, kept: NDArray[np.str_], others: NDArray[np.str_]) -> _Index:
        names = np.concatenate([kept, others]).astype(np.str_)
        rows = np.concatenate(
            [np.arange(kept.shape[0], dtype=np.int64), np.full(others.shape[0] + 1, -1)]
        )
        hashes = hash_text(names)
        by_hash = np.argsort(hashes, kind="stable").astype(np.int64)
        return cls(names, rows, hashes[by_hash], by_hash)

    def find(self, wanted: NDArray[np.str_]) -> NDArray[np.int64]:
        """The first position of each wanted id among the names, -1 if absent.

        Examples:
            >>> index = _Index.of(np.array(["a", "b"]), np.array(["a", "c"]))
            >>> index.find(np.array(["c", "a", "z", "cc"])).tolist()
            [3, 0, -1, -1]
        """
        found = np.full(wanted.shape[0], -1, dtype=np.int64)
        if not (self.names.size and wanted.size):
            return found
        # The hash depends on the array's width: read the wanted ids at the names'
        # width; an id longer than every name (cut by the cast) is no name.
        same_width = wanted.astype(self.names.dtype)
        fits = same_width == wanted
        hashes = hash_text(same_width)
        at = np.minimum(np.searchsorted(self.hashes, hashes), self.names.shape[0] - 1)
        candidate = self.by_hash[at]
        same_hash = (self.hashes[at] == hashes) & fits
        hit = same_hash & (self.names[candidate] == same_width)
        found[hit] = candidate[hit]
        doubt = np.flatnonzero(same_hash & ~hit)
        if doubt.size:  # another name shares the hash: look those up exactly
            found[doubt] = _first_of(self.names, wanted[doubt])
        return found

    def resolve(
        self,
        table: _Table,
        column: str,
        what: str,
        text: NDArray[np.str_],
        usable: NDArray[np.bool_],
    ) -> NDArray[np.int64]:
        """Each row's kept row (-1: none); unknown and rejected targets reject the row."""
        found = self.find(text[usable])
        row = np.full(table.n, -1, dtype=np.int64)
        row[usable] = self.rows[found]  # -1 (not found) reads the trailing -1
        unknown = np.zeros(table.n, dtype=np.bool_)
        unknown[usable] = found < 0
        table.reject(column, f"unknown_{what}", f"the {what} is not in its table", unknown)
        table.reject(
            column,
            f"{what}_rejected",
            f"the {what} was rejected in its table",
            usable & ~unknown & (row < 0),
        )
        return row


@dataclass(frozen=True)
class _Kept:
    """A record table kept: its rows' customers and times, and where its ids lead."""

    index: _Index
    customer: NDArray[np.int64]
    time: NDArray[np.float64]


def _clashes(
    table: _Table,
    column: str,
    role: str,
    ids: NDArray[np.str_],
    usable: NDArray[np.bool_],
    others: list[tuple[str, _Index]],
) -> None:
    """Ids repeated in the table, or used by another table, reject their rows."""
    repeated = np.zeros(table.n, dtype=np.bool_)
    repeated[usable] = duplicate_mask(ids[usable])
    table.reject(column, "duplicate_id", f"{role} is not unique", repeated)
    for other, names in others:  # every id read in the other table, kept or not
        taken = np.zeros(table.n, dtype=np.bool_)
        taken[usable] = names.find(ids[usable]) >= 0
        table.reject(column, "duplicate_id", f"{role} is also {other}", taken)


def _later_than(
    table: _Table,
    column: str,
    rule: str,
    detail: str,
    moment: NDArray[np.float64],
    start: NDArray[np.float64],
) -> None:
    with np.errstate(invalid="ignore"):
        table.reject(column, rule, detail, moment < start)


def _linked_order(
    table: _Table,
    column: str | None,
    time_column: str,
    orders: _Kept | None,
    customer: NDArray[np.int64],
    time: NDArray[np.float64],
    *,
    ids_as_text: bool,
) -> NDArray[np.str_]:
    """The order id each row names (``""``: none): the customer's own kept order, not later."""
    if column is None:
        return np.full(table.n, "", dtype=np.str_)
    if orders is None:
        raise CustcareUsageError(
            f"the {table.name} table names orders, but the orders table has no order id "
            "column: map OrderColumns.order_id",
            code="bad_argument",
        )
    text, usable = _text_rows(table, column, "order id", ids_as_text=ids_as_text, required=False)
    row = orders.index.resolve(table, column, "order", text, usable)
    linked = row >= 0
    table.reject(
        column,
        "order_of_other_customer",
        "the order is another customer's",
        linked & (customer >= 0) & (_at(orders.customer, row, -1) != customer),
    )
    start = _at(orders.time, row, -np.inf)
    _later_than(
        table, time_column, "before_order", "dated before its order was placed", time, start
    )
    return np.where(usable, text, "").astype(np.str_)


def _at(values: NDArray[Any], row: NDArray[np.int64], fill: Any) -> NDArray[Any]:
    """``values[row]`` where ``row >= 0``, else ``fill`` (also when ``values`` is empty)."""
    out = np.full(row.shape, fill, dtype=values.dtype)
    found = row >= 0
    out[found] = values[row[found]]
    return out


def _optional_times(
    table: _Table, column: str | None, role: str, zone: str, notes: list[str]
) -> NDArray[np.float64]:
    if column is None:
        return np.full(table.n, np.nan)
    return _times(table, column, role, zone, notes, required=False)


def _given(table: _Table, column: str | None) -> NDArray[np.bool_]:
    if column is None:
        return np.zeros(table.n, dtype=np.bool_)
    return ~_nulls(table.series(column))


def _read_reviews(
    table: _Table,
    cols: ReviewColumns,
    zone: str,
    notes: list[str],
    customers: _Index,
    orders: _Kept | None,
    ids_as_text: bool,
) -> dict[str, NDArray[Any]]:
    """The reviews table's columns, row by row; broken rows are rejected."""
    ids, usable = _text_rows(table, cols.id, "review id", ids_as_text=ids_as_text)
    _clashes(
        table,
        cols.id,
        "review id",
        ids,
        usable,
        [] if orders is None else [("an order id", orders.index)],
    )
    who, who_usable = _text_rows(table, cols.customer_id, "customer id", ids_as_text=ids_as_text)
    customer = customers.resolve(table, cols.customer_id, "customer", who, who_usable)
    posted = _times(table, cols.posted_at, "posted_at", zone, notes)
    rating, _ = _whole_numbers(table, cols.rating, "rating", low=1, high=5, required=True)
    revised = np.zeros(table.n, dtype=np.int64)
    if cols.revised_rating is not None:
        revised, _ = _whole_numbers(
            table, cols.revised_rating, "revised_rating", low=1, high=5, required=False
        )
    revised_at = _optional_times(table, cols.revised_at, "revised_at", zone, notes)
    replied = _optional_times(table, cols.seller_replied_at, "seller_replied_at", zone, notes)
    incomplete = _given(table, cols.revised_rating) != _given(table, cols.revised_at)
    table.reject(
        cols.revised_rating or cols.revised_at or cols.id,
        "revision_incomplete",
        "revised_rating and revised_at must be given together",
        incomplete,
    )
    for column, moment in ((cols.seller_replied_at, replied), (cols.revised_at, revised_at)):
        if column is not None:
            _later_than(
                table, column, "before_posted", "must not be before posted_at", moment, posted
            )
    detailed = np.full((table.n, len(DETAILED_RATINGS)), np.nan)
    for d, column in enumerate((cols.description_match, cols.service_attitude, cols.logistics)):
        if column is not None:
            value, given = _whole_numbers(
                table, column, DETAILED_RATINGS[d], low=1, high=5, required=False
            )
            detailed[:, d] = np.where(given & (value > 0), value, np.nan)
    order_id = _linked_order(
        table, cols.order_id, cols.posted_at, orders, customer, posted, ids_as_text=ids_as_text
    )
    text = (
        _free_text(table, cols.text, "text")
        if cols.text is not None
        else np.full(table.n, "", dtype=object)
    )
    return {
        "ids": ids,
        "customer": customer,
        "posted": posted,
        "rating": rating,
        "revised": revised,
        "revised_at": revised_at,
        "detailed": detailed,
        "replied": replied,
        "order_id": order_id,
        "text": text,
    }


_CHANNELS: tuple[ComplaintChannel, ...] = tuple(ComplaintChannel)
_CATEGORIES: tuple[ComplaintCategory, ...] = tuple(ComplaintCategory)


def _read_complaints(
    table: _Table,
    cols: ComplaintColumns,
    zone: str,
    notes: list[str],
    customers: _Index,
    orders: _Kept | None,
    reviews: _Kept | None,
    ids_as_text: bool,
) -> dict[str, NDArray[Any]]:
    """The complaints table's columns, row by row; broken rows are rejected."""
    ids, usable = _text_rows(table, cols.id, "complaint id", ids_as_text=ids_as_text)
    others = [("an order id", orders), ("a review id", reviews)]
    _clashes(
        table,
        cols.id,
        "complaint id",
        ids,
        usable,
        [(name, kept.index) for name, kept in others if kept is not None],
    )
    who, who_usable = _text_rows(table, cols.customer_id, "customer id", ids_as_text=ids_as_text)
    customer = customers.resolve(table, cols.customer_id, "customer", who, who_usable)
    opened = _times(table, cols.opened_at, "opened_at", zone, notes)
    channel = _vocabulary(
        table,
        cols.channel,
        "channel",
        {w: _CHANNELS.index(c) for w, c in CHANNEL_WORDS.items()},
        "unknown_channel",
        required=True,
    )
    public = np.asarray([c.is_public for c in _CHANNELS] + [False], dtype=np.bool_)[channel]
    category = np.full(table.n, -1, dtype=np.int64)
    if cols.category is not None:
        category = _vocabulary(
            table,
            cols.category,
            "category",
            {w: _CATEGORIES.index(c) for w, c in CATEGORY_WORDS.items()},
            "unknown_category",
            required=False,
        )
    promised = _optional_times(table, cols.promised_by, "promised_by", zone, notes)
    first = _optional_times(table, cols.first_response_at, "first_response_at", zone, notes)
    resolved = _optional_times(table, cols.resolved_at, "resolved_at", zone, notes)
    for column, moment in ((cols.first_response_at, first), (cols.resolved_at, resolved)):
        if column is not None:
            _later_than(
                table, column, "before_opened", "must not be before opened_at", moment, opened
            )
    reopened = np.zeros(table.n, dtype=np.int64)
    if cols.reopened is not None:
        reopened, _ = _whole_numbers(
            table, cols.reopened, "reopened", low=0, high=None, required=True
        )
    review_id = np.full(table.n, "", dtype=np.str_)
    if cols.review_id is not None:
        if reviews is None:
            raise CustcareUsageError(
                "complaint_columns.review_id names reviews: pass the reviews table too",
                code="bad_argument",
            )
        text, named = _text_rows(
            table, cols.review_id, "review id", ids_as_text=ids_as_text, required=False
        )
        row = reviews.index.resolve(table, cols.review_id, "review", text, named)
        table.reject(
            cols.review_id,
            "review_of_other_customer",
            "the review is another customer's",
            (row >= 0) & (customer >= 0) & (_at(reviews.customer, row, -1) != customer),
        )
        review_id = np.where(named, text, "").astype(np.str_)
    order_id = _linked_order(
        table, cols.order_id, cols.opened_at, orders, customer, opened, ids_as_text=ids_as_text
    )
    text_values = (
        _free_text(table, cols.text, "text")
        if cols.text is not None
        else np.full(table.n, "", dtype=object)
    )
    return {
        "ids": ids,
        "customer": customer,
        "opened": opened,
        "category": category,
        "public": public,
        "first": first,
        "resolved": resolved,
        "reopened": reopened,
        "review_id": review_id,
        "order_id": order_id,
        "promised": promised,
        "text": text_values,
    }


def _read_lines(
    table: _Table, cols: LineColumns, orders: _Kept | None, ids_as_text: bool
) -> dict[str, NDArray[Any]]:
    """The order lines table's columns, row by row; broken rows are rejected."""
    if orders is None:
        raise CustcareUsageError(
            "the order_lines table names orders, but the orders table has no order id "
            "column: map OrderColumns.order_id",
            code="bad_argument",
        )
    text, usable = _text_rows(table, cols.order_id, "order id", ids_as_text=ids_as_text)
    order = orders.index.resolve(table, cols.order_id, "order", text, usable)
    sku, _ = _text_rows(table, cols.sku, "sku", ids_as_text=ids_as_text)
    category = (
        _free_text(table, cols.category, "category").astype(np.str_)
        if cols.category is not None
        else np.full(table.n, "", dtype=np.str_)
    )
    return {"order": order, "sku": sku, "category": category}


_T = TypeVar("_T")
_Model = TypeVar("_Model", bound=BaseModel)


def _mapping(model: type[_Model], given: _Model | Mapping[str, str | None] | None) -> _Model | None:
    """A column mapping as its model (validated: unknown keys are refused)."""
    if given is None or isinstance(given, model):
        return given
    return model.model_validate(given)


@dataclass
class _Care:
    """The care tables read against the kept customers and orders, then the records."""

    customers: _Index
    orders: _Kept | None
    order_rows: NDArray[np.int64]  # input rows of the kept orders: the records' orders
    order_ids: NDArray[np.str_]
    tables: dict[str, tuple[_Table, dict[str, NDArray[Any]], NDArray[np.bool_]]] = field(
        default_factory=dict
    )
    line_counts: tuple[int, int] = (0, 0)  # lines kept (of purchases), of other orders

    def read(
        self,
        rejections: _Rejections,
        zone: str,
        notes: list[str],
        *,
        reviews: tuple[IntoDataFrame | None, ReviewColumns | None],
        complaints: tuple[IntoDataFrame | None, ComplaintColumns | None],
        lines: tuple[IntoDataFrame | None, LineColumns | None],
        ids_as_text: bool,
    ) -> None:
        """Read the reviews, then the complaints (which may name reviews), then the lines."""
        kept_reviews: _Kept | None = None
        native, rcols = reviews
        if native is not None and rcols is not None:
            table = _Table(_frame(native, "reviews"), "reviews", rejections)
            read = _labelled(
                table,
                lambda: _read_reviews(
                    table,
                    rcols,
                    zone,
                    notes,
                    self.customers,
                    self.orders,
                    ids_as_text,
                ),
            )
            keep = ~rejections.mask("reviews", table.n)
            self.tables["reviews"] = (table, read, keep)
            usable = read["ids"] != ""
            kept_reviews = _Kept(
                _Index.of(read["ids"][keep], read["ids"][usable & ~keep]),
                read["customer"][keep],
                read["posted"][keep],
            )
        else:
            notes.append("no reviews table: the care records hold no reviews")
        native, qcols = complaints
        if native is not None and qcols is not None:
            table = _Table(_frame(native, "complaints"), "complaints", rejections)
            read = _labelled(
                table,
                lambda: _read_complaints(
                    table,
                    qcols,
                    zone,
                    notes,
                    self.customers,
                    self.orders,
                    kept_reviews,
                    ids_as_text,
                ),
            )
            self.tables["complaints"] = (table, read, ~rejections.mask("complaints", table.n))
        else:
            notes.append("no complaints table: the care records hold no complaints")
        native, lcols = lines
        if native is not None and lcols is not None:
            table = _Table(_frame(native, "order_lines"), "order_lines", rejections)
            read = _labelled(table, lambda: _read_lines(table, lcols, self.orders, ids_as_text))
            self.tables["order_lines"] = (table, read, ~rejections.mask("order_lines", table.n))

    def records(
        self,
        *,
        n_customers: int,
        agents: NDArray[np.str_] | None,
        marks: NDArray[np.bool_] | None,
        order_customer: NDArray[np.int64],
        placed: NDArray[np.float64],
        counted: NDArray[np.bool_],
        promised: NDArray[np.float64],
        delivered: NDArray[np.float64],
    ) -> CareRecords:
        """The records of the kept rows (rejected rows left out), frozen."""
        empty = CareRecords.empty(n_customers)
        rows = self.order_rows
        columns: dict[str, Any] = {
            "n_customers": n_customers,
            "assigned_agent": empty.assigned_agent if agents is None else agents,
            "natural_markers": empty.natural_markers if marks is None else marks,
            "order_ids": self.order_ids,
            "order_customer": order_customer[rows],
            "order_placed": placed[rows],
            "order_counted": counted[rows],
            "order_promised_delivery": promised[rows],
            "order_delivered": delivered[rows],
        }
        review = self.tables.get("reviews")
        if review is None:
            columns.update(
                {
                    f.name: getattr(empty, f.name)
                    for f in fields(empty)
                    if f.name.startswith("review_")
                }
            )
        else:
            _, r, keep = review
            columns.update(
                review_ids=r["ids"][keep],
                review_customer=r["customer"][keep],
                review_posted=r["posted"][keep],
                review_rating=r["rating"][keep],
                review_revised_rating=r["revised"][keep],
                review_revised_at=r["revised_at"][keep],
                review_detailed=r["detailed"][keep],
                review_replied=r["replied"][keep],
                review_order_id=r["order_id"][keep],
                review_text=r["text"][keep],
            )
        complaint = self.tables.get("complaints")
        if complaint is None:
            columns.update(
                {
                    f.name: getattr(empty, f.name)
                    for f in fields(empty)
                    if f.name.startswith("complaint_")
                }
            )
        else:
            _, q, keep = complaint
            columns.update(
                complaint_ids=q["ids"][keep],
                complaint_customer=q["customer"][keep],
                complaint_opened=q["opened"][keep],
                complaint_category=q["category"][keep],
                complaint_public=q["public"][keep],
                complaint_first_response=q["first"][keep],
                complaint_resolved=q["resolved"][keep],
                complaint_reopened=q["reopened"][keep],
                complaint_review_id=q["review_id"][keep],
                complaint_order_id=q["order_id"][keep],
                complaint_promised_by=q["promised"][keep],
                complaint_text=q["text"][keep],
            )
        line = self.tables.get("order_lines")
        if line is None:
            columns.update(
                line_order=empty.line_order,
                line_sku=empty.line_sku,
                line_category=empty.line_category,
            )
        else:
            _, ln, keep = line
            of_purchase = np.append(counted[rows], False)[ln["order"]]  # -1: no order
            purchase = keep & of_purchase
            self.line_counts = (int(purchase.sum()), int((keep & ~of_purchase).sum()))
            columns.update(
                line_order=ln["order"][purchase],
                line_sku=ln["sku"][purchase],
                line_category=ln["category"][purchase],
            )
        return CareRecords(**columns)._freeze()

    def counts(self) -> dict[str, int]:
        """The record tables' rows in and kept, for the `LoadReport`."""
        out: dict[str, int] = {}
        for name, key in (("reviews", "reviews"), ("complaints", "complaints")):
            if name in self.tables:
                table, _, keep = self.tables[name]
                out[f"{key}_in"] = table.n
                out[f"{key}_out"] = int(keep.sum())
        if "order_lines" in self.tables:
            out["lines_in"] = self.tables["order_lines"][0].n
            out["lines_out"], out["lines_uncounted"] = self.line_counts
        return out


def _labelled(table: _Table, read: Callable[[], _T]) -> _T:
    """``read()``, with a `ColumnError` for a whole column naming the table too."""
    try:
        return read()
    except ColumnError as exc:
        if exc.rows or exc.detail.startswith(f"the {table.name} table"):
            raise
        raise ColumnError(exc.column, exc.rule, f"{table.name} table: {exc.detail}") from None


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
    customer_columns: CustomerColumns | Mapping[str, str | None] | None = None,
    reviews: IntoDataFrame | None = None,
    review_columns: ReviewColumns | Mapping[str, str | None] | None = None,
    complaints: IntoDataFrame | None = None,
    complaint_columns: ComplaintColumns | Mapping[str, str | None] | None = None,
    order_lines: IntoDataFrame | None = None,
    line_columns: LineColumns | Mapping[str, str | None] | None = None,
    currency: str | None = None,
    status_map: Mapping[str, OrderStatus | str] | None = None,
    ids_as_text: bool = False,
    on_error: Literal["raise", "report"] = "raise",
) -> tuple[CustomerBatch, LoadReport]:
    """A `CustomerBatch` from your orders table (and customers, reviews, complaints), with a report.

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
    * **care records** (what ``churn.cause`` and ``complaint.priority`` read
      besides orders): a ``reviews`` and a ``complaints`` table (`ReviewColumns`,
      `ComplaintColumns`), an ``order_lines`` table (`LineColumns`: SKU and
      category of each purchase line), the orders' delivery times and the
      customers' assigned staff and tags. Given any of them, the batch carries
      `custcare.batch.CareRecords` (a table not given holds nothing; the report
      says so); given none, ``batch.records`` is None and those scorers say
      ``no_records``. Each row follows its model's rules (`custcare.Review`,
      `custcare.Complaint`): ratings 1..5, replies, revisions and responses not
      before the record, channel and category words (`CHANNEL_WORDS`,
      `CATEGORY_WORDS`). A record's customer must be a customer of the batch
      (``unknown_customer``, ``customer_rejected``); a named order one of the
      orders kept, of the same customer and placed no later (``unknown_order``,
      ``order_rejected``, ``order_of_other_customer``, ``before_order``); a
      complaint's review one of the customer's kept reviews. Ids are unique
      across orders, reviews and complaints. Free text is kept for the text
      classifier and never put in the report; an empty text cell is no text.

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
        reviews: The reviews table, one row per review.
        review_columns: Its columns (`ReviewColumns` or a dict).
        complaints: The complaints table, one row per complaint.
        complaint_columns: Its columns (`ComplaintColumns` or a dict).
        order_lines: The order lines table, one row per SKU on an order.
        line_columns: Its columns (`LineColumns` or a dict).
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

        Reviews and complaints go into the batch's care records; a review of an
        order that is not the customer's is rejected, row and rule only:

        >>> reviews = pd.DataFrame({
        ...     "rid": ["r1", "r2"], "user": ["007", "042"],
        ...     "order_no": ["240101000000000001", "240101000000000001"],
        ...     "posted": pd.to_datetime(["2026-01-03 09:00", "2026-01-04 10:00"]),
        ...     "stars": [2, 5], "comment": ["物流太慢了", None]})
        >>> complaints = pd.DataFrame({
        ...     "qid": ["q1"], "user": ["007"],
        ...     "opened": pd.to_datetime(["2026-01-03 09:30"]), "via": ["电话"],
        ...     "comment": ["等了一个星期还没到"], "closed": pd.to_datetime([None])})
        >>> batch, report = batch_from_frames(
        ...     orders=orders, timezone="Asia/Shanghai", currency="CNY",
        ...     columns={"customer_id": "user", "order_id": "order_no",
        ...              "placed_at": "paid_time", "total": "amount", "status": "state"},
        ...     reviews=reviews, review_columns={"id": "rid", "customer_id": "user",
        ...         "order_id": "order_no", "posted_at": "posted", "rating": "stars",
        ...         "text": "comment"},
        ...     complaints=complaints, complaint_columns={"id": "qid", "customer_id": "user",
        ...         "opened_at": "opened", "channel": "via", "text": "comment",
        ...         "resolved_at": "closed"},
        ...     on_error="report")
        >>> batch.records
        CareRecords(n_customers=2, reviews=1, complaints=1, orders=3, lines=0)
        >>> batch.records.complaint_open.tolist(), report.rejections()
        ([True], (Rejection(table='reviews', row=1, column='order_no', rule='order_of_other_customer'),))
    """  # noqa: E501
    if on_error not in ("raise", "report"):
        raise CustcareUsageError(
            f"on_error must be 'raise' or 'report', got {on_error!r}", code="bad_argument"
        )
    for frame, mapping, names in (
        (customers, customer_columns, "customers and customer_columns"),
        (reviews, review_columns, "reviews and review_columns"),
        (complaints, complaint_columns, "complaints and complaint_columns"),
        (order_lines, line_columns, "order_lines and line_columns"),
    ):
        if (frame is None) != (mapping is None):
            raise CustcareUsageError(
                f"{names} go together: pass both or neither", code="bad_argument"
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

    ccols = _mapping(CustomerColumns, customer_columns)
    rcols = _mapping(ReviewColumns, review_columns)
    qcols = _mapping(ComplaintColumns, complaint_columns)
    lcols = _mapping(LineColumns, line_columns)
    # The care records are built when anything only they hold is given.
    wants_records = (
        rcols is not None
        or qcols is not None
        or lcols is not None
        or cols.promised_delivery_at is not None
        or cols.delivered_at is not None
        or (ccols is not None and (ccols.assigned_agent, ccols.tags) != (None, None))
    )

    # customers table
    customers_in: int | None = None
    if customers is not None and ccols is not None:
        ctable = _Table(_frame(customers, "customers"), "customers", rejections)
        customers_in = ctable.n
        cust_text, cust_usable = _text_rows(
            ctable, ccols.id, "customer id", ids_as_text=ids_as_text
        )
        repeated = np.zeros(ctable.n, dtype=np.bool_)
        repeated[cust_usable] = duplicate_mask(cust_text[cust_usable])
        ctable.reject(ccols.id, "duplicate_id", "customer id is not unique", repeated)
        created = _times(ctable, ccols.created_at, "created_at", zone, notes)
        agents = (
            _free_text(ctable, ccols.assigned_agent, "assigned_agent").astype(np.str_)
            if ccols.assigned_agent is not None
            else np.full(ctable.n, "", dtype=np.str_)
        )
        marks = (
            _markers(ctable, ccols.tags)
            if ccols.tags is not None
            else np.zeros((ctable.n, len(NATURAL_MARKERS)), dtype=np.bool_)
        )

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
    # The money rules of CustomerBatch.from_arrays, row by row, in the batch's currency.
    digits = 2 if code is None else minor_unit_digits(code)
    for column, amounts in ((cols.total, total), (cols.cost, cost)):
        if column is not None:
            too_large = amount_too_large(amounts) & np.isfinite(amounts)  # inf: not_finite
            table.reject(column, "amount_too_large", AMOUNT_TOO_LARGE, too_large & counted)
            off = sub_minor_unit(amounts, digits) & ~too_large
            table.reject(column, "sub_minor_unit", sub_minor_unit_text(digits), off & counted)
    promised = _optional_times(
        table, cols.promised_delivery_at, "promised_delivery_at", zone, notes
    )
    delivered = _optional_times(table, cols.delivered_at, "delivered_at", zone, notes)
    for column, moment in ((cols.promised_delivery_at, promised), (cols.delivered_at, delivered)):
        if column is not None:
            _later_than(
                table, column, "before_placed", "must not be before placed_at", moment, placed
            )

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

    # One customer's counted orders together stay within the batch's limits.
    summed = counted & who_usable & ~rejections.mask("orders", m)
    if summed.any():
        code_of, _ = _factorize(who[summed])
        k = int(code_of.max()) + 1
        for column, values, limit in (
            (cols.total, total, MAX_CUSTOMER_TOTAL),
            (cols.cost, cost, MAX_CUSTOMER_TOTAL),
            (cols.units, units, MAX_CUSTOMER_UNITS),
        ):
            if column is not None:
                over = np.zeros(m, dtype=np.bool_)
                over[summed] = customer_total_over(values[summed], code_of, k, limit)
                table.reject(column, "customer_total_too_large", CUSTOMER_TOTAL_TOO_LARGE, over)

    if on_error == "raise":
        rejections.raise_first()
    keep = ~rejections.mask("orders", m)
    take = keep & counted
    skip = keep & ~counted

    if ccols is not None:
        batch_ids = cust_text[keep_c]
        batch_created = created[keep_c]
        other_customers = cust_text[cust_usable & ~keep_c]
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
        other_customers = who[who_usable & ~keep]
    if order_text is None:
        uncounted_ids = np.char.add("row ", np.flatnonzero(skip).astype(np.str_))
        if skip.any():
            notes.append(
                "no order id column: orders that do not count are cited as 'row N' "
                "(their row in the orders table)"
            )
    else:
        uncounted_ids = order_text[skip]
    care: _Care | None = None
    if wants_records:
        kept_orders = np.flatnonzero(keep)
        record_order_ids = (
            np.char.add("row ", kept_orders.astype(np.str_))
            if order_text is None
            else order_text[kept_orders]
        )
        if order_text is None and kept_orders.size:
            notes.append(
                "no order id column: the care records cite orders as 'row N' "
                "(their row in the orders table)"
            )
        care = _Care(
            customers=_Index.of(batch_ids, other_customers),
            orders=None
            if order_text is None
            else _Kept(
                _Index.of(record_order_ids, order_text[id_usable & ~keep]),
                order_row[kept_orders],
                placed[kept_orders],
            ),
            order_rows=kept_orders,
            order_ids=record_order_ids,
        )
        care.read(
            rejections,
            zone,
            notes,
            reviews=(reviews, rcols),
            complaints=(complaints, qcols),
            lines=(order_lines, lcols),
            ids_as_text=ids_as_text,
        )
        if on_error == "raise":
            rejections.raise_first()
    records = (
        None
        if care is None
        else care.records(
            n_customers=batch_ids.shape[0],
            agents=agents[keep_c] if ccols is not None else None,
            marks=marks[keep_c] if ccols is not None else None,
            order_customer=order_row,
            placed=placed,
            counted=counted,
            promised=promised,
            delivered=delivered,
        )
    )
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
        records=records,
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
        **({} if care is None else care.counts()),
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
