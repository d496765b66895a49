"""The dashboard: on air now, the next broadcasts, what they will skip, where the sound goes, the last
24 hours, engine health, free disk.

The dashboard is the page every officer leaves open, so it is cheap to serve:

* its data (plain values from column queries, never ORM objects) is kept per station for at most
  ``DATA_TTL`` seconds, and dropped at once when this process commits a write to the database
  (see :func:`watch_writes`) or, on SQLite, when the database's files show that another process
  did (another web worker, the daemon, the CLI; see :func:`file_stamp`). The panels made from it
  hold station data only and are rendered once per data (:func:`panels`); the page around them is
  rendered for each request, with the signed-in user's name and CSRF token;
* engine health may run a subprocess and probe the network (seconds): it is checked in a background
  thread and a page shows the last answer, or "đang kiểm tra" before the first one — never waits.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from ..config import Config
from ..content import on_air_rows, recent_asrun, upcoming_rows
from ..models import Station, StationState, Zone
from ._core import config, db, local, station, store

bp = Blueprint("dashboard", __name__)

#: Seconds the dashboard's data may be reused (a write from this process drops it sooner).
DATA_TTL = 2.0
#: Seconds between background engine checks.
HEALTH_EVERY = 60.0
_clock: Callable[[], float] = time.monotonic  # replaced by tests


# --------------------------------------------------------------------------- data cache


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


def _disk(cfg: Config) -> dict:
    try:
        usage = shutil.disk_usage(cfg.data_dir)
    except OSError:
        return {"free_gb": None, "pct_free": None, "low": True}
    free_gb = usage.free / 1024**3
    pct = usage.free * 100 / usage.total if usage.total else 0
    return {"free_gb": free_gb, "pct_free": pct, "low": free_gb < 2 or pct < 5}


def outputs(session, st: Station, cfg: Config) -> list[dict]:
    """Give back the enabled zones whose sound reaches no loudspeaker: written to a file, or dropped.

    ``auto`` is resolved as the daemon resolves it (no sound card: a WAV file per day under the data
    dir), and the file name is today's, so the officer can find and play it.
    """
    from ..playout import output_file, resolve_spec

    tz = ZoneInfo(st.timezone)
    out = []
    for name, sink in session.execute(
        select(Zone.name, Zone.sink).where(Zone.station_id == st.id, Zone.enabled.is_(True)).order_by(Zone.id)
    ):
        spec = resolve_spec(sink, default=cfg.sink, data_dir=cfg.data_dir, tz=tz)
        kind = spec.partition(":")[0]
        auto = (sink or "auto").strip() in ("", "auto", "default") and cfg.sink.strip() in ("", "auto")
        if kind == "file":
            out.append({"zone": name, "kind": "file", "path": str(output_file(spec, tz)), "auto": auto})
        elif kind == "null":
            out.append({"zone": name, "kind": "null", "path": None, "auto": False})
    return out


def _compute() -> dict:
    from ..playout import daemon_alive, forecast, warnings

    s, st = db(), station()
    state = s.get(StationState, st.id)
    return {
        "forecast": warnings(forecast(s, st)),
        "outputs": outputs(s, st, config()),
        "daemon_alive": daemon_alive(s, st.id),
        "heartbeat_at": state.heartbeat_at if state else None,
        "on_air": on_air_rows(s, st.id),
        "upcoming": upcoming_rows(s, st.id, 8),
        "recent": recent_asrun(s, st.id, 24),
        "disk": _disk(config()),
    }


# --------------------------------------------------------------------------- engine health


class HealthWatch:
    """Engine health, checked in a background thread; :meth:`get` never waits for a check."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[tuple, tuple[float, dict]] = {}
        self._running: set[tuple] = set()

    @staticmethod
    def _key(cfg: Config) -> tuple:
        return (cfg.gtts_url, cfg.tts_order)

    def get(self, cfg: Config) -> dict | None:
        """Give back the last answer (None before the first), starting a check when it is due."""
        key = self._key(cfg)
        with self._lock:
            known = self._known.get(key)
            due = known is None or _clock() - known[0] >= HEALTH_EVERY
            if due and key not in self._running:
                self._running.add(key)
                threading.Thread(
                    target=self._check, args=(cfg, key), name="engine-health", daemon=True
                ).start()
        return known[1] if known else None

    def _check(self, cfg: Config, key: tuple) -> None:
        try:
            from ..audio import engine_health

            result = engine_health(cfg)
        except Exception as exc:  # noqa: BLE001 - a broken engine check must not take the dashboard down
            result = {"?": {"available": False, "detail": str(exc), "label": "Bộ đọc", "online": False}}
        with self._lock:
            self._known[key] = (_clock(), result)
            self._running.discard(key)


health_watch = HealthWatch()


def warm_up(cfg: Config) -> None:
    """Start the first engine check now (a server calls it as it starts, so the first page has it)."""
    health_watch.get(cfg)


# --------------------------------------------------------------------------- views


def status_data() -> dict:
    """Give back what the dashboard shows, as plain values (also served as JSON).

    ``health`` is None while the first engine check runs.
    """
    cfg = config()
    data = watch_writes(store().sessions).get(cfg.station_code, _compute)
    return {**data, "health": health_watch.get(cfg), "dead_air": _dead_air(cfg)}


def _dead_air(cfg: Config) -> list[dict]:
    # The daemon's watchdog keeps it in a small file (no database write): read on every request.
    from datetime import datetime

    from ..playout import read_dead_air

    out = []
    for a in read_dead_air(cfg.data_dir):
        try:
            since = local(datetime.fromisoformat(str(a.get("since"))), "%H:%M:%S")
        except ValueError:
            since = ""
        out.append({**a, "since_local": since})
    return out


#: The last panels rendered per station: (data, health, dead air, HTML). The panels show station
#: data only, so they are rendered once per data, health and dead-air answer, not once per request.
_panels: dict[str, tuple[dict, Any, list, Markup]] = {}


def panels() -> Markup:
    """Give back the dashboard's panels as HTML, rendered again only when their data changed."""
    cfg = config()
    data = watch_writes(store().sessions).get(cfg.station_code, _compute)
    health = health_watch.get(cfg)
    dead_air = _dead_air(cfg)
    last = _panels.get(cfg.station_code)
    if last is not None and last[0] is data and last[1] is health and last[2] == dead_air:
        return last[3]
    html = Markup(render_template("dashboard_panels.html", **data, health=health, dead_air=dead_air))
    _panels[cfg.station_code] = (data, health, dead_air, html)
    return html


@bp.route("/")
@login_required
def index():
    from .offers import DECIDERS, waiting_count

    offers = waiting_count() if current_user.role in DECIDERS else None
    return render_template("dashboard.html", panels=panels(), offers_waiting=offers)


@bp.route("/trang-thai.json")
@login_required
def status_json():
    d = status_data()
    return jsonify(
        {
            "bo_phat_hoat_dong": d["daemon_alive"],
            "dang_phat": [{"tieu_de": o["title"], "tu_luc": local(o["started_at"])} for o in d["on_air"]],
            "sap_phat": [{"tieu_de": o["title"], "luc": local(o["scheduled_at"])} for o in d["upcoming"]],
            "canh_bao": [a.as_dict() for a in d["forecast"]],
            "dau_ra": [{"cum_loa": o["zone"], "kieu": o["kind"], "tep": o["path"]} for o in d["outputs"]],
            "mat_tin_hieu": d["dead_air"],
        }
    )
