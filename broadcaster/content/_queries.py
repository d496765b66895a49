"""Read-side queries the pages and the API share: segment search, the as-run log, the audit trail."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..db import utcnow
from ..models import (
    AIR_STATUS_LABELS,
    AirStatus,
    AsRunEntry,
    AuditLog,
    CchcArea,
    Occurrence,
    Segment,
    SegmentKind,
    SegmentStatus,
    Zone,
)
from ..rules import csv_row
from ._dates import to_month
from ._errors import ContentError

PAGE = 50


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_segments(
    session: Session,
    station_id: int,
    *,
    q: str = "",
    month: str = "",
    kind: str = "",
    area: str = "",
    status: str = "",
    author_id: int | None = None,
    tz: ZoneInfo | None = None,
    limit: int = 200,
) -> list[Segment]:
    """Give back segments matching a text and filters (month of last change, kind, area, status)."""
    stmt = select(Segment).where(Segment.station_id == station_id).options(joinedload(Segment.author))
    if q.strip():
        pat = f"%{_escape_like(q.strip())}%"
        stmt = stmt.where(or_(Segment.title.ilike(pat, escape="\\"), Segment.body.ilike(pat, escape="\\")))
    if kind:
        try:
            stmt = stmt.where(Segment.kind == SegmentKind(kind))
        except ValueError:
            raise ContentError("Loại tin không hợp lệ.", "kind") from None
    if area:
        try:
            stmt = stmt.where(Segment.area == CchcArea(area))
        except ValueError:
            raise ContentError("Lĩnh vực không hợp lệ.", "area") from None
    if status:
        try:
            stmt = stmt.where(Segment.status == SegmentStatus(status))
        except ValueError:
            raise ContentError("Trạng thái không hợp lệ.", "status") from None
    if author_id is not None:
        stmt = stmt.where(Segment.author_id == author_id)
    if month:
        lo, hi = month_range_utc(month, tz or ZoneInfo("Asia/Ho_Chi_Minh"))
        stmt = stmt.where(Segment.updated_at >= lo, Segment.updated_at < hi)
    return list(session.scalars(stmt.order_by(Segment.updated_at.desc(), Segment.id.desc()).limit(limit)))


def month_range_utc(month: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Give back the UTC bounds of a local month typed "mm/yyyy" or "yyyy-mm"."""
    from ..rules import parse_period

    try:
        iso = to_month(month)
    except ValueError as exc:
        raise ContentError(str(exc), "month") from None
    period = parse_period(iso or "", tz.key)
    return period.start_utc, period.end_utc


@dataclass
class AsRunFilter:
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    zone_id: int | None = None

    @classmethod
    def parse(cls, args: Any, tz: ZoneInfo, default_days: int = 7) -> AsRunFilter:
        """Give back the filter read from query arguments (ContentError names a bad field)."""
        from ._editing import parse_date

        today = datetime.now(tz).date()
        f = cls(
            date_from=parse_date(args.get("tu_ngay"), "tu_ngay") or today - timedelta(days=default_days - 1),
            date_to=parse_date(args.get("den_ngay"), "den_ngay") or today,
            status=(args.get("trang_thai") or "").strip(),
            zone_id=None,
        )
        if f.date_to < f.date_from:
            raise ContentError("Ngày kết thúc phải sau ngày bắt đầu.", "den_ngay")
        if f.status and f.status not in {s.value for s in AirStatus}:
            raise ContentError("Trạng thái không hợp lệ.", "trang_thai")
        zone = (args.get("cum_loa") or "").strip()
        if zone:
            try:
                f.zone_id = int(zone)
            except ValueError:
                raise ContentError("Cụm loa không hợp lệ.", "cum_loa") from None
        return f


