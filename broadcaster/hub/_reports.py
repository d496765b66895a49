"""What stations send up: as-run rows (kept once by uid) and their status; the stations overview."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..manifest import FINAL_STATUSES
from ..models import AirStatus, CchcArea, HubAsRun, ItemType, Origin, SegmentKind, Station

#: A station is online when it called within this many sync intervals.
ONLINE_INTERVALS = 3
#: With the live link: the default heartbeat period, and how many periods of silence mean offline.
PRESENCE_EVERY = 30
PRESENCE_GRACE = 2.5


class RowError(ValueError):
    """One as-run row the hub refuses (the station keeps it and says so)."""


def _when(raw: Any, key: str) -> datetime | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise RowError(f"{key} phải là chuỗi ISO 8601")
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"{key} không đúng dạng ISO 8601") from None
    if at.tzinfo is None:
        raise RowError(f"{key} phải có múi giờ")
    return at.astimezone(UTC)


def _uid(raw: Any, key: str, *, optional: bool = False) -> str | None:
    if raw is None and optional:
        return None
    try:
        if not isinstance(raw, str) or str(uuid.UUID(raw)) != raw:
            raise ValueError
    except ValueError:
        raise RowError(f"{key} không phải UUID") from None
    return raw


def _text(raw: Any, key: str, limit: int, *, optional: bool = True) -> str | None:
    if raw is None and optional:
        return None
    if not isinstance(raw, str):
        raise RowError(f"{key} phải là chuỗi")
    return raw[:limit]


def _enum(cls: type, raw: Any, key: str, *, optional: bool = False) -> Any:
    if raw is None and optional:
        return None
    try:
        return cls(raw)
    except ValueError:
        raise RowError(f"{key} có giá trị không nhận") from None


def _ms(raw: Any, key: str) -> int | None:
    if raw is not None and (not isinstance(raw, int) or isinstance(raw, bool) or raw < 0):
        raise RowError(f"{key} phải là số nguyên không âm")
    return raw


def row_values(raw: Any) -> dict[str, Any]:
    """Give back the model values of one posted row, or raise RowError."""
    if not isinstance(raw, dict):
        raise RowError("mỗi dòng phải là một đối tượng JSON")
    status = _enum(AirStatus, raw.get("status"), "status")
    if status not in FINAL_STATUSES:
        raise RowError("chỉ nhận dòng đã kết thúc")
    duration, relayed, filled = (_ms(raw.get(k), k) for k in ("duration_ms", "relayed_ms", "filled_ms"))
    position = raw.get("position", 0)
    if not isinstance(position, int) or isinstance(position, bool):
        raise RowError("position phải là số nguyên")
    return {
        "uid": _uid(raw.get("uid"), "uid"),
        "occurrence_uid": _uid(raw.get("occurrence_uid"), "occurrence_uid"),
        "schedule_uid": _uid(raw.get("schedule_uid"), "schedule_uid", optional=True),
        "origin": _enum(Origin, raw.get("origin", "local"), "origin"),
        "position": position,
        "item_type": _enum(ItemType, raw.get("item_type"), "item_type"),
        "title": _text(raw.get("title"), "title", 300) or "",
        "kind": _enum(SegmentKind, raw.get("kind"), "kind", optional=True),
        "area": _enum(CchcArea, raw.get("area"), "area", optional=True),
        "procedure": _text(raw.get("procedure"), "procedure", 100),
        "audio_sha256": _text(raw.get("audio_sha256"), "audio_sha256", 64),
        "scheduled_at": _when(raw.get("scheduled_at"), "scheduled_at"),
        "started_at": _when(raw.get("started_at"), "started_at"),
        "ended_at": _when(raw.get("ended_at"), "ended_at"),
        "duration_ms": duration,
        "status": status,
        "reason": _text(raw.get("reason"), "reason", 2000),
        "relayed_ms": relayed,
        "filled_ms": filled,
    }


def receive_asrun(session: Session, station: Station, rows: list[Any]) -> tuple[list[str], list[dict]]:
    """Give back (acknowledged uids, refused rows with why) after keeping the new rows once."""
    return keep_once(session, station, rows, row_values, HubAsRun, "mã dòng thuộc đài khác")


def keep_once(
    session: Session,
    station: Station,
    rows: list[Any],
    parse: Callable[[Any], dict[str, Any]],
    model: type,
    foreign: str,
) -> tuple[list[str], list[dict]]:
    """Give back (acknowledged uids, refused rows with why) after adding each new row of ``model``.

    ``parse`` turns a raw row into column values (RowError when it cannot). A uid already held is
    acknowledged again and not changed: a repeat after a lost answer is harmless. A uid held for
    another station is refused with ``foreign`` (a station writes only its own rows).
    """
    acked: list[str] = []
    refused: list[dict] = []
    values: dict[str, dict[str, Any]] = {}
    for n, raw in enumerate(rows):
        try:
            v = parse(raw)
        except RowError as exc:
            uid = raw.get("uid") if isinstance(raw, dict) and isinstance(raw.get("uid"), str) else None
            refused.append({"vi_tri": n, "uid": uid, "loi": str(exc)})
            continue
        values[v["uid"]] = v
    held = dict(session.execute(select(model.uid, model.station_id).where(model.uid.in_(list(values)))).all())
    for uid, v in values.items():
        owner = held.get(uid)
        if owner is None:
            session.add(model(station_id=station.id, **v))
        elif owner != station.id:
            refused.append({"uid": uid, "loi": foreign})
            continue
        acked.append(uid)
    session.flush()
    return acked, refused


def note_contact(session: Session, station: Station, status: Any, now: datetime | None = None) -> None:
    """Keep when the station called and the status it sent (free-form, a few known keys shown)."""
    now = now or utcnow()
    station.last_seen_at = now
    if isinstance(status, dict):
        kept = {k: status[k] for k in list(status)[:30] if isinstance(k, str)}
        clock = _safe_when(kept.get("clock"))
        if clock is not None:
            kept["clock_offset_s"] = round((clock - now).total_seconds(), 1)
        station.last_status = kept


def note_presence(session: Session, code: str, payload: dict, now: datetime | None = None) -> bool:
    """Give back whether a presence message from the live link was kept for station ``code``.

    A heartbeat (``online`` true) is a contact like a sync call: its status fields are kept the
    same way; the last will (``online`` false) only marks the station offline, keeping its last
    status. Unknown codes are ignored (a station removed while its message was on the way).
    """
    now = now or utcnow()
    station = session.scalar(select(Station).where(Station.code == code))
    if station is None:
        return False
    online = payload.get("online") is True
    at = now
    if payload.get("retained") and online:
        # The broker's stored copy (the hub subscribed again): the station's last heartbeat, as
        # old as the station says and never newer than what the hub holds; a stale one is silence.
        # (A retained "offline" is current by construction: any later heartbeat would replace it.)
        sent = _safe_when(payload.get("at"))
        if sent is None or (station.presence_at is not None and sent <= station.presence_at):
            return True
        at = min(sent, now)
    station.presence_online = online
    station.presence_at = at
    if online:
        every = payload.get("every")
        station.presence_every = every if isinstance(every, int) and 0 < every <= 3600 else None
        if at == now:
            status = {k: v for k, v in payload.items() if k not in ("online", "every", "at", "retained")}
            note_contact(session, station, {**(station.last_status or {}), **status}, now)
    return True


def is_online(station: Station, interval_s: int, now: datetime) -> bool:
    """Give back whether the station counts as online now.

    With the live link, its presence decides: the last will (or a clean goodbye) is offline at
    once, and a station whose heartbeats stopped is offline after 2.5 of its periods (75 s at the
    default 30 s), well inside the 90 s the district asks for. Without it, a sync call within
    ``ONLINE_INTERVALS`` sync intervals.
    """
    if station.presence_at is not None:
        if not station.presence_online:
            return False
        every = station.presence_every or PRESENCE_EVERY
        return now - station.presence_at <= timedelta(seconds=every * PRESENCE_GRACE)
    seen = station.last_seen_at
    return seen is not None and now - seen <= timedelta(seconds=interval_s * ONLINE_INTERVALS)


def _safe_when(raw: Any) -> datetime | None:
    try:
        return _when(raw, "clock")
    except RowError:
        return None


def stations_overview(
    session: Session, home_code: str, interval_s: int, now: datetime | None = None
) -> list[dict]:
    """Give back one plain dict per registered station: code, name, online, last_seen, last_asrun."""
    now = now or utcnow()
    out = []
    latest = (
        select(HubAsRun.station_id, func.max(HubAsRun.id).label("last_id"))
        .group_by(HubAsRun.station_id)
        .subquery()
    )
    last_rows = {
        r.station_id: r
        for r in session.scalars(select(HubAsRun).join(latest, HubAsRun.id == latest.c.last_id))
    }
    for st in session.scalars(select(Station).where(Station.code != home_code).order_by(Station.code)):
        seen = st.last_seen_at
        last = last_rows.get(st.id)
        out.append(
            {
                "code": st.code,
                "name": st.name,
                "groups": list(st.groups or []),
                "online": is_online(st, interval_s, now),
                "last_seen": seen.isoformat() if seen else None,
                "last_asrun": None
                if last is None
                else {
                    "title": last.title,
                    "at": (last.started_at or last.scheduled_at).isoformat()
                    if (last.started_at or last.scheduled_at)
                    else None,
                    "status": last.status.value,
                },
                "status": st.last_status or {},
            }
        )
    return out
