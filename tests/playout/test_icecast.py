"""The Icecast output against a real icecast2: three airings reach one listener over one source connection.

An ffmpeg reader stays on the mount for the whole test: it must hear each airing's tone, silence in
between, and never lose its session; icecast's own statistics must count one source connection.
The source password must be nowhere in the database file or the journal.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from conftest import free_port  # tests/ is on sys.path; "tests" is no package

from broadcaster.models import AirStatus
from broadcaster.playout import make_sink, play_programme_once
from broadcaster.playout._icecast import close_feeds, feeds

from .conftest import RATE, Reader, make_tone, tones


@pytest.mark.slow
def test_three_airings_over_one_source_connection(icecast, config, store, station, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="broadcaster")
    spec = icecast.sink("/xa.mp3")
    # The feed is the process's: opening a sink once starts it, and it stays up when the sink closes.
    first = make_sink(spec, sample_rate=config.sample_rate)
    first.open()
    first.close()
    reader = Reader(icecast.url("/xa.mp3"))
    try:
        deadline = time.monotonic() + 10
        while reader.seconds() < 0.5:
            assert time.monotonic() < deadline, "the listener got nothing from the mount"
            time.sleep(0.05)
        freqs = (500, 1000, 1500)
        occs = []
        for f in freqs:
            tone = make_tone(tmp_path / f"t{f}.wav", f, 1.5)
            occs.append(play_programme_once(store, config, asset_path=tone, sink=spec))
            time.sleep(1.0)  # between airings the feed sends silence; the connection stays
        time.sleep(1.5)  # the last tone's tail through the encoder and the server
        assert reader.proc.poll() is None, "the listener's session dropped"
        stats = icecast.stats()["/xa.mp3"]
        assert stats["listeners"] == "1"
        feed = next(fd for fd in feeds() if fd.target.port == icecast.port)
        assert feed.connections == 1  # never reconnected between items or airings
        heard = tones(reader.pcm, RATE, 0.1)
    finally:
        reader.stop()

    for occ in occs:
        assert occ.status == AirStatus.PLAYED, occ.reason
        (entry,) = occ.entries
        assert entry.status == AirStatus.PLAYED
        assert entry.sink == f"icecast://source:***@127.0.0.1:{icecast.port}/xa.mp3"
        assert entry.duration_ms == pytest.approx(1500, abs=30)
    # Each tone was heard for (about) its 1.5 s, in order, with silence between them.
    runs: list[tuple[int, int]] = []
    for f in heard:
        if runs and runs[-1][0] == f:
            runs[-1] = (f, runs[-1][1] + 1)
        else:
            runs.append((f, 1))
    loud = [(f, n) for f, n in runs if f and n >= 3]
    assert [f for f, _ in loud] == list(freqs), runs
    assert all(13 <= n <= 17 for _, n in loud), runs
    between = [n for f, n in runs[runs.index(loud[0]) : runs.index(loud[-1])] if f == 0]
    assert sum(between) >= 15, runs  # ~2 x 1 s of silence between the airings, not a filler
    # The airings' start times match what the listener heard, one gap apart.
    gap = (occs[1].entries[0].started_at - occs[0].entries[0].started_at) - timedelta(seconds=1.5)
    assert timedelta(seconds=0.9) < gap < timedelta(seconds=3)

    # The source password is in no as-run row, nowhere in the database file, never in the journal.
    secret = icecast.source_password.encode()
    store.engine.dispose()
    for f in config.data_dir.rglob("*"):
        if f.is_file():
            assert secret not in f.read_bytes(), f
    assert icecast.source_password not in caplog.text
    assert f"icecast://127.0.0.1:{icecast.port}/xa.mp3" in caplog.text  # it did log the connection


def test_unreachable_server_fails_the_item_with_a_reason(config, store, station, tmp_path):
    port = free_port()  # nothing listens there
    spec = f"icecast://source:khong-lo@127.0.0.1:{port}/x.mp3"
    try:
        occ = play_programme_once(
            store, config, asset_path=make_tone(tmp_path / "t.wav", 440, 0.5), sink=spec
        )
    finally:
        close_feeds()
    assert occ.status == AirStatus.FAILED
    assert "Không kết nối được máy chủ Icecast" in occ.reason and "khong-lo" not in occ.reason
    assert occ.entries[0].sink == f"icecast://source:***@127.0.0.1:{port}/x.mp3"


def test_between_airings_the_mount_carries_the_stations_filler(icecast, config, tmp_path):
    filler = make_tone(tmp_path / "nen.wav", 800, 0.5)
    sink = make_sink(icecast.sink("/nen.mp3") + f"?filler={filler}", sample_rate=config.sample_rate)
    sink.open()
    sink.close()  # no airing at all: the feed keeps the mount up with the filler, looped
    reader = Reader(icecast.url("/nen.mp3"))
    try:
        deadline = time.monotonic() + 10
        while reader.seconds() < 2.5:
            assert time.monotonic() < deadline, "the listener got too little from the mount"
            time.sleep(0.05)
        heard = tones(reader.pcm, RATE, 0.25)
    finally:
        reader.stop()
    assert heard.count(800) >= len(heard) - 2, heard  # the loop's seam may blur a window


def test_a_bad_sink_setting_is_refused_without_its_password(config):
    from broadcaster.config import ConfigError, load

    with pytest.raises(ConfigError) as err:
        load({"BROADCASTER_SINK": "Icecast://source:mk-9f3a@10.0.0.5:8000/xa.mp3"})
    assert "mk-9f3a" not in str(err.value) and "source:***@10.0.0.5" in str(err.value)


def test_the_source_connection_is_made_again_after_the_server_restarts(icecast, config):
    sink = make_sink(icecast.sink("/lai.mp3"), sample_rate=config.sample_rate)
    sink.open()
    sink.close()
    feed = next(fd for fd in feeds() if fd.target.port == icecast.port)
    assert feed.connections == 1
    icecast.restart()
    deadline = time.monotonic() + 20
    while not (feed.connections == 2 and feed.connected.is_set() and "/lai.mp3" in icecast.stats()):
        assert time.monotonic() < deadline, f"no new source connection: {feed.error}"
        time.sleep(0.1)
    again = make_sink(icecast.sink("/lai.mp3"), sample_rate=config.sample_rate)
    again.open()  # an airing after the restart finds the mount up
    again.close()
