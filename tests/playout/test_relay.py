"""Relaying a live stream from a real icecast2 fed by ffmpeg: on time, through a drop, past a silent stream.

What aired is read back from the recording (which tone, when) and from the as-run row (seconds
relayed, seconds filled, and why).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import threading
import time
import wave

import pytest
from sqlalchemy import select

from broadcaster.db import utcnow
from broadcaster.models import AirStatus, AsRunEntry, ItemType, Occurrence, ProgrammeItem
from broadcaster.playout import play_programme_once

from .conftest import (
    RATE,
    Reader,
    add_once,
    add_programme,
    add_segment,
    make_tone,
    tones,
    wait_for,
    whole_seconds_from_now,
    zone_with_sink,
)

#: Real-time scenarios: marked slow, so a parallel run starts them first.
pytestmark = pytest.mark.slow

UPSTREAM = "sine=frequency=440:sample_rate=44100"
FALLBACK_HZ = 1000


def _tones(path, window_s: float = 0.25) -> list[int]:
    """Give back the loudest frequency of each window of a WAV (0 for silence), to 10 Hz."""
    with wave.open(str(path)) as w:
        return tones(w.readframes(w.getnframes()), w.getframerate(), window_s)


def test_cli_relays_the_stream_on_time_into_the_sink(icecast, env, config, store, station):
    icecast.feed("/huyen.mp3", UPSTREAM)
    out = config.data_dir / "relay.wav"
    at = whole_seconds_from_now(8)  # the command's start and the stream's opening on a loaded machine
    res = subprocess.run(
        [sys.executable, "-m", "broadcaster.cli", "play", "--relay", icecast.url("/huyen.mp3"),
         "--duration", "4", "--at", at.isoformat(), "--sink", f"file:{out}?realtime=1"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Tiếp sóng 4,0 giây." in res.stdout
    heard = _tones(out)
    assert len(heard) == 16 and heard.count(440) >= 15, heard
    with store.sessions() as s:
        (entry,) = s.query(AsRunEntry).all()
        assert entry.item_type == ItemType.RELAY and entry.status == AirStatus.PLAYED
        assert entry.reason == "Tiếp sóng 4,0 giây."
        assert entry.title == "Tiếp sóng 127.0.0.1/huyen.mp3"
        assert abs((entry.started_at - at).total_seconds()) < 0.5  # opened ahead: no open delay


def _air_in_thread(store, config, **kw):
    box = {}
    t = threading.Thread(target=lambda: box.update(occ=play_programme_once(store, config, **kw)), daemon=True)
    t.start()
    return t, box


def test_a_drop_mid_relay_plays_the_fallback_and_the_relay_comes_back(
    icecast, config, store, station, tmp_path
):
    feeder = icecast.feed("/huyen.mp3", UPSTREAM)
    fallback = make_tone(tmp_path / "fb.wav", FALLBACK_HZ, 1.0)
    out = config.data_dir / "drop.wav"
    at = whole_seconds_from_now(3)
    t, box = _air_in_thread(
        store, config, relay_url=icecast.url("/huyen.mp3"), relay_s=10, fallback_path=str(fallback),
        at=at, sink=f"file:{out}?realtime=1",
    )  # fmt: skip
    time.sleep(max(0.0, (at - utcnow()).total_seconds()) + 3)
    feeder.kill()  # the district's stream drops 3 s into the relay
    feeder.wait()
    time.sleep(3)
    icecast.feed("/huyen.mp3", UPSTREAM)  # and comes back 3 s later
    t.join(30)
    occ = box["occ"]
    (entry,) = occ.entries
    assert entry.status == AirStatus.PLAYED
    assert "luồng bị ngắt" in entry.reason and "có lại tín hiệu" in entry.reason, entry.reason
    assert "phát thay bằng tệp «fb.wav»" in entry.reason
    heard = _tones(out)
    assert len(heard) == 40, heard
    # The stream, then the fallback while it was away, then the stream again: nothing silent.
    runs = [heard[0]]
    for f in heard[1:]:
        if f != runs[-1]:
            runs.append(f)
    assert runs == [440, FALLBACK_HZ, 440], heard
    assert 0 not in heard
    filled = heard.count(FALLBACK_HZ) / 4
    assert 2.5 <= filled <= 7, heard
    said = re.search(r"Tiếp sóng (\d+,\d) giây, phát thay bằng tệp «fb.wav» (\d+,\d) giây", entry.reason)
    relayed_s, filled_s = (float(x.replace(",", ".")) for x in said.groups())
    assert relayed_s + filled_s == 10.0 and abs(filled_s - filled) <= 0.5, (entry.reason, heard)


def test_a_silent_stream_gives_way_to_the_fallback(icecast, config, store, station, tmp_path):
    icecast.feed("/im.mp3", "anullsrc=channel_layout=mono:sample_rate=44100")
    fallback = make_tone(tmp_path / "fb.wav", FALLBACK_HZ, 1.0)
    out = config.data_dir / "silent.wav"
    quick = dataclasses.replace(config, relay_silence=2.0)
    occ = play_programme_once(
        store, quick, relay_url=icecast.url("/im.mp3"), relay_s=5, fallback_path=str(fallback),
        at=whole_seconds_from_now(3), sink=f"file:{out}?realtime=1",
    )  # fmt: skip
    (entry,) = occ.entries
    assert "luồng im lặng quá 2,0 giây" in entry.reason, entry.reason
    heard = _tones(out)
    # The stream's silence is aired for 2 s (it might be a pause), then the fallback.
    assert heard[:8] == [0] * 8 and heard[9:] == [FALLBACK_HZ] * (len(heard) - 9), heard


def test_a_stream_that_never_opens_fails_with_the_fallback_on_air(icecast, config, store, station, tmp_path):
    fallback = make_tone(tmp_path / "fb.wav", FALLBACK_HZ, 1.0)
    out = config.data_dir / "none.wav"
    chosen = dataclasses.replace(config, relay_fallback=str(fallback))  # BROADCASTER_RELAY_FALLBACK
    occ = play_programme_once(
        store, chosen, relay_url=icecast.url("/khong-co.mp3"), relay_s=3,
        at=whole_seconds_from_now(3), sink=f"file:{out}?realtime=1",
    )  # fmt: skip
    (entry,) = occ.entries
    assert entry.status == AirStatus.FAILED and occ.status == AirStatus.FAILED
    assert entry.reason.startswith("Tiếp sóng 0,0 giây, phát thay bằng tệp «fb.wav» 3,0 giây (")
    assert "không mở được luồng (" in entry.reason, entry.reason  # and ffmpeg's reason
    assert set(_tones(out)) == {FALLBACK_HZ}


def test_daemon_airs_a_scheduled_relay_item_into_the_zone_mount(
    icecast, config, store, session, station, run_daemon
):
    """Upstream → relay item of a scheduled programme → the zone's own Icecast mount → a listener."""
    icecast.feed("/huyen.mp3", UPSTREAM)
    zone = zone_with_sink(session, station, icecast.sink("/thon-1.mp3"))
    seg = add_segment(session, station, config, "Lời giới thiệu", freq=660, secs=1.0)
    prog = add_programme(session, station, [seg])
    prog.items.append(
        ProgrammeItem(
            position=1, item_type=ItemType.RELAY, stream_url=icecast.url("/huyen.mp3"), duration_s=3
        )
    )
    at = whole_seconds_from_now(4)
    add_once(session, station, prog, zone, at, config.tz)
    session.commit()
    run_daemon()
    wait_for(lambda: "/thon-1.mp3" in icecast.stats(), timeout=15)  # the zone's mount, opened ahead
    reader = Reader(icecast.url("/thon-1.mp3"))
    try:

        def final():
            with store.sessions() as s:
                occ = s.scalar(select(Occurrence).where(Occurrence.programme_id == prog.id))
                return (
                    occ
                    if occ is not None and occ.status not in (AirStatus.PENDING, AirStatus.PLAYING)
                    else None
                )

        occ = wait_for(final, timeout=30)
        time.sleep(3.0)  # the tail through the encoder, the server and a loaded listener
        heard = tones(reader.pcm, RATE, 0.25)
    finally:
        reader.stop()
    assert occ.status == AirStatus.PLAYED, occ.reason
    with store.sessions() as s:
        relay = s.scalar(
            select(AsRunEntry).where(AsRunEntry.occurrence_id == occ.id, AsRunEntry.position == 1)
        )
        assert relay.item_type == ItemType.RELAY and relay.reason == "Tiếp sóng 3,0 giây."
        assert relay.sink == f"icecast://source:***@127.0.0.1:{icecast.port}/thon-1.mp3"
    runs: list[list[int]] = []  # [tone, windows]
    for f in heard:
        if runs and runs[-1][0] == f:
            runs[-1][1] += 1
        else:
            runs.append([f, 1])
    # What the listener heard for at least half a second (an encoder's onset may blur one window).
    assert [f for f, n in runs if f and n >= 2] == [660, 440], " ".join(map(str, heard))
    assert heard.count(660) >= 3 and heard.count(440) >= 10, " ".join(map(str, heard))


def test_an_hls_stream_is_relayed(config, store, station, tmp_path):
    """A live HLS stream (ffmpeg writing 1 s AAC segments, served over HTTP) relayed like Icecast."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    hls = tmp_path / "hls"
    hls.mkdir()
    writer = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", UPSTREAM,
         "-c:a", "aac", "-b:a", "64k", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
         "-hls_flags", "delete_segments", str(hls / "live.m3u8")],
    )  # fmt: skip
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(hls))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = config.data_dir / "hls.wav"
    try:
        wait_for(lambda: len(list(hls.glob("*.ts"))) >= 3, timeout=15)
        url = f"http://127.0.0.1:{server.server_address[1]}/live.m3u8"
        occ = play_programme_once(
            store,
            config,
            relay_url=url,
            relay_s=3,
            at=whole_seconds_from_now(3),
            sink=f"file:{out}?realtime=1",
        )
    finally:
        server.shutdown()
        writer.kill()
        writer.wait()
    (entry,) = occ.entries
    assert entry.status == AirStatus.PLAYED and entry.item_type == ItemType.RELAY
    assert entry.reason == "Tiếp sóng 3,0 giây.", entry.reason
    assert _tones(out).count(440) >= 11
