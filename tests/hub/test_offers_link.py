"""Offers and priority over real HTTP: the hub's web on PostgreSQL, stations' ``sync`` and ``status``
as real processes (the hub fixture and helpers are the hub test's own).

One short scenario: a normal item offered to two communes, one accepts at its own time, the other
declines with a reason; both decisions reach the hub once; a district priority item displaces a
commune's own normal airing, and the station's ``status`` says so before air.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest
from hubkit import own_schedule, run_all, store_of
from sqlalchemy import select

from broadcaster import content
from broadcaster.db import utcnow
from broadcaster.models import (
    Offer,
    OfferState,
    Recurrence,
    Schedule,
)

from .test_hub import hub, publish, station_env  # noqa: F401 - hub is a fixture


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _own_normal_airing(store, at_local: datetime) -> None:
    """The commune's own normal airing at ``at_local`` (its wall time), as its officers would save it."""
    with store.sessions.begin() as s:
        own_schedule(
            s,
            store.station(s),
            "Buổi chiều của xã",
            "Chuyên mục của xã",
            Recurrence.ONCE,
            at_local.date(),
            at_local.time().replace(tzinfo=None),
        )


@pytest.mark.slow
def test_offers_decided_at_two_stations_reach_the_hub_and_priority_displaces_visibly(hub, tmp_path):  # noqa: F811
    offered_at = _minute(utcnow() + timedelta(hours=3))
    urgent_at = _minute(utcnow() + timedelta(hours=2))
    offer_uid = publish(hub, tmp_path, "Lịch tiếp công dân", offered_at, "xa-a,xa-b", priority="normal")
    urgent_uid = publish(hub, tmp_path, "Tin bão khẩn của huyện", urgent_at, "xa-a", priority="priority")

    env_a = station_env(hub, tmp_path / "a", "xa-a")
    env_b = station_env(hub, tmp_path / "b", "xa-b")
    store_a, store_b = store_of(env_a), store_of(env_b)
    tz = store_a.config.tz
    _own_normal_airing(store_a, urgent_at.astimezone(tz))
    for done in run_all((env_a, "sync", "--once"), (env_b, "sync", "--once")):  # side by side
        assert "Đồng bộ với huyện xong" in done.stdout and "quyết định" not in done.stdout

    # Each commune sees the offer waiting; A airs it 45 minutes later, B declines with a reason.
    chosen = offered_at + timedelta(minutes=45)
    with store_a.sessions.begin() as s:
        offer = s.scalar(select(Offer).join(Schedule).where(Schedule.uid == offer_uid))
        assert offer.state == OfferState.WAITING and not offer.schedule.enabled
        content.accept_offer(s, offer, None, chosen)
    with store_b.sessions.begin() as s:
        offer = s.scalar(select(Offer).join(Schedule).where(Schedule.uid == offer_uid))
        content.decline_offer(s, offer, None, "Xã đang phát chuyên mục bầu cử giờ đó")

    for done in run_all((env_a, "sync", "--once"), (env_b, "sync", "--once")):
        assert "báo 1 quyết định về tin từ huyện" in done.stdout, done.stdout
    # What follows only reads: the commands side by side.
    again, listed, text, status = run_all(
        (env_b, "sync", "--once"),
        (hub.env, "hub", "offers", "--json"),
        (hub.env, "hub", "offers"),
        (env_a, "status", "--json"),
    )
    assert "quyết định" not in again.stdout, again.stdout  # acknowledged: not sent again

    rows = {r["uid"]: r for r in json.loads(listed.stdout)}
    answers = {st["code"]: st for st in rows[offer_uid]["stations"]}
    assert answers["xa-a"]["decision"] == "accepted"
    assert datetime.fromisoformat(answers["xa-a"]["air_at"]) == chosen
    assert answers["xa-b"]["decision"] == "declined"
    assert answers["xa-b"]["reason"] == "Xã đang phát chuyên mục bầu cử giờ đó"
    assert urgent_uid not in rows  # a priority item asks nobody
    assert "xa-b" in text.stdout and "từ chối; lý do: Xã đang phát chuyên mục bầu cử giờ đó" in text.stdout

    # Station A, before air: the accepted offer at its own time, and its own airing giving way.
    warnings = [w["canh_bao"] for w in json.loads(status.stdout)["canh_bao"]]
    local = urgent_at.astimezone(tz)
    assert any(
        f"Sẽ không phát gì lúc {local:%H:%M}" in w
        and f"bản tin ưu tiên của huyện «Tin bão khẩn của huyện» lúc {local:%H:%M}" in w
        for w in warnings
    ), warnings
    with store_a.sessions() as s:
        sched = s.scalar(select(Schedule).where(Schedule.uid == offer_uid))
        assert sched.enabled and sched.start_time == time(*chosen.astimezone(tz).timetuple()[3:5])
    for store in (store_a, store_b):
        store.engine.dispose()
