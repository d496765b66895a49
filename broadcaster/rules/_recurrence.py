"""Recurrence rules of a schedule: pure functions, no database.

:func:`expand` is the single source of truth for *when* a schedule airs; the planner, the conflict
check and the iCalendar export all call it. A schedule-like object is anything with the attributes
of :class:`broadcaster.models.Schedule` (the model itself, a ``SimpleNamespace``, a dataclass) or a
mapping with the same keys.

Wall times are read in the station's zone through :mod:`zoneinfo`, so a 05:30 slot stays at 05:30
local across a DST change: a wall time that does not exist that day (spring forward) airs at the
first valid instant after the gap, an ambiguous one (fall back) airs once, at its first instance.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from ..models import WEEKDAY_NAMES

ONCE, DAILY, WEEKLY, MONTHLY_DAY, MONTHLY_NTH = "once", "daily", "weekly", "monthly_day", "monthly_nth"
RECURRENCES = (ONCE, DAILY, WEEKLY, MONTHLY_DAY, MONTHLY_NTH)
MAX_REPLAYS = 20


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        value = obj.get(name, default)
    else:
        value = getattr(obj, name, default)
    if value is None:
        value = default  # an unsaved model has None where the column default will go
    # Enum members (Recurrence.WEEKLY) compare by their value string.
    return getattr(value, "value", value) if name in ("recurrence", "priority") else value


#: A schedule's field, whether the schedule is a row, an unsaved form or a dict.
schedule_field = _get


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _as_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    return time.fromisoformat(str(value))


def local_to_utc(day: date, wall: time, tz: tzinfo | str) -> datetime:
    """Give back the aware UTC instant of a local wall time on a day, DST gaps shifted forward."""
    zone = _zone(tz)
    local = datetime.combine(day, wall.replace(tzinfo=None), tzinfo=zone)  # fold=0: first instance
    utc = local.astimezone(UTC)
    # A wall time inside a spring-forward gap does not round-trip; zoneinfo with fold=0 already maps
    # it after the gap (02:30 → 03:30), which is what a listener expects, so keep it.
    return utc


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> date | None:
    days = [
        d
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    if nth == -1:
        return date(year, month, days[-1])
    if 1 <= nth <= len(days):
        return date(year, month, days[nth - 1])
    return None  # no 5th Friday this month


def _days(schedule: Any, first: date, last: date) -> list[date]:
    """Give back the local dates in [first, last] on which the schedule airs (range and skips applied)."""
    kind = _get(schedule, "recurrence")
    start = _as_date(_get(schedule, "start_date"))
    if start is None:
        return []
    end = start if kind == ONCE else _as_date(_get(schedule, "end_date"))
    lo = max(first, start)
    hi = last if end is None else min(last, end)
    if lo > hi:
        return []
    skips = {_as_date(d) for d in (_get(schedule, "skip_dates") or [])}
    out: list[date] = []
    if kind in (ONCE, DAILY, WEEKLY):
        weekdays = set(_get(schedule, "weekdays") or []) if kind == WEEKLY else None
        d = lo
        while d <= hi:
            if weekdays is None or d.weekday() in weekdays:
                out.append(d)
            d += timedelta(days=1)
    elif kind in (MONTHLY_DAY, MONTHLY_NTH):
        y, m = lo.year, lo.month
        while (y, m) <= (hi.year, hi.month):
            if kind == MONTHLY_DAY:
                md = _get(schedule, "month_day")
                d = date(y, m, md) if md and md <= calendar.monthrange(y, m)[1] else None
            else:
                d = _nth_weekday(y, m, _get(schedule, "nth"), _get(schedule, "nth_weekday"))
            if d is not None and lo <= d <= hi:
                out.append(d)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return [d for d in out if d not in skips]


def replay_count_on(schedule: Any, day: date) -> int:
    """Give back how many times the schedule airs in its slot of a local day (its repeats, or once).

    Repeats are for every airing day, or only for ``replay_on`` when that is set.
    """
    count = max(1, int(_get(schedule, "replay_count", 1) or 1))
    only = _as_date(_get(schedule, "replay_on"))
    return count if only is None or only == day else 1


def _starts(
    schedule: Any, start_utc: datetime, end_utc: datetime, tz: tzinfo | str, replays: bool
) -> list[tuple[datetime, int]]:
    if start_utc.tzinfo is None or end_utc.tzinfo is None:
        raise ValueError("expand needs aware datetimes")
    zone = _zone(tz)
    wall = _as_time(_get(schedule, "start_time"))
    most = max(1, int(_get(schedule, "replay_count", 1) or 1)) if replays else 1
    gap = int(_get(schedule, "replay_gap_s", 0) or 0)
    span = timedelta(seconds=max(0, gap) * (most - 1))
    # Local dates that can hold a start in range: widen by a day each side for zone offsets, and
    # back by the repeats' span (a repeat of yesterday's slot may air after midnight).
    first = (start_utc - span).astimezone(zone).date() - timedelta(days=1)
    last = end_utc.astimezone(zone).date() + timedelta(days=1)
    out: list[tuple[datetime, int]] = []
    for day in _days(schedule, first, last):
        base = local_to_utc(day, wall, zone)
        for k in range(replay_count_on(schedule, day) if replays else 1):
            at = base + timedelta(seconds=gap * k)
            if start_utc <= at < end_utc:
                out.append((at, k))
    return sorted(out)


def expand(
    schedule: Any, start_utc: datetime, end_utc: datetime, tz: tzinfo | str, *, replays: bool = False
) -> list[datetime]:
    """Give back the aware UTC starts of a schedule in ``[start_utc, end_utc)``, sorted.

    Without ``replays`` one start per airing day (the slot start); with it, every repeat too
    (:func:`replay_count_on` starts that day, ``replay_gap_s`` seconds apart, start to start).
    """
    return [at for at, _k in _starts(schedule, start_utc, end_utc, tz, replays)]


def expand_occurrences(
    schedule: Any, start_utc: datetime, end_utc: datetime, tz: tzinfo | str
) -> list[tuple[datetime, int]]:
    """Give back ``(scheduled_at, replay_index)`` pairs in ``[start_utc, end_utc)``, sorted."""
    return _starts(schedule, start_utc, end_utc, tz, True)


def window_end(schedule: Any, scheduled_at: datetime, replay_index: int = 0) -> datetime:
    """Give back when the slot of an airing closes: the slot start plus the window length."""
    gap = int(_get(schedule, "replay_gap_s", 0) or 0)
    slot_start = scheduled_at - timedelta(seconds=gap * replay_index)
    return slot_start + timedelta(minutes=int(_get(schedule, "window_minutes", 0) or 0))


def _fmt_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def validate_schedule(schedule: Any, *, require_zones: bool = False) -> list[str]:
    """Give back the Vietnamese errors of a schedule's recurrence; empty when it is valid."""
    errors: list[str] = []
    kind = _get(schedule, "recurrence")
    if kind not in RECURRENCES:
        return ["Kiểu lặp lại không hợp lệ: chọn một lần, hằng ngày, hằng tuần hoặc hằng tháng."]
    start = end = None
    try:
        start = _as_date(_get(schedule, "start_date"))
        end = _as_date(_get(schedule, "end_date"))
    except (TypeError, ValueError):
        errors.append("Ngày bắt đầu hoặc ngày kết thúc không đúng định dạng ngày.")
    if start is None and not errors:
        errors.append("Cần chọn ngày bắt đầu.")
    if start and end and kind != ONCE and end < start:
        errors.append(f"Ngày kết thúc ({_fmt_date(end)}) phải sau ngày bắt đầu ({_fmt_date(start)}).")
    try:
        _as_time(_get(schedule, "start_time"))
    except (TypeError, ValueError):
        errors.append("Giờ bắt đầu không hợp lệ (dạng GG:PP).")
    if kind == WEEKLY:
        days = _get(schedule, "weekdays") or []
        if not days:
            errors.append("Lịch hằng tuần cần chọn ít nhất một ngày trong tuần.")
        elif any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
            errors.append("Ngày trong tuần không hợp lệ (chỉ từ Thứ Hai đến Chủ nhật).")
    if kind == MONTHLY_DAY:
        md = _get(schedule, "month_day")
        if not isinstance(md, int) or not 1 <= md <= 31:
            errors.append(f"Ngày trong tháng phải từ 1 đến 31 (đang là {md}).")
    if kind == MONTHLY_NTH:
        nth, wd = _get(schedule, "nth"), _get(schedule, "nth_weekday")
        if nth not in (1, 2, 3, 4, 5, -1):
            errors.append("Tuần thứ mấy trong tháng phải là 1 đến 5, hoặc «cuối tháng».")
        if not isinstance(wd, int) or not 0 <= wd <= 6:
            errors.append("Cần chọn ngày trong tuần cho lịch «thứ … của tuần thứ … trong tháng».")
    window = _get(schedule, "window_minutes")
    if not isinstance(window, int) or window <= 0:
        errors.append("Khung giờ phát phải dài hơn 0 phút.")
        window = None
    elif window > 24 * 60:
        errors.append("Khung giờ phát không được dài quá 24 giờ.")
    count = _get(schedule, "replay_count", 1)
    gap = _get(schedule, "replay_gap_s", 0)
    if not isinstance(count, int) or not 1 <= count <= MAX_REPLAYS:
        errors.append(f"Số lần phát phải từ 1 đến {MAX_REPLAYS}.")
    elif isinstance(gap, int) and gap < 0:
        errors.append("Phát lại nhiều lần: khoảng cách giữa các lần phát phải là một số phút không âm.")
    elif count > 1:
        if not isinstance(gap, int) or gap <= 0:
            errors.append("Phát lại nhiều lần thì khoảng cách giữa các lần phát phải lớn hơn 0 phút.")
        elif window and gap * (count - 1) >= window * 60:
            errors.append(
                f"Lần phát lại thứ {count} bắt đầu sau {gap * (count - 1) // 60} phút, nằm ngoài khung giờ "
                f"phát {window} phút: giảm số lần phát lại, khoảng cách, hoặc mở rộng khung giờ."
            )
    try:
        only = _as_date(_get(schedule, "replay_on"))
    except (TypeError, ValueError):
        only = None
        errors.append("Chỉ phát nhiều lần vào ngày: ngày không đúng định dạng (dd/mm/yyyy).")
    if only is not None and not errors and start is not None and not _days(schedule, only, only):
        errors.append(
            f"Chỉ phát nhiều lần vào ngày {_fmt_date(only)}: ngày đó lịch này không phát; "
            "hãy chọn một ngày phát của lịch, hoặc để trống để phát nhiều lần mọi buổi."
        )
    grace = _get(schedule, "misfire_grace_s", None)  # None: the station's grace
    if grace is not None and (not isinstance(grace, int) or grace < 0):
        errors.append("Thời gian cho phép phát trễ phải là số giây không âm.")
    if _get(schedule, "overrun", "stop") not in ("stop", "fade", "allow"):
        errors.append("Cách xử lý khi quá khung giờ phải là dừng, giảm dần âm lượng, hoặc cho phép.")
    if _get(schedule, "on_interrupt", "resume") not in ("resume", "log"):
        errors.append("Cách xử lý khi bị ngắt phải là phát lại mục bị ngắt hoặc chỉ ghi nhật ký.")
    for raw in _get(schedule, "skip_dates") or []:
        try:
            _as_date(raw)
        except (TypeError, ValueError):
            errors.append(f"Ngày nghỉ «{raw}» không đúng định dạng ngày (NNNN-TT-NN).")
    if require_zones and not (_get(schedule, "zones") or []):
        errors.append("Cần chọn ít nhất một cụm loa để phát.")
    if not errors and start is not None and kind in (MONTHLY_DAY, MONTHLY_NTH, WEEKLY, ONCE):
        # A valid-looking rule that never fires (weekday outside a short range, 31st in Feb only...).
        last = end or start + timedelta(days=400)
        if not _days(schedule, start, min(last, start + timedelta(days=400))):
            errors.append("Lịch này không có ngày phát nào trong khoảng ngày đã chọn.")
    return errors


