"""The hub's side of the live link on its real PostgreSQL: which commits nudge which stations, what
presence does to a station row, and when a silent station counts as offline."""

from __future__ import annotations

import json
import uuid
from datetime import date, time, timedelta

import psycopg
import pytest
from sqlalchemy import select

from broadcaster import hub, topics
from broadcaster.db import utcnow
from broadcaster.live import CHANNEL, send, watch_changes
from broadcaster.live._hub import NOTIFY_MAX, _envelopes
from broadcaster.models import ItemType, Programme, ProgrammeItem, Recurrence, Schedule, Segment, SegmentKind
from broadcaster.store import ensure_station, open_store


@pytest.fixture
def hub_store(pg_url, config):
    name = f"liveh_{uuid.uuid4().hex[:8]}"
    plain = pg_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    cfg = config.with_overrides(database_url=url, mode="hub", station_code="huyen-thu")
    st = open_store(cfg, upgrade=True)
    ensure_station(st)
    watch_changes(st.sessions)
    listener = psycopg.connect(plain.rsplit("/", 1)[0] + "/" + name, autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")
    yield st, listener
    listener.close()
    st.engine.dispose()


def nudged(listener) -> list[str]:
    """The station codes nudged since the last call (in NOTIFY order), or [] when none came."""
    codes: list[str] = []
    for n in listener.notifies(timeout=0.3):
        env = json.loads(n.payload)
        assert env["kind"] == topics.NUDGE
        codes += env["codes"]
    return codes


def test_a_commit_nudges_exactly_the_stations_its_change_concerns(hub_store):
    store, listener = hub_store
    with store.sessions.begin() as s:
        home = store.station(s)
        a, _ = hub.add_station(s, "xa-a", "Xã A")
        b, _ = hub.add_station(s, "xa-b", "Xã B")
        c, _ = hub.add_station(s, "xa-c", "Xã C")
        seg = Segment(station_id=home.id, title="Tin", kind=SegmentKind.CCHC_NEWS)
        prog = Programme(station_id=home.id, title="Chương trình")
        s.add_all([seg, prog])
        s.flush()
        prog.items.append(ProgrammeItem(position=0, item_type=ItemType.SEGMENT, segment_id=seg.id))
    assert nudged(listener) == []  # stations and content nobody airs yet: no one to tell

    with store.sessions.begin() as s:
        sched = Schedule(
            station_id=store.station(s).id,
            programme_id=prog.id,
            name="Tin huyện",
            recurrence=Recurrence.ONCE,
            start_time=time(6, 30),
            start_date=date.today() + timedelta(days=2),
            skip_dates=[],
            targets=[s.get(type(a), a.id), s.get(type(b), b.id)],
        )
        s.add(sched)
    assert nudged(listener) == ["xa-a", "xa-b"]  # published

    with store.sessions.begin() as s:
        s.get(Schedule, sched.id).start_time = time(7, 0)
    assert nudged(listener) == ["xa-a", "xa-b"]  # edited

    with store.sessions.begin() as s:
        row = s.get(Schedule, sched.id)
        row.targets = [t for t in row.targets if t.code == "xa-a"] + [s.get(type(c), c.id)]
    assert sorted(nudged(listener)) == ["xa-a", "xa-b", "xa-c"]  # retargeted: b must drop it

    with store.sessions.begin() as s:
        s.get(Segment, seg.id).title = "Tin đã sửa"
    assert nudged(listener) == ["xa-a", "xa-c"]  # its segment edited

    s = store.sessions()
    s.get(Schedule, sched.id).enabled = False
    s.flush()
    s.rollback()  # nothing committed: nothing said
    s.close()
    assert nudged(listener) == []

    with store.sessions.begin() as s:
        s.get(Schedule, sched.id).enabled = False
    assert nudged(listener) == ["xa-a", "xa-c"]  # withdrawn

    with store.sessions.begin() as s:
        hub.note_contact(s, s.get(type(a), a.id), {"clock": utcnow().isoformat()})
    assert nudged(listener) == []  # a station's own report changes nothing for anyone


def test_long_lists_are_split_under_postgres_limit(hub_store):
    store, listener = hub_store
    codes = [f"xa-{i:05d}" for i in range(3000)]
    envs = _envelopes(topics.NUDGE, codes, {"why": "manifest"})
    assert len(envs) > 1 and all(len(e.encode()) < NOTIFY_MAX for e in envs)
    with store.sessions.begin() as s:
        assert send(s, topics.NUDGE, codes, {"why": "manifest"}) == 3000
    assert nudged(listener) == codes


def test_presence_marks_a_station_and_silence_or_a_last_will_makes_it_offline(store):
    now = utcnow()
    with store.sessions.begin() as s:
        a, _ = hub.add_station(s, "xa-a", "Xã A")
        assert not hub.is_online(a, 60, now)  # never heard of
        a.last_seen_at = now
        assert hub.is_online(a, 60, now)  # a sync call, no live link: the HTTP rule
        assert hub.note_presence(s, "xa-a", {"online": True, "every": 30, "on_air": "Bản tin"}, now)
        assert not hub.note_presence(s, "xa-khong-co", {"online": True}, now)
        assert a.last_status["on_air"] == "Bản tin" and a.presence_every == 30
        assert hub.is_online(a, 60, now + timedelta(seconds=75))
        # Heartbeats stopped (a cut cable, no will yet): offline after 2.5 periods, within 90 s.
        assert not hub.is_online(a, 60, now + timedelta(seconds=76))
        # The last will: offline at once, the last status kept for the page.
        hub.note_presence(s, "xa-a", {"online": False}, now)
        assert not hub.is_online(a, 60, now) and a.last_status["on_air"] == "Bản tin"
        # Back: a heartbeat with a 5 s period is stale after 12.5 s.
        hub.note_presence(s, "xa-a", {"online": True, "every": 5}, now)
        assert hub.is_online(a, 60, now + timedelta(seconds=12))
        assert not hub.is_online(a, 60, now + timedelta(seconds=13))
        # The hub's live process came back: the broker hands it each station's retained presence.
        # A heartbeat stored 5 minutes ago is no contact now; an offline will is current.
        old = (now - timedelta(minutes=5)).isoformat()
        b, _ = hub.add_station(s, "xa-b", "Xã B")
        hub.note_presence(s, "xa-b", {"online": True, "every": 30, "at": old, "retained": True}, now)
        assert b.presence_at == now - timedelta(minutes=5) and not hub.is_online(b, 60, now)
        assert b.last_seen_at is None
        hub.note_presence(s, "xa-a", {"online": True, "every": 5}, now)
        hub.note_presence(s, "xa-a", {"online": False, "retained": True}, now)
        assert not hub.is_online(a, 60, now)
    with store.sessions() as s:
        rows = hub.stations_overview(s, "xa-mau", 60, now + timedelta(seconds=1))
        assert [r["online"] for r in rows if r["code"] == "xa-a"] == [False]
        assert s.scalar(select(type(a).presence_online).where(type(a).code == "xa-a")) is False
