"""What a hub web worker keeps between station requests, on a real PostgreSQL with two workers.

Two apps made by the factory on the same database stand for two gunicorn workers: each has its
own caches, contact book and connections, as after the fork. Changes are made the way the CLI
makes them, in sessions of a third store (another process as far as the workers can tell).
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from broadcaster import hub
from broadcaster.config import load
from broadcaster.db import utcnow
from broadcaster.hub._manifest import LOOKBACK, MAX_AGE
from broadcaster.manifest import HORIZON_DAYS, loads
from broadcaster.models import Recurrence, Schedule, Station
from broadcaster.rules import expand
from broadcaster.store import open_store
from broadcaster.web import create_app

API = "/api/v1/station/manifest"


@pytest.fixture
def district(hub_site):
    cli = hub_site.store  # its own database on the session's PostgreSQL, closed by the fixture
    cfg = cli.config
    tokens = {}
    with cli.sessions.begin() as s:
        for code in ("xa-a", "xa-b"):
            tokens[code] = hub.add_station(s, code, f"Xã {code}")[1]
    workers = [create_app(cfg, store=open_store(cfg)).test_client() for _ in range(2)]
    yield SimpleNamespace(cfg=cfg, cli=cli, tokens=tokens, workers=workers)
    for w in workers:
        if "broadcaster_hub" in w.application.extensions:
            w.application.extensions["broadcaster_hub"].contacts.close()
        w.application.extensions["broadcaster_store"].engine.dispose()


def _publish(d, title: str, to: str = "xa-a") -> str:
    with d.cli.sessions.begin() as s:
        home = d.cli.station(s)
        done = hub.publish(
            s,
            d.cfg,
            home,
            text="Ủy ban nhân dân xã thông báo lịch tiếp công dân.",
            title=title,
            at=utcnow() + timedelta(hours=2),
            targets=hub.resolve_targets(s, to, "huyen"),
        )
        return done.schedule.uid


def _get(client, token: str, etag: str | None = None, path: str = API):
    headers = {"Authorization": f"Bearer {token}"}
    if etag:
        headers["If-None-Match"] = etag
    return client.get(path, headers=headers)


class Statements:
    """Counts the SQL statements a worker's engine runs (executemany counts once)."""

    def __init__(self, client) -> None:
        self.seen: list[str] = []
        engine = client.application.extensions["broadcaster_store"].engine
        event.listen(engine, "before_cursor_execute", self._note)

    def _note(self, _conn, _cursor, statement, *_args) -> None:
        self.seen.append(statement.split(None, 1)[0].upper())


def test_a_poll_costs_two_statements_and_every_change_is_seen_on_the_next_request_everywhere(district):
    d = district
    one, two = d.workers
    uid = _publish(d, "Tin huyện thứ nhất")
    first = _get(one, d.tokens["xa-a"])
    assert first.status_code == 200 and [a.uid for a in loads(first.data).airings] == [uid]
    tag = first.headers["ETag"]
    assert _get(two, d.tokens["xa-a"], tag).status_code == 304  # the other worker agrees on the tag

    counted = Statements(two)
    for _ in range(3):
        assert _get(two, d.tokens["xa-a"], tag).status_code == 304
    # Warm: one statement (the request counted, the revision counters read), nothing else: no
    # manifest, no token lookup, no last-contact write. Without the caches a poll runs a dozen.
    assert counted.seen == ["WITH"] * 3
    assert "Set-Cookie" not in _get(two, d.tokens["xa-a"], tag).headers

    # A publish from another process: the very next poll in either worker sees it.
    second = _publish(d, "Tin huyện thứ hai")
    fresh = _get(two, d.tokens["xa-a"], tag)
    assert fresh.status_code == 200 and {a.uid for a in loads(fresh.data).airings} == {uid, second}
    assert fresh.headers["ETag"] != tag
    assert _get(one, d.tokens["xa-a"], fresh.headers["ETag"]).status_code == 304
    # xa-b was not targeted: still an empty manifest.
    assert loads(_get(one, d.tokens["xa-b"]).data).airings == ()

    # An edit (switched off): gone on the next poll.
    with d.cli.sessions.begin() as s:
        s.scalar(select(Schedule).where(Schedule.uid == uid)).enabled = False
    after = _get(one, d.tokens["xa-a"], fresh.headers["ETag"])
    assert after.status_code == 200 and [a.uid for a in loads(after.data).airings] == [second]

    # Revocation takes effect on the next request in every worker (bound: one request, no delay).
    for w in d.workers:
        assert _get(w, d.tokens["xa-a"], after.headers["ETag"]).status_code == 304
    with d.cli.sessions.begin() as s:
        hub.revoke_tokens(s, hub.find_station(s, "xa-a", "huyen"))
    for w in d.workers:
        refused = _get(w, d.tokens["xa-a"], after.headers["ETag"])
        assert refused.status_code == 401 and "thu hồi" in refused.json["loi"]
    assert _get(one, d.tokens["xa-b"]).status_code == 200  # others unaffected


