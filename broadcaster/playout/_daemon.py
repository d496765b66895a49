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
import math
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from ..config import Config
from ..db import unit_of_work
from ..models import AirStatus, ControlCommand, Occurrence, Priority, Schedule, StationState, Zone
from ..rules import effective_config, window_end
from ..store import Store
from . import _asrun
from ._clock import REAL_CLOCK, Clock, JumpDetector, sd_notify, watchdog_interval
from ._planner import plan, probe
from ._player import OPEN_LEAD_S, Job, Player
from ._prepare import Content
from ._sinks import check_spec, resolve_spec
from ._wake import WakeChannel, wake_address

log = logging.getLogger("broadcaster.playout")

POLL_S = 1.0  # fallback poll of the mailbox when no wake-up arrives (a poke is instant)
REPLAN_EVERY_S = 600.0
HEARTBEAT_EVERY_S = 10.0  # three beats inside the web's 30 s "daemon alive" window; each is a commit
RECOVER_EVERY_S = 60.0
WORKER_NAP_S = 30.0  # a zone worker with queued airings re-reads the wall clock at least this often
MISFIRE_MARGIN_S = 5  # APScheduler's grace exceeds ours, so the missed/late decision stays ours
COMMAND_EXPIRY = timedelta(minutes=5)
OCC_PREFIX = "occ:"


class ZoneWorker(threading.Thread):
    """A thread that airs the jobs of one zone, most urgent first."""

    def __init__(self, player: Player, clock: Clock) -> None:
        super().__init__(name=f"zone-{player.name}", daemon=True)
        self.player = player
        self.clock = clock
        self.jobs: list[Job] = []
        self.cond = threading.Condition()
        self.stopping = False
        player.next_start = self.next_start

    def next_start(self) -> datetime | None:
        """Give back when the soonest airing still queued here is due."""
        with self.cond:
            return min((j.scheduled_at for j in self.jobs if not j.claimed), default=None)

    def submit(self, job: Job) -> None:
        with self.cond:
            if job not in self.jobs:
                self.jobs.append(job)
            self.cond.notify_all()
        if job.priority == Priority.EMERGENCY:
            self.player.cut("emergency")

    def withdraw(self, occurrence_id: int) -> None:
        with self.cond:
            self.jobs = [j for j in self.jobs if j.occurrence_id != occurrence_id or j.claimed]

    def nudge(self) -> None:
        """Make the worker re-read the wall clock now (it just jumped)."""
        with self.cond:
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.player.cut("shutdown")

    def _take(self) -> Job | None:
        with self.cond:
            while not self.stopping:
                now = self.clock.now()
                lead = timedelta(seconds=OPEN_LEAD_S + 0.5)
                due = [j for j in self.jobs if j.claimed or j.scheduled_at - lead <= now]
                if due:
                    job = min(due, key=Job.rank)
                    self.jobs.remove(job)
                    return job
                soonest = min((j.scheduled_at - lead for j in self.jobs), default=None)
                # Idle: sleep until a submit or stop notifies. Otherwise until the soonest is due;
                # the nap cap and nudge() cover the wall clock moving under the wait.
                wait = (
                    None if soonest is None else min(WORKER_NAP_S, max(0.0, (soonest - now).total_seconds()))
                )
                self.cond.wait(wait)
        return None

    def run(self) -> None:
        while True:
            job = self._take()
            if job is None:
                return
            try:
                result = self.player.air(job)
            except Exception:  # noqa: BLE001 - one bad airing must never stop the station
                log.exception("Lỗi khi phát «%s»", job.title)
                result = "done"
                job.done = True
            if result == "requeue" and not self.stopping:
                with self.cond:
                    self.jobs.append(job)


class _StopEvent(threading.Event):
    """The daemon's stop flag; setting it also wakes the main thread from its sleep."""

    def __init__(self, on_set: Callable[[], object]) -> None:
        super().__init__()
        self._on_set = on_set

    def set(self) -> None:
        super().set()
        self._on_set()


def _db_error(exc: BaseException) -> None:
    # A locked or full database must not stop the station: say it in one line, retry later.
    log.error("Lỗi cơ sở dữ liệu, sẽ thử lại: %s", str(exc).splitlines()[0][:200] if str(exc) else exc)


