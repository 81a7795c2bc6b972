"""CustomerBatch.from_arrays reads every column exactly or refuses it (ColumnError).

One test per bad-column case: each asserts the error type, the column, the rule slug
and the offending rows. Then properties: valid columns round-trip, inputs are never
changed, datetime64 in any unit gives the same epoch seconds.
"""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custcare.batch import CustomerBatch, to_epoch_seconds
from custcare.batch import _columns as columns
from custcare.errors import ColumnError, DataError

UTC = timezone.utc


def _valid(**overrides: Any) -> dict[str, Any]:
    """Three customers, four counted orders, two uncounted; every column valid."""
    cols: dict[str, Any] = {
        "customer_ids": np.array(["u1", "u2", "u3"]),
        "created_at": np.array([0.0, 10.0, 20.0]),
        "order_customer": np.array([0, 0, 1, 2]),
        "order_time": np.array([100.0, 200.0, 300.0, 400.0]),
        "order_total": np.array([10.0, 0.0, 3.5, 7.25]),
        "order_cost": np.array([5.0, np.nan, 1.0, 2.0]),
        "order_units": np.array([1, 2, 3, 1]),
        "order_discounted": np.array([False, True, False, False]),
        "currency": "CNY",
        "order_ids": np.array(["o1", "o2", "o3", "o4"]),
        "timezone": "Asia/Shanghai",
        "uncounted_customer": np.array([1, 2]),
        "uncounted_time": np.array([150.0, 250.0]),
        "uncounted_status": np.array(["cancelled", "refunded"]),
        "uncounted_ids": np.array(["o5", "o6"]),
    }
    cols.update(overrides)
    return cols


def _refused(**overrides: Any) -> ColumnError:
    with pytest.raises(ColumnError) as info:
        CustomerBatch.from_arrays(**_valid(**overrides))
    err = info.value
    assert isinstance(err, DataError)
    assert err.column in str(err) and f"[rule={err.rule}]" in str(err)
    return err


def _assert(err: ColumnError, column: str, rule: str, rows: tuple[int, ...]) -> None:
    assert (err.column, err.rule, err.rows) == (column, rule, rows)
    assert err.n_rows == len(rows)
    if rows:
        assert f"row {', '.join(map(str, rows))} (" in str(err)


def test_the_valid_fixture_is_accepted() -> None:
    b = CustomerBatch.from_arrays(**_valid())
    assert (b.n_customers, b.n_orders, b.uncounted_ids.tolist()) == (3, 4, ["o5", "o6"])


# --- times ------------------------------------------------------------------------------------


def test_nat_is_not_a_time() -> None:
    t = np.array([100, 200, 300, 400], dtype="datetime64[s]")
    t[[1, 3]] = np.datetime64("NaT")
    err = _refused(order_time=t)
    _assert(err, "order_time", "not_a_time", (1, 3))
    assert "NaT" in str(err)


def test_the_error_message_has_the_documented_shape() -> None:
    t = np.array(np.arange(10), dtype="datetime64[s]")
    t[[3, 7]] = np.datetime64("NaT")
    with pytest.raises(ColumnError) as info:
        columns._times("order_time", t, None)
    assert str(info.value) == (
        "order_time: row 3, 7 (2 rows): datetime64 NaT is not a time [rule=not_a_time]"
    )


@pytest.mark.parametrize(
    "bad",
    [
        np.array(["2026-01-01", "2026-01-02", "2026-01-03"]),  # text: parse it first
        np.array([datetime(2026, 1, 1, tzinfo=UTC)] * 3, dtype=object),
        np.array([True, False, True]),
        np.array([1, 2, 3], dtype="timedelta64[s]"),
        np.array([1 + 0j, 2, 3]),
    ],
    ids=["str", "object", "bool", "timedelta", "complex"],
)
def test_times_of_the_wrong_kind_are_refused(bad: Any) -> None:
    _assert(_refused(created_at=bad), "created_at", "not_a_time", ())


def test_nan_time_is_not_a_time() -> None:
    _assert(_refused(created_at=np.array([0.0, np.nan, 1.0])), "created_at", "not_a_time", (1,))


def test_infinite_time_is_refused() -> None:
    t = np.array([100.0, 200.0, np.inf, -np.inf])
    _assert(_refused(order_time=t), "order_time", "not_finite", (2, 3))


