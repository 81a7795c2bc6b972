"""batch_from_frames: pandas, polars and pyarrow tables in, a CustomerBatch and a report out."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import fields as dataclass_fields
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
pytest.importorskip("narwhals")

from custcare import ShopContext, frames  # noqa: E402
from custcare.batch import (  # noqa: E402
    NATURAL_MARKERS,
    CareRecords,
    CustomerBatch,
    from_histories,
    to_epoch_seconds,
)
from custcare.churn import ChurnCauseScorer, ChurnRiskScorer  # noqa: E402
from custcare.complaints import ComplaintPriorityScorer  # noqa: E402
from custcare.datasets import sample_shop  # noqa: E402
from custcare.errors import ColumnError, CustcareUsageError, DataError  # noqa: E402
from custcare.frames import (  # noqa: E402
    CustomerColumns,
    LoadReport,
    OrderColumns,
    Rejection,
    batch_from_frames,
)
from custcare.loyalty import PyramidScorer, RFMScorer, ThresholdTierScorer  # noqa: E402
from custcare.models import (  # noqa: E402
    Complaint,
    Customer,
    CustomerHistory,
    Order,
    OrderLine,
    ProductLaunch,
    StaffDeparture,
)
from custcare.scoring import Pipeline  # noqa: E402
from custcare.testing import strategies  # noqa: E402

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).parent / "data"
DOCS = Path(__file__).parent.parent / "docs"

COLUMNS = {
    "customer_id": "user",
    "order_id": "order_no",
    "placed_at": "paid_time",
    "total": "amount",
    "cost": "cost",
    "units": "qty",
    "discounted": "coupon",
    "status": "state",
}

# wall-clock times in Shanghai
WALL = [
    datetime(2026, 1, 1, 10, 0),
    datetime(2026, 1, 2, 20, 30, 15),
    datetime(2026, 1, 3, 9, 0, 0, 250_000),
    datetime(2026, 2, 1, 0, 0),
    datetime(2026, 2, 14, 23, 59, 59, 999_999),
]


def _orders_dict() -> dict[str, list[Any]]:
    return {
        "user": ["007", "042", "007", "100", "042"],
        "order_no": [
            "240101000000000001",
            "240101000000000002",
            "240101000000000003",
            "240101000000000004",
            "240101000000000005",
        ],
        "paid_time": WALL,
        "amount": [99.0, 25.5, 10.0, 0.0, 7.25],
        "cost": [60.0, None, 4.0, 0.0, 3.0],
        "qty": [2, 1, 1, 1, 3],
        "coupon": [True, False, False, False, True],
        "state": ["交易成功", "completed", "交易关闭", "已退款", "Completed"],
    }


def _expected_seconds() -> list[float]:
    return [to_epoch_seconds(w.replace(tzinfo=SHANGHAI)) for w in WALL]


def _pandas() -> Any:
    return pd.DataFrame(_orders_dict())


def _polars() -> Any:
    return pl.DataFrame(_orders_dict())


def _arrow() -> Any:
    return pa.table(_orders_dict())


def _load(orders: Any, **kwargs: Any) -> tuple[CustomerBatch, LoadReport]:
    args: dict[str, Any] = {"columns": COLUMNS, "timezone": "Asia/Shanghai", "currency": "CNY"}
    args.update(kwargs)
    return batch_from_frames(orders=orders, **args)


FIELDS = [
    "customer_ids",
    "created_at",
    "order_customer",
    "order_time",
    "order_total",
    "order_cost",
    "order_units",
    "order_discounted",
    "order_ids",
    "uncounted_customer",
    "uncounted_time",
    "uncounted_status",
    "uncounted_ids",
]


def _assert_same(a: CustomerBatch, b: CustomerBatch) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype.kind == y.dtype.kind, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert (a.currency, a.timezone) == (b.currency, b.timezone)


# --- the one table, three libraries -------------------------------------------------------


def test_the_small_table_loads_as_expected() -> None:
    batch, report = _load(_pandas())
    assert batch.customer_ids.tolist() == ["007", "042", "100"]  # by first appearance
    assert batch.order_ids.tolist() == [
        "240101000000000001",
        "240101000000000002",
        "240101000000000005",
    ]
    assert batch.order_customer.tolist() == [0, 1, 1]
    assert batch.order_time.tolist() == [_expected_seconds()[i] for i in (0, 1, 4)]
    assert batch.order_total.tolist() == [99.0, 25.5, 7.25]
    assert batch.order_cost[0] == 60.0 and np.isnan(batch.order_cost[1])
    assert batch.order_units.tolist() == [2, 1, 3]
    assert batch.order_discounted.tolist() == [True, False, True]
    assert batch.uncounted_status.tolist() == ["cancelled", "refunded"]
    assert batch.uncounted_ids.tolist() == ["240101000000000003", "240101000000000004"]
    assert batch.uncounted_customer.tolist() == [0, 2]
    assert (batch.currency, batch.timezone) == ("CNY", "Asia/Shanghai")
    assert (report.orders_in, report.orders_counted, report.orders_uncounted) == (5, 3, 2)
    assert report.orders_rejected == 0 and report.rejections() == ()


def test_a_customer_with_only_uncounted_orders_is_a_customer_without_purchases() -> None:
    batch, _ = _load(_pandas().iloc[[3, 0]])
    assert batch.customer_ids.tolist() == ["100", "007"]
    assert batch.uncounted_customer.tolist() == [0]
    assert batch.order_count().tolist() == [0, 1]


@pytest.mark.parametrize("make", [_polars, _arrow], ids=["polars", "pyarrow"])
def test_pandas_polars_and_pyarrow_give_identical_batches(make: Any) -> None:
    _assert_same(_load(_pandas())[0], _load(make())[0])


def test_the_numpy_route_without_pyarrow_gives_the_same_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = _load(_pandas())[0]
    monkeypatch.setattr(frames, "_arrow", lambda: None)
    for make in (_pandas, _polars):
        _assert_same(expected, _load(make())[0])


# --- times --------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_datetime_units_give_identical_times(unit: str) -> None:
    df = _pandas()
    whole = [w.replace(microsecond=0) for w in WALL]
    df["paid_time"] = pd.Series(whole).astype(f"datetime64[{unit}]")
    batch, _ = _load(df)
    expected = [to_epoch_seconds(whole[i].replace(tzinfo=SHANGHAI)) for i in (0, 1, 4)]
    assert batch.order_time.tolist() == expected


def test_aware_times_are_instants_whatever_their_zone() -> None:
    expected = _load(_pandas())[0]
    df = _pandas()
    df["paid_time"] = df["paid_time"].dt.tz_localize("Asia/Shanghai").dt.tz_convert("Europe/Paris")
    _assert_same(expected, _load(df)[0])
    plf = _polars().with_columns(
        pl.col("paid_time").dt.replace_time_zone("Asia/Shanghai").dt.convert_time_zone("UTC")
    )
    _assert_same(expected, _load(plf)[0])
    arrow = _arrow()
    idx = arrow.schema.get_field_index("paid_time")
    instants = [w.replace(tzinfo=SHANGHAI).astimezone(UTC) for w in WALL]
    arrow = arrow.set_column(idx, "paid_time", pa.array(instants, pa.timestamp("us", tz="UTC")))
    _assert_same(expected, _load(arrow)[0])


def test_naive_times_are_read_in_the_stated_zone() -> None:
    batch, report = _load(_pandas(), timezone="UTC")
    assert batch.order_time[0] == to_epoch_seconds(WALL[0].replace(tzinfo=UTC))
    assert batch.timezone == "UTC"
    batch, report = _load(_pandas())
    assert batch.order_time[0] == to_epoch_seconds(datetime(2026, 1, 1, 2, 0, tzinfo=UTC))
    assert any("without a zone: read in Asia/Shanghai" in note for note in report.notes)


def test_dst_gaps_and_folds_are_rejected_not_guessed() -> None:
    df = pd.DataFrame(
        {
            "user": ["a", "a", "a", "a"],
            "t": pd.to_datetime(
                ["2024-03-10 01:59", "2024-03-10 02:30", "2024-11-03 01:30", "2024-11-03 02:00"]
            ),
            "amount": [1.0, 2.0, 3.0, 4.0],
        }
    )
    cols = {"customer_id": "user", "placed_at": "t", "total": "amount"}
    with pytest.raises(ColumnError) as info:
        batch_from_frames(orders=df, columns=cols, timezone="America/New_York", currency="USD")
    assert (info.value.column, info.value.rule, info.value.rows) == ("t", "nonexistent_time", (1,))
    batch, report = batch_from_frames(
        orders=df, columns=cols, timezone="America/New_York", currency="USD", on_error="report"
    )
    assert report.rejections() == (
        Rejection("orders", 1, "t", "nonexistent_time"),
        Rejection("orders", 2, "t", "ambiguous_time"),
    )
    assert batch.order_time.tolist() == [
        to_epoch_seconds(datetime(2024, 3, 10, 6, 59, tzinfo=UTC)),
        to_epoch_seconds(datetime(2024, 11, 3, 7, 0, tzinfo=UTC)),
    ]


ZONES = st.sampled_from(
    ["UTC", "Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe"]
)
WALLS = st.datetimes(datetime(1900, 1, 1), datetime(2100, 12, 31))


@given(ZONES, st.lists(WALLS, min_size=1, max_size=30))
def test_wall_to_utc_agrees_with_zoneinfo(zone_name: str, walls: list[datetime]) -> None:
    zone = ZoneInfo(zone_name)
    # pad with times around this zone's changes in a few years, so gaps and folds occur
    extra = [
        datetime(year, month, day, hour, minute)
        for year in (1990, 2024)
        for month, day in ((3, 10), (3, 31), (4, 7), (10, 6), (10, 27), (11, 3))
        for hour in (0, 1, 2, 3)
        for minute in (0, 30)
    ]
    walls = walls + extra
    epoch = datetime(1970, 1, 1)
    ticks = np.array([(w - epoch) // timedelta(microseconds=1) for w in walls], dtype=np.int64)
    utc, gap, fold, outside = frames._wall_to_utc(ticks, 10**6, zone_name)
    assert not outside.any()
    for i, wall in enumerate(walls):
        instants = set()
        for f in (0, 1):
            moment = wall.replace(tzinfo=zone, fold=f)
            back = moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
            if back == wall:
                instants.add(moment.astimezone(UTC))
        assert gap[i] == (len(instants) == 0), wall
        assert fold[i] == (len(instants) == 2), wall
        if len(instants) == 1:
            expected = (instants.pop() - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
                microseconds=1
            )
            assert utc[i] == expected, wall


def test_dates_are_midnight_in_the_zone() -> None:
    df = pl.DataFrame({"user": ["a"], "day": [datetime(2026, 3, 1).date()], "amount": [1.0]})
    batch, report = batch_from_frames(
        orders=df,
        columns={"customer_id": "user", "placed_at": "day", "total": "amount"},
        timezone="Asia/Shanghai",
        currency="CNY",
    )
    assert batch.order_time.tolist() == [to_epoch_seconds(datetime(2026, 3, 1, tzinfo=SHANGHAI))]
    assert any("dates without a time" in note for note in report.notes)


@pytest.mark.parametrize(
    ("values", "hint"),
    [
        (["2026-01-01 10:00"] * 5, "parse it into datetimes"),
        ([20260101] * 5, "yyyymmdd"),
        ([1.7e9] * 5, "seconds, milliseconds"),
    ],
    ids=["text", "yyyymmdd", "epoch"],
)
def test_time_columns_that_are_not_datetimes_are_refused(values: list[Any], hint: str) -> None:
    df = _pandas()
    df["paid_time"] = values
    with pytest.raises(ColumnError) as info:
        _load(df, on_error="report")  # a column's type is never a row problem
    assert (info.value.column, info.value.rule, info.value.rows) == ("paid_time", "not_a_time", ())
    assert hint in str(info.value)


# --- ids ------------------------------------------------------------------------------------


def test_text_ids_are_kept_exactly() -> None:
    batch, _ = _load(_pandas())
    assert "007" in batch.customer_ids.tolist()
    assert batch.order_ids[0] == "240101000000000001"


def test_integer_ids_are_refused_unless_asked_to_write_them_as_text() -> None:
    df = _pandas()
    df["order_no"] = [240101000000000001 + i for i in range(5)]
    with pytest.raises(ColumnError) as info:
        _load(df)
    assert (info.value.column, info.value.rule) == ("order_no", "not_text")
    assert "ids_as_text=True" in str(info.value)
    batch, _ = _load(df, ids_as_text=True)
    assert batch.order_ids.tolist() == [
        "240101000000000001",
        "240101000000000002",
        "240101000000000005",
    ]
    nullable = _polars().with_columns(pl.Series("user", [7, 42, 7, None, 42]))
    batch, report = _load(nullable, ids_as_text=True, on_error="report")
    assert batch.customer_ids.tolist() == ["7", "42"]
    assert report.rejections() == (Rejection("orders", 3, "user", "missing"),)


def test_float_ids_are_refused_even_as_text() -> None:
    df = _pandas()
    df["user"] = [7.0, 42.0, 7.0, 100.0, 42.0]
    with pytest.raises(ColumnError) as info:
        _load(df, ids_as_text=True)
    assert (info.value.column, info.value.rule) == ("user", "not_text")


# --- money ----------------------------------------------------------------------------------


def test_decimal_money_from_each_library() -> None:
    amounts = [
        Decimal("99.00"),
        Decimal("25.50"),
        Decimal("10.00"),
        Decimal("0.00"),
        Decimal("7.25"),
    ]
    expected = _load(_pandas())[0]
    df = _pandas()
    df["amount"] = pd.Series(amounts, dtype=object)
    _assert_same(expected, _load(df)[0])
    plf = _polars().with_columns(pl.Series("amount", amounts, dtype=pl.Decimal(10, 2)))
    _assert_same(expected, _load(plf)[0])
    arrow = _arrow()
    idx = arrow.schema.get_field_index("amount")
    arrow = arrow.set_column(idx, "amount", pa.array(amounts, pa.decimal128(10, 2)))
    _assert_same(expected, _load(arrow)[0])


def test_decimal_is_converted_to_the_nearest_float() -> None:
    df = _pandas()
    df["amount"] = pd.Series(
        [Decimal("0.1"), Decimal("1E+2"), Decimal(3), Decimal(0), Decimal("2.67")]
    )
    batch, _ = _load(df)
    assert batch.order_total.tolist() == [0.1, 100.0, 2.67]


def test_amounts_the_batch_refuses_are_rejected_row_by_row() -> None:
    df = _pandas()
    df["amount"] = pd.Series(
        [Decimal("0.1"), Decimal("1e-30"), Decimal(3), Decimal(0), Decimal("2.675")]
    )
    with pytest.raises(ColumnError) as info:
        _load(df)
    assert (info.value.column, info.value.rule, info.value.rows) == (
        "amount",
        "sub_minor_unit",
        (1, 4),
    )
    df["amount"] = [1e10, 1.0, 3.0, 0.0, 2.0]
    _, report = _load(df, on_error="report")
    assert [(r.column, r.rule, r.row) for r in report.rejections()] == [
        ("amount", "amount_too_large", 0)
    ]
    # Rows 0 and 1 (both counted) of one customer whose units together pass the limit.
    df["amount"] = [1.0, 1.0, 3.0, 0.0, 2.0]
    df["user"] = ["u1", "u1", "u2", "u2", "u3"]
    df["qty"] = [6 * 10**14, 6 * 10**14, 1, 1, 1]
    _, report = _load(df, on_error="report")
    assert [(r.column, r.rule, r.row) for r in report.rejections()] == [
        ("qty", "customer_total_too_large", 0),
        ("qty", "customer_total_too_large", 1),
    ]


# --- statuses -------------------------------------------------------------------------------


def test_status_words_codes_labels_and_your_own() -> None:
    df = _pandas()
    df["state"] = ["交易成功", "Completed", "已退货", "pending_payment", "完成"]
    with pytest.raises(ColumnError) as info:
        _load(df)
    assert (info.value.column, info.value.rule, info.value.rows) == (
        "state",
        "unknown_status",
        (4,),
    )
    batch, _ = _load(df, status_map={"完成": "completed"})
    assert batch.order_ids.tolist() == [
        "240101000000000001",
        "240101000000000002",
        "240101000000000005",
    ]
    assert batch.uncounted_status.tolist() == ["returned", "pending_payment"]
    with pytest.raises(CustcareUsageError):
        _load(df, status_map={"完成": "done"})


def test_categorical_status_columns_are_read() -> None:
    expected = _load(_pandas())[0]
    df = _pandas()
    df["state"] = df["state"].astype("category")
    _assert_same(expected, _load(df)[0])
    plf = _polars().with_columns(pl.col("state").cast(pl.Categorical))
    _assert_same(expected, _load(plf)[0])


def test_no_status_column_means_every_order_counts() -> None:
    cols = {k: v for k, v in COLUMNS.items() if k != "status"}
    batch, report = _load(_pandas(), columns=cols)
    assert batch.n_orders == 5 and "every order counts" in " ".join(report.notes)


# --- currency -------------------------------------------------------------------------------


def test_currency_from_a_column() -> None:
    df = _pandas()
    df["cur"] = ["CNY"] * 5
    cols = {**COLUMNS, "currency": "cur"}
    assert _load(df, columns=cols, currency=None)[0].currency == "CNY"
    df["cur"] = ["CNY", "USD", "CNY", "EUR", "CNY"]  # row 3 does not count: not read
    with pytest.raises(ColumnError) as info:
        _load(df, columns=cols, currency=None)
    assert (info.value.column, info.value.rule) == ("cur", "mixed_currencies")
    _, report = _load(df, columns=cols, currency="CNY", on_error="report")
    assert report.rejections() == (Rejection("orders", 1, "cur", "other_currency"),)
    df["cur"] = ["cny"] * 5
    with pytest.raises(ColumnError) as info:
        _load(df, columns=cols, currency=None)
    assert (info.value.column, info.value.rule) == ("cur", "currency_code")


def test_currency_is_required_and_checked() -> None:
    with pytest.raises(ColumnError) as info:
        _load(_pandas(), currency=None)
    assert info.value.rule == "currency_required"
    with pytest.raises(ColumnError) as info:
        _load(_pandas(), currency="RMB ")
    assert info.value.rule == "currency_code"


# --- rejections -----------------------------------------------------------------------------

BAD_ORDERS = {
    "user": ["u1", None, "u2", "  ", "u1", "u9", "u2", "u3", "u1", "u1", "u2", "u1"],
    "order_no": ["o1", "o2", "o3", "o4", "o1", "o6", "o7", "o8", "o9", "o10", "o11", "o12"],
    "paid_time": [datetime(2026, 1, d) for d in range(1, 13)],
    "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, -1.0, 8.0, np.inf, 10.0, 11.0, 12.0],
    "qty": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 0.0, 1.0],
    "state": ["completed"] * 11 + ["lost"],
}
BAD_ORDERS["paid_time"][7] = None

EXPECTED = {
    Rejection("orders", 0, "order_no", "duplicate_id"),
    Rejection("orders", 1, "user", "missing"),
    Rejection("orders", 3, "user", "empty_string"),
    Rejection("orders", 4, "order_no", "duplicate_id"),
    Rejection("orders", 5, "user", "unknown_customer"),
    Rejection("orders", 6, "amount", "negative_amount"),
    Rejection("orders", 7, "paid_time", "missing"),
    Rejection("orders", 7, "user", "customer_rejected"),
    Rejection("orders", 8, "amount", "not_finite"),
    Rejection("orders", 9, "qty", "not_an_integer"),
    Rejection("orders", 10, "qty", "greater_than_equal"),
    Rejection("orders", 11, "state", "unknown_status"),
    Rejection("customers", 2, "id", "duplicate_id"),
    Rejection("customers", 3, "id", "duplicate_id"),
    Rejection("customers", 4, "signed_up", "missing"),
}
CUSTOMERS = {
    "id": ["u1", "u2", "u3", "u3", "u5"],
    "signed_up": [datetime(2025, 1, 1)] * 4 + [None],
}
BAD_COLUMNS = {
    "customer_id": "user",
    "order_id": "order_no",
    "placed_at": "paid_time",
    "total": "amount",
    "units": "qty",
    "status": "state",
}


@pytest.mark.parametrize("library", ["pandas", "polars", "pyarrow"])
def test_every_rejection_is_reported_with_its_row_column_and_rule(library: str) -> None:
    make = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.table}[library]
    batch, report = batch_from_frames(
        orders=make(BAD_ORDERS),
        columns=BAD_COLUMNS,
        customers=make(CUSTOMERS),
        customer_columns={"id": "id", "created_at": "signed_up"},
        timezone="Asia/Shanghai",
        currency="CNY",
        on_error="report",
    )
    assert set(report.rejections()) == EXPECTED
    assert report.rejected_rows("orders").tolist() == [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert report.customers_rejected == 3 and report.customers_in == 5
    # nothing silently dropped: each row is in the batch or in the report
    assert report.orders_counted + report.orders_uncounted + report.orders_rejected == 12
    assert batch.order_ids.tolist() == ["o3"]
    assert batch.customer_ids.tolist() == ["u1", "u2"]
    assert (
        batch.created_at.tolist() == [to_epoch_seconds(datetime(2025, 1, 1, tzinfo=SHANGHAI))] * 2
    )
    assert report.counts()[("orders", "order_no", "duplicate_id")] == 2


def test_the_first_rule_broken_raises_by_default() -> None:
    with pytest.raises(ColumnError) as info:
        batch_from_frames(
            orders=pd.DataFrame(BAD_ORDERS),
            columns=BAD_COLUMNS,
            timezone="Asia/Shanghai",
            currency="CNY",
        )
    err = info.value
    assert isinstance(err, DataError)
    assert (err.column, err.rule, err.rows, err.n_rows) == ("user", "missing", (1,), 1)
    assert "on_error='report' lists them all" in str(err)


def test_reports_and_errors_never_show_cell_values() -> None:
    secret = "13812348000"  # a phone number used as customer id
    orders = dict(BAD_ORDERS, user=[secret if u == "u1" else u for u in BAD_ORDERS["user"]])
    _, report = batch_from_frames(
        orders=pd.DataFrame(orders),
        columns=BAD_COLUMNS,
        timezone="Asia/Shanghai",
        currency="CNY",
        on_error="report",
    )
    text = str(report) + repr(report.rejections())
    assert secret not in text and "o1" not in text
    assert "orders.order_no [duplicate_id]: 2 rows (0, 4)" in str(report)


def test_text_where_numbers_or_flags_belong() -> None:
    df = _pandas()
    df["amount"] = pd.Series([99.0, "25.5", 10.0, 0.0, 7.25], dtype=object)
    with pytest.raises(ColumnError) as info:
        _load(df)
    assert (info.value.column, info.value.rule, info.value.rows) == ("amount", "not_a_number", (1,))
    df = _pandas()
    df["coupon"] = ["True", "False", "False", "False", "True"]
    with pytest.raises(ColumnError) as info:
        _load(df, on_error="report")
    assert (info.value.column, info.value.rule) == ("coupon", "not_a_bool")
    df = _pandas()
    df["user"] = pd.Series(["007", 42, "007", "100", "042"], dtype=object)
    with pytest.raises(ColumnError) as info:
        _load(df)
    assert (info.value.column, info.value.rule, info.value.rows) == ("user", "not_text", (1,))


def test_money_of_orders_that_do_not_count_is_not_read() -> None:
    df = _pandas()
    df.loc[2, "amount"] = np.nan  # a cancelled order with no amount
    batch, report = _load(df)
    assert report.orders_rejected == 0 and batch.uncounted_ids.size == 2


def test_missing_columns_and_bad_arguments() -> None:
    with pytest.raises(ColumnError) as info:
        _load(_pandas(), columns={**COLUMNS, "cost": "cogs"})
    assert (info.value.column, info.value.rule) == ("cogs", "missing_column")
    with pytest.raises(ValueError, match="extra"):
        _load(_pandas(), columns={**COLUMNS, "costs": "cost"})  # a misspelt key
    with pytest.raises(CustcareUsageError):
        _load(_pandas(), customers=_pandas())
    with pytest.raises(CustcareUsageError):
        _load(_pandas(), on_error="ignore")
    with pytest.raises(CustcareUsageError):
        _load(pl.DataFrame(_orders_dict()).lazy())
    with pytest.raises(ColumnError) as info:
        _load(_pandas(), timezone="Asia/Beijing")
    assert info.value.rule == "unknown_timezone"


def test_a_typed_mapping_works_too() -> None:
    expected = _load(_pandas())[0]
    _assert_same(expected, _load(_pandas(), columns=OrderColumns(**COLUMNS))[0])


def test_customers_table_gives_created_at_and_keeps_customers_without_orders() -> None:
    customers = pd.DataFrame(
        {
            "id": ["100", "007", "042", "555"],
            "since": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]),
        }
    )
    batch, report = _load(
        _pandas(),
        customers=customers,
        customer_columns=CustomerColumns(id="id", created_at="since"),
    )
    assert batch.customer_ids.tolist() == ["100", "007", "042", "555"]
    assert batch.order_customer.tolist() == [1, 2, 2]
    assert batch.uncounted_customer.tolist() == [1, 0]
    assert batch.created_at[1] == to_epoch_seconds(datetime(2025, 2, 1, tzinfo=SHANGHAI))
    assert report.customers_in == 4 and report.customers_out == 4
    assert not any("first order" in note for note in report.notes)


def test_without_customers_created_at_is_the_first_order() -> None:
    batch, report = _load(_pandas())
    # customer 007: orders at WALL[0] (counted) and WALL[2] (cancelled)
    assert batch.created_at[0] == _expected_seconds()[0]
    assert any("first order" in note for note in report.notes)


def test_without_order_ids_uncounted_orders_are_cited_by_row() -> None:
    cols = {k: v for k, v in COLUMNS.items() if k != "order_id"}
    batch, report = _load(_pandas(), columns=cols)
    assert batch.order_ids is None
    assert batch.uncounted_ids.tolist() == ["row 2", "row 3"]
    assert any("'row N'" in note for note in report.notes)


# --- a generated table: the batch is what from_arrays would build ---------------------------


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "007", "", None]),
            st.sampled_from(["交易成功", "completed", "交易关闭", "refunded", "bogus", None]),
            st.one_of(st.floats(-5, 500), st.just(float("nan"))),
            st.datetimes(datetime(2020, 1, 1), datetime(2026, 12, 31)),
            st.booleans(),
        ),
        max_size=25,
    ),
    st.sampled_from(["UTC", "America/New_York", "Asia/Shanghai"]),
)
def test_generated_tables_give_valid_batches_and_account_for_every_row(
    rows: list[tuple[Any, ...]], zone: str
) -> None:
    df = pd.DataFrame(
        {
            "user": pd.Series([r[0] for r in rows], dtype=object),
            "order_no": pd.Series([f"o{i}" for i in range(len(rows))], dtype="str"),
            "t": pd.Series([r[3] for r in rows], dtype="datetime64[us]"),
            "amount": pd.Series([r[2] for r in rows], dtype="float64"),
            "state": pd.Series([r[1] for r in rows], dtype=object),
            "coupon": pd.Series([r[4] for r in rows], dtype="bool"),
        }
    )
    cols = {
        "customer_id": "user",
        "order_id": "order_no",
        "placed_at": "t",
        "total": "amount",
        "status": "state",
        "discounted": "coupon",
    }
    batch, report = batch_from_frames(
        orders=df, columns=cols, timezone=zone, currency="CNY", on_error="report"
    )
    kept = report.orders_counted + report.orders_uncounted
    assert kept + report.orders_rejected == len(rows)
    rebuilt = CustomerBatch.from_arrays(
        **{f: getattr(batch, f) for f in FIELDS}, currency="CNY", timezone=zone
    )
    _assert_same(batch, rebuilt)
    ids = [f"o{i}" for i in range(len(rows))]
    got = set(batch.order_ids.tolist()) | set(batch.uncounted_ids.tolist())
    rejected = set(report.rejected_rows().tolist())
    assert got == {ids[i] for i in range(len(rows)) if i not in rejected}


def test_factorize_is_exact_when_hashes_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    text = np.array(["b", "a", "b", "c", "a", "d"])
    expected = frames._factorize(text)
    monkeypatch.setattr(frames, "hash_text", lambda t: np.zeros(t.shape[0], np.uint64))
    codes, first = frames._factorize(text)
    assert codes.tolist() == expected[0].tolist() == [0, 1, 0, 2, 1, 3]
    assert first.tolist() == expected[1].tolist() == [0, 1, 3, 5]


@given(st.lists(st.text(alphabet="ab\u00e9 ", max_size=3), max_size=40))
def test_factorize_agrees_with_a_dict(values: list[str]) -> None:
    text = np.array(values, dtype=np.str_)
    held = text.tolist()
    seen: dict[str, int] = {}
    expected = [seen.setdefault(v, len(seen)) for v in held]
    codes, first = frames._factorize(text)
    assert codes.tolist() == expected
    assert [held[i] for i in first.tolist()] == list(seen)


def test_missing_narwhals_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "narwhals.stable.v2", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'custcare[frames]'")):
        _load(_pandas())


# --- CDNOW ----------------------------------------------------------------------------------


def _cdnow() -> Any:
    df = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["customer", "sample_id", "date", "cds", "amount"],
        dtype={"customer": str, "sample_id": str, "date": str},
    )
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df


def test_cdnow_sample_loads_with_every_customer_and_order() -> None:
    df = _cdnow()
    batch, report = batch_from_frames(
        orders=df,
        columns={"customer_id": "customer", "placed_at": "date", "total": "amount", "units": "cds"},
        timezone="America/New_York",
        currency="USD",
    )
    assert (batch.n_customers, batch.n_orders) == (2357, 6919)
    assert report.orders_rejected == 0 and report.orders_counted == 6919
    assert batch.customer_ids[0] == "00004"  # leading zeros kept
    assert batch.order_total.sum() == pytest.approx(df["amount"].sum())
    assert int(batch.order_units.sum()) == int(df["cds"].sum())
    first = to_epoch_seconds(datetime(1997, 1, 1, tzinfo=ZoneInfo("America/New_York")))
    assert batch.created_at[0] == first and batch.order_time.min() == first


# --- the guide ------------------------------------------------------------------------------


def test_the_guide_runs() -> None:
    text = (DOCS / "guides" / "your-own-data.md").read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL))
    assert "batch_from_frames" in code
    exec(compile(code, "your-own-data.md", "exec"), {"__name__": "guide"})


@given(
    st.lists(st.text(alphabet=st.sampled_from("ab 7\u00e9\u4ea4\x00"), max_size=6), max_size=30),
    st.integers(0, 5),
)
def test_arrow_strings_equal_numpy_strings(values: list[str], skip: int) -> None:
    arr = pa.array(values, pa.string()).slice(min(skip, len(values)))
    expected = np.array(arr.to_pylist(), dtype=np.str_)
    got = frames._arrow_strings(arr, pa)
    assert got.dtype.kind == "U"
    assert got.tolist() == expected.tolist()
    chunked = pa.chunked_array([arr, arr], pa.string())
    assert frames._arrow_strings(chunked, pa).tolist() == expected.tolist() * 2


# --- reviews, complaints, order lines: the care records -----------------------------------

SHOP_ZONE = "Asia/Shanghai"
CARE_COLUMNS: dict[str, dict[str, str]] = {
    "columns": {
        "customer_id": "user",
        "order_id": "order_no",
        "placed_at": "placed",
        "total": "total",
        "cost": "cost",
        "units": "units",
        "discounted": "discounted",
        "status": "status",
        "promised_delivery_at": "promised",
        "delivered_at": "delivered",
    },
    "customer_columns": {
        "id": "id",
        "created_at": "created",
        "assigned_agent": "agent",
        "tags": "tags",
    },
    "review_columns": {
        "id": "rid",
        "customer_id": "user",
        "order_id": "order_no",
        "posted_at": "posted",
        "rating": "stars",
        "text": "comment",
        "seller_replied_at": "replied",
        "revised_rating": "new_stars",
        "revised_at": "revised",
        "description_match": "desc",
        "service_attitude": "service",
        "logistics": "logistics",
    },
    "complaint_columns": {
        "id": "qid",
        "customer_id": "user",
        "order_id": "order_no",
        "opened_at": "opened",
        "channel": "via",
        "text": "comment",
        "category": "kind",
        "promised_by": "promised",
        "first_response_at": "answered",
        "resolved_at": "closed",
        "reopened": "reopened",
        "review_id": "rid",
    },
    "line_columns": {"order_id": "order_no", "sku": "sku", "category": "category"},
}


def _moment(value: datetime | None, naive: bool) -> datetime | None:
    """UTC instants, or wall-clock times in the shop's zone without a zone."""
    if value is None:
        return None
    if naive:
        return value.astimezone(ZoneInfo(SHOP_ZONE)).replace(tzinfo=None)
    return value.astimezone(UTC)


