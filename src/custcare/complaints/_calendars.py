"""Holidays and make-up working days (调休) from a calendar package (the ``calendars`` extra).

China moves working days around its public holidays: Saturday 2026-05-09 is a
working day so that the Labour Day break can run 1-5 May. `china_calendar` reads
both lists for whole years from ``chinese-calendar`` (the ``calendars`` extra) or
``holidays``, and refuses any year the package has no data for
(`CalendarCoverageError`): an unknown year is never taken to have no holidays.
The package is imported only inside the function, so the core needs neither.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from custcare.complaints._sla import BusinessHours
from custcare.errors import CalendarCoverageError

__all__ = ["CalendarCoverageError", "CalendarSource", "HolidayCalendar", "china_calendar"]

CalendarSource = Literal["chinese-calendar", "holidays"]
"""Which package fills the calendar."""

_MODULES: dict[str, str] = {"chinese-calendar": "chinese_calendar", "holidays": "holidays"}


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays and make-up working days for whole years.

    Attributes:
        years: The years covered (sorted, distinct).
        holidays: Public holiday dates (statutory days off, weekends in a break included).
        workdays: Make-up working days: weekend dates worked in exchange.
        source: The package the dates came from.

    Examples:
        >>> cal = HolidayCalendar(years=(2026,), holidays=(date(2026, 5, 1),),
        ...                       workdays=(date(2026, 5, 9),), source="by hand")
        >>> cal.business_hours().workdays
        (datetime.date(2026, 5, 9),)
    """

    years: tuple[int, ...]
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]
    source: str

    def business_hours(self, hours: BusinessHours | None = None) -> BusinessHours:
        """``hours`` (default `BusinessHours()`) with these dates added to its own.

        Raises:
            pydantic.ValidationError: if a date ends up both a holiday and a make-up day.
        """
        base = BusinessHours() if hours is None else hours
        return BusinessHours.model_validate(
            base.model_dump()
            | {
                "holidays": tuple(sorted(set(base.holidays) | set(self.holidays))),
                "workdays": tuple(sorted(set(base.workdays) | set(self.workdays))),
            }
        )


def _import(source: str) -> Any:
    try:
        return importlib.import_module(_MODULES[source])
    except ImportError as exc:
        hint = (
            "pip install 'custcare[calendars]'"
            if source == "chinese-calendar"
            else "pip install holidays"
        )
        raise ImportError(
            f"china_calendar(source={source!r}) needs the {source} package, which is not "
            f"installed: {hint}"
        ) from exc


def _from_chinese_calendar(module: Any, year: int) -> tuple[list[date], list[date]]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    try:
        off = module.get_holidays(first, last, include_weekends=False)
        worked = module.get_workdays(first, last)
    except NotImplementedError as exc:
        raise CalendarCoverageError(year, "chinese-calendar", str(exc)) from exc
    # get_holidays(include_weekends=False) gives the statutory days off; a worked
    # Saturday or Sunday is a make-up day.
    return list(off), [d for d in worked if d.weekday() >= 5]


def _from_holidays(module: Any, year: int) -> tuple[list[date], list[date]]:
    table = module.country_holidays("CN", years=[year])
    worked = [d for d in table.weekend_workdays if d.year == year]
    if not worked:
        # holidays computes the festivals for any year but lists make-up days only
        # for years with a published notice: none means "not published yet".
        raise CalendarCoverageError(
            year, "holidays", "no make-up working days are listed for that year"
        )
    return [d for d in table if d.year == year], worked


def china_calendar(
    years: Iterable[int], *, source: CalendarSource = "chinese-calendar"
) -> HolidayCalendar:
    """Public holidays and make-up working days in mainland China for ``years``.

    Args:
        years: The years to fill (e.g. ``range(2025, 2027)``).
        source: ``"chinese-calendar"`` (the ``calendars`` extra; data from 2004 to
            the last year the installed version covers) or ``"holidays"``
            (``country_holidays("CN")``; make-up days only for published years).

    Raises:
        ImportError: if the package is not installed (the message names the extra).
        CalendarCoverageError: (a `custcare.errors.DataError`) for the first year the
            package has no data for, e.g. 2027 with chinese-calendar 1.11.
        ValueError: if ``years`` is empty.

    """
    wanted = sorted(set(years))
    if not wanted:
        raise ValueError("years must name at least one year")
    module = _import(source)
    fill = _from_chinese_calendar if source == "chinese-calendar" else _from_holidays
    off: set[date] = set()
    worked: set[date] = set()
    for year in wanted:
        year_off, year_worked = fill(module, year)
        off.update(year_off)
        worked.update(year_worked)
    return HolidayCalendar(
        years=tuple(wanted),
        holidays=tuple(sorted(off)),
        workdays=tuple(sorted(worked)),
        source=source,
    )