def test_time_beyond_year_9999_is_refused() -> None:
    t = np.array([100.0, 1e12, 300.0, 400.0])
    _assert(_refused(order_time=t), "order_time", "out_of_range", (1,))
    days = np.array([0, 10**15, 0, 0], dtype="datetime64[D]")  # overflows microseconds
    _assert(_refused(order_time=days), "order_time", "out_of_range", (1,))


def test_uncounted_time_as_text_is_refused() -> None:
    err = _refused(uncounted_time=np.array(["150", "250"]))
    _assert(err, "uncounted_time", "not_a_time", ())


# --- customer rows ----------------------------------------------------------------------------


def test_fractional_row_is_refused_not_truncated() -> None:
    err = _refused(order_customer=np.array([0.0, 0.7, 1.0, 2.0]))
    _assert(err, "order_customer", "not_an_integer", (1,))
    assert "fractional/float row numbers" in str(err)


def test_whole_float_rows_are_refused_too() -> None:
    err = _refused(order_customer=np.array([0.0, 0.0, 1.0, 2.0]))
    _assert(err, "order_customer", "not_an_integer", ())
    assert "fractional/float row numbers" in str(err)


@pytest.mark.parametrize(
    "bad",
    [np.array([True, False, True, False]), np.array(["0", "0", "1", "2"])],
    ids=["bool", "str"],
)
def test_rows_that_are_not_integers_are_refused(bad: Any) -> None:
    _assert(_refused(order_customer=bad), "order_customer", "not_an_integer", ())


def test_rows_out_of_range_are_refused() -> None:
    err = _refused(order_customer=np.array([0, -1, 3, 2]))
    _assert(err, "order_customer", "row_out_of_range", (1, 2))
    err = _refused(uncounted_customer=np.array([3, 0]))
    _assert(err, "uncounted_customer", "row_out_of_range", (0,))


# --- flags ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [np.array(["False", "True", "False", "False"]), np.array([0, 1, 0, 0])],
    ids=["str", "int"],
)
def test_discount_flags_must_be_bool(bad: Any) -> None:
    _assert(_refused(order_discounted=bad), "order_discounted", "not_a_bool", ())


def test_a_list_mixing_bools_and_ints_is_not_read_as_integers() -> None:
    # numpy alone turns [True, 2] into [1, 2]
    err = _refused(order_units=[True, 2, 1, 1])
    _assert(err, "order_units", "not_an_integer", ())


# --- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [np.array(["10", "0", "3.5", "7"]), np.array([True, True, False, True])],
    ids=["str", "bool"],
)
def test_money_must_be_numbers(bad: Any) -> None:
    _assert(_refused(order_total=bad), "order_total", "not_a_number", ())


def test_money_objects_other_than_numbers_are_refused_by_row() -> None:
    bad = np.array([Decimal("10"), "3.5", Decimal("1"), None], dtype=object)
    _assert(_refused(order_total=bad), "order_total", "not_a_number", (1, 3))


def test_negative_money_is_refused() -> None:
    err = _refused(order_total=np.array([10.0, -0.01, 3.5, -7.0]))
    _assert(err, "order_total", "negative_amount", (1, 3))
    err = _refused(order_cost=np.array([5.0, np.nan, -1.0, 2.0]))
    _assert(err, "order_cost", "negative_amount", (2,))


def test_total_must_be_finite_and_cost_may_be_unknown_never_infinite() -> None:
    err = _refused(order_total=np.array([10.0, np.nan, np.inf, 1.0]))
    _assert(err, "order_total", "not_finite", (1, 2))
    err = _refused(order_cost=np.array([5.0, np.nan, np.inf, 2.0]))
    _assert(err, "order_cost", "not_finite", (2,))


def test_decimal_money_and_unknown_cost_objects_are_read() -> None:
    b = CustomerBatch.from_arrays(
        **_valid(
            order_total=np.array([Decimal("10.10"), Decimal(0), 3, 7.25], dtype=object),
            order_cost=np.array([Decimal("5"), None, Decimal("NaN"), 2.0], dtype=object),
        )
    )
    assert b.order_total.tolist() == [10.1, 0.0, 3.0, 7.25]
    assert np.isnan(b.order_cost[[1, 2]]).all() and b.order_cost[[0, 3]].tolist() == [5.0, 2.0]


