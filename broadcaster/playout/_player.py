"""Airing one occurrence: prepare → open the sink ahead → claim → wait precisely → play → log.

This is the one code path every airing takes: scheduled occurrences in the daemon, emergencies,
``broadcaster play`` and the demo. A :class:`Player` airs one thing at a time on one zone; other
threads may :meth:`Player.cut` what it plays (stop, emergency, going live, shutdown).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from ..config import Config
from ..db import unit_of_work
from ..models import AirStatus, AsRunEntry, Occurrence, Priority
from . import _asrun
from ._airing import Airing, Tally
from ._clock import REAL_CLOCK, Clock, wait_until
from ._job import CUT_INS, CUT_REASONS, Cut, Job
from ._prepare import Prepared, PreparedItem, prepare, signature
from ._relay import OPEN_AHEAD_S
from ._sinkbase import Sink, SinkError
from ._sinks import make_sink

log = logging.getLogger("broadcaster.playout")

OPEN_LEAD_S = 2.0  # start the output this long before air, so its start-up costs nothing
CLAIM_LEAD_S = 0.25  # commit the "playing" rows this long before the first sample
LATE_S = 0.05  # later than this, an airing is a catch-up after a misfire


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
        # Told when an airing goes on air or ends (the daemon refreshes its status snapshot); it
        # must be cheap and must not raise: it runs on this player's thread.
        self.on_change: Callable[[], object] = lambda: None
        # For the dead-air watchdog (monotonic times): when the claimed airing's sound is due
        # from and until, and when sound last reached its output.
        self.airing_from: float | None = None
        self.airing_until: float | None = None
        self.sound_at: float | None = None
        self.airing_title = ""
        self.airing_sink = ""

    def silent_for(self, now: float) -> float | None:
        """Give back how long no sound reached the output while an airing is due (None: none due)."""
        start, until = self.airing_from, self.airing_until
        if start is None or until is None or not start <= now < until:
            return None
        return now - max(start, self.sound_at or start)

    def _due(self, job: Job, prepared: Prepared) -> None:
        """Note the span the claimed airing should fill with sound (the watchdog's reference)."""
        start = time.monotonic() + max(0.0, (job.scheduled_at - self.clock.now()).total_seconds())
        left = sum(i.nbytes for i in prepared.items[job.resume_from :]) / 2 / self.config.sample_rate
        self.sound_at = None
        self.airing_title, self.airing_sink = job.title, job.sink_spec
        self.airing_from, self.airing_until = start, start + left

    # -- control from other threads -------------------------------------------------------------
    def cut(self, kind: str, reason: str | None = None) -> bool:
        """Give back True if something was airing and is now being cut."""
        with self._state:
            if kind in CUT_INS or kind == "shutdown":
                self._preempt.set()
            if self.current is None or not self.current.claimed:
                return False
            if self.current.priority == Priority.EMERGENCY and kind in CUT_INS:
                return False  # an emergency is never cut by another or by going live; they follow it
            if kind == "live" and self.current.cut_kind == "live":
                return False  # one live airing at a time: the next follows this one
            if kind in ("stop", "shutdown"):
                self.airing_until = None  # silence on purpose is no dead air
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
                job.prepared = self._decode(job)
            return job.prepared

    def _decode(self, job: Job) -> Prepared:
        local_day = job.scheduled_at.astimezone(self.config.tz).date()
        tag = f"occ{job.occurrence_id}-{job.attempt}-{id(object())}"  # two versions may coexist
        with unit_of_work(self.sessions) as s:
            prepared = prepare(s, self.config, job.content, local_day=local_day, tag=tag)
        ahead = (job.scheduled_at - self.clock.now()).total_seconds() - OPEN_AHEAD_S
        for item in prepared.items:
            if item.relay is not None:
                item.relay.prime_in(ahead)
        return prepared

    def refresh(self, job: Job) -> bool:
        """Give back True if the job's audio was prepared again because what it plays changed.

        Content was written somewhere. Audio is never pulled from under an airing: the new version
        is decoded aside and swapped in only while the job is still unclaimed; once claimed, the
        airing keeps the (approved) audio it holds and the new version is dropped.
        """
        old = job.prepared
        if old is None or job.claimed or job.done:
            return False
        with self.sessions() as s:
            if signature(s, job.content) == old.signature:
                return False  # a write elsewhere: this airing's items are as they were
        new = self._decode(job)
        with job.lock:
            swap = job.prepared is old and not job.claimed and not job.done
            if swap:
                job.prepared = new
        (old if swap else new).release()
        if swap:
            log.info("Nội dung của «%s» vừa thay đổi: đã chuẩn bị lại âm thanh trước giờ phát.", job.title)
        return swap

    # -- airing ---------------------------------------------------------------------------------
    def air(self, job: Job) -> str:
        """Air a job; give back "done", or "requeue" when a cut-in came first or cut it (resume)."""
        prepared = self.prepare(job)
        # A cut-in (emergency, going live) airs now: no waiting for its second, no catch-up rule.
        urgent = job.cut_kind is not None
        if not job.claimed:
            if self._too_late(job, prepared, urgent):
                return "done"
            if not urgent and not wait_until(
                job.scheduled_at - timedelta(seconds=OPEN_LEAD_S), clock=self.clock, cancel=self._preempt
            ):
                return "requeue"
        sink, sink_error = self._open(job)
        for item in prepared.items:
            if item.relay is not None:
                item.relay.prime()  # if its timer has not yet: it must be live at its start
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
                self.on_change()
            with job.lock:
                # Claimed: from now on nobody swaps or releases this version but this airing.
                prepared = job.prepared
            self._due(job, prepared)
            airing = Airing(self, job, prepared, sink, sink_error)
            idx = airing.run()
            with self._state:
                self._sink = airing.sink
            return self._close(job, prepared, airing, idx)
        finally:
            with self._state:
                self.current = None
                sink = self._sink
                self._sink = None
            if sink is not None:
                sink.close()
            self.on_change()

    def _too_late(self, job: Job, prepared: Prepared, urgent: bool) -> bool:
        """Give back True (and log the airing missed) if it is past its grace, or a catch-up would
        make the next airing late."""
        now = self.clock.now()
        late = (now - job.scheduled_at).total_seconds()
        if late > job.grace_s:
            self._finish_missed(job)
            return True
        if job.window_end is not None and job.overrun in ("stop", "fade") and now >= job.window_end:
            closed = f"{job.window_end.astimezone(self.config.tz):%H:%M:%S}"
            self._finish_missed(job, f"Bắt đầu trễ; khung giờ phát đã hết lúc {closed} nên không phát.")
            return True
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
                return True
        return False

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
        self,
        entry_id: int,
        status: AirStatus,
        started: datetime,
        ended: datetime,
        reason: str | None,
        aired_ms: int,
        relay_ms: tuple[int, int] | None = None,
    ) -> None:
        with unit_of_work(self.sessions) as s:
            e = s.get(AsRunEntry, entry_id)
            e.status = status
            e.started_at = started
            e.ended_at = ended
            e.duration_ms = aired_ms
            e.reason = reason
            if relay_ms is not None:  # a relay: its seconds of the stream and filled, for reports
                e.relayed_ms, e.filled_ms = relay_ms

    def _finish_missed(self, job: Job, reason: str | None = None) -> None:
        with unit_of_work(self.sessions) as s:
            occ = s.get(Occurrence, job.occurrence_id)
            if occ is not None and occ.status == AirStatus.PENDING:
                occ.status = AirStatus.MISSED
                occ.reason = reason or _asrun.missed_reason(occ, self.config.tz, job.grace_s)
        job.done = True
        if job.prepared is not None:
            job.prepared.release()

    def _reopen(self, job: Job) -> tuple[Sink | None, str | None]:
        sink, err = self._open(job)
        with self._state:
            self._sink = sink
            cut = self._cut
        if sink is not None and cut is not None:
            sink.abort()
        return sink, err

    def _close(self, job: Job, prepared: Prepared, airing: Airing, idx: int) -> str:
        outcome, tally = airing.outcome, airing.tally
        if outcome is not None:
            self.airing_until = None  # cut, stopped or at its window's end: the silence is meant
        now = max(self.clock.now(), airing.last_heard or self.clock.now())
        requeue = outcome in CUT_INS and job.on_interrupt == "resume"
        with unit_of_work(self.sessions) as s:
            occ = s.get(Occurrence, job.occurrence_id)
            if airing.on_air and job.attempt == 0:
                occ.started_at = airing.first_wall  # the first sample, not the claim
            if requeue:
                occ.reason = f"{CUT_REASONS[outcome]}; sẽ phát lại từ mục bị ngắt."
            else:
                occ.ended_at = now
                occ.status, occ.reason = _outcome(outcome, tally, airing.sounded)
                if occ.status == AirStatus.MISSED:
                    occ.started_at = occ.ended_at = None  # like any missed airing: it never began
            status, reason = occ.status, occ.reason
            _asrun.set_on_air(s, job.station_id, None, now)
        if requeue:
            job.resume_from = idx - 1
            job.attempt += 1
            self._cut = None
            log.warning("%s «%s»; sẽ phát tiếp.", CUT_REASONS[outcome], job.title)
            return "requeue"
        job.done = True
        prepared.release()
        lock = getattr(job, "_air_lock", None)
        if lock is not None:
            lock.release()
        _journal(job.title, status, reason)
        return "done"


