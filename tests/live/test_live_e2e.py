"""The live link end to end: a real mosquitto configured by ``broadcaster hub mqtt-config``, the hub
on a real PostgreSQL (its web and ``broadcaster hub live``), two stations as real processes: one
``broadcaster sync``, one ``broadcaster run`` that starts its own sync child.

A short keepalive (2 s) and heartbeat (1 s) keep it quick: the broker sends a killed station's last
will after 1.5 keepalives, so "offline" arrives ~3 s after a kill -9 (≤ 90 s with the defaults).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import requests
from conftest import Broker, free_port  # tests/ is on sys.path (pytest rootdir insert), no package
from sqlalchemy import select

from broadcaster.config import load
from broadcaster.db import utcnow
from broadcaster.live import wait_for
from broadcaster.models import Origin, Schedule
from broadcaster.store import open_store

BC = [sys.executable, "-m", "broadcaster.cli"]
FAST = {"BROADCASTER_MQTT_KEEPALIVE": "2", "BROADCASTER_MQTT_HEARTBEAT": "1"}


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*BC, *args], env=env, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"broadcaster {' '.join(args)} → {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def start(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    fh = open(log, "ab")  # noqa: SIM115 - kept open for the child
    return subprocess.Popen([*BC, *args], env=env, stdout=fh, stderr=fh)


def base_env(root: Path) -> dict[str, str]:
    root.mkdir(parents=True, exist_ok=True)
    return {
        "BROADCASTER_DATA_DIR": str(root),
        "BROADCASTER_TTS_ORDER": "pyttsx3",
        "BROADCASTER_SINK": "null",
        "PATH": os.environ.get("PATH", ""),
        "TZ": os.environ.get("TZ", "UTC"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }


def stations(env: dict[str, str]) -> dict[str, dict]:
    """The hub's stations as ``broadcaster hub stations --json`` gives them (read in this process:
    a command per poll would cost a Python start each time)."""
    from broadcaster import hub as hub_mod

    cfg = load({k: v for k, v in env.items() if k.startswith("BROADCASTER_")})
    store = _stores.get(cfg.db_url) or _stores.setdefault(cfg.db_url, open_store(cfg))
    with store.sessions() as s:
        return {r["code"]: r for r in hub_mod.stations_overview(s, cfg.station_code, cfg.sync_interval)}


_stores: dict = {}


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def hub_db(pg_url):
    name = f"live_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_url.rsplit("/", 1)[0] + "/" + name


def test_presence_nudges_acl_revocation_and_http_without_the_broker(hub_db, tmp_path):
    broker = Broker(tmp_path / "mqtt")
    port = free_port()
    hub = base_env(tmp_path / "hub") | {
        "BROADCASTER_DATABASE_URL": hub_db,
        "BROADCASTER_MODE": "hub",
        "BROADCASTER_STATION_CODE": "huyen-thu",
        "BROADCASTER_WEB_PORT": str(port),
        "BROADCASTER_WEB_WORKERS": "1",
        "BROADCASTER_MQTT_URL": broker.hub_url,
    }
    envs = {
        code: base_env(tmp_path / code)
        | FAST
        | {
            "BROADCASTER_STATION_CODE": code,
            "BROADCASTER_HUB_URL": f"http://127.0.0.1:{port}",
            "BROADCASTER_MQTT_URL": broker.url,
            "BROADCASTER_SYNC_INTERVAL": "3600",  # only a nudge makes a second round
        }
        for code in ("xa-a", "xa-b")
    }
    # The three databases at once: each init is a Python start and a migration run.
    inits = [
        subprocess.Popen([*BC, "init", "--no-starter"], env=e, stdout=subprocess.DEVNULL)
        for e in (hub, *envs.values())
    ]
    assert [p.wait(120) for p in inits] == [0, 0, 0]
    csv = tmp_path / "dai.csv"
    csv.write_text("code,name,group\nxa-a,Xã A,cụm ven biển\nxa-b,Xã B,cụm ven biển\n", encoding="utf-8")
    run(hub, "station", "import", str(csv), "-o", str(tmp_path / "tokens.csv"))
    for line in (tmp_path / "tokens.csv").read_text().splitlines()[1:]:
        code, token = line.split(",")
        envs[code]["BROADCASTER_HUB_TOKEN"] = token
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
        procs.append(start(hub, "web", log=tmp_path / "web.log"))
        procs.append(start(hub, "hub", "live", log=tmp_path / "live.log"))
        assert wait_for(lambda: _answers(f"http://127.0.0.1:{port}/api/v1/station/manifest"), 30)
        sync_a = start(envs["xa-a"], "sync", log=tmp_path / "sync-a.log")
        procs.append(sync_a)
        # b: the daemon alone, which starts its own sync (and link) beside it.
        daemon_b = start(envs["xa-b"], "run", log=tmp_path / "run-b.log")
        procs.append(daemon_b)

        # Presence: both online, with the status a sync round reports.
        assert wait_for(lambda: all(r["online"] for r in stations(hub).values()), 30), stations(hub)
        assert stations(hub)["xa-a"]["status"].get("clock_offset_s") is not None
        # The heartbeat carries the station's status (its clock, disk, on air…) between sync rounds
        # (the next round is an hour away): the station's clock as the hub last heard it moves on.
        clock = stations(hub)["xa-b"]["status"]["clock"]
        assert wait_for(lambda: stations(hub)["xa-b"]["status"]["clock"] > clock, 10)
        assert stations(hub)["xa-b"]["status"].get("disk_free_bytes")

        # A nudge: a district airing for a makes a's sync run now, not in an hour.
        text = tmp_path / "tin.txt"
        text.write_text("Ủy ban nhân dân xã thông báo lịch tiếp công dân.", encoding="utf-8")
        at = (utcnow() + timedelta(hours=1)).isoformat()
        run(hub, "hub", "publish", str(text), "--title", "Tin nhắc đồng bộ", "--at", at, "--to", "xa-a")
        store_a = open_store(load({k: v for k, v in envs["xa-a"].items() if k.startswith("BROADCASTER_")}))
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
        assert wait_for(lambda: not stations(hub)["xa-a"]["online"], 30)
        assert stations(hub)["xa-b"]["online"]
        listed = {r["code"]: r for r in json.loads(run(hub, "hub", "stations", "--json").stdout)}
        assert listed["xa-a"]["online"] is False and listed["xa-b"]["online"] is True

        # b's token revoked, the broker's files made again and reloaded: b's link is cut.
        run(hub, "station", "token", "xa-b", "--revoke")
        out = run(hub, "hub", "mqtt-config", str(broker.root), "--port", str(broker.port), "--reload").stdout
        assert "1 đài" in out and f"pid {broker.proc.pid}" in out
        assert wait_for(lambda: not stations(hub)["xa-b"]["online"], 30)
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
        for st in _stores.values():
            st.engine.dispose()
        _stores.clear()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 401
    except requests.RequestException:
        return False
