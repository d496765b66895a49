"""Officers are never surprised: every page says before air time what the coming airings will skip.

The real app over the real SQLite store; the shipped starter column; the real planner's rows.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import select

from broadcaster import content
from broadcaster.db import utcnow
from broadcaster.models import (
    AirStatus,
    Occurrence,
    Priority,
    Programme,
    ProgrammeItem,
    Schedule,
    Segment,
    SegmentStatus,
    User,
    Zone,
)

from .conftest import make_segment, schedule_form


def _starter_unapproved(store, approve_all_but: int | None = None) -> None:
    with store.sessions.begin() as s:
        content.load_starter(s, store.station(s))
        if approve_all_but is not None:
            boss = s.scalar(select(User).where(User.username == "lanhdao"))
            segs = list(s.scalars(select(Segment).order_by(Segment.id)))
            for seg in segs[approve_all_but:]:
                content.approve(s, seg, boss, "")


def test_unapproved_starter_column_is_flagged_everywhere(editor, operator, store):
    _starter_unapproved(store)
    html = operator.get("/").get_data(as_text=True)
    assert 'class="card forecast"' in html
    assert re.search(r"Sẽ không phát gì lúc 05:30 ngày \d\d/\d\d: cả 10 mục chưa duyệt", html)
    assert re.search(r"Sẽ không phát gì lúc 17:00 ngày \d\d/\d\d: cả 10 mục chưa duyệt", html)
    data = operator.get("/trang-thai.json").get_json()
    assert len(data["canh_bao"]) == 4 and all(a["khong_phat_gi"] for a in data["canh_bao"])
    with store.sessions() as s:
        pid = s.scalar(select(Programme.id))
        sid = s.scalar(select(Schedule.id).order_by(Schedule.id))
    for page in (f"/chuong-trinh/{pid}", "/lich-phat/danh-sach", f"/lich-phat/{sid}/sua", "/lich-phat/"):
        html = editor.get(page).get_data(as_text=True)
        assert "Sẽ không phát gì lúc" in html, page
    assert "fc-nothing" in editor.get("/lich-phat/").get_data(as_text=True)


def test_partly_approved_column_names_the_count_and_time(operator, store):
    _starter_unapproved(store, approve_all_but=3)
    html = operator.get("/").get_data(as_text=True)
    assert re.search(r"3 mục chưa duyệt — sẽ bị bỏ qua lúc (05:30|17:00) ngày \d\d/\d\d", html)
    assert "Sẽ không phát gì" not in html


def test_editing_a_scheduled_approved_segment_asks_first_and_keeps_the_text(admin, operator, store, starter):
    editor = admin  # the starter segments have no author: an admin may edit them
    with store.sessions() as s:
        seg_id = s.scalar(select(ProgrammeItem.segment_id).where(ProgrammeItem.segment_id.is_not(None)))
        seg = s.get(Segment, seg_id)
        title, body, kind = seg.title, seg.body, seg.kind.value
    html = editor.get(f"/ban-tin/{seg_id}/sua").get_data(as_text=True)
    assert re.search(r"Bản tin này đã duyệt và sẽ phát lúc (05:30|17:00) ngày \d\d/\d\d", html)
    assert "sửa sẽ đưa về bản nháp và bị bỏ qua cho đến khi duyệt lại" in html
    edited = {"title": title, "body": "Nội dung mới đã sửa, chưa duyệt.", "kind": kind}
    r = editor.form(f"/ban-tin/{seg_id}/sua", edited)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="xac-nhan-sua"' in html and "Chưa lưu." in html
    assert "Nội dung mới đã sửa, chưa duyệt." in html and 'name="xac_nhan"' in html
    with store.sessions() as s:
        seg = s.get(Segment, seg_id)
        assert seg.status == SegmentStatus.APPROVED and seg.body == body  # nothing saved yet
    r = editor.form(f"/ban-tin/{seg_id}/sua", {**edited, "xac_nhan": "1"}, follow_redirects=True)
    assert r.status_code == 200
    assert re.search(
        r"Đã lưu. Tin trở về bản nháp và sẽ bị bỏ qua lúc (05:30|17:00) ngày \d\d/\d\d",
        r.get_data(as_text=True),
    )
    with store.sessions() as s:
        seg = s.get(Segment, seg_id)
        assert seg.status == SegmentStatus.DRAFT and seg.body == "Nội dung mới đã sửa, chưa duyệt."
    html = operator.get("/").get_data(as_text=True)
    assert re.search(r"1 mục chưa duyệt — sẽ bị bỏ qua lúc (05:30|17:00) ngày \d\d/\d\d", html)
    # A segment in no coming airing saves at once, as before.
    other = make_segment(store, status=SegmentStatus.APPROVED, title="Không lên lịch")
    r = editor.form(
        f"/ban-tin/{other}/sua", {"title": "Không lên lịch", "body": "Đã sửa.", "kind": "cchc_news"}
    )
    assert r.status_code == 302


def test_dashboard_says_where_the_sound_goes(operator, store, config):
    html = operator.get("/").get_data(as_text=True)
    assert "đầu ra «null» — âm thanh bị bỏ đi" in html  # the test station's sink
    target = config.data_dir / "phat-song" / "{date}.wav"
    with store.sessions.begin() as s:
        s.scalar(select(Zone).order_by(Zone.id)).sink = f"file:{target}?realtime=1"
    html = operator.get("/").get_data(as_text=True)
    today = datetime.now(config.tz).date().isoformat()
    assert "âm thanh KHÔNG phát ra loa mà được ghi vào tệp" in html
    assert f"<code>{config.data_dir / 'phat-song' / today}.wav</code>" in html
    data = operator.get("/trang-thai.json").get_json()
    assert data["dau_ra"][0]["kieu"] == "file" and data["dau_ra"][0]["tep"].endswith(f"{today}.wav")


def _ready(editor, store, title: str) -> int:
    sid = make_segment(store, title="Tin " + title, status=SegmentStatus.APPROVED)
    r = editor.form("/chuong-trinh/moi", {"title": title})
    pid = int(re.search(r"/chuong-trinh/(\d+)", r.headers["Location"]).group(1))
    editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "segment", "segment_id": sid})
    return pid


def test_a_schedule_in_the_past_is_refused(editor, store, config):
    pid = _ready(editor, store, "Sáng")
    yesterday = (datetime.now(config.tz) - timedelta(days=1)).date()
    before = store.sessions().scalar(select(Schedule.id).order_by(Schedule.id.desc()))
    r = editor.form("/lich-phat/moi", schedule_form(pid, recurrence="once", start_date=yesterday.isoformat()))
    assert r.status_code == 400
    assert f"Lịch phát một lần vào ngày {yesterday:%d/%m/%Y} lúc 05:30 đã qua" in r.get_data(as_text=True)
    r = editor.form("/lich-phat/moi", schedule_form(pid, start_date="2020-01-01", end_date="2020-02-01"))
    assert r.status_code == 400 and "Ngày kết thúc (01/02/2020) đã qua" in r.get_data(as_text=True)
    assert store.sessions().scalar(select(Schedule.id).order_by(Schedule.id.desc())) == before
    # Kept switched off for the record, it may be saved.
    r = editor.form(
        "/lich-phat/moi", schedule_form(pid, start_date="2020-01-01", end_date="2020-02-01", enabled="0")
    )
    assert r.status_code == 302
    # ... but not switched on again.
    old = store.sessions().scalar(select(Schedule.id).order_by(Schedule.id.desc()))
    html = editor.form(f"/lich-phat/{old}/bat-tat", follow_redirects=True).get_data(as_text=True)
    assert "Ngày kết thúc (01/02/2020) đã qua" in html
    assert store.sessions().get(Schedule, old).enabled is False


def test_priority_slot_over_a_normal_one_is_saved_and_announced(editor, store, config):
    p1, p2 = _ready(editor, store, "Chuyên mục thường"), _ready(editor, store, "Thông báo tiêm chủng")
    soon = datetime.now(config.tz).date().isoformat()  # clashes are searched over the coming year
    assert (
        editor.form("/lich-phat/moi", schedule_form(p1, name="Buổi sáng", start_date=soon)).status_code == 302
    )
    r = editor.form(
        "/lich-phat/moi",
        schedule_form(p2, name="Khẩn", priority="priority", start_date=soon),
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Đã lưu lịch phát." in html
    assert "Lịch ưu tiên này chiếm khung giờ của lịch «Buổi sáng»" in html and "sẽ bị bỏ qua" in html
    # Two normal ones still may not share the loudspeakers.
    r = editor.form("/lich-phat/moi", schedule_form(p2, name="Trùng", start_date=soon))
    assert r.status_code == 400 and "Trùng giờ với lịch «Buổi sáng»" in r.get_data(as_text=True)


def test_calendar_shows_what_aired_even_when_the_schedule_is_gone(editor, store, config):
    pid = _ready(editor, store, "Chuyên mục cải cách hành chính tháng mười hai")
    assert editor.form("/lich-phat/moi", schedule_form(pid, name="Cũ")).status_code == 302
    now = utcnow()
    today = datetime.now(config.tz).date()
    day = today - timedelta(days=1) if today.day > 1 else today
    at = datetime.combine(day, time(5, 30), config.tz)
    if at >= now:  # the 1st of the month before 05:30: use 00:00 instead
        at = datetime.combine(day, time(0, 0), config.tz)
    with store.sessions.begin() as s:
        st = store.station(s)
        sc = s.scalar(select(Schedule).where(Schedule.name == "Cũ"))
        zone = s.scalar(select(Zone).order_by(Zone.id))
        long = "Chuyên mục cải cách hành chính tháng mười hai"
        s.add(
            Occurrence(
                station_id=st.id,
                schedule_id=sc.id,
                programme_id=pid,
                zone_id=zone.id,
                scheduled_at=at,
                title=long,
                status=AirStatus.PLAYED,
                ended_at=at + timedelta(minutes=4),
            )
        )
        s.add(
            Occurrence(
                station_id=st.id,
                schedule_id=None,
                programme_id=pid,
                zone_id=zone.id,
                scheduled_at=at + timedelta(minutes=1),
                title="Phát ngay",
                status=AirStatus.MISSED,
                reason="Máy tắt lúc đến giờ phát.",
                priority=Priority.PRIORITY,
            )
        )
        sc.enabled = False
    html = editor.get(f"/lich-phat/?xem=thang&ngay={day.isoformat()}").get_data(as_text=True)
    assert f"<b>{at:%H:%M}</b> Chuyên mục cải cách h…" in html  # told apart by time and short title
    assert f'title="{long} ({at:%H:%M}–{at + timedelta(minutes=4):%H:%M}) — Đã phát"' in html
    assert "st-played" in html and "st-missed" in html and "Bỏ lỡ: Máy tắt lúc đến giờ phát." in html
    week = editor.get(f"/lich-phat/?xem=tuan&ngay={day.isoformat()}").get_data(as_text=True)
    assert f"<b>{at:%H:%M}</b> {long}" in week  # the week view has room for the full title


def test_a_schedule_without_its_own_grace_follows_the_station_s_grace(editor, store, config):
    """Officers save a 45 s grace for the whole station; a schedule made on the page or through the
    API without a grace of its own must use it, now and after the setting changes again (until
    issue 10 each one stored 600 s and silently kept it)."""
    from broadcaster.playout import _asrun
    from broadcaster.rules import effective_config

    pid = _ready(editor, store, "Trễ")
    with store.sessions.begin() as s:
        content.save_settings(s, store.station(s).id, config, None, {"misfire_grace": "45"})
    html = editor.get(f"/lich-phat/moi?chuong_trinh={pid}").get_data(as_text=True)
    field = re.search(r'<input id="f-grace"[^>]*>', html).group(0)
    assert 'value=""' in field and "45" in field  # empty: the station's grace, which is shown
    soon = (datetime.now(config.tz) + timedelta(days=2)).date().isoformat()
    r = editor.form("/lich-phat/moi", schedule_form(pid, start_date=soon, misfire_grace_s=""))
    assert r.status_code == 302
    body = {"programme_id": pid, "recurrence": "daily", "start_time": "06:00", "start_date": soon}
    body["zone_ids"] = [1]
    r = editor.api("POST", "/api/v1/schedules", json=body)
    assert r.status_code == 201 and r.get_json()["cho_phep_tre_s"] is None
    own = editor.api("POST", "/api/v1/schedules", json=body | {"start_time": "07:00", "misfire_grace_s": 900})
    assert own.status_code == 201 and own.get_json()["cho_phep_tre_s"] == 900
    # Each schedule's airing 100 s late, judged as the daemon judges at every planning round.
    now = utcnow().replace(microsecond=0)
    with store.sessions.begin() as s:
        st = store.station(s)
        zone = s.scalar(select(Zone).where(Zone.station_id == st.id))
        for sc in s.scalars(select(Schedule).where(Schedule.programme_id == pid).order_by(Schedule.id)):
            s.add(Occurrence(station_id=st.id, schedule_id=sc.id, programme_id=pid, zone_id=zone.id,
                             title=sc.name or "Trễ", scheduled_at=now - timedelta(seconds=100),
                             priority=Priority.NORMAL))
        s.flush()
        grace = effective_config(s, st.id, config).misfire_grace
        assert grace == 45
        assert _asrun.mark_missed(s, st.id, now, config.tz, grace) == 2  # the page's and the API's
        late = {o.schedule.misfire_grace_s: o for o in s.scalars(select(Occurrence))}
        assert late[None].status == AirStatus.MISSED and "45 giây" in late[None].reason
        assert late[900].status == AirStatus.PENDING  # its own grace still holds
    # The setting changed again: the schedules without a grace follow it.
    with store.sessions.begin() as s:
        content.save_settings(s, store.station(s).id, config, None, {"misfire_grace": "300"})
        occ = s.scalar(select(Occurrence).where(Occurrence.status == AirStatus.MISSED).limit(1))
        occ.status, occ.reason = AirStatus.PENDING, None
        s.flush()
        grace = effective_config(s, store.station(s).id, config).misfire_grace
        assert _asrun.mark_missed(s, store.station(s).id, now, config.tz, grace) == 0
