"""Files and databases in: CSV, Excel, Parquet and SQL tables to a `CustomerBatch`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from custcare.batch import CustomerBatch
from custcare.errors import ColumnError, CustcareUsageError, DataError
from custcare.frames import LoadReport, batch_from_frames
from custcare.io._config import FileConfig

__all__ = [
    "CSV_SUFFIXES",
    "DATABASE_SUFFIXES",
    "EXCEL_SUFFIXES",
    "Loaded",
    "Source",
    "as_of_moment",
    "check_timezone_name",
    "load_files",
    "read_table",
]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
DATABASE_SUFFIXES = (".sqlite", ".sqlite3", ".db", ".duckdb")

_ID_SLOTS = ("customer_id", "order_id", "id", "review_id")
_TIME_SLOTS = (
    "placed_at",
    "promised_delivery_at",
    "delivered_at",
    "posted_at",
    "seller_replied_at",
    "revised_at",
    "opened_at",
    "promised_by",
    "first_response_at",
    "resolved_at",
    "created_at",
)
_LARGEST_EXACT = 10**15  # Excel keeps 15 significant digits: a 16-digit number lost some


def _pandas() -> Any:
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "custcare.io reads files with pandas: pip install 'custcare[files]'"
        ) from None
    return pd


@dataclass(frozen=True)
class Source:
    """Where a table comes from: a file, or a table of a database (``PATH::TABLE``).

    Attributes:
        path: A file path, or a SQLAlchemy URL (``postgresql://...``).
        table: The table (or view) of a database; None for a file.
    """

    path: str
    table: str | None = None

    @classmethod
    def parse(cls, text: str) -> Source:
        """``orders.csv``, ``shop.sqlite::orders`` or ``postgresql://host/db::orders``.

        Examples:
            >>> Source.parse("shop.sqlite::orders")
            Source(path='shop.sqlite', table='orders')
        """
        path, sep, table = text.rpartition("::")
        if not sep:
            return cls(text)
        if not path or not table:
            raise CustcareUsageError(
                f"{text!r}: write a database table as PATH::TABLE", code="bad_argument"
            )
        return cls(path, table)

    @property
    def name(self) -> str:
        """The file name (and table), for messages; never a URL's password."""
        shown = self.path.rsplit("@", 1)[-1] if "://" in self.path else Path(self.path).name
        return f"{shown}::{self.table}" if self.table else shown

    @property
    def is_url(self) -> bool:
        """Whether the path is a database URL."""
        return "://" in self.path


def check_timezone_name(name: str) -> ZoneInfo:
    """The zone called ``name``, or a `CustcareUsageError` naming it.

    Examples:
        >>> check_timezone_name("Asia/Shanghai").key
        'Asia/Shanghai'
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CustcareUsageError(
            f"unknown time zone {name!r}: give an IANA name such as Asia/Shanghai or UTC",
            code="bad_argument",
        ) from None


def _read_csv(path: Path, stated: str | None, name: str, notes: list[str], **options: Any) -> Any:
    """A CSV in the stated encoding, or told apart between UTF-8 (BOM or not) and GB18030."""
    pd = _pandas()
    tried = [stated] if stated is not None else ["utf-8", "gb18030"]
    for encoding in tried:
        try:
            frame = pd.read_csv(path, encoding=encoding, **options)
        except UnicodeDecodeError as exc:
            if stated is not None:
                raise ColumnError(
                    name,
                    "bad_encoding",
                    f"the file is not {stated} (byte {exc.start:,} of a block cannot be "
                    "read); state the file's encoding: utf-8, utf-8-sig, gbk or gb18030",
                ) from None
            continue
        if (
            encoding == "utf-8"
            and len(frame.columns)
            and str(frame.columns[0]).startswith("\ufeff")
        ):
            return pd.read_csv(path, encoding="utf-8-sig", **options)  # a byte-order mark
        if encoding == "gb18030" and stated is None:
            notes.append(
                f"{name}: read as GB18030 (it is not valid UTF-8; GB18030 includes GBK); "
                "state the encoding (--encoding gb18030) to confirm"
            )
        return frame
    raise ColumnError(
        name,
        "bad_encoding",
        "the file is neither UTF-8 nor GB18030/GBK; save it as UTF-8 or state its encoding",
    )


def read_table(
    source: Source,
    *,
    text_columns: Iterable[str] = (),
    encoding: str | None = None,
    sheet: str | None = None,
    notes: list[str] | None = None,
) -> Any:
    """One table as a pandas DataFrame, with ``text_columns`` kept as text.

    CSV (``.csv``, ``.tsv``, ``.txt``; encoding stated or told apart between UTF-8
    and GB18030), Excel (``.xlsx``, ``.xls``: the first sheet or ``sheet``; read
    with calamine), Parquet, a table of a SQLite file (``.sqlite``, ``.db``:
    ``PATH::TABLE``), of a DuckDB file (``.duckdb``, needs duckdb) or of any
    SQLAlchemy URL (needs sqlalchemy and its driver).

    Raises:
        FileNotFoundError: if the file does not exist.
        CustcareUsageError: for an unknown suffix, a missing table name, an
            option that does not apply, or a missing optional package.
        ColumnError: for an unreadable encoding or an id stored as a number
            that lost digits (rule ``id_stored_as_number``).
    """
    pd = _pandas()
    notes = [] if notes is None else notes
    text = list(dict.fromkeys(text_columns))
    if source.is_url:
        return _sql_url(source, pd)
    path = Path(source.path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {source.name}")
    if encoding is not None and suffix not in CSV_SUFFIXES:
        raise CustcareUsageError(
            f"--encoding applies to CSV files only, not to {source.name}", code="bad_argument"
        )
    if sheet is not None and suffix not in EXCEL_SUFFIXES:
        raise CustcareUsageError(
            f"a sheet applies to Excel files only, not to {source.name}", code="bad_argument"
        )
    if source.table is not None and suffix not in DATABASE_SUFFIXES:
        raise CustcareUsageError(
            f"{source.name}: PATH::TABLE is for database files ({', '.join(DATABASE_SUFFIXES)})",
            code="bad_argument",
        )
    if suffix in CSV_SUFFIXES:
        return _read_csv(
            path,
            encoding,
            source.name,
            notes,
            sep="\t" if suffix == ".tsv" else ",",
            dtype=dict.fromkeys(text, str),
            skipinitialspace=False,
            keep_default_na=False,
            na_values=[""],
        )
    if suffix in EXCEL_SUFFIXES:
        frame = pd.read_excel(
            path, sheet_name=sheet or 0, engine="calamine", dtype=dict.fromkeys(text, object)
        )
        for column in text:
            if column in frame.columns:
                frame[column] = _excel_ids(frame[column], column, notes, source.name)
        return frame
    if suffix in PARQUET_SUFFIXES:
        return pd.read_parquet(path)
    if suffix in DATABASE_SUFFIXES:
        if source.table is None:
            raise CustcareUsageError(
                f"{source.name} is a database: name the table as {source.name}::TABLE",
                code="bad_argument",
            )
        return _sql_file(path, suffix, source.table, pd)
    raise CustcareUsageError(
        f"{source.name}: unknown file type {suffix or '(none)'}; custcare reads "
        f"{', '.join(CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES + DATABASE_SUFFIXES)} "
        "and database URLs",
        code="bad_argument",
    )


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and value != value


def _excel_ids(column: Any, name: str, notes: list[str], where: str) -> Any:
    """Ids of an Excel column as text; numbers that lost digits are refused."""
    values = column.to_numpy(dtype=object)
    numeric = np.array(
        [isinstance(v, int | float) and not isinstance(v, bool) and not _is_nan(v) for v in values]
    )  # an empty cell (NaN) is left to the missing-id rule
    if not numeric.any():
        return column.astype("string").astype(object).where(column.notna(), None)
    numbers = np.array([float(v) if n else 0.0 for v, n in zip(values, numeric, strict=True)])
    lossy = numeric & ((np.abs(numbers) >= _LARGEST_EXACT) | (numbers != np.round(numbers)))
    if lossy.any():
        raise ColumnError(
            name,
            "id_stored_as_number",
            "ids stored as numbers in the Excel file have lost digits (Excel keeps 15); "
            "export the ids as text (a CSV, or the column formatted as Text) and read again",
            rows=np.flatnonzero(lossy).tolist(),
            n_rows=int(lossy.sum()),
        )
    out = [
        None
        if v is None or (isinstance(v, float) and np.isnan(v))
        else (str(int(v)) if n else str(v))
        for v, n in zip(values, numeric, strict=True)
    ]
    notes.append(
        f"{where}: {int(numeric.sum()):,} {name} cells were numbers in Excel, read as text "
        "(leading zeros, if any, were lost in Excel)"
    )
    return out


def _sql_file(path: Path, suffix: str, table: str, pd: Any) -> Any:
    if not table.replace("_", "").isalnum():
        raise CustcareUsageError(
            f"table name {table!r}: letters, digits and underscores only", code="bad_argument"
        )
    if suffix == ".duckdb":
        try:
            import duckdb  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise CustcareUsageError(
                "a .duckdb file needs duckdb: pip install duckdb", code="bad_argument"
            ) from None
        try:
            con: Any = duckdb.connect(str(path), read_only=True)
            try:
                return con.execute(f'SELECT * FROM "{table}"').df()
            finally:
                con.close()
        except duckdb.Error as exc:  # not a DuckDB file, no such table
            raise DataError(
                f"{path.name}::{table}: cannot read the table ({_first_line(exc, None)})"
            ) from None
    import sqlite3

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return pd.read_sql_query(f'SELECT * FROM "{table}"', con)
    except pd.errors.DatabaseError as exc:
        raise CustcareUsageError(
            f"{path.name}::{table}: cannot read the table ({exc.__cause__ or exc})",
            code="bad_argument",
        ) from None
    finally:
        con.close()


def _first_line(exc: BaseException, secret: str | None) -> str:
    """An error's first line, at most 200 characters, with any password blanked."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return text.replace(secret, "***") if secret else text


def _sql_url(source: Source, pd: Any) -> Any:
    if source.table is None:
        raise CustcareUsageError(
            f"{source.name}: name the table as URL::TABLE", code="bad_argument"
        )
    try:
        import sqlalchemy  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise CustcareUsageError(
            "a database URL needs sqlalchemy (and its driver): pip install sqlalchemy",
            code="bad_argument",
        ) from None
    try:
        secret = sqlalchemy.engine.make_url(source.path).password
    except sqlalchemy.exc.ArgumentError:
        raise CustcareUsageError(
            f"{source.name}: not a database URL (dialect+driver://user@host/db::TABLE)",
            code="bad_argument",
        ) from None
    try:
        engine = sqlalchemy.create_engine(source.path)
    except (ImportError, sqlalchemy.exc.NoSuchModuleError) as exc:
        raise CustcareUsageError(
            f"{source.name}: the database driver is not installed "
            f"({_first_line(exc, str(secret) if secret else None)})",
            code="bad_argument",
        ) from None
    try:
        return pd.read_sql_table(source.table, engine)
    except ValueError as exc:  # pandas: no such table
        raise DataError(
            f"{source.name}: cannot read the table ({_first_line(exc, None)})"
        ) from None
    except sqlalchemy.exc.SQLAlchemyError as exc:  # cannot connect, no permission, ...
        detail = _first_line(getattr(exc, "orig", None) or exc, str(secret) if secret else None)
        raise DataError(f"{source.name}: cannot read the database ({detail})") from None
    finally:
        engine.dispose()


def _parse_times(frame: Any, columns: Iterable[str], time_format: str | None, pd: Any) -> None:
    """Text time columns to datetimes, in place; a cell that is not a time is an error."""
    for column in columns:
        if column not in frame.columns:
            continue
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            continue
        if not (
            pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)
        ):
            continue  # numbers stay refused by batch_from_frames (not_a_time)
        text = series.astype("string").str.strip()
        given = series.notna() & (text != "")
        cells = series.where(given, None)
        try:
            parsed = pd.to_datetime(cells, format=time_format or "ISO8601", errors="coerce")
        except (ValueError, TypeError):  # several offsets, or naive beside aware
            # Every time with its own offset (a zone with summer time) names an exact
            # instant: read them as UTC instants. Naive beside aware is ambiguous.
            aware = text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True).fillna(False)
            if not bool(aware[given].all()):
                raise ColumnError(
                    column,
                    "mixed_time_zones",
                    "times with and without a UTC offset; write them all in one way",
                    rows=np.flatnonzero((given & ~aware).to_numpy()).tolist()[:20],
                    n_rows=int((given & ~aware).sum()),
                ) from None
            parsed = pd.to_datetime(
                cells, format=time_format or "ISO8601", errors="coerce", utc=True
            )
        bad = (given & parsed.isna()).to_numpy()
        if bad.any():
            shown = f"format {time_format!r}" if time_format else "ISO 8601 (2026-05-09 14:30)"
            raise ColumnError(
                column,
                "not_a_time",
                f"text that is not a time in {shown}; state the format with time_format "
                "in the config",
                rows=np.flatnonzero(bad).tolist(),
                n_rows=int(bad.sum()),
            )
        frame[column] = parsed