def _shop_tables(
    histories: Sequence[CustomerHistory], *, naive: bool = False
) -> dict[str, dict[str, list[Any]]]:
    """The histories as five plain tables (column -> cells), as a shop would export them."""
    t = lambda v: _moment(v, naive)  # noqa: E731
    orders: dict[str, list[Any]] = {k: [] for k in CARE_COLUMNS["columns"].values()}
    customers: dict[str, list[Any]] = {k: [] for k in CARE_COLUMNS["customer_columns"].values()}
    reviews: dict[str, list[Any]] = {k: [] for k in CARE_COLUMNS["review_columns"].values()}
    complaints: dict[str, list[Any]] = {k: [] for k in CARE_COLUMNS["complaint_columns"].values()}
    lines: dict[str, list[Any]] = {k: [] for k in CARE_COLUMNS["line_columns"].values()}
    for h in histories:
        c = h.customer
        for key, value in (
            ("id", c.id),
            ("created", t(c.created_at)),
            ("agent", c.assigned_agent_id),
            ("tags", list(c.tags)),
        ):
            customers[key].append(value)
        for o in h.orders:
            cost = o.cost
            for key, value in (
                ("user", c.id),
                ("order_no", o.id),
                ("placed", t(o.placed_at)),
                ("total", o.total),
                ("cost", None if cost is None else float(cost)),
                ("units", sum(line.quantity for line in o.lines)),
                ("discounted", o.is_discounted),
                ("status", o.status.value),
                ("promised", t(o.promised_delivery_at)),
                ("delivered", t(o.delivered_at)),
            ):
                orders[key].append(value)
            for line in o.lines:
                lines["order_no"].append(o.id)
                lines["sku"].append(line.sku)
                lines["category"].append(line.category)
        for r in h.reviews:
            d = r.detailed
            for key, value in (
                ("rid", r.id),
                ("user", c.id),
                ("order_no", r.order_id),
                ("posted", t(r.posted_at)),
                ("stars", r.rating),
                ("comment", r.text or None),
                ("replied", t(r.seller_replied_at)),
                ("new_stars", r.revised_rating),
                ("revised", t(r.revised_at)),
                ("desc", None if d is None else d.description_match),
                ("service", None if d is None else d.service_attitude),
                ("logistics", None if d is None else d.logistics),
            ):
                reviews[key].append(value)
        for q in h.complaints:
            for key, value in (
                ("qid", q.id),
                ("user", c.id),
                ("order_no", q.order_id),
                ("opened", t(q.opened_at)),
                ("via", q.channel.label_zh),
                ("comment", q.text),
                ("kind", None if q.category is None else q.category.value),
                ("promised", t(q.promised_by)),
                ("answered", t(q.first_response_at)),
                ("closed", t(q.resolved_at)),
                ("reopened", q.reopened),
                ("rid", q.review_id),
            ):
                complaints[key].append(value)
    return {
        "orders": orders,
        "customers": customers,
        "reviews": reviews,
        "complaints": complaints,
        "order_lines": lines,
    }


