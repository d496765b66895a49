"""The as-run log: occurrences claimed before air, entries written ``playing`` before audio, completed after.

Every write here is committed by the caller's unit of work *before* the next sound is heard, so
after a crash the log tells what was on air. An occurrence is claimed with a conditional update
(``pending`` → ``playing``), which is what keeps it from ever airing twice. A process that is
playing an occurrence holds an advisory lock on a small file in the data dir; whoever finds a
``playing`` row whose lock is free knows its player died.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import AirStatus, AsRunEntry, ItemType, Occurrence, Schedule, StationState
from ..store import station_state
from ._prepare import PreparedItem
from ._sinks import public_spec

log = logging.getLogger("broadcaster.playout")

CRASH_REASON = "mất điện hoặc phần mềm dừng đột ngột"
PROGRESS_EVERY_S = 2.0  # a crash loses at most this much of the "last heard" time


def lock_dir(data_dir: Path) -> Path:
    d = data_dir / "run" / "locks"
    d.mkdir(parents=True, exist_ok=True)
    return d


class AirLock:
    """An exclusive lock that says "this process is airing occurrence N"; freed by the kernel on death."""

    def __init__(self, data_dir: Path, occurrence_id: int) -> None:
        self.path = lock_dir(data_dir) / f"occ-{occurrence_id}.lock"
        self.progress = progress_path(data_dir, occurrence_id)
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
            for path in (self.path, self.progress):
                try:
                    path.unlink()
                except OSError:
                    pass
            os.close(self._fd)
            self._fd = None


def progress_path(data_dir: Path, occurrence_id: int) -> Path:
    return lock_dir(data_dir) / f"occ-{occurrence_id}.progress"


class Progress:
    """How far the sound of an airing got, in a small file next to its air lock.

    Rewritten every few seconds and at the end of each item (a rename, no fsync: cheap), so crash
    recovery closes a row at the last time sound was known to flow, and knows an item whose
    audio was all handed to the output (which plays it out after we die) was played.
    """

    def __init__(self, data_dir: Path, occurrence_id: int) -> None:
        self.path = progress_path(data_dir, occurrence_id)
        self._last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self._last >= PROGRESS_EVERY_S

    def note(self, entry_id: int, ms: int, *, full: bool, last: bool, at: datetime) -> None:
        self._last = time.monotonic()
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(
                json.dumps({"entry": entry_id, "ms": ms, "full": full, "last": last, "at": at.isoformat()})
            )
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk must not stop the sound
            log.warning("Không ghi được tiến độ phát %s: %s", self.path.name, exc.strerror or exc)


def read_progress(data_dir: Path, occurrence_id: int) -> dict | None:
    """Give back the last progress note of an airing, or None."""
    try:
        note = json.loads(progress_path(data_dir, occurrence_id).read_text())
        note["at"] = datetime.fromisoformat(note["at"])
        return note
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
    """Give back how many ``playing`` occurrences of dead players were closed.

    Each is closed at the last time its sound was known to flow (its progress note, else its last
    logged time), never at the time of the restart. One whose audio had all been handed to the
    output is ``played``, not ``interrupted``.
    """
    count = 0
    rows = session.scalars(
        select(Occurrence).where(Occurrence.station_id == station_id, Occurrence.status == AirStatus.PLAYING)
    ).all()
    for occ in rows:
        if is_held(data_dir, occ.id):
            continue
        _close_dead(occ, read_progress(data_dir, occ.id), now)
        progress_path(data_dir, occ.id).unlink(missing_ok=True)
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
        entry.ended_at = entry.ended_at or entry.started_at
    if count:
        state = session.get(StationState, station_id)
        if state is not None and state.on_air_occurrence_id is not None:
            state.on_air_occurrence_id = None
            state.on_air_title = None
            state.on_air_since = None
    return count


def _close_dead(occ: Occurrence, note: dict | None, now: datetime) -> None:
    complete = False
    for entry in occ.entries:
        mine = note is not None and note["entry"] == entry.id
        if mine:
            complete = bool(note["full"] and note["last"])
        if entry.status != AirStatus.PLAYING:
            continue
        if mine:
            entry.ended_at = note["at"]
            entry.duration_ms = note["ms"]
            if note["full"]:
                entry.status, entry.reason = AirStatus.PLAYED, None
                continue
        entry.status = AirStatus.INTERRUPTED
        entry.reason = CRASH_REASON
        entry.ended_at = entry.ended_at or entry.started_at
    seen = [t for e in occ.entries for t in (e.ended_at, e.started_at) if t is not None]
    last = note["at"] if note is not None else max(seen, default=occ.started_at or now)
    occ.ended_at = occ.ended_at or last
    if complete:
        occ.status, occ.reason = AirStatus.PLAYED, None
    else:
        occ.status, occ.reason = AirStatus.INTERRUPTED, CRASH_REASON


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


def log_given_way(session: Session, station_id: int, now: datetime) -> int:
    """Give back how many airings that gave way to a priority one, now past, got their as-run row.

    The planner skips such an airing before air (and may give it back while it is still to come);
    once its time has passed the decision is final, and the as-run log, and through it the district,
    must show that it did not air and why, as it shows an item skipped inside an airing.
    """
    from ._conflicts import YIELD_PREFIX

    rows = session.scalars(
        select(Occurrence).where(
            Occurrence.station_id == station_id,
            Occurrence.status == AirStatus.SKIPPED,
            Occurrence.scheduled_at < now,
            Occurrence.reason.startswith(YIELD_PREFIX),
            ~Occurrence.entries.any(),
        )
    ).all()
    for occ in rows:
        session.add(
            AsRunEntry(
                station_id=occ.station_id,
                occurrence_id=occ.id,
                position=0,
                zone_id=occ.zone_id,
                item_type=ItemType.SEGMENT,
                title=occ.title[:300],
                scheduled_at=occ.scheduled_at,
                ended_at=occ.scheduled_at,
                duration_ms=0,
                status=AirStatus.SKIPPED,
                reason=occ.reason,
            )
        )
    session.flush()
    return len(rows)


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
        sink=public_spec(sink)[:500],  # a legal record others read: never a password
    )
    if status != AirStatus.PLAYING:
        entry.ended_at = now
        entry.duration_ms = 0
    session.add(entry)
    session.flush()
    return entry


def set_on_air(session: Session, station_id: int, occ: Occurrence | None, now: datetime) -> None:
    """Record in the station state what is on air now (None: nothing)."""
    state = station_state(session, station_id)
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
