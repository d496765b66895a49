"""The daemon's control mailbox: commands from the web and the CLI, taken in order, each answered.

A mixin of :class:`~._daemon.Daemon`. Each row is read back through the typed schema of
:mod:`._commands`; a bad payload gets a Vietnamese result and changes nothing.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..db import unit_of_work
from ..models import ControlCommand, Occurrence, Priority, Programme, Segment, Zone
from ._commands import AirNow, Command, CommandError, Replan, Stop, parse_command
from ._prepare import Content

if TYPE_CHECKING:
    from ..store import Store
    from ._clock import Clock
    from ._job import Job
    from ._worker import ZoneWorker

log = logging.getLogger("broadcaster.playout")

COMMAND_EXPIRY = timedelta(minutes=5)


class Mailbox:
    """Takes and carries out control commands (a mixin: the state lives on the daemon)."""

    store: Store
    clock: Clock
    station_id: int
    jobs: dict[int, Job]
    workers: dict[int | None, ZoneWorker]
    stop_event: threading.Event
    _lock: threading.RLock
    _replan: bool

    def _take_commands(self) -> None:
        with self.store.sessions() as s:
            pending = s.scalars(
                select(ControlCommand.id)
                .where(ControlCommand.station_id == self.station_id, ControlCommand.taken_at.is_(None))
                .order_by(ControlCommand.id)
            ).all()
        for cmd_id in pending:
            with unit_of_work(self.store.sessions) as s:
                row = s.get(ControlCommand, cmd_id)
                if row is None or row.taken_at is not None:
                    continue
                row.taken_at = self.clock.now()
                action, payload, by = row.action, row.payload, row.requested_by
                stale = row.created_at < row.taken_at - COMMAND_EXPIRY
            result = self._answer(action, payload, by, stale)
            with unit_of_work(self.store.sessions) as s:
                row = s.get(ControlCommand, cmd_id)
                row.done_at = self.clock.now()
                row.result = result
            log.info("Lệnh «%s» của %s: %s", action, by or "?", result)

    def _answer(self, action: str, payload: object, by: str | None, stale: bool) -> str:
        """Give back the result of one command, in Vietnamese."""
        try:
            cmd = parse_command(action, payload)
        except CommandError as exc:
            return f"Lệnh không hợp lệ: {exc}"
        if stale and not isinstance(cmd, Replan):
            # An emergency typed an hour ago while the daemon was down must not air now.
            return "Bỏ qua: lệnh đã quá 5 phút khi bộ phát nhận được (bộ phát không chạy lúc gửi)."
        with self._lock:
            return self._carry_out(cmd, by or "người trực đài")

    def _carry_out(self, cmd: Command, who: str) -> str:
        if isinstance(cmd, Stop):
            return self._stop(cmd, who)
        if isinstance(cmd, Replan):
            self._replan = True
            return "Sẽ lập lại lịch phát."
        return self._air_now(cmd, who)

    def _stop(self, cmd: Stop, who: str) -> str:
        kind = "skip" if cmd.item_only else "stop"
        reason = f"Bỏ qua mục đang phát theo lệnh của {who}" if cmd.item_only else f"Dừng theo lệnh của {who}"
        cut = 0
        for zid, w in list(self.workers.items()):
            if cmd.zone_id is None or zid == cmd.zone_id:
                cut += w.player.cut(kind, reason)
        return f"Đã dừng {cut} buổi phát." if cut else "Không có gì đang phát."

    def _air_now(self, cmd: AirNow, who: str) -> str:
        content = Content(
            programme_id=cmd.programme_id,
            segment_id=cmd.segment_id,
            asset_path=cmd.asset_path,
            engine=cmd.engine,
            live_s=cmd.live_s,
        )
        jobs = self._now_jobs(cmd, content, who)
        if not jobs:
            return "Không có cụm loa nào đang bật để phát."
        title = content.title
        for job in jobs:
            job.grace_s = max(job.grace_s, 60)
            self.jobs[job.occurrence_id] = job
        if cmd.urgent:
            # Rendering a long text takes a while (190,000 characters: over half a minute), so it
            # happens on a thread of its own: the loop keeps taking commands and feeding the
            # watchdog. What plays is cut only once the emergency is ready: the gap stays short.
            threading.Thread(
                target=self._ready_emergency, args=(jobs,), name="emergency", daemon=True
            ).start()
            return f"Đang chuẩn bị thông báo khẩn cấp «{title}» cho {len(jobs)} cụm loa; phát ngay khi xong."
        for job in jobs:
            self._worker(job.zone_id).submit(job)
        return f"Đã đưa phát ngay «{title}» lên {len(jobs)} cụm loa."

    def _now_jobs(self, cmd: AirNow, content: Content, who: str) -> list[Job]:
        """Give back one airing per target zone, written as occurrences scheduled now."""
        now = self.clock.now()
        jobs = []
        with unit_of_work(self.store.sessions) as s:
            q = (
                select(Zone)
                .where(Zone.station_id == self.station_id, Zone.enabled.is_(True))
                .order_by(Zone.id)
            )
            if cmd.zone_id is not None:
                q = q.where(Zone.id == cmd.zone_id)
            content.title = _title(s, content, cmd.urgent)
            for zone in s.scalars(q):
                occ = Occurrence(
                    station_id=self.station_id,
                    zone_id=zone.id,
                    scheduled_at=now,
                    programme_id=content.programme_id,
                    title=content.title[:300],
                    on_duty=who,
                    priority=Priority.EMERGENCY if cmd.urgent else Priority.PRIORITY,
                )
                s.add(occ)
                s.flush()
                jobs.append(self._job_for(occ, zone, None, Content(**vars(content))))
        return jobs

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


def _title(s, content: Content, urgent: bool) -> str:
    """Give back the title an airing-now is logged under."""
    if content.programme_id is not None:
        prog = s.get(Programme, content.programme_id)
        return prog.title if prog else f"Chương trình số {content.programme_id}"
    if content.segment_id is not None:
        seg = s.get(Segment, content.segment_id)
        return seg.title if seg else f"Bản tin số {content.segment_id}"
    if content.live_s is not None:
        return f"Phát trực tiếp từ đài ({content.live_s:g} giây)"
    name = os.path.basename(content.asset_path or "")
    return f"Thông báo khẩn cấp: {name}" if urgent else name
