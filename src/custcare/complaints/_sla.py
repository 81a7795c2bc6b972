"""Service-level targets and respond-by deadlines in real clock time.

Deadlines count only business time when business hours are set: a complaint
opened on Friday evening with a 4-hour target is due on Monday morning, not at
midnight. The arithmetic is vectorised numpy (``np.busday_offset`` for working
days), so one complaint and 100,000 use the same code.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from itertools import pairwise
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

__all__ = ["BusinessHours", "Level", "SLAPolicy", "SLATarget", "add_business_seconds"]

Level = Literal["P1", "P2", "P3", "P4"]
"""Priority levels, P1 most urgent."""

LEVELS: tuple[Level, ...] = ("P1", "P2", "P3", "P4")

_SHOWN_NAME = 60  # characters of a bad time zone name shown in the error
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class SLATarget(BaseModel):
    """Targets for one priority level.

    Examples:
        >>> SLATarget(first_response=timedelta(hours=1), resolution=timedelta(hours=24))
        SLATarget(first_response=datetime.timedelta(seconds=3600), ...)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_response: timedelta = Field(description="Time to the first human response.")
    resolution: timedelta = Field(description="Time to resolution.")

    @model_validator(mode="after")
    def _ordered(self) -> SLATarget:
        if self.first_response <= timedelta(0):
            raise ValueError("first_response must be positive")
        if self.resolution < self.first_response:
            raise ValueError("resolution must not be shorter than first_response")
        return self


class BusinessHours(BaseModel):
    """Working hours on working days; holidays are skipped, make-up days worked.

    A working day is a day of ``days`` that is not in ``holidays``, or a date in
    ``workdays``: make-up working days (调休) such as Saturday 2026-05-09 in China,
    worked in exchange for a longer holiday. A date in both lists is a
    contradiction and fails validation; a workday that is already one of ``days``
    changes nothing. Both lists hold only the dates you give: past the last year
    they cover, only ``days`` count (see `custcare.complaints.china_calendar` for
    filling them from a calendar package, which refuses years it has no data for).

    Examples:
        >>> BusinessHours(start=time(9), end=time(18), days=("Mon", "Tue")).seconds_per_day
        32400.0
        >>> h = BusinessHours(workdays=(date(2026, 5, 9),))
        >>> h.is_working_day(date(2026, 5, 9)), h.is_working_day(date(2026, 5, 10))
        (True, False)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time = time(9, 0)
    end: time = time(18, 0)
    days: tuple[Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], ...] = (
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
    )
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = Field(
        default=(), description="Make-up working days (调休) outside ``days``, e.g. a Saturday."
    )

    @model_validator(mode="after")
    def _valid(self) -> BusinessHours:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are local wall times: give them without tzinfo")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if not self.days:
            raise ValueError("days must name at least one working day")
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            shown = ", ".join(d.isoformat() for d in both[:3])
            raise ValueError(
                f"{len(both)} date(s) are both a holiday and a make-up working day "
                f"({shown}): a day is one or the other"
            )
        return self

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (its weekday, holidays and make-up days)."""
        if day in self.workdays:
            return True
        return _WEEKDAYS[day.weekday()] in self.days and day not in self.holidays

    @property
    def seconds_per_day(self) -> float:
        """Working seconds in one working day."""
        return float(_seconds(self.end) - _seconds(self.start))

    @property
    def weekmask(self) -> str:
        """The days as a numpy weekmask, e.g. ``"1111100"``."""
        return "".join("1" if d in self.days else "0" for d in _WEEKDAYS)


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _default_targets() -> dict[Level, SLATarget]:
    h = timedelta(hours=1)
    return {
        "P1": SLATarget(first_response=0.5 * h, resolution=8 * h),
        "P2": SLATarget(first_response=2 * h, resolution=24 * h),
        "P3": SLATarget(first_response=8 * h, resolution=72 * h),
        "P4": SLATarget(first_response=24 * h, resolution=168 * h),
    }


