"""Programmes, the render job and its progress, the monthly CCHC column, schedules, the calendar."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from broadcaster.audio import asset_file
from broadcaster.db import utcnow
from broadcaster.models import (
    AuditLog,
    ControlCommand,
    Programme,
    ProgrammeItem,
    RenderJob,
    Schedule,
    Segment,
    SegmentKind,
    SegmentStatus,
)

from .conftest import count, make_segment, schedule_form

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _new_programme(c, title="Bản tin sáng") -> int:
    r = c.form("/chuong-trinh/moi", {"title": title})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return int(re.search(r"/chuong-trinh/(\d+)", r.headers["Location"]).group(1))


def _items(store, pid) -> list[ProgrammeItem]:
    with store.sessions() as s:
        return list(s.get(Programme, pid).items)


def test_programme_form_validates(editor, store):
    before = count(store, Programme)
    r = editor.form("/chuong-trinh/moi", {"title": ""})
    assert r.status_code == 400 and 'class="field-error"' in r.get_data(as_text=True)
    r = editor.form("/chuong-trinh/moi", {"title": "X", "month": "2025-13"})
    assert r.status_code == 400
    assert count(store, Programme) == before


def test_only_approved_segments_go_into_a_programme(editor, store):
    pid = _new_programme(editor)
    draft = make_segment(store, title="Nháp")
    ok = make_segment(store, title="Đã duyệt", status=SegmentStatus.APPROVED)
    r = editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "segment", "segment_id": draft})
    assert r.status_code == 400 and "duyệt" in r.get_data(as_text=True)
    assert _items(store, pid) == []
    editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "chime", "chime": "mo-dau"})
    editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "segment", "segment_id": ok})
    editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "pause", "pause_s": "2"})
    r = editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "pause", "pause_s": "999"})
    assert r.status_code == 400 and "Khoảng lặng" in r.get_data(as_text=True)
    items = _items(store, pid)
    assert [i.item_type.value for i in items] == ["chime", "segment", "pause"]
    # Reorder: move the pause up.
    editor.form(f"/chuong-trinh/{pid}/muc/{items[2].id}/len")
    assert [i.item_type.value for i in _items(store, pid)] == ["chime", "pause", "segment"]
    html = editor.get(f"/chuong-trinh/{pid}").get_data(as_text=True)
    assert 'id="total"' in html and "Đã duyệt" in html
    # Each row shows a duration, and the total is shown.
    assert len(re.findall(r'<td class="nowrap">\d+:\d\d', html)) == 3


def test_overrun_warning_when_the_programme_outlasts_its_slot(editor, admin, store):
    long = make_segment(store, title="Tin dài", body="Bà con thân mến. " * 400, status=SegmentStatus.APPROVED)
    pid = _new_programme(editor)
    editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "segment", "segment_id": long})
    r = editor.form(
        "/lich-phat/moi",
        {
            "programme_id": pid,
            "recurrence": "daily",
            "start_time": "06:00",
            "window_minutes": "1",
            "start_date": "2030-01-01",
            "zone_ids": "1",
            "priority": "normal",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    html = editor.get(f"/chuong-trinh/{pid}").get_data(as_text=True)
    assert 'class="flash warning" role="alert"' in html and "⚠" in html


def test_render_job_progress_reaches_100_and_assets_exist(editor, store, config, render_worker):
    """The page enqueues; the render worker (a real process) renders; the page follows the row."""
    render_worker()
    a = make_segment(store, title="Một", body="Xin chào.", status=SegmentStatus.APPROVED)
    b = make_segment(store, title="Hai", body="Tạm biệt.", status=SegmentStatus.APPROVED)
    pid = _new_programme(editor)
    for sid in (a, b):
        editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "segment", "segment_id": sid})
    html = editor.get(f"/chuong-trinh/{pid}").get_data(as_text=True)
    assert f'data-url="/chuong-trinh/{pid}/doc"' in html and 'id="render-progress"' in html
    r = editor.post(
        f"/chuong-trinh/{pid}/doc", headers={"Accept": "application/json", "X-CSRFToken": editor.csrf_token}
    )
    assert r.status_code == 202
    url = r.get_json()["url"]
    assert re.fullmatch(r"/chuong-trinh/tien-do/\d+\.json", url)
    seen = []
    for _ in range(2400):  # a bounded wait for the worker, not a timing assertion
        job = editor.get(url).get_json()
        seen.append((job["xong"], job["phan_tram"]))
        if job["trang_thai"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert job["trang_thai"] == "done", job
    assert job["phan_tram"] == 100 and job["xong"] == job["tong"] == 2 and job["nhan"] == "Đã xong"
    assert [p for _, p in seen] == sorted(p for _, p in seen)  # it only moves forward
    with store.sessions() as s:
        for sid in (a, b):
            seg = s.get(Segment, sid)
            assert seg.render_asset is not None and asset_file(config, seg.render_asset).is_file()
    # Without JavaScript the form posts and the page follows the job.
    r = editor.form(f"/chuong-trinh/{pid}/doc")
    assert r.status_code == 302 and "job=" in r.headers["Location"]
    html = editor.get(r.headers["Location"]).get_data(as_text=True)
    assert re.search(r'data-job-url="/chuong-trinh/tien-do/\d+\.json"', html)
    jid = int(re.search(r"job=(\d+)", r.headers["Location"]).group(1))
    for _ in range(2400):
        with store.sessions() as s:
            if s.get(RenderJob, jid).status not in ("queued", "running"):
                break
        time.sleep(0.05)


def test_a_second_render_click_follows_the_job_under_way(editor, store):
    pid = _new_programme(editor)
    with store.sessions.begin() as s:
        st = s.get(Programme, pid).station_id
        busy = RenderJob(station_id=st, programme_id=pid, total=3, done=1, status="running")
        s.add(busy)
    with store.sessions() as s:
        busy_id = s.scalar(select(RenderJob.id).where(RenderJob.programme_id == pid))
    headers = {"Accept": "application/json", "X-CSRFToken": editor.csrf_token}
    r = editor.post(f"/chuong-trinh/{pid}/doc", headers=headers)
    assert r.status_code == 202 and r.get_json()["job"] == busy_id
    assert count(store, RenderJob, RenderJob.programme_id == pid) == 1
    # Once that job has ended, a click asks for a new one.
    with store.sessions.begin() as s:
        s.get(RenderJob, busy_id).status = "done"
    r = editor.post(f"/chuong-trinh/{pid}/doc", headers=headers)
    assert r.status_code == 202 and r.get_json()["job"] != busy_id
    assert count(store, RenderJob, RenderJob.programme_id == pid) == 2


def test_render_job_of_another_station_or_unknown_is_404(editor):
    assert editor.get("/chuong-trinh/tien-do/999999.json").status_code == 404


def test_monthly_column_proposes_good_example_procedures_and_hotline(editor, store, starter):
    month = datetime.now(VN).strftime("%Y-%m")
    html = editor.get(f"/chuong-trinh/chuyen-muc-thang?month={month}").get_data(as_text=True)
    assert f"Chuyên mục cải cách hành chính tháng {int(month[5:])}/{month[:4]}" in html
    with store.sessions() as s:
        kinds = {seg.id: seg.kind for seg in s.scalars(select(Segment))}
    proposed = [int(x) for x in re.findall(r'name="segment_id" value="(\d+)"', html)]
    got = [kinds[i] for i in proposed]
    assert got.count(SegmentKind.GOOD_EXAMPLE) >= 1
    assert SegmentKind.PROCEDURE in got and SegmentKind.HOTLINE in got
    # The officer drops the first segment row and saves.
    n = len(re.findall(r'name="keep"', html))
    first_seg_row = next(i for i, v in enumerate(re.findall(r'name="segment_id" value="(\d*)"', html)) if v)
    data = {
        "month": month,
        "title": "Chuyên mục tháng này",
        "save": "1",
        "keep": [str(i) for i in range(n) if i != first_seg_row],
        "order": [str(i + 1) for i in range(n)],
        "type": re.findall(r'name="type" value="(\w+)"', html),
        "segment_id": re.findall(r'name="segment_id" value="(\d*)"', html),
        "chime": re.findall(r'name="chime" value="([\w-]*)"', html),
        "pause_ms": re.findall(r'name="pause_ms" value="(\d*)"', html),
    }
    r = editor.form("/chuong-trinh/chuyen-muc-thang", data)
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    pid = int(re.search(r"/chuong-trinh/(\d+)", r.headers["Location"]).group(1))
    with store.sessions() as s:
        prog = s.get(Programme, pid)
        assert prog.month == month and prog.title == "Chuyên mục tháng này"
        assert len(prog.items) == n - 1
        assert [i.segment_id for i in prog.items if i.segment_id] == [p for p in proposed[1:]]
    r = editor.get("/chuong-trinh/chuyen-muc-thang?month=2025-99")
    assert r.status_code == 400


def _ready_programme(editor, store, title="Bản tin sáng") -> int:
    sid = make_segment(store, title="Tin " + title, status=SegmentStatus.APPROVED)
    pid = _new_programme(editor, title)
    editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "segment", "segment_id": sid})
    return pid


def _schedule_form(pid, **kw) -> dict:
    """Weekly on Monday and Wednesday from 07/01/2030."""
    return schedule_form(
        pid, **{"recurrence": "weekly", "weekdays": ["0", "2"], "start_date": "2030-01-07", **kw}
    )


def test_only_approved_content_can_be_scheduled_or_aired(editor, operator, store):
    sid = make_segment(store, status=SegmentStatus.APPROVED)
    pid = _new_programme(editor)
    editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "segment", "segment_id": sid})
    # The segment is edited afterwards: back to draft, so the programme may not be scheduled.
    editor.form(f"/ban-tin/{sid}/sua", {"title": "Tin thử", "body": "Đã sửa.", "kind": "cchc_news"})
    before = count(store, Schedule)
    r = editor.form("/lich-phat/moi", _schedule_form(pid))
    assert r.status_code == 400 and "chưa được duyệt" in r.get_data(as_text=True)
    assert count(store, Schedule) == before
    # Nor played now by the operator; and a draft segment is not even offered.
    html = operator.get("/dieu-khien/").get_data(as_text=True)
    assert f'value="p:{pid}"' not in html and f'value="s:{sid}"' not in html
    cmds = count(store, ControlCommand)
    r = operator.form("/dieu-khien/phat-ngay", {"what": f"p:{pid}"})
    assert r.status_code == 400 and "chưa được duyệt" in r.get_data(as_text=True)
    r = operator.form("/dieu-khien/phat-ngay", {"what": f"s:{sid}"})
    assert r.status_code == 400
    assert count(store, ControlCommand) == cmds


def test_operator_plays_approved_content_stops_and_airs_emergency_after_confirming(editor, operator, store):
    pid = _ready_programme(editor, store)
    cmds = count(store, ControlCommand)
    r = operator.form("/dieu-khien/phat-ngay", {"what": f"p:{pid}"})
    assert r.status_code == 302
    r = operator.form("/dieu-khien/dung")
    assert r.status_code == 302
    r = operator.form("/dieu-khien/khan-cap", {"text": "Bão số 3 sắp đổ bộ.", "confirm": "không"})
    assert r.status_code == 400 and "KHẨN CẤP" in r.get_data(as_text=True)
    assert "Bão số 3 sắp đổ bộ." in r.get_data(as_text=True)  # the text is kept
    r = operator.form("/dieu-khien/khan-cap", {"text": "", "confirm": "KHẨN CẤP"})
    assert r.status_code == 400 and "Hãy nhập nội dung" in r.get_data(as_text=True)
    assert count(store, ControlCommand) == cmds + 2
    r = operator.form("/dieu-khien/khan-cap", {"text": "Bão số 3 sắp đổ bộ.", "confirm": "khẩn cấp"})
    assert r.status_code == 302
    with store.sessions() as s:
        actions = [c.action for c in s.scalars(select(ControlCommand).order_by(ControlCommand.id))]
        audit = [a.action for a in s.scalars(select(AuditLog).where(AuditLog.entity == "control"))]
    assert actions[-3:] == ["play", "stop", "emergency"]
    assert audit == ["play_now", "stop", "emergency"]


def test_schedule_conflicts_shown_before_saving(editor, store):
    p1 = _ready_programme(editor, store, "Sáng")
    p2 = _ready_programme(editor, store, "Trưa")
    soon = datetime.now(VN).date().isoformat()  # conflicts are searched over the coming year
    assert editor.form("/lich-phat/moi", _schedule_form(p1, name="Sáng", start_date=soon)).status_code == 302
    html = editor.get("/lich-phat/moi").get_data(as_text=True)
    assert 'data-check-url="/lich-phat/kiem-tra"' in html and 'id="schedule-form"' in html
    # "Sáng" is a few seconds long: it holds the loudspeakers 05:30-05:32 (2 minutes of margin).
    clash = _schedule_form(p2, recurrence="daily", start_time="05:31", weekdays=[], start_date=soon)
    r = editor.api("POST", "/lich-phat/kiem-tra", data=clash)
    data = r.get_json()
    assert r.status_code == 200 and data["trung_gio"] and not data["loi"]
    assert any("Sáng" in c for c in data["trung_gio"])
    before = count(store, Schedule)
    r = editor.form("/lich-phat/moi", clash)
    assert r.status_code == 400 and "Trùng giờ" in r.get_data(as_text=True)
    assert count(store, Schedule) == before
    ok = _schedule_form(p2, start_time="11:00", start_date=soon)
    assert editor.api("POST", "/lich-phat/kiem-tra", data=ok).get_json() == {
        "loi": [],
        "loi_theo_o": [],
        "trung_gio": [],
        "canh_bao": None,
    }
    bad = _schedule_form(p2, start_time="25:00", window_minutes="0")
    data = editor.api("POST", "/lich-phat/kiem-tra", data=bad).get_json()
    assert data["loi"] and all(isinstance(m, str) for m in data["loi"])
    r = editor.form("/lich-phat/moi", bad)
    assert r.status_code == 400 and "Giờ bắt đầu «25:00» không có thật" in r.get_data(as_text=True)


def test_calendar_week_and_month_show_local_times(editor, operator, store):
    pid = _ready_programme(editor, store, "Bản tin <b>sáng</b>")
    # 05:30 in Hà Nội is 22:30 UTC of the day before: the calendar must show 05:30 on the right day.
    today = datetime.now(VN).date()
    monday = today - timedelta(days=today.weekday())
    r = editor.form(
        "/lich-phat/moi",
        _schedule_form(
            pid, recurrence="weekly", weekdays=["2"], start_date=monday.isoformat(), priority="priority"
        ),
    )
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    wed = monday + timedelta(days=2)
    for c in (editor, operator):
        html = c.get(f"/lich-phat/?xem=tuan&ngay={wed.isoformat()}").get_data(as_text=True)
        cells = re.findall(r"<td class=\"[^\"]*\">\s*<div class=\"daynum\">(.*?)</div>(.*?)</td>", html, re.S)
        assert len(cells) == 7
        by_day = {i: body for i, (_, body) in enumerate(cells)}
        assert "<b>05:30</b>" in by_day[2] and "pr-priority" in by_day[2]
        assert "Bản tin &lt;b&gt;sáng&lt;/b&gt;" in by_day[2]
        assert all("05:30" not in by_day[i] for i in (0, 1, 3, 4, 5, 6))
    html = editor.get(f"/lich-phat/?xem=thang&ngay={wed.isoformat()}").get_data(as_text=True)
    first = wed.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    grid_first = first - timedelta(days=first.weekday())
    grid_last = last + timedelta(days=6 - last.weekday())  # the grid shows whole weeks
    wednesdays = [grid_first + timedelta(days=i) for i in range((grid_last - grid_first).days + 1)]
    wednesdays = [d for d in wednesdays if d.weekday() == 2 and d >= monday]
    assert html.count("<b>05:30</b>") == len(wednesdays)
    assert f"tháng {first.month}/{first.year}" in html


def test_schedule_edit_and_toggle_are_audited(editor, store):
    pid = _ready_programme(editor, store)
    editor.form("/lich-phat/moi", _schedule_form(pid, start_date=date(2030, 1, 1).isoformat()))
    with store.sessions() as s:
        sc = s.scalars(select(Schedule).order_by(Schedule.id.desc())).first()
    r = editor.form(f"/lich-phat/{sc.id}/sua", _schedule_form(pid, start_time="06:15", schedule_id=sc.id))
    assert r.status_code == 302
    editor.form(f"/lich-phat/{sc.id}/bat-tat")
    with store.sessions() as s:
        assert s.get(Schedule, sc.id).enabled is False
        rows = list(s.scalars(select(AuditLog).where(AuditLog.entity == "schedule").order_by(AuditLog.id)))
    assert [a.action for a in rows] == ["create", "update", "disable"]
    assert rows[1].before["start_time"].startswith("05:30") and rows[1].after["start_time"].startswith(
        "06:15"
    )


def test_a_render_job_waiting_long_for_a_worker_says_the_worker_is_not_running(editor, store):
    with store.sessions.begin() as s:
        job = RenderJob(
            station_id=store.station(s).id, status="queued", created_at=utcnow() - timedelta(minutes=5)
        )
        s.add(job)
        s.flush()
        jid = job.id
    data = editor.get(f"/chuong-trinh/tien-do/{jid}.json").get_json()
    assert data["trang_thai"] == "queued" and data["nhan"] == "Đang chờ bộ chuyển giọng nói…"
    assert "broadcaster worker" in data["loi"]


def test_a_relay_item_is_added_with_its_stream_and_minutes(editor, store):
    pid = _new_programme(editor)
    html = editor.get(f"/chuong-trinh/{pid}").get_data(as_text=True)
    assert "Thêm tiếp sóng" in html
    bad = {"item_type": "relay", "stream_url": "ftp://x", "relay_min": "15"}
    r = editor.form(f"/chuong-trinh/{pid}/muc", bad)
    assert r.status_code == 400 and "http://, https:// hoặc icecast://" in r.get_data(as_text=True)
    url = "http://dai-huyen.vn:8000/truc-tiep.mp3"
    r = editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "relay", "stream_url": url, "relay_min": "0"})
    assert r.status_code == 400 and "Thời lượng tiếp sóng" in r.get_data(as_text=True)
    assert _items(store, pid) == []
    r = editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "relay", "stream_url": url, "relay_min": "7,5"})
    assert r.status_code == 302
    (item,) = _items(store, pid)
    assert item.item_type.value == "relay" and item.stream_url == url and item.duration_s == 450
    html = editor.get(f"/chuong-trinh/{pid}").get_data(as_text=True)
    assert f"Tiếp sóng <code>{url}</code>" in html
    assert re.search(r'<td class="nowrap">7:30', html)  # the relay's length counts in the programme's


def test_repeats_in_the_schedule_form_are_minutes_and_bad_values_are_refused(editor, store):
    pid = _ready_programme(editor, store, "Thông báo")
    editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "pause", "pause_s": "60"})  # over a minute long
    html = editor.get("/lich-phat/moi").get_data(as_text=True)
    assert "Số lần phát" in html and "Cách nhau (phút)" in html and 'name="replay_gap_m"' in html
    base = {"replay_count": "3", "window_minutes": "60", "replay_gap_s": None}
    bad = [
        ({"replay_count": "0", "replay_gap_m": "15"}, "Số lần phát phải từ 1 đến 20"),
        ({"replay_count": "-3", "replay_gap_m": "15"}, "Số lần phát phải từ 1 đến 20"),
        ({"replay_count": "21", "replay_gap_m": "1"}, "Số lần phát phải từ 1 đến 20"),
        ({"replay_gap_m": "-15"}, "không âm"),
        ({"replay_gap_m": "mười"}, "không âm"),
        ({"replay_gap_m": "0"}, "lớn hơn 0"),
        ({"replay_gap_m": "30"}, "nằm ngoài khung giờ"),
        # The programme lasts over a minute: a repeat a minute later would air over the one before.
        ({"replay_gap_m": "1"}, "chồng lên lần trước"),
    ]
    before = count(store, Schedule)
    for fields, needle in bad:
        form = {k: v for k, v in _schedule_form(pid, **{**base, **fields}).items() if v is not None}
        r = editor.form("/lich-phat/moi", form)
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and needle in page, (fields, page[:3000])
        assert "Traceback" not in page
    assert count(store, Schedule) == before
    # Typed text comes back as typed, next to its field's error.
    form = {k: v for k, v in _schedule_form(pid, **base, replay_gap_m="mười").items() if v is not None}
    r = editor.form("/lich-phat/moi", form)
    assert 'value="mười"' in r.get_data(as_text=True)

    form = {k: v for k, v in _schedule_form(pid, **base, replay_gap_m="2,5").items() if v is not None}
    assert editor.form("/lich-phat/moi", form).status_code == 302
    with store.sessions() as s:
        sc = s.scalars(select(Schedule).order_by(Schedule.id.desc())).first()
        assert (sc.replay_count, sc.replay_gap_s) == (3, 150)
    assert 'name="replay_gap_m" type="number" min="0" step="any" value="2.5"' in editor.get(
        f"/lich-phat/{sc.id}/sua"
    ).get_data(as_text=True)


def test_repeats_for_one_day_only_hold_the_loudspeakers_that_day_only(editor, store):
    a = _ready_programme(editor, store, "Thông báo tiêm phòng")
    b = _ready_programme(editor, store, "Nhạc")
    soon = datetime.now(VN).date() + timedelta(days=3)
    day = soon.strftime("%d/%m/%Y")
    repeats = schedule_form(
        a, name="Tiêm phòng", start_time="06:00", window_minutes="60", start_date=soon.isoformat(),
        replay_count="3", replay_gap_m="15", replay_gap_s=None,
    )  # fmt: skip
    repeats = {k: v for k, v in repeats.items() if v is not None}
    # A day the schedule does not air, or no date at all, is refused and named at its field.
    for typed, needle in (
        ((soon - timedelta(days=1)).strftime("%d/%m/%Y"), "ngày đó lịch này không phát"),
        ("31/02/2030", "Chỉ phát nhiều lần vào ngày «31/02/2030»"),
    ):
        r = editor.form("/lich-phat/moi", {**repeats, "replay_on": typed})
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and needle in page, page[:3000]
        assert f'value="{typed}"' in page
    assert count(store, Schedule) == 0
    assert editor.form("/lich-phat/moi", {**repeats, "replay_on": day}).status_code == 302
    with store.sessions() as s:
        sc = s.scalars(select(Schedule)).one()
        assert sc.replay_on == soon
    edit = editor.get(f"/lich-phat/{sc.id}/sua").get_data(as_text=True)
    assert 'name="replay_on" type="text"' in edit and f'value="{day}"' in edit
    # 06:20 is inside the repeats on that day only: the day before and after it airs once, 06:00-06:02.
    other = {"name": "Nhạc", "recurrence": "once", "start_time": "06:20"}
    for when, clash in ((soon - timedelta(days=1), False), (soon, True), (soon + timedelta(days=1), False)):
        form = _schedule_form(b, **other, start_date=when.isoformat())
        data = editor.api("POST", "/lich-phat/kiem-tra", data=form).get_json()
        assert bool(data["trung_gio"]) == clash, (when, data)
    listed = editor.get("/lich-phat/danh-sach").get_data(as_text=True)
    assert f"Hằng ngày lúc 06:00, phát 3 lần, cách nhau 15 phút (chỉ ngày {day})" in listed


def test_operator_goes_live_from_the_control_page(operator, store):
    page = operator.get("/dieu-khien/").get_data(as_text=True)
    assert "Phát trực tiếp từ đài" in page and 'action="/dieu-khien/truc-tiep"' in page
    bad = (("mười", "không phải là số phút"), ("0", "phải từ 1 đến"), ("200", "phải từ 1 đến"))
    for typed, needle in bad:
        r = operator.form("/dieu-khien/truc-tiep", {"minutes": typed})
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and needle in page and "Traceback" not in page, page[:2000]
    assert count(store, ControlCommand) == 0
    r = operator.form("/dieu-khien/truc-tiep", {"minutes": "2,5"})
    assert r.status_code == 302
    with store.sessions() as s:
        (cmd,) = s.scalars(select(ControlCommand)).all()
        assert (cmd.action, cmd.payload["live_s"]) == ("play", 150.0)


def test_a_relay_items_fallback_is_chosen_in_the_editor(editor, store):
    pid = _new_programme(editor)
    html = editor.get(f"/chuong-trinh/{pid}").get_data(as_text=True)
    for label in ("Im lặng", "Một tệp hoặc mục của đài", "Các mục tiếp theo của chương trình"):
        assert f">{label}</option>" in html
    url = "http://dai-huyen.vn:8000/truc-tiep.mp3"
    relay = {"item_type": "relay", "stream_url": url, "relay_min": "5"}
    draft = make_segment(store, title="Tin nháp")
    ready = make_segment(store, title="Nhạc chờ", status=SegmentStatus.APPROVED)
    # A chosen item must be one of the station's approved segments; nothing is saved otherwise.
    for bad, says in (
        ({"fallback": "nhac"}, "Cách phát thay khi mất sóng phải là"),
        ({"fallback": "item"}, "Hãy chọn bản tin sẽ phát thay khi mất sóng."),
        ({"fallback": "item", "fallback_segment_id": str(draft)}, "«Tin nháp» chưa được duyệt"),
        ({"fallback": "item", "fallback_segment_id": "999999"}, "Không tìm thấy bản tin đã chọn."),
    ):
        r = editor.form(f"/chuong-trinh/{pid}/muc", relay | bad)
        assert r.status_code == 400 and says in r.get_data(as_text=True), bad
    assert _items(store, pid) == []
    editor.form(f"/chuong-trinh/{pid}/muc", relay | {"fallback": "item", "fallback_segment_id": str(ready)})
    editor.form(f"/chuong-trinh/{pid}/muc", relay | {"fallback": "next"})
    editor.form(f"/chuong-trinh/{pid}/muc", relay)
    first, second, third = _items(store, pid)
    assert (first.fallback, first.fallback_segment_id) == ("item", ready)
    assert (second.fallback, second.fallback_segment_id) == ("next", None)
    assert (third.fallback, third.fallback_segment_id) == (None, None)
    html = editor.get(f"/chuong-trinh/{pid}").get_data(as_text=True)
    assert "mất sóng thì phát thay: bản tin «Nhạc chờ»" in html
    assert "mất sóng thì phát thay: các mục tiếp theo của chương trình" in html
    assert "mất sóng thì phát thay: theo cài đặt của đài" in html
    with store.sessions() as s:
        audit = s.scalars(
            select(AuditLog).where(AuditLog.entity == "programme", AuditLog.action == "add_item")
        ).all()
    assert audit[0].after["items"][0]["fallback_segment_id"] == ready
    # Changed later on the item's own row, with the same rules; a bad choice changes nothing.
    change = f"/chuong-trinh/{pid}/muc/{third.id}/phat-thay"
    r = editor.form(change, {"fallback": "item", "fallback_segment_id": str(draft)}, follow_redirects=True)
    assert "«Tin nháp» chưa được duyệt" in r.get_data(as_text=True)
    assert _items(store, pid)[2].fallback is None
    r = editor.form(change, {"fallback": "silence"}, follow_redirects=True)
    assert "Đã lưu cách phát thay khi mất sóng." in r.get_data(as_text=True)
    assert _items(store, pid)[2].fallback == "silence"
    with store.sessions() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "set_fallback")) is not None
