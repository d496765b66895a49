"""The dashboard under load: a year of as-run log, the real ``broadcaster web`` server, wrk.

Builds a store in a temporary data dir (a year of as-run entries from the shared sample generator:
2 daily slots × ~10 items on 3 zones, every kind, area and status, ending now), starts the real
server (``broadcaster web`` as shipped: gunicorn, BROADCASTER_WEB_WORKERS worker processes; the
line it prints tells which server and how many workers), signs in for a session cookie, then runs
``wrk -t2 -c50 -d15s --latency`` on ``/`` ``--runs`` times and prints p50/p95/p99 and req/s of each
run and their medians. Then times the dashboard's parts in-process (each query, the template, the
cached data) to show where time goes. Prints figures; never fails a build (target: p95 ≤ 100 ms).

Run: .venv/bin/python bench/bench_dashboard.py [--days 365] [--zones 3] [--duration 15]
     [--connections 50] [--runs 3] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import delete, func, insert, select

from broadcaster.config import load
from broadcaster.content import create_user
from broadcaster.db import new_uid, utcnow
from broadcaster.models import AirStatus, AsRunEntry, Occurrence, Schedule
from broadcaster.pgserver import free_port
from broadcaster.store import ensure_station, open_store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the sample as-run filler is a test helper, not shipped
from sample_asrun import fill_sample_asrun  # noqa: E402

USER, PASSWORD = "bench-admin", "mat-khau-thu-nghiem-2025"
# wrk prints 50/75/90/99 only; p95 and the rest come from this done() hook.
WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH p50=%d p95=%d p99=%d max=%d reqs=%d dur_us=%d errors=%d\\n",
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
      + summary.errors.status))
end
"""


def build_store(data_dir: Path, days: int, zones: int) -> dict:
    """Fill the store with ``days`` days of as-run ending now, the next slots planned; give counts."""
    env = {"BROADCASTER_DATA_DIR": str(data_dir)}
    store = open_store(load(env), upgrade=True)
    ensure_station(store)
    now = utcnow()
    with store.sessions.begin() as s:
        st = store.station(s)
        tz = ZoneInfo(st.timezone)
        today = now.astimezone(tz).date()
        fill_sample_asrun(s, st, today - timedelta(days=days - 1), days, zones=zones, items=(8, 12))
        # Today's later slot has not happened yet: drop what the generator wrote in the future,
        # and plan the next two days as the daemon would (pending occurrences, for "Sắp phát").
        future = select(Occurrence.id).where(Occurrence.scheduled_at > now)
        s.execute(delete(AsRunEntry).where(AsRunEntry.occurrence_id.in_(future)))
        s.execute(delete(Occurrence).where(Occurrence.scheduled_at > now))
        s.execute(delete(AsRunEntry).where(AsRunEntry.started_at > now))
        scheds = list(s.scalars(select(Schedule).where(Schedule.station_id == st.id)))
        zone_ids = [z.id for z in st.zones]
        rows = []
        for d in range(3):
            for sch in scheds:
                at = datetime.combine(today + timedelta(days=d), sch.start_time, tzinfo=tz)
                if at <= now:
                    continue
                for zid in zone_ids:
                    rows.append(
                        dict(
                            uid=new_uid(),
                            station_id=st.id,
                            schedule_id=sch.id,
                            programme_id=sch.programme_id,
                            zone_id=zid,
                            scheduled_at=at.astimezone(ZoneInfo("UTC")),
                            title=f"Chuyên mục CCHC {sch.start_time:%H:%M}",
                            status=AirStatus.PENDING,
                        )
                    )
        if rows:
            s.execute(insert(Occurrence), rows)
        create_user(s, st, USER, PASSWORD, "admin", full_name="Quản trị thử tải")
    with store.sessions() as s:
        counts = {
            "occurrences": s.scalar(select(func.count()).select_from(Occurrence)),
            "entries": s.scalar(select(func.count()).select_from(AsRunEntry)),
            "last_24h": s.scalar(
                select(func.count())
                .select_from(AsRunEntry)
                .where(AsRunEntry.started_at >= now - timedelta(hours=24))
            ),
        }
    store.engine.dispose()
    db_files = [p for p in data_dir.rglob("*") if p.is_file() and p.suffix in (".db", ".sqlite", ".sqlite3")]
    counts["db_bytes"] = sum(p.stat().st_size for p in db_files)
    return counts