_TIME_CELLS = {"placed", "promised", "delivered", "created", "posted", "replied", "revised"}
_TIME_CELLS |= {"opened", "answered", "closed"}
_WHOLE_CELLS = {"units", "stars", "reopened"}
_OPTIONAL_WHOLE_CELLS = {"new_stars", "desc", "service", "logistics"}


def _pandas_table(cells: dict[str, list[Any]], naive: bool) -> Any:
    """pandas' usual types: optional ratings as floats with NaN, Decimal money as objects."""

    def kind(name: str) -> str:
        if name in _TIME_CELLS:
            return "datetime64[us]" if naive else "datetime64[us, UTC]"
        if name in _WHOLE_CELLS:
            return "int64"
        if name in _OPTIONAL_WHOLE_CELLS or name == "cost":
            return "float64"
        if name in ("total", "tags"):
            return "object"
        return "bool" if name == "discounted" else "str"

    return pd.DataFrame({k: pd.Series(v, dtype=kind(k)) for k, v in cells.items()})


def _polars_table(cells: dict[str, list[Any]], naive: bool) -> Any:
    """polars' types: nullable integers, float money, lists of tags."""

    def kind(name: str) -> Any:
        if name in _TIME_CELLS:
            return pl.Datetime("us", None if naive else "UTC")
        if name in _WHOLE_CELLS | _OPTIONAL_WHOLE_CELLS:
            return pl.Int64
        if name in ("total", "cost"):
            return pl.Float64
        if name == "tags":
            return pl.List(pl.String)
        return pl.Boolean if name == "discounted" else pl.String

    data = {k: [float(x) for x in v] if k == "total" else v for k, v in cells.items()}
    return pl.DataFrame(data, schema={k: kind(k) for k in cells})


