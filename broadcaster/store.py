"""Create, upgrade and open the station's store (SQLite under the data dir by default)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .config import Config
from .db import make_engine, make_sessionmaker
from .models import Station, StationState

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest migration: a store at another revision must be upgraded (``broadcaster init``) first.
#: Kept here so opening a store needs no Alembic; a test checks it against the migrations folder.
SCHEMA_HEAD = "0013"


class StoreError(RuntimeError):
    """The store cannot be used; the message is one Vietnamese line for the user."""


@dataclass
class Store:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]

    def station(self, session: Session) -> Station:
        """Give back this station's row (created by :func:`init_store`)."""
        station = session.scalar(select(Station).where(Station.code == self.config.station_code))
        if station is None:
            raise StoreError("Chưa khởi tạo dữ liệu đài: hãy chạy «broadcaster init».")
        return station

    def station_id(self) -> int:
        with self.sessions() as s:
            return self.station(s).id


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _check_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Không tạo được thư mục dữ liệu {data_dir}: {exc.strerror}.") from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise StoreError(f"Không ghi được vào thư mục dữ liệu {data_dir}: kiểm tra quyền truy cập.")


def _check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a healthy SQLite database, before anything writes to it."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
        if header != b"SQLite format 3\x00":
            raise sqlite3.DatabaseError("bad header")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
        if not row or row[0] != "ok":
            raise sqlite3.DatabaseError(str(row))
    except sqlite3.DatabaseError:
        raise StoreError(
            f"Tệp cơ sở dữ liệu {path} bị hỏng hoặc không phải SQLite; không ghi đè. "
            "Hãy khôi phục bản sao lưu hoặc chuyển tệp này đi nơi khác."
        ) from None


def open_store(config: Config, *, upgrade: bool = False) -> Store:
    """Give back an open store; with ``upgrade`` create or migrate the schema first."""
    url = config.db_url
    if url.startswith("sqlite"):
        _check_data_dir(config.data_dir)
        db_path = Path(url.split("///", 1)[1]) if "///" in url else None
        if db_path is not None:
            _check_sqlite_file(db_path)
    else:
        _check_data_dir(config.data_dir)
    engine = make_engine(url)
    store = Store(config, engine, make_sessionmaker(engine))
    if upgrade:
        from alembic import command

        with engine.begin() as conn:
            acfg = alembic_config(url)
            acfg.attributes["connection"] = conn
            command.upgrade(acfg, "head")
    elif not is_current(engine):
        raise StoreError("Cơ sở dữ liệu chưa được khởi tạo hoặc cũ: hãy chạy «broadcaster init».")
    return store


def is_current(engine: Engine) -> bool:
    """Tell whether the schema is at the newest migration (:data:`SCHEMA_HEAD`)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
    except SQLAlchemyError:  # no version table: never initialised
        return False


def station_state(session: Session, station_id: int) -> StationState:
    """Give back the station's state row, made if missing, even when another process makes it now.

    The daemon, sync's first apply and any edit all reach for this row on a fresh store. A plain
    get-then-add loses that race with a UNIQUE error (pysqlite reads outside a transaction, so the
    write comes after the other process's commit): the insert is ON CONFLICT DO NOTHING instead,
    and the row is read back inside the write.
    """
    state = session.get(StationState, station_id)
    if state is not None:
        return state
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(
        insert(StationState)
        .values(station_id=station_id, plan_revision=0)
        .on_conflict_do_nothing(index_elements=["station_id"])
    )
    return session.get_one(StationState, station_id)


def ensure_station(store: Store) -> Station:
    """Give back this station, creating it (and a default zone) on first start."""
    from .models import Zone

    cfg = store.config
    with store.sessions.begin() as s:
        station = s.scalar(select(Station).where(Station.code == cfg.station_code))
        if station is None:
            station = Station(code=cfg.station_code, name=cfg.station_name, timezone=cfg.timezone)
            s.add(station)
            s.flush()
            s.add(Zone(station_id=station.id, code="toan-xa", name="Toàn xã", sink=cfg.sink))
        elif station.timezone != cfg.timezone:
            # The configured zone is authoritative; the daemon re-plans when it sees the change.
            station.timezone = cfg.timezone
        station_state(s, station.id)  # made here, once, before any process reaches for it
        s.flush()
        s.expunge(station)
        return station
