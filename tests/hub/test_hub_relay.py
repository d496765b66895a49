"""The district relays its stream through its stations, and a station's dead air reaches the district.

One scenario, real parts throughout: the hub's web app on a real PostgreSQL, served over real HTTP
in this process (the officer's forms go to the same app); a real icecast2 fed by ffmpeg as the
district's stream; the station's ``broadcaster sync`` (once, then its loop), ``run`` (the daemon)
and ``status`` as subprocesses on its own SQLite store. The station has two zones: one airs into a
WAV file, the other's output is an Icecast server that is not there, so the relay also gives that
zone dead air.
"""

from __future__ import annotations

import array
import re
import threading
import wave
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import free_port  # tests/ is on sys.path; "tests" is no package
from hubkit import base_env, new_database, run, start, stop, store_of, wait_until
from sqlalchemy import select
from werkzeug.serving import make_server

from broadcaster import content, hub
from broadcaster.db import utcnow
from broadcaster.models import AirStatus, AsRunEntry, HubAsRun, ItemType, Origin, Programme, Schedule, Zone
from broadcaster.playout import read_dead_air
from broadcaster.rules import parse_period
from broadcaster.store import ensure_station
from broadcaster.web import create_app

PASSWORD = "mat-khau-huyen-tiep-song-1"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
LISTEN_SECRET = "nghe-bi-mat-7"  # in the relay URL the officer types: never shown back
SINK_SECRET = "nguon-bi-mat-2"  # the dead zone's Icecast source password


def _bc(env: dict[str, str], *args: str) -> str:
    return run(env, *args).stdout


def _wait(pred, timeout: float, what: str, log: Path | None = None):
    """Give back ``pred()``'s first true value, waiting up to ``timeout`` seconds."""
    seen: list = []
    wait_until(lambda: seen.append(pred()) or seen[-1], timeout, what, log=log)
    return seen[-1]


def _peak(path: Path) -> int:
    with wave.open(str(path)) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    return max(map(abs, samples), default=0)


