"""The dead-air watchdog: an airing is due on a zone, and no sound has reached its output for too long.

The daemon's :class:`DeadAirWatch` looks at every zone's player once a second. An alarm is said in
the journal once when it starts and once when it ends, and kept in ``<data_dir>/run/dead_air.json``
(standard library only), which the dashboard shows and the sync process sends to the hub with the
station's status. The file names the daemon that wrote it; a dead writer's alarms are not shown.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._sinks import public_spec

if TYPE_CHECKING:
    from ._daemon import Daemon

log = logging.getLogger("broadcaster.playout")

CHECK_EVERY_S = 1.0


def dead_air_path(data_dir: Path) -> Path:
    return Path(data_dir) / "run" / "dead_air.json"


def read_dead_air(data_dir: Path) -> list[dict[str, Any]]:
    """Give back the dead-air alarms now on (zone, output, title, since), [] when none or no daemon."""
    try:
        with open(dead_air_path(data_dir), encoding="utf-8") as f:
            doc = json.load(f)
        pid = int(doc["pid"])
        os.kill(pid, 0)
        alarms = doc["alarms"]
    except PermissionError:
        alarms = doc["alarms"]  # the station service's daemon, alive under another account
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return alarms if isinstance(alarms, list) else []


def _write(data_dir: Path, alarms: list[dict[str, Any]]) -> None:
    path = dead_air_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".dead-air-", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"pid": os.getpid(), "alarms": alarms}, f, ensure_ascii=False)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


class DeadAirWatch(threading.Thread):
    """Checks each zone's player every second against ``BROADCASTER_DEAD_AIR``."""

    def __init__(self, daemon: Daemon) -> None:
        super().__init__(name="dead-air", daemon=True)
        self.daemon_ = daemon
        self.on: dict[object, dict[str, Any]] = {}  # zone id -> its alarm
        _write(daemon.config.data_dir, [])

    def run(self) -> None:
        stop = self.daemon_.stop_event
        while not stop.wait(CHECK_EVERY_S):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the watchdog must never take playout down
                log.warning("Lỗi khi kiểm tra mất tín hiệu.", exc_info=True)

    def check(self, now: float | None = None) -> None:
        d = self.daemon_
        now = time.monotonic() if now is None else now
        limit = d.config.dead_air
        changed = False
        for zone_id, worker in list(d.workers.items()):
            player = worker.player
            silent = player.silent_for(now)
            if silent is not None and silent > limit:
                if zone_id not in self.on:
                    since = datetime.now(UTC) - timedelta(seconds=silent)
                    zone = self._zone_name(zone_id)
                    self.on[zone_id] = {
                        "zone": zone,
                        "sink": public_spec(player.airing_sink or ""),
                        "title": player.airing_title,
                        "since": since.isoformat(),
                    }
                    log.error(
                        "MẤT TÍN HIỆU trên %s: %.0f giây không có âm thanh tới đầu ra %s "
                        "dù đang trong giờ phát «%s».",
                        zone,
                        silent,
                        public_spec(player.airing_sink or ""),
                        player.airing_title,
                    )
                    changed = True
            elif zone_id in self.on:
                alarm = self.on.pop(zone_id)
                log.warning("Hết mất tín hiệu trên %s («%s»).", alarm["zone"], alarm["title"])
                changed = True
        if changed:
            _write(d.config.data_dir, list(self.on.values()))
            d.status_changed()

    def _zone_name(self, zone_id) -> str:
        from ..models import Zone

        if zone_id is None:
            return "đầu ra riêng"
        with self.daemon_.store.sessions() as s:
            z = s.get(Zone, zone_id)
            return f"cụm loa «{z.name}»" if z is not None else f"cụm loa số {zone_id}"
