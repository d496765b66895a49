"""The daemon's clocks: APScheduler's ``occ:<uid>`` hand-off timers and housekeeping jobs.

A mixin of :class:`~._daemon.Daemon`, kept apart so each part reads on one screen. Hand-offs and
housekeeping run on APScheduler's pool threads; they only flag or poke the main loop, or take the
daemon's lock for a hand-off.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from ..db import unit_of_work
from ..models import StationState
from . import _asrun
from ._clock import sd_notify, watchdog_interval

if TYPE_CHECKING:
    from ..config import Config
    from ..store import Store
    from ._clock import Clock
    from ._job import Job

log = logging.getLogger("broadcaster.playout")

POLL_S = 1.0  # fallback poll of the mailbox when no wake-up arrives (a poke is instant)
REPLAN_EVERY_S = 600.0
HEARTBEAT_EVERY_S = 10.0  # three beats inside the web's 30 s "daemon alive" window; each is a commit
RECOVER_EVERY_S = 60.0
MISFIRE_MARGIN_S = 5  # APScheduler's grace exceeds ours, so the missed/late decision stays ours
OCC_PREFIX = "occ:"


def db_error(exc: BaseException) -> None:
    """Say in one journal line that the database failed; the caller retries later."""
    # A locked or full database must not stop the station.
    log.error("Lỗi cơ sở dữ liệu, sẽ thử lại: %s", str(exc).splitlines()[0][:200] if str(exc) else exc)


class Timers:
    """The daemon's APScheduler side (a mixin: the state lives on the daemon)."""

    store: Store
    config: Config
    clock: Clock
    tz: object
    station_id: int
    jobs: dict[int, Job]
    scheduler: BackgroundScheduler | None
    _lock: threading.RLock
    _replan: bool
    _loop_mono: float
    _fire_at: dict[str, tuple[datetime, int]]

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
            db_error(exc)

    def _heartbeat(self) -> None:
        try:
            with unit_of_work(self.store.sessions) as s:
                state = s.get(StationState, self.station_id)
                if state is not None:
                    state.heartbeat_at = self.clock.now()
                    state.daemon_pid = os.getpid()
        except (SQLAlchemyError, OSError) as exc:
            db_error(exc)
        self.status_changed()  # the snapshot carries the heartbeat and must stay fresh

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
            db_error(exc)
            self._replan = True  # its job is spent: the re-plan adds it again
            self._poke()
