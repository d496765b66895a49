"""Station traffic at the hub: one request budget per station shared by every web worker, and last
contact kept without a database write per request.

The budget is a GCRA (the token bucket's equivalent, one number per station): a burst of BURST
requests, then one every 1/RATE seconds. It lives in the ``hub_rate`` table and moves in one
``INSERT … ON CONFLICT DO UPDATE … WHERE`` statement, which PostgreSQL runs atomically on the row: so
the budget holds across all workers and all hub processes on the same database, whatever worker a
request lands on. Its clock is the workers' ``time.time()`` (one machine, or NTP-synchronised ones).

Last contact is noted in the worker's memory and written in one batch every FLUSH_S seconds (and
when the worker ends). A contact is stored with the time it happened, so "online" (called within
ONLINE_INTERVALS sync intervals) is never wrong by more than FLUSH_S, and only for a station that
has just come back.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, case, select, update

from ..db import utcnow
from ..models import HubRate, Station
from ._gate import Revision

log = logging.getLogger("broadcaster.hub")

#: Per station: a burst of BURST requests, refilled at RATE per second (a sync round needs a few).
BURST = 60
RATE = 1.0
#: Seconds between two batched writes of last contact.
FLUSH_S = 10.0


#: PostgreSQL: count the request and read the revision counters in one round trip.
_PG_CALL = """
WITH counted AS (
    INSERT INTO hub_rate (station_id, tat) VALUES (%(sid)s, %(now)s + %(step)s)
    ON CONFLICT (station_id) DO UPDATE SET tat = greatest(hub_rate.tat, %(now)s) + %(step)s
    WHERE greatest(hub_rate.tat, %(now)s) + %(step)s - %(now)s <= %(tolerance)s
    RETURNING tat
)
SELECT (SELECT count(*) FROM counted) AS granted, h.content, h.tokens FROM hub_revision h WHERE h.id = 1
"""


def take_request(
    conn: Connection, station_id: int, now: float | None = None
) -> tuple[float, Revision | None]:
    """Give back (0 when the station's request may go ahead, and is counted, else the seconds until
    it may; the hub's revision counters read in the same statement, None on SQLite).

    ``conn`` should be in autocommit mode: the count stands whatever the request does next.
    """
    now = time.time() if now is None else now
    step, tolerance = 1.0 / RATE, BURST / RATE
    rev = None
    if conn.dialect.name == "postgresql":
        params = {"sid": station_id, "now": now, "step": step, "tolerance": tolerance}
        row = conn.exec_driver_sql(_PG_CALL, params).first()
        granted, rev = bool(row.granted), Revision(row.content, row.tokens)
    else:
        from sqlalchemy.dialects.sqlite import insert

        later = case((HubRate.tat > now, HubRate.tat), else_=now) + step
        stmt = (
            insert(HubRate)
            .values(station_id=station_id, tat=now + step)
            .on_conflict_do_update(
                index_elements=[HubRate.station_id], set_={"tat": later}, where=later - now <= tolerance
            )
            .returning(HubRate.tat)
        )
        granted = conn.execute(stmt).first() is not None
    if granted:
        return 0.0, rev
    tat = conn.execute(select(HubRate.tat).where(HubRate.station_id == station_id)).scalar_one()
    return max(step, max(tat, now) + step - now - tolerance), rev


class ContactBook:
    """Last contact per station, noted in memory, written in batches by a background thread."""

    def __init__(self, engine: Engine, every: float = FLUSH_S) -> None:
        self.engine = engine
        self.every = every
        self._lock = threading.Lock()
        self._seen: dict[int, datetime] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def seen(self, station_id: int, at: datetime | None = None) -> None:
        """Note that the station called now; written within ``every`` seconds."""
        with self._lock:
            self._seen[station_id] = at or utcnow()
            if self._thread is None:
                # Started on first use: in the worker process, after gunicorn's fork.
                self._thread = threading.Thread(target=self._run, name="hub-contacts", daemon=True)
                self._thread.start()
                atexit.register(self.close)

    def flush(self) -> int:
        """Write the noted contacts in one batch; give back how many stations it covered."""
        with self._lock:
            batch, self._seen = self._seen, {}
        if not batch:
            return 0
        t = Station.__table__
        stmt = (
            update(t)
            .where(t.c.id == bindparam("sid"))
            .where(t.c.last_seen_at.is_(None) | (t.c.last_seen_at < bindparam("at")))
            .values(last_seen_at=bindparam("at"))
        )
        try:
            with self.engine.begin() as conn:  # ids in order: two workers' batches never deadlock
                conn.execute(stmt, [{"sid": sid, "at": at} for sid, at in sorted(batch.items())])
        except Exception:
            with self._lock:  # kept for the next batch (a newer contact wins)
                self._seen = batch | self._seen
            raise
        return len(batch)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - the database may be away a moment: keep noting
                log.exception("last contact not written; kept for the next batch")

    def close(self) -> None:
        """Stop the thread and write what is left (the worker is ending)."""
        self._stop.set()
        atexit.unregister(self.close)
        try:
            self.flush()
        except Exception:  # noqa: BLE001 - at exit, a lost contact is only a late "online"
            log.exception("last contact not written at exit")
