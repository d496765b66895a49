"""``broadcaster run``: the station daemon, in its own process.

The main thread plans (schedules → occurrences), reads the control mailbox every 200 ms, hands
upcoming occurrences to one player thread per zone and a preparer thread, keeps the heartbeat and
the systemd watchdog, and notices wall-clock jumps. Players wait precisely and play. Bad data never
stops the daemon: it is logged and the next occurrence still airs.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..config import Config
from ..db import unit_of_work
from ..models import AirStatus, ControlCommand, Occurrence, Priority, Schedule, StationState, Zone
from ..store import Store
from . import _asrun
from ._clock import REAL_CLOCK, Clock, JumpDetector, sd_notify, watchdog_interval
from ._planner import content_fingerprint, plan, plan_fingerprint
from ._player import OPEN_LEAD_S, Job, Player
from ._prepare import Content
from ._sinks import check_spec, resolve_spec
from .recurrence import window_end

log = logging.getLogger("broadcaster.playout")

TICK_S = 0.2
FINGERPRINT_EVERY_S = 1.0
REPLAN_EVERY_S = 600.0
HEARTBEAT_EVERY_S = 5.0
RECOVER_EVERY_S = 60.0
COMMAND_EXPIRY = timedelta(minutes=5)


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
                wait = 1.0 if soonest is None else min(1.0, max(0.0, (soonest - now).total_seconds()))
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


class Daemon:
    """The station daemon; :meth:`run` gives back an exit code."""

    def __init__(self, store: Store, config: Config, *, clock: Clock = REAL_CLOCK) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.stop_event = threading.Event()
        self.workers: dict[int | None, ZoneWorker] = {}
        self.jobs: dict[int, Job] = {}
        self.prep_queue: queue.Queue[Job | None] = queue.Queue()
        self.station_id: int = 0
        self.tz = config.tz
        self._fp: tuple | None = None
        self._cfp: tuple | None = None
        self._replan = True

    # -- setup ----------------------------------------------------------------------------------
    def check_config(self) -> str | None:
        """Give back one Vietnamese line if the configuration cannot run, else None."""
        err = check_spec(self.config.sink)
        if err:
            return f"BROADCASTER_SINK: {err}"
        return None

    def _worker(self, zone_id: int | None) -> ZoneWorker:
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
                self._worker(job.zone_id).player.prepare(job)
            except Exception:  # noqa: BLE001
                log.exception("Lỗi khi chuẩn bị «%s»", job.title)

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> int:
        with unit_of_work(self.store.sessions) as s:
            station = self.store.station(s)
            self.station_id = station.id
            n = _asrun.recover_leftovers(s, station.id, self.config.data_dir, self.clock.now())
            state = s.get(StationState, station.id) or StationState(station_id=station.id, plan_revision=0)
            state.daemon_pid = os.getpid()
            state.heartbeat_at = self.clock.now()
            s.add(state)
        if n:
            log.warning("Đã đóng %d buổi phát dở dang từ lần chạy trước (mất điện hoặc dừng đột ngột).", n)
        prep = threading.Thread(target=self._prepare_loop, name="prepare", daemon=True)
        prep.start()
        jumps = JumpDetector(self.clock)
        wd = watchdog_interval()
        last = {
            "fp": 0.0,
            "replan": 0.0,
            "beat": 0.0,
            "dog": 0.0,
            "recover": time.monotonic(),
            "dispatch": 0.0,
        }
        sd_notify("READY=1\nSTATUS=Đang chạy")
        log.info("Bộ phát của đài đã chạy (PID %d).", os.getpid())
        while not self.stop_event.is_set():
            mono = time.monotonic()
            try:
                jump = jumps.check()
                if jump is not None:
                    log.warning("Đồng hồ hệ thống vừa nhảy %+.1f giây: lập lại lịch phát.", jump)
                    self._replan = True
                if mono - last["fp"] >= FINGERPRINT_EVERY_S:
                    last["fp"] = mono
                    self._check_fingerprints()
                if self._replan or mono - last["replan"] >= REPLAN_EVERY_S:
                    last["replan"] = mono
                    self._do_plan()
                    last["dispatch"] = 0.0
                self._take_commands()
                if mono - last["dispatch"] >= FINGERPRINT_EVERY_S:
                    last["dispatch"] = mono
                    self._dispatch()
                if mono - last["recover"] >= RECOVER_EVERY_S:
                    last["recover"] = mono
                    with unit_of_work(self.store.sessions) as s:
                        _asrun.recover_leftovers(s, self.station_id, self.config.data_dir, self.clock.now())
                if mono - last["beat"] >= HEARTBEAT_EVERY_S:
                    last["beat"] = mono
                    self._heartbeat()
            except (SQLAlchemyError, OSError) as exc:
                # A locked or full database must not stop the station: say it once per tick, retry.
                log.error("Lỗi cơ sở dữ liệu, sẽ thử lại: %s", str(exc).splitlines()[0][:200])
                self.stop_event.wait(1.0)
            if wd is not None and mono - last["dog"] >= wd:
                last["dog"] = mono
                sd_notify("WATCHDOG=1")
            self.stop_event.wait(TICK_S)
        self._shutdown(prep)
        return 0

    def request_stop(self, *_: object) -> None:
        self.stop_event.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    def _shutdown(self, prep: threading.Thread) -> None:
        sd_notify("STOPPING=1")
        for w in self.workers.values():
            w.stop()
        for w in self.workers.values():
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
        log.info("Bộ phát đã dừng.")

    def _heartbeat(self) -> None:
        with unit_of_work(self.store.sessions) as s:
            state = s.get(StationState, self.station_id)
            if state is not None:
                state.heartbeat_at = self.clock.now()
                state.daemon_pid = os.getpid()

    def _check_fingerprints(self) -> None:
        with self.store.sessions() as s:
            fp = plan_fingerprint(s, self.station_id)
            cfp = content_fingerprint(s, self.station_id)
        if fp != self._fp:
            self._fp = fp
            self._replan = True
        if cfp != self._cfp:
            if self._cfp is not None:
                self._invalidate_prepared()
            self._cfp = cfp

    def _invalidate_prepared(self) -> None:
        """Content changed: what was decoded ahead may be stale; decode again before air."""
        for job in list(self.jobs.values()):
            if job.claimed or job.done:
                continue
            with job.lock:
                if job.prepared is not None:
                    job.prepared.release()
                    job.prepared = None
            self.prep_queue.put(job)

    def _do_plan(self) -> None:
        self._replan = False
        with unit_of_work(self.store.sessions) as s:
            station = self.store.station(s)
            now = self.clock.now()
            if station.timezone != getattr(self.tz, "key", None):
                from zoneinfo import ZoneInfo

                self.tz = ZoneInfo(station.timezone)
            res = plan(s, station, now, hours=self.config.plan_hours)
            missed = _asrun.mark_missed(s, station.id, now, self.tz, self.config.misfire_grace)
        for line in res.invalid:
            log.warning("Lịch không hợp lệ, bỏ qua: %s", line)
        if res.created or res.removed or missed:
            log.info("Lập lịch: thêm %d, bỏ %d buổi phát; %d buổi bị lỡ.", res.created, res.removed, missed)
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
        for occ_id in ids:
            if occ_id not in alive:
                job = self.jobs.pop(occ_id)
                self._worker(job.zone_id).withdraw(occ_id)
                job.done = True

    def _job_for(self, occ: Occurrence, zone: Zone | None, sched: Schedule | None, content: Content) -> Job:
        spec = resolve_spec(
            zone.sink if zone else None, default=self.config.sink, data_dir=self.config.data_dir
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

    def _dispatch(self) -> None:
        """Hand the occurrences of the next ``prepare_ahead`` seconds to their zone players."""
        now = self.clock.now()
        horizon = now + timedelta(seconds=max(self.config.prepare_ahead, OPEN_LEAD_S + 5))
        self.jobs = {k: j for k, j in self.jobs.items() if not j.done}
        with self.store.sessions() as s:
            rows = s.scalars(
                select(Occurrence)
                .where(
                    Occurrence.station_id == self.station_id,
                    Occurrence.status == AirStatus.PENDING,
                    Occurrence.schedule_id.is_not(None),
                    Occurrence.scheduled_at <= horizon,
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
            player = self._worker(jobs[0].zone_id).player
            for job in jobs:
                job.grace_s = max(job.grace_s, 60)
                if urgent:
                    player.prepare(job)  # decode now, then cut: the gap is as short as possible
                self.jobs[job.occurrence_id] = job
                self._worker(job.zone_id).submit(job)
            word = "thông báo khẩn cấp" if urgent else "phát ngay"
            return f"Đã đưa {word} «{title}» lên {len(jobs)} cụm loa."
        return f"Không biết lệnh «{action}»."

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