class Daemon:
    """The station daemon; :meth:`run` gives back an exit code."""

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

    def _make_scheduler(self) -> BackgroundScheduler:
        sched = BackgroundScheduler(
            # Our DB is the truth: jobs live in memory and are rebuilt from it at every start.
            jobstores={"default": MemoryJobStore()},
            # Hand-offs and housekeeping are short; two threads so a heartbeat stuck on a locked
            # database does not hold back a hand-off.
            executors={"default": ThreadPoolExecutor(max_workers=2)},
            job_defaults={
                # A backlog (after a suspend) runs once, never stacked, never concurrently.
                "coalesce": True,
                "max_instances": 1,
                # Late housekeeping is still worth doing once; occurrence jobs set their own grace
                # (prepare lead + the schedule's misfire grace + a margin). Not the 1 s default.
                "misfire_grace_time": None,
            },
            # The station's zone: APScheduler's default for triggers and the zone it shows times in.
            # Every time we hand it is aware, so a later change of the station's zone (re-plan,
            # timers re-added in the new zone) needs no new scheduler.
            timezone=self.tz,
            daemon=True,
        )
        sched.add_listener(self._on_missed, EVENT_JOB_MISSED)
        sched.add_job(self._plan_job, "interval", seconds=REPLAN_EVERY_S, id="plan", name="lập lịch")
        sched.add_job(self._recover, "interval", seconds=RECOVER_EVERY_S, id="recover", name="dọn buổi dở")
        sched.add_job(self._heartbeat, "interval", seconds=HEARTBEAT_EVERY_S, id="heartbeat", name="nhịp")
        return sched

    def _start_watchdog(self) -> None:
        # Added only once READY=1 has gone out: systemd must hear READY before the first WATCHDOG.
        wd = watchdog_interval()
        if wd is not None:
            self.scheduler.add_job(
                self._watchdog,
                "interval",
                seconds=wd,
                id="watchdog",
                name="watchdog",
                next_run_time=datetime.now(UTC),
                kwargs={"every": wd},
            )

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> int:
        with unit_of_work(self.store.sessions) as s:
            station = self.store.station(s)
            self.station_id = station.id
            self._set_tz(station.timezone)
            n = _asrun.recover_leftovers(s, station.id, self.config.data_dir, self.clock.now())
            state = s.get(StationState, station.id) or StationState(station_id=station.id, plan_revision=0)
            state.daemon_pid = os.getpid()
            state.heartbeat_at = self.clock.now()
            s.add(state)
        if n:
            log.warning("Đã đóng %d buổi phát dở dang từ lần chạy trước (mất điện hoặc dừng đột ngột).", n)
        aps = logging.getLogger("apscheduler")
        if aps.level == logging.NOTSET:
            aps.setLevel(logging.WARNING)  # not a line per heartbeat in the journal
        self._wake = WakeChannel(wake_address(self.store.engine.url))
        prep = threading.Thread(target=self._prepare_loop, name="prepare", daemon=True)
        prep.start()
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
                    _db_error(exc)
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
        if seen.commands:
            self._take_commands()  # before re-planning: a stop or an emergency waits for nothing
        if self._replan:
            self._do_plan()

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
        if self._wake is not None:
            self._wake.close()
        log.info("Bộ phát đã dừng.")

    # -- housekeeping jobs (APScheduler's pool threads) -----------------------------------------
    def _plan_job(self) -> None:
        """Move the plan's horizon forward; the main thread does it, this only asks."""
        self._replan = True
        self._poke()

    def _recover(self) -> None:
        try:
            with unit_of_work(self.store.sessions) as s:
                _asrun.recover_leftovers(s, self.station_id, self.config.data_dir, self.clock.now())
        except (SQLAlchemyError, OSError) as exc:
            _db_error(exc)

    def _heartbeat(self) -> None:
        try:
            with unit_of_work(self.store.sessions) as s:
                state = s.get(StationState, self.station_id)
                if state is not None:
                    state.heartbeat_at = self.clock.now()
                    state.daemon_pid = os.getpid()
        except (SQLAlchemyError, OSError) as exc:
            _db_error(exc)

    def _watchdog(self, every: float) -> None:
        # Pet systemd only while the main thread still goes round: a wedged loop gets restarted.
        if time.monotonic() - self._loop_mono < max(every, 3 * POLL_S):
            sd_notify("WATCHDOG=1")

    def _on_missed(self, event: JobExecutionEvent) -> None:
        # Runs under APScheduler's locks: only flag it. The re-plan marks the occurrence missed
        # (our rule and our wording), or re-adds its job if it is still within our grace.
        if event.job_id.startswith(OCC_PREFIX):
            self._replan = True
            self._poke()

    def _fire(self, occurrence_id: int) -> None:
        """Hand an occurrence whose lead has come (and any sibling also due) to its zone worker."""
        try:
            with self._lock:
                self._dispatch(also=occurrence_id)
        except (SQLAlchemyError, OSError) as exc:
            _db_error(exc)
            self._replan = True  # its job is spent: the re-plan adds it again
            self._poke()

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
        for line in res.invalid:
            log.warning("Lịch không hợp lệ, bỏ qua: %s", line)
        if res.created or res.removed or missed:
            log.info("Lập lịch: thêm %d, bỏ %d buổi phát; %d buổi bị lỡ.", res.created, res.removed, missed)
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

    def _build_timers(self, pending, *, rebuild: bool = False) -> None:
        """Make APScheduler's ``occ:<uid>`` jobs match the pending occurrences not yet handed over."""
        assert self.scheduler is not None
        lead = self._lead()
        # APScheduler waits in real wall time; occurrences are in the (injectable) clock's time.
        offset = timedelta(seconds=self.clock.time() - time.time())
        real_now = datetime.now(UTC)
        wanted: dict[str, tuple] = {}
        for occ_id, uid, at, title, grace in pending:
            if occ_id in self.jobs:
                continue  # already with its worker: the hand-off is done
            grace_s = self.config.misfire_grace if grace is None else grace
            fire = at - timedelta(seconds=lead) - offset
            wanted[OCC_PREFIX + uid] = (occ_id, fire, math.ceil(lead) + grace_s + MISFIRE_MARGIN_S, title, at)
        existing = {j.id for j in self.scheduler.get_jobs() if j.id.startswith(OCC_PREFIX)}
        for job_id in existing - wanted.keys():
            self._fire_at.pop(job_id, None)
            try:
                self.scheduler.remove_job(job_id)
            except LookupError:
                pass  # fired meanwhile
        for job_id in list(self._fire_at):
            if job_id not in wanted:
                del self._fire_at[job_id]
        added = 0
        for job_id, (occ_id, fire, grace_s, title, at) in wanted.items():
            had = self._fire_at.get(job_id)
            if (
                not rebuild
                and job_id in existing
                and had is not None
                and had[1] == grace_s
                and abs((had[0] - fire).total_seconds()) < 0.5
            ):
                continue  # unchanged: leave the timer alone
            self.scheduler.add_job(
                self._fire,
                "date",
                # Already due (a restart, a catch-up, a short lead): hand over now; the worker
                # decides, by our grace rule, whether it still airs.
                run_date=max(fire, real_now).astimezone(self.tz),
                args=[occ_id],
                id=job_id,
                name=f"{title} {at.astimezone(self.tz):%d/%m %H:%M:%S}",
                misfire_grace_time=grace_s,
                replace_existing=True,
            )
            self._fire_at[job_id] = (fire, grace_s)
            added += 1
        if added or rebuild:
            self.scheduler.wakeup()

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

    # -- control mailbox ------------------------------------------------------------------------
    def _take_commands(self) -> None:
        with self.store.sessions() as s:
            pending = s.scalars(
                select(ControlCommand.id)
                .where(ControlCommand.station_id == self.station_id, ControlCommand.taken_at.is_(None))
                .order_by(ControlCommand.id)
            ).all()
        for cmd_id in pending:
            with unit_of_work(self.store.sessions) as s:
                cmd = s.get(ControlCommand, cmd_id)
                if cmd is None or cmd.taken_at is not None:
                    continue
                cmd.taken_at = self.clock.now()
                action, payload, by = cmd.action, dict(cmd.payload or {}), cmd.requested_by
                stale = cmd.created_at < cmd.taken_at - COMMAND_EXPIRY
            try:
                if stale and action != "replan":
                    # An emergency typed an hour ago while the daemon was down must not air now.
                    result = "Bỏ qua: lệnh đã quá 5 phút khi bộ phát nhận được (bộ phát không chạy lúc gửi)."
                else:
                    with self._lock:
                        result = self._handle(action, payload, by)
            except (KeyError, TypeError, ValueError) as exc:
                result = f"Lệnh không hợp lệ: {exc}"
            with unit_of_work(self.store.sessions) as s:
                cmd = s.get(ControlCommand, cmd_id)
                cmd.done_at = self.clock.now()
                cmd.result = result
            log.info("Lệnh «%s» của %s: %s", action, by or "?", result)

    def _target_zones(self, s, zone_id: int | None) -> list[Zone]:
        q = select(Zone).where(Zone.station_id == self.station_id, Zone.enabled.is_(True)).order_by(Zone.id)
        if zone_id is not None:
            q = q.where(Zone.id == zone_id)
        return list(s.scalars(q))

    def _handle(self, action: str, payload: dict, by: str | None) -> str:
        who = by or "người trực đài"
        if action == "stop":
            item_only = payload.get("scope") == "item"
            kind = "skip" if item_only else "stop"
            reason = f"Bỏ qua mục đang phát theo lệnh của {who}" if item_only else f"Dừng theo lệnh của {who}"
            zone_id = payload.get("zone_id")
            cut = 0
            for zid, w in list(self.workers.items()):
                if zone_id is None or zid == zone_id:
                    cut += w.player.cut(kind, reason)
            return f"Đã dừng {cut} buổi phát." if cut else "Không có gì đang phát."
        if action == "replan":
            self._replan = True
            return "Sẽ lập lại lịch phát."
        if action in ("emergency", "play"):
            urgent = action == "emergency"
            if payload.get("asset_path"):
                content = Content(
                    asset_path=payload["asset_path"], title="Thông báo khẩn cấp" if urgent else ""
                )
            elif payload.get("segment_id"):
                content = Content(segment_id=int(payload["segment_id"]), engine=payload.get("engine", "auto"))
            elif payload.get("programme_id"):
                content = Content(programme_id=int(payload["programme_id"]))
            else:
                return "Lệnh không có nội dung để phát."
            now = self.clock.now()
            jobs = []
            with unit_of_work(self.store.sessions) as s:
                zones = self._target_zones(s, payload.get("zone_id"))
                if not zones:
                    return "Không có cụm loa nào đang bật để phát."
                title = self._title(s, content, urgent)
                content.title = title
                for zone in zones:
                    occ = Occurrence(
                        station_id=self.station_id,
                        zone_id=zone.id,
                        scheduled_at=now,
                        programme_id=content.programme_id,
                        title=title[:300],
                        on_duty=by,
                        priority=Priority.EMERGENCY if urgent else Priority.PRIORITY,
                    )
                    s.add(occ)
                    s.flush()
                    jobs.append(self._job_for(occ, zone, None, Content(**vars(content))))
            for job in jobs:
                job.grace_s = max(job.grace_s, 60)
                self.jobs[job.occurrence_id] = job
            if urgent:
                # Rendering a long text takes a while (190,000 characters: over half a minute), so
                # it happens on a thread of its own: this loop keeps taking commands and feeding the
                # watchdog. What plays is cut only once the emergency is ready: the gap stays short.
                threading.Thread(
                    target=self._ready_emergency, args=(jobs,), name="emergency", daemon=True
                ).start()
                return (
                    f"Đang chuẩn bị thông báo khẩn cấp «{title}» cho {len(jobs)} cụm loa; phát ngay khi xong."
                )
            for job in jobs:
                self._worker(job.zone_id).submit(job)
            return f"Đã đưa phát ngay «{title}» lên {len(jobs)} cụm loa."
        return f"Không biết lệnh «{action}»."

    def _ready_emergency(self, jobs: list[Job]) -> None:
        """Prepare emergency airings, then hand each to its zone (which cuts what plays)."""
        for job in jobs:
            began = time.monotonic()
            worker = self._worker(job.zone_id)
            try:
                worker.player.prepare(job)
            except Exception:  # noqa: BLE001 - the worker tries again and logs the airing failed
                log.exception("Lỗi khi chuẩn bị «%s»", job.title)
            # Rendering is not lateness: the grace counts from when the audio is ready.
            job.grace_s += math.ceil(time.monotonic() - began)
            if not self.stop_event.is_set():
                worker.submit(job)

    @staticmethod
    def _title(s, content: Content, urgent: bool) -> str:
        from ..models import Programme, Segment

        if content.programme_id is not None:
            prog = s.get(Programme, content.programme_id)
            return prog.title if prog else f"Chương trình số {content.programme_id}"
        if content.segment_id is not None:
            seg = s.get(Segment, content.segment_id)
            return seg.title if seg else f"Bản tin số {content.segment_id}"
        name = os.path.basename(content.asset_path or "")
        return f"Thông báo khẩn cấp: {name}" if urgent else name


def run_daemon(store: Store, config: Config, *, clock: Clock = REAL_CLOCK) -> int:
    """Give back the exit code of a daemon run in this process until SIGTERM/SIGINT."""
    daemon = Daemon(store, config, clock=clock)
    err = daemon.check_config()
    if err:
        raise ValueError(err)
    daemon.install_signals()
    return daemon.run()
