"""The report as CSV, XLSX and DOCX, laid out as a Vietnamese administrative report."""

from __future__ import annotations

import csv
import io
from copy import copy
from dataclasses import dataclass
from datetime import datetime

from ..rules import Period, csv_row, show_local, xlsx_text, xml_text
from ._docx import grid_table, letterhead_block, new_document, para, signature_block
from ._layout import MOTTO_1, MOTTO_2, Letterhead, title_lines
from ._report import Report
from ._tables import Table, report_tables

FORMATS = ("csv", "xlsx", "docx")
MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
}


@dataclass
class Document:
    """A report laid out for export: its two title lines, period, summary paragraphs and tables.

    The station's report and the district's report are both one of these, so the three writers
    below (and their formula-injection guard) exist once.
    """

    title: tuple[str, str]
    period: Period
    generated_at: datetime
    narrative: list[str]
    tables: list[Table]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n") if p.strip()]


def report_document(report: Report, narrative: str | None = None) -> Document:
    """Give back the station's report as a :class:`Document` (an officer's summary replaces ours)."""
    text = report.narrative if narrative is None or not narrative.strip() else narrative
    return Document(
        title_lines(report.period.words, report.plan_only),
        report.period,
        report.generated_at,
        _paragraphs(text),
        report_tables(report),
    )