# --- units ------------------------------------------------------------------------------------


def test_fractional_units_are_refused() -> None:
    err = _refused(order_units=np.array([1.0, 2.5, 1.0, np.nan]))
    _assert(err, "order_units", "not_an_integer", (1, 3))


def test_units_below_one_are_refused() -> None:
    _assert(
        _refused(order_units=np.array([1, 0, -2, 1])), "order_units", "greater_than_equal", (1, 2)
    )


def test_whole_float_units_are_read_exactly() -> None:
    b = CustomerBatch.from_arrays(**_valid(order_units=np.array([1.0, 2.0, 3.0, 1.0])))
    assert b.order_units.dtype == np.int64 and b.order_units.tolist() == [1, 2, 3, 1]


# --- ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", [np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0])], ids=["int", "float"]
)
def test_numeric_ids_are_refused_with_a_hint(bad: Any) -> None:
    err = _refused(customer_ids=bad)
    _assert(err, "customer_ids", "not_text", ())
    assert "convert ids to strings explicitly" in str(err)


def test_id_objects_that_are_not_str_are_refused_by_row() -> None:
    bad = np.array(["u1", None, 3], dtype=object)
    _assert(_refused(customer_ids=bad), "customer_ids", "not_text", (1, 2))
    # numpy alone turns ["o1", 2, ...] into strings
    err = _refused(order_ids=["o1", 2, "o3", "o4"])
    _assert(err, "order_ids", "not_text", (1,))


def test_empty_and_blank_ids_are_refused() -> None:
    err = _refused(customer_ids=np.array(["u1", "", " \u3000"]))
    _assert(err, "customer_ids", "empty_string", (1, 2))
    err = _refused(uncounted_ids=np.array(["o5", "\t"]))
    _assert(err, "uncounted_ids", "empty_string", (1,))


def test_duplicate_customer_ids_are_refused_without_showing_them() -> None:
    err = _refused(customer_ids=np.array(["secret-1", "u2", "secret-1"]))
    _assert(err, "customer_ids", "duplicate_id", (0, 2))
    assert "secret" not in str(err)


def test_duplicate_order_ids_are_refused_within_and_across_tables() -> None:
    err = _refused(order_ids=np.array(["o1", "o2", "o1", "o4"]))
    _assert(err, "order_ids", "duplicate_id", (0, 2))
    err = _refused(uncounted_ids=np.array(["o2", "o6"]))  # o2 is also a counted order
    _assert(err, "order_ids", "duplicate_id", (1,))
    err = _refused(uncounted_ids=np.array(["o9", "o9"]))
    _assert(err, "uncounted_ids", "duplicate_id", (0, 1))


def test_hash_collisions_never_make_different_ids_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    # every string hashes alike: duplicates must still be found exactly
    monkeypatch.setattr(columns, "hash_text", lambda text: np.zeros(text.shape[0], np.uint64))
    ids = np.array(["a", "b", "a", "c", "bb"])
    assert columns.duplicate_mask(ids).tolist() == [True, False, True, False, False]
    assert not columns.duplicate_mask(np.array(["a", "b", "c"])).any()


@given(st.lists(st.text(min_size=1, max_size=6), max_size=40))
def test_duplicate_mask_agrees_with_counting(ids: list[str]) -> None:
    arr = np.array(ids, dtype=np.str_)
    values = arr.tolist()  # numpy drops trailing NULs: compare what it holds
    expected = [values.count(v) > 1 for v in values]
    assert columns.duplicate_mask(arr).tolist() == expected


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["cny", "RMB ", "CN", "元元元", 156])
def test_currency_must_be_three_capital_letters(bad: Any) -> None:
    _assert(_refused(currency=bad), "currency", "currency_code", ())


def test_currency_is_required_with_orders() -> None:
    _assert(_refused(currency=None), "currency", "currency_required", ())


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "Asia", "../etc/passwd", "UTC "])
def test_timezone_must_be_an_iana_name(bad: str) -> None:
    _assert(_refused(timezone=bad), "timezone", "unknown_timezone", ())


