"""``broadcaster run``: the station daemon, in its own process.

Our tables are the source of truth and APScheduler 3 is the clock. At start and on every change the
daemon plans (schedules → occurrence rows for the next ``plan_hours``, 48 by default, expanded in
the station's zone) and (re)builds one ``date`` job per pending occurrence, with the stable id
``occ:<occurrence uid>``, firing ``prepare_ahead`` seconds before air. The job only hands the
occurrence to its zone's worker, which prepares it, opens the output ahead and waits *precisely*
for the start: the precise start is ours, APScheduler only has to be right within seconds.
Housekeeping runs as interval jobs with stable ids: ``plan`` (moves the horizon), ``recover``
(closes airings of dead players), ``heartbeat`` and, under systemd, ``watchdog``.

The main thread sleeps on a wake-up socket (see ``_wake``) that the web and the CLI poke after each
command or plan change, with a one-second fallback poll of a single cheap query, so the idle daemon
costs almost no CPU yet takes a stop or an emergency at once. It also notices wall-clock jumps
(APScheduler waits in wall time, so after a jump its timers are wrong) and then re-plans and
rebuilds the jobs. Bad data never stops the daemon: it is logged and the next occurrence still airs.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from ..config import Config
from ..db import unit_of_work
from ..models import AirStatus, Occurrence, Schedule, StationState, Zone
from ..rules import effective_config, window_end
from ..store import Store, station_state
from . import _asrun
from ._clock import REAL_CLOCK, Clock, JumpDetector, sd_notify
from ._deadair import DeadAirWatch
from ._job import Job
from ._keeper import StatusKeeper, status_keeper
from ._mailbox import Mailbox
from ._planner import plan, probe
from ._player import OPEN_LEAD_S, Player
from ._prepare import Content
from ._sinks import check_spec, resolve_spec
from ._snapshot import SNAPSHOT_COUNT, drop_snapshot, write_snapshot
from ._status import status_view
from ._timers import MISFIRE_MARGIN_S, OCC_PREFIX, POLL_S, Timers, db_error
from ._wake import WakeChannel, wake_address
from ._worker import ZoneWorker

log = logging.getLogger("broadcaster.playout")

__all__ = ["MISFIRE_MARGIN_S", "OCC_PREFIX", "Daemon", "run_daemon"]


class _StopEvent(threading.Event):
    """The daemon's stop flag; setting it also wakes the main thread from its sleep."""

    def __init__(self, on_set: Callable[[], object]) -> None:
        super().__init__()
        self._on_set = on_set

    def set(self) -> None:
        super().set()
        self._on_set()


