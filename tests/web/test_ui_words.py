"""What officers see: Vietnamese dates and numbers, no emoji, errors next to their fields, readable audit.

Every user-visible word is Vietnamese whatever the browser's language: dates are typed dd/mm/yyyy
(ISO still accepted), times HH:MM in 24 h, numbers carry a decimal comma; the audit log shows what
changed with Vietnamese field names and values, not raw JSON.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from broadcaster import content, rules
from broadcaster.db import utcnow
from broadcaster.models import (
    AirStatus,
    AsRunEntry,
    AudioAsset,
    ItemType,
    Occurrence,
    RenderJob,
    Schedule,
    SegmentStatus,
    Zone,
)
from broadcaster.web._format import by_airing, num, voice_detail

from .conftest import make_segment, schedule_form

ROOT = Path(__file__).resolve().parents[2]
#: Pictographs an office PC without an emoji font draws as empty boxes (▶ ✓ ↩ ■ ⚠ are fine).
EMOJI = re.compile("[\U0001f000-\U0001faff\u23e9-\u23fa\u2b50\u2b55\u231a\u231b\u2614\u2615\u26a1]")


def test_no_emoji_in_templates_or_scripts():
    for path in list((ROOT / "web").rglob("*.html")) + list((ROOT / "web").rglob("*.js")):
        found = EMOJI.findall(path.read_text("utf-8"))
        assert not found, (path.name, found)


def test_no_browser_date_widgets_nor_bare_file_inputs(editor, admin):
    """type=date/time/month follow the browser's language (mm/dd/yyyy, 06:49 PM): none are used."""
    pages = [
        "/ban-tin/moi",
        "/ban-tin/",
        "/lich-phat/moi",
        "/nhat-ky-phat/",
        "/chuong-trinh/moi",
        "/chuong-trinh/chuyen-muc-thang",
        "/tep-am-thanh/",
    ]
    for path in pages:
        html = editor.get(path).get_data(as_text=True)
        assert not re.search(r'type="(date|time|month|datetime-local)"', html), path
        for tag in re.findall(r'<input[^>]*type="file"[^>]*>', html):
            assert 'class="file-input"' in tag, (path, tag)
            assert "Chọn tệp…" in html and "Chưa chọn tệp nào" in html
    html = editor.get("/lich-phat/moi").get_data(as_text=True)
    assert 'placeholder="dd/mm/yyyy"' in html and 'placeholder="HH:MM"' in html
    html = editor.get("/ban-tin/").get_data(as_text=True)
    assert re.search(r'name="thang"[^>]*placeholder="Tháng \(mm/yyyy\)"', html, re.S)


def test_dates_times_months_read_both_ways():
    assert content.to_date("05/01/2026") == content.to_date("2026-01-05") == date(2026, 1, 5)
    assert content.to_date("5/1/2026") == date(2026, 1, 5)
    assert content.to_time("17:05") == time(17, 5) and content.to_time("7:05:09") == time(7, 5, 9)
    assert content.to_month("3/2026") == content.to_month("2026-03") == "2026-03"
    for bad in ("31/02/2026", "2026/01/05", "hôm nay"):
        with pytest.raises(ValueError, match="Ngày"):
            content.to_date(bad)
    for bad in ("25:00", "6:49 PM", "0630"):
        with pytest.raises(ValueError, match="Giờ"):
            content.to_time(bad)
    with pytest.raises(ValueError, match="Tháng"):
        content.to_month("13/2026")
    assert content.show_date(date(2026, 1, 5)) == "05/01/2026" and content.show_month("2026-03") == "03/2026"
    assert content.show_time(time(5, 30)) == "05:30" and content.show_time(time(5, 30, 7)) == "05:30:07"


def _programme_with_segment(editor, store) -> int:
    sid = make_segment(store, title="Tin sáng", status=SegmentStatus.APPROVED)
    r = editor.form("/chuong-trinh/moi", {"title": "Bản tin sáng", "month": "11/2026"})
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
    pid = int(re.search(r"/chuong-trinh/(\d+)", r.headers["Location"]).group(1))
    editor.form(f"/chuong-trinh/{pid}/muc", {"item_type": "segment", "segment_id": sid})
    return pid


def _form(pid, **kw) -> dict:
    """The schedule form with the date typed the Vietnamese way."""
    return schedule_form(pid, **{"start_date": "07/01/2030", **kw})