def start_server(data_dir: Path, port: int, workers: int | None) -> tuple[subprocess.Popen, str]:
    # The server logs every request: to a file, never to a pipe nobody reads (it would fill and
    # block the server after ~1000 requests).
    env = {
        **os.environ,
        "BROADCASTER_DATA_DIR": str(data_dir),
        "BROADCASTER_TTS_ORDER": "pyttsx3",
        "BROADCASTER_SINK": "null",
    }
    if workers is not None:
        env["BROADCASTER_WEB_WORKERS"] = str(workers)
    proc = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=(data_dir / "web.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"broadcaster web exited: {(data_dir / 'web.log').read_text()}")
        try:
            requests.get(f"http://127.0.0.1:{port}/dang-nhap", timeout=1)
            ready = next(
                (ln for ln in (data_dir / "web.log").read_text().splitlines() if "đang chạy tại" in ln), "?"
            )
            return proc, ready
        except (requests.ConnectionError, requests.Timeout):  # a busy machine answers the first page slowly
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("broadcaster web did not start in 30 s")


def login(base: str) -> str:
    """Sign in through the login form; give back the ``Cookie`` header value."""
    http = requests.Session()
    page = http.get(f"{base}/dang-nhap", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = http.post(
        f"{base}/dang-nhap",
        data={"csrf_token": token, "username": USER, "password": PASSWORD, "next": ""},
        allow_redirects=False,
        timeout=10,
    )
    if r.status_code != 302:
        raise SystemExit(f"login failed: {r.status_code}")
    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    # Warm up (every worker builds its app on its first request) and check the cookie gives the
    # dashboard itself, not a redirect to the login page.
    for _ in range(10):
        r = requests.get(f"{base}/", headers={"Cookie": cookie}, allow_redirects=False, timeout=30)
    if r.status_code != 200 or "24 giờ qua" not in r.text:
        raise SystemExit(f"dashboard not served to the session: {r.status_code}")
    return cookie, len(r.content), r.text.count('<tr class="row-')


def run_wrk(url: str, cookie: str, threads: int, conns: int, secs: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_LUA)
        script = fh.name
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{conns}",
                f"-d{secs}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                script,
                "-H",
                f"Cookie: {cookie}",
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    m = re.search(r"BENCH p50=(\d+) p95=(\d+) p99=(\d+) max=(\d+) reqs=(\d+) dur_us=(\d+) errors=(\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50": int(m.group(1)) / 1000,
        "p95": int(m.group(2)) / 1000,
        "p99": int(m.group(3)) / 1000,
        "max": int(m.group(4)) / 1000,
        "requests": int(m.group(5)),
        "errors": int(m.group(7)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "rps": float(rps.group(1)),
        "raw": out,
    }


def profile_in_process(data_dir: Path, cookie_user: str, rounds: int = 30) -> list[tuple[str, float, int]]:
    """Time the dashboard's parts in one process: each query, the template, the whole view.

    Gives back (part, median ms, SQL statements) rows.
    """
    from flask_login import login_user
    from sqlalchemy import event

    from broadcaster.content._queries import on_air_rows, recent_asrun, upcoming_rows
    from broadcaster.models import StationState, User
    from broadcaster.playout import daemon_alive, forecast, warnings
    from broadcaster.web import create_app
    from broadcaster.web import dashboard as dash
    from broadcaster.web._core import LoginUser, db, station

    cfg = load({"BROADCASTER_DATA_DIR": str(data_dir), "BROADCASTER_TTS_ORDER": "pyttsx3"})
    store = open_store(cfg)
    app = create_app(cfg, store=store)
    statements = [0]

    @event.listens_for(store.engine, "before_cursor_execute")
    def _count(*_a, **_k):
        statements[0] += 1

    def timed(fn) -> tuple[float, int]:
        samples, n = [], 0
        for _ in range(rounds):
            with app.test_request_context("/"):
                user = db().scalar(select(User).where(User.username == cookie_user))
                login_user(LoginUser(user))
                st = station()
                statements[0] = 0
                t = time.perf_counter()
                fn(db(), st)
                samples.append(time.perf_counter() - t)
                n = statements[0]
        samples.sort()
        return samples[len(samples) // 2] * 1000, n

    def uncached(fn):
        def run(s, st):
            dash.watch_writes(store.sessions).written()  # as after a write: data made afresh
            return fn(s, st)

        return run

    parts = {
        "station state + daemon_alive": lambda s, st: (s.get(StationState, st.id), daemon_alive(s, st.id)),
        "on_air_rows": lambda s, st: on_air_rows(s, st.id),
        "upcoming_rows(8)": lambda s, st: upcoming_rows(s, st.id, 8),
        "recent_asrun(24 h)": lambda s, st: recent_asrun(s, st.id, 24),
        "forecast(48 h) + warnings": lambda s, st: warnings(forecast(s, st)),
        "outputs (where the sound goes)": lambda s, st: dash.outputs(s, st, cfg),
        "engine health (background)": lambda s, st: dash.health_watch.get(cfg),
        "disk usage": lambda s, st: dash._disk(cfg),
        "status_data, data made afresh": uncached(lambda s, st: dash.status_data()),
        "status_data, cached data": lambda s, st: dash.status_data(),
        "whole view, data made afresh": uncached(lambda s, st: dash.index.__wrapped__()),
        "whole view, cached data": lambda s, st: dash.index.__wrapped__(),
    }
    rows = [(name, *timed(fn)) for name, fn in parts.items()]
    store.engine.dispose()
    return rows


def profile_by_library(data_dir: Path, rounds: int = 50) -> tuple[float, list[tuple[str, float]]]:
    """Run whole requests through the app (test client, signed in) under cProfile; give back the
    mean ms per request unprofiled and the profiled own time per request grouped by library."""
    import cProfile
    import pstats

    from broadcaster.web import create_app

    cfg = load({"BROADCASTER_DATA_DIR": str(data_dir), "BROADCASTER_TTS_ORDER": "pyttsx3"})
    store = open_store(cfg)
    client = create_app(cfg, store=store).test_client()
    page = client.get("/dang-nhap").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/dang-nhap", data={"csrf_token": token, "username": USER, "password": PASSWORD})
    for _ in range(5):
        client.get("/")
    t = time.perf_counter()
    for _ in range(rounds):
        client.get("/")
    plain_ms = (time.perf_counter() - t) * 1000 / rounds
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(rounds):
        client.get("/")
    prof.disable()
    store.engine.dispose()
    groups: dict[str, float] = {}
    libs = (
        "sqlalchemy",
        "jinja2",
        "markupsafe",
        "werkzeug",
        "flask_login",
        "flask_wtf",
        "flask",
        "itsdangerous",
        "web/templates",
        "broadcaster",
        "zoneinfo",
    )
    for (filename, _line, name), (_cc, _nc, own, _cum, _callers) in pstats.Stats(prof).stats.items():
        if filename == "~":
            key = "sqlite3 (C)" if "sqlite3" in name else "builtins (C)"
        else:
            key = next((k for k in libs if k in filename), "other Python")
        groups[key] = groups.get(key, 0.0) + own * 1000 / rounds
    return plain_ms, sorted(groups.items(), key=lambda kv: -kv[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--zones", type=int, default=3)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3, help="wrk runs against the same server")
    ap.add_argument("--workers", type=int, help="BROADCASTER_WEB_WORKERS (default: the setting's)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as d:
        data_dir = Path(d) / "data"
        data_dir.mkdir()
        t = time.perf_counter()
        counts = build_store(data_dir, args.days, args.zones)
        print(
            f"store: {args.days} days on {args.zones} zones, {counts['occurrences']:,} occurrences, "
            f"{counts['entries']:,} as-run entries ({counts['last_24h']} in the last 24 h), "
            f"SQLite {counts['db_bytes'] / 1024**2:.1f} MiB, built in {time.perf_counter() - t:.1f} s"
        )
        port = free_port()
        proc, ready = start_server(data_dir, port, args.workers)
        results = []
        try:
            base = f"http://127.0.0.1:{port}"
            cookie, size, rows = login(base)
            server = re.search(r"\(([^;]*);", ready)
            print(
                f"server: broadcaster web ({server.group(1) if server else ready}) on {base}; "
                f"dashboard page {size / 1024:.0f} KiB, {rows} as-run rows; {os.cpu_count()} CPUs"
            )
            for i in range(args.runs):
                res = run_wrk(f"{base}/", cookie, args.threads, args.connections, args.duration)
                results.append(res)
                print(
                    f"run {i + 1}: wrk -t{args.threads} -c{args.connections} -d{args.duration}s GET /: "
                    f"p50 {res['p50']:.1f} ms | p95 {res['p95']:.1f} ms | p99 {res['p99']:.1f} ms | "
                    f"max {res['max']:.0f} ms | {res['rps']:.1f} req/s | {res['requests']:,} requests, "
                    f"{res['errors']} errors, {res['non2xx']} non-2xx",
                    flush=True,
                )
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        med = {k: statistics.median(r[k] for r in results) for k in ("p50", "p95", "p99", "rps")}
        print(
            f"median of {len(results)} runs: p50 {med['p50']:.1f} ms | p95 {med['p95']:.1f} ms | "
            f"p99 {med['p99']:.1f} ms | {med['rps']:.0f} req/s"
        )
        verdict = "meets" if med["p95"] <= 100 else "MISSES"
        print(f"target p95 ≤ 100 ms (median run): {verdict}")
        print("in-process, one request at a time (median of 30):")
        for name, ms, n in profile_in_process(data_dir, USER):
            print(f"  {name:<34} {ms:7.2f} ms  {n:2d} SQL")
        plain, groups = profile_by_library(data_dir)
        total = sum(v for _k, v in groups)
        print(f"whole request through the app, signed in: {plain:.1f} ms; own time by library (cProfile):")
        for k, v in groups:
            if v >= 0.05:
                print(f"  {k:<20} {v:6.2f} ms  {v * 100 / total:4.0f} %")


if __name__ == "__main__":
    main()
