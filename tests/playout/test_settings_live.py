"""Settings officers save reach the station daemon, a real process, without a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from broadcaster import content
from broadcaster.db import utcnow
from broadcaster.models import AudioAsset, Segment, SegmentKind, SegmentStatus, StationState
from broadcaster.playout import bump_plan

from .conftest import add_once, add_programme, wait_for, zone_with_sink


def test_the_daemon_renders_with_the_speed_officers_save_without_restart(
    store, config, session, station, env
):
    """The environment says 150 words a minute; officers save 210 while the daemon runs. The text
    segment the daemon renders for its next airing must be read at 210 (environment only: 150)."""
    zone = zone_with_sink(session, station, "null")
    session.commit()
    proc = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "run"],
        env={**env, "BROADCASTER_SPEED": "150"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def running() -> bool:
            with store.sessions() as s:
                state = s.get(StationState, station.id)
                return state is not None and state.daemon_pid == proc.pid

        wait_for(running, 60)
        with store.sessions.begin() as s:
            content.save_settings(s, station.id, config, None, {"speed": "210"})
        seg = Segment(
            station_id=station.id,
            title="Thông báo thử",
            body="Xin chào bà con trong xã.",
            kind=SegmentKind.CCHC_NEWS,
            status=SegmentStatus.APPROVED,
        )
        session.add(seg)
        session.flush()
        prog = add_programme(session, station, [seg])
        soon = utcnow().replace(microsecond=0) + timedelta(seconds=30)
        add_once(session, station, prog, zone, soon, config.tz)
        bump_plan(session, station.id)
        session.commit()

        def rendered():
            with store.sessions() as s:
                return s.scalar(select(AudioAsset).where(AudioAsset.source == "tts"))

        asset = wait_for(rendered, 60, 0.2)
        assert asset.speed == 210 and asset.engine == "pyttsx3"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert "Đã áp dụng cài đặt mới" in err
