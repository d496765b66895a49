"""The iCalendar feed parsed back and expanded, compared with playout's expand() date for date.

Run with the process in TZ=UTC and TZ=Asia/Ho_Chi_Minh, and with the station in either zone:
neither may change a single start.
"""

from __future__ import annotations

import os
import time as _time
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rruleset, rrulestr
from icalendar import Calendar
from sqlalchemy import select

from broadcaster.config import load
from broadcaster.models import Programme, Recurrence, Schedule, Station, User, Zone
from broadcaster.playout import expand
from broadcaster.reports import ensure_ics_token, schedule_calendar, user_for_ics_token
from broadcaster.store import ensure_station, open_store

WINDOW = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


@pytest.fixture(params=["UTC", "Asia/Ho_Chi_Minh"])
def process_tz(request):
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    _time.tzset()
    yield request.param
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    _time.tzset()


def _schedules(session, station: Station) -> list[Schedule]:
    prog = Programme(station_id=station.id, title="Chuyên mục CCHC")
    session.add(prog)
    session.flush()
    zone = session.scalar(select(Zone).where(Zone.station_id == station.id))
    base = dict(station_id=station.id, programme_id=prog.id, window_minutes=30, zones=[zone])
    rows = [
        Schedule(
            name="Sáng hằng ngày",
            recurrence=Recurrence.DAILY,
            start_time=time(5, 30),
            start_date=date(2025, 1, 3),
            end_date=date(2026, 6, 30),
            skip_dates=["2025-01-29", "2025-01-30", "2025-09-02", "2027-01-01"],
            **base,
        ),
        Schedule(
            name="Chiều thứ 2-4-6",
            recurrence=Recurrence.WEEKLY,
            weekdays=[0, 2, 4],
            start_time=time(17, 0),
            start_date=date(2025, 2, 1),
            skip_dates=["2025-04-30"],
            **base,
        ),
        Schedule(
            name="Ngày 31",
            recurrence=Recurrence.MONTHLY_DAY,
            month_day=31,
            start_time=time(6, 15),
            start_date=date(2025, 1, 1),
            end_date=date(2026, 12, 31),
            **base,
        ),
        Schedule(
            name="Thứ Sáu cuối tháng",
            recurrence=Recurrence.MONTHLY_NTH,
            nth=-1,
            nth_weekday=4,
            start_time=time(18, 0),
            start_date=date(2025, 1, 1),
            **base,
        ),
        Schedule(
            name="Thứ Bảy tuần 5",
            recurrence=Recurrence.MONTHLY_NTH,
            nth=5,
            nth_weekday=5,
            start_time=time(7, 0),
            start_date=date(2025, 3, 10),
            skip_dates=["2025-05-31"],
            **base,
        ),
        Schedule(
            name="Một lần",
            recurrence=Recurrence.ONCE,
            start_time=time(23, 45),
            start_date=date(2025, 12, 31),
            **base,
        ),
        Schedule(
            name="Lúc nửa đêm",
            recurrence=Recurrence.DAILY,
            start_time=time(0, 5),
            window_minutes=15,
            start_date=date(2025, 6, 1),
            end_date=date(2025, 6, 10),
            station_id=station.id,
            programme_id=prog.id,
            zones=[zone],
        ),
        Schedule(
            name="Tắt",
            recurrence=Recurrence.DAILY,
            start_time=time(9, 0),
            start_date=date(2025, 1, 1),
            enabled=False,
            **base,
        ),
    ]
    session.add_all(rows)
    session.flush()
    return rows


def _ics_starts(event, lo: datetime, hi: datetime) -> list[datetime]:
    start = event.decoded("dtstart")
    rules = event.get("rrule")
    if rules is None:
        return [start.astimezone(UTC)] if lo <= start < hi else []
    rs = rruleset()
    rs.rrule(rrulestr(rules.to_ical().decode(), dtstart=start))
    ex = event.get("exdate")
    for group in ex if isinstance(ex, list) else [ex] if ex is not None else []:
        for d in group.dts:
            rs.exdate(d.dt)
    return [t.astimezone(UTC) for t in rs.between(lo, hi, inc=True) if t < hi]


@pytest.mark.parametrize("station_tz", ["Asia/Ho_Chi_Minh", "UTC"])
def test_ics_matches_expand(tmp_path, process_tz, station_tz):
    store = open_store(
        load({"BROADCASTER_DATA_DIR": str(tmp_path), "BROADCASTER_TIMEZONE": station_tz}), upgrade=True
    )
    ensure_station(store)
    try:
        with store.sessions.begin() as s:
            station = store.station(s)
            schedules = _schedules(s, station)
            raw = schedule_calendar(s, station, now=datetime(2025, 1, 1, tzinfo=UTC))
            expected = {
                f"{sch.uid}@broadcaster": expand(sch, *WINDOW, ZoneInfo(station_tz))
                for sch in schedules
                if sch.enabled
            }
            disabled_uid = f"{schedules[-1].uid}@broadcaster"
    finally:
        store.engine.dispose()
    cal = Calendar.from_ical(raw)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert disabled_uid not in events
    assert set(events) == set(expected)
    if station_tz != "UTC":
        assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == [station_tz]
    for uid, ev in events.items():
        got = _ics_starts(ev, *WINDOW)
        assert got == expected[uid], ev["summary"]
        assert ev.decoded("duration") in (timedelta(minutes=30), timedelta(minutes=15))
        if station_tz != "UTC":
            assert ev["dtstart"].params["TZID"] == station_tz
        if ev.get("rrule") is not None and ev["rrule"].get("UNTIL"):
            assert ev["rrule"]["UNTIL"][0].tzinfo is not None  # UTC, as RFC 5545 requires with a TZID
    assert sum(len(v) for v in expected.values()) > 700
    # Skip dates really are excluded, at the right local day.
    daily = next(
        e
        for e in events.values()
        if "RRULE" in e and e["rrule"]["FREQ"] == ["DAILY"] and e.get("exdate") is not None
    )
    local_days = {t.astimezone(ZoneInfo(station_tz)).date() for t in _ics_starts(daily, *WINDOW)}
    assert date(2025, 1, 29) not in local_days and date(2025, 1, 31) in local_days


def test_token_generate_lookup_regenerate(store, session, station):
    from broadcaster.content import create_user

    u = create_user(session, station, "canbo", "mật-khẩu-dài-123", "operator")
    assert u.ics_token is None
    t1 = ensure_ics_token(session, u)
    assert len(t1) >= 40 and ensure_ics_token(session, u) == t1
    assert user_for_ics_token(session, t1).id == u.id
    t2 = ensure_ics_token(session, u, regenerate=True)
    assert t2 != t1
    assert user_for_ics_token(session, t1) is None and user_for_ics_token(session, t2).id == u.id
    assert user_for_ics_token(session, "") is None and user_for_ics_token(session, "x" * 200) is None
    u.active = False
    session.flush()
    assert user_for_ics_token(session, t2) is None
    assert session.get(User, u.id).ics_token == t2
