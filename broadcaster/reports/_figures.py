"""What aired in a period, summed by SQL aggregates: the figures every export lays out.

Definitions, used the same way in every table, export and test:

* **An item aired** (*tin, bài đã phát*) is one as-run entry of a segment (``item_type = segment``)
  whose snapshotted kind is one of the six content kinds (CCHC column, good example, procedure
  notice, hotline, relay, emergency; jingles, chimes and pauses are not content) and whose status
  is ``played`` (it went out to the end). Interrupted, failed or skipped items did not air whole and
  are not counted as aired; they appear in the planned-versus-aired section instead.
* **A broadcast** (*buổi phát*) is one occurrence (one programme on one loudspeaker zone at one
  scheduled time) with at least one item aired. A slot sent to three zones is three broadcasts,
  one per zone, so the table by zone sums to the total.
* **Minutes aired** are the summed ``duration_ms`` of the items aired.
* **Which period an entry belongs to** is decided by its occurrence's ``scheduled_at`` (the
  scheduled start), so a programme that runs past midnight at a period's edge is counted once,
  and the months of a year always add up to the year.
* **Planned** (*theo lịch*) occurrences are those created from a schedule (``schedule_id`` set) and
  due before now; ad-hoc plays and emergencies are aired but were never planned. For the part of
  a period still in the future the plan comes from :func:`broadcaster.playout.expand` over the
  enabled schedules (one occurrence per zone), labelled "Kế hoạch, chưa phát".

Every figure is a GROUP BY over the rows of the period; nothing loops over all entries in Python,
so ten years of as-run log still sums in well under a second on SQLite.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, distinct, exists, func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import (
    AIR_STATUS_LABELS,
    AREA_LABELS,
    KIND_LABELS,
    AirStatus,
    AsRunEntry,
    CchcArea,
    ItemType,
    Occurrence,
    SegmentKind,
    Station,
    Zone,
)
from ..rules import Period
from ._narrative import narrative
from ._plan import plan_figures
from ._report import CONTENT_KINDS, MonthRow, Problem, Report, Row

PROBLEM_STATUSES = (AirStatus.MISSED, AirStatus.FAILED, AirStatus.INTERRUPTED)
PROBLEM_LIST_LIMIT = 300
NO_AREA = "Chưa gắn lĩnh vực"
NO_ZONE = "Không rõ cụm loa"
NO_PROCEDURE = "(không ghi tên thủ tục)"


def _aired_item_filter() -> Any:
    return and_(
        AsRunEntry.status == AirStatus.PLAYED,
        AsRunEntry.item_type == ItemType.SEGMENT,
        AsRunEntry.kind.in_(CONTENT_KINDS),
    )


def _occ_filter(station_id: int, start: datetime, end: datetime) -> Any:
    return and_(
        Occurrence.station_id == station_id, Occurrence.scheduled_at >= start, Occurrence.scheduled_at < end
    )


def _aired_select(station_id: int, start: datetime, end: datetime, *group: Any):
    cols = [
        func.count(distinct(Occurrence.id)),
        func.count(AsRunEntry.id),
        func.coalesce(func.sum(AsRunEntry.duration_ms), 0),
    ]
    stmt = (
        select(*group, *cols)
        .select_from(AsRunEntry)
        .join(Occurrence, AsRunEntry.occurrence_id == Occurrence.id)
        .where(_occ_filter(station_id, start, end), _aired_item_filter())
    )
    return stmt.group_by(*group) if group else stmt


def _enum_value(v: Any) -> str | None:
    return None if v is None else getattr(v, "value", v)


def compute_report(
    session: Session,
    station: Station,
    period: Period,
    *,
    now: datetime | None = None,
    problem_limit: int = PROBLEM_LIST_LIMIT,
) -> Report:
    """Give back the :class:`Report` of ``period`` for ``station``, counted only from what aired."""
    now = now or utcnow()
    sid = station.id
    start, end = period.start_utc, period.end_utc
    past_end = min(end, max(now, start))  # the log only knows about what is already due

    programmes, items, ms = session.execute(_aired_select(sid, start, end)).one()

    got = {
        _enum_value(k): (p, i, m)
        for k, p, i, m in session.execute(_aired_select(sid, start, end, AsRunEntry.area))
    }
    by_area = [Row(a.value, AREA_LABELS[a], *got.pop(a.value, (0, 0, 0))) for a in CchcArea]
    if None in got:
        by_area.append(Row("", NO_AREA, *got.pop(None)))

    got = {
        _enum_value(k): (p, i, m)
        for k, p, i, m in session.execute(_aired_select(sid, start, end, AsRunEntry.kind))
    }
    by_kind = [Row(k.value, KIND_LABELS[k], *got.get(k.value, (0, 0, 0))) for k in CONTENT_KINDS]

    got = {k: (p, i, m) for k, p, i, m in session.execute(_aired_select(sid, start, end, Occurrence.zone_id))}
    zones = session.execute(select(Zone.id, Zone.name).where(Zone.station_id == sid).order_by(Zone.id)).all()
    by_zone = [Row(str(zid), name, *got.pop(zid, (0, 0, 0))) for zid, name in zones]
    if None in got:
        by_zone.append(Row("", NO_ZONE, *got.pop(None)))
    for zid, vals in got.items():  # a zone of another station cannot appear, but never drop figures
        by_zone.append(Row(str(zid), f"Cụm loa #{zid}", *vals))

    proc = func.coalesce(AsRunEntry.procedure, "")
    stmt = _aired_select(sid, start, end, proc).where(AsRunEntry.kind == SegmentKind.PROCEDURE)
    procedures = [Row(name, name or NO_PROCEDURE, p, i, m) for name, p, i, m in session.execute(stmt)]
    procedures.sort(key=lambda r: (-r.items, r.label))

    by_month = _by_month(session, sid, period, now)

    planned_filter = and_(_occ_filter(sid, start, past_end), Occurrence.schedule_id.is_not(None))
    status_counts = {
        AirStatus(_enum_value(s)): n
        for s, n in session.execute(
            select(Occurrence.status, func.count()).where(planned_filter).group_by(Occurrence.status)
        )
    }
    planned = sum(status_counts.values())
    aired_exists = exists().where(AsRunEntry.occurrence_id == Occurrence.id, _aired_item_filter())
    planned_aired = session.scalar(
        select(func.count()).select_from(Occurrence).where(planned_filter, aired_exists)
    )
    adhoc = session.scalar(
        select(func.count())
        .select_from(Occurrence)
        .where(_occ_filter(sid, start, end), Occurrence.schedule_id.is_(None), aired_exists)
    )

    problem_filter = and_(_occ_filter(sid, start, past_end), Occurrence.status.in_(PROBLEM_STATUSES))
    problems_total = session.scalar(select(func.count()).select_from(Occurrence).where(problem_filter))
    zone_names = dict(zones)
    problems = [
        Problem(at, title or "", zone_names.get(zid, NO_ZONE), AirStatus(_enum_value(st)), reason or "")
        for at, title, zid, st, reason in session.execute(
            select(
                Occurrence.scheduled_at,
                Occurrence.title,
                Occurrence.zone_id,
                Occurrence.status,
                Occurrence.reason,
            )
            .where(problem_filter)
            .order_by(Occurrence.scheduled_at, Occurrence.id)
            .limit(problem_limit)
        )
    ]
    reason_col = func.coalesce(Occurrence.reason, "")
    problem_reasons = [
        (AIR_STATUS_LABELS[AirStatus(_enum_value(st))], reason or "(không ghi lý do)", n)
        for st, reason, n in session.execute(
            select(Occurrence.status, reason_col, func.count())
            .where(problem_filter)
            .group_by(Occurrence.status, reason_col)
            .order_by(func.count().desc(), Occurrence.status, reason_col)
        )
    ]

    plan = None
    if now < end:
        plan = plan_figures(session, station, max(start, now), end, period)
        for m in by_month:
            m.planned += plan.occurrences_by_month.get(m.ym, 0)
            if m.future:
                m.good_examples = plan.good_examples_by_month.get(m.ym, 0)

    report = Report(
        station_name=station.name,
        period=period,
        generated_at=now,
        programmes=programmes,
        items=items,
        ms=int(ms),
        by_area=by_area,
        by_kind=by_kind,
        by_zone=by_zone,
        by_month=by_month,
        procedures=procedures,
        planned=planned,
        planned_aired=planned_aired,
        status_counts=status_counts,
        problems=problems,
        problems_total=problems_total,
        problem_reasons=problem_reasons,
        adhoc_programmes=adhoc,
        plan=plan,
    )
    report.narrative = narrative(report)
    return report


def _by_month(session: Session, sid: int, period: Period, now: datetime) -> list[MonthRow]:
    """Give back one row per touched local month; months are bucketed by a CASE on UTC edges.

    A CASE over precomputed UTC edges keeps the grouping in SQL, portable across SQLite and
    PostgreSQL, and right in any timezone (even one with daylight saving).
    """
    edges = period.month_edges_utc()
    rows = [
        MonthRow(f"{y}-{m:02d}", f"Tháng {m}/{y}", future=lo >= now, ym=(y, m)) for (y, m), lo, _hi in edges
    ]
    if not edges:
        return rows
    bucket = case(*[(Occurrence.scheduled_at < hi, i) for i, (_ym, _lo, hi) in enumerate(edges)], else_=-1)
    good = func.sum(case((AsRunEntry.kind == SegmentKind.GOOD_EXAMPLE, 1), else_=0))
    stmt = _aired_select(sid, period.start_utc, period.end_utc, bucket.label("b")).add_columns(good)
    for b, p, i, ms, g in session.execute(stmt):
        if 0 <= b < len(rows):
            rows[b].programmes, rows[b].items, rows[b].ms, rows[b].good_examples = p, i, int(ms), int(g or 0)
    past_end = min(period.end_utc, max(now, period.start_utc))
    stmt = (
        select(bucket.label("b"), func.count())
        .where(_occ_filter(sid, period.start_utc, past_end), Occurrence.schedule_id.is_not(None))
        .group_by("b")
    )
    for b, n in session.execute(stmt):
        if 0 <= b < len(rows):
            rows[b].planned = n
    return rows
