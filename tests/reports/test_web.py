"""The reports blueprint through a real Flask app and flask-login: roles, errors, exports, the feed."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from docx import Document
from icalendar import Calendar

from .conftest import client_as, make_app


@pytest.fixture
def app(year_store):
    return make_app(year_store)


def test_login_required(app):
    c = app.test_client()
    for url in ("/bao-cao/", "/bao-cao/so-nhat-ky", "/bao-cao/lich", "/bao-cao/xuat?period=2025&format=csv"):
        r = c.get(url)
        assert r.status_code == 302 and "/dang-nhap" in r.headers["Location"]


@pytest.mark.parametrize(
    "role,report,logbook",
    [
        ("admin", 200, 200),
        ("approver", 200, 200),
        ("editor", 403, 200),
        ("operator", 403, 200),
    ],
)
def test_roles(app, users, role, report, logbook):
    c = client_as(app, users[role])
    r = c.get("/bao-cao/?period=2025-11")
    assert r.status_code == report
    if report == 403:
        assert "Không có quyền truy cập" in r.get_data(as_text=True)
        assert c.get("/bao-cao/xuat?period=2025-11&format=csv").status_code == 403
    assert c.get("/bao-cao/so-nhat-ky?period=2025-W47").status_code == logbook


def test_report_page_tables_charts_and_narrative(app, users):
    c = client_as(app, users["admin"])
    html = c.get("/bao-cao/?period=2025-Q3").get_data(as_text=True)
    assert "quý III năm 2025" in html
    assert (
        html.count('<svg xmlns="http://www.w3.org/2000/svg" viewBox') == 2
        and html.count('class="chart"') == 2
        and "theo lĩnh vực cải cách hành chính" in html
    )
    assert re.search(r'<textarea id="rp-narrative" name="narrative">Trong quý III năm 2025', html)
    for fmt in ("docx", "xlsx", "csv"):
        assert f'name="format" value="{fmt}"' in html
    assert 'data-table="linh_vuc"' in html and "Sổ nhật ký chương trình" in html


def test_bad_period_message_next_to_picker(app, users):
    c = client_as(app, users["approver"])
    r = c.get("/bao-cao/?period=quý-ba")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'role="alert"' in html and "Kỳ báo cáo «quý-ba» không hợp lệ" in html and "2025-Q3" in html
    assert "Traceback" not in html
    r = c.post("/bao-cao/xuat", data={"period": "2025-Q3", "format": "pdf"})
    assert r.status_code == 400 and "không hỗ trợ" in r.get_data(as_text=True)


def test_export_takes_the_edited_narrative(app, users):
    c = client_as(app, users["admin"])
    edited = "Cán bộ văn hóa đã sửa phần tóm tắt này."
    r = c.post("/bao-cao/xuat", data={"period": "2025-Q3", "format": "docx", "narrative": edited})
    assert r.status_code == 200 and "bao-cao-cchc_2025-Q3.docx" in r.headers["Content-Disposition"]
    doc = Document(io.BytesIO(r.data))
    assert edited in [p.text for p in doc.paragraphs]
    r = c.post("/bao-cao/xuat", data={"period": "2025-Q3", "format": "xlsx", "narrative": edited})
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    assert edited in [c.value for row in wb["Báo cáo"].iter_rows() for c in row]
    r = c.get("/bao-cao/xuat?period=2025-11&format=csv")
    assert r.mimetype == "text/csv" and "tháng 11 năm 2025" in r.data.decode("utf-8-sig")


def test_future_and_empty_periods(app, users):
    c = client_as(app, users["admin"])
    html = c.get("/bao-cao/?period=2099-11").get_data(as_text=True)
    assert 'id="rp-plan-only"' in html and "Kế hoạch, chưa phát" in html
    r = c.get("/bao-cao/?period=2019-06")
    assert r.status_code == 200 and "chưa phát tin, bài" in r.get_data(as_text=True)


def test_logbook_pages(app, users):
    c = client_as(app, users["operator"])
    html = c.get("/bao-cao/so-nhat-ky?period=2025-W47").get_data(as_text=True)
    assert "Người trực" in html and 'data-table="so_nhat_ky"' in html and "Báo cáo kỳ này" not in html
    r = c.get("/bao-cao/so-nhat-ky/ban-in?period=2025-W47")
    assert r.status_code == 200 and "@media print" in r.get_data(as_text=True)
    r = c.get("/bao-cao/so-nhat-ky.docx?period=2025-W47")
    assert (
        r.status_code == 200 and Document(io.BytesIO(r.data)).tables[1].rows[0].cells[9].text == "Người trực"
    )
    assert c.get("/bao-cao/so-nhat-ky.docx?period=tuần-47").status_code == 400


def test_calendar_token_flow(app, users):
    c = client_as(app, users["editor"])
    assert "chưa có địa chỉ lịch" in c.get("/bao-cao/lich").get_data(as_text=True)
    html = c.post("/bao-cao/lich").get_data(as_text=True)
    url1 = re.search(r'value="(http://dai\.test/bao-cao/lich/[^"]+\.ics)"', html)[1]
    anon = app.test_client()
    feed = anon.get(url1.replace("http://dai.test", ""))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    Calendar.from_ical(feed.data)  # parses
    html = c.post("/bao-cao/lich").get_data(as_text=True)
    url2 = re.search(r'value="(http://dai\.test/bao-cao/lich/[^"]+\.ics)"', html)[1]
    assert url2 != url1 and "địa chỉ cũ không còn dùng được" in html
    assert anon.get(url1.replace("http://dai.test", "")).status_code == 404
    assert anon.get(url2.replace("http://dai.test", "")).status_code == 200
    assert anon.get("/bao-cao/lich/khong-phai-token-nao-ca-0123456789.ics").status_code == 404
    # Each new address is in the audit log, without the secret itself.
    from broadcaster.models import AuditLog

    store = app.extensions["broadcaster_store"]
    with store.sessions() as s:
        logged = (
            s.query(AuditLog).filter_by(entity="user", action="update", entity_id=str(users["editor"])).all()
        )
    assert len(logged) == 2
    secrets_ = {url1.rsplit("/", 1)[1][:-4], url2.rsplit("/", 1)[1][:-4]}
    assert not any(t in repr((e.before, e.after)) for e in logged for t in secrets_)
