"""The dead-air watchdog: an airing is due on a zone, and no sound has reached its output for too long.

The daemon's :class:`DeadAirWatch` looks at every zone's player once a second. An alarm is said in
the journal once when it starts and once when it ends, and kept in ``<data_dir>/run/dead_air.json``
(standard library only), which the dashboard shows and the sync process sends to the hub with the
station's status. The file names the daemon that wrote it; a dead writer's alarms are not shown as
on, they count among the past ones. Alarms that ended are kept there 24 hours
(``_snapshot.of_the_day``, across daemon restarts): ``status`` and the hub's stations page show them.
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
from typing import TYPE_CHECKING, Any, Protocol

from ..rules import pid_alive
from ._sinks import public_spec
from ._snapshot import of_the_day

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy.orm import Session, sessionmaker

    from ..config import Config

log = logging.getLogger("broadcaster.playout")

CHECK_EVERY_S = 1.0


def dead_air_path(data_dir: Path) -> Path:
    return Path(data_dir) / "run" / "dead_air.json"


def _read(data_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """Give back the file's (alarms on, alarms ended, whether its writer lives); empty when unreadable."""
    try:
        with open(dead_air_path(data_dir), encoding="utf-8") as f:
            doc = json.load(f)
        alarms, ended = doc.get("alarms"), doc.get("recent", [])
        pid = int(doc["pid"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return [], [], False
    alive = pid_alive(pid)  # the station service's daemon counts, alive under another account
    return (
        [a for a in alarms if isinstance(a, dict)] if isinstance(alarms, list) else [],
        [a for a in ended if isinstance(a, dict)] if isinstance(ended, list) else [],
        alive,
    )


def read_dead_air(data_dir: Path) -> list[dict[str, Any]]:
    """Give back the dead-air alarms now on (zone, output, title, since), [] when none or no daemon."""
    alarms, _ended, alive = _read(data_dir)
    return alarms if alive else []


def recent_dead_air(data_dir: Path, now: datetime | None = None) -> list[dict[str, Any]]:
    """Give back the alarms that ended in the last 24 hours, newest first: each with ``until``
    (None when its daemon stopped during it, so when the sound came back is not known)."""
    alarms, ended, alive = _read(data_dir)
    if not alive:
        ended = ended + [{**a, "until": None} for a in alarms]
    return of_the_day(ended, now or datetime.now(UTC))


def _write(data_dir: Path, alarms: list[dict[str, Any]], ended: list[dict[str, Any]] = ()) -> None:
    path = dead_air_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".dead-air-", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"pid": os.getpid(), "alarms": alarms, "recent": list(ended)}, f, ensure_ascii=False)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


class Watched(Protocol):
    """What the watch reads of a zone's player (``Player``: it notes these as it airs)."""

    airing_title: str
    airing_sink: str

    def silent_for(self, now: float) -> float | None: ...


class DeadAirWatch(threading.Thread):
    """Checks each zone's player every second against ``BROADCASTER_DEAD_AIR``."""

    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        players: Callable[[], Iterable[tuple[int | None, Watched]]],
        stop: threading.Event,
        on_change: Callable[[], object],
    ) -> None:
        """``players`` gives back each zone's player at each check (a zone added later is
        watched too); ``on_change`` is told when an alarm starts or ends; ``stop`` ends it."""
        super().__init__(name="dead-air", daemon=True)
        self.config, self.sessions, self.players = config, sessions, players
        self.stop, self.on_change = stop, on_change
        self.on: dict[object, dict[str, Any]] = {}  # zone id -> its alarm
        # What an earlier daemon saw is kept for its day: a restart does not hide a night's dead air.
        self.ended = recent_dead_air(config.data_dir)
        _write(config.data_dir, [], self.ended)

    def run(self) -> None:
        while not self.stop.wait(CHECK_EVERY_S):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the watchdog must never take playout down
                log.warning("Lỗi khi kiểm tra mất tín hiệu.", exc_info=True)

    def close(self) -> None:
        """Write the file as the daemon stops (the thread ended): the alarms on end with it,
        when the sound came back unknown, as for a daemon that died. What is read in this
        process after (``status``'s kept answer, built as the daemon stops) then shows them
        among the past ones, not as on."""
        stopped = [{**a, "until": None} for a in self.on.values()]
        self.on = {}
        self.ended = of_the_day([*self.ended, *stopped], datetime.now(UTC))
        _write(self.config.data_dir, [], self.ended)

    def check(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        limit = self.config.dead_air
        changed = False
        for zone_id, player in self.players():
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
                ended_at = datetime.now(UTC)
                self.ended = of_the_day([{**alarm, "until": ended_at.isoformat()}, *self.ended], ended_at)
                changed = True
        if changed:
            _write(self.config.data_dir, list(self.on.values()), self.ended)
            self.on_change()

    def _zone_name(self, zone_id) -> str:
        from ..models import Zone

        if zone_id is None:
            return "đầu ra riêng"
        with self.sessions() as s:
            z = s.get(Zone, zone_id)
            return f"cụm loa «{z.name}»" if z is not None else f"cụm loa số {zone_id}"
