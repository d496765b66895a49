"""Bench helper: a station whose one approved segment is a sox tone, aired by one-off slots.

Shared by bench_playout (start accuracy) and bench_trust (aired in full): both measure what reaches
a counting sink, so both need the same minimal programme.
"""

from __future__ import annotations

import hashlib
import subprocess
from datetime import datetime

from broadcaster.config import Config
from broadcaster.models import (
    AudioAsset,
    ItemType,
    Programme,
    ProgrammeItem,
    Recurrence,
    Schedule,
    Segment,
    SegmentKind,
    SegmentStatus,
    Station,
)


def add_tone_slots(s, cfg: Config, station: Station, zone, secs: float, slots: list[datetime]) -> None:
    """Make a ``secs``-long tone, a programme airing it, and one one-off schedule per slot on ``zone``."""
    tone = cfg.media_dir / "bench" / "tone.wav"
    tone.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "1", "-b", "16", str(tone), "synth", str(secs), "sine", "440"],
        check=True,
    )
    asset = AudioAsset(
        station_id=station.id,
        path="bench/tone.wav",
        source="upload",
        duration_ms=int(secs * 1000),
        sha256=hashlib.sha256(tone.read_bytes()).hexdigest(),
    )
    s.add(asset)
    s.flush()
    seg = Segment(
        station_id=station.id,
        title="Bản tin đo",
        kind=SegmentKind.CCHC_NEWS,
        status=SegmentStatus.APPROVED,
        upload_asset_id=asset.id,
    )
    s.add(seg)
    s.flush()
    prog = Programme(station_id=station.id, title="Chương trình đo")
    prog.items.append(ProgrammeItem(position=0, item_type=ItemType.SEGMENT, segment_id=seg.id))
    s.add(prog)
    s.flush()
    for at in slots:
        local = at.astimezone(cfg.tz)
        sched = Schedule(
            station_id=station.id,
            programme_id=prog.id,
            name=f"đo {local:%H:%M:%S}",
            recurrence=Recurrence.ONCE,
            start_time=local.time(),
            start_date=local.date(),
            window_minutes=5,
            skip_dates=[],
        )
        sched.zones = [zone]
        s.add(sched)
