"""Planning: schedules expanded into ``Occurrence`` rows for the coming hours.

Our tables are the source of truth. The planner makes the rows match the schedules: it adds the
missing occurrences of the horizon, removes *pending* ones that no schedule wants any more (edited,
disabled, zone changed, station timezone changed) and never touches what already aired.

A normal airing that a priority one overlaps on the same loudspeakers is marked ``skipped`` with the
reason (Circular 39: priority goes first), and becomes pending again if the priority one goes away.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from ..models import (
    AirStatus,
    AudioAsset,
    ControlCommand,
    Occurrence,
    Origin,
    Priority,
    Programme,
    ProgrammeItem,
    Schedule,
    Segment,
    Station,
    StationState,
    Zone,
)
from ..rules import expand_occurrences, validate_schedule
from ..store import station_state
from ._conflicts import YIELD_PREFIX, Slot, airing_end, programme_ms, takeovers
from ._wake import wake_after_commit

log = logging.getLogger("broadcaster.playout")

LOOKBACK = timedelta(hours=24)  # how far back a (re)start still logs what it missed


def bump_plan(session: Session, station_id: int) -> int:
    """Give back the new plan revision, after telling the daemon that schedules or programmes changed.

    Call it in the same unit of work as the edit; the daemon is woken by the commit and re-plans
    at once (within its fallback poll of a second if the wake-up cannot reach it).
    """
    wake_after_commit(session)
    state = station_state(session, station_id)
    state.plan_revision = (state.plan_revision or 0) + 1
    session.flush()
    return state.plan_revision


class Probe(NamedTuple):
    """What the daemon looks at on every wake: the mailbox and two fingerprints."""

    commands: int  # control commands not yet taken
    plan: tuple  # changes whenever the plan may need rebuilding
    content: tuple  # changes when what an airing plays may have changed


@functools.cache
def _probe_statement() -> Select:
    """Give back the probe as one statement of scalar subqueries, built once (building it costs more
    than running it)."""

    def one(q):
        return q.scalar_subquery()

    sid = bindparam("sid")
    sched = Schedule.station_id == sid
    zone = Zone.station_id == sid
    return select(
        one(
            select(func.count(ControlCommand.id)).where(
                ControlCommand.station_id == sid, ControlCommand.taken_at.is_(None)
            )
        ),
        # plan
        one(select(StationState.plan_revision).where(StationState.station_id == sid)),
        one(select(func.count(Schedule.id)).where(sched)),
        one(select(func.max(Schedule.updated_at)).where(sched)),
        one(select(func.sum(Schedule.id)).where(sched)),
        one(select(Station.timezone).where(Station.id == sid)),
        one(select(func.count(Zone.id)).where(zone)),
        one(select(func.sum(Zone.id)).where(zone, Zone.enabled.is_(True))),
        one(select(func.aggregate_strings(Zone.sink, "|")).where(zone)),
        # content
        one(select(func.count(Segment.id)).where(Segment.station_id == sid)),
        one(select(func.max(Segment.updated_at)).where(Segment.station_id == sid)),
        one(select(func.count(Programme.id)).where(Programme.station_id == sid)),
        one(select(func.max(Programme.updated_at)).where(Programme.station_id == sid)),
        one(select(func.count(ProgrammeItem.id))),
        one(select(func.max(ProgrammeItem.id))),
        one(select(func.sum(ProgrammeItem.position))),
        one(select(func.max(AudioAsset.id))),
    )


def probe(conn: Session | Connection, station_id: int) -> Probe:
    """Give back the mailbox count and the plan and content fingerprints, in one query.

    One round trip of scalar subqueries over small or indexed tables, because the idle daemon asks
    this on every wake: it is most of the daemon's idle CPU.
    """
    row = tuple(conn.execute(_probe_statement(), {"sid": station_id}).one())
    return Probe(commands=row[0] or 0, plan=row[1:9], content=row[9:])


@dataclass
class PlanResult:
    created: int = 0
    removed: int = 0
    yielded: int = 0  # normal airings skipped for a priority one (or given back)
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
            Occurrence.reason,
        ).where(
            Occurrence.station_id == station.id,
            Occurrence.schedule_id.is_not(None),
            Occurrence.scheduled_at >= lo,
        )
    ).all()
    have = set()
    for occ_id, sid, zid, at, status, reason in existing:
        key = (sid, zid, at)
        have.add(key)
        if key not in wanted and (status == AirStatus.PENDING or (at >= now and _yielded(status, reason))):
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
    result.yielded = _give_way(session, station.id, now, hi)
    session.flush()
    return result


def _yielded(status: AirStatus, reason: str | None) -> bool:
    return status == AirStatus.SKIPPED and (reason or "").startswith(YIELD_PREFIX)


def _end(session: Session, occ: Occurrence, durations: dict[int | None, int | None]) -> datetime:
    if occ.programme_id not in durations:
        durations[occ.programme_id] = programme_ms(session, occ.programme_id)
    return airing_end(occ.schedule, occ.scheduled_at, occ.replay_index, durations[occ.programme_id])


def _give_way(session: Session, station_id: int, now: datetime, hi: datetime) -> int:
    """Give back how many future airings changed, after skipping normal ones a priority one overlaps."""
    where = (
        Occurrence.station_id == station_id,
        Occurrence.schedule_id.is_not(None),
        Occurrence.scheduled_at >= now,
        Occurrence.scheduled_at < hi,
        Occurrence.status.in_((AirStatus.PENDING, AirStatus.SKIPPED)),
    )
    # Most plans hold no priority slot and nothing given way: a column query settles it cheaply.
    light = session.execute(select(Occurrence.priority, Occurrence.status, Occurrence.reason).where(*where))
    if not any(p != Priority.NORMAL or _yielded(st, r) for p, st, r in light):
        return 0
    rows = [
        o
        for o in session.scalars(select(Occurrence).where(*where).options(selectinload(Occurrence.schedule)))
        if o.status == AirStatus.PENDING or _yielded(o.status, o.reason)
    ]
    durations: dict[int | None, int | None] = {}
    slots = [
        Slot(
            o.id,
            o.zone_id,
            o.scheduled_at,
            _end(session, o, durations),
            o.priority,
            o.title,
            o.schedule is not None and o.schedule.origin == Origin.HUB,
        )
        for o in rows
    ]
    station = session.get(Station, station_id)
    reasons = takeovers(slots, ZoneInfo(station.timezone) if station is not None else None)
    changed = 0
    for o in rows:
        reason = reasons.get(o.id)
        if reason is not None and (o.status != AirStatus.SKIPPED or o.reason != reason):
            o.status, o.reason = AirStatus.SKIPPED, reason
            changed += 1
        elif reason is None and o.status == AirStatus.SKIPPED:
            o.status, o.reason = AirStatus.PENDING, None
            changed += 1
    return changed