def _frames_batch(
    histories: Sequence[CustomerHistory], library: str = "pandas", *, naive: bool = False
) -> tuple[CustomerBatch, LoadReport]:
    tables = _shop_tables(histories, naive=naive)
    make = _pandas_table if library == "pandas" else _polars_table
    return batch_from_frames(
        orders=make(tables["orders"], naive),
        customers=make(tables["customers"], naive),
        reviews=make(tables["reviews"], naive),
        complaints=make(tables["complaints"], naive),
        order_lines=make(tables["order_lines"], naive),
        timezone=SHOP_ZONE,
        currency="CNY",
        **CARE_COLUMNS,
    )


def _plain_records(records: CareRecords | None) -> dict[str, Any]:
    """The records as Python values, each table in id order (row order carries no meaning)."""
    assert records is not None
    out: dict[str, Any] = {
        "n_customers": records.n_customers,
        "assigned_agent": records.assigned_agent.tolist(),
        "natural_markers": records.natural_markers.tolist(),
    }
    for prefix in ("review", "complaint", "order"):
        order = np.argsort(getattr(records, f"{prefix}_ids"), kind="stable")
        for f in dataclass_fields(records):
            if f.name.startswith(f"{prefix}_"):
                values = getattr(records, f.name)[order].tolist()
                out[f.name] = [str(v) if isinstance(v, (float, list)) else v for v in values]
    out["lines"] = sorted(
        zip(
            records.order_ids[records.line_order].tolist(),
            records.line_sku.tolist(),
            records.line_category.tolist(),
            strict=True,
        )
    )
    return out


