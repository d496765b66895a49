"""A district emergency end to end: a real mosquitto (files by ``broadcaster hub mqtt-config``), the
hub on a real PostgreSQL (its web serving the audio, ``broadcaster hub live`` holding the broker
connection), two stations as real ``broadcaster run`` processes (each starts its own sync and live
link) airing into a command sink that logs the wall time of its first audio byte.

One scenario checks many things: an emergency for one station airs there and not at the other;
one that arrives past its validity is reported expired and not played; a stop from the hub cuts
it; with the hub's web down the station speaks the text with its offline voice.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import Broker  # tests/ is on sys.path (pytest rootdir insert), no package
from hubkit import live_district, run, start, stop
from sqlalchemy import select

from broadcaster import hub as hub_mod
from broadcaster import topics
from broadcaster.db import utcnow
from broadcaster.live import send, wait_for
from broadcaster.models import Emergency, EmergencyTarget, Station

READER = Path(__file__).resolve().parents[1] / "playout" / "pcm_reader.py"
SHORT = "Bão số chín sắp đổ bộ."


def first_bytes(log: Path) -> list[float]:
    """Wall times at which the sink got the first audio byte of each airing."""
    if not log.exists():
        return []
    return [float(v) for _p, k, v in (ln.split() for ln in log.read_text().splitlines()) if k == "start"]


def last_bytes(log: Path) -> list[float]:
    if not log.exists():
        return []
    return [float(v) for _p, k, v in (ln.split() for ln in log.read_text().splitlines()) if k == "last"]


@pytest.mark.slow
def test_an_emergency_airs_where_sent_expires_stops_and_falls_back_to_the_offline_voice(hub_site, tmp_path):
    broker = Broker(tmp_path / "mqtt")
    sinks = {code: tmp_path / f"sink-{code}.log" for code in ("xa-a", "xa-b")}
    envs = live_district(
        hub_site,
        broker,
        {"xa-a": "cụm ven biển", "xa-b": "miền núi"},
        lambda code: {"BROADCASTER_SINK": f"command:{sys.executable} {READER} {sinks[code]}"},
    )
    hub = hub_site.env
    web = hub_site.start(wait=False).proc  # starting while the broker's files are made
    procs: list[subprocess.Popen] = []  # the web is stopped by its fixture
    run(hub, "hub", "mqtt-config", str(broker.root), "--port", str(broker.port))
    hub_store = hub_site.store
    cfg = hub_store.config

    def rows(uid: str) -> dict[str, EmergencyTarget]:
        with hub_store.sessions() as s:
            found = s.execute(
                select(Station.code, EmergencyTarget)
                .join(EmergencyTarget, EmergencyTarget.station_id == Station.id)
                .join(Emergency, EmergencyTarget.emergency_id == Emergency.id)
                .where(Emergency.uid == uid)
            ).all()
            return {code: t for code, t in found}

    def send_here(to: str, text: str, **kw) -> str:
        """Send as the command does, from this process (a command costs a Python start)."""
        with hub_store.sessions.begin() as s:
            targets = hub_mod.resolve_targets(s, to, cfg.station_code)
            req = hub_mod.EmergencyRequest(text=text, **kw)
            return hub_mod.send_emergency(s, cfg, hub_store.station(s), targets, req).uid

    def state(uid: str, code: str) -> str | None:
        t = rows(uid).get(code)
        return t.state if t else None

    try:
        broker.start()
        procs.append(start(hub, "hub", "live", log=tmp_path / "live.log"))
        procs += [start(envs[c], "run", log=tmp_path / f"run-{c}.log") for c in envs]
        hub_site.ready()

        def online() -> bool:
            with hub_store.sessions() as s:
                listed = hub_mod.stations_overview(s, cfg.station_code, cfg.sync_interval)
            return all(r["online"] for r in listed)

        assert wait_for(online, 60, step=0.3), (tmp_path / "live.log").read_text()

        # 1. To a only: rendered once at the hub, fetched by sha256, aired at a, not at b.
        sent = time.time()
        out = run(hub, "hub", "emergency", "--text", SHORT, "--to", "xa-a", "--title", "Bão số 9")
        uid = out.stdout.strip().splitlines()[-1]
        assert "Đã gửi «Bão số 9» tới 1 đài (xa-a)" in out.stdout
        assert wait_for(lambda: state(uid, "xa-a") == "finished", 40), (
            rows(uid),
            (tmp_path / "run-xa-a.log").read_text(),
        )
        a = rows(uid)["xa-a"]
        assert a.sent_at <= a.received_at <= a.started_at <= a.finished_at and a.plays == 1
        assert a.detail is None  # the hub's audio, not the offline voice
        assert list(rows(uid)) == ["xa-a"] and first_bytes(sinks["xa-b"]) == []
        [byte] = first_bytes(sinks["xa-a"])
        assert 0 < byte - sent < 30
        assert abs(byte - a.started_at.timestamp()) < 1.0  # "started" is the sink's first byte
        # The station fetched the hub's file, verified by sha256.
        with hub_store.sessions() as s:
            sha = s.scalar(select(Emergency.audio_sha256).where(Emergency.uid == uid))
        assert list((tmp_path / "xa-a" / "media" / "hub").glob(f"{sha}.*"))

        # 2. Arriving past its validity (delayed in transit): b reports it expired and airs nothing.
        with hub_store.sessions.begin() as s:
            b = hub_mod.resolve_targets(s, "xa-b", cfg.station_code)[0]
            now = utcnow()
            em = Emergency(
                station_id=hub_store.station(s).id,
                title="Tin đến muộn",
                text=SHORT,
                valid_until=now - timedelta(seconds=1),
                sent_at=now - timedelta(minutes=31),
                targets=[EmergencyTarget(station_id=b.id, state="sent", sent_at=now)],
            )
            s.add(em)
            s.flush()
            send(s, topics.EMERGENCY, ["xa-b"], hub_mod.payload(cfg, em))
            late = em.uid
        assert wait_for(lambda: state(late, "xa-b") == "expired", 20)
        assert rows(late)["xa-b"].started_at is None and "quá hạn" in rows(late)["xa-b"].detail
        time.sleep(1.0)
        assert first_bytes(sinks["xa-b"]) == []

        # 3. A long one for b, three times: stopped from the hub while on air, no repeat follows.
        long_text = "Lũ quét đang về các thôn ven suối, bà con di chuyển lên vùng cao ngay. " * 8
        long_uid = send_here("group:miền núi", long_text, repeat=3)
        assert wait_for(lambda: state(long_uid, "xa-b") == "started", 40)
        assert "Đã dừng thông báo khẩn cấp" in run(hub, "hub", "emergency", "--stop", long_uid).stdout
        assert wait_for(lambda: state(long_uid, "xa-b") == "stopped", 20)
        assert len(first_bytes(sinks["xa-b"])) == 1
        time.sleep(1.0)
        assert len(first_bytes(sinks["xa-b"])) == 1  # no second play after the stop

        # 4. The hub's web down: a cannot fetch the audio, speaks the text with its offline voice.
        stop(web)
        # (New words: audio a already holds, by its sha256, would need no fetch.)
        offline_uid = send_here("xa-a", "Cháy rừng ở đồi thông.")
        assert wait_for(lambda: state(offline_uid, "xa-a") == "finished", 60)
        assert "giọng máy" in rows(offline_uid)["xa-a"].detail
        assert len(first_bytes(sinks["xa-a"])) == 2 and len(last_bytes(sinks["xa-a"])) == 2

        shown = json.loads(run(hub, "hub", "emergency", "--show", offline_uid[:8], "--json").stdout)
        assert [(r["code"], r["state"]) for r in shown["stations"]] == [("xa-a", "finished")]
    finally:
        for p in reversed(procs):
            stop(p)
        broker.stop()
