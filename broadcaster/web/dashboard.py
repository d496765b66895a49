"""The dashboard: on air now, the next broadcasts, what they will skip, where the sound goes, the last
24 hours, engine health, free disk.

The dashboard is the page every officer leaves open, so it is cheap to serve:

* its data (plain values from column queries, never ORM objects) is kept per station in the web's
  data cache (``_cache``: at most ``DATA_TTL`` seconds, dropped at once when this process commits
  a write to the database or, on SQLite, when the database's files show that another process did:
  another web worker, the daemon, the CLI). The panels made from it
  hold station data only and are rendered once per data (:func:`panels`); the page around them is
  rendered for each request, with the signed-in user's name and CSRF token;
* engine health may run a subprocess and probe the network (seconds): it is checked in a background
  thread and a page shows the last answer, or "đang kiểm tra" before the first one — never waits.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from ..config import Config
from ..content import on_air_rows, recent_asrun, upcoming_rows
from ..models import Station, StationState, Zone
from ._cache import watch_writes
from ._core import config, db, local, station, store
from .offers import DECIDERS, waiting_count

bp = Blueprint("dashboard", __name__)

#: Seconds between background engine checks.
HEALTH_EVERY = 60.0
_clock: Callable[[], float] = time.monotonic  # replaced by tests


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
