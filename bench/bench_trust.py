"""Trust bench: N one-off slots, a content write 2 s before every other one; prints what really aired.

The issue's reproduction: slots ``--gap`` seconds apart airing a ``--secs`` tone through a
``command:`` sink (tests/playout/pcm_reader.py, which consumes at real-time pace like aplay and logs
the bytes it got); 2 s before every other slot this process creates an unrelated draft segment
through the content service. Printed: how many airings reached the output in full (bytes), how many
the as-run log calls played with the right duration, and how far the logged item ends are from
when the output consumed the last byte. Asserts nothing.

    .venv/bin/python bench/bench_trust.py [--slots 6] [--gap 15] [--secs 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _tone_station import add_tone_slots  # noqa: E402  (bench/ is on sys.path: the script's own folder)
from sqlalchemy import select  # noqa: E402

from broadcaster.config import load  # noqa: E402
from broadcaster.content import SegmentFields, create_segment, create_user  # noqa: E402
from broadcaster.models import (  # noqa: E402
    AirStatus,
    AsRunEntry,
    Occurrence,
    User,
)
from broadcaster.store import ensure_station, open_store  # noqa: E402

READER = ROOT / "tests" / "playout" / "pcm_reader.py"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--slots", type=int, default=6)
    ap.add_argument("--gap", type=float, default=15.0, help="seconds between slots")
    ap.add_argument("--secs", type=float, default=10.0, help="length of the tone each slot airs")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-trust-"))
    log = tmp / "reader.log"
    env = {
        **os.environ,
        "BROADCASTER_DATA_DIR": str(tmp / "data"),
        "BROADCASTER_TTS_ORDER": "pyttsx3",
        "BROADCASTER_SINK": "null",
    }
    cfg = load(env)
    store = open_store(cfg, upgrade=True)
    ensure_station(store)
    first = (datetime.now(UTC) + timedelta(seconds=10)).replace(microsecond=0)
    slots = [first + timedelta(seconds=a.gap * i) for i in range(a.slots)]
    with store.sessions.begin() as s:
        station = store.station(s)
        station_id = station.id
        zone = station.zones[0]
        zone.sink = f"command:{sys.executable} {READER} {log}"
        add_tone_slots(s, cfg, station, zone, a.secs, slots)
        editor_id = create_user(s, station, "bench-editor", "mat-khau-dai-123", "editor").id

    daemon = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "run"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    writes = 0
    try:
        for i, at in enumerate(slots):
            if i % 2 == 0:
                while datetime.now(UTC) < at - timedelta(seconds=2):
                    time.sleep(0.005)
                with store.sessions.begin() as s:
                    fields = SegmentFields(title=f"Nháp {i}", body="Một tin nháp chưa duyệt.")
                    create_segment(s, station_id, s.get(User, editor_id), fields)
                writes += 1
        end = slots[-1] + timedelta(seconds=a.secs + 3)
        while datetime.now(UTC) < end:
            time.sleep(0.2)
    finally:
        daemon.terminate()
        daemon.wait(30)

    want = int(a.secs * 44100) * 2
    got: dict[int, dict[str, float]] = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        pid, kind, value = line.split()
        got.setdefault(int(pid), {})[kind] = float(value)
    readers = sorted(got.values(), key=lambda r: r["start"])
    full = sum(r.get("end") == want for r in readers)
    with store.sessions() as s:
        rows = s.execute(
            select(Occurrence.status, AsRunEntry.status, AsRunEntry.duration_ms, AsRunEntry.ended_at)
            .join(AsRunEntry, AsRunEntry.occurrence_id == Occurrence.id)
            .order_by(Occurrence.scheduled_at)
        ).all()
    logged = sum(
        o == AirStatus.PLAYED and e == AirStatus.PLAYED and abs(ms - a.secs * 1000) <= 1
        for o, e, ms, _ in rows
    )
    silent_played = sum(e == AirStatus.PLAYED and ms == 0 for _, e, ms, _ in rows)
    end_errors = [
        abs(ended.timestamp() - r["last"]) * 1000
        for (_, _, _, ended), r in zip(rows, readers, strict=False)
        if "last" in r
    ]
    print(f"slots: {a.slots} ({a.secs:g} s tone, {a.gap:g} s apart), writes 2 s before air: {writes}")
    print(f"aired in full at the output (bytes == {want}): {full}/{a.slots}")
    print(f"as-run PLAYED with the full duration: {logged}/{a.slots}; PLAYED with 0 ms: {silent_played}")
    if end_errors:
        print(f"as-run item end vs last byte consumed: worst {max(end_errors):.0f} ms")
    print(f"(data dir kept for inspection: {tmp})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
