"""Hub bench: 1,000 and 10,000 stations calling the district hub every 60 s; prints latency and cost.

The hub runs as in production: ``broadcaster web`` in hub mode (gunicorn, its default workers) on
a real PostgreSQL started under a temporary folder (broadcaster.pgserver, as the tests start it).
Two district items are published with ``broadcaster hub publish`` (one for all stations, one for a
group of half of them); the stations are registered straight into the database (10,000 ``station
add`` commands would take minutes and measure nothing we serve).

Each simulated station polls its manifest once per interval with the ETag it holds (304 unless
something changed) and, on one round in five, also posts a report of 5 as-run rows and its status
(the sync client reports when it has rows, when its status changed, or every 5 minutes). Load comes
from wrk with a Lua script (bench/_hub_load.lua) at the stations' aggregate rate, with random
(exponential) gaps, over keep-alive connections; wrk's own CPU is printed to show it is not the
bottleneck. Each station's first poll in the window is the worker's first sight of it too (a cold
cache, the harder case: a token lookup and an ETag to compute); later polls cost one statement.

Printed per size: requests/s achieved, p50/p95/p99/max latency, errors (non-2xx/3xx, socket
errors, 429), the 304 share, hub CPU (gunicorn master + workers) and RSS (sum, peak), PostgreSQL
CPU, wrk CPU. Asserts nothing. Target (issue 12): p95 <= 100 ms with 0 errors at 10,000.

    .venv/bin/python bench/bench_hub.py [--sizes 1000,10000] [--window 30] [--interval 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from broadcaster import hub  # noqa: E402
from broadcaster.config import load  # noqa: E402
from broadcaster.content import token_hash  # noqa: E402
from broadcaster.db import new_uid, utcnow  # noqa: E402
from broadcaster.models import Schedule, Station, StationToken, schedule_targets  # noqa: E402
from broadcaster.pgserver import PgServer, free_port  # noqa: E402
from broadcaster.store import open_store  # noqa: E402

BC = [sys.executable, "-m", "broadcaster.cli"]
LUA = Path(__file__).with_name("_hub_load.lua")
GROUP = "cụm ven biển"
#: One round in five also posts as-run rows and status (see the module docstring).
REPORT_ROUNDS = 0.2


def _run(env: dict, *args: str) -> str:
    out = subprocess.run([*BC, *args], env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"broadcaster {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def _register(store, start: int, stop: int) -> None:
    """Stations start..stop-1 with one token each, half of them in GROUP, aimed at by the district
    items that target them (all, or the group)."""
    with store.sessions.begin() as s:
        rows = [
            {
                "uid": new_uid(),
                "code": f"xa-{i:05d}",
                "name": f"Xã {i}",
                "timezone": "Asia/Ho_Chi_Minh",
                "commune": f"Xã {i}",
                "district": "Huyện thử",
                "groups": [GROUP] if i % 2 == 0 else [],
                "created_at": utcnow(),
            }
            for i in range(start, stop)
        ]
        s.execute(insert(Station), rows)
        ids = dict(s.execute(select(Station.code, Station.id).where(Station.code.like("xa-%"))).all())
        s.execute(
            insert(StationToken),
            [
                {"station_id": ids[f"xa-{i:05d}"], "token_hash": token_hash(_token(i))}
                for i in range(start, stop)
            ],
        )
        for sched in s.scalars(select(Schedule).where(Schedule.targets.any())):
            grouped = sched.name.endswith("(nhóm)")
            s.execute(
                insert(schedule_targets),
                [
                    {"schedule_id": sched.id, "station_id": ids[f"xa-{i:05d}"]}
                    for i in range(start, stop)
                    if not grouped or i % 2 == 0
                ],
            )


def _token(i: int) -> str:
    return f"bcs_bench_{i:05d}_{'k' * 24}"


def _stations_file(store, path: Path, n: int) -> None:
    """Write "code token etag" per station, shuffled: the ETag each station would hold now."""
    cfg = store.config
    with store.sessions() as s:
        pairs = s.execute(select(schedule_targets.c.station_id, schedule_targets.c.schedule_id)).all()
        by_station: dict[int, list[int]] = {}
        for sid, sch in pairs:
            by_station.setdefault(sid, []).append(sch)
        parts = {}
        lines = []
        for sid, code in s.execute(select(Station.id, Station.code).where(Station.code.like("xa-%"))).all():
            key = tuple(sorted(by_station.get(sid, [])))
            if key not in parts:
                parts[key] = hub.district_part(cfg, [s.get(Schedule, k) for k in key])
            i = int(code[3:])
            if i < n:
                lines.append(f'{code} {_token(i)} "{parts[key].manifest(code).etag()}"')
    random.shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- process accounting

TICK = os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _cpu_s(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICK


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class Meter:
    """CPU seconds of two process trees over a window, and the peak RSS of the first."""

    def __init__(self, hub_pid: int, pg_pid: int) -> None:
        self.hub_pid, self.pg_pid = hub_pid, pg_pid
        self.peak = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> Meter:
        self.hub0, self.pg0 = _cpu_s(_tree(self.hub_pid)), _cpu_s(_tree(self.pg_pid))
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, _rss_mb(_tree(self.hub_pid)))

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.elapsed = time.monotonic() - self.t0
        self.hub_cpu = (_cpu_s(_tree(self.hub_pid)) - self.hub0) / self.elapsed
        self.pg_cpu = (_cpu_s(_tree(self.pg_pid)) - self.pg0) / self.elapsed
        self.rss = _rss_mb(_tree(self.hub_pid))
        self.workers = len(_tree(self.hub_pid)) - 1


# --------------------------------------------------------------------------- the run


def _wait_up(base: str, proc: subprocess.Popen) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the hub's web stopped at start")
        try:
            if requests.get(base + "/api/v1/station/manifest", timeout=2).status_code == 401:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("the hub's web did not answer")


def measure(n: int, store, base: str, web: subprocess.Popen, pg: PgServer, tmp: Path, a) -> dict:
    rate = n / a.interval * (1 + REPORT_ROUNDS)
    conns = max(8, min(128, round(rate / 3)))  # a gap of ~300 ms per connection
    stations = tmp / f"stations-{n}.txt"
    _stations_file(store, stations, n)
    cmd = [
        "wrk",
        "-t1",
        f"-c{conns}",
        f"-d{a.window}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
        "--",
        str(stations),
        "1",
        f"{conns / rate * 1000:.1f}",
        f"{REPORT_ROUNDS / (1 + REPORT_ROUNDS):.4f}",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with Meter(web.pid, pg.proc.pid) as m:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=a.window + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[len("RESULT ") :])
    secs = r["duration_us"] / 1e6
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    print(
        f"{n:>6} stations, {conns} connections: {r['requests'] / secs:.0f} req/s (target {rate:.0f}) "
        f"over {secs:.0f} s, {r['requests']} requests"
    )
    print(
        f"        latency p50 {r['p50_us'] / 1000:.1f} ms, p95 {r['p95_us'] / 1000:.1f} ms, "
        f"p99 {r['p99_us'] / 1000:.1f} ms, max {r['max_us'] / 1000:.0f} ms"
    )
    print(
        f"        errors {errors} (non-2xx/3xx {r['status']}, of which 429 {r['c429']}; socket "
        f"{errors - r['status']}); answers: 304 {r['c304']}, 200 {r['c200']} (reports, changed manifests)"
        + (f" (other statuses {r['cother']})" if r["cother"] else "")
    )
    per_request = m.hub_cpu * m.elapsed / max(1, r["requests"]) * 1000
    wrk_cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / m.elapsed
    print(
        f"        hub CPU {m.hub_cpu * 100:.0f}% of a core ({per_request:.1f} ms a request; "
        f"gunicorn master + {m.workers} workers), RSS {m.rss:.0f} MB (peak {m.peak:.0f} MB); PostgreSQL CPU "
        f"{m.pg_cpu * 100:.0f}%; wrk CPU {wrk_cpu * 100:.0f}%"
    )
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--window", type=int, default=30, help="seconds of load per size")
    ap.add_argument("--interval", type=int, default=60, help="each station's sync interval, seconds")
    a = ap.parse_args()
    sizes = sorted(int(x) for x in a.sizes.split(","))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: run `make setup` (Debian package wrk)")
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    pg = PgServer("max_connections=200")
    web = None
    try:
        url = pg.create_database("hub")
        port = free_port()
        env = {
            "BROADCASTER_DATA_DIR": str(tmp / "data"),
            "BROADCASTER_DATABASE_URL": url,
            "BROADCASTER_MODE": "hub",
            "BROADCASTER_STATION_CODE": "huyen-thu",
            "BROADCASTER_STATION_NAME": "Trung tâm huyện",
            "BROADCASTER_WEB_PORT": str(port),
            "BROADCASTER_TTS_ORDER": "pyttsx3",
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT)),
            "TZ": "UTC",
        }
        (tmp / "data").mkdir()
        _run(env, "init", "--no-starter")
        store = open_store(load(env))
        _register(store, 0, sizes[0])
        text = tmp / "tin.txt"
        text.write_text("Ủy ban nhân dân huyện thông báo lịch tiếp công dân tuần này.", encoding="utf-8")
        for title, to, hours in (("Tin huyện", "all", 3), ("Tin huyện (nhóm)", f"group:{GROUP}", 5)):
            at = (utcnow() + timedelta(hours=hours)).isoformat()
            _run(env, "hub", "publish", str(text), "--title", title, "--at", at, "--to", to)
        log = open(tmp / "web.log", "ab")  # noqa: SIM115 - closed with the process
        web = subprocess.Popen([*BC, "web"], env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        _wait_up(base, web)
        load_now = os.getloadavg()[0]
        print(f"hub: gunicorn on {base}, PostgreSQL on {pg.port}; {os.cpu_count()} CPUs, load {load_now:.1f}")
        have = sizes[0]
        for n in sizes:
            if n > have:
                _register(store, have, n)
                have = n
            measure(n, store, base, web, pg, tmp, a)
        store.engine.dispose()
    finally:
        if web is not None:
            web.terminate()
            web.wait(timeout=30)
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"(bench run time {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