def test_schedule_form_takes_vietnamese_dates_and_puts_errors_next_to_fields(editor, store):
    pid = _programme_with_segment(editor, store)
    bad = _form(pid, start_time="6:49 PM", start_date="31/02/2030", window_minutes="0")
    r = editor.form("/lich-phat/moi", bad)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    for field, words in (
        ("start_time", "Giờ bắt đầu «6:49 PM» không đúng dạng"),
        ("start_date", "Từ ngày «31/02/2030» không có trên lịch"),
        ("window_minutes", "Khung giờ phát phải dài hơn 0 phút"),
    ):
        block = re.search(rf'<div class="field has-error" data-field="{field}">(.*?)</div>', html, re.S)
        assert block and words in block.group(1) and 'class="field-error"' in block.group(1), field
    # The summary on top links to each field; what was typed is shown back as typed.
    assert '<a href="#f-start_time">Giờ bắt đầu</a> «6:49 PM» không đúng dạng' in html
    assert 'value="6:49 PM"' in html
    assert "Cần chọn ngày bắt đầu" not in html  # the typed date is already named
    # The check the page runs before saving says the same, per field.
    data = editor.api("POST", "/lich-phat/kiem-tra", data=_form(pid, start_time="25:00")).get_json()
    assert [(p["o"], p["id"]) for p in data["loi_theo_o"]] == [("start_time", "f-start_time")]
    assert data["loi_theo_o"][0]["con_lai"].startswith(" «25:00» không có thật")
    # Vietnamese dates, 24 h time, skip days: saved as dates, shown back dd/mm/yyyy.
    r = editor.form("/lich-phat/moi", _form(pid, start_time="17:45", skip_dates="01/01/2031\n2031-01-02"))
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with store.sessions() as s:
        sc = s.scalar(select(Schedule).order_by(Schedule.id.desc()))
        assert sc.start_date == date(2030, 1, 7) and sc.start_time == time(17, 45)
        assert sc.skip_dates == ["2031-01-01", "2031-01-02"]
        sid = sc.id
    html = editor.get(f"/lich-phat/{sid}/sua").get_data(as_text=True)
    assert 'value="07/01/2030"' in html and 'value="17:45"' in html and "01/01/2031\n02/01/2031" in html


def test_once_schedule_may_carry_seconds(editor, store):
    pid = _programme_with_segment(editor, store)
    r = editor.form("/lich-phat/moi", _form(pid, recurrence="once", start_time="05:30:20"))
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with store.sessions() as s:
        assert s.scalar(select(Schedule).order_by(Schedule.id.desc())).start_time == time(5, 30, 20)


def test_month_fields_take_mm_yyyy(editor, store, config):
    make_segment(store, title="Tin tháng này")
    # The station's month, not UTC's: they differ for hours at each month's turn (a CI run at 17:05 UTC
    # on 30/11 is already 01/12 in Asia/Ho_Chi_Minh).
    this_month = utcnow().astimezone(config.tz).strftime("%m/%Y")
    html = editor.get("/ban-tin/?thang=" + this_month).get_data(as_text=True)
    assert "Tin tháng này" in html and f'value="{this_month}"' in html
    r = editor.get("/ban-tin/?thang=13/2026")
    assert r.status_code == 400 and "Tháng «13/2026»" in r.get_data(as_text=True)
    r = editor.form("/chuong-trinh/moi", {"title": "Chuyên mục", "month": "11/2026"})
    assert r.status_code == 302
    html = editor.get(r.headers["Location"]).get_data(as_text=True)
    assert 'value="11/2026"' in html