SAMPLE = sample_shop()
SAMPLE_CONTEXT = ShopContext(
    staff_departures=(
        StaffDeparture(agent_id="agent-lin", left_at=SAMPLE.as_of - timedelta(days=100)),
    ),
    product_launches=(
        ProductLaunch(sku="N1", category="tea", launched_at=SAMPLE.as_of - timedelta(days=30)),
    ),
)


def _six_scorers(churn_method: str = "bgnbd") -> list[Any]:
    return [
        ThresholdTierScorer(),
        RFMScorer(),
        ChurnRiskScorer(method=churn_method),
        PyramidScorer(future_weight=0.4),
        ChurnCauseScorer(context=SAMPLE_CONTEXT),
        ComplaintPriorityScorer(),
    ]


def _assert_same_table(a: Any, b: Any) -> None:
    x, y = a.to_dict(), b.to_dict()
    assert list(x) == list(y)
    for name in x:
        if x[name].dtype == object:
            assert x[name].tolist() == y[name].tolist(), name
        else:
            np.testing.assert_array_equal(x[name], y[name], err_msg=name)


@pytest.mark.parametrize(("library", "naive"), [("pandas", False), ("polars", True)])
def test_the_sample_shop_from_frames_holds_the_records_of_its_histories(
    library: str, naive: bool
) -> None:
    batch, report = _frames_batch(SAMPLE.histories, library, naive=naive)
    assert report.rejections() == ()
    expected = from_histories(SAMPLE.histories, timezone=SHOP_ZONE)
    _assert_same(batch, expected)
    assert _plain_records(batch.records) == _plain_records(expected.records)
    n_reviews = sum(len(h.reviews) for h in SAMPLE.histories)
    n_complaints = sum(len(h.complaints) for h in SAMPLE.histories)
    assert (report.reviews_in, report.reviews_out) == (n_reviews, n_reviews)
    assert (report.complaints_in, report.complaints_out) == (n_complaints, n_complaints)
    lines = sum(len(o.lines) for h in SAMPLE.histories for o in h.orders)
    purchase_lines = sum(len(o.lines) for h in SAMPLE.histories for o in h.purchases)
    assert (report.lines_in, report.lines_out) == (lines, purchase_lines)
    assert report.lines_uncounted == lines - purchase_lines > 0
    assert f"reviews: {n_reviews} rows in; {n_reviews} kept, 0 rejected" in str(report)


