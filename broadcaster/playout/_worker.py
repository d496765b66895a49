"""A zone's worker: a thread that airs the jobs handed to its zone, most urgent first."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from ._clock import Clock
from ._job import Job
from ._player import OPEN_LEAD_S, Player

log = logging.getLogger("broadcaster.playout")

WORKER_NAP_S = 30.0  # a zone worker with queued airings re-reads the wall clock at least this often


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
        if job.cut_kind is not None:
            self.player.cut(job.cut_kind)

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
