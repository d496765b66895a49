"""The programme log book (*sổ nhật ký chương trình phát thanh*): one line per occurrence.

Inspections read it as the proof of what aired, so it lists every occurrence of the period,
aired or not, with the items it sent out, how long, its status and who was on duty.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..db import utcnow
from ..models import AIR_STATUS_LABELS, WEEKDAY_NAMES, AirStatus, ItemType, Occurrence, Station, Zone
from ..rules import Period, show_duration, show_local
from ._docx import grid_table, letterhead_block, new_document, para, signature_block
from ._layout import LOGBOOK_TITLE, Letterhead

NOBODY = "—"
HEADERS = [
    "STT",
    "Ngày",
    "Giờ theo lịch",
    "Giờ phát thực tế",
    "Chương trình",
    "Cụm loa",
    "Nội dung đã phát",
    "Thời lượng",
    "Tình trạng",
    "Người trực",
    "Ghi chú",
]


@dataclass
class LogLine:
    """One occurrence as the log book writes it."""

    day: str
    weekday: str
    scheduled: str
    started: str
    programme: str
    zone: str
    items: list[str] = field(default_factory=list)
    ms: int = 0
    status: AirStatus = AirStatus.PENDING
    on_duty: str = NOBODY
    reason: str = ""

    @property
    def status_label(self) -> str:
        return AIR_STATUS_LABELS[self.status]

    @property
    def duration(self) -> str:
        return show_duration(self.ms)


@dataclass
class Logbook:
    station_name: str
    period: Period
    generated_at: datetime
    lines: list[LogLine]

    @property
    def total_ms(self) -> int:
        return sum(line.ms for line in self.lines)


def compute_logbook(
    session: Session, station: Station, period: Period, *, now: datetime | None = None
) -> Logbook:
    """Give back the log book of ``period``: every occurrence, in time order, with its items."""
    tz = period.tz
    zones = dict(session.execute(select(Zone.id, Zone.name).where(Zone.station_id == station.id)).all())
    occs = session.scalars(
        select(Occurrence)
        .where(
            Occurrence.station_id == station.id,
            Occurrence.scheduled_at >= period.start_utc,
            Occurrence.scheduled_at < period.end_utc,
        )
        .options(selectinload(Occurrence.entries))
        .order_by(Occurrence.scheduled_at, Occurrence.zone_id, Occurrence.id)
    ).all()
    lines = []
    for o in occs:
        at = o.scheduled_at.astimezone(tz)
        items, ms = [], 0
        for e in o.entries:
            if e.status in (AirStatus.PLAYED, AirStatus.INTERRUPTED):
                ms += e.duration_ms or 0  # chimes and pauses take air time too
            if e.item_type == ItemType.RELAY:
                # The log book is the proof of a relay: how much was the district's stream, and why not.
                items.append(f"{e.title}: {e.reason}" if e.reason else e.title)
                continue
            if e.item_type != ItemType.SEGMENT:
                continue
            mark = "" if e.status == AirStatus.PLAYED else f" [{AIR_STATUS_LABELS[e.status]}]"
            items.append(f"{e.title}{mark}")
        started = o.started_at or next((e.started_at for e in o.entries if e.started_at), None)
        lines.append(
            LogLine(
                day=at.strftime("%d/%m/%Y"),
                weekday=WEEKDAY_NAMES[at.weekday()],
                scheduled=at.strftime("%H:%M"),
                started=show_local(started, tz, "%H:%M:%S") if started else NOBODY,
                programme=o.title or (o.programme.title if o.programme else ""),
                zone=zones.get(o.zone_id, NOBODY),
                items=items,
                ms=ms,
                status=AirStatus(o.status),
                on_duty=(o.on_duty or "").strip() or NOBODY,
                reason=o.reason or "",
            )
        )
    return Logbook(station.name, period, now or utcnow(), lines)


def logbook_rows(book: Logbook) -> list[list[object]]:
    """Give back the log book as table rows (the same columns as :data:`HEADERS`)."""
    return [
        [
            i,
            ln.day,
            ln.scheduled,
            ln.started,
            ln.programme,
            ln.zone,
            "\n".join(ln.items) or NOBODY,
            ln.duration,
            ln.status_label,
            ln.on_duty,
            ln.reason,
        ]
        for i, ln in enumerate(book.lines, 1)
    ]


def logbook_docx(book: Logbook, lh: Letterhead) -> bytes:
    """Give back the log book as a landscape DOCX, ready to print and sign."""
    doc = new_document(landscape=True)
    letterhead_block(doc, lh, left_cm=9, right_cm=15, number=False)
    para(doc, LOGBOOK_TITLE, bold=True, size=14, align="center", after=0)
    para(
        doc,
        book.period.words[0].upper() + book.period.words[1:],
        bold=True,
        size=14,
        align="center",
        after=12,
    )
    rows = logbook_rows(book)
    if rows:
        grid_table(
            doc,
            HEADERS,
            rows,
            numeric_from=99,
            size=10,
            widths_cm=[1.1, 2.4, 1.5, 2.0, 3.3, 2.0, 5.9, 1.5, 1.8, 2.4, 2.3],  # 26.2 cm: A4 landscape
        )
    else:
        para(doc, "Không có chương trình nào trong kỳ.", italic=True)
    para(doc, f"Tổng số buổi: {len(rows)}; tổng thời lượng đã phát: {show_duration(book.total_ms)}.", size=12)
    signature_block(doc, lh)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


_PRINT_TEMPLATE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>{{ title }} — {{ words }}</title>
<style>
@page { size: A4 landscape; margin: 15mm 12mm 15mm 20mm; }
body { font-family: "Times New Roman", Times, serif; font-size: 13pt; color: #000;
       margin: 0 auto; max-width: 1200px; }
.head { display: flex; justify-content: space-between; text-align: center; }
.head > div { width: 48%; }
.b { font-weight: bold; } .u { text-decoration: underline; } .i { font-style: italic; }
h1 { font-size: 14pt; text-align: center; margin: 18px 0 0; }
h2 { font-size: 14pt; text-align: center; margin: 0 0 12px; font-weight: bold; }
table.log { width: 100%; border-collapse: collapse; font-size: 11pt; }
table.log th, table.log td { border: 1px solid #000; padding: 3px 4px; vertical-align: top; }
table.log th { background: #eee; }
table.log thead { display: table-header-group; }
table.log tr { page-break-inside: avoid; }
td.items { white-space: pre-line; }
.sign { display: flex; justify-content: space-between; margin-top: 16px; }
.sign .left { font-size: 11pt; } .sign .right { text-align: center; width: 40%; }
.toolbar { margin: 8px 0; font-family: sans-serif; }
@media print { .toolbar { display: none; } body { max-width: none; } }
</style></head><body>
<div class="toolbar"><button onclick="window.print()">In sổ nhật ký</button></div>
<div class="head">
  <div><div>{{ lh.parent }}</div><div class="b u">{{ lh.unit }}</div></div>
  <div><div class="b">{{ motto1 }}</div><div class="b u">{{ motto2 }}</div>
       <div class="i">{{ lh.place_date }}</div></div>
</div>
<h1>{{ title }}</h1>
<h2>{{ words }}</h2>
<table class="log">
<thead><tr>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for r in rows %}<tr>{% for c in r -%}
<td{% if loop.index == 7 %} class="items"{% endif %}>{{ c }}</td>{% endfor %}</tr>
{% else %}<tr><td colspan="{{ headers|length }}"><i>Không có chương trình nào trong kỳ.</i></td></tr>
{% endfor %}
</tbody></table>
<p>Tổng số buổi: {{ rows|length }}; tổng thời lượng đã phát: {{ total }}.</p>
<div class="sign">
  <div class="left"><b><i>Nơi nhận:</i></b>{% for r in lh.recipients %}<br>- {{ r }}{% endfor %}</div>
  <div class="right"><b>{{ lh.sign_for }}</b><br><b>{{ lh.sign_title }}</b><br><i>{{ lh.sign_note }}</i></div>
</div>
</body></html>
"""

_env = jinja2.Environment(autoescape=True)


def logbook_html(book: Logbook, lh: Letterhead) -> str:
    """Give back the log book as a standalone printable HTML page (A4 landscape print CSS)."""
    from ._layout import MOTTO_1, MOTTO_2

    words = book.period.words
    return _env.from_string(_PRINT_TEMPLATE).render(
        title=LOGBOOK_TITLE,
        words=words[0].upper() + words[1:],
        lh=lh,
        headers=HEADERS,
        rows=logbook_rows(book),
        total=show_duration(book.total_ms),
        motto1=MOTTO_1,
        motto2=MOTTO_2,
    )