def replay_overlap_error(schedule: Any, programme_ms: int | None) -> str | None:
    """Give back why the repeats would overlap (a gap shorter than the programme), in Vietnamese, or None.

    A repeat starts ``replay_gap_s`` after the previous one, start to start: a programme longer
    than that would still be airing when the next repeat is due on the same loudspeakers.
    """
    count = _get(schedule, "replay_count", 1)
    gap = _get(schedule, "replay_gap_s", 0)
    if programme_ms is None or not isinstance(count, int) or not isinstance(gap, int) or count < 2:
        return None
    if gap <= 0 or gap * 1000 >= programme_ms:
        return None
    need = -(-programme_ms // 60_000)  # whole minutes, rounded up
    return (
        f"Phát lại nhiều lần: các lần phát cách nhau {_mmss(gap)} nhưng chương trình dài "
        f"{_mmss(programme_ms / 1000)}, lần phát sau sẽ chồng lên lần trước: "
        f"hãy để các lần phát cách nhau ít nhất {need} phút."
    )


def overrun_warning(schedule: Any, programme_ms: int) -> str | None:
    """Give back a Vietnamese warning when the programme (and its replays) outlasts the window."""
    window_s = int(_get(schedule, "window_minutes", 0) or 0) * 60
    count = max(1, int(_get(schedule, "replay_count", 1) or 1))
    gap = int(_get(schedule, "replay_gap_s", 0) or 0)
    needed_s = gap * (count - 1) + programme_ms / 1000
    if window_s and needed_s > window_s:
        over = needed_s - window_s
        action = {
            "stop": "bị cắt ở cuối khung giờ",
            "fade": "được giảm dần âm lượng rồi dừng",
            "allow": "vẫn phát hết (cho phép quá giờ)",
        }.get(_get(schedule, "overrun", "stop"), "bị cắt")
        return (
            f"Chương trình dài {_mmss(programme_ms / 1000)}"
            + (f" (kể cả {count - 1} lần phát lại)" if count > 1 else "")
            + f", vượt khung giờ {window_s // 60} phút thêm {_mmss(over)}: phần thừa sẽ {action}."
        )
    return None


def _mmss(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60} phút {s % 60:02d} giây"


def describe(schedule: Any) -> str:
    """Give back a short Vietnamese description of the recurrence ("Thứ Hai, Thứ Tư lúc 05:30"),
    and of the repeats when there are any ("…, phát 3 lần, cách nhau 15 phút")."""
    return _describe_when(schedule) + repeats_text(schedule)


def repeats_text(schedule: Any) -> str:
    """Give back ", phát N lần, cách nhau M phút[ (chỉ ngày …)]" for a schedule with repeats, else ""."""
    count = _get(schedule, "replay_count", 1)
    if not isinstance(count, int) or count < 2:
        return ""
    minutes = int(_get(schedule, "replay_gap_s", 0) or 0) / 60
    gap = f"{minutes:g}".replace(".", ",")
    only = _as_date(_get(schedule, "replay_on"))
    day = f" (chỉ ngày {_fmt_date(only)})" if only is not None else ""
    return f", phát {count} lần, cách nhau {gap} phút{day}"


def _describe_when(schedule: Any) -> str:
    kind = _get(schedule, "recurrence")
    at = _as_time(_get(schedule, "start_time")).strftime("%H:%M")
    if kind == ONCE:
        return f"Một lần, ngày {_fmt_date(_as_date(_get(schedule, 'start_date')))} lúc {at}"
    if kind == DAILY:
        return f"Hằng ngày lúc {at}"
    if kind == WEEKLY:
        days = ", ".join(WEEKDAY_NAMES[d] for d in sorted(_get(schedule, "weekdays") or []))
        return f"Hằng tuần vào {days} lúc {at}"
    if kind == MONTHLY_DAY:
        return f"Ngày {_get(schedule, 'month_day')} hằng tháng lúc {at}"
    nth = _get(schedule, "nth")
    which = "cuối cùng" if nth == -1 else f"thứ {nth}"
    return f"{WEEKDAY_NAMES[_get(schedule, 'nth_weekday')]} {which} của tháng lúc {at}"


def enabled_schedules(session, station_id: int) -> list:
    """Give back the station's enabled schedules, with zones, programme, items and segments loaded.

    The forecast and the reports' plan both expand these; one query so they see the same set.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from ..models import Programme, ProgrammeItem, Schedule

    return list(
        session.scalars(
            select(Schedule)
            .where(Schedule.station_id == station_id, Schedule.enabled.is_(True))
            .options(
                selectinload(Schedule.zones),
                selectinload(Schedule.programme)
                .selectinload(Programme.items)
                .selectinload(ProgrammeItem.segment),
            )
            .order_by(Schedule.id)
        )
    )
