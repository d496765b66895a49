"""The broadcast schedule as iCalendar (RFC 5545), for staff to subscribe to on their phones.

One VEVENT per enabled schedule: DTSTART at the first airing in the station's timezone (with a
VTIMEZONE), an RRULE for daily / weekly / monthly schedules, UNTIL at the last airing of the end
date (in UTC, as RFC 5545 requires when DTSTART has a TZID), EXDATE for each skipped date, and a
DURATION of the schedule's window. The rule is written so a calendar expands it to exactly the
starts :func:`broadcaster.playout.expand` gives (the tests check that, in both TZ=UTC and
TZ=Asia/Ho_Chi_Minh). Replays are described, not emitted: the event is the slot.

The URL carries a per-user secret (``User.ics_token``) instead of a login session, because phone
calendar apps cannot log in; regenerating the token invalidates the old URL at once.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..db import utcnow
from ..models import PRIORITY_LABELS, Priority, Recurrence, Schedule, Station, User
from ._plan import planned_times

BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FIRST_SEARCH_DAYS = 800  # a monthly "5th Friday" rule may wait a while for its first airing


def ensure_ics_token(session: Session, user: User, *, regenerate: bool = False) -> str:
    """Give back the user's calendar token, creating it (or replacing it) when asked."""
    if user.ics_token and not regenerate:
        return user.ics_token
    user.ics_token = secrets.token_urlsafe(32)
    session.flush()
    return user.ics_token


def user_for_ics_token(session: Session, token: str) -> User | None:
    """Give back the active user a calendar token belongs to, or None."""
    if not token or len(token) < 20 or len(token) > 64:
        return None
    user = session.scalar(select(User).where(User.ics_token == token))
    if user is None or not user.active or not secrets.compare_digest(user.ics_token or "", token):
        return None
    return user


def _first_start(sch: Schedule, tz: str) -> datetime | None:
    lo = datetime.combine(sch.start_date, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    hi = lo + timedelta(days=FIRST_SEARCH_DAYS + 2)
    times = planned_times(sch, lo, hi, tz, replays=False)
    return times[0] if times else None


def _rrule(sch: Schedule, tz: ZoneInfo) -> dict | None:
    kind = Recurrence(sch.recurrence)
    if kind == Recurrence.ONCE:
        return None
    rule: dict = {}
    if kind == Recurrence.DAILY:
        rule["FREQ"] = "DAILY"
    elif kind == Recurrence.WEEKLY:
        rule["FREQ"] = "WEEKLY"
        rule["BYDAY"] = [BYDAY[d] for d in sorted(set(sch.weekdays or []))]
        rule["WKST"] = "MO"
    elif kind == Recurrence.MONTHLY_DAY:
        rule["FREQ"] = "MONTHLY"
        rule["BYMONTHDAY"] = [sch.month_day]
    else:
        rule["FREQ"] = "MONTHLY"
        rule["BYDAY"] = [f"{sch.nth}{BYDAY[sch.nth_weekday]}"]
    if sch.end_date is not None:
        # UNTIL is inclusive and must be UTC when DTSTART carries a TZID: the end date's airing.
        last = datetime.combine(sch.end_date, sch.start_time, tzinfo=tz)
        rule["UNTIL"] = last.astimezone(UTC)
    return rule


def schedule_event(sch: Schedule, tz_name: str, stamp: datetime) -> Event | None:
    """Give back the VEVENT of one schedule, or None when it never airs."""
    first = _first_start(sch, tz_name)
    if first is None:
        return None
    tz = ZoneInfo(tz_name)
    local_tz = UTC if tz_name == "UTC" else tz
    ev = Event()
    ev.add("uid", f"{sch.uid}@broadcaster")
    ev.add("dtstamp", stamp)
    ev.add("last-modified", sch.updated_at or stamp)
    title = sch.programme.title if sch.programme else (sch.name or "Chương trình phát thanh")
    ev.add("summary", f"Phát thanh: {title}")
    zones = ", ".join(z.name for z in sch.zones) or "Toàn xã"
    ev.add("location", zones)
    desc = [
        f"Lịch: {sch.name}" if sch.name else "",
        f"Cụm loa: {zones}",
        f"Mức ưu tiên: {PRIORITY_LABELS[Priority(sch.priority)]}",
        f"Khung giờ: {sch.window_minutes} phút",
    ]
    if (sch.replay_count or 1) > 1:
        gap_m, gap_s = divmod(sch.replay_gap_s, 60)
        only = f" (chỉ ngày {sch.replay_on:%d/%m/%Y})" if sch.replay_on else ""
        desc.append(f"Phát {sch.replay_count} lần, cách nhau {gap_m} phút {gap_s} giây{only}")
    ev.add("description", "\n".join(d for d in desc if d))
    ev.add("dtstart", first.astimezone(local_tz))
    ev.add("duration", timedelta(minutes=sch.window_minutes))
    rule = _rrule(sch, tz)
    if rule is not None:
        ev.add("rrule", rule)
        exdates = []
        for raw in sch.skip_dates or []:
            d = date.fromisoformat(str(raw))
            if d >= first.astimezone(tz).date() and (sch.end_date is None or d <= sch.end_date):
                exdates.append(datetime.combine(d, sch.start_time, tzinfo=tz).astimezone(local_tz))
        if exdates:
            ev.add("exdate", sorted(exdates))
    ev.add("categories", ["Phát thanh"])
    return ev


def schedule_calendar(session: Session, station: Station, *, now: datetime | None = None) -> bytes:
    """Give back the station's enabled schedules as an iCalendar file."""
    stamp = (now or utcnow()).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", "-//broadcaster//Lịch phát thanh xã//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Lịch phát thanh — {station.name}")
    cal.add("x-wr-timezone", station.timezone)
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    schedules = session.scalars(
        select(Schedule)
        .where(Schedule.station_id == station.id, Schedule.enabled.is_(True))
        .options(selectinload(Schedule.zones), selectinload(Schedule.programme))
        .order_by(Schedule.id)
    ).all()
    for sch in schedules:
        ev = schedule_event(sch, station.timezone, stamp)
        if ev is not None:
            cal.add_component(ev)
    if station.timezone != "UTC":
        cal.add_missing_timezones()
    return cal.to_ical()
