"""Relay and Icecast bench (issue 14); prints figures, asserts nothing.

1. Relay start error: an ffmpeg upstream feeds a local icecast2; ``--starts`` relays of one second
   each are scheduled a few seconds ahead (``play --relay``'s code path) into a ``command:`` sink
   whose reader timestamps the first PCM byte. Error = that time minus the scheduled time; the
   as-run row tells whether the first second was the stream (relayed) or the fallback.
2. Icecast sink: ``--items`` tones aired one after another into a mount an ffmpeg listener plays;
   delay = when the listener decoded the tone's onset minus when the as-run row says it started.
   Also the source connections made (1 = no reconnect between items).

    .venv/bin/python bench/bench_relay.py [--starts 20] [--items 5]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the suite's icecast2 fixture class, not a copy of it

from conftest import Icecast  # noqa: E402

from broadcaster.config import load  # noqa: E402
from broadcaster.db import utcnow  # noqa: E402
from broadcaster.playout import play_programme_once  # noqa: E402
from broadcaster.playout._icecast import close_feeds, feeds  # noqa: E402
from broadcaster.store import ensure_station, open_store  # noqa: E402

READER = r"""
import sys, time
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


def _station(tmp: Path):
    env = {"BROADCASTER_DATA_DIR": str(tmp / "data"), "BROADCASTER_TTS_ORDER": "pyttsx3"}
    config = load(env)
    store = open_store(config, upgrade=True)
    ensure_station(store)
    return config, store


def relay_starts(ice: Icecast, config, store, tmp: Path, n: int) -> None:
    ice.feed("/huyen.mp3")
    reader, log = tmp / "reader.py", tmp / "first.log"
    reader.write_text(READER)
    errors, live = [], 0
    for _ in range(n):
        log.unlink(missing_ok=True)
        at = (utcnow() + timedelta(seconds=3)).replace(microsecond=0) + timedelta(seconds=1)
        occ = play_programme_once(
            store,
            config,
            relay_url=ice.url("/huyen.mp3"),
            relay_s=1,
            at=at,
            sink=f"command:{sys.executable} {reader} {log}",
        )
        first = float(log.read_text().split()[0])
        errors.append((first - at.timestamp()) * 1000)
        live += occ.entries[0].reason == "Tiếp sóng 1,0 giây."
    late = max(errors)
    print(f"relay starts: {n}, stream live from the first sample in {live}/{n}")
    print(
        f"  start error ms: median {statistics.median(errors):+.1f}, worst late {late:+.1f}, "
        f"earliest {min(errors):+.1f}  (target <= +50 ms late: {'met' if late <= 50 else 'NOT met'})"
    )


class Listener:
    """An ffmpeg listener whose decoded chunks are stamped with their arrival time."""

    RATE = 8000

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "mp3", "-i", url,
             "-f", "s16le", "-ac", "1", "-ar", str(self.RATE), "pipe:1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.chunks: list[tuple[float, bytes]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while chunk := self.proc.stdout.read1(320):
            self.chunks.append((time.time(), chunk))

    def onsets(self) -> list[float]:
        """Give back the arrival times of the chunks where sound starts after silence."""
        out, loud = [], False
        for t, c in self.chunks:
            samples = memoryview(c[: len(c) // 2 * 2]).cast("h")
            rms = math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))
            if not loud and rms > 1000:
                out.append(t)
                loud = True
            elif loud and rms < 200:
                loud = False
        return out

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def icecast_delay(ice: Icecast, config, store, tmp: Path, n: int) -> None:
    tone = tmp / "tone.wav"
    sox = [
        "sox",
        "-n",
        "-r",
        "44100",
        "-c",
        "1",
        "-b",
        "16",
        str(tone),
        "synth",
        "1",
        "sine",
        "700",
        "vol",
        "0.5",
    ]
    subprocess.run(sox, check=True)
    spec = ice.sink("/xa.mp3")
    from broadcaster.playout import make_sink

    first = make_sink(spec, sample_rate=config.sample_rate)
    first.open()
    first.close()
    listener = Listener(ice.url("/xa.mp3"))
    time.sleep(2.0)
    started = []
    for _ in range(n):
        occ = play_programme_once(store, config, asset_path=tone, sink=spec)
        started.append(occ.entries[0].started_at.timestamp())
        time.sleep(1.5)
    time.sleep(2.0)
    heard = listener.onsets()
    listener.stop()
    delays = []
    for s in started:
        after = [h for h in heard if h >= s - 0.2]
        if after:
            delays.append((after[0] - s) * 1000)
    feed = next(f for f in feeds() if f.target.port == ice.port)
    stats = ice.stats().get("/xa.mp3", {})
    print(f"icecast sink: {n} airings, onsets heard {len(delays)}/{n}")
    if delays:
        print(
            f"  end-to-end delay ms (as-run start -> listener decoded): "
            f"median {statistics.median(delays):.0f}, max {max(delays):.0f}, min {min(delays):.0f}"
        )
    print(
        f"  source connections made: {feed.connections} (1 = no reconnect between items); "
        f"listener still connected: {stats.get('listeners')}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--items", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as d:
        tmp = Path(d)
        config, store = _station(tmp)
        ice = Icecast().start()
        try:
            print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
            relay_starts(ice, config, store, tmp, args.starts)
            icecast_delay(ice, config, store, tmp, args.items)
        finally:
            close_feeds()
            ice.stop()
            store.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
