"""Keeps ``broadcaster status``'s down-daemon answer current from the processes that write.

``status`` with the daemon down prints the cache ``run/status-cache.json`` when its key still
matches the store's data version (``_snapshot``); building it takes the database layer, about
half a second in a fresh process. Every process that writes to a station's SQLite store already
has that layer loaded, so it rebuilds the cache itself after its writes, off the request path:

- one keeper a store (:func:`keep_status`, called where the CLI and the web app open theirs), told
  by the engine after every commit that wrote (``db.after_write``), so no writer can forget;
- a daemon thread started on the first write waits for :data:`QUIET_S` of quiet (at most
  :data:`MOST_S` after that write), rebuilds once for the whole burst, and ends;
- at the exit of the process whatever is pending is rebuilt at once, so a one-shot CLI write
  leaves a fresh cache behind;
- nothing is rebuilt while a live daemon's snapshot answers ``status`` (the daemon holds its own
  keeper while it runs and rebuilds once when it stops), nor in a data dir where neither the
  daemon nor ``status`` ever ran (a fresh install, a test's store: no one there asks).

The key is the data version read in the same read transaction as the view's data
(``_status.cached_view``): a write landing meanwhile leaves a key that no longer matches, never
a newer key over older data. Two processes rebuilding at once each replace the file whole.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING

from ..db import after_write
from ._snapshot import SNAPSHOT_COUNT, cache_key, cache_path, read_snapshot, store_file, write_cache

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..config import Config
    from ..store import Store

log = logging.getLogger(__name__)

#: Seconds without a write before the cache is rebuilt: a burst (a form saving several rows, an
#: import) costs one rebuild, after its last write.
QUIET_S = 0.4
#: A steady stream of writes still gets the cache rebuilt this long after the first of them.
MOST_S = 5.0


class StatusKeeper:
    """Rebuilds one station store's status cache after its writes (see the module)."""

    def __init__(self, config: Config) -> None:
        # The configuration only: the keeper opens its own connections (no pool, so nothing is
        # left open for a fork and no request waits on the writers' pool for a connection).
        self.config = config
        self._cond = threading.Condition()
        self._first: float | None = None  # monotonic time of the first write not yet rebuilt
        self._last = 0.0
        self._thread: threading.Thread | None = None
        self._busy = False  # the thread took the pending writes and is rebuilding
        self._held = False
        self._building = threading.Lock()  # one rebuild at a time in this process
        self._store: Store | None = None

    def wrote(self) -> None:
        """Note a committed write (called by the engine, in the writing thread: quick)."""
        now = time.monotonic()
        with self._cond:
            if self._first is None:
                self._first = now
            self._last = now
            if self._thread is None and not self._held:
                thread = threading.Thread(target=self._run, name="status-keeper", daemon=True)
                try:
                    thread.start()
                except RuntimeError:  # the interpreter is stopping: the exit's flush rebuilds
                    return
                self._thread = thread

    def hold(self) -> None:
        """Note writes without rebuilding until :meth:`release` (a running daemon's snapshot
        answers ``status``; rebuilding after each of its as-run rows would be waste)."""
        with self._cond:
            self._held = True
            self._cond.notify_all()

    def release(self) -> None:
        """End :meth:`hold` and rebuild now what was written meanwhile."""
        with self._cond:
            self._held = False
        self.flush()

    def flush(self) -> None:
        """Wait for a rebuild under way, then rebuild now if a write is still pending (the
        process is about to exit, or the daemon stops)."""
        with self._cond:
            while self._busy:
                self._cond.wait()
            pending = self._first is not None
            self._first = None
        if pending:
            self._rebuild_logged()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._first is None or self._held:
                    self._thread = None
                    return
                wait = min(self._last + QUIET_S, self._first + MOST_S) - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                self._first = None
                self._busy = True
            try:
                self._rebuild_logged()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _rebuild_logged(self) -> None:
        try:
            self.rebuild()
        except Exception:  # noqa: BLE001 - a convenience: ``status`` reads the database instead
            log.warning(
                "Không cập nhật được câu trả lời sẵn của lệnh status (lệnh sẽ đọc cơ sở dữ liệu).",
                exc_info=True,
            )

    def rebuild(self) -> bool:
        """Give back whether a fresh cache was written: not in a data dir where no one asks
        (neither ``status`` nor the daemon ever ran: no ``run/`` folder), not while a live
        daemon's snapshot answers ``status``, nor when the store changed again before the file
        was written (that write's own keeper has the newer answer)."""
        from ._status import cached_view

        cfg = self.config
        with self._building:
            # A station's daemon makes run/ on its first start, ``status`` on its first answer; a
            # data dir without it (a fresh install before either, a test's store) is not kept.
            if not cache_path(cfg.data_dir).parent.is_dir():
                return False
            if read_snapshot(cfg.data_dir, 0)[0] is not None:
                return False
            key, view = cached_view(self._own_store(), SNAPSHOT_COUNT)
            if key is None or view["alive"]:
                return False
            if cache_key(cfg.db_url, cfg.station_code, cfg.timezone) != key:
                return False
            write_cache(cfg.data_dir, key, view, SNAPSHOT_COUNT)
            return True

    def _own_store(self) -> Store:
        if self._store is None:
            from sqlalchemy.pool import NullPool

            from ..db import make_engine, make_sessionmaker
            from ..store import Store

            engine = make_engine(self.config.db_url, poolclass=NullPool)
            self._store = Store(self.config, engine, make_sessionmaker(engine))
        return self._store


#: The keeper of each writing engine; an engine collected takes its keeper along.
_KEEPERS: weakref.WeakKeyDictionary[Engine, StatusKeeper] = weakref.WeakKeyDictionary()
_KEEPERS_LOCK = threading.Lock()


def keep_status(store: Store) -> StatusKeeper | None:
    """Give back the keeper of ``store``'s status cache, made on first call; None for a store
    with no such cache (the hub, PostgreSQL, a SQLite store not in a plain file)."""
    cfg = store.config
    if cfg.mode != "station" or store_file(cfg.db_url) is None:
        return None
    with _KEEPERS_LOCK:
        keeper = _KEEPERS.get(store.engine)
        if keeper is None:
            keeper = _KEEPERS[store.engine] = StatusKeeper(cfg)
            after_write(store.engine, keeper.wrote)
        return keeper


def status_keeper(store: Store) -> StatusKeeper | None:
    """Give back the keeper :func:`keep_status` gave ``store``, if any."""
    return _KEEPERS.get(store.engine)


# A forked child (a gunicorn worker) opens its own store: the parent's keepers, their engines and
# maybe their locks held at the fork, are not its to flush.
os.register_at_fork(after_in_child=_KEEPERS.clear)


@atexit.register
def _flush_all() -> None:
    # Before the interpreter stops the daemon threads: a one-shot command's write is kept.
    for keeper in list(_KEEPERS.values()):
        keeper.flush()
