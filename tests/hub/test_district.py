"""The district's report, a station's as-run at the hub and the hub's pages, on a real SQLite store.

The rows are what stations post (``hub.receive_asrun``) for a past month, October 2026, so no
test depends on today's date; the exports are read back with openpyxl and python-docx.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import sleep

import pytest
import requests
from conftest import screenshots
from docx import Document
from openpyxl import load_workbook

from broadcaster import content, hub, reports
from broadcaster.db import utcnow
from broadcaster.models import Origin, Priority, Programme, Recurrence, Schedule
from broadcaster.rules import parse_period

OCT = parse_period("2026-10")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # the report is made in November
EVIL = '=HYPERLINK("http://x.invalid","Bấm")'


def _uid() -> str:
    return str(uuid.uuid4())


def _row(
    at: datetime, kind: str | None, minutes: float, *, area=None, status="played", title="Tin", **kw
) -> dict:
    return {
        "uid": _uid(),
        "occurrence_uid": kw.pop("occurrence_uid", _uid()),
        "item_type": "segment" if kind else "chime",
        "kind": kind,
        "area": area,
        "title": title,
        "scheduled_at": at.isoformat(),
        "started_at": at.isoformat(),
        "ended_at": (at + timedelta(minutes=minutes)).isoformat(),
        "duration_ms": int(minutes * 60000),
        "status": status,
        **kw,
    }


def _at(day: int, hour: int = 6) -> datetime:
    """Local ``hour`` o'clock on a day of October 2026 in the report's zone, as UTC."""
    return datetime(2026, 10, day, hour, tzinfo=OCT.tz).astimezone(UTC)


def _district_daily(s, home, title: str, targets, name: str, at: time, days: tuple[int, int], priority):
    """Give back a district schedule ``name`` of a new programme ``title``, daily at ``at`` local
    from one day of October 2026 to another (a 30-minute window), aimed at ``targets``."""
    prog = Programme(station_id=home.id, origin=Origin.HUB, title=title)
    s.add(prog)
    s.flush()
    sched = Schedule(
        station_id=home.id,
        origin=Origin.HUB,
        programme_id=prog.id,
        name=name,
        recurrence=Recurrence.DAILY,
        start_time=at,
        start_date=date(2026, 10, days[0]),
        end_date=date(2026, 10, days[1]),
        priority=priority,
        window_minutes=30,
    )
    sched.targets = targets
    s.add(sched)
    s.flush()
    return sched


def seed(s, home) -> dict[str, tuple[object, str, list[dict]]]:
    """Register three stations and a daily district airing on 3 days for two of them; give back
    code -> (station, token, the as-run rows it will send)."""
    a, tok_a = hub.add_station(s, "xa-a", "Xã An Hòa", groups=["cụm ven biển"])
    b, tok_b = hub.add_station(s, "xa-b", EVIL)
    c, tok_c = hub.add_station(s, "xa-c", "Xã Cát Tiên")
    sched = _district_daily(
        s, home, "Tin huyện tháng 10", [a, b], "Lịch tiếp dân", time(6, 0), (5, 7), Priority.PRIORITY
    )
    airings = [hub.airing_uid(sched.uid, sched.recurrence, _at(d)) for d in (5, 6, 7)]
    rows_a = [
        _row(_at(2), "cchc_news", 3, area="procedure"),
        _row(_at(2), "good_example", 2),
        _row(_at(3), "procedure", 4.5, area="digital_government", procedure="Đăng ký khai sinh"),
        _row(_at(3), None, 0.1),  # a chime: not content, not counted
        _row(_at(4), "cchc_news", 10, area="institution", status="interrupted"),  # not whole
    ] + [
        _row(_at(d), "cchc_news", 1, area="procedure", schedule_uid=u, origin="hub")
        for d, u in zip((5, 6, 7), airings, strict=True)
    ]
    rows_b = [
        _row(_at(10), "cchc_news", 6, area="apparatus"),
        _row(
            _at(5), "cchc_news", 0, status="failed", schedule_uid=airings[0], origin="hub", reason="Lỗi loa"
        ),
        _row(_at(31, 23), "good_example", 2),  # 23:00 local on 31/10 is 16:00 UTC: still October
    ]
    return {"xa-a": (a, tok_a, rows_a), "xa-b": (b, tok_b, rows_b), "xa-c": (c, tok_c, [])}


@pytest.fixture
def district(store):
    """The seeded district, its rows received as the report endpoint receives them."""
    with store.sessions.begin() as s:
        for code, (st, _tok, rows) in seed(s, store.station(s)).items():
            acked, refused = hub.receive_asrun(s, st, rows)
            assert refused == [] and len(acked) == len(rows)
            if code != "xa-c":  # c never called
                hub.note_contact(s, st, {"clock": NOW.isoformat()}, now=NOW)
    return store


def test_the_district_report_counts_communes_areas_and_what_was_missed(district):
    with district.sessions() as s:
        r = hub.compute_district_report(s, district.config.station_code, OCT, now=NOW)
    by = {row.code: row for row in r.rows}
    assert [row.code for row in r.rows] == ["xa-a", "xa-b", "xa-c"]
    a, b, c = by["xa-a"], by["xa-b"], by["xa-c"]
    assert (a.items, a.minutes) == (6, 12.5)  # the chime and the interrupted item do not count
    assert a.area_minutes("procedure") == 6 and a.area_minutes("digital_government") == 4.5
    assert a.area_minutes(None) == 2  # the good-deeds item carries no area
    assert a.column_months == a.good_months == {(2026, 10)}
    assert b.column_months == {(2026, 10)} and b.good_months == {(2026, 10)}  # 31/10 23:00 local
    assert c.items == 0 and not c.column_months
    assert [x.state for x in a.hub_airings] == ["aired"] * 3
    assert [x.state for x in b.hub_airings] == ["missed"] * 3
    assert "Lỗi loa" in b.hub_airings[0].detail and "không gửi" in b.hub_airings[1].detail
    assert c.hub_airings == []  # not targeted
    gaps = [(row.code, ym, lacks) for row, ym, lacks in r.gaps()]
    assert gaps == [("xa-c", (2026, 10), ["Chuyên mục cải cách hành chính", "Nêu gương người tốt, việc tốt"])]

    # The same station, not heard of since before the airing: not reported yet, not missed.
    early = datetime(2026, 10, 6, 0, 0, tzinfo=UTC)
    with district.sessions() as s:
        st = hub.find_station(s, "xa-b", district.config.station_code)
        st.last_seen_at = early - timedelta(days=2)
        r2 = hub.compute_district_report(s, district.config.station_code, OCT, now=early)
        s.rollback()
    states = [x.state for x in next(row for row in r2.rows if row.code == "xa-b").hub_airings]
    # 07:00 local on 6/10: the 5th failed (its row came in), the 6th is not reported, the 7th ahead.
    assert states == ["missed", "unreported", "ahead"]
    assert r2.current == (2026, 10) and r2.judged_months() == []


def test_a_district_offer_declined_or_not_taken_is_no_miss_and_an_accepted_one_is_judged_at_its_time(
    district,
):
    """Normal-level airings are offers (Circular 39): the commune may decline them or let them pass."""
    with district.sessions.begin() as s:
        home = district.station(s)
        a = hub.find_station(s, "xa-a", district.config.station_code)
        c = hub.find_station(s, "xa-c", district.config.station_code)
        offer = _district_daily(
            s,
            home,
            "Thông báo thu thuế",
            [a, c],
            "Thông báo thu thuế",
            time(17, 0),
            (12, 15),
            Priority.NORMAL,
        )
        prog = offer.programme
        uid = {d: hub.airing_uid(offer.uid, offer.recurrence, _at(d, 17)) for d in (12, 13, 14, 15)}
        decided = NOW - timedelta(days=45)
        decisions = [
            {"uid": _uid(), "schedule_uid": uid[12], "decision": "declined", "reason": "Trùng họp thôn"},
            {
                "uid": _uid(),
                "schedule_uid": uid[13],
                "decision": "accepted",
                "air_at": _at(13, 19).isoformat(),
            },
            {
                "uid": _uid(),
                "schedule_uid": uid[14],
                "decision": "accepted",
                "air_at": _at(14, 19).isoformat(),
            },
        ]
        acked, refused = hub.receive_decisions(
            s, a, [d | {"decided_at": decided.isoformat()} for d in decisions]
        )
        assert refused == [] and len(acked) == 3
        # A aired the 13th at the time it chose; the 14th it accepted but never aired; the 15th undecided.
        hub.receive_asrun(s, a, [_row(_at(13, 19), "cchc_news", 2, schedule_uid=uid[13], origin="hub")])
        # The district withdrew a second offer on the 10th: its later starts were never due.
        gone = Schedule(
            station_id=home.id,
            origin=Origin.HUB,
            programme_id=prog.id,
            name="Đã rút",
            recurrence=Recurrence.DAILY,
            start_time=time(8, 0),
            start_date=date(2026, 10, 8),
            priority=Priority.PRIORITY,
            enabled=False,
            updated_at=_at(10, 12),
        )
        gone.targets = [c]
        s.add(gone)
    with district.sessions() as s:
        r = hub.compute_district_report(s, district.config.station_code, OCT, now=NOW)
    by = {row.code: row for row in r.rows}
    offers_a = [(x.at, x.state, x.detail) for x in by["xa-a"].hub_airings if x.title == "Thông báo thu thuế"]
    assert offers_a == [
        (_at(12, 17), "declined", "Trùng họp thôn"),
        (_at(13, 19), "aired", ""),
        (_at(14, 19), "missed", "Đài không gửi nhật ký phát cho buổi này"),
        (_at(15, 17), "not_taken", "Xã không quyết định trước giờ phát"),
    ]
    states_c = [(x.title, x.state) for x in by["xa-c"].hub_airings]
    assert states_c == [("Đã rút", "unreported")] * 3 + [("Thông báo thu thuế", "not_taken")] * 4
    summary = hub.district_tables(r)[0].rows
    assert summary[0][-1] == "4/5"  # A: 3 priority airings and the accepted 13th aired; the 14th missed
    assert summary[2][-1] == "0/3"  # C: the withdrawn schedule's 8th-10th; offers it never took are not due
    # A long list is cut, as the station report's list of problems, and says so (A 3, B 3, C 7).
    t4 = hub.district_tables(r, limit=2)[3]
    assert len(t4.rows) == 2 and "Chỉ liệt kê 2 trên tổng số 13 trường hợp" in t4.note


def test_the_district_report_exports_read_back_with_their_figures_and_no_formula(district):
    with district.sessions() as s:
        r = hub.compute_district_report(s, district.config.station_code, OCT, now=NOW)
        doc = hub.district_document(r)
        lh = hub.district_letterhead(s, district.config.station_code)
    files = {fmt: reports.export_document(doc, lh, fmt) for fmt in reports.FORMATS}

    lines = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    flat = [c for line in lines for c in line]
    assert "BÁO CÁO" in flat and any("tháng 10 năm 2026" in c for c in flat)
    assert "'" + EVIL in flat and "'" + EVIL + " (xa-b)" in flat  # neutralised wherever it starts a cell
    assert not any(c.startswith("=") for c in flat)
    head = lines.index(["1. Kết quả theo đài truyền thanh xã"])
    assert lines[head + 2][:5] == ["1", "Xã An Hòa (xa-a)", "6", "6", "12.5"]
    assert lines[head + 2][5:] == ["1", "1", "3/3"] and lines[head + 3][-1] == "0/3"

    wb = load_workbook(io.BytesIO(files["xlsx"]))
    assert wb.sheetnames[:5] == [
        "Báo cáo",
        "tong_hop_xa",
        "linh_vuc_xa",
        "xa_con_thieu",
        "tin_huyen_chua_phat",
    ]
    assert wb.sheetnames[5:] == ["tiep_song"]
    areas = wb["linh_vuc_xa"]
    header = [c.value for c in areas[2]]
    assert header[0] == "Đài xã" and "Cải cách thủ tục hành chính" in header and header[-1] == "Tổng cộng"
    row_a = {h: c.value for h, c in zip(header, areas[3], strict=True)}
    assert row_a["Cải cách thủ tục hành chính"] == 6 and row_a["Tổng cộng"] == 12.5
    missed = wb["tin_huyen_chua_phat"]
    assert [missed.cell(r, 5).value for r in range(3, 6)] == ["Không phát"] * 3
    evil = [c for row in wb["linh_vuc_xa"].iter_rows() for c in row if c.value == EVIL]
    assert evil and all(c.data_type == "s" for c in evil)  # text, never a formula

    d = Document(io.BytesIO(files["docx"]))
    text = "\n".join(p.text for p in d.paragraphs)
    assert (
        "BÁO CÁO" in text
        and "I. TÌNH HÌNH CHUNG" in text
        and "GIÁM ĐỐC" in "\n".join(cell.text for t in d.tables for row in t.rows for cell in row.cells)
    )
    assert "1/3 đài đã phát chuyên mục" not in text and "2/3 đài đã phát chuyên mục" in text
    cells = [[cell.text for cell in row.cells] for t in d.tables for row in t.rows]
    assert [
        "1",
        "Xã Cát Tiên",
        "Tháng 10/2026",
        "Chuyên mục cải cách hành chính; Nêu gương người tốt, việc tốt",
    ] in cells


def test_the_district_docx_tables_keep_their_look(district):
    """The communes' tables (written as XML in one go, not cell by cell) read back in python-docx
    as Word shows them: a bold, centred header row repeated on each page, 12 pt Times New Roman,
    fixed widths the same in the grid and in every cell, numbers right-aligned, a bold total."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    with district.sessions() as s:
        r = hub.compute_district_report(s, district.config.station_code, OCT, now=NOW)
        lh = hub.district_letterhead(s, district.config.station_code)
    d = Document(io.BytesIO(reports.export_document(hub.district_document(r), lh, "docx")))
    assert d.styles["Normal"].font.name == "Times New Roman"
    sec = d.sections[0]
    text_width = sec.page_width - sec.left_margin - sec.right_margin
    communes, areas = d.tables[1:3]  # after the letterhead: tables 1 and 2 of the report
    grid = [[cell.text for cell in row.cells] for row in communes.rows]
    assert grid[0][:5] == ["STT", "Đài xã", "Số buổi phát", "Số lượt tin, bài", "Thời lượng (phút)"]
    assert grid[1] == ["1", "Xã An Hòa (xa-a)", "6", "6", "12,5", "1", "1", "3/3"]
    assert grid[2][1] == EVIL + " (xa-b)" and grid[3][1] == "Xã Cát Tiên (xa-c)"
    assert grid[4][:2] == ["", "Tổng cộng"] and len(grid) == 5
    names = ["Đài xã", "Xã An Hòa", EVIL, "Xã Cát Tiên", "Tổng cộng"]
    assert [row.cells[0].text for row in areas.rows] == names
    for t, first_number in ((communes, 2), (areas, 1)):
        assert t.style.name == "Table Grid" and t.alignment == WD_TABLE_ALIGNMENT.CENTER
        assert t._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        header = t.rows[0]
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page
        widths = [int(c.get(qn("w:w"))) for c in t._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(widths) * 635 <= text_width * 1.01 and all(w > 0 for w in widths)
        for i, row in enumerate(t.rows):
            assert [round(c.width.twips) for c in row.cells] == widths
            for j, cell in enumerate(row.cells):
                (p,) = cell.paragraphs
                runs = p.runs
                assert len(runs) == 1 and runs[0].font.size == Pt(12)
                assert p.paragraph_format.space_after == Pt(0)
                last = i == len(t.rows) - 1
                assert bool(runs[0].bold) == (i == 0 or last), (i, j)
                if i == 0:
                    assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER
                elif j >= first_number and cell.text and cell.text[0].isdigit() and "/" not in cell.text:
                    assert p.alignment == WD_ALIGN_PARAGRAPH.RIGHT, (i, j, cell.text)
                else:
                    assert p.alignment is None, (i, j, cell.text)
    stt, *others = [c.width for c in communes.rows[0].cells]
    assert stt < min(others)


def test_the_station_report_still_comes_out_of_the_shared_writers(district):
    """The station's own export goes through the same Document as the district's."""
    with district.sessions() as s:
        station = district.station(s)
        rep = reports.compute_report(s, station, OCT, now=NOW)
        lh = reports.letterhead(s, station)
    doc = reports.report_document(rep, "Tóm tắt riêng\n\nđoạn hai")
    assert doc.narrative == ["Tóm tắt riêng", "đoạn hai"] and doc.title[0] == "BÁO CÁO"
    assert reports.export_csv(rep, lh, "Tóm tắt riêng\n\nđoạn hai") == reports.document_csv(doc, lh)
    assert reports.report_document(rep).narrative[0] in reports.export_csv(rep, lh).decode("utf-8-sig")


def _login(store) -> int:
    with store.sessions.begin() as s:
        return content.create_user(s, store.station(s), "huyen", "mat-khau-dai-1", "admin").id


def test_the_hub_pages_show_stations_as_run_pages_and_the_report(district, config):
    from broadcaster.web import create_app

    with district.sessions.begin() as s:
        a = hub.find_station(s, "xa-a", district.config.station_code)
        extra = [_row(_at(20) + timedelta(minutes=k), "hotline", 1, title=f"Dòng {k}") for k in range(55)]
        hub.receive_asrun(s, a, extra)
        hub.note_contact(
            s,
            a,
            {"next_airing": {"title": "Bản tin tối", "at": "2026-11-20T11:00:00+00:00"}, "on_air": "Sáng"},
        )
    uid = _login(district)
    app = create_app(config.with_overrides(mode="hub"), store=district)
    with app.test_client() as c:
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = f"{uid}:0", True
        page = c.get("/huyen/cac-dai").get_data(as_text=True)
        part = c.get("/huyen/cac-dai/bang").get_data(as_text=True)
        assert "Bản tin tối" in page and "(20/11/2026 18:00)" in page and "Buổi phát tiếp theo" in page
        assert part.startswith('<div class="table-wrap"><table') and "<html" not in part
        assert "Bản tin tối" in part
        js = c.get("/huyen/cac-dai.json").get_json()
        assert [x["code"] for x in js] == ["xa-a", "xa-b", "xa-c"]

        p1 = c.get("/huyen/dai/xa-a/nhat-ky?period=2026-10")
        html = p1.get_data(as_text=True)
        assert p1.status_code == 200 and "63 dòng nhật ký" in html and "trang 1/2" in html
        assert "Dòng 54" in html and "Dòng 4<" not in html  # newest first, 50 on a page
        p2 = c.get("/huyen/dai/xa-a/nhat-ky?period=2026-10&trang=2").get_data(as_text=True)
        assert "Dòng 4<" in p2 and "Dòng 54" not in p2 and "Mới hơn" in p2
        bad = c.get("/huyen/dai/xa-a/nhat-ky?period=quý 9/2026")
        assert bad.status_code == 400 and "không hợp lệ" in bad.get_data(as_text=True)
        assert c.get("/huyen/dai/khong-co/nhat-ky").status_code == 404

        rep = c.get("/huyen/bao-cao?period=2026-10").get_data(as_text=True)
        assert "Xã Cát Tiên" in rep and "Không phát" in rep and "Cải cách thể chế" in rep
        for fmt, magic in (("csv", b"\xef\xbb\xbf"), ("xlsx", b"PK"), ("docx", b"PK")):
            got = _export(c, f"period=2026-10&format={fmt}")
            assert got.status_code == 200 and got.data.startswith(magic)
            assert f"bao-cao-huyen_2026-10.{fmt}" in got.headers["Content-Disposition"]
        wrong = c.get("/huyen/bao-cao/xuat?period=2026-10&format=pdf")
        assert wrong.status_code == 400 and "không hỗ trợ" in wrong.get_data(as_text=True)


def _export(client, query: str):
    """Give back the download an export link ends in, its job's page followed as a browser does
    (the page reloads itself each second while the job runs, then goes to the file)."""
    start = client.get(f"/huyen/bao-cao/xuat?{query}")
    assert start.status_code == 302, start.get_data(as_text=True)
    return _follow(client, start.headers["Location"])


def _follow(client, status: str):
    """Give back the file at the end of an export's page ``status``, reloaded until it is ready."""
    for _ in range(300):
        html = client.get(status).get_data(as_text=True)
        if 'content="0;url=' in html:
            return client.get(f"{status}/tai")
        assert '<meta http-equiv="refresh" content="1">' in html, html
        sleep(0.05)
    raise AssertionError("the export did not finish in 15 s")


def test_the_district_export_is_a_job_the_page_follows(district, config, monkeypatch):
    """The export link answers at once with a page that follows a job (the seconds of a large
    district are spent outside the request); the page says what is being done, in Vietnamese,
    then hands over the file; a failed or interrupted job says so; old jobs are cleared."""
    import threading

    from broadcaster.hub import _export_job
    from broadcaster.web import create_app

    uid = _login(district)
    app = create_app(config.with_overrides(mode="hub"), store=district)
    go, real = threading.Event(), _export_job.compute_district_report

    def held(*args, **kw):
        assert go.wait(10)
        return real(*args, **kw)

    monkeypatch.setattr(_export_job, "compute_district_report", held)
    exports = config.data_dir / "exports"
    stale = exports / ("0" * 32)
    stale.mkdir(parents=True)
    os.utime(stale, (0, 0))
    with app.test_client() as c:
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = f"{uid}:0", True
        start = c.get("/huyen/bao-cao/xuat?period=2026-10&format=docx")
        assert start.status_code == 302 and not stale.exists()  # a job kept past KEEP is removed
        status = start.headers["Location"]
        page = c.get(status).get_data(as_text=True)
        assert "Đang tổng hợp số liệu của các đài xã…" in page and 'content="1"' in page
        early = c.get(f"{status}/tai")  # not ready: back to the page, no half file
        assert early.status_code == 302 and early.headers["Location"].endswith(status)
        go.set()
        got = _follow(c, status)
        assert 'filename="bao-cao-huyen_2026-10.docx"' in got.headers["Content-Disposition"]
        d = Document(io.BytesIO(got.data))
        assert d.tables[1].rows[1].cells[1].text == "Xã An Hòa (xa-a)"

        job = status.rsplit("/", 1)[-1]
        assert c.get(status.replace(job, "f" * 32)).status_code == 404
        assert c.get(status.replace(job, "..")).status_code == 404
        # The web process that ran it is gone (a restart): the job says so instead of waiting on.
        done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
        raw = json.loads((exports / job / "job.json").read_text("utf-8"))
        (exports / job / "job.json").write_text(
            json.dumps(raw | {"state": "running", "pid": int(done.stdout)}), "utf-8"
        )
        page = c.get(status).get_data(as_text=True)
        assert "bị ngắt" in page and "refresh" not in page
        assert c.get(f"{status}/tai").status_code == 302

        monkeypatch.setattr(_export_job, "compute_district_report", lambda *a, **k: 1 / 0)
        failed = c.get(c.get("/huyen/bao-cao/xuat?period=2026-10&format=xlsx").headers["Location"])
        for _ in range(100):
            if "refresh" not in (html := failed.get_data(as_text=True)):
                break
            sleep(0.05)
            failed = c.get(failed.request.path)
        assert "Có lỗi không mong đợi khi lập báo cáo" in html and failed.status_code == 200


def test_a_station_sends_its_next_airing_with_its_status(store):
    from broadcaster.models import Occurrence
    from broadcaster.sync import station_status

    sid = store.station_id()
    assert station_status(store, sid, None)["next_airing"] is None
    soon = utcnow() + timedelta(hours=2)
    with store.sessions.begin() as s:
        s.add(Occurrence(station_id=sid, scheduled_at=soon + timedelta(hours=1), title="Sau nữa"))
        s.add(Occurrence(station_id=sid, scheduled_at=soon, title="Bản tin trưa"))
    status = station_status(store, sid, "Lỗi thử")
    assert status["next_airing"] == {"title": "Bản tin trưa", "at": soon.isoformat()}
    assert status["last_error"] == "Lỗi thử" and status["disk_free_bytes"] > 0


# --- The hub's pages in a real browser ----------------------------------------------------------
# The hub's ``broadcaster web`` runs as a subprocess on a real PostgreSQL; the stations post their
# rows and status over HTTP to the report endpoint with their tokens; Playwright drives Debian's
# chromium (never a browser download) as a district officer. Screenshots: tests/artifacts/hub/.

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "hub"


@pytest.fixture
def hub_web(hub_site):
    """The hub (``hubkit.HubWeb``), its web started, the district seeded and the stations' rows and
    status posted to it."""
    hub_site.env["BROADCASTER_STATION_NAME"] = "Trung tâm Văn hóa – Thông tin huyện"
    with hub_site.store.sessions.begin() as s:
        home = hub_site.store.station(s)
        seeded = {code: (tok, rows) for code, (_st, tok, rows) in seed(s, home).items()}
    seeded["xa-a"][1].extend(
        _row(_at(20) + timedelta(minutes=k), "hotline", 1, title=f"Dòng {k}") for k in range(55)
    )
    hub_site.start()
    nxt = {"title": "Bản tin tối", "at": (utcnow() + timedelta(hours=3)).isoformat()}
    for code, (tok, rows) in seeded.items():
        if code == "xa-c":
            continue  # never calls: offline
        status = {"clock": utcnow().isoformat(), "software": "0.9.1", "disk_free_bytes": 5 * 1024**3}
        if code == "xa-a":
            status |= {"next_airing": nxt, "on_air": "Chuyên mục CCHC tháng 11"}
        else:
            status |= {"last_error": "Không tải được tệp âm thanh: hết thời gian chờ."}
        r = requests.post(
            hub_site.base + "/api/v1/station/report",
            json={"asrun": rows, "status": status},
            headers={"Authorization": f"Bearer {tok}", "X-Broadcaster-Station": code},
            timeout=20,
        )
        assert r.status_code == 200 and len(r.json()["ack"]) == len(rows), r.text
    return hub_site


@pytest.mark.browser
@pytest.mark.slow
def test_a_district_officer_reads_the_hub_pages_and_downloads_the_report(hub_web, browser):
    from playwright.sync_api import expect

    shot = screenshots(SHOTS)

    # 1. The officer signs in and lands on the stations page.
    page = hub_web.officer_page(
        browser, "/huyen/cac-dai", viewport={"width": 1440, "height": 900}, accept_downloads=True
    )
    expect(page.get_by_role("heading", name="Các đài xã")).to_be_visible()
    row_a, row_b, row_c = (page.locator(f"tr[data-station='{c}']") for c in ("xa-a", "xa-b", "xa-c"))
    expect(row_a).to_contain_text("Trực tuyến")
    expect(row_a).to_contain_text("Bản tin tối")
    expect(row_a).to_contain_text("Chuyên mục CCHC tháng 11")
    expect(row_a).to_contain_text("0.9.1")
    expect(row_a).to_contain_text("5,0 GB")
    expect(row_a).to_contain_text("Dòng 54")  # its last airing
    expect(row_b).to_contain_text("Không tải được tệp âm thanh")
    expect(row_c).to_contain_text("Mất liên lạc")
    expect(row_c).to_contain_text("Chưa liên lạc")
    # Every column is on screen at 1440 px: the table needs no sideways scroll.
    wrap = "document.querySelector('#hub-stations .table-wrap')"
    assert page.evaluate(f"{wrap}.scrollWidth <= {wrap}.clientWidth + 1")
    shot(page, "stations")

    # 2. It opens station A's as-run, for October, and turns the page.
    row_a.get_by_role("link", name="xa-a").click()
    expect(page.get_by_role("heading", name="Nhật ký phát: Xã An Hòa")).to_be_visible()
    page.fill("#rp-period", "tháng 10/2026")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#asrun-summary")).to_contain_text("63 dòng nhật ký đã nhận, trang 1/2")
    expect(page.locator("#bang-nhat-ky tbody tr")).to_have_count(50)
    expect(page.locator("#bang-nhat-ky tbody tr").first).to_contain_text("Dòng 54")
    shot(page, "asrun-page-1")
    page.get_by_role("link", name="Cũ hơn →").click()
    expect(page.locator("#bang-nhat-ky tbody tr")).to_have_count(13)
    expect(page.locator("#bang-nhat-ky")).to_contain_text("Bị ngắt")
    shot(page, "asrun-page-2")

    # 3. The district report for October: on the page, then in each form.
    page.get_by_role("link", name="Báo cáo huyện").click()
    page.fill("#rp-period", "tháng 10/2026")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("table[data-table='xa_con_thieu']")).to_contain_text("Xã Cát Tiên")
    expect(page.locator("table[data-table='tin_huyen_chua_phat'] tbody tr")).to_have_count(3)
    shot(page, "district-report")
    files = {}
    for fmt, label in (
        ("csv", "Xuất CSV"),
        ("xlsx", "Xuất XLSX (Excel)"),
        ("docx", "Xuất DOCX (Word)"),
    ):
        # The link opens the export's page, which follows the job and then fetches the file.
        with page.expect_download() as dl:
            page.get_by_role("link", name=label).click()
        assert dl.value.suggested_filename == f"bao-cao-huyen_2026-10.{fmt}"
        files[fmt] = Path(dl.value.path()).read_bytes()
        expect(page.locator("#export-state")).to_have_text("Báo cáo đã sẵn sàng.")
        page.get_by_role("link", name="← Báo cáo của huyện").click()
        expect(page.locator("#rp-period")).to_have_value("2026-10")

    lines = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    # Station A sent 55 hotline items more than in the SQLite case: 61 items, 67.5 minutes.
    assert ["1", "Xã An Hòa (xa-a)", "61", "61", "67.5", "1", "1", "3/3"] in lines
    assert any(line[:2] == ["1", "Xã Cát Tiên"] for line in lines)
    assert not any(c.startswith("=") for line in lines for c in line)

    wb = load_workbook(io.BytesIO(files["xlsx"]))
    first = [c.value for row in wb["Báo cáo"].iter_rows() for c in row if c.value is not None]
    assert "TRUNG TÂM VĂN HÓA – THÔNG TIN HUYỆN" in first and "GIÁM ĐỐC" in first
    summary = wb["tong_hop_xa"]
    assert [c.value for c in summary[3]] == [1, "Xã An Hòa (xa-a)", 61, 61, 67.5, 1, 1, "3/3"]
    assert [wb["tin_huyen_chua_phat"].cell(r, 5).value for r in range(3, 6)] == ["Không phát"] * 3

    d = Document(io.BytesIO(files["docx"]))
    text = "\n".join(p.text for p in d.paragraphs)
    assert (
        "Kết quả phát thanh tuyên truyền cải cách hành chính của các đài truyền thanh xã tháng 10 năm 2026"
        in text
    )
    cells = [[cell.text for cell in row.cells] for t in d.tables for row in t.rows]
    # Minutes per CCHC area: institution 0 (its item was cut), procedure 6.
    assert any(row[:3] == ["Xã An Hòa", "0", "6"] for row in cells)


def test_the_district_report_from_the_command_line(district, env, tmp_path):
    """`broadcaster hub report` writes the same document; a bad period writes nothing, one line."""
    hub_env = env | {"BROADCASTER_MODE": "hub"}
    out = tmp_path / "bc.xlsx"
    cmd = [sys.executable, "-m", "broadcaster.cli", "hub", "report"]
    done = subprocess.run(
        [*cmd, "--period", "tháng 10/2026", "-o", str(out)], env=hub_env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Đã xuất báo cáo của huyện tháng 10 năm 2026 (3 đài xã")
    assert load_workbook(out)["tong_hop_xa"].cell(3, 2).value == "Xã An Hòa (xa-a)"
    bad = subprocess.run(
        [*cmd, "--period", "tháng 13/2026", "-o", str(tmp_path / "x.csv")],
        env=hub_env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "không hợp lệ" in bad.stderr
    assert not (tmp_path / "x.csv").exists()
