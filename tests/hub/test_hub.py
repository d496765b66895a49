"""The district hub on a real PostgreSQL, stations on SQLite, over real HTTP, as real processes.

The hub's web runs as ``broadcaster web`` in a subprocess on a free port; stations run
``broadcaster sync --once`` and ``broadcaster run`` (the daemon, airing into a file sink) as
subprocesses too. A small proxy in this process cuts or corrupts audio on its way through.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from hubkit import BC, HubWeb, base_env, run, run_all, store_of
from sqlalchemy import func, select

from broadcaster.db import utcnow
from broadcaster.manifest import loads
from broadcaster.models import (
    AirStatus,
    AsRunEntry,
    AuditLog,
    HubAsRun,
    ItemType,
    Occurrence,
    Origin,
    Schedule,
    Segment,
    SegmentStatus,
)
from broadcaster.store import ensure_station
from broadcaster.sync import file_sha256

WEEK_ROWS = 7 * 24 * 4  # a week offline at four airings an hour: more than one upload batch


class Hub(HubWeb):
    """The district's hub of these tests, with its stations' tokens; asks as a station would."""

    def __init__(self, pg_url: str, root: Path) -> None:
        # Two workers, as in production: the request budget and the caches must hold across them.
        super().__init__(
            pg_url, root, code="huyen-thu", workers=2, BROADCASTER_STATION_NAME="Trung tâm huyện"
        )
        self.tokens: dict[str, str] = {}

    def get(self, path: str, code: str | None = None, token: str | None = None, **headers: str):
        h = dict(headers)
        if token or code:
            h["Authorization"] = f"Bearer {token or self.tokens[code]}"
        if code:
            h["X-Broadcaster-Station"] = code
        return requests.get(self.base + path, headers=h, timeout=10)


@pytest.fixture(scope="module")
def hub(pg_url, tmp_path_factory):
    h = Hub(pg_url, tmp_path_factory.mktemp("hub"))
    run(h.env, "init", "--no-starter")
    stations = (("xa-a", "cụm ven biển"), ("xa-b", "cụm ven biển"), ("xa-c", "miền núi"))
    added = run_all(
        *(
            (h.env, "station", "add", code, "--name", f"Xã {code[-1].upper()}", "--group", g)
            for code, g in stations
        )
    )
    for (code, _), out in zip(stations, added, strict=True):
        h.tokens[code] = out.stdout.strip().splitlines()[-1]
    h.start()
    yield h
    h.close()


def publish(hub: Hub, tmp: Path, title: str, at, to: str, priority: str = "priority") -> str:
    text = tmp / f"{uuid.uuid4().hex}.txt"
    text.write_text("Ủy ban nhân dân xã thông báo lịch tiếp công dân tuần này.", encoding="utf-8")
    out = run(
        hub.env,
        "hub",
        "publish",
        str(text),
        "--title",
        title,
        "--at",
        at.isoformat(),
        "--to",
        to,
        "--priority",
        priority,
    )
    assert f"«{title}»" in out.stdout
    with hub.store.sessions() as s:
        return s.scalar(select(Schedule.uid).where(Schedule.name == title))


@pytest.fixture(scope="module")
def later(hub, tmp_path_factory):
    """A district item an hour ahead for the coastal group (not xa-c): what the link tests fetch.

    How long the publish took is kept: the near airing's margin is measured, not guessed."""
    started = time.monotonic()
    uid = publish(
        hub,
        tmp_path_factory.mktemp("texts"),
        "Tin huyện sau một giờ",
        utcnow() + timedelta(hours=1),
        "group:cụm ven biển",
    )
    hub.publish_s = time.monotonic() - started
    return uid


def station_env(hub: Hub, root: Path, code: str, token: str | None = None, url: str | None = None) -> dict:
    env = base_env(root) | {
        "BROADCASTER_STATION_CODE": code,
        "BROADCASTER_HUB_URL": url or hub.base,
        "BROADCASTER_HUB_TOKEN": token or hub.tokens[code],
        "BROADCASTER_SINK": f"file:{root / 'aired.wav'}",
    }
    # What `broadcaster init --no-starter` does, in this process: the station's commands under
    # test are sync, run and status, not init.
    store = store_of(env, upgrade=True)
    ensure_station(store)
    store.engine.dispose()
    return env


