"""The programme log book: every occurrence of the week, with items, duration, status and duty."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy import text

from broadcaster.reports import compute_logbook, letterhead, logbook_docx, logbook_html, parse_period

WEEK = dict(lo="2025-11-16 17:00:00", hi="2025-11-23 17:00:00")  # ISO week 47 of 2025, local


def test_logbook_lists_every_occurrence_with_sql_figures(year_store):
    with year_store.engine.connect() as c:
        occs = c.execute(
            text(
                "SELECT id, status, on_duty FROM occurrences WHERE scheduled_at >= :lo "
                "AND scheduled_at < :hi ORDER BY scheduled_at, zone_id, id"
            ),
            WEEK,
        ).all()
        ms = c.execute(
            text(
                "SELECT COALESCE(SUM(e.duration_ms), 0) FROM as_run_entries e JOIN occurrences o "
                "ON o.id = e.occurrence_id WHERE o.scheduled_at >= :lo AND o.scheduled_at < :hi "
                "AND e.status IN ('played', 'interrupted')"
            ),
            WEEK,
        ).scalar()
        segs = c.execute(
            text(
                "SELECT COUNT(*) FROM as_run_entries e JOIN occurrences o ON o.id = e.occurrence_id "
                "WHERE o.scheduled_at >= :lo AND o.scheduled_at < :hi AND e.item_type = 'segment'"
            ),
            WEEK,
        ).scalar()
    with year_store.sessions() as s:
        st = year_store.station(s)
        book = compute_logbook(s, st, parse_period("2025-W47"))
        lh = letterhead(s, st)
    assert len(book.lines) == len(occs) > 14
    assert book.total_ms == ms
    assert sum(len(line.items) for line in book.lines) == segs
    assert [line.status.value for line in book.lines] == [o[1] for o in occs]
    assert [line.on_duty for line in book.lines] == [o[2] or "—" for o in occs]
    assert {line.day for line in book.lines} == {f"{d}/11/2025" for d in range(17, 24)}
    assert book.lines[0].weekday == "Thứ Hai" and book.lines[0].scheduled == "05:30"

    doc = Document(io.BytesIO(logbook_docx(book, lh)))
    assert any(p.text == "SỔ NHẬT KÝ CHƯƠNG TRÌNH PHÁT THANH" for p in doc.paragraphs)
    table = doc.tables[1]
    assert table.rows[0].cells[9].text == "Người trực"
    assert len(table.rows) == len(occs) + 1
    assert [r.cells[9].text for r in table.rows[1:]] == [o[2] or "—" for o in occs]
    assert doc.sections[0].page_width > doc.sections[0].page_height  # landscape

    html = logbook_html(book, lh)
    assert "@media print" in html and "SỔ NHẬT KÝ CHƯƠNG TRÌNH PHÁT THANH" in html
    assert html.count("<tr>") == len(occs) + 1
    assert "Tuần 47 năm 2025" in html


def test_logbook_empty_week(year_store):
    with year_store.sessions() as s:
        st = year_store.station(s)
        book = compute_logbook(s, st, parse_period("2019-W10"))
        html = logbook_html(book, letterhead(s, st))
    assert book.lines == [] and "Không có chương trình nào trong kỳ." in html