def asrun_entries(
    session: Session, station_id: int, f: AsRunFilter, tz: ZoneInfo, *, limit: int | None = 2000
) -> list[AsRunEntry]:
    """Give back as-run entries in a local date range (by start, or planned time), newest first."""
    lo = datetime.combine(f.date_from, time(0), tz)
    hi = datetime.combine(f.date_to + timedelta(days=1), time(0), tz)
    when = func.coalesce(AsRunEntry.started_at, AsRunEntry.scheduled_at)
    stmt = (
        select(AsRunEntry)
        .where(AsRunEntry.station_id == station_id, when >= lo, when < hi)
        .options(joinedload(AsRunEntry.occurrence).joinedload(Occurrence.zone))
        .order_by(when.desc(), AsRunEntry.id.desc())
    )
    if f.status:
        stmt = stmt.where(AsRunEntry.status == AirStatus(f.status))
    if f.zone_id is not None:
        stmt = stmt.where(AsRunEntry.zone_id == f.zone_id)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def recent_asrun(
    session: Session, station_id: int, hours: int = 24, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Give back the last hours of the log: as-run entries plus occurrences missed or failed whole.

    Plain rows (dicts of column values, the zone as ``zone_name``), no ORM objects: the dashboard
    shows them on every load and keeps them a moment across requests.
    """
    now = now or utcnow()
    lo = now - timedelta(hours=hours)
    entries = session.execute(
        select(
            AsRunEntry.occurrence_id,
            AsRunEntry.position,
            AsRunEntry.started_at,
            AsRunEntry.title,
            AsRunEntry.status,
            Occurrence.title,
            Zone.name,
            AsRunEntry.reason,
            AsRunEntry.duration_ms,
        )
        .join(Occurrence, Occurrence.id == AsRunEntry.occurrence_id)
        .outerjoin(Zone, Zone.id == Occurrence.zone_id)
        .where(AsRunEntry.station_id == station_id, AsRunEntry.started_at >= lo)
        .order_by(AsRunEntry.started_at.desc())
        .limit(300)
    ).all()
    missed = session.execute(
        select(
            Occurrence.id,
            Occurrence.scheduled_at,
            Occurrence.title,
            Occurrence.status,
            Zone.name,
            Occurrence.reason,
        )
        .outerjoin(Zone, Zone.id == Occurrence.zone_id)
        .where(
            Occurrence.station_id == station_id,
            Occurrence.scheduled_at >= lo,
            Occurrence.scheduled_at <= now,
            Occurrence.status.in_((AirStatus.MISSED, AirStatus.FAILED, AirStatus.SKIPPED)),
        )
        .order_by(Occurrence.scheduled_at.desc())
        .limit(100)
    ).all()
    seen = {occ_id for occ_id, *_rest in entries}
    rows: list[dict[str, Any]] = [
        {
            "occurrence_id": occ_id,
            "position": position,
            "at": at,
            "title": title,
            "status": status,
            "zone_name": zone,
            "programme": programme,
            "reason": reason,
            "duration_ms": duration_ms,
        }
        for occ_id, position, at, title, status, programme, zone, reason, duration_ms in entries
    ]
    rows += [
        {
            "occurrence_id": occ_id,
            "position": 0,
            "at": at,
            "title": title,
            "status": status,
            "zone_name": zone,
            "programme": title,
            "reason": reason,
            "duration_ms": None,
        }
        for occ_id, at, title, status, zone, reason in missed
        if occ_id not in seen
    ]
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows


def on_air_rows(session: Session, station_id: int) -> list[dict[str, Any]]:
    """Give back what is on air now (one occurrence per zone at most) as plain rows."""
    return [
        {"title": title, "started_at": started_at, "zone_name": zone}
        for title, started_at, zone in session.execute(
            select(Occurrence.title, Occurrence.started_at, Zone.name)
            .outerjoin(Zone, Zone.id == Occurrence.zone_id)
            .where(Occurrence.station_id == station_id, Occurrence.status == AirStatus.PLAYING)
            .order_by(Occurrence.started_at)
        )
    ]


def occurrences_between(
    session: Session, station_id: int, lo: datetime, hi: datetime
) -> list[dict[str, Any]]:
    """Give back every airing planned in [lo, hi) with what became of it, as plain rows, soonest first.

    Whatever their schedule became since (disabled, edited), and plays without a schedule too.
    """
    rows = session.execute(
        select(
            Occurrence.id,
            Occurrence.schedule_id,
            Occurrence.scheduled_at,
            Occurrence.ended_at,
            Occurrence.title,
            Occurrence.status,
            Occurrence.reason,
            Occurrence.priority,
            Zone.name,
        )
        .outerjoin(Zone, Zone.id == Occurrence.zone_id)
        .where(Occurrence.station_id == station_id)
        .where(Occurrence.scheduled_at >= lo, Occurrence.scheduled_at < hi)
        .order_by(Occurrence.scheduled_at, Occurrence.id)
    )
    keys = ("id", "schedule_id", "at", "ended_at", "title", "status", "reason", "priority", "zone_name")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def upcoming_rows(
    session: Session, station_id: int, n: int = 10, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Give back the next ``n`` planned occurrences as plain rows, soonest first (as
    :func:`broadcaster.playout.upcoming`, which gives ORM objects)."""
    from ..playout import upcoming_select

    query = upcoming_select(
        station_id, n, Occurrence.title, Occurrence.scheduled_at, Zone.name, Occurrence.priority, now=now
    ).outerjoin(Zone, Zone.id == Occurrence.zone_id)
    return [
        {"title": title, "scheduled_at": at, "zone_name": zone, "priority": priority}
        for title, at, zone, priority in session.execute(query)
    ]


def asrun_csv(entries: list[AsRunEntry], tz: ZoneInfo) -> str:
    """Give back the as-run entries as CSV text (UTF-8 with BOM so spreadsheet programs read it)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "Giờ dự kiến",
            "Bắt đầu",
            "Kết thúc",
            "Thời lượng (giây)",
            "Chương trình",
            "Mục",
            "Cụm loa",
            "Trạng thái",
            "Lý do",
            "Mã SHA-256 âm thanh",
        ]
    )

    def t(dt: datetime | None) -> str:
        return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if dt else ""

    for e in entries:
        zone = e.occurrence.zone.name if e.occurrence and e.occurrence.zone else ""
        w.writerow(
            csv_row(
                [
                    t(e.scheduled_at),
                    t(e.started_at),
                    t(e.ended_at),
                    "" if e.duration_ms is None else f"{e.duration_ms / 1000:.1f}",
                    e.occurrence.title if e.occurrence else "",
                    e.title,
                    zone,
                    AIR_STATUS_LABELS[e.status],
                    e.reason or "",
                    e.audio_sha256 or "",
                ]
            )
        )
    return "\ufeff" + out.getvalue()


def audit_page(
    session: Session, station_id: int, *, entity: str = "", page: int = 1
) -> tuple[list[AuditLog], bool]:
    """Give back one page of the audit log, newest first, and whether there is a next page."""
    stmt = select(AuditLog).where(or_(AuditLog.station_id == station_id, AuditLog.station_id.is_(None)))
    if entity:
        stmt = stmt.where(AuditLog.entity == entity)
    rows = list(session.scalars(stmt.order_by(AuditLog.id.desc()).offset((page - 1) * PAGE).limit(PAGE + 1)))
    return rows[:PAGE], len(rows) > PAGE
