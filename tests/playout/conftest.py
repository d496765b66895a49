"""Helpers of the playout tests: real tone files (sox), content rows, a daemon on a thread."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

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
    Zone,
)
from broadcaster.playout import Daemon


def make_tone(path: Path, freq: int, secs: float, rate: int = 44100) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            str(rate),
            "-c",
            "1",
            "-b",
            "16",
            str(path),
            "synth",
            str(secs),
            "sine",
            str(freq),
            "vol",
            "0.5",
        ],
        check=True,
    )
    return path


def add_segment(
    session,
    station,
    config,
    title: str,
    *,
    freq: int = 440,
    secs: float = 0.4,
    status: SegmentStatus = SegmentStatus.APPROVED,
    valid_to: date | None = None,
    file: Path | None = None,
) -> Segment:
    rel = Path("test") / f"{title}-{freq}.wav"
    path = config.media_dir / rel
    if file is None:
        make_tone(path, freq, secs)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.read_bytes())
    asset = AudioAsset(
        station_id=station.id,
        path=str(rel),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        duration_ms=int(secs * 1000),
        source="upload",
        sample_rate=44100,
    )
    session.add(asset)
    session.flush()
    seg = Segment(
        station_id=station.id,
        title=title,
        body="",
        kind=SegmentKind.CCHC_NEWS,
        status=status,
        upload_asset_id=asset.id,
        valid_to=valid_to,
    )
    session.add(seg)
    session.flush()
    return seg


def add_programme(session, station, items, title: str = "Chuyên mục thử") -> Programme:
    prog = Programme(station_id=station.id, title=title)
    for pos, it in enumerate(items):
        if isinstance(it, Segment):
            prog.items.append(ProgrammeItem(position=pos, item_type=ItemType.SEGMENT, segment_id=it.id))
        else:
            prog.items.append(ProgrammeItem(position=pos, item_type=ItemType.PAUSE, pause_ms=int(it)))
    session.add(prog)
    session.flush()
    return prog


def add_once(
    session, station, programme, zone, at: datetime, tz, *, name: str = "", backdate: bool = False, **kw
) -> Schedule:
    """A one-off schedule at ``at`` (whole seconds), on one zone."""
    local = at.astimezone(tz)
    sched = Schedule(
        station_id=station.id,
        programme_id=programme.id,
        name=name or f"Lịch {local:%H:%M:%S}",
        recurrence=Recurrence.ONCE,
        start_time=local.time().replace(microsecond=0),
        start_date=local.date(),
        window_minutes=kw.pop("window_minutes", 30),
        skip_dates=[],
        **kw,
    )
    if backdate:  # written long before, so the planner may log or catch up what the PC slept through
        sched.created_at = sched.updated_at = at - timedelta(hours=1)
    sched.zones = [zone]
    session.add(sched)
    session.flush()
    return sched


def zone_with_sink(session, station, sink: str, code: str = "toan-xa") -> Zone:
    zone = next(z for z in station.zones if z.code == code)
    zone.sink = sink
    session.flush()
    return zone


def wait_for(pred, timeout: float = 20.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")


def whole_seconds_from_now(seconds: float) -> datetime:
    from broadcaster.db import utcnow

    return (utcnow() + timedelta(seconds=seconds)).replace(microsecond=0) + timedelta(seconds=1)


@pytest.fixture
def run_daemon(store, config):
    """Start a daemon on a thread of this process (the SIGKILL test uses real processes)."""
    started = []

    def start(cfg=None, **kw) -> Daemon:
        d = Daemon(store, cfg or config, **kw)
        t = threading.Thread(target=d.run, daemon=True)
        t.start()
        started.append((d, t))
        return d

    yield start
    for d, t in started:
        d.stop_event.set()
        t.join(20)


RATE = 8000  # a listener decodes at a low rate: enough to tell tones apart


class Reader:
    """One ffmpeg listener session on an Icecast mount, its decoded PCM gathered by a thread."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "mp3", "-i", url,
             "-f", "s16le", "-ac", "1", "-ar", str(RATE), "pipe:1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.pcm = bytearray()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while chunk := self.proc.stdout.read1(4096):
            self.pcm += chunk

    def seconds(self) -> float:
        return len(self.pcm) / 2 / RATE

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def tones(pcm: bytes, rate: int, window_s: float) -> list[int]:
    """Give back the loudest frequency of each window of s16 PCM (0 for silence), to 10 Hz."""
    import numpy as np

    x = np.frombuffer(bytes(pcm), dtype="<i2").astype(float)
    n = int(rate * window_s)
    out = []
    for i in range(0, len(x) - n + 1, n):
        w = x[i : i + n]
        if np.sqrt(np.mean(w**2)) < 300:
            out.append(0)
            continue
        spec = np.abs(np.fft.rfft(w * np.hanning(n)))
        out.append(int(round(np.argmax(spec) * rate / n / 10) * 10))
    return out


def bc(env, *args, stdin: str | None = None):
    """Give back the output of a ``broadcaster`` command run as its own process (it must succeed)."""
    res = subprocess.run(
        [sys.executable, "-m", "broadcaster.cli", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def status_and_loads(env, *args) -> tuple[str, bool]:
    """Give back ``status``'s output and whether it loaded SQLAlchemy (one process for both)."""
    code = (
        "import contextlib, io, sys, broadcaster.cli as c\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    assert c.main({['status', *args]!r}) == 0\n"
        "print(out.getvalue(), end='')\n"
        "print('sqlalchemy' in sys.modules)"
    )
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    out, _, loaded = res.stdout.rstrip("\n").rpartition("\n")
    return out + "\n", loaded == "True"


def loads_sqlalchemy(env, *args) -> bool:
    return status_and_loads(env, *args)[1]


def from_the_database(env, config, *args) -> str:
    """Give back ``status``'s output from the database (the cache moved away, then put back)."""
    from broadcaster.playout._snapshot import cache_path

    path = cache_path(config.data_dir)
    aside = path.with_name("aside.json")
    path.rename(aside)
    try:
        return bc(env, "status", *args)
    finally:
        aside.replace(path)
