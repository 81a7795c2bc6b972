"""Business hours with make-up working days (调休), the calendar adapter, population filters."""

from __future__ import annotations

import importlib.util
import math
import sys
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from pydantic import ValidationError

from custcare.batch import AttributeRange, PopulationFilter, from_histories
from custcare.complaints import (
    BusinessHours,
    CalendarCoverageError,
    HolidayCalendar,
    SLAPolicy,
    add_business_seconds,
    china_calendar,
)
from custcare.errors import ColumnError, CustcareUsageError, DataError
from custcare.models import Customer, CustomerHistory, Order, OrderLine

SH = ZoneInfo("Asia/Shanghai")
# Labour Day 2026 in China: 1-5 May off, Saturday 9 May worked in exchange.
LABOUR_DAY = tuple(date(2026, 5, d) for d in range(1, 6))
MAKE_UP = (date(2026, 5, 9),)
HOURS_CN = BusinessHours(holidays=LABOUR_DAY, workdays=MAKE_UP)

HAS_CHINESE_CALENDAR = importlib.util.find_spec("chinese_calendar") is not None
HAS_HOLIDAYS = importlib.util.find_spec("holidays") is not None


def _due(hours: BusinessHours, start: datetime, target: timedelta) -> datetime:
    return SLAPolicy(business_hours=hours).deadline(start, target)


# --- business hours with make-up days ---------------------------------------------------------


def test_friday_evening_complaint_is_due_on_the_make_up_saturday() -> None:
    friday_5pm = datetime(2026, 5, 8, 17, 0, tzinfo=SH)
    due = _due(HOURS_CN, friday_5pm, timedelta(hours=2))
    assert due == datetime(2026, 5, 9, 10, 0, tzinfo=SH)
    # Without the make-up day the Saturday is a weekend day: due on Monday.
    plain = BusinessHours(holidays=LABOUR_DAY)
    assert _due(plain, friday_5pm, timedelta(hours=2)) == datetime(2026, 5, 11, 10, 0, tzinfo=SH)


def test_complaint_opened_on_the_make_up_saturday_counts_from_then() -> None:
    saturday_8am = datetime(2026, 5, 9, 8, 0, tzinfo=SH)
    assert _due(HOURS_CN, saturday_8am, timedelta(hours=3)) == datetime(
        2026, 5, 9, 12, 0, tzinfo=SH
    )
    # Sunday 10 May stays a weekend day: 10 h from Saturday 9:00 ends Monday 10:00.
    assert _due(HOURS_CN, saturday_8am, timedelta(hours=10)) == datetime(
        2026, 5, 11, 10, 0, tzinfo=SH
    )


def test_labour_day_break_is_skipped() -> None:
    thursday_5pm = datetime(2026, 4, 30, 17, 0, tzinfo=SH)
    due = _due(HOURS_CN, thursday_5pm, timedelta(hours=2))
    assert due == datetime(2026, 5, 6, 10, 0, tzinfo=SH)


def _reference_due(hours: BusinessHours, start: datetime, seconds: float) -> datetime:
    """Walk the working days one by one (slow and obvious) in the start's zone."""
    local = start.astimezone(SH).replace(tzinfo=None)
    day, left = local.date(), seconds
    clock = local.time()
    while True:
        if hours.is_working_day(day):
            open_at = max(clock, hours.start)
            if open_at < hours.end:
                room = (
                    datetime.combine(day, hours.end) - datetime.combine(day, open_at)
                ).total_seconds()
                if left <= room:
                    end = datetime.combine(day, open_at) + timedelta(seconds=left)
                    return end.replace(tzinfo=SH)
                left -= room
        day, clock = day + timedelta(days=1), time(0)


def test_vectorised_deadlines_match_a_day_by_day_walk_around_make_up_days() -> None:
    rng = np.random.default_rng(7)
    first = datetime(2026, 4, 20, tzinfo=SH).timestamp()
    starts = first + rng.uniform(0, 30 * 86400, size=300).round()
    seconds = rng.choice([1800.0, 3 * 3600.0, 9 * 3600.0, 30 * 3600.0, 80 * 3600.0], size=300)
    hours = BusinessHours(
        start=time(8, 30),
        end=time(17, 30),
        holidays=LABOUR_DAY,
        workdays=(date(2026, 4, 26), *MAKE_UP),
    )
    due = add_business_seconds(starts, seconds, SLAPolicy(business_hours=hours))
    for s, secs, d in zip(starts.tolist(), seconds.tolist(), due.tolist(), strict=True):
        start = datetime.fromtimestamp(s, tz=timezone.utc)
        expected = _reference_due(hours, start, secs)
        assert d == expected.timestamp(), (start.astimezone(SH), secs / 3600)