# --------------------------------------------------------------------------- the whole path


def _add_week_offline(store, station_id: int) -> None:
    """Rows a week offline would leave: aired, final, never acknowledged."""
    now = utcnow()
    with store.sessions.begin() as s:
        for i in range(WEEK_ROWS):
            at = now - timedelta(days=7) + timedelta(minutes=15 * i)
            occ = Occurrence(
                station_id=station_id, scheduled_at=at, title=f"Bản tin {i}", status=AirStatus.PLAYED
            )
            s.add(occ)
            s.flush()
            s.add(
                AsRunEntry(
                    station_id=station_id,
                    occurrence_id=occ.id,
                    position=0,
                    item_type=ItemType.SEGMENT,
                    title=f"Bản tin {i}",
                    scheduled_at=at,
                    started_at=at,
                    ended_at=at + timedelta(seconds=30),
                    duration_ms=30000,
                    status=AirStatus.PLAYED,
                )
            )


@pytest.mark.slow
def test_publish_sync_air_offline_and_asrun_reaches_the_hub(hub, later, tmp_path):
    env_a = station_env(hub, tmp_path / "a", "xa-a")
    env_b = station_env(hub, tmp_path / "b", "xa-b")
    # The hour-ahead item first: both stations at once, timed (an airing that arrives after its
    # time is, rightly, not aired, so the near one's margin comes from what this machine takes).
    # Before the daemons start, so the sync time measured is sync's alone.
    started = time.monotonic()
    for out in run_all((env_a, "sync", "--once"), (env_b, "sync", "--once")):
        assert "bản kê mới" in out.stdout and "thêm 1," in out.stdout, out.stdout
    sync_s = time.monotonic() - started
    logs = [open(Path(e["BROADCASTER_DATA_DIR"]) / "run.log", "wb") for e in (env_a, env_b)]  # noqa: SIM115
    daemons = [
        subprocess.Popen([*BC, "run"], env=e, stdout=log, stderr=subprocess.STDOUT)
        for e, log in zip((env_a, env_b), logs, strict=True)
    ]
    try:
        margin = max(15.0, 2 * (hub.publish_s + sync_s) + 5)
        at = (utcnow() + timedelta(seconds=margin)).replace(microsecond=0)
        uid = publish(hub, tmp_path, "Tin khẩn của huyện", at, "xa-a,xa-b")
        for out in run_all((env_a, "sync", "--once"), (env_b, "sync", "--once")):
            assert "bản kê mới" in out.stdout and "thêm 1," in out.stdout, out.stdout
        assert utcnow() < at, f"the machine got slower than measured (margin {margin:.0f} s)"
        # Twice is no change: 304 and the same rows.
        again = run(env_a, "sync", "--once")
        assert "bản kê không đổi" in again.stdout and "thêm 0, sửa 0, rút 0" in again.stdout, again.stdout

        store_a = store_of(env_a)
        with store_a.sessions() as s:
            sched = s.scalar(select(Schedule).where(Schedule.uid == uid))
            assert sched.origin == Origin.HUB and sched.enabled
            seg = sched.programme.items[0].segment
            assert seg.origin == Origin.HUB and seg.status == SegmentStatus.APPROVED
            path = store_a.config.media_dir / seg.upload_asset.path
            assert file_sha256(path) == seg.upload_asset.sha256

        # The link goes down before air time: playout does not care.
        hub.stop()

        def planned():
            # The hour-ahead item: still to come whatever the machine's load did to the near one.
            st = json.loads(run(env_a, "status", "--json").stdout)
            return [x for x in st["sap_phat"] if x["title"] == "Tin huyện sau một giờ"]

        seen = _wait(planned, 30, "the hour-ahead airing in status --json")
        assert seen[0]["origin"] == "hub" and seen[0]["at"].endswith("+00:00")

        def aired(store):
            with store.sessions() as s:
                return s.scalar(
                    select(Occurrence.status)
                    .join(Schedule, Occurrence.schedule_id == Schedule.id)
                    .where(Schedule.uid == uid, Occurrence.status == AirStatus.PLAYED)
                )

        store_b = store_of(env_b)
        _wait(lambda: aired(store_a) and aired(store_b), 120, f"both stations air at {at:%H:%M:%S}", logs)
        assert (tmp_path / "a" / "aired.wav").stat().st_size > 10_000

        down = run(env_a, "sync", "--once", check=False)
        assert down.returncode != 0
        assert "Không kết nối được máy chủ huyện" in down.stderr and "Traceback" not in down.stderr

        with store_a.sessions() as s:
            station_id = store_a.station(s).id
        _add_week_offline(store_a, station_id)
    finally:
        for d in daemons:
            d.terminate()
            d.wait(timeout=20)
        for log in logs:
            log.close()
        if hub.proc is None:
            hub.start()

    for out in run_all((env_a, "sync", "--once"), (env_b, "sync", "--once")):
        assert "còn" not in out.stdout, out.stdout
    with store_a.sessions() as s:
        local = s.scalar(select(func.count(AsRunEntry.id)).where(AsRunEntry.status.in_([AirStatus.PLAYED])))
        assert s.scalar(select(func.count(AsRunEntry.id)).where(AsRunEntry.synced_at.is_(None))) == 0
    with hub.store.sessions() as s:
        rows = s.execute(
            select(HubAsRun.station_id, HubAsRun.status, HubAsRun.origin).where(HubAsRun.schedule_uid == uid)
        ).all()
        assert len(rows) == 2 and {r.status for r in rows} == {AirStatus.PLAYED}
        assert {r.origin for r in rows} == {Origin.HUB}
        from broadcaster.models import Station

        a_id = s.scalar(select(Station.id).where(Station.code == "xa-a"))
        assert s.scalar(select(func.count(HubAsRun.id)).where(HubAsRun.station_id == a_id)) == local
        # publish wrote, approved and scheduled as the system account, audited.
        actions = set(s.scalars(select(AuditLog.action).where(AuditLog.username == "hệ thống")))
        assert {"create", "submit", "approve"} <= actions

    # A repeat of everything is acknowledged and kept once.
    with store_a.sessions.begin() as s:
        s.execute(AsRunEntry.__table__.update().values(synced_at=None))
    run(env_a, "sync", "--once")
    with hub.store.sessions() as s:
        assert s.scalar(select(func.count(HubAsRun.id)).where(HubAsRun.station_id == a_id)) == local

    stations = {r["code"]: r for r in json.loads(run(hub.env, "hub", "stations", "--json").stdout)}
    assert stations["xa-a"]["online"] and stations["xa-a"]["last_asrun"]["status"] == "played"
    assert stations["xa-c"]["online"] is False and stations["xa-c"]["last_seen"] is None
    store_a.engine.dispose()
    store_b.engine.dispose()