def _outcome(outcome: str | None, tally: Tally, sounded: bool) -> tuple[AirStatus, str | None]:
    """Give back an airing's status and reason from how it ended and how its items went."""
    if outcome == "window" and not sounded:
        # Started in its window, but the window closed before the first sample went out.
        return AirStatus.MISSED, "Khung giờ phát đã hết trước khi kịp phát nên không phát."
    if outcome == "window":
        return AirStatus.PLAYED, "Phát đến hết khung giờ thì dừng (chương trình dài hơn khung giờ)."
    if outcome in ("stop", "shutdown", *CUT_INS):
        return AirStatus.INTERRUPTED, CUT_REASONS[outcome] + "."
    if tally.played == 0 and tally.failed > 0:
        return AirStatus.FAILED, tally.reasons[0]
    if tally.played == 0:
        return AirStatus.SKIPPED, "Không có mục nào được phép phát."
    return AirStatus.PLAYED, (f"{tally.failed} mục lỗi: {tally.reasons[0]}" if tally.failed else None)


def _journal(title: str, status: AirStatus, reason: str | None) -> None:
    """Say in the journal how an airing really ended ("trọn vẹn" only when every item aired)."""
    if status == AirStatus.PLAYED and reason is None:
        log.info("Đã phát xong «%s» (trọn vẹn).", title)
    elif status == AirStatus.PLAYED:
        log.warning("Đã phát «%s», nhưng chưa trọn vẹn: %s", title, reason)
    elif status == AirStatus.FAILED:
        log.error("Phát «%s» thất bại: %s", title, reason)
    elif status == AirStatus.INTERRUPTED:
        log.warning("«%s» bị ngắt: %s", title, reason)
    else:
        log.warning("Không phát «%s»: %s", title, reason)
