"""The live link at district scale: 1,000 simulated stations on one local mosquitto, an emergency to all.

1. A real mosquitto (Debian's) with files from the hub's own generator (1,000 station users with
   their ``$7$`` hashes, the ACL); 1,000 simulated stations connect as themselves with persistent
   sessions and subscribe to their nudge and emergency topics, as ``StationLink`` does.
2. The hub side — a separate process holding the production ``HubLink`` — is told "go" and
   publishes an emergency-like payload (QoS 1) to every station's topic. Receipt time = the
   simulated station's on_message minus the moment the hub process got the command, both on this
   machine's wall clock: p50/p95/max over the 1,000, and the hub's and the broker's CPU and RSS.

Simulated stations: ``--mode select`` (default) drives all paho clients from one selector loop in
this process (paho's own loop functions over epoll, no thread per client); ``--mode threads`` gives
each its ``loop_start`` thread as a real station has — but paho's threaded loop waits in select(),
which cannot watch a descriptor above 1023, and each client holds 3 (its socket and a wake-up
pair): one process then holds only ~340 such clients (measured: 339 of 1,000 connect, the rest
retry forever). Real stations are one client per machine, so that limit is the bench's, not theirs.
1,000 connections need ``ulimit -n`` headroom (raised here to the hard limit) and the broker's
``max_connections -1`` (the generator writes it).

3. Then (bench/_live_stations.py) the whole path with real processes: the hub on PostgreSQL with
   its web and live process, two station daemons with their links; ``broadcaster hub emergency``
   → first audio byte at each station's ``command:`` sink.

Targets (issue 13): receipt p95 ≤ 2 s at 1,000 stations; first audio byte ≤ 5 s. Prints figures;
never fails a build.
Run: .venv/bin/python bench/bench_live.py [--stations 1000] [--mode select|threads] [--rounds 3]
[--real-rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from bench_playout import proc_cpu_s, proc_rss_mb

from broadcaster import topics
from broadcaster.live import password_hash, write_broker_files
from broadcaster.pgserver import free_port

HUB_USER = "hub"

#: The hub side, in its own process so its CPU and memory are its own: waits for "go <round>" on
#: stdin, notes the time, publishes to every code, waits until all are acknowledged, reports.
HUB_SCRIPT = r"""
import json, sys, time, resource
from broadcaster import topics
from broadcaster.live import HubLink
url, codes = sys.argv[1], sys.argv[2].split(",")
link = HubLink(url).start()
assert link.wait_connected(30), "hub not connected"
print("ready", flush=True)
for line in sys.stdin:
    rnd = int(line.split()[1])
    t0 = time.time()
    payload = {"uid": f"bench-{rnd}", "action": "start", "title": "Bão số 3", "text": "Bà con chú ý: "
               "bão số 3 sắp đổ bộ, đề nghị bà con neo đậu tàu thuyền, gia cố nhà cửa." * 3,
               "audio": {"sha256": "ab" * 32, "size": 480000, "url": "/api/v1/station/audio/" + "ab" * 32},
               "repeat": 3, "gap_s": 60, "valid_until": "2030-01-01T00:00:00+00:00",
               "sent_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t0)), "round": rnd}
    n = link.publish(topics.EMERGENCY, codes, payload)
    t1 = time.time()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"t0": t0, "handed": n, "publish_s": t1 - t0, "cpu_s": ru.ru_utime + ru.ru_stime}),
          flush=True)
