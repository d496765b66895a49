"""Offers from the district ("Tin từ huyện"): normal-level airings the commune accepts or declines.

Circular 39 leaves a normal bulletin from above to the commune: it airs it in its own schedule, at
the proposed time or one it chooses (with the usual checks of a schedule), or declines it with a
reason. Only the decision is the station's: the segments, programme and airing stay the hub's.
Each decision is audited here and gets a fresh uid; the sync unit sends it up until the hub
acknowledges that uid (``synced_at``), as it does for as-run rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..db import new_uid, utcnow
from ..models import (
    ItemType,
    Offer,
    OfferState,
    Programme,
    ProgrammeItem,
    Role,
    Schedule,
    Segment,
    Station,
    User,
)
from ._audit import record, snapshot
from ._errors import ContentError
from ._refusals import InConflict, NotAllowed
from ._schedules import ScheduleError, check_schedule, schedule_values

#: Roles that decide on offers: the commune's leadership approves what airs.
DECIDERS = (Role.ADMIN, Role.APPROVER)
REASON_MAX = 500
EXPIRED_LABEL = "Quá giờ, không phát"
#: How far back the page lists offers (the audit log and the as-run keep the rest).
KEPT_IN_VIEW = timedelta(days=31)


@dataclass
class OfferView:
    """One offer as the page and the dashboard show it."""

    offer: Offer
    title: str
    at: datetime  # when it would air: the accepted time, else the proposed one
    expired: bool  # waiting past its proposed time: it was never aired
    segments: list[Segment]

    @property
    def open(self) -> bool:
        """True when the commune may still decide (or change its mind) on it."""
        return self.offer.state != OfferState.WITHDRAWN and self.at > utcnow()


def _decider(user: User | None) -> None:
    if user is not None and user.role not in DECIDERS:
        raise NotAllowed("Chỉ lãnh đạo duyệt hoặc quản trị mới được nhận hay từ chối tin từ huyện.")


def _load(session: Session, station_id: int):
    return (
        select(Offer)
        .where(Offer.station_id == station_id)
        .options(
            selectinload(Offer.schedule)
            .selectinload(Schedule.programme)
            .selectinload(Programme.items)
            .selectinload(ProgrammeItem.segment)
            .selectinload(Segment.upload_asset)
        )
    )


def _view(offer: Offer, now: datetime) -> OfferView:
    sched = offer.schedule
    prog = sched.programme
    at = offer.air_at if offer.state == OfferState.ACCEPTED and offer.air_at else offer.proposed_at
    segments = (
        [i.segment for i in prog.items if i.item_type == ItemType.SEGMENT and i.segment] if prog else []
    )
    return OfferView(
        offer=offer,
        title=sched.name or (prog.title if prog else ""),
        at=at,
        expired=offer.state == OfferState.WAITING and offer.proposed_at <= now,
        segments=segments,
    )


def offer_views(session: Session, station_id: int, *, now: datetime | None = None) -> list[OfferView]:
    """Give back the station's offers of the last month and to come: the ones still to decide first
    (soonest first), then the rest, newest first."""
    now = now or utcnow()
    recent = _load(session, station_id).where(Offer.proposed_at >= now - KEPT_IN_VIEW)
    views = [_view(o, now) for o in session.scalars(recent)]
    todo = sorted(
        (v for v in views if v.offer.state == OfferState.WAITING and not v.expired), key=lambda v: v.at
    )
    rest = sorted((v for v in views if v not in todo), key=lambda v: v.at, reverse=True)
    return todo + rest


def waiting_offers(session: Session, station_id: int, *, now: datetime | None = None) -> int:
    """Give back how many offers wait for a decision and can still air (the menu's count)."""
    return (
        session.scalar(
            select(func.count(Offer.id)).where(
                Offer.station_id == station_id,
                Offer.state == OfferState.WAITING,
                Offer.proposed_at > (now or utcnow()),
            )
        )
        or 0
    )


def find_offer(session: Session, station_id: int, offer_id: int) -> Offer | None:
    """Give back the station's offer by id (None when it is not there or not this station's)."""
    offer = session.get(Offer, offer_id)
    return offer if offer is not None and offer.station_id == station_id else None


def _decidable(offer: Offer, now: datetime) -> None:
    if offer.state == OfferState.WITHDRAWN:
        raise InConflict("Huyện đã rút tin này: không còn gì để nhận hay từ chối.")
    at = offer.air_at if offer.state == OfferState.ACCEPTED and offer.air_at else offer.proposed_at
    if at <= now:
        raise InConflict("Giờ phát của tin này đã qua: không đổi quyết định được nữa.")


def _decided(
    session: Session, offer: Offer, user: User | None, action: str, before: dict, now: datetime
) -> None:
    offer.decided_by = user.username if user is not None else "hệ thống"
    offer.decided_at = now
    offer.decision_uid = new_uid()  # a new decision travels up again, under its own uid
    offer.synced_at = None
    session.flush()
    record(
        session,
        user=user,
        action=action,
        entity="offer",
        entity_id=offer.id,
        before=before,
        after=snapshot(offer),
        station_id=offer.station_id,
    )
    from ..playout import bump_plan

    bump_plan(session, offer.station_id)


def accept_offer(
    session: Session,
    offer: Offer,
    user: User | None,
    at: datetime | None = None,
    *,
    now: datetime | None = None,
) -> str | None:
    """Give back the schedule's notice (a priority slot it yields to, an overrun) after accepting
    the offer at ``at`` (aware; default the proposed time) into the station's schedule.

    The time is checked as any schedule is (in the future, no clash with another airing on the
    same loudspeakers); ScheduleError, with nothing changed, when it does not fit.
    """
    _decider(user)
    now = now or utcnow()
    _decidable(offer, now)
    at = at or offer.proposed_at
    if at.tzinfo is None:
        raise ContentError("Giờ phát phải có múi giờ.", "at")
    sched = offer.schedule
    tz = ZoneInfo(session.get(Station, offer.station_id).timezone)
    local = at.astimezone(tz)
    values = schedule_values(sched) | {
        "start_date": local.date(),
        "start_time": local.time().replace(tzinfo=None),
        "enabled": True,
    }
    errors, conflicts, warning = check_schedule(session, offer.station_id, values, sched.id, now=now)
    if errors or conflicts:
        raise ScheduleError(errors, conflicts)
    before = snapshot(offer)
    sched.start_date, sched.start_time, sched.enabled = values["start_date"], values["start_time"], True
    offer.state, offer.air_at, offer.reason = OfferState.ACCEPTED, at, None
    _decided(session, offer, user, "accept", before, now)
    return warning


def decline_offer(
    session: Session, offer: Offer, user: User | None, reason: str, *, now: datetime | None = None
) -> None:
    """Decline the offer with the commune's reason (required); its airing stays switched off."""
    _decider(user)
    reason = (reason or "").strip()
    if not reason:
        raise ContentError("Hãy ghi lý do từ chối: huyện cần biết vì sao xã không phát tin này.", "reason")
    if len(reason) > REASON_MAX:
        raise ContentError(f"Lý do từ chối dài quá {REASON_MAX} ký tự.", "reason")
    now = now or utcnow()
    _decidable(offer, now)
    before = snapshot(offer)
    offer.schedule.enabled = False
    offer.state, offer.air_at, offer.reason = OfferState.DECLINED, None, reason
    _decided(session, offer, user, "decline", before, now)


__all__ = [
    "DECIDERS",
    "EXPIRED_LABEL",
    "OfferView",
    "accept_offer",
    "decline_offer",
    "find_offer",
    "offer_views",
    "waiting_offers",
]