def test_make_up_days_change_nothing_when_empty() -> None:
    rng = np.random.default_rng(3)
    starts = datetime(2026, 4, 1, tzinfo=SH).timestamp() + rng.uniform(0, 60 * 86400, 200)
    seconds = rng.uniform(60, 200 * 3600, 200)
    # A workday on a day that is already a working day (Monday) is no make-up day.
    with_monday = BusinessHours(holidays=LABOUR_DAY, workdays=(date(2026, 5, 11),))
    plain = BusinessHours(holidays=LABOUR_DAY)
    a = add_business_seconds(starts, seconds, SLAPolicy(business_hours=plain))
    b = add_business_seconds(starts, seconds, SLAPolicy(business_hours=with_monday))
    np.testing.assert_array_equal(a, b)


def test_a_date_both_holiday_and_make_up_day_is_refused() -> None:
    with pytest.raises(ValidationError, match="both a holiday and a make-up working day"):
        BusinessHours(holidays=(date(2026, 5, 9),), workdays=(date(2026, 5, 9),))


def test_is_working_day_honours_weekdays_holidays_and_make_up_days() -> None:
    assert HOURS_CN.is_working_day(date(2026, 5, 9))  # make-up Saturday
    assert not HOURS_CN.is_working_day(date(2026, 5, 10))  # Sunday
    assert not HOURS_CN.is_working_day(date(2026, 5, 1))  # Labour Day (Friday)
    assert HOURS_CN.is_working_day(date(2026, 5, 6))  # Wednesday


def test_hand_given_calendar_adds_to_business_hours() -> None:
    cal = HolidayCalendar(years=(2026,), holidays=LABOUR_DAY, workdays=MAKE_UP, source="by hand")
    hours = cal.business_hours(BusinessHours(start=time(10), holidays=(date(2026, 6, 19),)))
    assert hours.start == time(10)
    assert hours.holidays == (*LABOUR_DAY, date(2026, 6, 19))
    assert hours.workdays == MAKE_UP


# --- the calendar adapter ---------------------------------------------------------------------


def test_adapter_names_the_extra_when_the_package_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)  # import raises ImportError
    with pytest.raises(ImportError, match=r"custcare\[calendars\]"):
        china_calendar([2026])


def test_adapter_refuses_no_years() -> None:
    with pytest.raises(ValueError, match="at least one year"):
        china_calendar([])


@pytest.mark.skipif(not HAS_CHINESE_CALENDAR, reason="chinese-calendar not installed (extra)")
def test_chinese_calendar_knows_the_2026_labour_day_make_up_saturday() -> None:
    cal = china_calendar(range(2025, 2027))
    assert cal.years == (2025, 2026)
    assert date(2026, 5, 9) in cal.workdays
    assert set(LABOUR_DAY) <= set(cal.holidays)
    assert all(d.weekday() >= 5 for d in cal.workdays)
    hours = cal.business_hours()
    friday_5pm = datetime(2026, 5, 8, 17, 0, tzinfo=SH)
    assert _due(hours, friday_5pm, timedelta(hours=2)) == datetime(2026, 5, 9, 10, 0, tzinfo=SH)


@pytest.mark.skipif(not HAS_CHINESE_CALENDAR, reason="chinese-calendar not installed (extra)")
def test_chinese_calendar_past_its_data_is_a_clear_error_naming_the_year() -> None:
    with pytest.raises(CalendarCoverageError, match="2027") as info:
        china_calendar([2026, 2027, 2028])
    assert info.value.year == 2027
    assert isinstance(info.value, DataError)


@pytest.mark.skipif(not HAS_HOLIDAYS, reason="holidays package not installed")
def test_holidays_package_knows_the_make_up_saturday_and_refuses_unpublished_years() -> None:
    cal = china_calendar([2026], source="holidays")
    assert date(2026, 5, 9) in cal.workdays
    assert date(2026, 5, 1) in cal.holidays
    assert all(d.year == 2026 for d in (*cal.holidays, *cal.workdays))
    with pytest.raises(CalendarCoverageError, match="2027"):
        china_calendar([2027], source="holidays")


# --- population filter ------------------------------------------------------------------------

AS_OF = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


def _visit(cid: str, n: int, days_before: float, status: str = "completed") -> Order:
    return Order(
        id=f"{cid}-o{n}",
        customer_id=cid,
        placed_at=AS_OF - timedelta(days=days_before),
        currency="CNY",
        status=status,
        lines=(OrderLine(sku="OIL", quantity=1, unit_price=Decimal("300")),),
    )


