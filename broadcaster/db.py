"""Engine, sessions and the column types every table shares.

Times are stored timezone-aware in UTC: :class:`UTCDateTime` refuses naive values on the way in
and gives back aware values on the way out, whatever the backend (SQLite keeps no zone).
"""

from __future__ import annotations

import secrets
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime column that only holds aware UTC values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Give back the current time, aware, in UTC."""
    return datetime.now(UTC)


def new_uid() -> str:
    """Give back a fresh global identifier, stable across stations and the future district hub."""
    return str(uuid.uuid4())


_WROTE = "broadcaster.wrote"  # Connection.info key: this transaction wrote something
_COMMITTED = "broadcaster.committed"  # Connection.info key: a write was committed since checkout
#: Who is told of a committed write, per engine (:func:`after_write`).
_WRITE_LISTENERS: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = weakref.WeakKeyDictionary()


def data_version_hooks(engine: Engine) -> None:
    """Make every commit that wrote through ``engine`` (a SQLite one) set ``PRAGMA user_version``
    to a fresh random value, in the same transaction as the write.

    One cheap read of that header field then tells a reader whether anything changed since it last
    looked (``broadcaster status`` with the daemon down, issue 10), whoever wrote: web, API, CLI,
    sync, daemon, migrations (all open their engine here). Random, not a counter: a store restored
    from a backup must not match a cache made from another state. What marks a write is the
    executed statement's kind (ORM flush, ORM or Core insert/update/delete, DDL), not its text.
    """

    @event.listens_for(engine, "after_cursor_execute")
    def _note_write(conn, _cursor, _statement, _params, context, _executemany) -> None:
        if context is None:
            return
        if context.isinsert or context.isupdate or context.isdelete or context.isddl:
            conn.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    def _bump(conn) -> None:  # runs just before the DBAPI commit, inside the transaction
        if conn.info.pop(_WROTE, False):
            cur = conn.connection.dbapi_connection.cursor()
            try:
                # Pragmas take no bound parameters; the value is an int made here.
                cur.execute(f"PRAGMA user_version = {secrets.randbelow(2**31 - 2) + 1}")
            finally:
                cur.close()
            conn.info[_COMMITTED] = True

    @event.listens_for(engine, "rollback")
    def _forget(conn) -> None:
        conn.info.pop(_WROTE, None)

    # The "commit" event comes before the DBAPI commit: listeners are told when the connection
    # goes back to the pool, by then the write is visible to every reader. (Connection.info is
    # the pool record's info, the same dict this sees.)
    @event.listens_for(engine, "checkin")
    def _told(_dbapi_conn, record) -> None:
        if record.info.pop(_COMMITTED, False):
            for listener in _WRITE_LISTENERS.get(engine, ()):
                listener()


def after_write(engine: Engine, listener: Callable[[], None]) -> None:
    """Have ``listener()`` called after every commit that wrote through ``engine`` (a SQLite
    engine from :func:`make_engine`; others never call it), once the write is visible to readers.

    It runs in the writing thread, on its way back from the database: it must be quick and
    must not raise.
    """
    _WRITE_LISTENERS.setdefault(engine, []).append(listener)


def make_engine(url: str, **kw) -> Engine:
    """Give back an engine; SQLite gets WAL, full sync and foreign keys on every connection, and
    its data version bumped by every write (:func:`data_version_hooks`)."""
    if url.startswith("sqlite"):
        kw.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(url, **kw)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed as-run row survives a power cut, not only a process crash.
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        data_version_hooks(engine)

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