def _wait(pred, timeout: float, what: str, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.3)
    tails = "".join(f"\n--- {log.name}\n" + Path(log.name).read_text()[-3000:] for log in logs)
    raise AssertionError(f"not in {timeout:.0f} s: {what}{tails}")


# --------------------------------------------------------------------------- who may read what


def test_tokens_scope_a_station_to_its_own_manifest_and_audio(hub, later):
    assert hub.get("/api/v1/station/manifest").status_code == 401
    assert hub.get("/api/v1/station/manifest", token="bcs_nope").status_code == 401
    stolen = hub.get(
        "/api/v1/station/manifest", token=hub.tokens["xa-a"], **{"X-Broadcaster-Station": "xa-b"}
    )
    assert stolen.status_code == 403 and "xa-b" in stolen.json()["loi"]

    first = hub.get("/api/v1/station/manifest", "xa-a")
    assert first.status_code == 200
    m = loads(first.content)
    assert m.station == "xa-a" and later in {a.uid for a in m.airings}
    assert (
        hub.get("/api/v1/station/manifest", "xa-a", **{"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )

    ref = m.audio[0]
    part = hub.get(ref.url, "xa-a", Range="bytes=100-199")
    assert part.status_code == 206 and len(part.content) == 100
    whole = hub.get(ref.url, "xa-a")
    assert whole.content[100:200] == part.content and len(whole.content) == ref.size
    # xa-c is not in the coastal group: neither the airing nor its audio are its to read.
    assert later not in {a.uid for a in loads(hub.get("/api/v1/station/manifest", "xa-c").content).airings}
    assert hub.get(ref.url, "xa-c").status_code == 404


def test_a_rotated_or_revoked_token_is_refused(hub):
    old = hub.tokens["xa-c"]
    new = run(hub.env, "station", "token", "xa-c").stdout.strip().splitlines()[-1]
    assert hub.get("/api/v1/station/manifest", token=old).status_code == 401
    assert hub.get("/api/v1/station/manifest", token=new).status_code == 200
    hub.tokens["xa-c"] = new
    run(hub.env, "station", "token", "xa-c", "--revoke")
    assert hub.get("/api/v1/station/manifest", token=new).status_code == 401


def test_a_station_calling_too_often_is_slowed_down_whichever_worker_answers(hub):
    from broadcaster import hub as district

    with hub.store.sessions.begin() as s:
        new = district.add_station(s, "xa-d", "Xã D")[1]
    started = time.monotonic()
    # A new connection each: the kernel hands them to both gunicorn workers.
    answers = [hub.get("/api/v1/station/manifest", token=new) for _ in range(2 * district.BURST + 10)]
    elapsed = time.monotonic() - started
    assert answers[0].status_code == 200
    served = sum(a.status_code == 200 for a in answers)
    # One budget for the station: a budget per worker would serve up to twice the burst.
    assert served <= district.BURST + int(elapsed * district.RATE) + 1, (served, elapsed)
    limited = [a for a in answers if a.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1 and "quá dày" in limited[0].json()["loi"]


# --------------------------------------------------------------------------- a bad link


class Proxy:
    """Forwards to the hub; can cut the next audio answers half-way or flip a byte in them."""

    def __init__(self, upstream: str) -> None:
        self.cuts = 0
        self.corrupt = False
        self.bad_manifest = False
        self.ranges: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_a) -> None:
                pass

            def _forward(self, method: str) -> None:
                if proxy.bad_manifest and self.path.endswith("/manifest"):
                    body = b'{"version": 1, "station": "xa-b", "audio": [], "segments": "?"}'
                    self.send_response(200)
                    self.send_header("ETag", '"hong"')
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                up = requests.request(method, upstream + self.path, headers=headers, data=body, timeout=10)
                data = up.content
                audio = "/audio/" in self.path
                if audio:
                    proxy.ranges.append(self.headers.get("Range") or "")
                cut = audio and proxy.cuts > 0 and up.status_code in (200, 206)
                if audio and proxy.corrupt and len(data) > 64:
                    data = data[:64] + bytes([data[64] ^ 0xFF]) + data[65:]
                self.send_response(up.status_code)
                for k, v in up.headers.items():
                    if k.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if cut:
                    proxy.cuts -= 1
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._forward("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(hub):
    p = Proxy(hub.base)
    yield p
    p.close()


def _hub_files(env) -> list[Path]:
    folder = Path(env["BROADCASTER_DATA_DIR"]) / "media" / "hub"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_download_cut_half_way_resumes_with_range(hub, later, proxy, tmp_path):
    env = station_env(hub, tmp_path / "s", "xa-b", url=proxy.url)
    proxy.cuts = 1
    out = run(env, "sync", "--once")
    assert "tải 1 tệp" in out.stdout, out.stdout
    assert proxy.ranges[0] == "" and proxy.ranges[1].startswith("bytes=") and proxy.ranges[1] != "bytes=0-"
    files = _hub_files(env)
    assert len(files) == 1 and file_sha256(files[0]) == files[0].name.split(".")[0]
    with store_of(env).sessions() as s:
        assert s.scalar(select(Schedule.enabled).where(Schedule.uid == later))

    # A bad manifest next time: refused, and the last good one stays in force (nothing withdrawn).
    proxy.bad_manifest = True
    bad = run(env, "sync", "--once", check=False)
    assert bad.returncode == 1 and "Giữ bản kê trước đó" in bad.stdout and "rút 0" in bad.stdout, bad.stdout
    with store_of(env).sessions() as s:
        assert s.scalar(select(Schedule.enabled).where(Schedule.uid == later))


def test_a_corrupt_download_is_refused_and_never_scheduled(hub, later, proxy, tmp_path):
    env = station_env(hub, tmp_path / "s", "xa-b", url=proxy.url)
    proxy.corrupt = True
    out = run(env, "sync", "--once", check=False)
    assert out.returncode == 1 and "sha256 không khớp" in out.stdout and "chờ âm thanh" in out.stdout, (
        out.stdout
    )
    assert _hub_files(env) == []  # neither a final file nor a partial one is left
    store = store_of(env)
    with store.sessions() as s:
        assert s.scalar(select(Schedule.id).where(Schedule.uid == later)) is None
        assert s.scalar(select(func.count(Segment.id)).where(Segment.origin == Origin.HUB)) == 0
    proxy.corrupt = False
    run(env, "sync", "--once")
    with store.sessions() as s:
        assert s.scalar(select(Schedule.enabled).where(Schedule.uid == later))
    store.engine.dispose()


# --------------------------------------------------------------------------- the officer's commands


def test_stations_import_from_csv_all_or_nothing(hub, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,group\nxa-e,Xã E,miền núi\nxa-e,Xã E lặp,\n", encoding="utf-8")
    out = run(hub.env, "station", "import", str(bad), "-o", str(tmp_path / "t0.csv"), check=False)
    assert out.returncode == 1 and "Dòng 3" in out.stderr and not (tmp_path / "t0.csv").exists()

    good = tmp_path / "good.csv"
    good.write_text("code,name,group\nxa-e,Xã E,miền núi;cụm ven biển\nxa-f,Xã F,\n", encoding="utf-8")
    run(hub.env, "station", "import", str(good), "-o", str(tmp_path / "tokens.csv"))
    lines = (tmp_path / "tokens.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code,token" and [ln.split(",")[0] for ln in lines[1:]] == ["xa-e", "xa-f"]
    token = lines[1].split(",")[1]
    assert (
        hub.get("/api/v1/station/manifest", token=token, **{"X-Broadcaster-Station": "xa-e"}).status_code
        == 200
    )
    # Importing the same file again adds nothing and says why.
    again = run(hub.env, "station", "import", str(good), "-o", str(tmp_path / "t2.csv"), check=False)
    assert again.returncode == 1 and "Đã có đài mã «xa-e»" in again.stderr


def test_publish_refuses_a_past_time_and_an_unknown_station_with_one_line(hub, tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("Thông báo.", encoding="utf-8")
    soon = (utcnow() + timedelta(hours=3)).isoformat()
    past, unknown = run_all(
        (hub.env, "hub", "publish", str(text), "--title", "Cũ", "--at", "2020-01-01T06:00", "--to", "all"),
        (hub.env, "hub", "publish", str(text), "--title", "Lạ", "--at", soon, "--to", "xa-a,xa-z"),
        check=False,
    )
    assert past.returncode == 1 and "đã qua" in past.stderr
    assert unknown.returncode == 1 and "«xa-z»" in unknown.stderr and "Traceback" not in unknown.stderr
    with hub.store.sessions() as s:
        assert s.scalar(select(func.count(Schedule.id)).where(Schedule.name.in_(["Cũ", "Lạ"]))) == 0
