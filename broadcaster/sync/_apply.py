"""A manifest turned into local rows (hub origin), in the caller's one transaction, idempotently."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..manifest import Manifest
from ..models import (
    AudioAsset,
    ItemType,
    Offer,
    OfferState,
    Origin,
    Priority,
    Programme,
    ProgrammeItem,
    Recurrence,
    Schedule,
    Segment,
    SegmentStatus,
    Station,
    Zone,
)
from ..rules import local_to_utc

log = logging.getLogger("broadcaster.sync")

#: What a hub item sets on the station's programme item (the rest is the station's own).
ITEM_FIELDS = (
    "item_type",
    "segment_id",
    "chime",
    "pause_ms",
    "stream_url",
    "duration_s",
    "fallback",
    "fallback_segment_id",
)


@dataclass
class Applied:
    added: int = 0
    changed: int = 0
    withdrawn: int = 0
    waiting: int = 0  # airings whose audio is not here yet

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.withdrawn)


def _set(row: object, values: dict) -> bool:
    """Set the values that differ; give back whether any did."""
    changed = False
    for k, v in values.items():
        if getattr(row, k) != v:
            setattr(row, k, v)
            changed = True
    return changed


def _mine(row, station: Station, what: str) -> bool:
    # A uid held by a local row (or another station's) is never overwritten by the hub.
    if row.station_id != station.id or row.origin != Origin.HUB:
        log.warning("Bỏ qua %s %s từ huyện: mã đã thuộc một mục của đài.", what, row.uid)
        return False
    return True


def apply_manifest(
    session: Session,
    station: Station,
    manifest: Manifest,
    present: dict[str, str],
    now: datetime | None = None,
) -> Applied:
    """Give back what changed after making the station's hub rows say what ``manifest`` says.

    ``present`` maps the sha256 of each verified audio file here to its path under the media
    dir; an airing whose audio is not all present waits for a later round. Rows are found by
    uid; only differing fields are written, so applying the same manifest twice changes nothing.
    Hub airings missing from the manifest and still to come are switched off (withdrawn by the
    district). Flushes; the caller commits (one transaction for the whole manifest).
    """
    from ..playout import bump_plan

    now = now or utcnow()
    res = Applied()
    assets: dict[str, AudioAsset] = {}
    for ref in manifest.audio:
        rel = present.get(ref.sha256)
        if rel is None:
            continue
        asset = session.scalar(
            select(AudioAsset).where(AudioAsset.sha256 == ref.sha256, AudioAsset.source == "hub").limit(1)
        )
        values = {"path": rel, "duration_ms": ref.duration_ms}
        if asset is None:
            asset = AudioAsset(station_id=station.id, sha256=ref.sha256, source="hub", **values)
            session.add(asset)
        else:
            _set(asset, values)
        assets[ref.sha256] = asset
    session.flush()

    segments: dict[str, Segment] = {}
    for spec in manifest.segments:
        asset = assets.get(spec.audio_sha256)
        if asset is None:
            continue
        values = {
            "title": spec.title,
            "kind": spec.kind,
            "area": spec.area,
            "procedure": spec.procedure,
            "chime_before": spec.chime_before,
            "upload_asset_id": asset.id,
            "status": SegmentStatus.APPROVED,
        }
        seg = session.scalar(select(Segment).where(Segment.uid == spec.uid))
        if seg is None:
            seg = Segment(
                uid=spec.uid, station_id=station.id, origin=Origin.HUB, body="", approved_at=now, **values
            )
            session.add(seg)
        elif not _mine(seg, station, "bản tin"):
            continue
        elif _set(seg, values):
            res.changed += 1
        segments[spec.uid] = seg
    session.flush()

    programmes: dict[str, Programme] = {}
    for spec in manifest.programmes:
        if any(uid not in segments for i in spec.items for uid in i.needs):
            continue
        prog = session.scalar(select(Programme).where(Programme.uid == spec.uid))
        if prog is None:
            prog = Programme(uid=spec.uid, station_id=station.id, origin=Origin.HUB, title=spec.title)
            session.add(prog)
            session.flush()
        elif not _mine(prog, station, "chương trình"):
            continue
        else:
            _set(prog, {"title": spec.title})
        want = [
            {
                "item_type": i.type,
                "segment_id": segments[i.segment].id if i.segment else None,
                "chime": i.chime,
                "pause_ms": i.pause_ms if i.type == ItemType.PAUSE else None,
                "stream_url": i.stream_url if i.type == ItemType.RELAY else None,
                "duration_s": i.duration_s if i.type == ItemType.RELAY else None,
                "fallback": i.fallback if i.type == ItemType.RELAY else None,
                "fallback_segment_id": segments[i.fallback_segment].id if i.fallback_segment else None,
            }
            for i in spec.items
        ]
        have = [{k: getattr(i, k) for k in ITEM_FIELDS} for i in prog.items]
        if want != have:
            res.changed += bool(have)
            prog.items.clear()
            session.flush()
            for pos, values in enumerate(want):
                prog.items.append(ProgrammeItem(position=pos, **values))
        programmes[spec.uid] = prog
    session.flush()

    tz = station.timezone
    zones = list(session.scalars(select(Zone).where(Zone.station_id == station.id, Zone.enabled.is_(True))))
    listed: set[str] = set()
    for airing in manifest.airings:
        listed.add(airing.uid)
        prog = programmes.get(airing.programme)
        if prog is None:
            res.waiting += 1
            continue
        local = airing.at.astimezone(_zone(tz))
        values = {
            "programme_id": prog.id,
            "name": airing.title[:200],
            "recurrence": Recurrence.ONCE,
            "start_date": local.date(),
            "start_time": local.time().replace(tzinfo=None),
            "window_minutes": airing.window_minutes,
            "priority": airing.priority,
        }
        sched = session.scalar(select(Schedule).where(Schedule.uid == airing.uid))
        if sched is None:
            # A normal-level item is an offer: it waits, switched off, for the commune to accept it.
            sched = Schedule(
                uid=airing.uid,
                station_id=station.id,
                origin=Origin.HUB,
                skip_dates=[],
                enabled=airing.priority != Priority.NORMAL,
                zones=zones,
                **values,
            )
            session.add(sched)
            res.added += 1
        elif not _mine(sched, station, "buổi phát"):
            continue
        else:
            offer = _offer_of(session, sched)
            if offer is not None and offer.state == OfferState.ACCEPTED:
                # The commune accepted it at a time of its choosing: that time is its own.
                values.pop("start_date"), values.pop("start_time")
            if _set(sched, values):
                res.changed += 1
        if airing.priority == Priority.NORMAL:
            _note_offer(session, station, sched, airing.at, res)
    for sched in session.scalars(
        select(Schedule).where(Schedule.station_id == station.id, Schedule.origin == Origin.HUB)
    ):
        if sched.uid in listed or local_to_utc(sched.start_date, sched.start_time, tz) <= now:
            continue
        offer = _offer_of(session, sched)
        if sched.enabled or (offer is not None and offer.state == OfferState.WAITING):
            sched.enabled = False
            if offer is not None:
                offer.state = OfferState.WITHDRAWN
            res.withdrawn += 1
    session.flush()
    if res.touched:
        bump_plan(session, station.id)
    return res


def _offer_of(session: Session, sched: Schedule) -> Offer | None:
    if sched.id is None:
        return None
    return session.scalar(select(Offer).where(Offer.schedule_id == sched.id))


def _note_offer(session: Session, station: Station, sched: Schedule, at: datetime, res: Applied) -> None:
    """Keep the station's offer row of a normal-level airing in step with what the hub proposes."""
    session.flush()  # a new schedule needs its id
    offer = _offer_of(session, sched)
    if offer is None:
        # An airing switched on before offers were kept counts as accepted at its time then.
        state = OfferState.ACCEPTED if sched.enabled else OfferState.WAITING
        session.add(Offer(station_id=station.id, schedule_id=sched.id, proposed_at=at, state=state))
        return
    if offer.proposed_at != at:
        offer.proposed_at = at
    if offer.state == OfferState.WITHDRAWN:  # listed again by the district: a fresh offer
        offer.state = OfferState.WAITING
        res.changed += 1


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