def test_the_sample_shop_scores_the_same_from_frames_and_from_histories() -> None:
    """All six built-in scorers, reasons and evidence included: one table either way."""
    as_of = SAMPLE.as_of
    histories = list(SAMPLE.histories)
    by_histories = Pipeline(_six_scorers(), timezone=SHOP_ZONE).fit(histories, as_of=as_of)
    expected = by_histories.run(histories, as_of=as_of)
    batch, _ = _frames_batch(SAMPLE.histories)
    by_frames = Pipeline(_six_scorers()).fit(batch, as_of=as_of)
    got = by_frames.run(batch, as_of=as_of)
    assert got.scorers == expected.scorers and len(got.scorers) == 6
    _assert_same_table(expected, got)
    # the records were read: no scorer says it has none, and causes cite them
    cols = got.to_dict()
    codes = [c for row in cols["churn.cause.reason_codes"].tolist() for c in row]
    assert not any("no_records" in c for c in codes)
    assert any("review" in c for c in codes) and any("late_delivery" in c for c in codes)
    assert any("staff_departure" in c for c in codes)
    assert any("moved_or_deceased" in c for c in codes)
    for i, h in enumerate(histories[:5]):
        assert got.explain(h.customer.id) == expected.explain(h.customer.id), i


def test_a_complaint_naming_no_review_or_order_reads_when_those_tables_are_empty() -> None:
    # Found by the generated-shops test: unnamed links were looked up in empty tables.
    t0 = datetime(2023, 1, 2, tzinfo=UTC)
    population = [
        CustomerHistory(
            customer=Customer(id="c0", created_at=t0 - timedelta(days=9)),
            orders=[
                Order(
                    id="o0",
                    customer_id="c0",
                    placed_at=t0,
                    currency="CNY",
                    status="pending_payment",
                    lines=[OrderLine(sku="A1", quantity=1, unit_price=Decimal("1"))],
                )
            ],
        ),
        CustomerHistory(
            customer=Customer(id="c1", created_at=t0 - timedelta(days=9)),
            complaints=[Complaint(id="q0", customer_id="c1", opened_at=t0, channel="phone")],
        ),
    ]
    batch, report = _frames_batch(population, "pandas")
    assert report.rejections() == ()
    expected = from_histories(population, timezone=SHOP_ZONE)
    assert _plain_records(batch.records) == _plain_records(expected.records)


@settings(max_examples=20, deadline=None)
@given(population=strategies.shops(min_customers=2, max_customers=6), days=st.integers(0, 900))
def test_generated_shops_score_the_same_from_frames_and_from_histories(
    population: list[CustomerHistory], days: int
) -> None:
    as_of = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=days)
    assume(any(o.placed_at <= as_of for h in population for o in h.purchases))
    batch, report = _frames_batch(population, "polars" if days % 2 else "pandas")
    assert report.rejections() == ()
    expected_batch = from_histories(population, timezone=SHOP_ZONE)
    assert _plain_records(batch.records) == _plain_records(expected_batch.records)
    expected = (
        Pipeline(_six_scorers("gap"), timezone=SHOP_ZONE)
        .fit(population, as_of=as_of)
        .run(population, as_of=as_of)
    )
    got = Pipeline(_six_scorers("gap")).fit(batch, as_of=as_of).run(batch, as_of=as_of)
    _assert_same_table(expected, got)


# --- every rule of the record tables, with pandas and polars ------------------------------

_D = datetime(2026, 1, 1, 10)
_NAT = None


def _day(k: float) -> datetime:
    return _D + timedelta(days=k)