def test_the_request_budget_is_one_per_station_across_workers(district):
    d = district
    started = time.monotonic()
    answers = [_get(d.workers[i % 2], d.tokens["xa-b"]).status_code for i in range(2 * hub.BURST)]
    elapsed = time.monotonic() - started
    ok = answers.count(200)
    # Per-worker budgets would let both workers serve BURST each (all 120 through).
    assert hub.BURST <= ok <= hub.BURST + int(elapsed * hub.RATE) + 1, (ok, elapsed)
    refused = _get(d.workers[0], d.tokens["xa-b"])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # Another station's budget is its own.
    assert _get(d.workers[1], d.tokens["xa-a"]).status_code == 200


def test_last_contact_is_written_in_batches_and_keeps_the_time_of_the_call(district):
    d = district
    one, two = d.workers
    counted = Statements(one)
    before = utcnow()
    for _ in range(5):
        assert _get(one, d.tokens["xa-a"]).status_code == 200
    called = utcnow()
    assert "UPDATE" not in counted.seen  # no write per request

    def seen(code):
        with d.cli.sessions() as s:
            return s.scalar(select(Station.last_seen_at).where(Station.code == code))

    assert seen("xa-a") is None
    book = one.application.extensions["broadcaster_hub"].contacts
    time.sleep(0.05)
    assert book.flush() == 1  # one station, one batch, however many calls
    assert before <= seen("xa-a") <= called  # when it called, not when the batch was written
    assert counted.seen.count("UPDATE") == 1
    with d.cli.sessions() as s:
        overview = {r["code"]: r for r in hub.stations_overview(s, "huyen", d.cfg.sync_interval)}
        a_id = s.scalar(select(Station.id).where(Station.code == "xa-a"))
    assert overview["xa-a"]["online"] and not overview["xa-b"]["online"]
    # An older contact noted by the other worker never moves it back.
    other = two.application.extensions.get("broadcaster_hub") or _worker_of(two)
    other.contacts.seen(a_id, before - timedelta(minutes=5))
    other.contacts.flush()
    assert seen("xa-a") >= before


def _worker_of(client):
    _get(client, "bcs_unknown")  # any call through the station API makes the worker's share
    return client.application.extensions["broadcaster_hub"]


def test_a_cached_part_holds_exactly_until_the_clock_moves_an_airing_in_or_out():
    cfg = load({"BROADCASTER_DATA_DIR": "/nonexistent", "BROADCASTER_TIMEZONE": "Asia/Ho_Chi_Minh"})
    daily = SimpleNamespace(
        recurrence=Recurrence.DAILY,
        start_time=datetime(2026, 1, 1, 6, 0).time(),
        start_date=date(2026, 1, 1),
        end_date=None,
        skip_dates=[],
        weekdays=None,
        programme=SimpleNamespace(items=[]),
    )

    def window(at):
        return expand(daily, at - LOOKBACK, at + timedelta(days=HORIZON_DAYS), cfg.tz)

    aired = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 06:00 on 2 Dec in Asia/Ho_Chi_Minh
    for now in (
        aired + LOOKBACK - timedelta(minutes=4),  # the oldest airing leaves first
        aired - timedelta(days=HORIZON_DAYS, minutes=3),  # a new one enters first
        aired + timedelta(hours=1),  # nothing moves for hours: the age cap
    ):
        until = hub.district_part(cfg, [daily], now).until
        assert now < until <= now + MAX_AGE
        assert window(until - timedelta(microseconds=1)) == window(now)
        if until < now + MAX_AGE:
            assert window(until + timedelta(seconds=1)) != window(now)