def test_uncounted_status_must_be_a_known_code_that_does_not_count() -> None:
    err = _refused(uncounted_status=np.array(["cancelled", "completed"]))
    _assert(err, "uncounted_status", "counted_status", (1,))
    err = _refused(uncounted_status=np.array(["lost", "交易关闭"]))  # labels are not codes
    _assert(err, "uncounted_status", "unknown_status", (0, 1))


# --- shape ------------------------------------------------------------------------------------


def test_columns_must_be_one_dimensional_and_of_the_right_length() -> None:
    err = _refused(created_at=np.zeros((3, 1)))
    _assert(err, "created_at", "not_one_dimensional", ())
    err = _refused(order_total=np.array([1.0, 2.0]))
    _assert(err, "order_total", "wrong_length", ())
    err = _refused(uncounted_ids=np.array(["o5"]))
    _assert(err, "uncounted_ids", "wrong_length", ())


def test_take_refuses_repeated_or_unknown_rows() -> None:
    b = CustomerBatch.from_arrays(**_valid())
    with pytest.raises(ColumnError) as info:
        b.take([1, 1])
    _assert(info.value, "rows", "duplicate_row", (0, 1))
    with pytest.raises(ColumnError) as info:
        b.take([0, 5])
    _assert(info.value, "rows", "row_out_of_range", (1,))


def test_column_error_pickles_and_keeps_its_details() -> None:
    err = ColumnError("order_ids", "duplicate_id", "not unique", rows=range(9), n_rows=9)
    back = pickle.loads(pickle.dumps(err))
    assert (back.column, back.rule, back.rows, back.n_rows, str(back)) == (
        "order_ids",
        "duplicate_id",
        (0, 1, 2, 3, 4),
        9,
        str(err),
    )
    assert "row 0, 1, 2, 3, 4, ... (9 rows)" in str(err)


# --- valid data: round trip, no mutation, units -----------------------------------------------

TIMES = st.floats(min_value=-2e9, max_value=4e9, allow_nan=False)
# Whole cents below 10^9 (amounts must be whole minor units of the currency).
MONEY = st.integers(0, 10**11).map(lambda c: c / 100)


@st.composite
def valid_columns(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 8))
    m = draw(st.integers(0, 12))
    u = draw(st.integers(0, 4))
    names = draw(
        st.lists(
            st.text(min_size=1, max_size=5), min_size=n + m + u, max_size=n + m + u, unique=True
        ).filter(lambda xs: all(x.strip() and not x.endswith("\0") for x in xs))
    )
    uncounted = list(columns.UNCOUNTED_STATUSES)
    return {
        "customer_ids": np.array(names[:n], dtype=np.str_),
        "created_at": np.array(draw(st.lists(TIMES, min_size=n, max_size=n))),
        "order_customer": np.array(
            draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64
        ),
        "order_time": np.array(draw(st.lists(TIMES, min_size=m, max_size=m)), dtype=np.float64),
        "order_total": np.array(draw(st.lists(MONEY, min_size=m, max_size=m)), dtype=np.float64),
        "order_cost": np.array(
            draw(st.lists(MONEY | st.just(np.nan), min_size=m, max_size=m)), dtype=np.float64
        ),
        "order_units": np.array(
            draw(st.lists(st.integers(1, 99), min_size=m, max_size=m)), dtype=np.int64
        ),
        "order_discounted": np.array(
            draw(st.lists(st.booleans(), min_size=m, max_size=m)), dtype=np.bool_
        ),
        "currency": "EUR",
        "order_ids": np.array(names[n : n + m], dtype=np.str_),
        "timezone": "Europe/Berlin",
        "uncounted_customer": np.array(
            draw(st.lists(st.integers(0, n - 1), min_size=u, max_size=u)), dtype=np.int64
        ),
        "uncounted_time": np.array(draw(st.lists(TIMES, min_size=u, max_size=u)), dtype=np.float64),
        "uncounted_status": np.array(
            draw(st.lists(st.sampled_from(uncounted), min_size=u, max_size=u)), dtype=np.str_
        ),
        "uncounted_ids": np.array(names[n + m :], dtype=np.str_),
    }


@given(valid_columns())
def test_valid_columns_round_trip_and_inputs_are_not_changed(cols: dict[str, Any]) -> None:
    before = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in cols.items()}
    batch = CustomerBatch.from_arrays(**cols)
    for name, given_value in cols.items():
        out = getattr(batch, name)
        if isinstance(given_value, np.ndarray):
            np.testing.assert_array_equal(given_value, before[name])  # input unchanged
            np.testing.assert_array_equal(out, given_value)  # same values out
            assert out.dtype.kind == given_value.dtype.kind
            assert not out.flags.writeable
            assert not np.shares_memory(out, given_value)
        else:
            assert out == given_value