class Daemon(Timers, Mailbox):
    """The station daemon; :meth:`run` gives back an exit code.

    Its parts: this module (the loop, planning, hand-offs), :class:`~._timers.Timers` (APScheduler
    and housekeeping), :class:`~._mailbox.Mailbox` (control commands), :class:`ZoneWorker`.
    """

    def __init__(self, store: Store, config: Config, *, clock: Clock = REAL_CLOCK) -> None:
        self.store = store
        self.env_config = config  # from the environment; officers' saved settings go over it
        self.config = config
        self.clock = clock
        self.workers: dict[int | None, ZoneWorker] = {}
        self.jobs: dict[int, Job] = {}
        self.prep_queue: queue.Queue[Job | None] = queue.Queue()
        self.station_id: int = 0
        self.tz = config.tz
        self.scheduler: BackgroundScheduler | None = None
        self._wake: WakeChannel | None = None
        self.stop_event: threading.Event = _StopEvent(self._poke)
        # Guards ``jobs`` and ``workers``: the main thread (plan, commands) and APScheduler's pool
        # threads (occurrence hand-offs) both touch them.
        self._lock = threading.RLock()
        self._fp: tuple | None = None
        self._cfp: tuple | None = None
        self._replan = True
        self._jumped = False
        self._fire_at: dict[str, tuple[datetime, int]] = {}  # occ job id → (unclamped fire time, grace)
        self._loop_mono = time.monotonic()
        self.plan_count = 0  # plans done since start, for the curious (tests, status)
        # Set from any thread when what ``status`` shows may have changed; the "status" thread
        # rewrites the snapshot (see ``_snapshot``), so neither playout nor commands wait on it.
        self._status_dirty = threading.Event()
        self._status_thread: threading.Thread | None = None
        self._dead_air: DeadAirWatch | None = None
        self._keeper: StatusKeeper | None = None

    # -- setup ----------------------------------------------------------------------------------
    def check_config(self) -> str | None:
        """Give back one Vietnamese line if the configuration cannot run, else None."""
        err = check_spec(self.config.sink)
        if err:
            return f"BROADCASTER_SINK: {err}"
        return None

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.poke()

    def _worker(self, zone_id: int | None) -> ZoneWorker:
        with self._lock:
            w = self.workers.get(zone_id)
            if w is None:
                w = ZoneWorker(
                    Player(self.store.sessions, self.config, clock=self.clock, name=str(zone_id)), self.clock
                )
                w.player.on_change = self.status_changed
                w.start()
                self.workers[zone_id] = w
            return w

    def _prepare_loop(self) -> None:
        while True:
            job = self.prep_queue.get()
            if job is None:
                return
            if job.done or job.claimed:
                continue
            try:
                player = self._worker(job.zone_id).player
                if job.prepared is None:
                    player.prepare(job)
                else:
                    player.refresh(job)
            except Exception:  # noqa: BLE001
                log.exception("Lỗi khi chuẩn bị «%s»", job.title)

    def _lead(self) -> float:
        """Give back how long before air an occurrence is handed to its worker (to be prepared)."""
        return float(max(self.config.prepare_ahead, OPEN_LEAD_S + 5))

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> int:
        # While the daemon runs its snapshot answers ``status``: its writes (as-run rows, the
        # heartbeat) rebuild no cache until it stops (``_shutdown``).
        self._keeper = status_keeper(self.store)
        if self._keeper is not None:
            self._keeper.hold()
        with unit_of_work(self.store.sessions) as s:
            station = self.store.station(s)
            self.station_id = station.id
            self._set_tz(station.timezone)
            n = _asrun.recover_leftovers(s, station.id, self.config.data_dir, self.clock.now())
            state = station_state(s, station.id)
            state.daemon_pid = os.getpid()
            state.heartbeat_at = self.clock.now()
        if n:
            log.warning("Đã đóng %d buổi phát dở dang từ lần chạy trước (mất điện hoặc dừng đột ngột).", n)
        aps = logging.getLogger("apscheduler")
        if aps.level == logging.NOTSET:
            aps.setLevel(logging.WARNING)  # not a line per heartbeat in the journal
        self._wake = WakeChannel(wake_address(self.store.engine.url))
        prep = threading.Thread(target=self._prepare_loop, name="prepare", daemon=True)
        prep.start()
        self._status_thread = threading.Thread(target=self._status_loop, name="status", daemon=True)
        self._status_thread.start()
        self._dead_air = DeadAirWatch(
            self.config,
            self.store.sessions,
            lambda: [(zone_id, w.player) for zone_id, w in list(self.workers.items())],
            self.stop_event,
            self.status_changed,
        )
        self._dead_air.start()
        jumps = JumpDetector(self.clock)
        try:
            self.scheduler = self._make_scheduler()
            self.scheduler.start()
            sd_notify("READY=1\nSTATUS=Đang chạy")
            self._start_watchdog()
            log.info("Bộ phát của đài đã chạy (PID %d).", os.getpid())
            while not self.stop_event.is_set():
                self._loop_mono = time.monotonic()
                try:
                    self._tick(jumps)
                except (SQLAlchemyError, OSError) as exc:
                    db_error(exc)
                    self.stop_event.wait(1.0)
                    continue
                if not self._replan:
                    self._wake.wait(POLL_S)
        finally:
            self._shutdown(prep)
        return 0

    def _tick(self, jumps: JumpDetector) -> None:
        """One look at the world: clock jump, mailbox, fingerprints; act on what changed."""
        jump = jumps.check()
        if jump is not None:
            log.warning("Đồng hồ hệ thống vừa nhảy %+.1f giây: lập lại lịch phát.", jump)
            self._replan = True
            self._jumped = True
        with self.store.sessions() as s:
            seen = probe(s, self.station_id)
        if seen.plan != self._fp:
            self._fp = seen.plan
            self._replan = True
        if seen.content != self._cfp:
            if self._cfp is not None:
                self._invalidate_prepared()
            self._cfp = seen.content
            self.status_changed()  # the forecast may have changed
        if seen.commands:
            self._take_commands()  # before re-planning: a stop or an emergency waits for nothing
            self.status_changed()
        if self._replan:
            self._do_plan()
            self.status_changed()

    def status_changed(self) -> None:
        """Ask for the status snapshot to be rewritten soon (cheap; callable from any thread)."""
        self._status_dirty.set()

    def _status_loop(self) -> None:
        # Changes that come while a snapshot is being written are folded into the next one.
        while not self.stop_event.is_set():
            if self._status_dirty.wait(POLL_S) and not self.stop_event.is_set():
                self._status_dirty.clear()
                self._write_status()

    def _write_status(self) -> None:
        """Rewrite the status snapshot; a failure is logged and playout goes on."""
        try:
            with self.store.sessions() as s:
                view = status_view(s, self.store.station(s), SNAPSHOT_COUNT, data_dir=self.config.data_dir)
            write_snapshot(self.config.data_dir, view, SNAPSHOT_COUNT)
        except Exception:  # noqa: BLE001 - status is a convenience, the airing is not
            log.warning(
                "Không ghi được tệp trạng thái của bộ phát (lệnh status sẽ đọc cơ sở dữ liệu).", exc_info=True
            )

    def request_stop(self, *_: object) -> None:
        self.stop_event.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    def _shutdown(self, prep: threading.Thread) -> None:
        sd_notify("STOPPING=1")
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # no hand-off after this point
        for w in list(self.workers.values()):
            w.stop()
        for w in list(self.workers.values()):
            w.join(timeout=10)
        self.prep_queue.put(None)
        prep.join(timeout=5)
        try:
            with unit_of_work(self.store.sessions) as s:
                state = s.get(StationState, self.station_id)
                if state is not None and state.daemon_pid == os.getpid():
                    state.daemon_pid = None
        except SQLAlchemyError:
            pass
        if self._status_thread is not None:
            self._status_dirty.set()  # wakes it to see the stop
            self._status_thread.join(timeout=5)
        if self._dead_air is not None:
            self._dead_air.join(timeout=5)
            self._dead_air.close()
        drop_snapshot(self.config.data_dir, os.getpid())
        if self._keeper is not None:
            self._keeper.release()  # the answer ``status`` gives from now on, built once here
        if self._wake is not None:
            self._wake.close()
        log.info("Bộ phát đã dừng.")

    # -- planning -------------------------------------------------------------------------------
    def _set_tz(self, name: str) -> None:
        if name != getattr(self.tz, "key", None):
            from zoneinfo import ZoneInfo

            self.tz = ZoneInfo(name)

    def _use_settings(self, cfg: Config) -> None:
        """Apply what officers saved (voice, speed, misfire grace...) from the next airing prepared on.

        Saving settings bumps the plan revision, so this runs at once, without a restart.
        """
        if cfg == self.config:
            return
        self.config = cfg
        with self._lock:
            for w in self.workers.values():
                w.player.config = cfg
        log.info("Đã áp dụng cài đặt mới của đài (giọng đọc, tốc độ, thời gian cho phép phát trễ...).")

    def _invalidate_prepared(self) -> None:
        """Content changed somewhere: have each airing not yet on air checked, off this thread.

        Nothing is released here: the prepare thread compares what each airing's audio was made of
        with the content now and swaps in a new version only if one of its items really changed
        (see :meth:`Player.refresh`); an airing already holding its audio keeps it.
        """
        with self._lock:
            for job in self.jobs.values():
                if not job.claimed and not job.done:
                    self.prep_queue.put(job)

    def _do_plan(self) -> None:
        self._replan = False
        try:
            with self._lock:
                self._plan_locked()
        except BaseException:
            self._replan = True  # try again on the next round
            raise

    def _plan_locked(self) -> None:
        with unit_of_work(self.store.sessions) as s:
            station = self.store.station(s)
            now = self.clock.now()
            self._set_tz(station.timezone)
            self._use_settings(effective_config(s, station.id, self.env_config))
            res = plan(s, station, now, hours=self.config.plan_hours)
            missed = _asrun.mark_missed(s, station.id, now, self.tz, self.config.misfire_grace)
            _asrun.log_given_way(s, station.id, now)
        for line in res.invalid:
            log.warning("Lịch không hợp lệ, bỏ qua: %s", line)
        if res.created or res.removed or missed:
            log.info("Lập lịch: thêm %d, bỏ %d buổi phát; %d buổi bị lỡ.", res.created, res.removed, missed)
        if res.yielded:
            log.warning(
                "Lập lịch: %d buổi phát thông thường đổi trạng thái vì bản tin ưu tiên trùng giờ "
                "(nhường khung giờ, hoặc được phát lại như cũ khi lịch ưu tiên thôi trùng).",
                res.yielded,
            )
        self.jobs = {k: j for k, j in self.jobs.items() if not j.done}
        # Jobs whose occurrence is gone (schedule edited/removed) leave their players.
        with self.store.sessions() as s:
            ids = [j for j in self.jobs if not self.jobs[j].claimed]
            alive = (
                set(
                    s.scalars(
                        select(Occurrence.id).where(
                            Occurrence.id.in_(ids), Occurrence.status == AirStatus.PENDING
                        )
                    )
                )
                if ids
                else set()
            )
            pending = s.execute(
                select(
                    Occurrence.id,
                    Occurrence.uid,
                    Occurrence.scheduled_at,
                    Occurrence.title,
                    Schedule.misfire_grace_s,
                )
                .join(Schedule, Occurrence.schedule_id == Schedule.id)
                .where(Occurrence.station_id == self.station_id, Occurrence.status == AirStatus.PENDING)
                .order_by(Occurrence.scheduled_at)
            ).all()
        for occ_id in ids:
            if occ_id not in alive:
                job = self.jobs.pop(occ_id)
                self._worker(job.zone_id).withdraw(occ_id)
                job.done = True
        jumped, self._jumped = self._jumped, False
        # After a wall-clock jump every timer is rebuilt: APScheduler computed its sleep in the old
        # wall time, and with an injected clock the real instant of each hand-off has moved.
        self._build_timers(pending, rebuild=jumped)
        self.plan_count += 1
        if jumped:
            for w in self.workers.values():
                w.nudge()

    def _job_for(self, occ: Occurrence, zone: Zone | None, sched: Schedule | None, content: Content) -> Job:
        spec = resolve_spec(
            zone.sink if zone else None, default=self.config.sink, data_dir=self.config.data_dir, tz=self.tz
        )
        job = Job(
            occurrence_id=occ.id,
            station_id=occ.station_id,
            zone_id=occ.zone_id,
            sink_spec=spec,
            scheduled_at=occ.scheduled_at,
            priority=occ.priority,
            content=content,
            title=occ.title,
            grace_s=self.config.misfire_grace,
        )
        if sched is not None:
            job.window_end = window_end(sched, occ.scheduled_at, occ.replay_index)
            job.overrun = sched.overrun
            job.on_interrupt = sched.on_interrupt
            job.grace_s = (
                sched.misfire_grace_s if sched.misfire_grace_s is not None else self.config.misfire_grace
            )
        return job

    def _dispatch(self, also: int | None = None) -> None:
        """Hand the occurrences of the next lead (and ``also``) to their zone players, soonest first.

        Siblings due together go in one batch, so a worker catching up on a late airing already
        sees the next one (the catch-up must not delay it).
        """
        now = self.clock.now()
        horizon = now + timedelta(seconds=self._lead())
        self.jobs = {k: j for k, j in self.jobs.items() if not j.done}
        due = Occurrence.scheduled_at <= horizon
        with self.store.sessions() as s:
            rows = s.scalars(
                select(Occurrence)
                .where(
                    Occurrence.station_id == self.station_id,
                    Occurrence.status == AirStatus.PENDING,
                    Occurrence.schedule_id.is_not(None),
                    due if also is None else or_(due, Occurrence.id == also),
                )
                .order_by(Occurrence.scheduled_at)
            ).all()
            for occ in rows:
                if occ.id in self.jobs:
                    continue
                job = self._job_for(
                    occ, occ.zone, occ.schedule, Content(programme_id=occ.programme_id, title=occ.title)
                )
                self.jobs[occ.id] = job
                self._worker(job.zone_id).submit(job)
                self.prep_queue.put(job)


def run_daemon(store: Store, config: Config, *, clock: Clock = REAL_CLOCK) -> int:
    """Give back the exit code of a daemon run in this process until SIGTERM/SIGINT."""
    daemon = Daemon(store, config, clock=clock)
    err = daemon.check_config()
    if err:
        raise ValueError(err)
    daemon.install_signals()
    return daemon.run()
