"""Hub side of offers: the communes' decisions on normal-level airings, kept once by uid, and who
accepted, declined, let pass, or aired each airing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..config import Config
from ..db import utcnow
from ..models import AirStatus, HubAsRun, HubOfferDecision, OfferState, Priority, Schedule, Station
from ..rules import expand
from ._manifest import airing_uid
from ._reports import RowError, _text, _uid, _when, keep_once

#: How far back the overview looks for airings whose decisions are still worth showing.
LOOKBACK = timedelta(days=7)
HORIZON = timedelta(days=14)


def decision_values(raw: Any) -> dict[str, Any]:
    """Give back the model values of one posted decision, or raise RowError."""
    if not isinstance(raw, dict):
        raise RowError("mỗi quyết định phải là một đối tượng JSON")
    try:
        decision = OfferState(raw.get("decision"))
    except ValueError:
        decision = None
    if decision not in (OfferState.ACCEPTED, OfferState.DECLINED):
        raise RowError("decision phải là accepted hoặc declined")
    reason = _text(raw.get("reason"), "reason", 500)
    if decision == OfferState.DECLINED and not (reason or "").strip():
        raise RowError("từ chối phải có lý do")
    air_at = _when(raw.get("air_at"), "air_at")
    if decision == OfferState.ACCEPTED and air_at is None:
        raise RowError("nhận phát phải có giờ phát")
    decided_at = _when(raw.get("decided_at"), "decided_at")
    if decided_at is None:
        raise RowError("thiếu decided_at")
    return {
        "uid": _uid(raw.get("uid"), "uid"),
        "schedule_uid": _uid(raw.get("schedule_uid"), "schedule_uid"),
        "decision": decision,
        "air_at": air_at if decision == OfferState.ACCEPTED else None,
        "reason": reason if decision == OfferState.DECLINED else None,
        "decided_by": _text(raw.get("decided_by"), "decided_by", 64),
        "decided_at": decided_at,
    }


def receive_decisions(session: Session, station: Station, rows: list[Any]) -> tuple[list[str], list[dict]]:
    """Give back (acknowledged uids, refused rows with why) after keeping the new decisions once,
    as as-run rows are kept."""
    foreign = "mã quyết định thuộc đài khác"
    return keep_once(session, station, rows, decision_values, HubOfferDecision, foreign)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def offers_overview(session: Session, config: Config, now: datetime | None = None) -> list[dict]:
    """Give back each normal-level district airing of the last week and next two, with every target
    station's answer: ``accepted`` (at ``air_at``), ``declined`` (``reason``), ``waiting``, or
    ``expired`` (its time passed with no decision), and whether it ``aired`` there."""
    now = now or utcnow()
    out: list[dict] = []
    scheds = session.scalars(
        select(Schedule)
        .where(Schedule.priority == Priority.NORMAL, Schedule.targets.any())
        .options(selectinload(Schedule.targets))
        .order_by(Schedule.id)
    ).all()
    airings = [
        (sched, at, airing_uid(sched.uid, sched.recurrence, at))
        for sched in scheds
        for at in expand(sched, now - LOOKBACK, now + HORIZON, config.tz)
    ]
    uids = [uid for _s, _a, uid in airings]
    latest: dict[tuple[str, int], HubOfferDecision] = {}
    for d in session.scalars(
        select(HubOfferDecision)
        .where(HubOfferDecision.schedule_uid.in_(uids))
        .order_by(HubOfferDecision.decided_at)
    ):
        latest[(d.schedule_uid, d.station_id)] = d  # the newest decision stands
    aired = set(
        session.execute(
            select(HubAsRun.schedule_uid, HubAsRun.station_id).where(
                HubAsRun.schedule_uid.in_(uids), HubAsRun.status == AirStatus.PLAYED
            )
        ).all()
    )
    for sched, at, uid in sorted(airings, key=lambda a: a[1]):
        stations = []
        for st in sched.targets:
            d = latest.get((uid, st.id))
            if d is not None:
                answer = d.decision.value
            else:
                answer = "waiting" if at > now else "expired"
            stations.append(
                {
                    "code": st.code,
                    "name": st.name,
                    "decision": answer,
                    "air_at": _iso(d.air_at) if d else None,
                    "reason": d.reason if d else None,
                    "decided_by": d.decided_by if d else None,
                    "decided_at": _iso(d.decided_at) if d else None,
                    "aired": (uid, st.id) in aired,
                }
            )
        out.append(
            {
                "uid": uid,
                "title": sched.name,
                "at": _iso(at),
                "enabled": sched.enabled,
                "stations": stations,
            }
        )
    return out


#: How the command line names each answer.
ANSWER_LABELS = {
    "accepted": "nhận phát",
    "declined": "từ chối",
    "waiting": "chưa quyết định",
    "expired": "quá giờ, không quyết định",
}
