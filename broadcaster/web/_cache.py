"""The web's short-lived data cache: what many pages read, kept briefly, dropped when anyone writes.

The dashboard's data, the menu's count of offers waiting and the signed-in accounts are read on
almost every request; each is kept here per key for at most :data:`DATA_TTL` seconds, and dropped
at once when this process commits a write (:func:`watch_writes`) or, on SQLite, when the
database's files show that another process did (:func:`file_stamp`).
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

#: Seconds the dashboard's data may be reused (a write from this process drops it sooner).
DATA_TTL = 2.0
_clock: Callable[[], float] = time.monotonic  # replaced by tests


def file_stamp(paths: tuple[str, ...]) -> tuple:
    """Give back what the files' metadata says of their contents (change time, size, inode; None for
    a missing file): a SQLite commit in WAL mode writes to ``-wal`` and a checkpoint to the main
    file, so any process's write changes the stamp of ``(db, db-wal)``, and a read does not."""
    stamp = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            stamp.append(None)
        else:
            stamp.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(stamp)


class DataCache:
    """Per-station dashboard data, kept ``DATA_TTL`` seconds, dropped when this process writes or
    when ``stamp()`` (another process's writes, seen without a query) changes."""

    def __init__(self, stamp: Callable[[], Any] = lambda: None) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._stamp = stamp
        self._entries: dict[Any, tuple[int, Any, float, dict]] = {}

    def written(self) -> None:
        """Forget everything: this process has just committed a write."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def get(self, key: Any, compute: Callable[[], dict]) -> dict:
        now = _clock()
        # Taken before computing: another process's write during the computation changes it again.
        stamp = self._stamp()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == self._generation and hit[1] == stamp and now < hit[2]:
                return hit[3]
            generation = self._generation
        data = compute()
        with self._lock:
            # Not kept when a write committed while computing: it may predate the write.
            if generation == self._generation:
                self._entries[key] = (generation, stamp, now + DATA_TTL, data)
        return data


_caches: weakref.WeakKeyDictionary[sessionmaker, DataCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def watch_writes(sessions: sessionmaker[Session]) -> DataCache:
    """Give back the short-lived cache (dashboard data, signed-in accounts) of the sessions this
    process writes through, made on first use together with ORM listeners that drop it when one of
    those sessions commits a change: rows flushed (added, changed, deleted) or an ORM
    ``insert``/``update``/``delete`` statement run (pages, API: anything in this process); on a
    SQLite store also when its files change (any other process's write: with two web workers, the
    officer's next page may come from the worker that did not save)."""
    with _caches_lock:
        cache = _caches.get(sessions)
        if cache is not None:
            return cache
        from ..playout import store_file

        path = store_file(str(sessions.kw["bind"].url))
        if path is not None:
            files = (path, f"{path}-wal")
            cache = _caches[sessions] = DataCache(lambda: file_stamp(files))
        else:
            cache = _caches[sessions] = DataCache()

        def _flushed(session: Session, _context) -> None:
            session.info["dashboard_dirty"] = True

        def _statement(state: ORMExecuteState) -> None:
            if state.is_insert or state.is_update or state.is_delete:
                state.session.info["dashboard_dirty"] = True

        def _committed(session: Session) -> None:
            if session.info.pop("dashboard_dirty", False):
                cache.written()

        def _rolled_back(session: Session) -> None:
            session.info.pop("dashboard_dirty", None)

        event.listen(sessions, "after_flush", _flushed)
        event.listen(sessions, "do_orm_execute", _statement)
        event.listen(sessions, "after_commit", _committed)
        event.listen(sessions, "after_rollback", _rolled_back)
        return cache
