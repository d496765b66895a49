"""The same schema and time rules on a real PostgreSQL server, started for this test session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from broadcaster.config import load
from broadcaster.db import Base
from broadcaster.models import Occurrence, Programme
from broadcaster.store import ensure_station, open_store


@pytest.fixture
def pg_store(pg_url, tmp_path):
    cfg = load({"BROADCASTER_DATA_DIR": str(tmp_path), "BROADCASTER_DATABASE_URL": pg_url})
    store = open_store(cfg, upgrade=True)
    ensure_station(store)
    yield store
    store.engine.dispose()


def test_migrations_apply_and_match_models_on_postgres(pg_store):
    with pg_store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    # Upgrading again is a no-op.
    open_store(pg_store.config, upgrade=True).engine.dispose()


def test_times_round_trip_in_utc_on_postgres(pg_store):
    hanoi = timezone(timedelta(hours=7))
    local = datetime(2026, 3, 1, 5, 30, tzinfo=hanoi)
    with pg_store.sessions.begin() as s:
        station = pg_store.station(s)
        prog = Programme(station_id=station.id, title="Chuyên mục")
        s.add(prog)
        s.flush()
        s.add(Occurrence(station_id=station.id, programme_id=prog.id, scheduled_at=local))
    with pg_store.sessions() as s:
        got = s.scalar(select(Occurrence.scheduled_at))
    assert got == local and got.utcoffset() == timedelta(0)
    assert got.replace(tzinfo=None) == datetime(2026, 2, 28, 22, 30)
    assert got.tzinfo is not None and got.astimezone(UTC).hour == 22


def test_occurrence_identity_is_enforced_on_postgres(pg_store):
    from broadcaster.models import Recurrence, Schedule

    at = datetime(2026, 5, 1, 22, 30, tzinfo=UTC)
    with pg_store.sessions.begin() as s:
        station = pg_store.station(s)
        prog = Programme(station_id=station.id, title="P")
        s.add(prog)
        s.flush()
        sched = Schedule(
            station_id=station.id,
            programme_id=prog.id,
            recurrence=Recurrence.DAILY,
            start_time=datetime(2026, 1, 1, 5, 30).time(),
            start_date=at.date(),
            skip_dates=[],
        )
        s.add(sched)
        s.flush()
        zone_id = station.zones[0].id
        s.add(Occurrence(station_id=station.id, schedule_id=sched.id, zone_id=zone_id, scheduled_at=at))
    with pytest.raises(IntegrityError), pg_store.sessions.begin() as s:
        s.add(Occurrence(station_id=station.id, schedule_id=sched.id, zone_id=zone_id, scheduled_at=at))


def test_parallel_login_tries_never_pass_the_limit_on_postgres(pg_store):
    """The throttle's guarded UPDATE holds under PostgreSQL's row locks as under SQLite's one writer."""
    from concurrent.futures import ThreadPoolExecutor

    from broadcaster import content

    keys = content.throttle_keys("canbo", "10.0.0.1")

    def try_once(_i: int) -> bool:
        with pg_store.sessions.begin() as s:
            return content.reserve_attempt(s, keys).refused is None

    with ThreadPoolExecutor(max_workers=20) as pool:
        allowed = sum(pool.map(try_once, range(40)))
    assert allowed == content.ACCOUNT_LIMIT
    with pg_store.sessions() as s:
        assert [lock.key for lock in content.locks(s)] == ["user:canbo"]
