"""python-docx helpers for Vietnamese administrative documents: Times New Roman, A4, Decree 30 margins."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Mm, Pt

from ..rules import vn_num, xml_text
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
    doc: DocumentType, lh: Letterhead, left_cm: float = 6.0, right_cm: float = 10.5, *, number: bool = True
) -> None:
    """Add the two-column head: issuer and number on the left, national motto and date on the right."""
    t = doc.add_table(rows=2, cols=2)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(t, [left_cm, right_cm])
    left, right = t.cell(0, 0), t.cell(0, 1)
    _cell_para(left, lh.parent, size=HEAD_PT, align="center")
    _cell_para(left, lh.unit, bold=True, underline=True, size=HEAD_PT, align="center")
    # Decree 30/2020 allows 12–13 pt for the national name: 12 keeps it on one line.
    _cell_para(right, MOTTO_1, bold=True, size=12, align="center")
    _cell_para(right, MOTTO_2, bold=True, underline=True, size=BODY_PT, align="center")
    _cell_para(t.cell(1, 0), lh.number if number else "", size=HEAD_PT, align="center", after=6)
    _cell_para(t.cell(1, 1), lh.place_date, italic=True, size=BODY_PT, align="center", after=6)


def text_width_cm(doc: DocumentType) -> float:
    """Give back the width between the margins of the document's first section, in cm."""
    sec = doc.sections[0]
    return (sec.page_width - sec.left_margin - sec.right_margin) / 360000


def auto_widths(headers: Sequence[str], rows: Sequence[Sequence[object]], total_cm: float) -> list[float]:
    """Give back column widths in cm: a narrow STT; numbers and short texts (months, statuses) as
    wide as their longest value or header word needs; long texts share the rest by their length,
    each at least as wide as its longest word. Scaled down together if the page is too narrow."""
    cm_per_char, pad = 0.24, 0.45  # a 12 pt Times letter (bold a little wider), and the cell margins

    def need(texts: list[str]) -> float:
        return cm_per_char * max((len(t) for t in texts), default=0) + pad

    widths: list[float] = []
    long_cols: dict[int, int] = {}  # column → its longest text, for sharing what is left
    for j, h in enumerate(headers):
        values = [r[j] for r in rows]
        texts = [vn(v) for v in values]
        words = [w for t in texts + [h] for w in t.split()]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if h == "STT":
            widths.append(1.4)
        elif numeric or max((len(t) for t in texts), default=0) <= 16:
            widths.append(max(1.6, need(texts + h.split())))
        else:
            widths.append(need(words))
            long_cols[j] = min(60, max(len(t) for t in texts))
    spare = total_cm - sum(widths)
    if spare > 0 and long_cols:
        # Give the spare width to long columns in proportion to how much more their text needs.
        want = {j: max(0.0, cm_per_char * n + pad - widths[j]) for j, n in long_cols.items()}
        total_want = sum(want.values()) or 1.0
        for j, w in want.items():
            widths[j] += spare * w / total_want
    return [w * total_cm / sum(widths) for w in widths] if sum(widths) > total_cm or not long_cols else widths


def vn(value: object) -> str:
    """Give back a cell's text as the table shows it (numbers the Vietnamese way)."""
    return vn_num(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def set_widths(table, widths_cm: Sequence[float]) -> None:
    """Fix a table's column widths in both places readers look: Word reads the cells, LibreOffice
    the table grid."""
    table.autofit = False
    for col, w in zip(table.columns, widths_cm, strict=True):
        col.width = Cm(w)
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(w)


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
    widths = widths_cm or auto_widths(headers, rows, text_width_cm(doc))
    t = doc.add_table(rows=0, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for col, w in zip(t.columns, widths, strict=True):
        col.width = Cm(w)  # the grid, which LibreOffice reads; Word reads each cell's own width
    # The rows are written as XML text and parsed once: through python-docx's cell API (add_row,
    # a run, its size, spacing, alignment, the cell's width: each a search among the children) a
    # table of 1,000 communes took 5-7 s. What is written is what that API wrote, byte for byte.
    twips = [Cm(w).twips for w in widths]
    sz = f'<w:sz w:val="{round(size * 2)}"/>'
    # The header row is repeated on every printed page.
    xml = [f'<w:tbl {nsdecls("w")}><w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>']
    for w, h in zip(twips, headers, strict=True):
        xml.append(_cell_xml(w, h, "center", "<w:b/>" + sz))
    xml.append("</w:tr>")
    for i, row in enumerate(rows, 1):
        rpr = ("<w:b/>" if total and i == len(rows) else "") + sz
        xml.append("<w:tr>")
        for j, (w, v) in enumerate(zip(twips, row, strict=True)):
            is_num = isinstance(v, int | float) and not isinstance(v, bool)
            xml.append(_cell_xml(w, vn(v), "right" if is_num and j >= numeric_from else None, rpr))
        xml.append("</w:tr>")
    xml.append("</w:tbl>")
    t._tbl.extend(list(parse_xml("".join(xml))))
    return t


_BREAKS = re.compile("([\t\r\n])")


def _cell_xml(twips: int, text: str, align: str | None, rpr: str) -> str:
    """Give back one table cell's XML: its width, one paragraph with no space after, one run."""
    jc = f'<w:jc w:val="{align}"/>' if align else ""
    return (
        f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{twips}"/></w:tcPr><w:p><w:pPr><w:spacing w:after="0"/>'
        f"{jc}</w:pPr><w:r><w:rPr>{rpr}</w:rPr>{_run_text_xml(text)}</w:r></w:p></w:tc>"
    )


def _run_text_xml(text: str) -> str:
    """Give back a run's content as python-docx's ``Run.text`` writes it: ``w:t`` pieces (spaces
    kept where they lead or trail), a ``w:tab`` for a tab and a ``w:br`` for each CR or LF; what
    XML cannot hold is left out."""
    out = []
    for piece in _BREAKS.split(xml_text(text)):
        if piece == "\t":
            out.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            out.append("<w:br/>")
        elif piece:
            keep = ' xml:space="preserve"' if piece.strip() != piece else ""
            out.append(f"<w:t{keep}>{escape(piece)}</w:t>")
    return "".join(out)


def signature_block(doc: DocumentType, lh: Letterhead) -> None:
    """Add recipients on the left and the signature block on the right."""
    t = doc.add_table(rows=1, cols=2)
    half = text_width_cm(doc) / 2
    set_widths(t, [half, half])
    left, right = t.cell(0, 0), t.cell(0, 1)
    _cell_para(left, "Nơi nhận:", bold=True, italic=True, size=12)
    for r in lh.recipients:
        _cell_para(left, f"- {r}", size=11)
    _cell_para(right, lh.sign_for, bold=True, size=BODY_PT, align="center")
    _cell_para(right, lh.sign_title, bold=True, size=BODY_PT, align="center")
    _cell_para(right, lh.sign_note, italic=True, size=12, align="center", after=60)
    _cell_para(right, "……………………", size=BODY_PT, align="center")
