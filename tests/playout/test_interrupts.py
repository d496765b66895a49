"""Emergencies, stops, misfires, clock jumps and bad input, against a daemon with real sinks."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from broadcaster.models import AirStatus, AsRunEntry, Occurrence, Priority
from broadcaster.playout import (
    SINKS,
    OffsetClock,
    Sink,
    import_audio,
    register_sink,
    request_emergency,
    request_stop,
)

from .conftest import (
    add_once,
    add_programme,
    add_segment,
    make_tone,
    wait_for,
    whole_seconds_from_now,
    zone_with_sink,
)

READER = Path(__file__).with_name("pcm_reader.py")


def reader_sink(log: Path, *extra: str) -> str:
    return f"command:{sys.executable} {READER} {log} " + " ".join(extra)


def reader_log(log: Path) -> list[tuple[int, str, float]]:
    if not log.exists():
        return []
    return [(int(p), k, float(v)) for p, k, v in (line.split() for line in log.read_text().splitlines())]


def occ_of(store, **where):
    with store.sessions() as s:
        q = select(Occurrence)
        for k, v in where.items():
            q = q.where(getattr(Occurrence, k) == v)
        return s.scalars(q.order_by(Occurrence.id)).all()


def entries_of(store, occ_id):
    with store.sessions() as s:
        return s.scalars(
            select(AsRunEntry)
            .where(AsRunEntry.occurrence_id == occ_id)
            .order_by(AsRunEntry.position, AsRunEntry.attempt)
        ).all()


@pytest.mark.slow
def test_emergency_cuts_within_a_second_and_the_programme_resumes(
    store, config, session, station, run_daemon
):
    log = config.data_dir / "reader.log"
    zone = zone_with_sink(session, station, reader_sink(log))
    long = add_segment(session, station, config, "Tin dài", freq=440, secs=3.0)
    prog = add_programme(session, station, [long])
    at = whole_seconds_from_now(2)
    add_once(session, station, prog, zone, at, config.tz, on_interrupt="resume")
    session.commit()
    alarm = make_tone(config.data_dir / "incoming" / "khan.wav", 880, 0.5)

    run_daemon()
    wait_for(lambda: [o for o in occ_of(store, programme_id=prog.id) if o.status == AirStatus.PLAYING])
    time.sleep(0.8)
    rel = import_audio(config, alarm)
    requested = time.time()
    with store.sessions.begin() as s:
        request_emergency(s, station.id, asset_path=rel, by="kiểm thử")

    def finished():
        occs = occ_of(store, station_id=station.id)
        return len(occs) == 2 and all(o.status == AirStatus.PLAYED for o in occs) and occs

    normal, urgent = wait_for(finished, 20)
    assert urgent.priority == Priority.EMERGENCY and urgent.schedule_id is None
    starts = [t for _, kind, t in reader_log(log) if kind == "start"]
    assert len(starts) == 3  # programme, emergency, programme again
    assert 0 < starts[1] - requested < 1.0, f"emergency first byte {starts[1] - requested:.3f}s after request"
    got = [(e.position, e.attempt, e.status) for e in entries_of(store, normal.id)]
    assert got == [(0, 0, AirStatus.INTERRUPTED), (0, 1, AirStatus.PLAYED)]
    assert "khẩn cấp" in entries_of(store, normal.id)[0].reason
    assert [e.status for e in entries_of(store, urgent.id)] == [AirStatus.PLAYED]


def test_stop_request_ends_the_airing_and_logs_who(store, config, session, station, run_daemon):
    zone = zone_with_sink(session, station, "null")
    a = add_segment(session, station, config, "Tin dài", secs=4.0)
    b = add_segment(session, station, config, "Tin sau", secs=0.3)
    prog = add_programme(session, station, [a, b])
    add_once(session, station, prog, zone, whole_seconds_from_now(1), config.tz)
    session.commit()
    run_daemon()
    wait_for(lambda: [o for o in occ_of(store, programme_id=prog.id) if o.status == AirStatus.PLAYING])
    with store.sessions.begin() as s:
        cmd = request_stop(s, station.id, "chị Hòa")
        cmd_id = cmd.id
    (occ,) = wait_for(
        lambda: [o for o in occ_of(store, programme_id=prog.id) if o.status == AirStatus.INTERRUPTED], 5
    )
    assert [e.status for e in entries_of(store, occ.id)] == [AirStatus.INTERRUPTED]
    assert "chị Hòa" in entries_of(store, occ.id)[0].reason
    from broadcaster.models import ControlCommand

    with store.sessions() as s:
        assert "Đã dừng 1" in s.get(ControlCommand, cmd_id).result


def test_misfire_within_grace_plays_from_the_start_beyond_grace_is_missed(
    store, config, session, station, run_daemon
):
    out = config.data_dir / "aired.wav"
    zone = zone_with_sink(session, station, f"file:{out}")
    a = add_segment(session, station, config, "Tin", secs=0.3)
    prog_late = add_programme(session, station, [a], title="Trễ trong hạn")
    prog_gone = add_programme(session, station, [a], title="Quá hạn")
    now = whole_seconds_from_now(0)
    add_once(session, station, prog_late, zone, now - timedelta(seconds=20), config.tz, backdate=True)
    add_once(
        session,
        station,
        prog_gone,
        zone,
        now - timedelta(seconds=40),
        config.tz,
        backdate=True,
        misfire_grace_s=10,
    )
    session.commit()
    run_daemon()
    (late,) = wait_for(
        lambda: [o for o in occ_of(store, programme_id=prog_late.id) if o.status == AirStatus.PLAYED]
    )
    (gone,) = wait_for(
        lambda: [o for o in occ_of(store, programme_id=prog_gone.id) if o.status == AirStatus.MISSED]
    )
    assert "quá 10 giây" in gone.reason
    assert entries_of(store, gone.id) == []
    assert [e.status for e in entries_of(store, late.id)] == [AirStatus.PLAYED]
    assert out.stat().st_size == 44 + int(0.3 * 44100) * 2  # aired once, whole, from its beginning


def test_wall_clock_jump_replans_at_once(store, config, session, station, run_daemon):
    cfg = config.with_overrides(plan_hours=1)
    zone = zone_with_sink(session, station, "null")
    a = add_segment(session, station, config, "Tin", secs=0.2)
    prog = add_programme(session, station, [a])
    at = whole_seconds_from_now(3 * 3600 + 3)  # beyond the 1 h horizon until the clock jumps
    add_once(session, station, prog, zone, at, config.tz)
    session.commit()
    clock = OffsetClock(0)
    run_daemon(cfg, clock=clock)
    time.sleep(1.5)
    assert occ_of(store, programme_id=prog.id) == []
    clock.offset = 3 * 3600.0  # NTP steps the clock three hours forward
    (occ,) = wait_for(
        lambda: [o for o in occ_of(store, programme_id=prog.id) if o.status == AirStatus.PLAYED], 15
    )
    assert abs((occ.started_at - at).total_seconds()) < 0.5


def test_bad_audio_and_dying_player_fail_items_but_the_rest_airs(store, config, session, station, run_daemon):
    log = config.data_dir / "reader.log"
    marker = config.data_dir / "died-once"
    zone = zone_with_sink(
        session, station, reader_sink(log, "--fast", "--die-after", "20000", "--once-marker", str(marker))
    )
    first = add_segment(session, station, config, "Tin bị cắt", secs=1.0)
    corrupt = add_segment(session, station, config, "Tin hỏng", secs=0.2)
    (config.media_dir / corrupt.upload_asset.path).write_bytes(b"RIFF\0\0\0\0WAVEjunk" * 10)
    missing = add_segment(session, station, config, "Tin mất tệp", secs=0.2)
    (config.media_dir / missing.upload_asset.path).unlink()
    last = add_segment(session, station, config, "Tin cuối", secs=0.5)
    prog = add_programme(session, station, [first, corrupt, missing, last])
    add_once(session, station, prog, zone, whole_seconds_from_now(1), config.tz)
    session.commit()
    run_daemon()
    (occ,) = wait_for(
        lambda: [o for o in occ_of(store, programme_id=prog.id) if o.status == AirStatus.PLAYED], 20
    )
    entries = entries_of(store, occ.id)
    assert [e.status for e in entries] == [
        AirStatus.FAILED,
        AirStatus.FAILED,
        AirStatus.FAILED,
        AirStatus.PLAYED,
    ]
    assert "dừng giữa chừng" in entries[0].reason
    assert (
        entries[1].reason
        and entries[2].reason
        and "mất tệp" in entries[2].reason
        or "Không" in entries[2].reason
    )
    ends = [v for _, k, v in reader_log(log) if k == "end"]
    assert ends == [int(0.5 * 44100) * 2]  # the next item aired whole on a fresh player
    assert "3 mục lỗi" in occ.reason


def test_full_disk_fails_the_item_with_a_clear_reason(store, config, session, station, run_daemon):
    zone = zone_with_sink(session, station, "file:/dev/full")
    a = add_segment(session, station, config, "Tin", secs=0.2)
    prog = add_programme(session, station, [a])
    add_once(session, station, prog, zone, whole_seconds_from_now(1), config.tz)
    session.commit()
    run_daemon()
    (occ,) = wait_for(
        lambda: [o for o in occ_of(store, programme_id=prog.id) if o.status == AirStatus.FAILED]
    )
    assert "Đĩa đầy" in occ.reason
    assert [e.status for e in entries_of(store, occ.id)] == [AirStatus.FAILED]


def ended_airings(store, programme_id: int) -> list[Occurrence]:
    ongoing = (AirStatus.PENDING, AirStatus.PLAYING)
    return [o for o in occ_of(store, programme_id=programme_id) if o.status not in ongoing]


def test_overrun_stops_at_the_window_end(store, config, session, station, run_daemon):
    # A one-minute window opened ~57 s ago: the 5 s item is cut where the window closes.
    out = config.data_dir / "aired.wav"
    zone = zone_with_sink(session, station, f"file:{out}")
    a = add_segment(session, station, config, "Tin dài", secs=5.0)
    b = add_segment(session, station, config, "Tin sau", secs=0.5)
    prog = add_programme(session, station, [a, b])
    at = whole_seconds_from_now(1)
    add_once(
        session, station, prog, zone, at - timedelta(seconds=58), config.tz, window_minutes=1, backdate=True
    )
    session.commit()
    run_daemon()
    (occ,) = wait_for(lambda: ended_airings(store, prog.id), 15)
    assert occ.status == AirStatus.PLAYED, occ.reason
    entries = entries_of(store, occ.id)
    assert [e.status for e in entries] == [AirStatus.INTERRUPTED, AirStatus.SKIPPED]
    assert "Hết khung giờ" in entries[0].reason
    aired_s = (out.stat().st_size - 44) / 2 / 44100
    window_left = (occ.scheduled_at + timedelta(minutes=1) - occ.started_at).total_seconds()
    assert abs(aired_s - window_left) < 0.01


def test_a_start_after_the_window_closed_is_missed_not_played(store, config, session, station, run_daemon):
    # The PC comes back 10 s after a one-minute window closed (well within the misfire grace): a
    # schedule that stops at its window's end has nothing left to air, and the log must not say played.
    out = config.data_dir / "aired.wav"
    zone = zone_with_sink(session, station, f"file:{out}")
    prog = add_programme(session, station, [add_segment(session, station, config, "Tin", secs=1.0)])
    at = whole_seconds_from_now(0) - timedelta(seconds=70)
    add_once(session, station, prog, zone, at, config.tz, window_minutes=1, backdate=True, overrun="stop")
    session.commit()
    run_daemon()
    (occ,) = wait_for(lambda: ended_airings(store, prog.id), 10)
    assert occ.status == AirStatus.MISSED
    assert "khung giờ phát đã hết" in occ.reason
    assert occ.started_at is None and entries_of(store, occ.id) == []
    assert not out.exists() or out.stat().st_size <= 44


class SlowOpenSink(Sink):
    """An output that takes ARG seconds to open (a sound card still waking up), then discards the sound."""

    NAME = "slowopen"

    def open(self) -> None:
        time.sleep(float(self.arg))

    def _write(self, pcm: bytes) -> None:
        self.wrote = getattr(self, "wrote", 0) + len(pcm)


@pytest.fixture
def slow_open_sink():
    register_sink(SlowOpenSink)
    yield "slowopen:2"
    SINKS.pop(SlowOpenSink.NAME, None)


def test_a_window_that_closes_before_the_first_sample_is_missed(
    store, config, session, station, run_daemon, slow_open_sink
):
    # The airing starts inside its window, but the output takes 2 s to open and the window closes
    # meanwhile: no sample went out, so every item is skipped and the airing is missed, not played.
    zone = zone_with_sink(session, station, slow_open_sink)
    a = add_segment(session, station, config, "Tin", secs=1.0)
    b = add_segment(session, station, config, "Tin sau", secs=0.5)
    prog = add_programme(session, station, [a, b])
    at = whole_seconds_from_now(0) - timedelta(seconds=59)  # its window closes ~1-2 s from now
    add_once(session, station, prog, zone, at, config.tz, window_minutes=1, backdate=True, overrun="stop")
    session.commit()
    run_daemon()
    (occ,) = wait_for(lambda: ended_airings(store, prog.id), 15)
    assert occ.status == AirStatus.MISSED, (occ.status, occ.reason)
    assert "hết trước khi kịp phát" in occ.reason
    assert occ.started_at is None
    entries = entries_of(store, occ.id)
    assert [e.status for e in entries] == [AirStatus.SKIPPED, AirStatus.SKIPPED]
    assert all(e.duration_ms in (None, 0) for e in entries)
    assert all("Hết khung giờ phát" in e.reason for e in entries)