link.stop()
"""


def raise_nofile(want: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, want)) if hard != resource.RLIM_INFINITY else max(soft, want)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


class Stations:
    """The simulated stations: paho clients as StationLink configures them, receipts noted."""

    def __init__(self, port: int, tokens: dict[str, str], mode: str) -> None:
        self.port, self.tokens, self.mode = port, tokens, mode
        self.clients: dict[str, mqtt.Client] = {}
        self.subscribed: set[str] = set()
        self.receipts: dict[int, dict[str, float]] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _make(self, code: str) -> mqtt.Client:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=code, clean_session=False)
        c.username_pw_set(code, self.tokens[code])

        def on_connect(client, _u, _f, rc, _p, code=code):
            if not rc.is_failure:
                client.subscribe([(topics.station_topic(code, k), 1) for k in topics.STATION_READS])

        def on_subscribe(_c, _u, _mid, _rcs, _p, code=code):
            with self.lock:
                self.subscribed.add(code)

        def on_message(_c, _u, msg, code=code):
            at = time.time()
            rnd = json.loads(msg.payload)["round"]
            with self.lock:
                self.receipts.setdefault(rnd, {})[code] = at

        c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
        return c

    def connect(self) -> None:
        for code in self.tokens:
            c = self._make(code)
            self.clients[code] = c
            if self.mode == "threads":
                # As StationLink: its own network thread, reconnecting 1 s doubling to 60 s.
                c.reconnect_delay_set(1, 60)
                c.connect_async("127.0.0.1", self.port, keepalive=60)
                c.loop_start()
                time.sleep(0.002)  # real stations do not all start in the same millisecond
            else:
                c.connect("127.0.0.1", self.port, keepalive=60)
        if self.mode == "select":
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        # One thread drives every client with paho's own loop_read / loop_write / loop_misc.
        sel = selectors.DefaultSelector()
        by_sock = {}
        for c in self.clients.values():
            sock = c.socket()
            sel.register(sock, selectors.EVENT_READ, c)
            by_sock[sock] = c
        last_misc = 0.0
        while not self._stop.is_set():
            for c in self.clients.values():
                if c.want_write():
                    c.loop_write()
            for key, _mask in sel.select(timeout=0.05):
                c = key.data
                c.loop_read()
                if c.want_write():
                    c.loop_write()
            if time.monotonic() - last_misc > 1:
                for c in self.clients.values():
                    c.loop_misc()
                last_misc = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        for c in self.clients.values():
            try:
                c.disconnect()
                if self.mode == "threads":
                    c.loop_stop()
            except Exception:  # noqa: BLE001 - tearing down a bench
                pass


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=1000)
    ap.add_argument("--mode", choices=("select", "threads"), default="select")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--real-rounds", type=int, default=3, help="emergencies to two real station daemons (0: none)"
    )
    a = ap.parse_args()
    rc = simulated(a)
    if rc == 0 and a.real_rounds > 0:
        # The whole path with real processes (hub on PostgreSQL, two stations): bench/_live_stations.py.
        from _live_stations import measure

        measure(a.real_rounds)
    return rc


def simulated(a: argparse.Namespace) -> int:
    """Print the figures of the simulated stations part; give back the exit code."""
    if not Path("/usr/sbin/mosquitto").exists():
        print("mosquitto missing: run `make setup`")
        return 0
    nofile = raise_nofile(a.stations * 2 + 256)
    root = Path(tempfile.mkdtemp(prefix="bc-bench-live-"))
    port = free_port()
    codes = [f"xa-{i:04d}" for i in range(a.stations)]
    tokens = {c: "bcs_" + os.urandom(16).hex() for c in codes}
    hub_password = os.urandom(12).hex()
    t = time.perf_counter()
    write_broker_files(
        root,
        stations={c: password_hash(tok) for c, tok in tokens.items()},
        hub_user=HUB_USER,
        hub_hash=password_hash(hub_password),
        port=port,
    )
    gen_s = time.perf_counter() - t
    log = open(root / "mosquitto.log", "ab")  # noqa: SIM115
    broker = subprocess.Popen(
        ["/usr/sbin/mosquitto", "-c", str(root / "mosquitto.conf")], stdout=log, stderr=log
    )
    stations = Stations(port, tokens, a.mode)
    hub = None
    try:
        for _ in range(500):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if broker.poll() is not None:
                print("mosquitto stopped:", (root / "mosquitto.log").read_text())
                return 1
            time.sleep(0.02)
        print(
            f"Kênh trực tiếp: {a.stations} đài mô phỏng ({a.mode}), mosquitto cổng {port}, ulimit -n {nofile}"
        )
        print(f"  tạo tệp máy chủ (mật khẩu $7$ cho {a.stations} đài, ACL): {gen_s:.2f} s")
        cpu0 = proc_cpu_s(broker.pid)
        t = time.perf_counter()
        stations.connect()
        while len(stations.subscribed) < a.stations and time.perf_counter() - t < 120:
            time.sleep(0.05)
        print(
            f"  {len(stations.subscribed)}/{a.stations} đài kết nối và đăng ký trong "
            f"{time.perf_counter() - t:.2f} s; "
            f"máy chủ MQTT: CPU {proc_cpu_s(broker.pid) - cpu0:.2f} s, RSS {proc_rss_mb(broker.pid):.1f} MB; "
            f"tiến trình đài mô phỏng RSS {proc_rss_mb(os.getpid()):.1f} MB, {threading.active_count()} luồng"
        )
        hub_url = f"mqtt://{HUB_USER}:{hub_password}@127.0.0.1:{port}"
        hub = subprocess.Popen(
            [sys.executable, "-c", HUB_SCRIPT, hub_url, ",".join(codes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert hub.stdout.readline().strip() == "ready"
        for rnd in range(1, a.rounds + 1):
            b0, h0 = proc_cpu_s(broker.pid), proc_cpu_s(hub.pid)
            hub.stdin.write(f"go {rnd}\n")
            hub.stdin.flush()
            report = json.loads(hub.stdout.readline())
            deadline = time.time() + 30
            while len(stations.receipts.get(rnd, {})) < a.stations and time.time() < deadline:
                time.sleep(0.02)
            time.sleep(0.2)
            got = stations.receipts.get(rnd, {})
            lat = [at - report["t0"] for at in got.values()]
            b_cpu, h_cpu = proc_cpu_s(broker.pid) - b0, proc_cpu_s(hub.pid) - h0
            print(
                f"  lượt {rnd}: nhận {len(got)}/{a.stations}; từ lệnh tới khi đài nhận "
                f"p50 {pct(lat, 50) * 1000:.0f} ms, p95 {pct(lat, 95) * 1000:.0f} ms, "
                f"lớn nhất {max(lat) * 1000:.0f} ms (mục tiêu p95 ≤ 2000 ms); "
                f"huyện gửi xong sau {report['publish_s'] * 1000:.0f} ms"
            )
            print(
                f"      CPU trong lượt: huyện {h_cpu:.2f} s, máy chủ MQTT {b_cpu:.2f} s; "
                f"RSS: huyện {proc_rss_mb(hub.pid):.1f} MB, máy chủ MQTT {proc_rss_mb(broker.pid):.1f} MB"
            )
            if lat:
                spread = statistics.pstdev(lat) * 1000
                print(f"      độ lệch chuẩn {spread:.0f} ms")
        return 0
    finally:
        if hub is not None:
            hub.stdin.close()
            hub.wait(timeout=10)
        stations.stop()
        broker.terminate()
        broker.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