RULE_TABLES: dict[str, dict[str, tuple[str, list[Any]]]] = {
    "customers": {
        "id": ("str", ["u1", "u2", "u3"]),
        "created": ("datetime64[us]", [datetime(2025, 1, 1), datetime(2025, 1, 1), None]),
    },
    "orders": {
        "user": ("str", ["u1", "u2", "u1", "u1", "u2", "u1"]),
        "order_no": ("str", ["o1", "o2", "o3", "o4", "o5", "o6"]),
        "placed": ("datetime64[us]", [_day(k) for k in range(6)]),
        "amount": ("float64", [10.0, 20.0, 5.0, -1.0, 7.0, 8.0]),
        "state": ("str", ["completed", "completed", "cancelled"] + ["completed"] * 3),
        "promised": ("datetime64[us]", [None, None, None, None, _day(3), None]),
        "delivered": ("datetime64[us]", [_day(2), None, None, None, None, _day(4)]),
    },
    "reviews": {
        "rid": (
            "str",
            [*(f"r{k}" for k in range(10)), "rd", "rd", "o1", None, "r14", "r15", "r16", "r17"],
        ),
        "user": ("str", ["u1", "u1", "u9", "u3", "u1"] + ["u1"] * 11 + ["u2", "u1"]),
        "order_no": (
            "str",
            ["o1", "o1", None, None, "o2", "o9", "o4", "o1"] + [None] * 8 + ["o2", None],
        ),
        "posted": ("datetime64[us]", [_day(10)] * 7 + [_day(-1)] + [_day(10)] * 9 + [None]),
        "stars": ("float64", [5, 6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 2.5, 5, 1, 5]),
        "new_stars": ("float64", [None] * 8 + [3.0] + [None] * 9),
        "revised": ("datetime64[us]", [None] * 18),
        "replied": ("datetime64[us]", [None] * 9 + [_day(9)] + [None] * 8),
        "desc": ("float64", [5.0] + [None] * 14 + [0.0, None, None]),
        "comment": ("str", ["好", None] + ["ok"] * 16),
    },
    "complaints": {
        "qid": ("str", ["q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "r0", "q9", "q10"]),
        "user": ("str", ["u1"] * 11),
        "opened": ("datetime64[us]", [_day(11)] * 9 + [_day(-1), _day(11)]),
        "via": ("str", ["电话", "fax"] + ["chat"] * 8 + [None]),
        "kind": ("str", [None, None, "weather"] + [None] * 8),
        "answered": ("datetime64[us]", [None] * 3 + [_day(10)] + [None] * 7),
        "reopened": ("int64", [0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0]),
        "rid": ("str", ["r0"] + [None] * 4 + ["rX", "r1", "r16", None, None, None]),
        "order_no": ("str", ["o1"] + [None] * 8 + ["o1", None]),
    },
    "order_lines": {
        "order_no": ("str", ["o1", "o9", "o4", "o1", "o3"]),
        "sku": ("str", ["A", "B", "C", " ", "D"]),
        "category": ("str", ["tea", None, None, None, "tea"]),
    },
}
RULE_COLUMNS: dict[str, Any] = {
    "columns": {
        "customer_id": "user",
        "order_id": "order_no",
        "placed_at": "placed",
        "total": "amount",
        "status": "state",
        "promised_delivery_at": "promised",
        "delivered_at": "delivered",
    },
    "customer_columns": {"id": "id", "created_at": "created"},
    "review_columns": {
        "id": "rid",
        "customer_id": "user",
        "order_id": "order_no",
        "posted_at": "posted",
        "rating": "stars",
        "revised_rating": "new_stars",
        "revised_at": "revised",
        "seller_replied_at": "replied",
        "description_match": "desc",
        "text": "comment",
    },
    "complaint_columns": {
        "id": "qid",
        "customer_id": "user",
        "opened_at": "opened",
        "channel": "via",
        "category": "kind",
        "first_response_at": "answered",
        "reopened": "reopened",
        "review_id": "rid",
        "order_id": "order_no",
    },
    "line_columns": {"order_id": "order_no", "sku": "sku", "category": "category"},
}
RULES_BROKEN = {
    Rejection("customers", 2, "created", "missing"),
    Rejection("orders", 3, "amount", "negative_amount"),
    Rejection("orders", 4, "promised", "before_placed"),
    Rejection("orders", 5, "delivered", "before_placed"),
    Rejection("reviews", 1, "stars", "less_than_equal"),
    Rejection("reviews", 2, "user", "unknown_customer"),
    Rejection("reviews", 3, "user", "customer_rejected"),
    Rejection("reviews", 4, "order_no", "order_of_other_customer"),
    Rejection("reviews", 5, "order_no", "unknown_order"),
    Rejection("reviews", 6, "order_no", "order_rejected"),
    Rejection("reviews", 7, "posted", "before_order"),
    Rejection("reviews", 8, "new_stars", "revision_incomplete"),
    Rejection("reviews", 9, "replied", "before_posted"),
    Rejection("reviews", 10, "rid", "duplicate_id"),
    Rejection("reviews", 11, "rid", "duplicate_id"),
    Rejection("reviews", 12, "rid", "duplicate_id"),  # an order's id
    Rejection("reviews", 13, "rid", "missing"),
    Rejection("reviews", 14, "stars", "not_an_integer"),
    Rejection("reviews", 15, "desc", "greater_than_equal"),
    Rejection("reviews", 17, "posted", "missing"),
    Rejection("complaints", 1, "via", "unknown_channel"),
    Rejection("complaints", 2, "kind", "unknown_category"),
    Rejection("complaints", 3, "answered", "before_opened"),
    Rejection("complaints", 4, "reopened", "greater_than_equal"),
    Rejection("complaints", 5, "rid", "unknown_review"),
    Rejection("complaints", 6, "rid", "review_rejected"),
    Rejection("complaints", 7, "rid", "review_of_other_customer"),
    Rejection("complaints", 8, "qid", "duplicate_id"),  # a review's id
    Rejection("complaints", 9, "opened", "before_order"),
    Rejection("complaints", 10, "via", "missing"),
    Rejection("order_lines", 1, "order_no", "unknown_order"),
    Rejection("order_lines", 2, "order_no", "order_rejected"),
    Rejection("order_lines", 3, "sku", "empty_string"),
}


def _rule_frames(library: str) -> dict[str, Any]:
    out = {}
    for name, cells in RULE_TABLES.items():
        df = pd.DataFrame({k: pd.Series(v, dtype=kind) for k, (kind, v) in cells.items()})
        out[name] = df if library == "pandas" else pl.from_pandas(df)
    return out


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_every_record_rule_rejects_its_row_with_the_column_and_rule(library: str) -> None:
    tables = _rule_frames(library)
    before = {
        name: frame.copy() if library == "pandas" else frame.clone()
        for name, frame in tables.items()
    }
    batch, report = batch_from_frames(
        **tables, **RULE_COLUMNS, timezone="Asia/Shanghai", currency="CNY", on_error="report"
    )
    assert set(report.rejections()) == RULES_BROKEN
    # nothing silently dropped: each row is in the records or in the report
    records = batch.records
    assert records is not None
    assert sorted(records.review_ids.tolist()) == ["r0", "r16"]
    assert records.complaint_ids.tolist() == ["q0"]
    assert records.complaint_review_id.tolist() == ["r0"]
    assert records.complaint_order_id.tolist() == ["o1"]
    assert (report.reviews_in, report.reviews_out, len(report.rejected_rows("reviews"))) == (
        18,
        2,
        16,
    )
    assert (report.lines_in, report.lines_out, report.lines_uncounted) == (5, 1, 1)
    assert records.line_sku.tolist() == ["A"] and records.line_category.tolist() == ["tea"]
    assert sorted(records.order_ids.tolist()) == ["o1", "o2", "o3"]
    assert records.order_counted[records.order_ids == "o3"].tolist() == [False]
    assert np.isnan(records.review_revised_at).all()
    assert records.review_text[records.review_ids == "r0"].tolist() == ["好"]
    assert "order_lines: 5 rows in; 1 kept, 1 of orders that do not count, 3 rejected" in str(
        report
    )
    # the inputs are not changed
    for name, frame in tables.items():
        assert frame.equals(before[name]), name


def test_the_first_record_rule_broken_raises_by_default_naming_the_table() -> None:
    tables = _rule_frames("pandas")
    clean = {
        "customers": tables["customers"].iloc[:2],
        "orders": tables["orders"].iloc[:3],
        "reviews": tables["reviews"].iloc[[0, 1, 16]],
    }
    with pytest.raises(ColumnError) as info:
        batch_from_frames(
            **clean,
            columns=RULE_COLUMNS["columns"],
            customer_columns=RULE_COLUMNS["customer_columns"],
            review_columns=RULE_COLUMNS["review_columns"],
            timezone="Asia/Shanghai",
            currency="CNY",
        )
    err = info.value
    assert (err.column, err.rule, err.rows) == ("stars", "less_than_equal", (1,))
    assert "reviews table" in str(err)


def test_record_reports_and_errors_never_show_cell_values() -> None:
    tables = _rule_frames("pandas")
    secret = "我的电话是13812348000"
    tables["reviews"] = tables["reviews"].assign(comment=secret)
    _, report = batch_from_frames(
        **tables, **RULE_COLUMNS, timezone="Asia/Shanghai", currency="CNY", on_error="report"
    )
    text = str(report) + repr(report.rejections())
    assert secret not in text and "13812348000" not in text
    assert "r16" not in text and "o4" not in text and "fax" not in text


def test_without_care_tables_there_are_no_records_and_with_one_the_others_are_empty() -> None:
    tables = _rule_frames("pandas")
    orders = tables["orders"].iloc[:3]
    plain = {k: v for k, v in RULE_COLUMNS["columns"].items() if "deliver" not in k}
    batch, report = batch_from_frames(
        orders=orders, columns=plain, timezone="Asia/Shanghai", currency="CNY"
    )
    assert batch.records is None and report.reviews_in is None and report.lines_in is None
    assert "reviews:" not in str(report)
    qcols = {k: v for k, v in RULE_COLUMNS["complaint_columns"].items() if k != "review_id"}
    batch, report = batch_from_frames(
        orders=orders,
        columns=plain,
        complaints=tables["complaints"].iloc[[0]],
        complaint_columns=qcols,
        timezone="Asia/Shanghai",
        currency="CNY",
    )
    records = batch.records
    assert records is not None
    assert (records.review_ids.size, records.complaint_ids.size, records.line_sku.size) == (0, 1, 0)
    assert records.complaint_public.tolist() == [False]  # 电话: a phone call
    assert np.isnan(records.order_delivered).all()  # no delivery column: unknown
    assert "note: no reviews table: the care records hold no reviews" in str(report)
    assert report.complaints_in == report.complaints_out == 1
    # delivery times alone are care records too
    batch, _ = batch_from_frames(
        orders=orders, columns=RULE_COLUMNS["columns"], timezone="Asia/Shanghai", currency="CNY"
    )
    assert batch.records is not None and batch.records.order_delivered_late.size == 3


def test_record_tables_from_pyarrow_give_the_same_records() -> None:
    histories = SAMPLE.histories[:12]
    expected = _frames_batch(histories)[0].records
    tables = _shop_tables(histories)
    arrow = {name: pa.Table.from_pandas(_pandas_table(t, False)) for name, t in tables.items()}
    batch, _ = batch_from_frames(**arrow, timezone=SHOP_ZONE, currency="CNY", **CARE_COLUMNS)
    assert _plain_records(batch.records) == _plain_records(expected)


def test_tags_are_lists_or_one_tag_per_cell_matched_without_case() -> None:
    orders = _rule_frames("pandas")["orders"].iloc[:2]
    cols = {k: v for k, v in RULE_COLUMNS["columns"].items() if "deliver" not in k}
    customers = pd.DataFrame(
        {
            "id": ["u1", "u2"],
            "created": pd.Series([datetime(2025, 1, 1)] * 2, dtype="datetime64[us]"),
            "tag": ["MOVED", None],
            "agent": [None, "agent-lin"],
        }
    )
    ccols = {"id": "id", "created_at": "created", "tags": "tag", "assigned_agent": "agent"}
    batch, _ = batch_from_frames(
        orders=orders,
        columns=cols,
        customers=customers,
        customer_columns=ccols,
        timezone="UTC",
        currency="CNY",
    )
    records = batch.records
    assert records is not None
    moved = NATURAL_MARKERS.index("moved")
    assert records.natural_markers[:, moved].tolist() == [True, False]
    assert records.natural_markers.sum() == 1
    assert records.assigned_agent.tolist() == ["", "agent-lin"]
    customers["tag"] = pd.Series([["vip", "已故"], ["vip", 7]], dtype=object)
    batch, report = batch_from_frames(
        orders=orders,
        columns=cols,
        customers=customers,
        customer_columns=ccols,
        timezone="UTC",
        currency="CNY",
        on_error="report",
    )
    assert report.rejections() == (
        Rejection("customers", 1, "tag", "not_text"),
        Rejection("orders", 1, "user", "customer_rejected"),
    )
    assert batch.records is not None
    assert batch.records.natural_markers[0, NATURAL_MARKERS.index("已故")]


def test_record_columns_and_arguments_that_do_not_fit() -> None:
    tables = _rule_frames("pandas")
    orders = tables["orders"].iloc[:3]
    cols = RULE_COLUMNS["columns"]
    rcols = RULE_COLUMNS["review_columns"]
    base: dict[str, Any] = {"timezone": "UTC", "currency": "CNY"}
    with pytest.raises(CustcareUsageError, match="reviews and review_columns go together"):
        batch_from_frames(orders=orders, columns=cols, reviews=tables["reviews"], **base)
    without_ids = {k: v for k, v in cols.items() if k != "order_id"}
    with pytest.raises(CustcareUsageError, match="no order id column"):
        batch_from_frames(
            orders=orders,
            columns=without_ids,
            reviews=tables["reviews"],
            review_columns=rcols,
            **base,
        )
    with pytest.raises(CustcareUsageError, match="pass the reviews table too"):
        batch_from_frames(
            orders=orders,
            columns=cols,
            complaints=tables["complaints"],
            complaint_columns=RULE_COLUMNS["complaint_columns"],
            **base,
        )
    with pytest.raises(ValueError, match="extra"):  # a misspelt field is refused
        batch_from_frames(
            orders=orders,
            columns=cols,
            reviews=tables["reviews"],
            review_columns={**rcols, "stars": "stars"},
            **base,
        )
    with pytest.raises(ColumnError) as info:
        batch_from_frames(
            orders=orders,
            columns=cols,
            reviews=tables["reviews"].assign(stars="5"),
            review_columns=rcols,
            **base,
        )
    assert (info.value.column, info.value.rule) == ("stars", "not_an_integer")
    assert "reviews table" in str(info.value)
    with pytest.raises(ColumnError) as info:
        batch_from_frames(
            orders=orders,
            columns=cols,
            reviews=tables["reviews"].drop(columns="posted"),
            review_columns=rcols,
            **base,
        )
    assert (info.value.column, info.value.rule) == ("posted", "missing_column")
    assert "reviews table" in str(info.value)


@pytest.mark.parametrize("unit", ["s", "ms", "ns"])
def test_record_times_of_any_unit_and_zone_give_the_same_records(unit: str) -> None:
    histories = SAMPLE.histories[:15]
    expected = _frames_batch(histories)[0].records
    tables = {name: _pandas_table(t, False) for name, t in _shop_tables(histories).items()}
    reviews, complaints = tables["reviews"], tables["complaints"]
    for frame in (reviews, complaints):
        for name in frame.columns:
            if name in _TIME_CELLS:  # whole seconds in the sample shop: no unit loses any
                frame[name] = (
                    frame[name]
                    .dt.tz_convert("Europe/Paris")
                    .astype(f"datetime64[{unit}, Europe/Paris]")
                )
    batch, _ = batch_from_frames(**tables, timezone=SHOP_ZONE, currency="CNY", **CARE_COLUMNS)
    assert _plain_records(batch.records) == _plain_records(expected)