@dataclass(frozen=True)
class Loaded:
    """A batch read from files, with what was read and decided.

    Attributes:
        batch: The customers' columns.
        report: The DataFrame edge's `custcare.frames.LoadReport`.
        notes: What the readers decided (encodings, ids read as text).
        timezone: The zone naive times were read in.
        currency: The currency of the amounts.
    """

    batch: CustomerBatch
    report: LoadReport
    notes: tuple[str, ...] = field(default=())
    timezone: str = "UTC"
    currency: str | None = None

    def describe(self) -> str:
        """The load report and the readers' notes, for people (no cell values)."""
        return "\n".join([str(self.report), *(f"note: {n}" for n in self.notes)])


def _slots(columns: Any, names: tuple[str, ...]) -> list[str]:
    return [v for k, v in columns.model_dump().items() if k in names and v is not None]


def _read(source: Source, mapping: Any, config: FileConfig, pd: Any, notes: list[str]) -> Any:
    frame = read_table(
        source,
        text_columns=_slots(mapping, _ID_SLOTS),
        encoding=config.encoding,
        sheet=config.sheet,
        notes=notes,
    )
    absent = {
        slot: None
        for slot, column in mapping.model_dump().items()
        if column is not None and column not in frame.columns and column in config.optional_columns
    }
    if absent:
        mapping = mapping.model_copy(update=absent)
        notes.append(f"{source.name}: no {', '.join(sorted(absent))} column (optional): not read")
    wanted = [v for v in mapping.model_dump().values() if v is not None]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ColumnError(
            ", ".join(missing),
            "missing_column",
            f"{source.name} has no such column; it has {len(frame.columns)} columns "
            "(check the preset or the config's column names)",
        )
    _parse_times(frame, _slots(mapping, _TIME_SLOTS), config.time_format, pd)
    return frame, mapping


