"""Schedules that would air on the same loudspeakers at the same time, found before saving.

A slot keeps its loudspeakers busy only as long as its programme really lasts (the rendered or
estimated duration, its replays, plus :data:`MARGIN`), never longer than its window: a 30-minute
window holding a 4-minute programme does not block the other 26 minutes.

Circular 39 lets a priority bulletin go first: a priority (or emergency) slot that overlaps a
normal one is not refused; it takes the loudspeakers and the normal airing is skipped, visibly
(:func:`takeovers` marks it, the planner writes the reason, the forecast shows it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import PRIORITY_RANK, Priority, Programme, Schedule, Station
from ..rules import expand, item_durations, replay_count_on, show_duration, validate_schedule, window_end
from ..rules import schedule_field as _get

HORIZON = timedelta(days=366)
#: Added to a programme's duration before it frees its loudspeakers (late start, render jitter).
MARGIN = timedelta(minutes=2)
YIELD_PREFIX = "Nhường khung giờ cho bản tin ưu tiên"


def programme_ms(session: Session, programme_id: int | None) -> int | None:
    """Give back a programme's rendered-or-estimated duration in milliseconds (None when unknown)."""
    prog = session.get(Programme, programme_id) if programme_id is not None else None
    return item_durations(prog)[1] if prog is not None else None


def busy_span(schedule: Any, duration_ms: int | None, count: int | None = None) -> timedelta:
    """Give back how long a slot keeps its loudspeakers: replays, programme and margin, within its window.

    ``count``: how many times it airs that day (:func:`replay_count_on`); all its repeats by default.
    """
    window = timedelta(minutes=int(_get(schedule, "window_minutes", 0) or 0))
    if duration_ms is None:
        return window
    if count is None:
        count = max(1, int(_get(schedule, "replay_count", 1) or 1))
    gap = int(_get(schedule, "replay_gap_s", 0) or 0)
    needed = timedelta(seconds=gap * (count - 1), milliseconds=duration_ms) + MARGIN
    return min(window, needed)


def airing_end(schedule: Any, at: datetime, replay_index: int, duration_ms: int | None) -> datetime:
    """Give back when one airing frees its loudspeakers: its programme plus the margin, within its window."""
    closes = window_end(schedule, at, replay_index)
    if duration_ms is None:
        return closes
    return min(closes, at + timedelta(milliseconds=duration_ms) + MARGIN)


def span_text(schedule: Any, duration_ms: int | None) -> str:
    """Give back how a slot's busy time was reckoned, in Vietnamese, for the messages."""
    span = busy_span(schedule, duration_ms)
    window = timedelta(minutes=int(_get(schedule, "window_minutes", 0) or 0))
    if duration_ms is None or span >= window:
        return f"cả khung giờ {int(window.total_seconds() // 60)} phút"
    count = max(1, int(_get(schedule, "replay_count", 1) or 1))
    replays = f", {count - 1} lần phát lại" if count > 1 else ""
    return (
        f"chương trình dài khoảng {show_duration(duration_ms)}{replays}, "
        f"cộng {int(MARGIN.total_seconds() // 60)} phút dự phòng"
    )


def _intervals(
    schedule: Any, lo: datetime, hi: datetime, tz: tzinfo, duration_ms: int | None
) -> list[tuple[datetime, datetime]]:
    """Give back each slot's busy interval; a slot whose repeats are for another day airs once."""
    span = busy_span(schedule, duration_ms)
    return [
        (at, at + busy_span(schedule, duration_ms, replay_count_on(schedule, at.astimezone(tz).date())))
        for at in expand(schedule, lo - span, hi, tz)
    ]


def first_overlap(
    a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]
) -> tuple[datetime, datetime] | None:
    """Give back the first overlapping pair's (start of a, start of b) in two sorted interval lists."""
    i = j = 0
    while i < len(a) and j < len(b):
        (s1, e1), (s2, e2) = a[i], b[j]
        if s1 < e2 and s2 < e1:
            return s1, s2
        if e1 <= e2:
            i += 1
        else:
            j += 1
    return None


def _rank(schedule: Any) -> int:
    return PRIORITY_RANK[Priority(_get(schedule, "priority") or Priority.NORMAL.value)]


def takes_over(winner: Any, loser: Any) -> bool:
    """Tell whether ``winner``'s airing may take the loudspeakers of ``loser``'s (Circular 39)."""
    return _rank(loser) == PRIORITY_RANK[Priority.NORMAL] and _rank(winner) < _rank(loser)


@dataclass
class _Clash:
    other: Schedule
    zone_name: str
    mine_at: datetime
    other_at: datetime
    other_ms: int | None


