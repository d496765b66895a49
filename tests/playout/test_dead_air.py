"""The dead-air watchdog in a running daemon: an airing is due, its output takes no sound.

The zone's output is an Icecast server that is not there: every item fails at once, yet the
programme's six seconds are due. After BROADCASTER_DEAD_AIR (2 s here) the journal says so once,
the alarm file names the zone (the dashboard and the hub status read it), and when the airing's
time is over the alarm ends.
"""

from __future__ import annotations

import dataclasses
import logging

from conftest import free_port  # tests/ is on sys.path; "tests" is no package

from broadcaster.playout import read_dead_air
from broadcaster.sync import station_status

from .conftest import add_once, add_programme, add_segment, wait_for, whole_seconds_from_now, zone_with_sink


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
