"""Offers from the district and priority conflicts, in process on a station's real SQLite store.

A manifest is applied as the sync unit does; the commune accepts or declines through the content
rules (what the page calls); decisions go up through the outbox and are kept once at the hub.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hubkit import own_schedule
from sqlalchemy import func, select

from broadcaster import content, hub
from broadcaster.db import utcnow
from broadcaster.manifest import AiringSpec, AudioRef, ItemSpec, Manifest, ProgrammeSpec, SegmentSpec
from broadcaster.models import (
    AirStatus,
    AuditLog,
    HubOfferDecision,
    ItemType,
    Occurrence,
    Offer,
    OfferState,
    Origin,
    Priority,
    Programme,
    Recurrence,
    Role,
    Schedule,
    SegmentKind,
    User,
)
from broadcaster.playout import forecast, plan
from broadcaster.sync import apply_manifest, mark_decisions_synced, pending_decisions, pending_rows

SHA = "cd" * 32
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _uid() -> str:
    return str(uuid.uuid4())


def manifest(at: datetime, priority: Priority = Priority.NORMAL, title: str = "Tin huyện") -> Manifest:
    seg, prog, air = _uid(), _uid(), _uid()
    return Manifest(
        station="xa-mau",
        airings=(AiringSpec(air, prog, at, title, priority, window_minutes=15),),
        programmes=(ProgrammeSpec(prog, title, (ItemSpec(ItemType.SEGMENT, segment=seg),)),),
        segments=(SegmentSpec(seg, "Lịch tiếp dân", SegmentKind.CCHC_NEWS, None, None, SHA),),
        audio=(AudioRef(SHA, 1234, 60_000, "wav", f"/api/v1/station/audio/{SHA}"),),
    )


def _local(day_offset: int, hh: int, mm: int) -> datetime:
    """Give back an instant at a station wall time ``day_offset`` days from the station's today."""
    today = datetime.now(TZ).date()
    return datetime.combine(today + timedelta(days=day_offset), time(hh, mm), TZ).astimezone(UTC)


def _apply(store, m: Manifest):
    with store.sessions.begin() as s:
        return apply_manifest(s, store.station(s), m, {SHA: f"hub/{SHA}.wav"})


def _user(s, station, name: str, role: Role) -> User:
    u = s.scalar(select(User).where(User.username == name))
    if u is None:
        u = User(station_id=station.id, username=name, password_hash="x", role=role)
        s.add(u)
        s.flush()
    return u


def _offer(s, m: Manifest) -> Offer:
    return s.scalar(select(Offer).join(Schedule).where(Schedule.uid == m.airings[0].uid))


def test_an_offer_is_accepted_or_declined_audited_and_its_decision_waits_for_the_hub(store, station):
    at = _local(2, 17, 0)
    m = manifest(at)
    assert _apply(store, m).added == 1
    with store.sessions() as s:
        offer = _offer(s, m)
        assert offer.state == OfferState.WAITING and offer.proposed_at == at
        assert offer.schedule.enabled is False and offer.schedule.origin == Origin.HUB
        assert content.waiting_offers(s, station.id) == 1
        assert pending_decisions(s, station.id) == []

    with store.sessions() as s:
        st = store.station(s)
        editor, leader = _user(s, st, "bientap", Role.EDITOR), _user(s, st, "lanhdao", Role.APPROVER)
        s.commit()
        offer = _offer(s, m)
        with pytest.raises(content.NotAllowed, match="Chỉ lãnh đạo duyệt"):
            content.decline_offer(s, offer, editor, "Không hợp")
        with pytest.raises(content.ContentError, match="Hãy ghi lý do từ chối"):
            content.decline_offer(s, offer, leader, "   ")
        s.rollback()
    with store.sessions() as s:  # nothing of a refused decision was kept
        assert _offer(s, m).state == OfferState.WAITING and _offer(s, m).decision_uid is None

    with store.sessions.begin() as s:
        content.decline_offer(
            s, _offer(s, m), _user(s, station, "lanhdao", Role.APPROVER), "Trùng giờ họp xã"
        )
    with store.sessions() as s:
        offer = _offer(s, m)
        assert offer.state == OfferState.DECLINED and not offer.schedule.enabled
        first_uid = offer.decision_uid
        [row] = pending_decisions(s, station.id)
        assert row == {
            "uid": first_uid,
            "schedule_uid": m.airings[0].uid,
            "decision": "declined",
            "air_at": None,
            "reason": "Trùng giờ họp xã",
            "decided_by": "lanhdao",
            "decided_at": offer.decided_at.isoformat(),
        }
        audit = s.scalar(select(AuditLog).where(AuditLog.entity == "offer", AuditLog.action == "decline"))
        assert audit.username == "lanhdao" and audit.after["reason"] == "Trùng giờ họp xã"
        assert content.waiting_offers(s, station.id) == 0
    with store.sessions.begin() as s:
        assert mark_decisions_synced(s, [first_uid]) == 1
    with store.sessions() as s:
        assert pending_decisions(s, station.id) == []

    # The commune changes its mind: it airs it half an hour later. A new decision, a new uid.
    chosen = at + timedelta(minutes=30)
    with store.sessions.begin() as s:
        content.accept_offer(s, _offer(s, m), _user(s, station, "lanhdao", Role.APPROVER), chosen)
    with store.sessions() as s:
        offer = _offer(s, m)
        assert offer.state == OfferState.ACCEPTED and offer.air_at == chosen and offer.reason is None
        assert offer.schedule.enabled and offer.schedule.start_time == time(17, 30)
        [row] = pending_decisions(s, station.id)
        assert row["uid"] != first_uid and row["decision"] == "accepted"
        assert row["air_at"] == chosen.isoformat()
    # A later manifest (same proposal) leaves the commune's time alone, and nothing is changed.
    again = _apply(store, m)
    assert not again.touched
    with store.sessions() as s:
        assert _offer(s, m).schedule.start_time == time(17, 30)
        airing = [a for a in forecast(s, store.station(s), hours=24 * 3) if a.title == "Tin huyện"]
        assert [a.local.time() for a in airing] == [time(17, 30)]