def _clashes(session: Session, schedule: Any, now: datetime | None) -> Iterator[_Clash]:
    if validate_schedule(schedule):
        return
    now = now or utcnow()
    zones = list(_get(schedule, "zones") or [])
    zone_ids = {getattr(z, "id", z) for z in zones}
    if not zone_ids:
        return
    station_id = _get(schedule, "station_id")
    station = session.get(Station, station_id) if station_id is not None else None
    tz = ZoneInfo(station.timezone if station else "Asia/Ho_Chi_Minh")
    own_id = _get(schedule, "id")
    durations: dict[int | None, int | None] = {}

    def ms(programme_id: int | None) -> int | None:
        if programme_id not in durations:
            durations[programme_id] = programme_ms(session, programme_id)
        return durations[programme_id]

    with session.no_autoflush:
        mine_ms = ms(_get(schedule, "programme_id"))
        mine = _intervals(schedule, now, now + HORIZON, tz, mine_ms)
        query = select(Schedule).where(Schedule.enabled.is_(True)).order_by(Schedule.id)
        if station_id is not None:
            query = query.where(Schedule.station_id == station_id)
        for other in session.scalars(query):
            if own_id is not None and other.id == own_id:
                continue
            shared = [z for z in other.zones if z.id in zone_ids]
            if not shared or validate_schedule(other):
                continue
            other_ms = ms(other.programme_id)
            hit = first_overlap(mine, _intervals(other, now, now + HORIZON, tz, other_ms))
            if hit is not None:
                a, b = (t.astimezone(tz) for t in hit)
                yield _Clash(other, shared[0].name, a, b, other_ms)


def _name(schedule: Any) -> str:
    return _get(schedule, "name") or f"số {_get(schedule, 'id')}"


def find_conflicts(session: Session, schedule: Any, *, now: datetime | None = None) -> list[str]:
    """Give back Vietnamese messages naming each other schedule whose airing overlaps on a shared zone.

    ``schedule`` may be unsaved (the form being edited); the search covers the coming year. A
    priority slot over a normal one is not a conflict (see :func:`find_takeovers`).
    """
    messages = []
    for c in _clashes(session, schedule, now):
        if takes_over(schedule, c.other) or takes_over(c.other, schedule):
            continue
        at = max(c.mine_at, c.other_at)
        b_end = c.other_at + busy_span(c.other, c.other_ms, replay_count_on(c.other, c.other_at.date()))
        messages.append(
            f"Trùng giờ với lịch «{_name(c.other)}» trên cụm loa «{c.zone_name}»: "
            f"ngày {at:%d/%m/%Y} lúc {at:%H:%M} (lịch kia chiếm loa {c.other_at:%H:%M}–{b_end:%H:%M}: "
            f"{span_text(c.other, c.other_ms)})."
        )
    return messages


def find_takeovers(session: Session, schedule: Any, *, now: datetime | None = None) -> list[str]:
    """Give back Vietnamese notices of the normal airings a priority slot will take over (or the reverse)."""
    messages = []
    for c in _clashes(session, schedule, now):
        at = max(c.mine_at, c.other_at)
        if takes_over(schedule, c.other):
            messages.append(
                f"Lịch ưu tiên này chiếm khung giờ của lịch «{_name(c.other)}» trên cụm loa «{c.zone_name}» "
                f"(lần đầu ngày {at:%d/%m/%Y} lúc {c.other_at:%H:%M}): buổi phát thông thường đó sẽ "
                "bị bỏ qua, nhường khung giờ cho bản tin ưu tiên."
            )
        elif takes_over(c.other, schedule):
            messages.append(
                f"Lịch ưu tiên «{_name(c.other)}» chiếm cụm loa «{c.zone_name}» lúc {c.other_at:%H:%M} "
                f"(lần đầu ngày {at:%d/%m/%Y}): buổi phát thông thường của lịch này trùng giờ sẽ bị bỏ qua."
            )
    return messages


@dataclass
class Slot:
    """One airing as :func:`takeovers` sees it: who, where, when, how long, how urgent."""

    key: Any
    zone_id: int | None
    start: datetime
    end: datetime
    priority: Priority
    title: str
    from_hub: bool = False  # a district airing: the reason names the district


def yield_reason(winner: Slot, tz: tzinfo | None = None) -> str:
    """Give back why a normal airing gives way to ``winner``: whose bulletin, which, and when it airs."""
    whose = " của huyện" if winner.from_hub else ""
    when = f" lúc {winner.start.astimezone(tz):%H:%M}" if tz is not None else ""
    return f"{YIELD_PREFIX}{whose} «{winner.title}»{when}."


def takeovers(slots: Iterable[Slot], tz: tzinfo | None = None) -> dict[Any, str]:
    """Give back, by slot key, the reason each normal airing is skipped for an overlapping priority one
    (with the priority airing's time in ``tz`` when given)."""
    by_zone: dict[int | None, list[Slot]] = {}
    for s in slots:
        by_zone.setdefault(s.zone_id, []).append(s)
    out: dict[Any, str] = {}
    for zone_slots in by_zone.values():
        urgent = [s for s in zone_slots if s.priority != Priority.NORMAL]
        if not urgent:
            continue
        for s in zone_slots:
            if s.priority != Priority.NORMAL:
                continue
            winner = next((u for u in urgent if u.start < s.end and s.start < u.end), None)
            if winner is not None:
                out[s.key] = yield_reason(winner, tz)
    return out