def _car(
    cid: str,
    km: object,
    *,
    tenure_days: float = 200,
    visits: int = 5,
    extra: tuple[Order, ...] = (),
) -> CustomerHistory:
    attributes = {} if km is None else {"daily_km": km}
    customer = Customer(
        id=cid, created_at=AS_OF - timedelta(days=tenure_days), attributes=attributes
    )
    orders = tuple(_visit(cid, i, days_before=10 + i) for i in range(visits)) + extra
    return CustomerHistory(customer=customer, orders=orders)


def _garage() -> list[CustomerHistory]:
    return [
        _car("ok", 120.0),
        _car("low_km", 3.0),
        _car("high_km", 600),
        _car("no_km", None),
        _car("text_km", "120"),
        _car("new", 80.0, tenure_days=30),
        # 3 counted visits: a cancelled one and one after as_of do not count.
        _car(
            "few",
            60.0,
            visits=3,
            extra=(_visit("few", 8, 2, status="cancelled"), _visit("few", 9, -5)),
        ),
        _car("edges", 5, tenure_days=90, visits=4),  # every bound is inclusive
        _car("two_rules", 501.0, visits=1),
    ]


def test_auto_repair_preset_keeps_the_shops_population_and_counts_each_rule() -> None:
    result = PopulationFilter.auto_repair().filter_histories(_garage(), AS_OF)
    assert [h.customer_id for h in result.kept] == ["ok", "edges"]
    assert result.report.total == 9
    assert result.report.kept == 2
    assert result.report.dropped == 7
    assert dict(result.report.left_out) == {
        "attribute_missing:daily_km": 1,
        "attribute_not_number:daily_km": 1,
        "attribute_out_of_range:daily_km": 3,  # low_km, high_km, two_rules
        "tenure_too_short": 1,
        "too_few_visits": 2,  # few, two_rules
    }


def test_batch_filter_agrees_with_the_history_filter() -> None:
    garage = [h for h in _garage() if h.customer_id != "text_km"]
    km = [h.customer.attributes.get("daily_km") for h in garage]
    column = np.array([math.nan if v is None else float(v) for v in km])
    rule = PopulationFilter.auto_repair()
    kept, report = rule.filter_batch(from_histories(garage), AS_OF, {"daily_km": column})
    expected = rule.filter_histories(garage, AS_OF)
    assert kept.customer_ids.tolist() == [h.customer_id for h in expected.kept]
    assert report == expected.report
    assert kept.order_count().tolist() == [5, 4]


def test_filter_on_tenure_only_needs_no_attribute_column() -> None:
    rule = PopulationFilter(min_tenure_days=100)
    kept, report = rule.filter_batch(from_histories(_garage()), AS_OF)
    assert kept.customer_ids.tolist() == [
        "ok",
        "low_km",
        "high_km",
        "no_km",
        "text_km",
        "few",
        "two_rules",
    ]
    assert dict(report.left_out) == {"tenure_too_short": 2}


def test_batch_filter_without_the_attribute_column_is_misuse() -> None:
    with pytest.raises(CustcareUsageError, match="daily_km"):
        PopulationFilter.auto_repair().filter_batch(from_histories(_garage()), AS_OF)


def test_batch_filter_refuses_a_text_or_misshapen_column() -> None:
    batch = from_histories(_garage())
    rule = PopulationFilter.auto_repair()
    with pytest.raises(ColumnError, match="not_a_number"):
        rule.filter_batch(batch, AS_OF, {"daily_km": np.array(["1"] * batch.n_customers)})
    with pytest.raises(ColumnError, match="shape"):
        rule.filter_batch(batch, AS_OF, {"daily_km": np.zeros(batch.n_customers + 1)})


def test_filter_rules_are_checked_at_construction() -> None:
    with pytest.raises(ValidationError, match="without bounds"):
        AttributeRange(name="daily_km")
    with pytest.raises(ValidationError, match="must not be above"):
        AttributeRange(name="daily_km", low=10, high=5)
    with pytest.raises(ValidationError, match="two ranges"):
        PopulationFilter(
            attributes=(
                AttributeRange(name="daily_km", low=5),
                AttributeRange(name="daily_km", high=500),
            )
        )
    with pytest.raises(ValidationError):
        PopulationFilter(min_visits=-1)


def test_filter_wants_an_aware_moment() -> None:
    with pytest.raises(CustcareUsageError):
        PopulationFilter(min_visits=1).filter_histories(_garage(), date(2026, 6, 1))  # type: ignore[arg-type]