def _no_orders(config: FileConfig, pd: Any) -> Any:
    columns = config.orders
    empty = {
        name: pd.Series([], dtype="datetime64[us]" if slot == "placed_at" else float)
        for slot, name in columns.model_dump().items()
        if name is not None and slot in {"placed_at", "total"}
    }
    empty.update({name: pd.Series([], dtype=object) for name in _slots(columns, _ID_SLOTS)})
    return pd.DataFrame(empty)


def load_files(
    orders: Source | None,
    *,
    config: FileConfig,
    timezone: str,
    reviews: Source | None = None,
    complaints: Source | None = None,
    customers: Source | None = None,
    on_error: str = "raise",
) -> Loaded:
    """Read the orders file (and reviews, complaints, customers) into a batch, by ``config``.

    A customers table (``config.customers``) gives each customer's creation time
    (and owner, tags); every customer of the orders, reviews and complaints must be
    in it. Without one, each customer is created at their first order.

    Without an orders file (``orders=None``, for the complaint queue), the batch
    has no orders and its customers are those of the complaints, each created at
    their first complaint (the notes say so). Ids are read as text; times written
    as text are parsed by ``config.time_format`` (ISO 8601 when None) and naive
    ones read as wall times in ``timezone``.

    Raises:
        CustcareUsageError: for a contradiction between options and config.
        ColumnError: for a missing column or a cell that breaks a rule.
        FileNotFoundError: if a file does not exist.
    """
    pd = _pandas()
    zone = check_timezone_name(timezone).key
    if config.timezone is not None and config.timezone != zone:
        raise CustcareUsageError(
            f"--timezone {zone} contradicts the config's timezone {config.timezone}; "
            "state one zone",
            code="bad_argument",
        )
    if reviews is not None and config.reviews is None:
        raise CustcareUsageError(
            "a reviews file needs a [reviews] column mapping in the config", code="bad_argument"
        )
    if complaints is not None and config.complaints is None:
        raise CustcareUsageError(
            "a complaints file needs a [complaints] column mapping in the config (or "
            "--preset helpdesk)",
            code="bad_argument",
        )
    if customers is not None and config.customers is None:
        raise CustcareUsageError(
            "a customers file needs a [customers] column mapping in the config (id, "
            "created_at), or --preset reviews",
            code="bad_argument",
        )
    if orders is None and (complaints is None or config.complaints is None):
        raise CustcareUsageError(
            "without an orders file, give a complaints file", code="bad_argument"
        )
    notes: list[str] = []
    extra: dict[str, Any] = {}
    if orders is not None:
        orders_frame, order_columns = _read(orders, config.orders, config, pd, notes)
    if reviews is not None and config.reviews is not None:
        extra["reviews"], extra["review_columns"] = _read(
            reviews, config.reviews, config, pd, notes
        )
    if complaints is not None and config.complaints is not None:
        extra["complaints"], extra["complaint_columns"] = _read(
            complaints, config.complaints, config, pd, notes
        )
    if customers is not None and config.customers is not None:
        extra["customers"], extra["customer_columns"] = _read(
            customers, config.customers, config, pd, notes
        )
    if orders is None and config.complaints is not None:
        orders_frame, order_columns = _no_orders(config, pd), config.orders
    if orders is None and config.complaints is not None and customers is None:
        opened = config.complaints.opened_at
        extra["customers"] = (
            extra["complaints"]
            .groupby(config.complaints.customer_id, as_index=False, dropna=False)[opened]
            .min()
        )
        extra["customer_columns"] = {"id": config.complaints.customer_id, "created_at": opened}
        notes.append(
            "no orders file: the customers are those of the complaints, each created at "
            "their first complaint"
        )
    batch, report = batch_from_frames(
        orders=orders_frame,
        columns=order_columns,
        timezone=zone,
        currency=config.currency,
        status_map=dict(config.status_words),
        on_error="report" if on_error == "report" else "raise",
        **extra,
    )
    return Loaded(batch, report, tuple(notes), zone, config.currency)


def as_of_moment(text: str, timezone: str) -> datetime:
    """``--as-of``: a date means the end of that day in ``timezone``; a time is read there.

    Examples:
        >>> as_of_moment("1998-06-30", "UTC").isoformat()
        '1998-06-30T23:59:59+00:00'
        >>> as_of_moment("2026-05-09T12:00+08:00", "UTC").isoformat()
        '2026-05-09T12:00:00+08:00'
    """
    zone = check_timezone_name(timezone)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CustcareUsageError(
            f"--as-of: expected a date (2026-05-09) or a time (2026-05-09T18:00), got "
            f"{text[:32]!r}",
            code="bad_argument",
        ) from None
    if len(text.strip()) == 10:  # a date: the whole day counts
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
