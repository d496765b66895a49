"""The plan side of a period still ahead, from the shared recurrence rules (as playout plans)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session

from ..models import ItemType, Schedule, SegmentKind, Station
from ..rules import Period, enabled_schedules, expand
from ._report import CONTENT_KINDS, PlanFigures


def planned_times(
    schedule: Schedule, start_utc: datetime, end_utc: datetime, timezone: str, *, replays: bool = True
) -> list[datetime]:
    """Give back the aware UTC starts of ``schedule`` in [start, end), as playout plans them.

    With ``replays`` every replay start is included: each is an occurrence of its own.
    """
    from zoneinfo import ZoneInfo

    return list(expand(schedule, start_utc, end_utc, ZoneInfo(timezone), replays=replays))


def plan_figures(
    session: Session, station: Station, start_utc: datetime, end_utc: datetime, period: Period
) -> PlanFigures:
    """Give back the :class:`PlanFigures` of the enabled schedules between ``start_utc`` and ``end_utc``."""
    plan = PlanFigures(start_utc=start_utc)
    schedules = enabled_schedules(session, station.id)
    edges = period.month_edges_utc()
    kinds: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    for sch in schedules:
        times = planned_times(sch, start_utc, end_utc, period.timezone)
        if not times:
            continue
        per_time = max(1, len(sch.zones))  # one occurrence per zone and start
        content = [
            it.segment
            for it in sch.programme.items
            if it.item_type == ItemType.SEGMENT
            and it.segment is not None
            and it.segment.kind in CONTENT_KINDS
        ]
        ms_each = sum((seg.audio.duration_ms if seg.audio else 0) for seg in content)
        n = len(times) * per_time
        plan.occurrences += n
        plan.items += n * len(content)
        plan.ms += n * ms_each
        for seg in content:
            kinds[seg.kind.value] += n
            if seg.area is not None:
                areas[seg.area.value] += n
        good_each = sum(1 for seg in content if seg.kind == SegmentKind.GOOD_EXAMPLE)
        for t in times:
            for ym, lo, hi in edges:
                if lo <= t < hi:
                    plan.occurrences_by_month[ym] = plan.occurrences_by_month.get(ym, 0) + per_time
                    plan.good_examples_by_month[ym] = (
                        plan.good_examples_by_month.get(ym, 0) + per_time * good_each
                    )
                    break
    plan.by_kind = dict(kinds)
    plan.by_area = dict(areas)
    return plan