@pytest.mark.slow
def test_a_district_relay_airs_at_the_station_and_its_dead_air_shows_at_the_district(
    pg_url, icecast, tmp_path
):
    icecast.feed("/huyen.mp3")  # the district's live stream (a 440 Hz tone)
    hub_env = base_env(tmp_path / "hub") | {
        "BROADCASTER_DATABASE_URL": new_database(pg_url, "relay"),
        "BROADCASTER_MODE": "hub",
        "BROADCASTER_STATION_CODE": "huyen",
    }
    hub_store = store_of(hub_env, upgrade=True)
    ensure_station(hub_store)
    cfg = hub_store.config
    with hub_store.sessions.begin() as s:
        home = hub_store.station(s)
        content.create_user(s, home, "canbo", PASSWORD, "admin")
        _, token = hub.add_station(s, "xa-a", "Xã An Hòa")
        prog_id = content.create_programme(s, home, None, "Tiếp sóng Đài huyện").id
        if s.scalar(select(Zone.id).where(Zone.station_id == home.id)) is None:
            s.add(Zone(station_id=home.id, name="Loa chính"))
            s.flush()
        zone_id = s.scalar(select(Zone.id).where(Zone.station_id == home.id))
    app = create_app(cfg, store=hub_store)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    officer = app.test_client()

    # The station: its store made first (what `init` does), two zones, the watchdog at 2 s.
    root = tmp_path / "xa-a"
    env = base_env(root) | {
        "BROADCASTER_STATION_CODE": "xa-a",
        "BROADCASTER_HUB_URL": f"http://127.0.0.1:{server.server_port}",
        "BROADCASTER_HUB_TOKEN": token,
        "BROADCASTER_DEAD_AIR": "2",
    }
    station_store = store_of(env, upgrade=True)
    ensure_station(station_store)
    dead_sink = f"icecast://source:{SINK_SECRET}@127.0.0.1:{free_port()}/thon-2.mp3"
    with station_store.sessions.begin() as s:
        st = station_store.station(s)
        s.scalar(select(Zone).where(Zone.station_id == st.id)).sink = f"file:{root / 'aired.wav'}?realtime=1"
        s.add(Zone(station_id=st.id, code="thon-2", name="Thôn 2", sink=dead_sink))
    daemon = loop = log = None
    try:
        page = officer.get("/dang-nhap").get_data(as_text=True)
        r = officer.post(
            "/dang-nhap",
            data={"username": "canbo", "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)},
        )
        assert r.status_code == 302
        token_field = CSRF.search(officer.get(f"/chuong-trinh/{prog_id}").get_data(as_text=True)).group(1)

        def add_relay(url: str, minutes: str):
            form = {"csrf_token": token_field, "item_type": "relay", "stream_url": url, "relay_min": minutes}
            form["fallback"] = "next"  # the programme's next items, should the stream fail
            return officer.post(f"/chuong-trinh/{prog_id}/muc", data=form)

        # What a station cannot relay is refused in Vietnamese, and nothing is added.
        for url, minutes, said in (
            ("rtmp://dai-huyen.vn/live", "15", "http://, https:// hoặc icecast://"),
            (icecast.url("/huyen.mp3"), "0", "Thời lượng tiếp sóng phải từ 1 giây"),
        ):
            r = add_relay(url, minutes)
            assert r.status_code == 400 and said in r.get_data(as_text=True)
        stream = f"icecast://tiepsong:{LISTEN_SECRET}@127.0.0.1:{icecast.port}/huyen.mp3"
        assert add_relay(stream, "0,14").status_code == 302  # 8 seconds
        editor = officer.get(f"/chuong-trinh/{prog_id}").get_data(as_text=True)
        assert f"icecast://tiepsong:***@127.0.0.1:{icecast.port}/huyen.mp3" in editor
        assert LISTEN_SECRET not in editor

        # "tiếp sóng Đài huyện" for xa-a, some seconds from now (station time), priority level: 30 s,
        # so the daemon started below opens the stream ahead (playout's OPEN_AHEAD_S) even on a
        # loaded machine (with 14 s, and once with 20 s, the set-up below left it too little time
        # and the stream opened a second late).
        at = (utcnow() + timedelta(seconds=30)).replace(microsecond=0)
        local = at.astimezone(cfg.tz)
        form = {
            "csrf_token": token_field,
            "name": "Tiếp sóng Đài huyện",
            "programme_id": str(prog_id),
            "recurrence": "once",
            "start_time": f"{local:%H:%M:%S}",
            "start_date": local.date().isoformat(),
            "window_minutes": "5",
            "priority": "priority",
            "zone_ids": str(zone_id),
            "targets": "xa-a",
        }
        r = officer.post("/lich-phat/moi", data=form)
        assert r.status_code == 302, r.get_data(as_text=True)[:2000]

        out = _bc(env, "sync", "--once")
        assert "bản kê mới" in out and "thêm 1," in out, out
        assert LISTEN_SECRET not in _bc(env, "sync", "--show")
        with station_store.sessions() as s:
            sched = s.scalar(select(Schedule).where(Schedule.name == "Tiếp sóng Đài huyện"))
            assert sched.origin == Origin.HUB and sched.enabled and len(sched.zones) == 2
            (item,) = sched.programme.items
            assert (item.item_type, item.stream_url, item.duration_s) == (ItemType.RELAY, stream, 8)
            assert item.fallback == "next"
            prog = s.get(Programme, sched.programme_id)
            try:  # read-only at the station, like every row the district sends
                content.add_item(s, prog, None, "relay", stream_url=icecast.url("/x.mp3"), duration_s="1")
                raise AssertionError("a hub programme took a local item")
            except content.NotAllowed:
                s.rollback()

        # The daemon, and the sync loop as a station runs it, here with an hour between rounds:
        # only dead air beginning or ending makes it report in the meantime.
        log = root / "run.log"
        daemon = start(env, "run", log=log)
        loop = start(env | {"BROADCASTER_SYNC_INTERVAL": "3600"}, "sync", log=root / "sync.log")
        assert utcnow() < at - timedelta(seconds=2), "set-up took longer than the lead time"

        def table_when(pred, timeout: float, what: str) -> str:
            """The district's stations table (what its page refreshes itself with every 5 s)."""

            def seen():
                html = officer.get("/huyen/cac-dai/bang").get_data(as_text=True)
                return html if pred(html) else None

            return _wait(seen, timeout, what, log)

        # While the relay airs, the dead zone's alarm is on: the district sees it at once, and
        # `status` at the station says so.
        now_on = table_when(lambda html: "MẤT TÍN HIỆU" in html, 45, "dead air at the hub")
        assert read_dead_air(root) and 'class="dead-air"' in now_on, now_on
        assert "cụm loa «Thôn 2»" in now_on and "icecast://source:***@" in now_on
        assert SINK_SECRET not in now_on
        status = _bc(env, "status")
        assert "MẤT TÍN HIỆU trên cụm loa «Thôn 2» từ " in status, status

        def rows():
            with station_store.sessions() as s:
                found = list(s.scalars(select(AsRunEntry).where(AsRunEntry.item_type == ItemType.RELAY)))
                done = [e for e in found if e.status not in (AirStatus.PENDING, AirStatus.PLAYING)]
                return done if len(done) == 2 else None

        by_sink = {e.sink: e for e in _wait(rows, 40, "the relay on both zones", log)}
        aired = by_sink[f"file:{root / 'aired.wav'}?realtime=1"]
        assert aired.status == AirStatus.PLAYED and aired.reason == "Tiếp sóng 8,0 giây.", aired.reason
        assert abs((aired.started_at - at).total_seconds()) < 1.0
        assert _peak(root / "aired.wav") > 3000  # the district's tone, not silence
        assert dead_sink.replace(SINK_SECRET, "***") in by_sink  # the dead zone's row, its secret hidden

        # The dead zone's alarm has ended with the airing: `status` names it for 24 hours.
        _wait(lambda: not read_dead_air(root), 10, "the alarm's end", log)
        status = _bc(env, "status")
        line = next((x for x in status.splitlines() if "cụm loa «Thôn 2»" in x), "")
        assert "Mất tín hiệu trong 24 giờ qua (1 lần):" in status and "MẤT TÍN HIỆU" not in status, status
        assert "icecast://source:***@" in line and SINK_SECRET not in status
        assert re.search(r"\d\d/\d\d \d\d:\d\d:\d\d–\d\d:\d\d:\d\d \(0:0[5-9]\)", line), line

        # The station reports it; the district's stations table (what the page refreshes) shows it.
        after = table_when(lambda html: "MẤT TÍN HIỆU" not in html, 15, "its end at the hub")
        assert "24 giờ qua: 1 lần" in after and "cụm loa «Thôn 2»" in after, after
        assert "icecast://source:***@" in after and SINK_SECRET not in after
        assert "Tiếp sóng Đài huyện" in after  # the last airing the station reported

        # Its as-run rows up (whatever the loop has sent already): the district's report counts the
        # relay as the district airing aired, with its seconds of the stream and filled.
        _bc(env, "sync", "--once")
        with hub_store.sessions() as s:
            up = list(s.scalars(select(HubAsRun)))
            report = hub.compute_district_report(s, "huyen", parse_period(f"{local:%Y-%m}", cfg.timezone))
        relays = sorted((r.status, r.relayed_ms, r.filled_ms) for r in up)
        assert len(relays) == 2 and relays[1][0] == AirStatus.PLAYED and 7500 <= relays[1][1] <= 8000, relays
        assert relays[1][2] <= 500 and relays[0] == (AirStatus.FAILED, None, None), relays  # never opened
        (row,) = report.rows
        assert row.count("aired") == 1 and row.relays == 1 and 7500 <= row.relayed_ms <= 8000
        t5 = hub.district_tables(report)[-1]
        assert t5.title == "Tiếp sóng chương trình của huyện, tỉnh"
        assert t5.rows[0][1:3] == ["Xã An Hòa (xa-a)", 1]
        assert any(line.startswith("Tiếp sóng: 1 đài, 1 lần") for line in hub.district_narrative(report))
    finally:
        for proc in (daemon, loop):
            if proc is not None:
                stop(proc)
        server.shutdown()
        if "broadcaster_hub" in app.extensions:
            app.extensions["broadcaster_hub"].contacts.close()
        station_store.engine.dispose()
        hub_store.engine.dispose()