def test_accepting_checks_the_time_like_any_schedule_and_keeps_nothing_when_refused(store, station):
    at = _local(1, 6, 0)
    m = manifest(at)
    _apply(store, m)
    with store.sessions.begin() as s:
        own_schedule(
            s,
            store.station(s),
            "Buổi sáng",
            "Buổi sáng của xã",
            Recurrence.DAILY,
            datetime.now(TZ).date(),
            time(6, 0),
        )
    leader = None  # the command line's system account
    with store.sessions() as s:
        with pytest.raises(content.ScheduleError, match="Trùng giờ với lịch «Buổi sáng»"):
            content.accept_offer(s, _offer(s, m), leader)
        s.rollback()
        with pytest.raises(content.ScheduleError, match="đã qua"):
            content.accept_offer(s, _offer(s, m), leader, _local(0, 0, 0) - timedelta(hours=1))
        s.rollback()
    with store.sessions() as s:
        offer = _offer(s, m)
        assert offer.state == OfferState.WAITING and not offer.schedule.enabled and offer.decision_uid is None
    with store.sessions.begin() as s:
        content.accept_offer(s, _offer(s, m), leader, _local(1, 7, 0))
    with store.sessions() as s:
        assert _offer(s, m).state == OfferState.ACCEPTED and _offer(s, m).decided_by == "hệ thống"


def test_an_offer_past_its_time_is_expired_and_a_withdrawn_one_cannot_be_decided(store, station):
    soon = manifest(utcnow() + timedelta(minutes=20), title="Tin sắp tới")
    _apply(store, soon)
    with store.sessions() as s:
        later = utcnow() + timedelta(hours=1)
        [view] = content.offer_views(s, station.id, now=later)
        assert view.expired and view.offer.state == OfferState.WAITING
        assert content.waiting_offers(s, station.id, now=later) == 0
        assert content.offer_views(s, station.id, now=later + timedelta(days=40)) == []  # a month shown
        with pytest.raises(content.InConflict, match="đã qua"):
            content.accept_offer(s, view.offer, None, now=later)
        with pytest.raises(content.InConflict, match="đã qua"):
            content.decline_offer(s, view.offer, None, "muộn", now=later)
        s.rollback()
    # The district withdraws it: the offer says so and is closed.
    assert _apply(store, replace(soon, airings=())).withdrawn == 1
    with store.sessions() as s:
        offer = _offer(s, soon)
        assert offer.state == OfferState.WITHDRAWN
        with pytest.raises(content.InConflict, match="Huyện đã rút"):
            content.accept_offer(s, offer, None)
        s.rollback()
    # Listed again: a fresh offer waiting for the commune.
    _apply(store, soon)
    with store.sessions() as s:
        assert _offer(s, soon).state == OfferState.WAITING


def test_a_district_priority_airing_takes_a_local_normal_slot_visibly(store, station, config):
    with store.sessions.begin() as s:
        local_id = own_schedule(
            s,
            store.station(s),
            "Buổi chiều",
            "Chuyên mục của xã",
            Recurrence.DAILY,
            datetime.now(TZ).date(),
            time(16, 59),
        ).id
    at = _local(1, 17, 0)
    m = manifest(at, Priority.PRIORITY, title="Tin bão của huyện")
    _apply(store, m)
    now = _local(1, 8, 0)
    with store.sessions.begin() as s:
        st = store.station(s)
        assert plan(s, st, now, hours=24).yielded == 1
    with store.sessions() as s:
        st = store.station(s)
        rows = {o.schedule_id: o for o in s.scalars(select(Occurrence).where(Occurrence.scheduled_at > now))}
        hub_sched = s.scalar(select(Schedule).where(Schedule.uid == m.airings[0].uid))
        assert hub_sched.enabled and s.scalar(select(func.count(Offer.id))) == 0  # no acceptance needed
        mine = rows[local_id]
        assert mine.status == AirStatus.SKIPPED
        assert mine.reason == "Nhường khung giờ cho bản tin ưu tiên của huyện «Tin bão của huyện» lúc 17:00."
        assert rows[hub_sched.id].status == AirStatus.PENDING
        [airing] = [a for a in forecast(s, st, now=now, hours=24) if a.schedule_id == local_id]
        assert airing.nothing
        assert "tin ưu tiên của huyện «Tin bão của huyện» lúc 17:00" in airing.message
        assert airing.message.startswith("Sẽ không phát gì lúc 16:59")

    # Once its time has passed, the as-run log (and the district, through it) shows it and why.
    from broadcaster.playout._asrun import log_given_way

    after = _local(1, 17, 30)
    with store.sessions.begin() as s:
        assert log_given_way(s, station.id, after) == 1
        assert log_given_way(s, station.id, after) == 0  # once
    with store.sessions() as s:
        [row] = [r for r in pending_rows(s, station.id, 10) if r["status"] == "skipped"]
        assert row["title"] == "Chuyên mục của xã" and row["origin"] == "local"
        assert row["reason"] == mine.reason and row["scheduled_at"] == mine.scheduled_at.isoformat()


