"""Going live from the station PC: `broadcaster live` through a real daemon process into a file sink.

The machine has no sound card, so the capture input is ffmpeg's lavfi sine (BROADCASTER_LIVE_INPUT
takes any FORMAT:INPUT); the daemon, the command and the sink are the real ones.
"""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from broadcaster.models import AirStatus, AsRunEntry, Occurrence, Priority
from broadcaster.playout import daemon_alive

from .conftest import tones, wait_for, zone_with_sink
from .test_cli import bc
from .test_daemon import read_wav


def test_live_from_the_station_airs_its_length_and_is_logged(store, env, config, session, station):
    out = config.data_dir / "live.wav"
    zone_with_sink(session, station, f"file:{out}?realtime=1")  # paced like a sound card
    session.commit()
    live_env = {**env, "BROADCASTER_LIVE_INPUT": "lavfi:sine=frequency=660:sample_rate=44100"}

    # Bad lengths are refused in Vietnamese before anything is queued.
    for bad in ("0", "-5", "năm"):
        r = bc(live_env, "live", "--duration", bad)
        assert r.returncode == 2 and "--duration" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = bc({**env, "BROADCASTER_LIVE_INPUT": "default"}, "live", "--duration", "2")
    assert r.returncode == 2 and "ĐỊNH_DẠNG:THIẾT_BỊ" in r.stderr, r.stderr

    daemon = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "run", "--no-sync"],
        env=live_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def alive():
            with store.sessions() as s:
                return daemon_alive(s, station.id)

        wait_for(alive, timeout=30)
        r = bc(live_env, "live", "--duration", "2")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "Phát trực tiếp từ đài (2 giây)" in r.stdout, r.stdout

        def done():
            with store.sessions() as s:
                occ = s.scalar(select(Occurrence).where(Occurrence.title.like("Phát trực tiếp%")))
                if occ is not None and occ.status not in (AirStatus.PENDING, AirStatus.PLAYING):
                    return occ
            return None

        occ = wait_for(done, timeout=30)
    finally:
        daemon.terminate()
        _, err = daemon.communicate(timeout=20)
    assert occ.status == AirStatus.PLAYED and occ.priority == Priority.PRIORITY, (occ.reason, err[-2000:])
    assert occ.on_duty == "dòng lệnh"
    with store.sessions() as s:
        (entry,) = s.scalars(select(AsRunEntry).where(AsRunEntry.occurrence_id == occ.id)).all()
        assert entry.status == AirStatus.PLAYED, entry.reason
        assert entry.reason.startswith("Phát trực tiếp từ đài 2,0 giây"), entry.reason
        assert abs((entry.ended_at - entry.started_at).total_seconds() - 2.0) < 0.5
    pcm = read_wav(out)
    assert len(pcm) == 2 * 2 * config.sample_rate  # exactly its length, 16-bit mono
    heard = tones(pcm, config.sample_rate, 0.25)
    assert heard.count(660) >= 7, heard  # the capture input, not silence
