"""Planning: schedules expanded into ``Occurrence`` rows for the coming hours.

Our tables are the source of truth. The planner makes the rows match the schedules: it adds the
missing occurrences of the horizon, removes *pending* ones that no schedule wants any more (edited,
disabled, zone changed, station timezone changed) and never touches what already aired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import (
    AirStatus,
    AudioAsset,
    Occurrence,
    Programme,
    ProgrammeItem,
    Schedule,
    Segment,
    Station,
    StationState,
    Zone,
)
from .recurrence import expand_occurrences, validate_schedule

log = logging.getLogger("broadcaster.playout")

LOOKBACK = timedelta(hours=24)  # how far back a (re)start still logs what it missed


def bump_plan(session: Session, station_id: int) -> int:
    """Give back the new plan revision, after telling the daemon that schedules or programmes changed.

    Call it in the same unit of work as the edit; the daemon re-plans within a second of the commit.
    """
    state = session.get(StationState, station_id)
    if state is None:
        state = StationState(station_id=station_id, plan_revision=0)
        session.add(state)
        session.flush()
    state.plan_revision = (state.plan_revision or 0) + 1
    session.flush()
    return state.plan_revision


def plan_fingerprint(session: Session, station_id: int) -> tuple:
    """Give back a cheap value that changes whenever the plan may need rebuilding."""
    rev = session.scalar(select(StationState.plan_revision).where(StationState.station_id == station_id))
    sched = session.execute(
        select(func.count(Schedule.id), func.max(Schedule.updated_at), func.sum(Schedule.id)).where(
            Schedule.station_id == station_id
        )
    ).one()
    tz = session.scalar(select(Station.timezone).where(Station.id == station_id))
    zones = session.execute(
        select(Zone.id, Zone.enabled, Zone.sink).where(Zone.station_id == station_id).order_by(Zone.id)
    ).all()
    return (rev, tuple(sched), tz, tuple(tuple(z) for z in zones))


def content_fingerprint(session: Session, station_id: int) -> tuple:
    """Give back a cheap value that changes when what an airing plays may have changed."""
    segs = session.execute(
        select(func.count(Segment.id), func.max(Segment.updated_at)).where(Segment.station_id == station_id)
    ).one()
    progs = session.execute(
        select(func.count(Programme.id), func.max(Programme.updated_at)).where(
            Programme.station_id == station_id
        )
    ).one()
    items = session.execute(
        select(func.count(ProgrammeItem.id), func.max(ProgrammeItem.id), func.sum(ProgrammeItem.position))
    ).one()
    assets = session.scalar(select(func.max(AudioAsset.id)))
    return (tuple(segs), tuple(progs), tuple(items), assets)


@dataclass
class PlanResult:
    created: int = 0
    removed: int = 0
    invalid: tuple[str, ...] = ()


def plan(
    session: Session, station: Station, now: datetime, *, hours: int, lookback: timedelta = LOOKBACK
) -> PlanResult:
    """Give back what changed after making occurrences match the schedules in [now-lookback, now+hours)."""
    tz = ZoneInfo(station.timezone)
    lo, hi = now - lookback, now + timedelta(hours=hours)
    result = PlanResult()
    wanted: dict[tuple[int, int, datetime], tuple[Schedule, int, bool]] = {}
    invalid = []
    schedules = session.scalars(
        select(Schedule).where(Schedule.station_id == station.id, Schedule.enabled.is_(True))
    ).all()
    for sched in schedules:
        errors = validate_schedule(sched)
        if errors:
            invalid.append(f"{sched.name or sched.id}: {errors[0]}")
            continue
        zones = [z for z in sched.zones if z.enabled]
        # A schedule does not reach back before it was written: editing it at 10:00 must not log
        # this morning's 05:30 as "missed".
        since = max(lo, sched.updated_at or sched.created_at or lo)
        for at, k in expand_occurrences(sched, lo, hi, tz):
            for zone in zones:
                wanted[(sched.id, zone.id, at)] = (sched, k, at >= since)
    result.invalid = tuple(invalid)
    existing = session.execute(
        select(
            Occurrence.id,
            Occurrence.schedule_id,
            Occurrence.zone_id,
            Occurrence.scheduled_at,
            Occurrence.status,
        ).where(
            Occurrence.station_id == station.id,
            Occurrence.schedule_id.is_not(None),
            Occurrence.scheduled_at >= lo,
        )
    ).all()
    have = set()
    for occ_id, sid, zid, at, status in existing:
        key = (sid, zid, at)
        have.add(key)
        if key not in wanted and status == AirStatus.PENDING:
            session.delete(session.get(Occurrence, occ_id))
            result.removed += 1
    for key, (sched, k, fresh) in sorted(wanted.items(), key=lambda kv: kv[0][2]):
        if key in have or not fresh:
            continue
        session.add(
            Occurrence(
                station_id=station.id,
                schedule_id=sched.id,
                programme_id=sched.programme_id,
                zone_id=key[1],
                scheduled_at=key[2],
                replay_index=k,
                priority=sched.priority,
                title=(sched.programme.title if sched.programme else sched.name)[:300],
            )
        )
        result.created += 1
    session.flush()
    return result
