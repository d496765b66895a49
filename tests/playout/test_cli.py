"""The playout commands as an officer runs them, the systemd protocol, and schedule conflicts."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import date, time, timedelta

from broadcaster.models import Recurrence, Schedule
from broadcaster.playout import find_conflicts

from .conftest import add_once, add_programme, add_segment, make_tone, whole_seconds_from_now, zone_with_sink


def bc(env, *args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "broadcaster.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_daemon_speaks_sd_notify_and_stops_cleanly(store, env, tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(20)
    proc = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "run"],
        env={**env, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        got = []
        while not any("WATCHDOG=1" in m for m in got):
            got.append(sock.recv(4096).decode())
        assert got[0].startswith("READY=1")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
        sock.close()
    assert proc.returncode == 0
    assert "Bộ phát đã dừng" in err


def test_bad_configuration_exits_2_with_one_line(env):
    res = bc({**env, "BROADCASTER_SINK": "loa-kèn"}, "run")
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "SINK" in res.stderr


def test_play_a_file_at_a_precise_time_then_status(store, env, config, session, station):
    wav = make_tone(config.data_dir / "in" / "tb.wav", 500, 0.3)
    out = config.data_dir / "out.wav"
    at = whole_seconds_from_now(1).astimezone(config.tz).replace(tzinfo=None).isoformat()
    res = bc(env, "play", str(wav), "--at", at, "--sink", f"file:{out}")
    assert res.returncode == 0, res.stderr
    assert "Đã phát" in res.stdout
    assert out.stat().st_size == 44 + int(0.3 * 44100) * 2
    zone = zone_with_sink(session, station, "null")
    prog = add_programme(
        session, station, [add_segment(session, station, config, "Tin")], title="Chuyên mục sáng"
    )
    add_once(session, station, prog, zone, whole_seconds_from_now(3600), config.tz)
    from broadcaster.playout import plan

    plan(session, station, whole_seconds_from_now(0), hours=48)
    session.commit()
    res = bc(env, "status")
    assert res.returncode == 0
    assert "KHÔNG chạy" in res.stdout and "Chuyên mục sáng" in res.stdout and "Toàn xã" in res.stdout
    res = bc(env, "play", "--programme", "9999", "--in", "0")
    assert res.returncode == 1 and "Không có chương trình số 9999" in res.stderr
    res = bc(env, "emergency")
    assert res.returncode == 2


def daily(station, prog, zone, hh, mm, window, name, **kw):
    s = Schedule(
        station_id=station.id,
        programme_id=prog.id,
        name=name,
        recurrence=kw.pop("recurrence", Recurrence.DAILY),
        start_time=time(hh, mm),
        window_minutes=window,
        start_date=kw.pop("start_date", date(2026, 1, 1)),
        skip_dates=[],
        **kw,
    )
    s.zones = [zone]
    return s


def test_conflicts_name_the_other_schedule_and_first_clash(session, station, config):
    zone = station.zones[0]
    prog = add_programme(session, station, [add_segment(session, station, config, "Tin")])
    morning = daily(station, prog, zone, 5, 30, 30, "Buổi sáng")
    session.add(morning)
    session.flush()
    now = whole_seconds_from_now(0)
    # The morning programme is 0.4 s long: it holds the loudspeakers 05:30-05:32 (2 minutes' margin).
    clash = daily(station, prog, zone, 5, 31, 15, "Tin nhanh", recurrence=Recurrence.WEEKLY, weekdays=[2])
    msgs = find_conflicts(session, clash, now=now)
    assert len(msgs) == 1 and "Buổi sáng" in msgs[0] and "05:31" in msgs[0] and "Toàn xã" in msgs[0]
    first = (now.astimezone(config.tz) + timedelta(days=(2 - now.astimezone(config.tz).weekday()) % 7)).date()
    assert (
        first.strftime("%d/%m/%Y") in msgs[0] or (first + timedelta(days=7)).strftime("%d/%m/%Y") in msgs[0]
    )
    after = daily(station, prog, zone, 6, 0, 15, "Sau buổi sáng")
    assert find_conflicts(session, after, now=now) == []  # back to back is not a clash
    other_zone_clash = daily(station, prog, zone, 5, 40, 10, "Khác cụm")
    other_zone_clash.zones = []
    assert find_conflicts(session, other_zone_clash, now=now) == []
    assert "ít nhất một cụm loa" in " ".join(
        __import__("broadcaster.playout", fromlist=["x"]).validate_schedule(
            other_zone_clash, require_zones=True
        )
    )
