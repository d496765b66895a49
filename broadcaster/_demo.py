"""The whole chain, end to end, on a throwaway data dir (``broadcaster demo``, see :mod:`.demo`).

Starter column → approved (for the demo only) → rendered offline → a one-off schedule a few
seconds ahead → the real station daemon plans and airs it → the as-run log printed. Nothing here
is a shortcut: the daemon is the same one ``broadcaster run`` starts, in a thread of this process.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from .config import Config
from .db import utcnow
from .models import (
    AIR_STATUS_LABELS,
    AirStatus,
    AsRunEntry,
    Occurrence,
    Programme,
    Recurrence,
    Schedule,
    Segment,
    SegmentStatus,
    Zone,
)
from .store import Store, ensure_station, open_store

STARTER_PROGRAMME = "7b0f3c1e-0002-4c1a-9d00-000000000001"
FINAL = {AirStatus.PLAYED, AirStatus.FAILED, AirStatus.INTERRUPTED, AirStatus.MISSED, AirStatus.SKIPPED}


def _fmt_ms(ms: int | None) -> str:
    if not ms:
        return "0 giây"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} phút {seconds:02d} giây" if minutes else f"{seconds} giây"


def _approve_all(store: Store) -> int:
    from .content import approve, load_starter

    with store.sessions.begin() as s:
        station = store.station(s)
        load_starter(s, station)
        pending = list(s.scalars(select(Segment).where(Segment.status == SegmentStatus.SUBMITTED)))
        for seg in pending:
            approve(s, seg, None, "Duyệt tự động trong chạy thử.")
        return len(pending)


def _render(store: Store, config: Config, programme_id: int) -> tuple[int, int, float]:
    from .audio import render_programme

    started = time.monotonic()
    with store.sessions() as s:
        programme = s.get(Programme, programme_id)
        assets = render_programme(s, config, programme)
        s.commit()
    return len(assets), sum(a.duration_ms for a in assets), time.monotonic() - started


def _schedule_once(store: Store, config: Config, programme_id: int, sink: str, lead_s: float) -> datetime:
    """Give back the UTC start of a one-off schedule placed ``lead_s`` seconds ahead."""
    from .playout import bump_plan

    at = utcnow() + timedelta(seconds=lead_s)
    at = at.replace(microsecond=0) + timedelta(seconds=1)
    local = at.astimezone(config.tz)
    with store.sessions.begin() as s:
        station = store.station(s)
        zone = s.scalar(select(Zone).where(Zone.station_id == station.id).order_by(Zone.id))
        zone.sink = sink
        # The starter's daily slots stay off so only the demo's airing happens.
        for sched in s.scalars(select(Schedule).where(Schedule.station_id == station.id)):
            sched.enabled = False
        demo = Schedule(
            station_id=station.id,
            programme_id=programme_id,
            name="Chạy thử",
            recurrence=Recurrence.ONCE,
            start_time=local.time(),
            start_date=local.date(),
            window_minutes=30,
            skip_dates=[],
        )
        demo.zones = [zone]
        s.add(demo)
        bump_plan(s, station.id)
    return at


def _air(store: Store, config: Config, at: datetime, timeout_s: float) -> Occurrence:
    from .playout import Daemon

    daemon = Daemon(store, config)
    err = daemon.check_config()
    if err:
        raise SystemExit(f"broadcaster: {err}")
    thread = threading.Thread(target=daemon.run, name="demo-daemon", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    occ = None
    try:
        while time.monotonic() < deadline:
            with store.sessions() as s:
                occ = s.scalar(
                    select(Occurrence).where(
                        Occurrence.scheduled_at == at, Occurrence.schedule_id.is_not(None)
                    )
                )
                if occ is not None and occ.status in FINAL:
                    return occ
            time.sleep(0.2)
        raise SystemExit("broadcaster: chạy thử quá thời gian mà chương trình chưa phát xong.")
    finally:
        daemon.stop_event.set()
        thread.join(timeout=10)


def _print_as_run(store: Store, config: Config, occ_id: int) -> None:
    with store.sessions() as s:
        occ = s.get(Occurrence, occ_id)
        entries = list(
            s.scalars(
                select(AsRunEntry)
                .where(AsRunEntry.occurrence_id == occ_id)
                .order_by(AsRunEntry.position, AsRunEntry.attempt)
            )
        )
        print()
        print(f"NHẬT KÝ PHÁT SÓNG — {occ.title or 'Chạy thử'}")
        print(f"{'Giờ phát':<10} {'Thời lượng':<16} {'Trạng thái':<12} Nội dung")
        for e in entries:
            start = e.started_at.astimezone(config.tz).strftime("%H:%M:%S") if e.started_at else "--:--:--"
            print(
                f"{start:<10} {_fmt_ms(e.duration_ms):<16} {AIR_STATUS_LABELS[e.status]:<12} {e.title}"
                + (f" ({e.reason})" if e.reason else "")
            )
        late = ""
        if occ.started_at:
            late = f", bắt đầu lệch {(occ.started_at - occ.scheduled_at).total_seconds() * 1000:+.0f} ms"
        print(f"Chương trình: {AIR_STATUS_LABELS[occ.status]}{late}.")


def run_demo(config: Config, *, sink: str | None = None, lead_s: float = 5.0, timeout_s: float = 120) -> int:
    """Give back the exit code after running the whole chain once on ``config``'s data dir."""
    from .playout import check_spec, resolve_spec

    # Nobody listens to the demo: without a sound card its file is written at full speed.
    spec = resolve_spec(sink or "auto", default="auto", data_dir=config.data_dir, paced=False)
    if err := check_spec(spec):
        raise SystemExit(f"broadcaster: {err}")
    store = open_store(config, upgrade=True)
    ensure_station(store)
    print(f"Thư mục dữ liệu chạy thử: {config.data_dir}")
    approved = _approve_all(store)
    print(f"Đã nạp chuyên mục mẫu và duyệt tự động {approved} tin (chỉ trong chạy thử).")
    with store.sessions() as s:
        programme_id = s.scalar(select(Programme.id).where(Programme.uid == STARTER_PROGRAMME))
    print("Đang chuyển văn bản thành giọng nói (ngoại tuyến)…")
    count, total_ms, took = _render(store, config, programme_id)
    print(f"Xong: {count} tin, tổng {_fmt_ms(total_ms)} âm thanh, mất {took:.1f} giây.")
    at = _schedule_once(store, config, programme_id, spec, lead_s)
    print(
        f"Đã đặt lịch phát một lần lúc {at.astimezone(config.tz):%H:%M:%S} ({config.timezone}), "
        f"đầu ra: {spec}"
    )
    occ = _air(store, config, at, timeout_s)
    _print_as_run(store, config, occ.id)
    if spec.startswith("file:"):
        print(f"Âm thanh đã phát được ghi vào: {spec[5:].split('?')[0]}")
    store.engine.dispose()
    return 0 if occ.status == AirStatus.PLAYED else 1
