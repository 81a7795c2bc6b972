"""The one per-customer summary kernel: both public paths, time zones, fallbacks.

`purchase_summary` (batch columns, the churn.risk scorer) and `summarise_transactions` /
`calibration_holdout_summary` (raw arrays, checked against the published CDNOW summary in
test_churn_models.py) share `_occasions` / `_customer_stats`; here they are tied to each
other and to a plain-Python reference that counts purchase days with dicts.
"""

from __future__ import annotations

import doctest
from collections import defaultdict
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from custcare.batch import CustomerBatch
from custcare.churn import _summary, calibration_holdout_summary, summarise_transactions
from custcare.churn._summary import _local_days, _occasions, purchase_summary
from custcare.errors import DataError

DAY = 86_400
T0 = 1_700_000_000  # 2023-11-14, a whole second


def batch(
    cust: list[int] | NDArray[np.int64],
    times: list[float] | NDArray[np.float64],
    totals: list[float] | NDArray[np.float64] | None = None,
    *,
    n: int | None = None,
    tz: str = "UTC",
) -> CustomerBatch:
    n = (max(cust) + 1 if len(cust) else 1) if n is None else n
    return CustomerBatch.from_arrays(
        customer_ids=[f"c{i}" for i in range(n)],
        created_at=np.zeros(n),
        order_customer=cust,
        order_time=times,
        order_total=np.ones(len(cust)) if totals is None else totals,
        currency="CNY",
        timezone=tz,
    )


def reference(
    cust: list[int], days: list[int], amounts: list[float]
) -> dict[int, tuple[int, int, int, float]]:
    """customer -> (frequency, first day, last day, mean repeat value), with dicts."""
    by_day: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for c, d, a in zip(cust, days, amounts, strict=True):
        by_day[c][d] += a
    out = {}
    for c, spend in by_day.items():
        ordered = sorted(spend)
        repeat = [spend[d] for d in ordered[1:]]
        out[c] = (
            len(ordered) - 1,
            ordered[0],
            ordered[-1],
            sum(repeat) / len(repeat) if repeat else 0.0,
        )
    return out