class SLAPolicy(BaseModel):
    """Response and resolution targets per level, in a named time zone.

    Defaults: P1 respond in 30 min / resolve in 8 h; P2 2 h / 24 h; P3 8 h / 72 h;
    P4 24 h / 7 days, counted around the clock in Asia/Shanghai. Give
    ``business_hours`` to count working time only. A ``timezone`` that `zoneinfo`
    cannot load (a region such as ``"Asia"``, a path, a misspelling) fails
    validation with the error type ``unknown_timezone``.

    Examples:
        >>> policy = SLAPolicy(timezone="Asia/Shanghai", business_hours=BusinessHours())
        >>> policy.targets["P1"].first_response
        datetime.timedelta(seconds=1800)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: Annotated[str, Field(description="IANA zone name, e.g. 'Asia/Shanghai'.")] = (
        "Asia/Shanghai"
    )
    targets: dict[Level, SLATarget] = Field(default_factory=_default_targets)
    business_hours: BusinessHours | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # zoneinfo raises IsADirectoryError for a region ("Asia"), other OSErrors for
        # names too long for a file name, ValueError for paths: all are unknown zones.
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            shown = value if len(value) <= _SHOWN_NAME else value[: _SHOWN_NAME - 1] + "…"
            raise PydanticCustomError(
                "unknown_timezone",
                "unknown time zone '{name}': use an IANA name such as 'Asia/Shanghai'",
                {"name": shown},
            ) from exc
        return value

    @field_validator("targets")
    @classmethod
    def _all_levels(cls, value: dict[Level, SLATarget]) -> dict[Level, SLATarget]:
        missing = [lv for lv in LEVELS if lv not in value]
        if missing:
            raise ValueError(f"targets must cover every level; missing {missing}")
        for hi, lo in pairwise(LEVELS):
            if value[hi].first_response > value[lo].first_response:
                raise ValueError(
                    f"{hi} first_response must not be longer than {lo}'s: a more urgent "
                    "level gets a shorter target"
                )
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The policy's time zone."""
        return ZoneInfo(self.timezone)

    def deadline(self, start: datetime, target: timedelta) -> datetime:
        """``start`` plus ``target`` of business time, as an aware datetime in the zone.

        Examples:
            >>> from zoneinfo import ZoneInfo
            >>> sh = ZoneInfo("Asia/Shanghai")
            >>> p = SLAPolicy(business_hours=BusinessHours())
            >>> friday_evening = datetime(2026, 6, 26, 20, 0, tzinfo=sh)
            >>> p.deadline(friday_evening, timedelta(hours=2)).isoformat()
            '2026-06-29T11:00:00+08:00'
        """
        epoch = np.array([start.timestamp()])
        due = add_business_seconds(epoch, np.array([target.total_seconds()]), self)
        return datetime.fromtimestamp(float(due[0]), tz=timezone.utc).astimezone(self.zone)


def _utc_offsets(epoch_seconds: NDArray[np.float64], zone: ZoneInfo) -> NDArray[np.float64]:
    """UTC offset (seconds) of each instant in ``zone``, one Python call per distinct hour."""
    hours = np.floor(epoch_seconds / 3600.0)
    uniq, inverse = np.unique(hours, return_inverse=True)
    offsets = np.array(
        [
            (
                datetime.fromtimestamp(h * 3600.0, tz=timezone.utc).astimezone(zone).utcoffset()
                or timedelta(0)
            ).total_seconds()
            for h in uniq
        ],
        dtype=np.float64,
    )
    return offsets[inverse.reshape(-1)]


def _local_to_utc(local: NDArray[np.float64], zone: ZoneInfo) -> NDArray[np.float64]:
    """Invert local wall seconds to UTC epoch seconds (two passes settle DST edges)."""
    guess = local - _utc_offsets(local, zone)
    return local - _utc_offsets(guess, zone)


