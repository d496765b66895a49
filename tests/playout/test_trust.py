"""What the as-run log calls aired really reached the output: a real daemon process, a real reader.

The sink is ``pcm_reader.py`` run as a ``command:`` player: it consumes the stream at real-time pace
(as aplay does) and logs when the first and the last byte arrived and how many bytes it got.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from broadcaster.config import load
from broadcaster.content import SegmentFields, create_segment, create_user
from broadcaster.models import (
    AirStatus,
    AsRunEntry,
    ControlCommand,
    Occurrence,
    Priority,
    Segment,
    SegmentKind,
    SegmentStatus,
)
from broadcaster.playout import auto_output, command_result, request_stop
from broadcaster.playout._commands import AirNow, to_row
from broadcaster.playout._sinks import has_sound_card

from .conftest import (
    add_once,
    add_programme,
    add_segment,
    make_tone,
    wait_for,
    whole_seconds_from_now,
    zone_with_sink,
)
from .test_interrupts import reader_log, reader_sink

#: Real-time scenarios: marked slow, so a parallel run starts them first.
pytestmark = pytest.mark.slow

RATE = 44100


def start_daemon(env, log_to=None):
    return subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log_to, "ab") if log_to else subprocess.DEVNULL,
    )


def stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0


def kill(proc) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def final(store, occ_id):
    with store.sessions() as s:
        occ = s.get(Occurrence, occ_id)
        return occ if occ.status not in (AirStatus.PENDING, AirStatus.PLAYING) else None


def entries(store, occ_id):
    with store.sessions() as s:
        return s.scalars(
            select(AsRunEntry).where(AsRunEntry.occurrence_id == occ_id).order_by(AsRunEntry.position)
        ).all()


def occurrences(store, schedule_ids):
    with store.sessions() as s:
        return s.scalars(
            select(Occurrence)
            .where(Occurrence.schedule_id.in_(schedule_ids))
            .order_by(Occurrence.scheduled_at)
        ).all()


def readers(log):
    """Give back, per reader process (one per airing), its first-byte time, last-byte time and bytes."""
    out: dict[int, dict] = {}
    for pid, kind, value in reader_log(log):
        out.setdefault(pid, {})[kind] = value
    return sorted(out.values(), key=lambda r: r["start"])


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def test_writes_just_before_air_and_a_truncated_file_never_log_silence_as_played(
    store, config, session, station, env
):
    log = config.data_dir / "reader.log"
    zone = zone_with_sink(session, station, reader_sink(log))
    # Short tones, slots 4 s apart: each airing (1.6 s) is over before the next one's write.
    a = add_segment(session, station, config, "Tin một", freq=440, secs=1.0)
    b = add_segment(session, station, config, "Tin hai", freq=660, secs=0.6)
    prog = add_programme(session, station, [a, b])
    # A WAV cut to 100 bytes in a programme: its item fails at prepare time, the rest airs.
    cut_wav = make_tone(config.data_dir / "full.wav", 550, 3.0)
    broken = add_segment(session, station, config, "Tin hỏng", file=cut_wav, secs=3.0)
    (config.media_dir / broken.upload_asset.path).write_bytes(cut_wav.read_bytes()[:100])
    prog_broken = add_programme(session, station, [broken, a], title="Chuyên mục có tệp hỏng")
    editor = create_user(session, station, "bientap", "mat-khau-dai-123", "editor")
    first = whole_seconds_from_now(8)
    slots = [first + timedelta(seconds=4 * i) for i in range(4)]
    scheds = [add_once(session, station, prog, zone, at, config.tz) for at in slots]
    last = add_once(session, station, prog_broken, zone, slots[-1] + timedelta(seconds=4), config.tz)
    session.commit()

    journal = config.data_dir / "daemon.log"
    proc = start_daemon(env, journal)
    try:
        for i, at in enumerate(slots):
            if i % 2 == 0:
                # An unrelated write 2 s before air (another process: this test), through the service.
                wait_for(lambda at=at: datetime.now(UTC) >= at - timedelta(seconds=2), 30, 0.01)
                with store.sessions.begin() as s:
                    fields = SegmentFields(title=f"Nháp {i}", body="Một tin nháp chưa duyệt.")
                    create_segment(s, station.id, s.merge(editor), fields)
        occs = occurrences(store, [x.id for x in scheds] + [last.id])
        try:
            done = wait_for(lambda: all(final(store, o.id) for o in occs) and occs, 40, 0.2)
        except AssertionError:
            raise AssertionError(journal.read_text()[-3000:]) from None
    finally:
        stop(proc)

    one = len(open_pcm(config, a)) + len(open_pcm(config, b))
    got = readers(log)
    assert len(got) == 5, ([(o.status, o.reason) for o in map(lambda o: final(store, o.id), done)], got)
    for occ, rd in zip(done[:4], got[:4], strict=True):
        occ = final(store, occ.id)
        assert occ.status == AirStatus.PLAYED and occ.reason is None
        assert rd["end"] == one, "every byte of the programme reached the output"
        ea, eb = entries(store, occ.id)
        assert (ea.status, eb.status) == (AirStatus.PLAYED, AirStatus.PLAYED)
        assert ea.duration_ms == 1000 and eb.duration_ms == 600
        # Item times are when the output consumed the sound, not when a write into the pipe returned.
        heard_a_end = rd["start"] + len(open_pcm(config, a)) / (2 * RATE)
        assert abs((ea.ended_at - utc(heard_a_end)).total_seconds()) < 0.2, (ea.ended_at, utc(heard_a_end))
        assert abs((eb.started_at - utc(heard_a_end)).total_seconds()) < 0.2
        assert abs((eb.ended_at - utc(rd["last"])).total_seconds()) < 0.2
        assert abs((ea.started_at - utc(rd["start"])).total_seconds()) < 0.2

    occ = final(store, done[4].id)
    bad, good = entries(store, occ.id)
    assert bad.status == AirStatus.FAILED and "bị cắt cụt" in bad.reason
    assert bad.duration_ms == 0
    assert good.status == AirStatus.PLAYED and good.duration_ms == 1000
    assert got[4]["end"] == len(open_pcm(config, a))
    assert occ.status == AirStatus.PLAYED and occ.reason.startswith("1 mục lỗi")
    text = journal.read_text()
    assert "Đã phát «Chuyên mục có tệp hỏng», nhưng chưa trọn vẹn: 1 mục lỗi" in text
    assert "«Chuyên mục có tệp hỏng» (trọn vẹn)" not in text


def open_pcm(config, seg):
    from broadcaster.playout._media import load_pcm

    return load_pcm(config.media_dir / seg.upload_asset.path, RATE)


def test_a_crash_keeps_when_sound_last_flowed_and_a_played_out_airing_is_played(
    store, config, session, station, env
):
    log = config.data_dir / "reader.log"
    zone = zone_with_sink(session, station, reader_sink(log, "--linger", "4"))
    short = add_segment(session, station, config, "Tin ngắn", freq=440, secs=1.0)
    long = add_segment(session, station, config, "Tin dài", freq=660, secs=5.0)
    p_short = add_programme(session, station, [short], title="Ngắn")
    p_long = add_programme(session, station, [long], title="Dài")
    t1 = whole_seconds_from_now(4)
    s1 = add_once(session, station, p_short, zone, t1, config.tz)
    s2 = add_once(session, station, p_long, zone, t1 + timedelta(seconds=8), config.tz)
    session.commit()

    proc = start_daemon(env)
    try:
        # All of the short airing's audio reached the player, which is still playing out (lingers):
        # the daemon, waiting for it, is killed.
        wait_for(lambda: any("end" in r for r in readers(log)), 20, 0.02)
    finally:
        kill(proc)
    proc = start_daemon(env)
    try:
        (o1,) = occurrences(store, [s1.id])
        wait_for(lambda: final(store, o1.id), 10, 0.05)
        wait_for(lambda: len(readers(log)) == 2, 20, 0.02)
        time.sleep(2.6)  # into the long item, past a progress note
    finally:
        killed_at = datetime.now(UTC)
        kill(proc)
    time.sleep(2.0)
    proc = start_daemon(env)
    try:
        (o2,) = occurrences(store, [s2.id])
        wait_for(lambda: final(store, o2.id), 10, 0.05)
    finally:
        stop(proc)

    o1, o2 = final(store, o1.id), final(store, o2.id)
    assert o1.status == AirStatus.PLAYED, o1.reason
    (e1,) = entries(store, o1.id)
    assert e1.status == AirStatus.PLAYED and e1.duration_ms == 1000
    assert abs((e1.ended_at - (e1.started_at + timedelta(seconds=1))).total_seconds()) < 0.2

    assert o2.status == AirStatus.INTERRUPTED
    (e2,) = entries(store, o2.id)
    assert e2.status == AirStatus.INTERRUPTED
    # Closed at the last time sound was known to flow (at most a progress period before the kill),
    # not at the restart two seconds later.
    for t in (o2.ended_at, e2.ended_at):
        assert killed_at - timedelta(seconds=2.3) <= t <= killed_at + timedelta(seconds=0.7), (t, killed_at)
    assert 1000 <= e2.duration_ms <= 3300


def test_a_long_emergency_renders_off_the_loop_which_keeps_feeding_the_watchdog(store, session, station, env):
    # A real systemd-style notify socket: the daemon pets the watchdog only while its loop goes round.
    where = tempfile.mkdtemp(prefix="notify-")  # AF_UNIX paths must stay short
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(f"{where}/n.sock")
    sock.settimeout(0.2)
    pings: list[tuple[float, str]] = []
    listening = threading.Event()
    listening.set()

    def listen():
        while listening.is_set():
            try:
                pings.append((time.monotonic(), sock.recv(4096).decode()))
            except TimeoutError:
                pass

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    env = {**env, "NOTIFY_SOCKET": f"{where}/n.sock", "WATCHDOG_USEC": "2000000"}  # a ping a second
    text = "Bão số ba đang vào đất liền, bà con khẩn trương chằng chống nhà cửa, sơ tán người già. " * 320
    proc = start_daemon(env)
    try:
        wait_for(lambda: any("READY=1" in m for _, m in pings), 20, 0.05)
        with store.sessions.begin() as s:
            # The forms refuse such a text now (5,000 letters at most), but a long render must not
            # stall the daemon whatever its cause: the row is written as any writer of the schema.
            seg = Segment(
                station_id=station.id,
                title="Thông báo khẩn cấp dài",
                body=text,
                kind=SegmentKind.EMERGENCY,
                status=SegmentStatus.APPROVED,
            )
            s.add(seg)
            s.flush()
            action, payload = to_row(AirNow(urgent=True, segment_id=seg.id, engine="pyttsx3"))
            row = ControlCommand(station_id=station.id, action=action, payload=payload, requested_by="kt")
            s.add(row)
            s.flush()
            emergency = row.id
        asked = time.monotonic()
        time.sleep(1.0)
        with store.sessions.begin() as s:
            stop_id = request_stop(s, station.id, "kiểm thử").id

        def taken(cid):
            with store.sessions() as s:
                cmd = command_result(s, cid)
                return cmd.done_at is not None and cmd

        stop = wait_for(lambda: taken(stop_id), 5, 0.05)
        stop_taken = time.monotonic()
        assert taken(emergency).result.startswith("Đang chuẩn bị thông báo khẩn cấp")
        with store.sessions() as s:
            urgent = s.scalars(select(Occurrence).where(Occurrence.priority == Priority.EMERGENCY)).one()
            assert urgent.status == AirStatus.PENDING, "the stop was taken while the emergency still renders"
        assert stop.result == "Không có gì đang phát."

        def on_air():
            with store.sessions() as s:
                return s.get(Occurrence, urgent.id).status != AirStatus.PENDING

        wait_for(on_air, 180, 0.1)
        aired = time.monotonic()
    finally:
        stop_daemon_quietly(proc)
        listening.clear()
        t.join(2)
        sock.close()
    assert aired - asked > 4, "the render took long enough to tell a blocked loop from a free one"
    assert stop_taken - asked < 3
    beats = [at for at, m in pings if "WATCHDOG=1" in m and asked <= at <= aired]
    gaps = [b - a for a, b in zip([asked, *beats], [*beats, aired], strict=True)]
    assert max(gaps) < 2.5, f"the watchdog went unfed for {max(gaps):.1f} s while the emergency rendered"


def stop_daemon_quietly(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        kill(proc)


def test_auto_without_a_sound_card_records_in_real_time_and_names_the_file(
    store, config, session, station, run_daemon, env, caplog
):
    assert not has_sound_card(), "this test is about a PC without a sound card"
    cfg = load({**env, "BROADCASTER_SINK": "auto"})
    zone = zone_with_sink(session, station, "auto")
    seg = add_segment(session, station, config, "Tin", freq=440, secs=1.5)
    prog = add_programme(session, station, [seg])
    at = whole_seconds_from_now(2)
    add_once(session, station, prog, zone, at, config.tz)
    session.commit()

    caplog.set_level("INFO", logger="broadcaster.playout")
    run_daemon(cfg)
    (occ,) = wait_for(lambda: occurrences(store, _schedule_ids(store)), 10, 0.02)
    wait_for(lambda: final(store, occ.id), 20, 0.02)
    finished = datetime.now(UTC)
    occ = final(store, occ.id)
    assert occ.status == AirStatus.PLAYED
    # Paced like a loudspeaker: on air for as long as the sound lasts, not the instant of a disk write.
    assert finished >= at + timedelta(seconds=1.4)
    assert (occ.ended_at - occ.started_at).total_seconds() >= 1.4
    today = datetime.now(cfg.tz).date().isoformat()
    path = auto_output(cfg.data_dir, cfg.tz)
    assert path == (cfg.data_dir / "phat-song" / f"{today}.wav").resolve()
    assert path.stat().st_size == 44 + len(open_pcm(config, seg))
    line = next(r.getMessage() for r in caplog.records if "Đầu ra tự động" in r.getMessage())
    assert str(path) in line and "{date}" not in line.split(" (mỗi ngày")[0]


def _schedule_ids(store):
    from broadcaster.models import Schedule

    with store.sessions() as s:
        return list(s.scalars(select(Schedule.id)))


def test_a_real_change_before_air_is_prepared_again_and_one_during_air_never_cuts_the_sound(
    store, config, session, station, run_daemon
):
    out = config.data_dir / "aired.wav"
    zone = zone_with_sink(session, station, f"file:{out}?realtime=1")
    seg = add_segment(session, station, config, "Tin", freq=440, secs=1.0)
    new = add_segment(session, station, config, "Tin thu lại", freq=660, secs=1.2)
    prog = add_programme(session, station, [seg])
    t1 = whole_seconds_from_now(6)
    t2 = t1 + timedelta(seconds=4)
    add_once(session, station, prog, zone, t1, config.tz)
    add_once(session, station, prog, zone, t2, config.tz)
    session.commit()
    old_asset, new_asset = seg.upload_asset_id, new.upload_asset_id

    def recorded(asset_id: int) -> None:
        with store.sessions.begin() as s:
            s.get(type(seg), seg.id).upload_asset_id = asset_id  # the officer uploads a new recording

    run_daemon()
    wait_for(lambda: datetime.now(UTC) >= t1 - timedelta(seconds=2), 20, 0.01)
    recorded(new_asset)  # before air: the new recording airs
    assert datetime.now(UTC) < t1 - timedelta(seconds=1.5), "the machine is too slow for this test's timing"
    wait_for(lambda: datetime.now(UTC) >= t2 + timedelta(seconds=0.3), 20, 0.01)
    recorded(old_asset)  # on air: what the airing holds plays to the end
    occs = wait_for(lambda: occurrences(store, _schedule_ids(store)))
    wait_for(lambda: all(final(store, o.id) for o in occs))
    for occ in occs:
        (e,) = entries(store, occ.id)
        assert e.status == AirStatus.PLAYED and e.duration_ms == 1200
        assert e.audio_sha256 == new.upload_asset.sha256
    raw = out.read_bytes()[44:]
    assert raw == open_pcm(config, new) * 2


def test_a_file_that_decodes_to_no_sound_is_an_error_at_prepare_time(session, config):
    from broadcaster.playout._prepare import Content, prepare

    wav = make_tone(config.media_dir / "khan" / "bao.wav", 440, 2.0)
    wav.write_bytes(wav.read_bytes()[:100])  # 28 samples: under a millisecond
    got = prepare(session, config, Content(asset_path=str(wav)), local_day=datetime.now(UTC).date(), tag="t")
    (item,) = got.items
    assert item.error == "Tệp âm thanh «bao.wav» không có tiếng (chỉ 0 giây)." and item.nbytes == 0
