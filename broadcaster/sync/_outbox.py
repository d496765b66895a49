"""As-run rows and offer decisions still to send to the hub, as the hub reads them; marked (never
deleted) once acknowledged.

The legal log stays whole at the station: acknowledgement only sets ``synced_at``, so a row is
sent until the hub has said it keeps it (OpenBroadcaster's upload, without the local delete).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from ..db import utcnow
from ..manifest import FINAL_STATUSES
from ..models import AsRunEntry, Occurrence, Offer, OfferState, Origin


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def row_json(e: AsRunEntry) -> dict[str, Any]:
    """Give back one as-run row in the form the hub's report endpoint reads."""
    occ = e.occurrence
    sched = occ.schedule
    return {
        "uid": e.uid,
        "occurrence_uid": occ.uid,
        "schedule_uid": sched.uid if sched is not None else None,
        "origin": (sched.origin if sched is not None else Origin.LOCAL).value,
        "position": e.position,
        "item_type": e.item_type.value,
        "title": e.title,
        "kind": e.kind.value if e.kind else None,
        "area": e.area.value if e.area else None,
        "procedure": e.procedure,
        "audio_sha256": e.audio_sha256,
        "scheduled_at": _iso(e.scheduled_at),
        "started_at": _iso(e.started_at),
        "ended_at": _iso(e.ended_at),
        "duration_ms": e.duration_ms,
        "status": e.status.value,
        "reason": e.reason,
        "relayed_ms": e.relayed_ms,
        "filled_ms": e.filled_ms,
    }


def pending_rows(session: Session, station_id: int, limit: int) -> list[dict[str, Any]]:
    """Give back up to ``limit`` final as-run rows the hub has not acknowledged, oldest first."""
    entries = session.scalars(
        select(AsRunEntry)
        .options(joinedload(AsRunEntry.occurrence).joinedload(Occurrence.schedule))
        .where(
            AsRunEntry.station_id == station_id,
            AsRunEntry.synced_at.is_(None),
            AsRunEntry.status.in_(FINAL_STATUSES),
        )
        .order_by(AsRunEntry.id)
        .limit(limit)
    )
    return [row_json(e) for e in entries]


def mark_synced(session: Session, uids: list[str], now: datetime | None = None) -> int:
    """Give back how many rows were marked acknowledged by the hub."""
    if not uids:
        return 0
    result = session.execute(
        update(AsRunEntry)
        .where(AsRunEntry.uid.in_(uids), AsRunEntry.synced_at.is_(None))
        .values(synced_at=now or utcnow())
    )
    return result.rowcount or 0


def unsynced_count(session: Session, station_id: int) -> int:
    """Give back how many final as-run rows still wait for the hub's acknowledgement."""
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count(AsRunEntry.id)).where(
                AsRunEntry.station_id == station_id,
                AsRunEntry.synced_at.is_(None),
                AsRunEntry.status.in_(FINAL_STATUSES),
            )
        )
        or 0
    )


def pending_decisions(session: Session, station_id: int) -> list[dict[str, Any]]:
    """Give back the commune's decisions on offers the hub has not acknowledged yet, as it reads them."""
    rows = session.scalars(
        select(Offer)
        .options(joinedload(Offer.schedule))
        .where(
            Offer.station_id == station_id,
            Offer.decision_uid.is_not(None),
            Offer.synced_at.is_(None),
            Offer.state.in_((OfferState.ACCEPTED, OfferState.DECLINED)),
        )
        .order_by(Offer.decided_at)
    )
    return [
        {
            "uid": o.decision_uid,
            "schedule_uid": o.schedule.uid,
            "decision": o.state.value,
            "air_at": _iso(o.air_at),
            "reason": o.reason,
            "decided_by": o.decided_by,
            "decided_at": _iso(o.decided_at),
        }
        for o in rows
    ]


def mark_decisions_synced(session: Session, uids: list[str], now: datetime | None = None) -> int:
    """Give back how many decisions were marked acknowledged (a decision changed since keeps waiting)."""
    if not uids:
        return 0
    result = session.execute(
        update(Offer)
        .where(Offer.decision_uid.in_(uids), Offer.synced_at.is_(None))
        .values(synced_at=now or utcnow())
    )
    return result.rowcount or 0