def test_the_hub_keeps_each_decision_once_and_shows_who_answered_what(store, config):
    now = utcnow()
    with store.sessions.begin() as s:
        home = store.station(s)
        a, _ = hub.add_station(s, "xa-a", "Xã A")
        b, _ = hub.add_station(s, "xa-b", "Xã B")
        c, _ = hub.add_station(s, "xa-c", "Xã C")
        prog = Programme(station_id=home.id, title="Tin huyện")
        s.add(prog)
        s.flush()

        def district(name: str, at: datetime) -> Schedule:
            local = at.astimezone(config.tz)
            sched = Schedule(
                station_id=home.id,
                programme_id=prog.id,
                name=name,
                recurrence=Recurrence.ONCE,
                start_date=local.date(),
                start_time=local.time().replace(tzinfo=None),
                skip_dates=[],
                targets=[a, b, c],
            )
            s.add(sched)
            s.flush()
            return sched

        ahead = district("Lịch tiếp dân", now + timedelta(hours=3))
        gone = district("Tin hôm qua", now - timedelta(days=1))
        ahead_uid, gone_uid = ahead.uid, gone.uid

        accepted = {
            "uid": _uid(),
            "schedule_uid": ahead_uid,
            "decision": "accepted",
            "air_at": (now + timedelta(hours=4)).isoformat(),
            "decided_by": "lanhdao",
            "decided_at": now.isoformat(),
        }
        declined = {
            "uid": _uid(),
            "schedule_uid": ahead_uid,
            "decision": "declined",
            "reason": "Xã đang có lễ hội",
            "decided_by": "quantri",
            "decided_at": now.isoformat(),
        }
        no_reason = declined | {"uid": _uid(), "reason": " "}
        acked, refused = hub.receive_decisions(s, a, [accepted])
        assert acked == [accepted["uid"]] and refused == []
        acked, refused = hub.receive_decisions(s, a, [accepted])  # a repeat after a lost answer
        assert acked == [accepted["uid"]]
        acked, refused = hub.receive_decisions(s, b, [declined, no_reason, accepted])
        assert acked == [declined["uid"]]
        assert {r["loi"] for r in refused} == {
            "từ chối phải có lý do",
            "mã quyết định thuộc đài khác",
        }
        assert s.scalar(select(func.count(HubOfferDecision.id))) == 2

    with store.sessions() as s:
        rows = hub.offers_overview(s, config)
    by_uid = {r["uid"]: r for r in rows}
    answers = {st["code"]: st for st in by_uid[ahead_uid]["stations"]}
    assert answers["xa-a"]["decision"] == "accepted" and answers["xa-a"]["air_at"] == accepted["air_at"]
    assert answers["xa-b"]["decision"] == "declined" and answers["xa-b"]["reason"] == "Xã đang có lễ hội"
    assert answers["xa-c"]["decision"] == "waiting"
    assert {st["decision"] for st in by_uid[gone_uid]["stations"]} == {"expired"}
    assert not any(st["aired"] for r in rows for st in r["stations"])

    # The district's page says the same, in Vietnamese, with the commune's reason.
    from broadcaster.web import create_app

    with store.sessions.begin() as s:
        admin_id = content.create_user(s, store.station(s), "quantri", "mat-khau-dai-1", "admin").id
    app = create_app(config.with_overrides(mode="hub"), store=store)
    with app.test_client() as c:
        assert c.get("/huyen/tin-thong-thuong").status_code == 302  # sign in first
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = f"{admin_id}:0", True
        page = c.get("/huyen/tin-thong-thuong")
        html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Tin thông thường gửi các xã" in html and "Tin gửi xã" in html
    assert html.index("Tin hôm qua") < html.index("Lịch tiếp dân")
    assert "Xã đang có lễ hội" in html and "lanhdao" in html
    for label in ("nhận phát", "từ chối", "chưa quyết định", "quá giờ, không quyết định"):
        assert label in html
