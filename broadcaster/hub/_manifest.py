"""What the hub tells one station: its manifest, and which audio files that station may fetch."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from ..config import Config
from ..db import utcnow
from ..manifest import HORIZON_DAYS, AiringSpec, AudioRef, ItemSpec, Manifest, ProgrammeSpec, SegmentSpec
from ..models import ItemType, Recurrence, Schedule, Segment, Station
from ..rules import expand, relay_length_ok, stream_url_ok
from ._audio import audio_path, audio_url
from ._emergency import emergency_audio
from ._publish import district_schedules

#: Airings a little in the past stay listed: a station that was away may still air them late.
LOOKBACK = timedelta(hours=6)
#: Fixed namespace for the uid of one airing of a repeating district schedule.
AIRING_NS = uuid.UUID("6f1b7c2e-3f59-4a34-9a1d-5b8a0f0c2d11")


def airing_uid(schedule_uid: str, recurrence: Recurrence, at: datetime) -> str:
    """Give back the uid of one airing of a district schedule (the station's schedule uid for it)."""
    if recurrence == Recurrence.ONCE:
        return schedule_uid
    return str(uuid.uuid5(AIRING_NS, f"{schedule_uid}@{at.isoformat()}"))


#: A district part is rebuilt at least this often even when nothing it is made of changed: what
#: no revision counter sees (an audio file gone from the hub's disk) is noticed within it.
MAX_AGE = timedelta(minutes=10)


@dataclass(frozen=True)
class DistrictPart:
    """What a set of district schedules gives any station's manifest, and until when it holds.

    The manifest's window moves with the clock; ``until`` is the first instant an airing may leave
    it (its time plus LOOKBACK) or enter it (14 days before it), capped at MAX_AGE after the build.
    """

    airings: tuple[AiringSpec, ...]
    programmes: tuple[ProgrammeSpec, ...]
    segments: tuple[SegmentSpec, ...]
    audio: tuple[AudioRef, ...]
    files: dict[str, Path]
    until: datetime

    def manifest(self, code: str) -> Manifest:
        """Give back the manifest of the station ``code`` made of this part."""
        return Manifest(code, self.airings, self.programmes, self.segments, self.audio)


def district_part(config: Config, schedules: Iterable[Schedule], now: datetime | None = None) -> DistrictPart:
    """Give back the airings of ``schedules`` from a little before now to 14 days ahead, with what
    they play. A segment whose audio is missing on the hub's disk is left out with its airings (a
    station must never be told to fetch what cannot be served)."""
    now = now or utcnow()
    lo, hi = now - LOOKBACK, now + timedelta(days=HORIZON_DAYS)
    until = now + MAX_AGE
    airings: list[AiringSpec] = []
    programmes: dict[str, ProgrammeSpec] = {}
    segments: dict[str, SegmentSpec] = {}
    audio: dict[str, AudioRef] = {}
    files: dict[str, Path] = {}
    for sched in schedules:
        entering = expand(sched, hi, hi + MAX_AGE, config.tz)
        if entering:
            until = min(until, entering[0] - timedelta(days=HORIZON_DAYS))
        starts = expand(sched, lo, hi, config.tz)
        if not starts:
            continue
        until = min(until, starts[0] + LOOKBACK)
        prog = sched.programme
        spec = _programme_spec(config, prog.items, segments, audio, files)
        if spec is None:
            continue
        programmes[prog.uid] = ProgrammeSpec(prog.uid, prog.title, spec)
        for at in starts:
            airings.append(
                AiringSpec(
                    uid=airing_uid(sched.uid, sched.recurrence, at),
                    programme=prog.uid,
                    at=at,
                    title=sched.name or prog.title,
                    priority=sched.priority,
                    window_minutes=sched.window_minutes,
                )
            )
    return DistrictPart(
        tuple(airings),
        tuple(programmes.values()),
        tuple(segments.values()),
        tuple(audio.values()),
        files,
        until,
    )


def build_manifest(
    session: Session, config: Config, station: Station, now: datetime | None = None
) -> Manifest:
    """Give back ``station``'s manifest: district airings from a little before now to 14 days ahead."""
    return district_part(config, district_schedules(session, station), now).manifest(station.code)


def _programme_spec(
    config: Config, items, segments: dict, audio: dict, files: dict
) -> tuple[ItemSpec, ...] | None:
    out: list[ItemSpec] = []

    def sent(seg: Segment | None) -> str | None:
        # A segment goes with its audio, or not at all (its programme is then left out).
        asset = seg.audio if seg is not None else None
        if asset is None or not audio_path(config, asset).is_file():
            return None
        files[asset.sha256] = audio_path(config, asset)
        segments[seg.uid] = SegmentSpec(
            seg.uid, seg.title, seg.kind, seg.area, seg.procedure, asset.sha256, seg.chime_before
        )
        audio[asset.sha256] = AudioRef(
            asset.sha256,
            audio_path(config, asset).stat().st_size,
            asset.duration_ms,
            (Path(asset.path).suffix.lstrip(".") or "wav").lower(),
            audio_url(asset.sha256),
        )
        return seg.uid

    for item in items:
        if item.item_type == ItemType.SEGMENT:
            uid = sent(item.segment)
            if uid is None:
                return None
            out.append(ItemSpec(ItemType.SEGMENT, segment=uid))
        elif item.item_type == ItemType.CHIME:
            out.append(ItemSpec(ItemType.CHIME, chime=item.chime))
        elif item.item_type == ItemType.RELAY:
            url, secs = item.stream_url or "", item.duration_s
            if not (stream_url_ok(url) and relay_length_ok(secs)):
                return None  # what a station would refuse (the whole manifest with it) is not sent
            # The district's fallback travels with it: its item (and that item's audio) too.
            spare = sent(item.fallback_segment) if item.fallback == "item" else None
            if item.fallback == "item" and spare is None:
                return None
            out.append(
                ItemSpec(
                    ItemType.RELAY,
                    stream_url=url,
                    duration_s=secs,
                    fallback=item.fallback,
                    fallback_segment=spare,
                )
            )
        elif item.item_type == ItemType.PAUSE:
            out.append(ItemSpec(ItemType.PAUSE, pause_ms=item.pause_ms or 0))
        else:
            return None  # a kind the manifest cannot carry: never sent as something else
    return tuple(out) or None


def servable_audio(session: Session, config: Config, station: Station, sha256: str) -> Path | None:
    """Give back the file with this sha256 if one of ``station``'s district airings or live
    emergencies uses it."""
    found = emergency_audio(session, config, station, sha256)
    if found is not None:
        return found
    return district_part(config, district_schedules(session, station)).files.get(sha256)
