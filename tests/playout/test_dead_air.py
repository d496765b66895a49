"""The dead-air watchdog in a running daemon: an airing is due, its output takes no sound.

The zone's output is an Icecast server that is not there: every item fails at once, yet the
programme's six seconds are due. After BROADCASTER_DEAD_AIR (2 s here) the journal says so once,
the alarm file names the zone (the dashboard and the hub status read it), and when the airing's
time is over the alarm ends.
"""

from __future__ import annotations

import dataclasses
import logging

import pytest
from conftest import free_port  # tests/ is on sys.path; "tests" is no package

from broadcaster.playout import read_dead_air
from broadcaster.sync import station_status

from .conftest import add_once, add_programme, add_segment, wait_for, whole_seconds_from_now, zone_with_sink


@pytest.mark.slow
def test_dead_air_is_told_while_an_airing_is_due_and_ends_with_it(
    store, config, session, station, run_daemon, caplog
):
    caplog.set_level(logging.INFO, logger="broadcaster")
    spec = f"icecast://source:bi-mat@127.0.0.1:{free_port()}/thon-2.mp3"
    zone = zone_with_sink(session, station, spec)
    seg = add_segment(session, station, config, "Tin sáu giây", freq=500, secs=6.0)
    prog = add_programme(session, station, [seg])
    at = whole_seconds_from_now(3)
    add_once(session, station, prog, zone, at, config.tz)
    station_id = station.id
    session.commit()
    run_daemon(dataclasses.replace(config, dead_air=2.0))

    alarms = wait_for(lambda: read_dead_air(config.data_dir), timeout=15)
    (alarm,) = alarms
    assert alarm["zone"] == f"cụm loa «{zone.name}»" and alarm["title"]
    assert alarm["sink"] == spec.replace("bi-mat", "***")
    assert station_status(store, station_id, None)["dead_air"] == alarms  # what the hub gets
    said = [r for r in caplog.records if "MẤT TÍN HIỆU" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.ERROR
    # The programme's time is over: the silence is no longer dead air.
    wait_for(lambda: not read_dead_air(config.data_dir), timeout=15)
    assert any("Hết mất tín hiệu" in r.getMessage() for r in caplog.records)
    assert "bi-mat" not in caplog.text


def test_status_names_dead_air_on_now_and_of_the_last_day_across_a_daemon_restart(config, session, station):
    """`status` shows the alarm on now and those that ended within 24 hours, in station time; a
    daemon that died during one leaves it to the next, which keeps it for its day."""
    import json
    import subprocess
    import threading
    from datetime import UTC, datetime, timedelta

    from broadcaster.playout import dead_air_path, recent_dead_air
    from broadcaster.playout._deadair import DeadAirWatch, _write
    from broadcaster.playout._snapshot import render
    from broadcaster.playout._status import status_view

    now = datetime.now(UTC).replace(microsecond=0)
    alarm = {
        "zone": "cụm loa «Thôn 2»",
        "sink": "icecast://source:***@10.0.0.9:8000/t2.mp3",
        "title": "Tin sáng",
    }
    ended = [
        alarm
        | {
            "since": (now - timedelta(hours=3)).isoformat(),
            "until": (now - timedelta(hours=3, seconds=-42)).isoformat(),
        },
        alarm
        | {
            "since": (now - timedelta(hours=30)).isoformat(),
            "until": (now - timedelta(hours=29)).isoformat(),
        },
    ]
    _write(config.data_dir, [alarm | {"since": (now - timedelta(seconds=75)).isoformat()}], ended)
    view = status_view(session, station, 5, data_dir=config.data_dir)
    text = render(view, as_json=False, count=5, now=now)
    local = (now - timedelta(seconds=75)).astimezone(config.tz)
    assert (
        f"MẤT TÍN HIỆU trên cụm loa «Thôn 2» từ {local:%H:%M:%S} (đã 1:15): không có âm thanh tới đầu ra "
        in text
    )
    start = (now - timedelta(hours=3)).astimezone(config.tz)
    end = start + timedelta(seconds=42)
    assert "Mất tín hiệu trong 24 giờ qua (1 lần):" in text
    assert (
        f"  {start:%d/%m %H:%M:%S}–{end:%H:%M:%S} (0:42)  cụm loa «Thôn 2», đầu ra icecast://source:***@"
        in text
    )
    # A day later the old one is gone from the same view (a cached view ages by itself).
    later = render(view, as_json=False, count=5, now=now + timedelta(hours=22))
    assert "(0:42)" not in later and "Mất tín hiệu trong 24 giờ qua" not in later
    for at, n in ((now, 1), (now + timedelta(hours=22), 0)):  # and in status --json
        assert len(json.loads(render(view, as_json=True, count=5, now=at))["mat_tin_hieu_24_gio"]) == n

    # The daemon that wrote the file died with its alarm on: it is no longer on, and is kept as
    # one of the day's, its end unknown; a new daemon's watchdog carries it on.
    gone = subprocess.Popen(["true"])
    gone.wait()
    doc = json.loads(dead_air_path(config.data_dir).read_text(encoding="utf-8")) | {"pid": gone.pid}
    dead_air_path(config.data_dir).write_text(json.dumps(doc), encoding="utf-8")
    assert read_dead_air(config.data_dir) == []
    before = recent_dead_air(config.data_dir)
    assert [a["until"] for a in before] == [None, ended[0]["until"]]
    DeadAirWatch(config, None, list, threading.Event(), lambda: None)  # a new daemon's, no zones yet
    assert recent_dead_air(config.data_dir) == before
    text = render(status_view(session, station, 5, data_dir=config.data_dir), as_json=False, count=5)
    assert "MẤT TÍN HIỆU" not in text and "Mất tín hiệu trong 24 giờ qua (2 lần):" in text
    assert f"từ {local:%d/%m %H:%M:%S} đến khi bộ phát dừng" in text