class _SafeWriter:
    """A csv writer whose every row goes through :func:`csv_row` (typed text never a formula)."""

    def __init__(self, buf: io.StringIO) -> None:
        self._w = csv.writer(buf, lineterminator="\r\n")

    def writerow(self, row) -> None:
        self._w.writerow(csv_row(row))

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def document_csv(doc: Document, lh: Letterhead) -> bytes:
    """Give back the document as UTF-8 CSV (with BOM, so spreadsheet programs read the diacritics)."""
    buf = io.StringIO()
    w = _SafeWriter(buf)
    t1, t2 = doc.title
    for row in (
        [lh.parent, MOTTO_1],
        [lh.unit, MOTTO_2],
        [lh.number, lh.place_date],
        [],
        [t1],
        [t2],
        ["Kỳ báo cáo", doc.period.code, doc.period.first.isoformat(), doc.period.last.isoformat()],
        ["Lập lúc", show_local(doc.generated_at, doc.period.timezone)],
        [],
    ):
        w.writerow(row)
    w.writerow(["Tóm tắt"])
    for p in doc.narrative:
        w.writerow([p])
    w.writerow([])
    for i, t in enumerate(doc.tables, 1):
        w.writerow([f"{i}. {t.title}"])
        w.writerow(t.headers)
        w.writerows(t.rows)
        if t.note:
            w.writerow([t.note])
        w.writerow([])
    w.writerow(["Nơi nhận:"] + [f"- {r}" for r in lh.recipients])
    w.writerow([lh.sign_for, lh.sign_title])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def document_xlsx(doc: Document, lh: Letterhead) -> bytes:
    """Give back the document as an XLSX workbook: a printable first sheet, then one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.utils import get_column_letter

    font = "Times New Roman"
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    # One object per style, shared by every cell (a new one per cell is built and hashed each time).
    cell_font, cell_bold = Font(name=font, size=12, bold=False), Font(name=font, size=12, bold=True)
    cell_align = Alignment(wrap_text=True, vertical="top")
    shared: dict[bool, StyleArray] = {}  # bold or not: the style of a table's body cells
    wb = Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    widths = [8, 42, 14, 14, 14, 14, 24]
    # A wider table (the district's communes by CCHC area) gets narrow columns of its own.
    widths += [12] * (max((len(t.headers) for t in doc.tables), default=0) - len(widths))
    for j, wdt in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = wdt
    ncol = len(widths)

    def put(
        r: int,
        c1: int,
        c2: int,
        text: str,
        *,
        bold=False,
        italic=False,
        underline=False,
        size=13,
        align="center",
        wrap=False,
        height: float | None = None,
    ) -> None:
        if c2 > c1:
            ws.merge_cells(start_row=r, start_column=c1, end_row=r, end_column=c2)
        cell = xlsx_text(ws.cell(r, c1, text))
        cell.font = Font(
            name=font, size=size, bold=bold, italic=italic, underline="single" if underline else None
        )
        cell.alignment = Alignment(horizontal=align, vertical="top", wrap_text=wrap)
        if height:
            ws.row_dimensions[r].height = height

    put(1, 1, 2, lh.parent)
    put(1, 3, ncol, MOTTO_1, bold=True)
    put(2, 1, 2, lh.unit, bold=True, underline=True)
    put(2, 3, ncol, MOTTO_2, bold=True, underline=True, size=14)
    put(3, 1, 2, lh.number)
    put(3, 3, ncol, lh.place_date, italic=True, size=14)
    t1, t2 = doc.title
    put(5, 1, ncol, t1, bold=True, size=14)
    put(6, 1, ncol, t2, bold=True, size=14, wrap=True, height=36)
    r = 8
    for p in doc.narrative:
        put(r, 1, ncol, p, size=13, align="justify", wrap=True, height=max(20, 17 * (len(p) // 95 + 1)))
        r += 1
    r += 1
    for i, t in enumerate(doc.tables, 1):
        put(r, 1, ncol, f"{i}. {t.title}", bold=True, align="left")
        r += 1
        for j, h in enumerate(t.headers, 1):
            c = xlsx_text(ws.cell(r, j, h))
            c.font = Font(name=font, size=12, bold=True)
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            c.border = box
        r += 1
        for k, row in enumerate(t.rows):
            bold = t.total and k == len(t.rows) - 1
            for j, v in enumerate(row, 1):
                c = ws.cell(r, j, xml_text(v))
                if bold in shared:
                    # Setting a font, border and alignment hashes each to find it among the
                    # workbook's: 1 s of a table of 1,000 communes. A copy of the style is the same.
                    c._style = copy(shared[bold])
                else:
                    c.font = cell_bold if bold else cell_font
                    c.border = box
                    c.alignment = cell_align
                    shared[bold] = copy(c._style)
                xlsx_text(c)  # after the style: the quote prefix is part of it
                if isinstance(v, float):
                    c.number_format = "#,##0.0"
            r += 1
        if t.note:
            put(r, 1, ncol, t.note, italic=True, size=12, align="left", wrap=True)
            r += 1
        r += 1
    put(r, 1, 2, "Nơi nhận:", bold=True, italic=True, size=12, align="left")
    put(r, 3, ncol, lh.sign_for, bold=True, size=14)
    put(r + 1, 3, ncol, lh.sign_title, bold=True, size=14)
    put(r + 2, 3, ncol, lh.sign_note, italic=True, size=12)
    for k, rec in enumerate(lh.recipients, 1):
        put(r + k, 1, 2, f"- {rec}", size=11, align="left")

    for t in doc.tables:
        _data_sheet(wb, t, font)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _data_sheet(wb, t: Table, font: str) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet(t.key)
    ws.append([t.title])
    ws["A1"].font = Font(name=font, bold=True, size=13)
    ws.append(t.headers)
    for c in ws[2]:
        c.font = Font(name=font, bold=True)
    for r, row in enumerate(t.rows, 3):
        ws.append([xml_text(v) for v in row])
        # Cell by cell: ``ws[ws.max_row]`` rescans the sheet for its width on every row (quadratic:
        # 2,000 rows took 20 s).
        for j in range(1, len(row) + 1):
            xlsx_text(ws.cell(r, j))
    for i, _h in enumerate(t.headers):
        ws.column_dimensions[chr(ord("A") + i)].width = 40 if i in (1,) else 16


def document_docx(doc: Document, lh: Letterhead) -> bytes:
    """Give back the document as a DOCX ready to print, sign and stamp."""
    d = new_document()
    letterhead_block(d, lh)
    t1, t2 = doc.title
    para(d, t1, bold=True, size=14, align="center", after=0)
    para(d, t2, bold=True, size=14, align="center", after=12)
    para(d, "I. TÌNH HÌNH CHUNG", bold=True)
    for p in doc.narrative:
        para(d, p, align="justify", indent=True)
    para(d, "II. KẾT QUẢ CỤ THỂ", bold=True)
    for i, t in enumerate(doc.tables, 1):
        para(d, f"{i}. {t.title}", bold=True, after=3)
        if t.rows and not (t.total and len(t.rows) == 1 and t.note):
            numeric_from = t.numeric_from
            if numeric_from is None:
                numeric_from = 1 if t.headers[0] in ("Chỉ tiêu", "Trạng thái", "Tháng", "Nội dung") else 2
            grid_table(d, t.headers, t.rows, total=t.total, numeric_from=numeric_from)
        if t.note:
            para(d, t.note, italic=True, size=12)
        para(d, "", after=0)
    para(d, "III. ĐÁNH GIÁ, KIẾN NGHỊ", bold=True)
    para(d, "……………………………………………………………………………………", indent=True)
    para(d, "", after=0)
    signature_block(d, lh)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def export_document(doc: Document, lh: Letterhead, fmt: str) -> bytes:
    """Give back the document in ``fmt`` (csv, xlsx or docx)."""
    if fmt == "csv":
        return document_csv(doc, lh)
    if fmt == "xlsx":
        return document_xlsx(doc, lh)
    if fmt == "docx":
        return document_docx(doc, lh)
    raise ValueError(f"Định dạng «{fmt}» không hỗ trợ; chọn csv, xlsx hoặc docx.")


def export_csv(report: Report, lh: Letterhead, narrative: str | None = None) -> bytes:
    """Give back the station's report as UTF-8 CSV."""
    return document_csv(report_document(report, narrative), lh)


def export_xlsx(report: Report, lh: Letterhead, narrative: str | None = None) -> bytes:
    """Give back the station's report as an XLSX workbook."""
    return document_xlsx(report_document(report, narrative), lh)


def export_docx(report: Report, lh: Letterhead, narrative: str | None = None) -> bytes:
    """Give back the station's report as a DOCX ready to print, sign and stamp."""
    return document_docx(report_document(report, narrative), lh)


def export_report(report: Report, lh: Letterhead, fmt: str, narrative: str | None = None) -> bytes:
    """Give back the station's report in ``fmt`` (csv, xlsx or docx)."""
    return export_document(report_document(report, narrative), lh, fmt)


def filename(period_code: str, fmt: str, what: str = "bao-cao-cchc") -> str:
    """Give back an ASCII file name for a download, e.g. bao-cao-cchc_2025-Q3.docx."""
    safe = period_code.replace("..", "_den_")
    return f"{what}_{safe}.{fmt}"
