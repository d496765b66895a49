"""The live link end to end: a real mosquitto configured by ``broadcaster hub mqtt-config``, the hub
on a real PostgreSQL (its web and ``broadcaster hub live``), two stations as real processes: one
``broadcaster sync``, one ``broadcaster run`` that starts its own sync child.

A short keepalive (2 s) and heartbeat (1 s) keep it quick: the broker sends a killed station's last
will after 1.5 keepalives, so "offline" arrives ~3 s after a kill -9 (≤ 90 s with the defaults).
"""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Broker  # tests/ is on sys.path (pytest rootdir insert), no package
from hubkit import live_district, run, start, stop, store_of
from sqlalchemy import select

from broadcaster import hub as hub_mod
from broadcaster.db import utcnow
from broadcaster.live import wait_for
from broadcaster.models import Origin, Schedule


@pytest.mark.slow
def test_presence_nudges_acl_revocation_and_http_without_the_broker(hub_site, tmp_path):
    broker = Broker(tmp_path / "mqtt")
    envs = live_district(hub_site, broker, {"xa-a": "cụm ven biển", "xa-b": "cụm ven biển"})
    hub = hub_site.env
    cfg = hub_site.store.config

    def stations() -> dict[str, dict]:
        """The hub's stations as ``broadcaster hub stations --json`` gives them (read in this
        process: a command per poll would cost a Python start each time)."""
        with hub_site.store.sessions() as s:
            return {r["code"]: r for r in hub_mod.stations_overview(s, cfg.station_code, cfg.sync_interval)}

    out = run(hub, "hub", "mqtt-config", str(broker.root), "--port", str(broker.port)).stdout
    assert "2 đài" in out
    procs: list[subprocess.Popen] = []
    try:

        def reconfigure() -> None:  # the port was taken meanwhile: the files again for a new one
            hub["BROADCASTER_MQTT_URL"] = broker.hub_url
            for e in envs.values():
                e["BROADCASTER_MQTT_URL"] = broker.url
            run(hub, "hub", "mqtt-config", str(broker.root), "--port", str(broker.port))

        broker.start(reconfigure)
        hub_site.start(wait=False)
        procs.append(start(hub, "hub", "live", log=tmp_path / "live.log"))
        hub_site.ready()
        sync_a = start(envs["xa-a"], "sync", log=tmp_path / "sync-a.log")
        procs.append(sync_a)
        # b: the daemon alone, which starts its own sync (and link) beside it.
        daemon_b = start(envs["xa-b"], "run", log=tmp_path / "run-b.log")
        procs.append(daemon_b)

        # Presence: both online, with the status a sync round reports.
        assert wait_for(lambda: all(r["online"] for r in stations().values()), 30), stations()
        assert stations()["xa-a"]["status"].get("clock_offset_s") is not None
        # The heartbeat carries the station's status (its clock, disk, on air…) between sync rounds
        # (the next round is an hour away): the station's clock as the hub last heard it moves on.
        clock = stations()["xa-b"]["status"]["clock"]
        assert wait_for(lambda: stations()["xa-b"]["status"]["clock"] > clock, 10)
        assert stations()["xa-b"]["status"].get("disk_free_bytes")

        # A nudge: a district airing for a makes a's sync run now, not in an hour.
        text = tmp_path / "tin.txt"
        text.write_text("Ủy ban nhân dân xã thông báo lịch tiếp công dân.", encoding="utf-8")
        at = (utcnow() + timedelta(hours=1)).isoformat()
        run(hub, "hub", "publish", str(text), "--title", "Tin nhắc đồng bộ", "--at", at, "--to", "xa-a")
        store_a = store_of(envs["xa-a"])
        try:

            def arrived() -> bool:
                with store_a.sessions() as s:
                    return s.scalar(select(Schedule.id).where(Schedule.origin == Origin.HUB)) is not None

            assert wait_for(arrived, 30), (tmp_path / "sync-a.log").read_text()
        finally:
            store_a.engine.dispose()
        assert "Huyện báo có thay đổi" in (tmp_path / "sync-a.log").read_text()

        # kill -9 of a's link: the broker's last will makes a offline at the hub.
        sync_a.send_signal(signal.SIGKILL)
        sync_a.wait()
        assert wait_for(lambda: not stations()["xa-a"]["online"], 30)
        assert stations()["xa-b"]["online"]
        listed = {r["code"]: r for r in json.loads(run(hub, "hub", "stations", "--json").stdout)}
        assert listed["xa-a"]["online"] is False and listed["xa-b"]["online"] is True

        # b's token revoked, the broker's files made again and reloaded: b's link is cut.
        run(hub, "station", "token", "xa-b", "--revoke")
        out = run(hub, "hub", "mqtt-config", str(broker.root), "--port", str(broker.port), "--reload").stdout
        assert "1 đài" in out and f"pid {broker.proc.pid}" in out
        assert wait_for(lambda: not stations()["xa-b"]["online"], 30)
        assert "xa-b" not in (broker.root / "passwd").read_text()

        # b's daemon killed -9: its sync child does not outlive it (it would share b's MQTT session
        # with the next daemon's child and push it off).
        children = [
            c
            for t in Path(f"/proc/{daemon_b.pid}/task").iterdir()
            for c in (t / "children").read_text().split()
        ]
        assert len(children) == 1
        daemon_b.send_signal(signal.SIGKILL)
        daemon_b.wait()
        assert wait_for(lambda: not Path(f"/proc/{children[0]}").exists(), 15)

        # The broker down: a's sync still exchanges with the hub over HTTP.
        broker.stop()
        sync_a2 = start(envs["xa-a"], "sync", log=tmp_path / "sync-a2.log")
        procs.append(sync_a2)
        assert wait_for(lambda: "Đồng bộ với huyện xong" in (tmp_path / "sync-a2.log").read_text(), 30), (
            tmp_path / "sync-a2.log"
        ).read_text()
        assert sync_a2.poll() is None
    finally:
        for p in reversed(procs):
            stop(p)
        broker.stop()