@given(valid_columns(), st.floats(-2e9, 4e9))
def test_until_cuts_without_validating_again(cols: dict[str, Any], cut: float) -> None:
    batch = CustomerBatch.from_arrays(**cols)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columns, "duplicate_mask", _must_not_run)
        patch.setattr(columns, "_ids", _must_not_run)
        as_of = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=cut)
        early = batch.until(as_of)
    keep = cols["order_time"] <= to_epoch_seconds(as_of)
    keep_u = cols["uncounted_time"] <= to_epoch_seconds(as_of)
    expected = CustomerBatch.from_arrays(
        **{
            **cols,
            **{k: cols[k][keep] for k in cols if k.startswith("order_") and k != "order_ids"},
            "order_ids": cols["order_ids"][keep],
            **{k: cols[k][keep_u] for k in cols if k.startswith("uncounted_")},
        }
    )
    for name in cols:
        out = getattr(early, name)
        if isinstance(out, np.ndarray):
            np.testing.assert_array_equal(out, getattr(expected, name))
            assert not out.flags.writeable
        else:
            assert out == getattr(expected, name)


def _must_not_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("validation ran again on already-valid columns")


# microseconds inside the datetime64[ns] range (years 1678..2261)
MICROS = st.integers(-9_000_000_000_000_000, 9_000_000_000_000_000)


@given(st.lists(MICROS.map(lambda us: us // 1_000_000), min_size=1, max_size=20))
def test_datetime64_s_ms_us_ns_give_identical_epoch_seconds(seconds: list[int]) -> None:
    s = np.array(seconds, dtype=np.int64)
    got = [
        columns._times("t", (s * k).astype(f"datetime64[{unit}]"), None)
        for unit, k in (("s", 1), ("ms", 10**3), ("us", 10**6), ("ns", 10**9))
    ]
    for g in got:
        np.testing.assert_array_equal(g, s.astype(np.float64))


@given(st.lists(MICROS, min_size=1, max_size=20))
def test_datetime64_us_and_ns_agree_with_to_epoch_seconds(micros: list[int]) -> None:
    us = np.array(micros, dtype=np.int64)
    expected = [
        to_epoch_seconds(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=x))
        for x in micros
    ]
    assert columns._times("t", us.astype("datetime64[us]"), None).tolist() == expected
    assert columns._times("t", (us * 1000).astype("datetime64[ns]"), None).tolist() == expected
    ms = us // 1000
    from_ms = columns._times("t", ms.astype("datetime64[ms]"), None)
    from_us = columns._times("t", (ms * 1000).astype("datetime64[us]"), None)
    np.testing.assert_array_equal(from_ms, from_us)


def test_calendar_and_multiple_units_are_converted_by_the_calendar() -> None:
    months = np.array(["2024-02", "1969-12"], dtype="datetime64[M]")
    expected = [
        to_epoch_seconds(datetime(2024, 2, 1, tzinfo=UTC)),
        to_epoch_seconds(datetime(1969, 12, 1, tzinfo=UTC)),
    ]
    assert columns._times("t", months, None).tolist() == expected
    assert columns._times("t", np.array([3], dtype="datetime64[10ms]"), None).tolist() == [0.03]
    assert columns._times("t", np.array([1000], dtype="datetime64[7ns]"), None).tolist() == [7e-6]


def test_int_epoch_seconds_are_read() -> None:
    b = CustomerBatch.from_arrays(**_valid(created_at=np.array([0, 10, 20], dtype=np.int32)))
    assert b.created_at.dtype == np.float64 and b.created_at.tolist() == [0.0, 10.0, 20.0]


def test_empty_lists_are_empty_columns() -> None:
    b = CustomerBatch.from_arrays(
        customer_ids=[], created_at=[], order_customer=[], order_time=[], order_total=[]
    )
    assert (b.n_customers, b.n_orders, b.currency) == (0, 0, None)
    assert b.customer_ids.dtype.kind == "U" and b.order_customer.dtype == np.int64
