"""Airing one occurrence: prepare → open the sink ahead → claim → wait precisely → play → log.

This is the one code path every airing takes: scheduled occurrences in the daemon, emergencies,
``broadcaster play`` and the demo. A :class:`Player` airs one thing at a time on one zone; other
threads may :meth:`Player.cut` what it plays (stop, emergency, shutdown).
"""

from __future__ import annotations

import array
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from ..config import Config
from ..db import unit_of_work
from ..models import PRIORITY_RANK, AirStatus, AsRunEntry, Occurrence, Priority
from . import _asrun
from ._clock import REAL_CLOCK, Clock, wait_until
from ._prepare import Content, Prepared, PreparedItem, prepare
from ._sinks import Sink, SinkAborted, SinkError, make_sink

log = logging.getLogger("broadcaster.playout")

OPEN_LEAD_S = 2.0  # start the output this long before air, so its start-up costs nothing
CLAIM_LEAD_S = 0.25  # commit the "playing" rows this long before the first sample
CHUNK_S = 0.1
FADE_S = 3.0
LATE_S = 0.05  # later than this, an airing is a catch-up after a misfire

CUT_REASONS = {
    "stop": "Dừng theo lệnh của người trực đài",
    "skip": "Bỏ qua mục đang phát theo lệnh của người trực đài",
    "emergency": "Ngắt để phát thông báo khẩn cấp",
    "window": "Hết khung giờ phát",
    "shutdown": "Dịch vụ phát dừng",
}


@dataclass
class Job:
    """One airing waiting for, or on, its player."""

    occurrence_id: int
    station_id: int
    zone_id: int | None
    sink_spec: str
    scheduled_at: datetime
    priority: Priority = Priority.NORMAL
    content: Content = field(default_factory=Content)
    title: str = ""
    window_end: datetime | None = None
    overrun: str = "allow"
    on_interrupt: str = "log"
    grace_s: int = 600
    prepared: Prepared | None = None
    resume_from: int = 0
    attempt: int = 0
    claimed: bool = False
    done: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def rank(self) -> tuple:
        return (PRIORITY_RANK[self.priority], self.scheduled_at, self.occurrence_id)


@dataclass
class Cut:
    kind: str
    reason: str


def _fade(chunk: bytes, start: int, end: int, fade_bytes: int) -> bytes:
    """Give back the chunk with a linear fade towards ``end`` (byte offsets in the airing)."""
    samples = array.array("h")
    samples.frombytes(chunk)
    for i in range(len(samples)):
        left = end - (start + 2 * i)
        samples[i] = int(samples[i] * max(0.0, min(1.0, left / fade_bytes)))
    return samples.tobytes()


