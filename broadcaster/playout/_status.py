"""What ``broadcaster status`` shows, built from the database in one place.

The daemon writes this view to its snapshot (``_snapshot``) and the CLI builds it itself when no
usable snapshot or cache exists; ``_snapshot.render`` prints it, so every path prints the same thing.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ..models import PRIORITY_LABELS, Origin, Station, StationState, Zone
from ._control import daemon_alive, on_air, upcoming
from ._deadair import read_dead_air, recent_dead_air
from ._forecast import forecast, warnings
from ._snapshot import CACHE_S, HOURS, make_key, store_file

if TYPE_CHECKING:
    from ..store import Store


def status_view(
    session: Session, station: Station, count: int, *, hours: float = HOURS, data_dir: Path | None = None
) -> dict[str, Any]:
    """Give back the status view (JSON payload and pre-rendered lines) with ``count`` upcoming
    airings and the warnings of the next ``hours``; with ``data_dir``, the dead-air alarms on now
    and those of the last 24 hours (the watchdog's file there).

    Plain data only (JSON-ready), so ``_snapshot.render`` prints it without the models; each
    coming airing and warning carries its time, so an older view can drop what has passed.
    """
    tz = ZoneInfo(station.timezone)
    zones = {z.id: z.name for z in session.query(Zone).filter(Zone.station_id == station.id)}
    state = session.get(StationState, station.id)
    alive = daemon_alive(session, station.id)
    now_playing = on_air(session, station.id)
    nxt = upcoming(session, station.id, count)
    airings = forecast(session, station, hours=hours)
    payload = {
        "bo_phat_hoat_dong": alive,
        "dang_phat": [
            {
                "tieu_de": o.title,
                "cum_loa": zones.get(o.zone_id),
                "tu_luc": o.started_at.astimezone(tz).isoformat() if o.started_at else None,
            }
            for o in now_playing
        ],
        "sap_phat": [
            {
                "tieu_de": o.title,
                "cum_loa": zones.get(o.zone_id),
                "luc": o.scheduled_at.astimezone(tz).isoformat(),
                "uu_tien": o.priority.value,
                # The stable contract the district's checks read (issue 12).
                "at": o.scheduled_at.astimezone(UTC).isoformat(),
                "title": o.title,
                "origin": (o.schedule.origin if o.schedule else Origin.LOCAL).value,
            }
            for o in nxt
        ],
        "canh_bao": [a.as_dict() for a in warnings(airings)],
        "mat_tin_hieu": read_dead_air(data_dir) if data_dir else [],
        "mat_tin_hieu_24_gio": recent_dead_air(data_dir) if data_dir else [],
    }
    now_lines = []
    for occ in now_playing:
        since = occ.started_at.astimezone(tz) if occ.started_at else None
        now_lines.append(
            f"Đang phát: «{occ.title}» trên {zones.get(occ.zone_id, 'đầu ra riêng')}"
            + (f" từ {since:%H:%M:%S}" if since else "")
            + "."
        )
    next_lines = []
    for occ in nxt:
        local = occ.scheduled_at.astimezone(tz)
        extra = f" [{PRIORITY_LABELS[occ.priority]}]" if occ.priority.value != "normal" else ""
        replay = f" (lần phát lại {occ.replay_index})" if occ.replay_index else ""
        day = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")[local.weekday()]
        zone_name = zones.get(occ.zone_id, "-")
        next_lines.append(f"  {day} {local:%d/%m/%Y %H:%M:%S}  {zone_name:<14} {occ.title}{replay}{extra}")
    return {
        "alive": alive,
        "pid": state.daemon_pid if alive else None,
        "heartbeat": f"{state.heartbeat_at.astimezone(tz):%H:%M:%S}" if alive else None,
        "timezone": station.timezone,
        "payload": payload,
        "lines": {
            "now": now_lines or ["Đang phát: không có."],
            "next": next_lines,  # one per "sap_phat" entry, in the same order
        },
    }


def cached_view(store: Store, count: int) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Give back the key and the view the down-daemon cache keeps (``count`` coming airings,
    warnings an hour past the horizon: ``_snapshot.CACHE_S``), read in one read transaction;
    the key is None for a store that has none (not a SQLite file, data version never set).

    pysqlite opens no transaction for reads, so each statement would see the newest commit: a
    write landing between the data version and the view's queries (or among them) would put
    its version over older data. BEGIN makes every read below see one state of the store.
    """
    path = store_file(store.config.db_url)
    version = schema = None
    with store.sessions() as s:
        if path is not None:
            conn = s.connection()
            conn.exec_driver_sql("BEGIN")
            version = conn.exec_driver_sql("PRAGMA user_version").scalar()
            schema = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        view = status_view(
            s, store.station(s), count, hours=HOURS + CACHE_S / 3600, data_dir=store.config.data_dir
        )
    if path is None or not version:
        return None, view
    return make_key(path, version, schema, store.config.station_code, store.config.timezone), view