orders_st = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 40 * DAY), st.integers(0, 50_000)),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(orders=orders_st, cut=st.integers(0, 45 * DAY))
def test_batch_path_and_array_path_agree_with_a_dict_reference(
    orders: list[tuple[int, int, int]], cut: int
) -> None:
    cust = [c for c, _, _ in orders]
    times = [float(T0 + s) for _, s, _ in orders]
    cents = [a / 100 for _, _, a in orders]
    as_of = float(T0 + cut)
    s = purchase_summary(batch(cust, times, cents, n=8), as_of, unit_days=1.0)
    kept = [i for i, t in enumerate(times) if t <= as_of]
    ref = reference(
        [cust[i] for i in kept], [int(times[i]) // DAY for i in kept], [cents[i] for i in kept]
    )
    # The array path on the same orders (up to as_of), datetime64 seconds, calendar days.
    stamps = np.array([int(times[i]) for i in kept], dtype="datetime64[s]")
    ids = np.array([cust[i] for i in kept], dtype=np.int64)
    amounts = np.array([cents[i] for i in kept])
    h = summarise_transactions(
        ids, stamps, amounts, end_time=np.datetime64(int(as_of), "s"), time_unit="days"
    )
    assert h.customer_ids.tolist() == sorted(ref)
    rows = h.customer_ids.astype(np.int64)
    for c in range(8):
        if c not in ref:
            assert s.purchases[c] == 0 and s.last_order_row[c] == -1
            assert (s.frequency[c], s.recency[c], s.T[c], s.monetary_value[c]) == (0, 0, 0, 0)
            continue
        x, first, last, value = ref[c]
        assert s.frequency[c] == x and s.purchases[c] == x + 1
        assert s.recency[c] == last - first
        assert s.T[c] == pytest.approx((as_of - first * DAY) / DAY, rel=1e-15)
        assert s.monetary_value[c] == pytest.approx(value, rel=1e-12)
        mine = [i for i in kept if cust[i] == c]
        assert s.last_order_row[c] == max(mine, key=lambda i: (times[i], i))
    # Both public paths give identical numbers; T differs only by the array path's
    # end_time being rounded down to its day.
    np.testing.assert_array_equal(h.frequency, s.frequency[rows])
    np.testing.assert_array_equal(h.recency, s.recency[rows])
    np.testing.assert_array_equal(h.monetary_value, s.monetary_value[rows])
    np.testing.assert_allclose(s.T[rows] - h.T, (as_of % DAY) / DAY, rtol=0, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(orders=orders_st, split=st.integers(0, 40 * DAY))
def test_calibration_summary_is_the_summary_up_to_the_split(
    orders: list[tuple[int, int, int]], split: int
) -> None:
    ids = np.array([c for c, _, _ in orders], dtype=np.int64)
    times = np.array([T0 + s for _, s, _ in orders], dtype="datetime64[s]")
    amounts = np.array([a / 100 for _, _, a in orders])
    split_time = np.datetime64(T0 + split, "s").astype("datetime64[D]")
    end_time = np.datetime64(T0 + 41 * DAY, "s").astype("datetime64[D]")
    ch = calibration_holdout_summary(
        ids, times, amounts, split_time=split_time, end_time=end_time, time_unit="days"
    )
    cal = times.astype("datetime64[D]") <= split_time
    if not cal.any():
        assert ch.customer_ids.size == 0
        return
    s = summarise_transactions(
        ids[cal], times[cal], amounts[cal], end_time=split_time, time_unit="days"
    )
    np.testing.assert_array_equal(ch.customer_ids, s.customer_ids)
    for name in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_array_equal(getattr(ch, name), getattr(s, name), err_msg=name)
    days = times.astype("datetime64[D]")
    for row, c in enumerate(ch.customer_ids.tolist()):
        later = (ids == c) & ~cal
        assert ch.frequency_holdout[row] == np.unique(days[later]).size
        total = amounts[later].sum()
        want = total / np.unique(days[later]).size if later.any() else 0.0
        assert ch.monetary_value_holdout[row] == pytest.approx(want, rel=1e-12)


def test_string_ids_integer_ids_and_sparse_integer_ids_give_the_same_summary() -> None:
    rng = np.random.default_rng(4)
    rows = rng.integers(0, 50, 2000)
    times = rng.integers(0, 400, 2000).astype(np.float64)
    amounts = rng.uniform(1, 100, 2000)
    dense = summarise_transactions(rows, times, amounts, end_time=380.0, resolution=7.0)
    sparse = summarise_transactions(
        rows * 10**12 - 7, times, amounts, end_time=380.0, resolution=7.0
    )
    text = summarise_transactions(
        np.char.zfill(rows.astype(str), 3), times, amounts, end_time=380.0, resolution=7.0
    )
    assert dense.customer_ids.dtype == rows.dtype
    assert sparse.customer_ids.tolist() == (dense.customer_ids * 10**12 - 7).tolist()
    for other in (sparse, text):
        for name in ("frequency", "recency", "T", "monetary_value"):
            np.testing.assert_array_equal(getattr(other, name), getattr(dense, name))


def test_keys_too_wide_to_pack_fall_back_to_the_same_occasions() -> None:
    rng = np.random.default_rng(5)
    cust = rng.integers(0, 40, 500)
    key = rng.integers(0, 30, 500)
    packed = _occasions(cust, key, 40)
    # Same order of keys, spread so far apart that customers x span overflows int64.
    wide = _occasions(cust, key * 2**58, 40)
    floats = _occasions(cust, key.astype(np.float64) + 0.5, 40)
    np.testing.assert_array_equal(wide.cust, packed.cust)
    np.testing.assert_array_equal(wide.key, packed.key * 2**58)
    np.testing.assert_array_equal(floats.cust, packed.cust)
    np.testing.assert_array_equal(floats.key, packed.key + 0.5)
    pairs = sorted(set(zip(cust.tolist(), key.tolist(), strict=True)))
    assert list(zip(packed.cust.tolist(), packed.key.tolist(), strict=True)) == pairs


def test_non_integer_numeric_times_are_summarised_exactly() -> None:
    s = summarise_transactions([1, 1, 1, 2], [0.25, 0.25, 3.75, 1e300], end_time=2e300)
    assert s.frequency.tolist() == [1.0, 0.0]
    assert s.recency.tolist() == [3.5, 0.0]
    assert s.T.tolist() == [2e300 - 0.25, 2e300 - 1e300]


# --------------------------------------------------------------------------- time zones


def test_orders_on_one_shanghai_day_are_one_purchase_across_utc_midnight() -> None:
    # 2024-05-01 15:30Z is 23:30 in Shanghai (UTC+8, no daylight saving); 16:30Z and
    # 2024-05-02 02:00Z are 00:30 and 10:00 on 2 May there.
    t = [
        datetime(2024, 5, 1, 15, 30, tzinfo=timezone.utc).timestamp(),
        datetime(2024, 5, 1, 16, 30, tzinfo=timezone.utc).timestamp(),
        datetime(2024, 5, 2, 2, 0, tzinfo=timezone.utc).timestamp(),
    ]
    as_of = datetime(2024, 5, 10, tzinfo=timezone.utc).timestamp()
    utc = purchase_summary(batch([0, 0, 0], t, [1.0, 2.0, 4.0]), as_of, 1.0)
    sh = purchase_summary(batch([0, 0, 0], t, [1.0, 2.0, 4.0], tz="Asia/Shanghai"), as_of, 1.0)
    assert utc.frequency.tolist() == [1.0]  # UTC days: 1 May (two orders), 2 May
    assert utc.monetary_value.tolist() == [4.0]
    assert sh.frequency.tolist() == [1.0]  # Shanghai days: 1 May, 2 May (two orders)
    assert sh.monetary_value.tolist() == [6.0]
    # T runs on the shop's clock: from Shanghai midnight of 1 May to as_of (08:00 there).
    assert sh.T.tolist() == [9 + 8 / 24]
    assert utc.T.tolist() == [9.0]


def test_new_york_days_are_right_across_both_daylight_saving_transitions() -> None:
    def at(*args: int) -> float:
        return datetime(*args, tzinfo=timezone.utc).timestamp()  # type: ignore[misc]

    # Fall back on 2024-11-03 at 06:00Z (02:00 EDT -> 01:00 EST).
    nov = [at(2024, 11, 3, 3, 30), at(2024, 11, 3, 4, 30), at(2024, 11, 4, 4, 30)]
    nov2 = (datetime(2024, 11, 2) - datetime(1970, 1, 1)).days
    # local: 2 Nov 23:30 EDT, 3 Nov 00:30 EDT, 3 Nov 23:30 EST
    assert (_local_days(np.array(nov), "America/New_York") - nov2).tolist() == [0, 1, 1]
    assert (_local_days(np.array(nov), "UTC") - nov2).tolist() == [1, 1, 2]
    # Spring forward on 2024-03-10 at 07:00Z (02:00 EST -> 03:00 EDT).
    mar = [at(2024, 3, 10, 4, 59), at(2024, 3, 10, 5, 0), at(2024, 3, 11, 3, 59)]
    mar9 = (datetime(2024, 3, 9) - datetime(1970, 1, 1)).days
    # local: 9 Mar 23:59 EST, 10 Mar 00:00 EST, 10 Mar 23:59 EDT
    assert (_local_days(np.array(mar), "America/New_York") - mar9).tolist() == [0, 1, 1]
    s = purchase_summary(
        batch([0, 0, 0], nov, tz="America/New_York"), at(2024, 11, 10), unit_days=1.0
    )
    assert s.frequency.tolist() == [1.0] and s.recency.tolist() == [1.0]


ZONES = [
    "UTC",
    "Asia/Shanghai",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # daylight saving of 30 minutes
    "Asia/Kathmandu",  # +05:45, and +05:30 before 1986
    "America/Sao_Paulo",  # transitions at local midnight until 2019
    "Pacific/Apia",  # skipped 30 December 2011
    "Africa/Casablanca",  # daylight saving suspended for Ramadan
]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    seconds=st.lists(st.integers(-(2**31), 2**32), min_size=1, max_size=40),
    frac=st.sampled_from([0.0, 0.25, 0.999]),
)
def test_local_days_match_zoneinfo_for_every_order(
    zone: str, seconds: list[int], frac: float
) -> None:
    # Add times right around a few transitions, where an hour grid would go wrong.
    tz = ZoneInfo(zone)
    extra = []
    for s in seconds[:3]:
        base = s - s % 3600
        extra += [base + k * 900 - 1 for k in range(5)]
    times = np.array(seconds + extra, dtype=np.float64) + frac
    epoch = datetime(1970, 1, 1).date()
    want = [(datetime.fromtimestamp(t, tz).date() - epoch).days for t in times.tolist()]
    assert _local_days(times, zone).tolist() == want


def test_every_transition_of_a_year_is_placed_to_the_second() -> None:
    for zone in ("America/New_York", "Australia/Lord_Howe", "Africa/Casablanca"):
        tz = ZoneInfo(zone)
        t = np.arange(T0, T0 + 366 * DAY, 1800, dtype=np.float64)
        t = np.concatenate([t, t + 1799, t + 3599])
        epoch = datetime(1970, 1, 1).date()
        want = [(datetime.fromtimestamp(s, tz).date() - epoch).days for s in t.tolist()]
        assert _local_days(t, zone).tolist() == want, zone


def test_unknown_time_zone_and_unplaceable_times_raise_data_error() -> None:
    with pytest.raises(DataError, match=r"IANA time zone name.*'Mars/Olympus'"):
        _local_days(np.array([0.0]), "Mars/Olympus")
    with pytest.raises(DataError, match="Mars/Olympus"):  # the batch may refuse it first
        purchase_summary(batch([0], [0.0], tz="Mars/Olympus"), 10.0, 1.0)
    with pytest.raises(DataError, match=r"years 2 to 9998.*index 1"):
        _local_days(np.array([0.0, 1e15]), "Asia/Shanghai")


def test_summary_doctests_run() -> None:
    result = doctest.testmod(_summary, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
