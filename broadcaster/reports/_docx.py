"""python-docx helpers for Vietnamese administrative documents: Times New Roman, A4, Decree 30 margins."""

from __future__ import annotations

from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from ._layout import MOTTO_1, MOTTO_2, Letterhead

FONT = "Times New Roman"
BODY_PT = 14
HEAD_PT = 13
TABLE_PT = 12


def new_document(landscape: bool = False) -> DocumentType:
    """Give back an empty A4 document with Times New Roman 14 pt and administrative margins."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    # Word picks the East Asian slot for some Vietnamese letters unless it is set too.
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(6)
    pf.line_spacing = 1.1
    sec = doc.sections[0]
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Mm(297), Mm(210)
        sec.top_margin = sec.bottom_margin = Mm(20)
        sec.left_margin, sec.right_margin = Mm(20), Mm(15)
    else:
        sec.page_width, sec.page_height = Mm(210), Mm(297)
        sec.top_margin, sec.bottom_margin = Mm(20), Mm(20)
        sec.left_margin, sec.right_margin = Mm(30), Mm(15)
    return doc


def para(
    container,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: int | None = None,
    align: str | None = None,
    indent: bool = False,
    after: int | None = None,
):
    """Give back a new paragraph holding one run of ``text`` formatted as asked."""
    p = container.add_paragraph()
    if text:
        r = p.add_run(text)
        r.bold, r.italic, r.underline = bold or None, italic or None, underline or None
        if size:
            r.font.size = Pt(size)
    if align:
        p.alignment = {
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
            "left": WD_ALIGN_PARAGRAPH.LEFT,
        }[align]
    if indent:
        p.paragraph_format.first_line_indent = Cm(1)
    if after is not None:
        p.paragraph_format.space_after = Pt(after)
    return p


def _cell_para(cell, text: str, **kw):
    # A fresh cell holds one empty paragraph: use it first so the cell has no blank line on top.
    if len(cell.paragraphs) == 1 and not cell.paragraphs[0].text:
        p = cell.paragraphs[0]
        r = p.add_run(text)
        r.bold, r.italic, r.underline = (
            kw.get("bold") or None,
            kw.get("italic") or None,
            kw.get("underline") or None,
        )
        if kw.get("size"):
            r.font.size = Pt(kw["size"])
        p.alignment = (
            WD_ALIGN_PARAGRAPH.CENTER
            if kw.get("align") == "center"
            else (WD_ALIGN_PARAGRAPH.RIGHT if kw.get("align") == "right" else None)
        )
        p.paragraph_format.space_after = Pt(kw.get("after", 0))
        return p
    p = para(cell, text, **{k: v for k, v in kw.items() if k != "after"})
    p.paragraph_format.space_after = Pt(kw.get("after", 0))
    return p


def letterhead_block(
    doc: DocumentType, lh: Letterhead, left_cm: float = 6.0, right_cm: float = 10.0, *, number: bool = True
) -> None:
    """Add the two-column head: issuer and number on the left, national motto and date on the right."""
    t = doc.add_table(rows=2, cols=2)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for row in t.rows:
        row.cells[0].width, row.cells[1].width = Cm(left_cm), Cm(right_cm)
    left, right = t.cell(0, 0), t.cell(0, 1)
    _cell_para(left, lh.parent, size=HEAD_PT, align="center")
    _cell_para(left, lh.unit, bold=True, underline=True, size=HEAD_PT, align="center")
    _cell_para(right, MOTTO_1, bold=True, size=HEAD_PT, align="center")
    _cell_para(right, MOTTO_2, bold=True, underline=True, size=BODY_PT, align="center")
    _cell_para(t.cell(1, 0), lh.number if number else "", size=HEAD_PT, align="center", after=6)
    _cell_para(t.cell(1, 1), lh.place_date, italic=True, size=BODY_PT, align="center", after=6)


def grid_table(
    doc: DocumentType,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    total: bool = False,
    numeric_from: int = 0,
    widths_cm: Sequence[float] | None = None,
    size: int = TABLE_PT,
):
    """Add a bordered table with a bold header row; numbers are right-aligned, Vietnamese-formatted."""
    from ._fmt import vn_num

    # Cells are reached through each row's own ``cells``: ``Table.cell(i, j)`` rescans the whole
    # grid on every call, which made a 300-row table take half a minute.
    t = doc.add_table(rows=1, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, h in zip(t.rows[0].cells, headers, strict=True):
        _cell_para(cell, h, bold=True, size=size, align="center")
    for i, row in enumerate(rows, 1):
        bold = total and i == len(rows)
        cells = t.add_row().cells
        for j, (cell, v) in enumerate(zip(cells, row, strict=True)):
            is_num = isinstance(v, int | float) and not isinstance(v, bool)
            text = vn_num(v) if is_num else str(v)
            _cell_para(
                cell, text, bold=bold, size=size, align="right" if is_num and j >= numeric_from else None
            )
    if widths_cm:
        for row in t.rows:
            for cell, w in zip(row.cells, widths_cm, strict=True):
                cell.width = Cm(w)
    # Repeat the header row on every printed page.
    trpr = t.rows[0]._tr.get_or_add_trPr()
    el = trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    trpr.append(el)
    return t


def signature_block(doc: DocumentType, lh: Letterhead) -> None:
    """Add recipients on the left and the signature block on the right."""
    t = doc.add_table(rows=1, cols=2)
    t.autofit = False
    left, right = t.cell(0, 0), t.cell(0, 1)
    left.width, right.width = Cm(8), Cm(8)
    _cell_para(left, "Nơi nhận:", bold=True, italic=True, size=12)
    for r in lh.recipients:
        _cell_para(left, f"- {r}", size=11)
    _cell_para(right, lh.sign_for, bold=True, size=BODY_PT, align="center")
    _cell_para(right, lh.sign_title, bold=True, size=BODY_PT, align="center")
    _cell_para(right, lh.sign_note, italic=True, size=12, align="center", after=60)
    _cell_para(right, "……………………", size=BODY_PT, align="center")
