"""One airing at a precise time, in this process: ``broadcaster play`` and ``broadcaster demo``.

It takes the daemon's code path (prepare → open the sink ahead → claim → wait precisely → play →
log), only without the daemon around it.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ..config import Config
from ..db import unit_of_work
from ..models import AirStatus, Occurrence, Priority, Programme, Segment, Station, Zone
from ._clock import REAL_CLOCK, Clock
from ._control import PlayoutError
from ._job import Job
from ._player import Player
from ._prepare import Content, relay_item
from ._sinks import check_spec, resolve_spec


def _sessions(store_or_sessions) -> sessionmaker[Session]:
    return getattr(store_or_sessions, "sessions", store_or_sessions)


def play_programme_once(
    store_or_sessions,
    config: Config,
    programme_id: int | None = None,
    *,
    at: datetime | None = None,
    sink: str | None = None,
    segment_id: int | None = None,
    asset_path: str | Path | None = None,
    zone: str | None = None,
    priority: Priority = Priority.NORMAL,
    by: str | None = None,
    clock: Clock = REAL_CLOCK,
    relay_url: str | None = None,
    relay_s: float | None = None,
    fallback_path: str | None = None,
) -> Occurrence:
    """Give back the ad-hoc occurrence (with its as-run entries) after airing it once at ``at``.

    Exactly one of ``programme_id``, ``segment_id``, ``asset_path``, ``relay_url`` (a live stream
    relayed for ``relay_s`` seconds, ``fallback_path`` airing while it fails) says what plays; ``at`` (aware;
    default now) when; ``sink`` where (default: the zone's output, else the configured one). Blocks
    until the airing ends; Ctrl-C stops it and logs it as interrupted.
    """
    sessions = _sessions(store_or_sessions)
    if sum(x is not None for x in (programme_id, segment_id, asset_path, relay_url)) != 1:
        raise PlayoutError(
            "Cần chọn đúng một thứ để phát: chương trình, bản tin, tệp âm thanh hoặc luồng tiếp sóng."
        )
    if relay_url is not None and not relay_s:
        raise PlayoutError("Tiếp sóng cần thời lượng (số giây).")
    if at is not None and at.tzinfo is None:
        raise PlayoutError("Giờ phát cần có múi giờ (ví dụ 2026-11-05T05:30:00+07:00).")
    if sink is not None and (err := check_spec(sink)):
        raise PlayoutError(err)
    at = at or clock.now()
    with unit_of_work(sessions) as s:
        station = s.scalar(select(Station).where(Station.code == config.station_code))
        if station is None:
            raise PlayoutError("Chưa khởi tạo dữ liệu đài: hãy chạy «broadcaster init».")
        z = None
        if zone is not None:
            z = s.scalar(select(Zone).where(Zone.station_id == station.id, Zone.code == zone))
            if z is None:
                raise PlayoutError(f"Không có cụm loa «{zone}».")
        elif sink is None:
            z = s.scalar(
                select(Zone).where(Zone.station_id == station.id, Zone.enabled.is_(True)).order_by(Zone.id)
            )
        if programme_id is not None:
            prog = s.get(Programme, programme_id)
            if prog is None or prog.station_id != station.id:
                raise PlayoutError(f"Không có chương trình số {programme_id}.")
            title = prog.title
        elif segment_id is not None:
            seg = s.get(Segment, segment_id)
            if seg is None:
                raise PlayoutError(f"Không có bản tin số {segment_id}.")
            title = seg.title
        elif relay_url is not None:
            title = relay_item(config, 0, relay_url, relay_s or 0, None, "").title
        else:
            title = Path(asset_path).name
        spec = resolve_spec(
            sink or (z.sink if z else None), default=config.sink, data_dir=config.data_dir, tz=config.tz
        )
        occ = Occurrence(
            station_id=station.id,
            zone_id=z.id if z else None,
            programme_id=programme_id,
            scheduled_at=at,
            priority=priority,
            title=title[:300],
            on_duty=by,
        )
        s.add(occ)
        s.flush()
        occ_id = occ.id
        job = Job(
            occurrence_id=occ.id,
            station_id=station.id,
            zone_id=occ.zone_id,
            sink_spec=spec,
            scheduled_at=at,
            priority=priority,
            title=title,
            grace_s=config.misfire_grace,
            content=Content(
                programme_id=programme_id,
                segment_id=segment_id,
                asset_path=str(asset_path) if asset_path is not None else None,
                title=title,
                relay_url=relay_url,
                relay_s=relay_s,
                fallback_path=fallback_path,
            ),
        )
    player = Player(sessions, config, clock=clock, name="play")
    errors: list[BaseException] = []

    def _run() -> None:
        try:
            player.air(job)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=_run, name="play-once", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        player.cut("shutdown", "Người trực đài dừng bằng Ctrl-C")
        player._preempt.set()
        worker.join(10)
    with unit_of_work(sessions) as s:
        occ = s.get(Occurrence, occ_id)
        if occ.status == AirStatus.PENDING:
            occ.status = AirStatus.SKIPPED
            occ.reason = "Đã huỷ trước giờ phát."
    if errors:
        raise errors[0]
    with sessions() as s:
        occ = s.scalar(
            select(Occurrence).where(Occurrence.id == occ_id).options(selectinload(Occurrence.entries))
        )
        s.expunge_all()
        return occ
