"""Playout timing bench: 100 scheduled starts through a ``command:`` sink; prints figures, asserts nothing.

A small reader script stands in for the sound card: it timestamps the first PCM byte after the WAV
header. The start error is that timestamp minus the scheduled time. Also printed: the daemon's
resident memory and its CPU use while idle (from /proc).

    .venv/bin/python bench/bench_playout.py [--starts 100] [--gap 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _tone_station import add_tone_slots  # noqa: E402  (bench/ is on sys.path: the script's own folder)

from broadcaster.config import load  # noqa: E402
from broadcaster.store import ensure_station, open_store  # noqa: E402

READER = r"""
import os, sys, time
log = sys.argv[1]
src = sys.stdin.buffer
src.read(44)
first = src.read(1)
t = time.time()
with open(log, "a") as fh:
    fh.write(f"{t:.6f}\n")
while src.read(65536):
    pass
"""


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_wakeups(pid: int) -> tuple[int, int]:
    """Give back voluntary context switches summed over the daemon's threads, and how many threads."""
    total = threads = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
                    threads += 1
        except OSError:
            pass  # a thread that ended meanwhile
    return total, threads


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=100)
    ap.add_argument("--gap", type=int, default=1, help="seconds between starts")
    ap.add_argument("--idle", type=float, default=15.0, help="seconds of idle CPU measurement")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-playout-"))
    data = tmp / "data"
    reader = tmp / "reader.py"
    reader.write_text(READER)
    log = tmp / "starts.log"
    env = {
        **os.environ,
        "BROADCASTER_DATA_DIR": str(data),
        "BROADCASTER_TTS_ORDER": "pyttsx3",
        "BROADCASTER_SINK": "null",
    }
    cfg = load(env)
    store = open_store(cfg, upgrade=True)
    ensure_station(store)
    first = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)
    scheduled = [first + timedelta(seconds=a.gap * i) for i in range(a.starts)]
    with store.sessions.begin() as s:
        station = store.station(s)
        zone = station.zones[0]
        zone.sink = f"command:{sys.executable} {reader} {log}"
        add_tone_slots(s, cfg, station, zone, 0.3, scheduled)
    store.engine.dispose()

    daemon = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "run"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        end = scheduled[-1] + timedelta(seconds=2)
        while datetime.now(UTC) < end:
            time.sleep(0.5)
        rss = proc_rss_mb(daemon.pid)
        # Idle: nothing left to air; the daemon sleeps on its wake-up socket (1 s fallback poll)
        # and APScheduler's housekeeping timers.
        c0, t0, (w0, _) = proc_cpu_s(daemon.pid), time.monotonic(), proc_wakeups(daemon.pid)
        time.sleep(a.idle)
        (w1, threads), elapsed = proc_wakeups(daemon.pid), time.monotonic() - t0
        idle_cpu = (proc_cpu_s(daemon.pid) - c0) / elapsed * 100
        wakeups = (w1 - w0) / elapsed
        rss = max(rss, proc_rss_mb(daemon.pid))
    finally:
        daemon.terminate()
        daemon.wait(30)

    starts = sorted(float(x) for x in log.read_text().split()) if log.exists() else []
    errors_ms = []
    for at in scheduled:
        target = at.timestamp()
        nearest = min(starts, key=lambda t: abs(t - target), default=None)
        if nearest is not None and abs(nearest - target) < a.gap / 2:
            errors_ms.append((nearest - target) * 1000)
    print(f"starts scheduled: {len(scheduled)}, first bytes seen: {len(starts)}, matched: {len(errors_ms)}")
    if errors_ms:
        abs_err = [abs(e) for e in errors_ms]
        print(
            f"start error (first PCM byte − scheduled): median {statistics.median(errors_ms):+.2f} ms, "
            f"worst {max(abs_err):.2f} ms, p95 {sorted(abs_err)[int(len(abs_err) * 0.95) - 1]:.2f} ms, "
            f"min {min(errors_ms):+.2f} ms, max {max(errors_ms):+.2f} ms"
        )
    print(f"daemon RSS: {rss:.1f} MB")
    print(f"daemon idle CPU: {idle_cpu:.2f} % of one core over {a.idle:.0f} s")
    print(f"daemon idle wake-ups: {wakeups:.1f} per second over {threads} threads")
    print(f"(data dir kept for inspection: {tmp})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
