"""The as-run log: occurrences claimed before air, entries written ``playing`` before audio, completed after.

Every write here is committed by the caller's unit of work *before* the next sound is heard, so
after a crash the log tells what was on air. An occurrence is claimed with a conditional update
(``pending`` → ``playing``), which is what keeps it from ever airing twice. A process that is
playing an occurrence holds an advisory lock on a small file in the data dir; whoever finds a
``playing`` row whose lock is free knows its player died.
"""

from __future__ import annotations

import fcntl
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import AirStatus, AsRunEntry, Occurrence, Schedule, StationState
from ._prepare import PreparedItem

log = logging.getLogger("broadcaster.playout")

CRASH_REASON = "mất điện hoặc phần mềm dừng đột ngột"


def lock_dir(data_dir: Path) -> Path:
    d = data_dir / "run" / "locks"
    d.mkdir(parents=True, exist_ok=True)
    return d


class AirLock:
    """An exclusive lock that says "this process is airing occurrence N"; freed by the kernel on death."""

    def __init__(self, data_dir: Path, occurrence_id: int) -> None:
        self.path = lock_dir(data_dir) / f"occ-{occurrence_id}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            try:
                self.path.unlink()
            except OSError:
                pass
            os.close(self._fd)
            self._fd = None


def is_held(data_dir: Path, occurrence_id: int) -> bool:
    """Tell whether a live process holds the air lock of an occurrence."""
    path = lock_dir(data_dir) / f"occ-{occurrence_id}.lock"
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def recover_leftovers(session: Session, station_id: int, data_dir: Path, now: datetime) -> int:
    """Give back how many ``playing`` occurrences of dead players were closed as ``interrupted``."""
    count = 0
    rows = session.scalars(
        select(Occurrence).where(Occurrence.station_id == station_id, Occurrence.status == AirStatus.PLAYING)
    ).all()
    for occ in rows:
        if is_held(data_dir, occ.id):
            continue
        occ.status = AirStatus.INTERRUPTED
        occ.reason = CRASH_REASON
        occ.ended_at = occ.ended_at or now
        for entry in occ.entries:
            if entry.status == AirStatus.PLAYING:
                entry.status = AirStatus.INTERRUPTED
                entry.reason = CRASH_REASON
                entry.ended_at = entry.ended_at or now
        count += 1
    # Entries left playing under an occurrence that was already closed (crash between two writes).
    for entry in session.scalars(
        select(AsRunEntry)
        .join(Occurrence)
        .where(
            AsRunEntry.station_id == station_id,
            AsRunEntry.status == AirStatus.PLAYING,
            Occurrence.status != AirStatus.PLAYING,
        )
    ).all():
        entry.status = AirStatus.INTERRUPTED
        entry.reason = CRASH_REASON
        entry.ended_at = entry.ended_at or now
    if count:
        state = session.get(StationState, station_id)
        if state is not None and state.on_air_occurrence_id is not None:
            state.on_air_occurrence_id = None
            state.on_air_title = None
            state.on_air_since = None
    return count


def grace_of(occ: Occurrence, default: int) -> int:
    if occ.schedule is not None:
        grace = occ.schedule.misfire_grace_s
        return default if grace is None else grace
    return default


def missed_reason(occ: Occurrence, tz, grace_s: int) -> str:
    local = occ.scheduled_at.astimezone(tz)
    return (
        f"Máy tắt hoặc phần mềm không chạy lúc {local:%H:%M} ngày {local:%d/%m/%Y}; "
        f"quá {_human(grace_s)} cho phép phát trễ nên không phát."
    )


def _human(seconds: int) -> str:
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} phút"
    return f"{seconds} giây"


def mark_missed(session: Session, station_id: int, now: datetime, tz, default_grace: int) -> int:
    """Give back how many pending occurrences whose grace has run out became ``missed``."""
    rows = session.scalars(
        select(Occurrence).where(
            Occurrence.station_id == station_id,
            Occurrence.status == AirStatus.PENDING,
            Occurrence.scheduled_at < now,
        )
    ).all()
    n = 0
    for occ in rows:
        grace = grace_of(occ, default_grace)
        if occ.scheduled_at + timedelta(seconds=grace) < now:
            occ.status = AirStatus.MISSED
            occ.reason = missed_reason(occ, tz, grace)
            n += 1
    return n


def claim(session: Session, occurrence_id: int, now: datetime) -> bool:
    """Give back True if this caller now owns the occurrence (it was ``pending``); never twice."""
    res = session.execute(
        update(Occurrence)
        .where(Occurrence.id == occurrence_id, Occurrence.status == AirStatus.PENDING)
        .values(status=AirStatus.PLAYING, started_at=now)
    )
    return res.rowcount == 1


def begin_entry(
    session: Session,
    occ: Occurrence,
    item: PreparedItem,
    *,
    attempt: int,
    zone_id: int | None,
    sink: str,
    scheduled_at: datetime | None,
    now: datetime,
    status: AirStatus = AirStatus.PLAYING,
    reason: str | None = None,
) -> AsRunEntry:
    """Give back a new as-run entry for an item (``playing`` unless said otherwise); caller commits."""
    entry = AsRunEntry(
        station_id=occ.station_id,
        occurrence_id=occ.id,
        position=item.position,
        attempt=attempt,
        zone_id=zone_id,
        item_type=item.item_type,
        segment_id=item.segment_id,
        title=item.title[:300],
        kind=item.kind,
        area=item.area,
        procedure=item.procedure,
        audio_sha256=item.sha256,
        scheduled_at=scheduled_at,
        started_at=now,
        status=status,
        reason=reason,
        sink=sink[:500],
    )
    if status != AirStatus.PLAYING:
        entry.ended_at = now
        entry.duration_ms = 0
    session.add(entry)
    session.flush()
    return entry


def set_on_air(session: Session, station_id: int, occ: Occurrence | None, now: datetime) -> None:
    """Record in the station state what is on air now (None: nothing)."""
    state = session.get(StationState, station_id)
    if state is None:
        state = StationState(station_id=station_id, plan_revision=0)
        session.add(state)
    if occ is None:
        state.on_air_occurrence_id = None
        state.on_air_title = None
        state.on_air_since = None
    else:
        state.on_air_occurrence_id = occ.id
        state.on_air_title = occ.title[:300]
        state.on_air_since = now


def schedule_of(session: Session, occ: Occurrence) -> Schedule | None:
    return session.get(Schedule, occ.schedule_id) if occ.schedule_id is not None else None
