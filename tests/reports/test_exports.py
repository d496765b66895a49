"""The exports reopened by real readers (openpyxl, python-docx, csv) and checked against raw SQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from docx import Document
from sqlalchemy import text

from broadcaster.models import AREA_LABELS, CchcArea
from broadcaster.reports import compute_report, export_csv, export_docx, export_xlsx, letterhead, parse_period

AFTER = datetime(2030, 1, 1, tzinfo=UTC)
AIRED = (
    "e.item_type = 'segment' AND e.status = 'played' AND e.kind IN "
    "('cchc_news','good_example','procedure','hotline','relay','emergency')"
)
Q3 = dict(lo="2025-06-30 17:00:00", hi="2025-09-30 17:00:00")


def sql(store, q: str, **kw):
    with store.engine.connect() as c:
        return c.execute(text(q), kw).all()


@pytest.fixture(scope="module")
def q3(year_store):
    with year_store.sessions() as s:
        st = year_store.station(s)
        return compute_report(s, st, parse_period("2025-Q3"), now=AFTER), letterhead(s, st)


@pytest.fixture(scope="module")
def q3_sql(year_store):
    base = (
        "FROM as_run_entries e JOIN occurrences o ON o.id = e.occurrence_id "
        f"WHERE o.scheduled_at >= :lo AND o.scheduled_at < :hi AND {AIRED}"
    )
    (total,) = sql(year_store, f"SELECT COUNT(DISTINCT o.id), COUNT(*), SUM(e.duration_ms) {base}", **Q3)
    areas = dict(
        (AREA_LABELS[CchcArea(a)] if a else "Chưa gắn lĩnh vực", n)
        for a, n in sql(year_store, f"SELECT e.area, COUNT(*) {base} GROUP BY e.area", **Q3)
    )
    procs = dict(
        sql(
            year_store,
            f"SELECT e.procedure, COUNT(*) {base} AND e.kind = 'procedure' "
            "AND e.procedure IS NOT NULL GROUP BY 1",
            **Q3,
        )
    )
    return {
        "programmes": total[0],
        "items": total[1],
        "minutes": round(total[2] / 60000, 1),
        "areas": areas,
        "procs": procs,
    }


def vn_to_number(s: str) -> float:
    return float(s.replace(".", "").replace(",", "."))


def test_xlsx_numbers_match_sql(q3, q3_sql):
    report, lh = q3
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(report, lh)))
    assert wb.sheetnames[0] == "Báo cáo"
    summary = {r[0]: r[1] for r in wb["tong_hop"].iter_rows(min_row=3, values_only=True)}
    assert summary["Số buổi phát có tin, bài tuyên truyền CCHC"] == q3_sql["programmes"]
    assert summary["Số lượt tin, bài đã phát"] == q3_sql["items"]
    assert summary["Tổng thời lượng tin, bài đã phát (phút)"] == q3_sql["minutes"]
    areas = {r[1]: r[3] for r in wb["linh_vuc"].iter_rows(min_row=3, values_only=True) if r[1] != "Tổng cộng"}
    assert {k: v for k, v in areas.items() if v} == q3_sql["areas"]
    procs = {
        r[1]: r[2]
        for r in wb["thu_tuc"].iter_rows(min_row=3, values_only=True)
        if r[1] not in ("Tổng cộng", "(không ghi tên thủ tục)")
    }
    assert procs == q3_sql["procs"]
    first = wb["Báo cáo"]
    texts = [c.value for row in first.iter_rows() for c in row if isinstance(c.value, str)]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts and "Độc lập - Tự do - Hạnh phúc" in texts
    assert any("quý III năm 2025" in t for t in texts)
    assert any(t.startswith("Số:") and "/BC-UBND" in t for t in texts)


def test_docx_layout_and_numbers_match_sql(q3, q3_sql):
    report, lh = q3
    doc = Document(
        io.BytesIO(export_docx(report, lh, narrative="Đoạn tóm tắt do cán bộ sửa.\nĐoạn thứ hai."))
    )
    paras = [p.text for p in doc.paragraphs]
    assert "BÁO CÁO" in paras
    assert "Kết quả công tác tuyên truyền cải cách hành chính quý III năm 2025" in paras
    assert "Đoạn tóm tắt do cán bộ sửa." in paras and "Đoạn thứ hai." in paras
    assert report.narrative not in paras  # the edited text replaced the generated one
    head = doc.tables[0]
    motto = head.cell(0, 1).paragraphs
    assert motto[0].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and motto[0].runs[0].bold
    assert motto[1].text == "Độc lập - Tự do - Hạnh phúc" and motto[1].runs[0].underline
    assert head.cell(1, 0).text.startswith("Số:") and "/BC-UBND" in head.cell(1, 0).text
    assert "ngày" in head.cell(1, 1).text and "tháng" in head.cell(1, 1).text
    assert head.cell(0, 0).paragraphs[0].text.startswith("UBND XÃ")
    sign = doc.tables[-1]
    assert sign.cell(0, 0).paragraphs[0].text == "Nơi nhận:"
    assert [p.text for p in sign.cell(0, 1).paragraphs][:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    sec = doc.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.left_margin.mm) == 30

    tables = {t.rows[0].cells[1].text: t for t in doc.tables[1:-1] if len(t.columns) >= 2}
    summary = {r.cells[0].text: r.cells[1].text for r in doc.tables[1].rows[1:]}
    assert vn_to_number(summary["Số buổi phát có tin, bài tuyên truyền CCHC"]) == q3_sql["programmes"]
    assert vn_to_number(summary["Số lượt tin, bài đã phát"]) == q3_sql["items"]
    assert vn_to_number(summary["Tổng thời lượng tin, bài đã phát (phút)"]) == q3_sql["minutes"]
    areas = {r.cells[1].text: vn_to_number(r.cells[3].text) for r in tables["Lĩnh vực"].rows[1:]}
    assert areas.pop("Tổng cộng") == q3_sql["items"]
    assert {k: v for k, v in areas.items() if v} == q3_sql["areas"]
    procs = {r.cells[1].text: vn_to_number(r.cells[2].text) for r in tables["Thủ tục"].rows[1:]}
    procs.pop("Tổng cộng")
    procs.pop("(không ghi tên thủ tục)", None)
    assert procs == q3_sql["procs"]


def test_csv_numbers_match_sql(q3, q3_sql):
    report, lh = q3
    raw = export_csv(report, lh)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [lh.parent, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
    flat = {r[0]: r[1] for r in rows if len(r) == 2}
    assert int(flat["Số lượt tin, bài đã phát"]) == q3_sql["items"]
    assert float(flat["Tổng thời lượng tin, bài đã phát (phút)"]) == q3_sql["minutes"]
    start = rows.index(["STT", "Lĩnh vực", "Số buổi phát", "Số lượt tin, bài", "Thời lượng (phút)"])
    areas = {}
    for r in rows[start + 1 :]:
        if r[1] == "Tổng cộng":
            break
        areas[r[1]] = int(r[3])
    assert {k: v for k, v in areas.items() if v} == q3_sql["areas"]


def test_empty_period_exports_zeros(year_store):
    with year_store.sessions() as s:
        st = year_store.station(s)
        r = compute_report(s, st, parse_period("2019"), now=AFTER)
        lh = letterhead(s, st)
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(r, lh)))
    assert {row[0]: row[1] for row in wb["tong_hop"].iter_rows(min_row=3, values_only=True)}[
        "Số lượt tin, bài đã phát"
    ] == 0
    doc = Document(io.BytesIO(export_docx(r, lh)))
    assert any("năm 2019" in p.text for p in doc.paragraphs)
    assert b"2019" in export_csv(r, lh)


def test_docx_tables_fit_the_page_in_word_and_libreoffice(q3):
    """Every table's widths are fixed in the grid (LibreOffice) and in the cells (Word), stay
    within the A4 text width, keep STT narrow and give numbers room for their header words."""
    from docx.oxml.ns import qn

    report, lh = q3
    doc = Document(io.BytesIO(export_docx(report, lh)))
    sec = doc.sections[0]
    text_width = sec.page_width - sec.left_margin - sec.right_margin
    assert len(doc.tables) > 5
    for table in doc.tables:
        grid = [int(c.get(qn("w:w"))) * 635 for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]  # twips→EMU
        assert all(g > 0 for g in grid) and sum(grid) <= text_width * 1.01
        for row in table.rows:
            assert [c.width for c in row.cells] == [c.width for c in table.rows[0].cells]
        headers = [c.text for c in table.rows[0].cells]
        if headers[0] == "STT":
            assert grid[0] < min(grid[1:])


def test_cells_keep_spaces_tabs_breaks_and_drop_what_xml_cannot_hold(q3):
    """A DOCX cell's text reads back as python-docx wrote it cell by cell (spaces kept, a tab, a
    break per CR or LF, markup characters as text); a control character a station sent (an ANSI
    colour code in a player's error) is left out of the DOCX and the XLSX instead of making the
    export fail."""
    from broadcaster.reports import Document as Report
    from broadcaster.reports import Table, export_document

    report, lh = q3
    rows = [[1, " đầu & <cuối> ", "a\tb\r\nc"], [2, "Lỗi\x1b[31m loa\x00", 3.5]]
    doc = Report(
        ("BÁO CÁO", "Thử"),
        report.period,
        AFTER,
        ["Tóm tắt."],
        [Table("ghi_chu", "Ghi chú", ["STT", "Ghi chú", "Khác"], rows)],
    )
    t = Document(io.BytesIO(export_document(doc, lh, "docx"))).tables[1]
    assert [[c.text for c in row.cells] for row in t.rows] == [
        ["STT", "Ghi chú", "Khác"],
        ["1", " đầu & <cuối> ", "a\tb\n\nc"],
        ["2", "Lỗi[31m loa", "3,5"],
    ]
    wb = openpyxl.load_workbook(io.BytesIO(export_document(doc, lh, "xlsx")))
    assert list(wb["ghi_chu"].iter_rows(min_row=3, values_only=True))[1] == (2, "Lỗi[31m loa", 3.5)
    sheet = [c.value for row in wb["Báo cáo"].iter_rows() for c in row]
    assert "Lỗi[31m loa" in sheet and " đầu & <cuối> " in sheet