def test_segment_dates_typed_day_first(editor, store):
    r = editor.form(
        "/ban-tin/moi",
        {"title": "Tin", "body": "Nội dung", "kind": "cchc_news"}
        | {"valid_from": "02/05/2025", "valid_to": "31/05/2025"},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
    html = editor.get(r.headers["Location"]).get_data(as_text=True)
    assert "02/05/2025 – 31/05/2025" in html and '<dl class="meta">' in html
    css = (ROOT / "web" / "static" / "app.css").read_text("utf-8")
    assert re.search(r"dl\.meta\s*\{[^}]*grid-template-columns", css)


def test_numbers_use_a_decimal_comma(editor, store):
    assert num(-16.24) == "-16,2" and num(1250.5, 0) == "1.250" and num(31.4, 0) == "31" and num(None) == ""
    assert num(-0.04) == "0,0"
    with store.sessions.begin() as s:
        st = store.station(s)
        s.add(
            AudioAsset(
                station_id=st.id,
                source="upload",
                path="x.wav",
                sha256="0" * 64,
                duration_ms=61_500,
                loudness_lufs=-16.24,
                original_name="thu-am.wav",
            )
        )
    html = editor.get("/tep-am-thanh/").get_data(as_text=True)
    assert "-16,2 LUFS" in html and "-16.2" not in html


def test_dashboard_words_disk_and_voice(operator):
    html = operator.get("/").get_data(as_text=True)
    assert re.search(r"còn trống \d+% dung lượng ổ đĩa", html)
    detail = "Sẵn sàng, giọng miền Bắc, miền Nam (qua espeak)."
    assert voice_detail(detail) == "Giọng miền Bắc, miền Nam (qua espeak)."
    assert voice_detail("Không có giọng tiếng Việt nào") == "Không có giọng tiếng Việt nào"


def test_audit_shows_a_vietnamese_diff(admin, store):
    make_segment(store, title="Tin được duyệt", status=SegmentStatus.APPROVED)
    html = admin.get("/quan-tri/nhat-ky-thay-doi").get_data(as_text=True)
    assert "Trạng thái" in html and "Chờ duyệt" in html and "Đã duyệt" in html
    arrow = r'class="before">Chờ duyệt</span><span class="arrow"[^>]*>→</span><span class="after">Đã duyệt'
    assert re.search(arrow, html)
    for english in ('"status"', "approved", "submitted", "cchc_news", "updated_at", "{"):
        assert english not in re.sub(r"<[^>]+>", " ", html.split("<tbody>", 1)[1]), english
    assert "Tin cải cách hành chính" in html  # the created segment's kind, by its label


def test_render_job_shows_no_english(editor, store):
    with store.sessions.begin() as s:
        st = store.station(s)
        job = RenderJob(station_id=st.id, programme_id=None, total=0, done=0, status="weird")
        s.add(job)
        s.flush()
        jid = job.id
    data = editor.api("GET", f"/chuong-trinh/tien-do/{jid}.json").get_json()
    assert data["trang_thai"] == "weird" and data["nhan"] == "Có lỗi"


def _airing(s, st, zone, title, at, items):
    o = Occurrence(
        station_id=st.id,
        zone_id=zone.id,
        scheduled_at=at,
        title=title,
        status=AirStatus.PLAYED,
        started_at=at,
    )
    s.add(o)
    s.flush()
    t = at
    for pos, (item_title, kind, secs) in enumerate(items):
        s.add(
            AsRunEntry(
                station_id=st.id,
                occurrence_id=o.id,
                position=pos,
                zone_id=zone.id,
                item_type=kind,
                title=item_title,
                scheduled_at=at,
                started_at=t,
                ended_at=t + timedelta(seconds=secs),
                duration_ms=secs * 1000,
                status=AirStatus.PLAYED,
            )
        )
        t += timedelta(seconds=secs)


def test_as_run_lists_airings_newest_first_items_in_air_order(operator, store):
    now = utcnow().replace(microsecond=0)
    with store.sessions.begin() as s:
        st = store.station(s)
        zone = s.scalar(select(Zone).where(Zone.station_id == st.id))
        items = [
            ("Nhạc mở đầu", ItemType.CHIME, 4),
            ("Tin sáng nay", ItemType.SEGMENT, 70),
            ("Nhạc kết thúc", ItemType.CHIME, 3),
        ]
        _airing(s, st, zone, "Buổi sáng", now - timedelta(hours=3, seconds=7), items)
        _airing(s, st, zone, "Buổi trưa", now - timedelta(hours=1, seconds=7), items)
    order = ["Nhạc mở đầu", "Tin sáng nay", "Nhạc kết thúc"]
    for path, table in (
        ("/", r'<table class="table" id="recent">(.*?)</table>'),
        ("/nhat-ky-phat/", r'<table class="table">(.*?)</table>'),
    ):
        html = operator.get(path).get_data(as_text=True)
        rows = re.findall(r"<tr class=\"row-[^\"]*\">(.*?)</tr>", re.search(table, html, re.S).group(1), re.S)
        titles = [next(t for t in order if t in r) for r in rows if any(t in r for t in order)]
        shown = [r for r in rows if any(t in r for t in order)]
        progs = ["Buổi trưa" if "Buổi trưa" in r else "Buổi sáng" for r in shown]
        assert titles == order * 2, (path, titles)
        assert progs == ["Buổi trưa"] * 3 + ["Buổi sáng"] * 3, (path, progs)
        assert re.search(r"\d\d:\d\d:\d\d", rows[0]), path  # to the second
        assert html.count("airing-start") >= 2, path


def test_by_airing_groups_by_occurrence_in_air_order():
    base = utcnow().replace(microsecond=0)
    rows = [  # newest first, as the dashboard's query gives them; two airings of one programme
        {"occurrence_id": 8, "position": 1, "at": base + timedelta(minutes=30, seconds=4), "title": "Tin"},
        {"occurrence_id": 8, "position": 0, "at": base + timedelta(minutes=30), "title": "Chuông"},
        {"occurrence_id": 7, "position": 1, "at": base + timedelta(seconds=4), "title": "Tin"},
        {"occurrence_id": 7, "position": 0, "at": base, "title": "Chuông"},
    ]
    out = by_airing(rows)
    assert [(r["occurrence_id"], r["title"], first) for r, first in out] == [
        (8, "Chuông", True),
        (8, "Tin", False),
        (7, "Chuông", True),
        (7, "Tin", False),
    ]


def test_settings_show_and_take_a_decimal_comma(admin, store, config):
    html = admin.get("/quan-tri/cai-dat").get_data(as_text=True)
    assert re.search(r'name="loudness_target"[^>]*value="-16"', html) and "-16.0" not in html
    with store.sessions() as s:
        current = rules.get_settings(s, store.station(s).id, config)
    form = {k: content.setting_text(k, v) for k, v in current.items()} | {"loudness_target": "-18,5"}
    r = admin.form("/quan-tri/cai-dat", form)
    assert r.status_code in (200, 302), r.get_data(as_text=True)[-800:]
    html = admin.get("/quan-tri/cai-dat").get_data(as_text=True)
    assert re.search(r'name="loudness_target"[^>]*value="-18,5"', html)