class Player:
    """Airs jobs one at a time on one output."""

    def __init__(
        self, sessions: sessionmaker[Session], config: Config, *, clock: Clock = REAL_CLOCK, name: str = ""
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.clock = clock
        self.name = name
        self._cut: Cut | None = None
        self._preempt = threading.Event()
        self._sink: Sink | None = None
        self._state = threading.Lock()
        self.current: Job | None = None
        # When the next queued airing starts; the zone worker that owns this player sets it.
        self.next_start: Callable[[], datetime | None] = lambda: None

    # -- control from other threads -------------------------------------------------------------
    def cut(self, kind: str, reason: str | None = None) -> bool:
        """Give back True if something was airing and is now being cut."""
        with self._state:
            if kind in ("emergency", "shutdown"):
                self._preempt.set()
            if self.current is None or not self.current.claimed:
                return False
            if kind == "emergency" and self.current.priority == Priority.EMERGENCY:
                return False  # an emergency is never cut by another; the new one follows it
            self._cut = Cut(kind, reason or CUT_REASONS[kind])
            sink = self._sink
        if sink is not None:
            sink.abort()
        return True

    # -- preparation ----------------------------------------------------------------------------
    def prepare(self, job: Job) -> Prepared:
        """Give back the job's decoded items, preparing them now if nobody did yet."""
        with job.lock:
            if job.prepared is None:
                local_day = job.scheduled_at.astimezone(self.config.tz).date()
                with unit_of_work(self.sessions) as s:
                    job.prepared = prepare(
                        s, self.config, job.content, local_day=local_day, tag=f"occ{job.occurrence_id}"
                    )
            return job.prepared

    # -- airing ---------------------------------------------------------------------------------
    def air(self, job: Job) -> str:
        """Air a job; give back "done", or "requeue" when an emergency came first or cut it (resume)."""
        prepared = self.prepare(job)
        urgent = job.priority == Priority.EMERGENCY
        if not job.claimed:
            now = self.clock.now()
            late = (now - job.scheduled_at).total_seconds()
            if late > job.grace_s:
                self._finish_missed(job)
                return "done"
            if late > LATE_S and not urgent:
                # Catching up on what the PC slept through must not make the next airing late too.
                nxt = self.next_start()
                end = now + timedelta(seconds=prepared.nbytes / 2 / self.config.sample_rate + OPEN_LEAD_S)
                if nxt is not None and nxt < end:
                    at = nxt.astimezone(self.config.tz)
                    self._finish_missed(
                        job,
                        f"Máy bật lại trễ {late:.0f} giây; phát bù sẽ lấn sang buổi phát lúc {at:%H:%M:%S} "
                        "nên không phát.",
                    )
                    return "done"
            if not urgent and not wait_until(
                job.scheduled_at - timedelta(seconds=OPEN_LEAD_S), clock=self.clock, cancel=self._preempt
            ):
                return "requeue"
        sink, sink_error = self._open(job)
        with self._state:
            self.current = job
            self._cut = None
            self._sink = sink
            if urgent:
                self._preempt.clear()
        try:
            if not job.claimed:
                if not urgent and not wait_until(
                    job.scheduled_at - timedelta(seconds=CLAIM_LEAD_S), clock=self.clock, cancel=self._preempt
                ):
                    return "requeue"
                if not self._claim(job):
                    job.done = True
                    return "done"
            return self._play(job, prepared, sink, sink_error)
        finally:
            with self._state:
                self.current = None
                sink = self._sink
                self._sink = None
            if sink is not None:
                sink.close()

    def _open(self, job: Job) -> tuple[Sink | None, str | None]:
        try:
            sink = make_sink(job.sink_spec, sample_rate=self.config.sample_rate, tz=self.config.tz)
            sink.open()
            return sink, None
        except SinkError as exc:
            return None, str(exc)

    def _claim(self, job: Job) -> bool:
        lock = _asrun.AirLock(self.config.data_dir, job.occurrence_id)
        if not lock.acquire():
            return False
        with unit_of_work(self.sessions) as s:
            ok = _asrun.claim(s, job.occurrence_id, max(job.scheduled_at, self.clock.now()))
            if ok:
                occ = s.get(Occurrence, job.occurrence_id)
                _asrun.set_on_air(s, job.station_id, occ, job.scheduled_at)
        if not ok:
            lock.release()
            return False
        job.claimed = True
        job._air_lock = lock  # type: ignore[attr-defined]
        return True

    def _entry(
        self,
        job: Job,
        item: PreparedItem,
        at: datetime,
        status: AirStatus = AirStatus.PLAYING,
        reason: str | None = None,
        planned: datetime | None = None,
    ) -> int:
        with unit_of_work(self.sessions) as s:
            occ = s.get(Occurrence, job.occurrence_id)
            entry = _asrun.begin_entry(
                s,
                occ,
                item,
                attempt=job.attempt,
                zone_id=job.zone_id,
                sink=job.sink_spec,
                scheduled_at=planned,
                now=at,
                status=status,
                reason=reason,
            )
            return entry.id

    def _complete(
        self, entry_id: int, status: AirStatus, started: datetime, ended: datetime, reason: str | None,
        aired_ms: int,
    ) -> None:
        with unit_of_work(self.sessions) as s:
            e = s.get(AsRunEntry, entry_id)
            e.status = status
            e.started_at = started
            e.ended_at = ended
            e.duration_ms = aired_ms
            e.reason = reason

    def _finish_missed(self, job: Job, reason: str | None = None) -> None:
        with unit_of_work(self.sessions) as s:
            occ = s.get(Occurrence, job.occurrence_id)
            if occ is not None and occ.status == AirStatus.PENDING:
                occ.status = AirStatus.MISSED
                occ.reason = reason or _asrun.missed_reason(occ, self.config.tz, job.grace_s)
        job.done = True
        if job.prepared is not None:
            job.prepared.release()

    def _play(self, job: Job, prepared: Prepared, sink: Sink | None, sink_error: str | None) -> str:
        rate = self.config.sample_rate
        bps = rate * 2
        items = prepared.items
        # The first sample goes out at the scheduled time, or now when late (misfire within grace).
        first_wall = max(job.scheduled_at, self.clock.now())
        on_air = False
        window_bytes = None
        offset = 0  # bytes of this airing's timeline played (or skipped past after a failure)
        outcome: str | None = None  # None = ran to the end
        played = failed = 0
        reasons: list[str] = []
        resync = False
        idx = job.resume_from

        def at_offset(off: int) -> datetime:
            return first_wall + timedelta(seconds=off / bps)

        while idx < len(items):
            item = items[idx]
            now = self.clock.now()
            if item.skip_reason:
                self._entry(job, item, now, AirStatus.SKIPPED, item.skip_reason)
                idx += 1
                continue
            if window_bytes is not None and offset >= window_bytes:
                self._entry(
                    job, item, now, AirStatus.SKIPPED, "Hết khung giờ phát nên mục này không được phát."
                )
                idx += 1
                continue
            if item.error:
                self._entry(job, item, now, AirStatus.FAILED, item.error)
                failed += 1
                reasons.append(item.error)
                idx += 1
                continue
            if sink is None:
                sink, sink_error = self._reopen(job)
                resync = True
                if sink is None:
                    self._entry(job, item, now, AirStatus.FAILED, sink_error)
                    failed += 1
                    reasons.append(sink_error or "")
                    offset += item.nbytes
                    idx += 1
                    continue
            if resync and on_air and sink.realtime:
                # After a failed output the next item still starts at its place on the timeline.
                wait_until(at_offset(offset), clock=self.clock)
            resync = False
            # The entry is committed before the first sample of the item is heard.
            entry_id = self._entry(
                job, item, at_offset(offset) if not on_air else now, planned=at_offset(offset)
            )
            if not on_air:
                wait_until(first_wall, clock=self.clock)
                first_wall = self.clock.now()
                on_air = True
                if job.window_end is not None and job.overrun in ("stop", "fade"):
                    window_bytes = max(0, int((job.window_end - first_wall).total_seconds() * bps)) // 2 * 2
                    window_bytes += offset
            started = self.clock.now()
            realtime = sink.realtime
            status, reason = AirStatus.PLAYED, None
            pos = 0  # bytes of this item that reached the sink: the duration that really aired
            try:
                with item.open() as src:
                    chunk_bytes = int(CHUNK_S * rate) * 2
                    while True:
                        chunk = src.read(chunk_bytes)
                        if not chunk:
                            break
                        if self._cut is not None:
                            raise SinkAborted()
                        if window_bytes is not None:
                            start = offset + pos
                            if start + len(chunk) > window_bytes:
                                chunk = chunk[: max(0, window_bytes - start)]
                            if job.overrun == "fade" and start + len(chunk) > window_bytes - FADE_S * bps:
                                chunk = _fade(chunk, start, window_bytes, int(FADE_S * bps))
                            if not chunk:
                                self._cut = Cut("window", CUT_REASONS["window"])
                                raise SinkAborted()
                        sink.write(chunk)
                        pos += len(chunk)
                if self._last_audible(items, idx):
                    sink.drain()
            except SinkAborted:
                cut = self._cut or Cut("stop", CUT_REASONS["stop"])
                status, reason = AirStatus.INTERRUPTED, cut.reason
                outcome = cut.kind
            except SinkError as exc:
                status, reason = AirStatus.FAILED, str(exc)
                failed += 1
                reasons.append(str(exc))
                sink.close()
                sink = None
                sink_error = str(exc)
            ended = self.clock.now()
            if not realtime:
                # A recording written faster than real time: log the item where it sits on the
                # programme's timeline, as a listener would have heard it.
                started = at_offset(offset)
                ended = started + timedelta(seconds=pos / bps)
            self._complete(entry_id, status, started, ended, reason, pos * 1000 // bps)
            if status == AirStatus.PLAYED:
                played += 1
            offset += item.nbytes
            idx += 1
            if outcome == "skip":
                outcome = None
                self._cut = None
                sink.close()
                sink = None
                continue
            if outcome is not None and outcome != "window":
                break
        with self._state:
            self._sink = sink
        return self._close(
            job, prepared, outcome, played, failed, reasons, idx, first_wall if on_air else None
        )

    @staticmethod
    def _last_audible(items: list[PreparedItem], idx: int) -> bool:
        return all(i.skip_reason or i.error for i in items[idx + 1 :])

    def _reopen(self, job: Job) -> tuple[Sink | None, str | None]:
        sink, err = self._open(job)
        with self._state:
            self._sink = sink
            cut = self._cut
        if sink is not None and cut is not None:
            sink.abort()
        return sink, err

    def _close(
        self,
        job: Job,
        prepared: Prepared,
        outcome: str | None,
        played: int,
        failed: int,
        reasons: list[str],
        idx: int,
        first_wall: datetime | None,
    ) -> str:
        now = self.clock.now()
        requeue = outcome == "emergency" and job.on_interrupt == "resume"
        with unit_of_work(self.sessions) as s:
            occ = s.get(Occurrence, job.occurrence_id)
            if first_wall is not None and job.attempt == 0:
                occ.started_at = first_wall  # the first sample, not the claim
            if requeue:
                occ.reason = "Bị ngắt bởi thông báo khẩn cấp; sẽ phát lại từ mục bị ngắt."
            else:
                occ.ended_at = now
                if outcome in ("stop", "emergency", "shutdown", "window"):
                    occ.status = AirStatus.INTERRUPTED
                    occ.reason = CUT_REASONS[outcome] + "."
                    if outcome == "window":
                        occ.status = AirStatus.PLAYED
                        occ.reason = "Phát đến hết khung giờ thì dừng (chương trình dài hơn khung giờ)."
                elif played == 0 and failed > 0:
                    occ.status = AirStatus.FAILED
                    occ.reason = reasons[0]
                elif played == 0:
                    occ.status = AirStatus.SKIPPED
                    occ.reason = "Không có mục nào được phép phát."
                else:
                    occ.status = AirStatus.PLAYED
                    occ.reason = f"{failed} mục lỗi: {reasons[0]}" if failed else None
            _asrun.set_on_air(s, job.station_id, None, now)
        if requeue:
            job.resume_from = idx - 1
            job.attempt += 1
            self._cut = None
            return "requeue"
        job.done = True
        prepared.release()
        lock = getattr(job, "_air_lock", None)
        if lock is not None:
            lock.release()
        log.info("Đã phát xong «%s» (%s).", job.title, outcome or "trọn vẹn")
        return "done"
