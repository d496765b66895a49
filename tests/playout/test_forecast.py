"""The forecast: officers see before air time which airings will skip items, and why.

Real SQLite store, the shipped starter column, the real planner and player rules.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from broadcaster import content
from broadcaster.models import (
    AirStatus,
    ItemType,
    Occurrence,
    Priority,
    Recurrence,
    Schedule,
    SegmentStatus,
)
from broadcaster.playout import (
    MARGIN,
    find_conflicts,
    find_takeovers,
    forecast,
    plan,
    warnings,
)
from broadcaster.rules import airability

from .conftest import add_programme, add_segment


def _at(config, day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), config.tz)


def test_starter_column_is_forecast_to_air_nothing(session, station, config):
    content.load_starter(session, station)
    now = _at(config, date(2030, 3, 4), 12, 0)  # the starter's schedules start "today"; move them
    for sc in session.scalars(select(Schedule)):
        sc.start_date = date(2030, 3, 1)
    session.flush()
    airings = forecast(session, station, now=now, hours=48)
    # 17:00 today, 05:30 and 17:00 tomorrow, 05:30 the day after (12:00 + 48 h excludes 17:00)
    assert [a.local.strftime("%d/%m %H:%M") for a in airings] == [
        "04/03 17:00",
        "05/03 05:30",
        "05/03 17:00",
        "06/03 05:30",
    ]
    first = airings[0]
    assert first.nothing and first.segments == 10 and len(first.problems) == 10
    assert first.message == "Sẽ không phát gì lúc 17:00 ngày 04/03: cả 10 mục chưa duyệt."
    assert warnings(airings) == airings


def test_edited_item_returns_to_draft_and_is_forecast_skipped(session, station, config):
    segs = [add_segment(session, station, config, f"Tin {i}") for i in range(3)]
    prog = add_programme(session, station, segs, title="Chuyên mục chiều")
    sc = Schedule(
        station_id=station.id,
        programme_id=prog.id,
        name="Buổi chiều",
        recurrence=Recurrence.DAILY,
        start_time=time(17, 0),
        start_date=date(2030, 1, 1),
        skip_dates=[],
    )
    sc.zones = [station.zones[0]]
    session.add(sc)
    session.flush()
    now = _at(config, date(2030, 12, 1), 9, 0)
    assert all(a.ok and not a.message for a in forecast(session, station, now=now))
    segs[0].status = SegmentStatus.DRAFT  # what update_segment does to an approved item
    segs[1].valid_to = date(2030, 11, 30)
    session.flush()
    first = forecast(session, station, now=now)[0]
    assert not first.nothing
    assert first.message == "1 mục chưa duyệt, 1 mục hết hạn — sẽ bị bỏ qua lúc 17:00 ngày 01/12."
    assert {p.segment_id for p in first.problems} == {segs[0].id, segs[1].id}
    # The reason is the player's own sentence (one rule: airability)
    assert first.problems[0].reason == airability(segs[0], date(2030, 12, 1))
    only = forecast(session, station, now=now, segment_id=segs[2].id)
    assert only and only[0].schedule_id == sc.id
    other = add_segment(session, station, config, "Không trong chương trình")
    assert forecast(session, station, now=now, segment_id=other.id) == []


def _daily(session, station, prog, hh, mm, window, name, **kw) -> Schedule:
    sc = Schedule(
        station_id=station.id,
        programme_id=prog.id,
        name=name,
        recurrence=kw.pop("recurrence", Recurrence.DAILY),
        start_time=time(hh, mm),
        window_minutes=window,
        start_date=date(2030, 1, 1),
        skip_dates=[],
        **kw,
    )
    sc.zones = [station.zones[0]]
    return sc


def test_window_blocks_only_as_long_as_the_programme(session, station, config):
    prog = add_programme(session, station, [add_segment(session, station, config, "Tin", secs=0.4)])
    session.add(_daily(session, station, prog, 5, 30, 30, "Buổi sáng"))
    session.flush()
    now = _at(config, date(2030, 1, 1), 0, 0)
    # 05:40 is inside the 30-minute window but the programme (0.4 s + 2 min margin) is long over.
    later = _daily(session, station, prog, 5, 40, 15, "Tin nhanh")
    assert find_conflicts(session, later, now=now) == []
    close = _daily(session, station, prog, 5, 31, 15, "Sát giờ")
    msgs = find_conflicts(session, close, now=now)
    assert len(msgs) == 1 and "Buổi sáng" in msgs[0]
    assert "05:30–05:32" in msgs[0] and f"cộng {int(MARGIN.total_seconds() // 60)} phút dự phòng" in msgs[0]


def test_priority_slot_takes_over_a_normal_one_visibly(session, station, config):
    segs = [
        add_segment(session, station, config, "Tin thường"),
        add_segment(session, station, config, "Tin gấp"),
    ]
    normal_prog = add_programme(session, station, segs[:1], title="Chuyên mục thường")
    urgent_prog = add_programme(session, station, segs[1:], title="Thông báo tiêm chủng")
    normal = _daily(session, station, normal_prog, 17, 0, 30, "Buổi chiều")
    session.add(normal)
    session.flush()
    now = _at(config, date(2030, 6, 1), 8, 0)
    urgent = _daily(session, station, urgent_prog, 17, 0, 15, "Thông báo gấp", priority=Priority.PRIORITY)
    # Not refused: announced instead.
    assert find_conflicts(session, urgent, now=now) == []
    notes = find_takeovers(session, urgent, now=now)
    assert len(notes) == 1 and "Buổi chiều" in notes[0] and "bị bỏ qua" in notes[0]
    # Two normal slots at the same time are still refused.
    assert find_conflicts(session, _daily(session, station, urgent_prog, 17, 0, 15, "Khác"), now=now)
    session.add(urgent)
    session.flush()
    res = plan(session, station, now, hours=24)
    assert res.yielded == 1
    rows = {
        o.schedule_id: o for o in session.scalars(select(Occurrence).where(Occurrence.scheduled_at > now))
    }
    assert rows[normal.id].status == AirStatus.SKIPPED
    assert rows[normal.id].reason == "Nhường khung giờ cho bản tin ưu tiên «Thông báo tiêm chủng» lúc 17:00."
    assert rows[urgent.id].status == AirStatus.PENDING
    first = [a for a in forecast(session, station, now=now, hours=24) if a.schedule_id == normal.id][0]
    assert first.nothing and "Nhường khung giờ cho bản tin ưu tiên «Thông báo tiêm chủng»" in first.message
    # The priority slot goes away: the normal airing is given back.
    urgent.enabled = False
    session.flush()
    plan(session, station, now, hours=24)
    session.refresh(rows[normal.id])
    assert rows[normal.id].status == AirStatus.PENDING and rows[normal.id].reason is None
    assert forecast(session, station, now=now, hours=24)[0].ok


def test_player_and_forecast_share_the_airability_rule(session, station, config):
    from broadcaster.playout._prepare import PreparedItem, _Spill, prepare_segment

    seg = add_segment(session, station, config, "Hết hạn", valid_to=date(2030, 1, 1))
    item = PreparedItem(position=0, item_type=ItemType.SEGMENT, title="")
    prepare_segment(session, config, seg, item, _Spill(config, "t"), local_day=date(2030, 1, 2), render=False)
    assert item.skip_reason == airability(seg, date(2030, 1, 2))
    assert "đã hết hạn phát (đến hết ngày 01/01/2030)" in item.skip_reason
    assert airability(seg, date(2030, 1, 1)) is None


def test_status_command_warns_and_json_keeps_working(store, env):
    import json
    import subprocess
    import sys

    with store.sessions.begin() as s:
        content.load_starter(s, store.station(s))

    def bc(*args):
        return subprocess.run(
            [sys.executable, "-m", "broadcaster.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    res = bc("status")
    assert res.returncode == 0, res.stderr
    assert "CẢNH BÁO — 4 buổi phát trong 48 giờ tới sẽ bỏ qua bản tin" in res.stdout
    assert "Sẽ không phát gì lúc 05:30 ngày" in res.stdout and "cả 10 mục chưa duyệt" in res.stdout
    res = bc("status", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["bo_phat_hoat_dong"] is False and len(data["canh_bao"]) == 4
    first = data["canh_bao"][0]
    assert first["khong_phat_gi"] is True and len(first["muc_bi_bo_qua"]) == 10
    assert first["canh_bao"].startswith("Sẽ không phát gì lúc")


def test_priority_on_one_zone_leaves_the_other_zone_airing(session, station, config):
    from broadcaster.models import Zone

    village = Zone(station_id=station.id, code="thon-1", name="Thôn 1")
    session.add(village)
    segs = [add_segment(session, station, config, t) for t in ("Tin thường", "Tin gấp")]
    normal = _daily(
        session, station, add_programme(session, station, segs[:1], title="Thường"), 17, 0, 30, "A"
    )
    normal.zones = [station.zones[0], village]
    urgent_prog = add_programme(session, station, segs[1:], title="Gấp")
    session.add_all(
        [normal, _daily(session, station, urgent_prog, 17, 0, 15, "B", priority=Priority.PRIORITY)]
    )
    session.flush()
    now = _at(config, date(2030, 6, 1), 8, 0)
    first = next(a for a in forecast(session, station, now=now, hours=24) if a.schedule_id == normal.id)
    assert not first.nothing and not first.ok and first.zones == ["Thôn 1"]
    assert first.message == (
        "Cụm loa Toàn xã không phát: Nhường khung giờ cho bản tin ưu tiên «Gấp» lúc 17:00 "
        "(lúc 17:00 ngày 01/06)."
    )
