"""Schedules that would air on the same loudspeakers at the same time, found before saving."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import Schedule, Station
from ..rules import expand, validate_schedule
from ..rules import schedule_field as _get

HORIZON = timedelta(days=366)


def _intervals(schedule: Any, lo: datetime, hi: datetime, tz: tzinfo) -> list[tuple[datetime, datetime]]:
    window = timedelta(minutes=int(_get(schedule, "window_minutes", 0) or 0))
    return [(at, at + window) for at in expand(schedule, lo - window, hi, tz)]


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


def find_conflicts(session: Session, schedule: Any, *, now: datetime | None = None) -> list[str]:
    """Give back Vietnamese messages naming each other schedule whose window overlaps on a shared zone.

    ``schedule`` may be unsaved (the form being edited); the search covers the coming year.
    """
    if validate_schedule(schedule):
        return []
    now = now or utcnow()
    zones = list(_get(schedule, "zones") or [])
    zone_ids = {getattr(z, "id", z) for z in zones}
    if not zone_ids:
        return []
    station_id = _get(schedule, "station_id")
    station = session.get(Station, station_id) if station_id is not None else None
    tz = ZoneInfo(station.timezone if station else "Asia/Ho_Chi_Minh")
    own_id = _get(schedule, "id")
    mine = _intervals(schedule, now, now + HORIZON, tz)
    messages = []
    with session.no_autoflush:
        query = select(Schedule).where(Schedule.enabled.is_(True)).order_by(Schedule.id)
        if station_id is not None:
            query = query.where(Schedule.station_id == station_id)
        for other in session.scalars(query):
            if own_id is not None and other.id == own_id:
                continue
            shared = [z for z in other.zones if z.id in zone_ids]
            if not shared or validate_schedule(other):
                continue
            hit = first_overlap(mine, _intervals(other, now, now + HORIZON, tz))
            if hit is None:
                continue
            a, b = (t.astimezone(tz) for t in hit)
            b_end = b + timedelta(minutes=other.window_minutes)
            at = max(a, b)
            messages.append(
                f"Trùng giờ với lịch «{other.name or f'số {other.id}'}» trên cụm loa «{shared[0].name}»: "
                f"ngày {at:%d/%m/%Y} lúc {at:%H:%M} (lịch kia phát {b:%H:%M}–{b_end:%H:%M})."
            )
    return messages