def add_business_seconds(
    start: NDArray[np.float64], seconds: NDArray[np.float64], policy: SLAPolicy
) -> NDArray[np.float64]:
    """Vectorised deadlines: ``start + seconds`` of business time, as epoch seconds.

    Without business hours this is plain addition. With them, time outside working
    hours, on non-working days and on holidays does not count.

    Examples:
        >>> import numpy as np
        >>> p = SLAPolicy(timezone="UTC", business_hours=BusinessHours())
        >>> monday_9am = 1782723600.0  # 2026-06-29 09:00 UTC
        >>> due = add_business_seconds(np.array([monday_9am]), np.array([10 * 3600.0]), p)
        >>> float(due[0] - monday_9am) / 3600  # 9 h on Monday, 1 h on Tuesday
        25.0
    """
    start = np.asarray(start, dtype=np.float64)
    seconds = np.asarray(seconds, dtype=np.float64)
    hours = policy.business_hours
    if hours is None:
        return start + seconds
    zone = policy.zone
    local = start + _utc_offsets(start, zone)
    day = np.floor(local / 86400.0).astype(np.int64)
    tod = local - day * 86400.0
    open_s, close_s = float(_seconds(hours.start)), float(_seconds(hours.end))
    per_day = close_s - open_s
    days = day.astype("datetime64[D]")
    calendar = _busday_calendar(hours, days, seconds, per_day)
    is_work = np.is_busday(days, busdaycal=calendar)
    # Move the clock to the first working moment at or after start.
    before_open = is_work & (tod < open_s)
    after_close = ~is_work | (tod >= close_s)
    first_day = np.where(
        after_close,
        np.busday_offset(days, 1, roll="forward", busdaycal=calendar) if days.size else days,
        days,
    )
    first_day = np.where(
        ~is_work,
        np.busday_offset(days, 0, roll="forward", busdaycal=calendar),
        first_day,
    )
    first_tod = np.where(after_close | before_open, open_s, tod)
    available = close_s - first_tod
    fits = seconds <= available
    rest = seconds - available
    extra_days = np.where(fits, 0, np.ceil(rest / per_day)).astype(np.int64)
    due_day = np.busday_offset(first_day, extra_days, roll="forward", busdaycal=calendar)
    due_tod = np.where(fits, first_tod + seconds, open_s + rest - (extra_days - 1) * per_day)
    due_local = due_day.astype(np.int64).astype(np.float64) * 86400.0 + due_tod
    return _local_to_utc(due_local, zone)


def _busday_calendar(
    hours: BusinessHours,
    days: NDArray[np.datetime64],
    seconds: NDArray[np.float64],
    per_day: float,
) -> np.busdaycalendar:
    """The working-day calendar for deadlines starting on ``days``.

    Without make-up days this is numpy's weekmask with the holidays. numpy cannot
    add a working day to a weekmask, so with make-up days every day is a weekday
    and each non-working day in the span the deadlines can reach is a "holiday".
    The span is bounded: each holiday takes away at most one working day, make-up
    days only add, so ``needed + holidays + 1`` regular working days suffice.
    """
    holidays = np.array(sorted(hours.holidays), dtype="datetime64[D]")
    if not hours.workdays or days.size == 0:
        return np.busdaycalendar(weekmask=hours.weekmask, holidays=holidays)
    finite = np.isfinite(seconds)
    needed = int(np.ceil(np.max(seconds[finite]) / per_day)) if finite.any() else 0
    per_week = len(set(hours.days))
    spare = needed + len(hours.holidays) + 2
    lo = days.min()
    hi = days.max() + np.timedelta64(7 * (spare // per_week + 2), "D")
    span = np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]")
    regular = np.is_busday(span, weekmask=hours.weekmask, holidays=holidays)
    extra = np.isin(span, np.array(sorted(hours.workdays), dtype="datetime64[D]"))
    return np.busdaycalendar(weekmask="1111111", holidays=span[~(regular | extra)])
