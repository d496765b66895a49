"""One exchange with the hub (manifest, audio, apply, as-run up), and the loop that repeats it.

Its own process (``broadcaster sync``, unit broadcaster-sync): playout never waits on it, and a
hub that is down only means the station airs what it already holds.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

from ..config import Config, public_spec
from ..db import utcnow
from ..manifest import MAX_BATCH, Manifest, ManifestError, loads
from ..models import StationState
from ..playout import read_dead_air, recent_dead_air, upcoming
from ..store import Store
from ._apply import Applied, apply_manifest
from ._client import HubClient, HubUnreachable, SyncError
from ._outbox import mark_decisions_synced, mark_synced, pending_decisions, pending_rows, unsynced_count

log = logging.getLogger("broadcaster.sync")


@dataclass
class Round:
    """What one exchange did; ``problems`` are Vietnamese lines (empty: all went well)."""

    new_manifest: bool = False
    airings: int = 0
    downloaded: int = 0
    applied: Applied = field(default_factory=Applied)
    sent: int = 0
    left: int = 0
    decisions: int = 0  # offer decisions the hub acknowledged
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Give back the one-line Vietnamese summary the command prints."""
        head = "Đồng bộ với huyện xong" if not self.problems else "Đồng bộ với huyện chưa trọn"
        parts = [
            ("bản kê mới" if self.new_manifest else "bản kê không đổi") + f" ({self.airings} buổi phát)",
            f"tải {self.downloaded} tệp âm thanh",
            f"thêm {self.applied.added}, sửa {self.applied.changed}, rút {self.applied.withdrawn} buổi phát",
            f"gửi {self.sent} dòng nhật ký" + (f", còn {self.left} dòng chờ gửi" if self.left else ""),
        ]
        if self.decisions:
            parts.append(f"báo {self.decisions} quyết định về tin từ huyện")
        if self.applied.waiting:
            parts.append(f"{self.applied.waiting} buổi phát chờ âm thanh")
        line = f"{head}: " + "; ".join(parts) + "."
        if self.problems:
            line += " Lỗi: " + " ".join(self.problems)
        return line


class _State:
    """The last good manifest and its ETag, kept under the data dir (written atomically)."""

    def __init__(self, config: Config) -> None:
        self.dir = config.data_dir / "hub"
        self.manifest_path = self.dir / "manifest.json"
        self.etag_path = self.dir / "manifest.etag"

    def load(self) -> tuple[Manifest | None, str | None]:
        try:
            m = loads(self.manifest_path.read_bytes())
        except (OSError, ManifestError):
            return None, None
        try:
            etag = self.etag_path.read_text("utf-8").strip() or None
        except OSError:
            etag = None
        return m, etag

    def save(self, m: Manifest, etag: str | None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for path, text in ((self.manifest_path, m.dumps()), (self.etag_path, etag or "")):
            tmp = path.with_name(path.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)


def station_status(store: Store, station_id: int, last_error: str | None) -> dict[str, Any]:
    """Give back the status the station sends up with its as-run: clock, software, disk, on air,
    next airing, heartbeat, rows waiting, last error (the hub's stations page shows them)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        software = version("broadcaster")
    except PackageNotFoundError:
        software = None
    with store.sessions() as s:
        state = s.get(StationState, station_id)
        left = unsynced_count(s, station_id)
        nxt = upcoming(s, station_id, 1)
        next_airing = {"title": nxt[0].title, "at": nxt[0].scheduled_at.isoformat()} if nxt else None
    try:
        free = shutil.disk_usage(store.config.data_dir).free
    except OSError:
        free = None
    return {
        "clock": utcnow().isoformat(),
        "software": software,
        "disk_free_bytes": free,
        "on_air": state.on_air_title if state else None,
        "next_airing": next_airing,
        "heartbeat": state.heartbeat_at.isoformat() if state and state.heartbeat_at else None,
        "asrun_waiting": left,
        "last_error": last_error,
        # Zones where an airing is due and no sound reaches the output (the dead-air watchdog),
        # and the alarms that ended in the last 24 hours (the hub's stations page shows both).
        "dead_air": read_dead_air(store.config.data_dir),
        "dead_air_recent": recent_dead_air(store.config.data_dir),
    }


#: With no as-run rows to send and nothing new to tell, a station reports its status this often
#: (seconds): the hub's clock offset and disk free are at most this old. Last contact needs no
#: report: every manifest poll counts as contact.
STATUS_EVERY = 300.0
#: The status fields whose change is worth a report of its own.
_TOLD = ("on_air", "last_error", "asrun_waiting", "software", "dead_air", "dead_air_recent")


def _told(status: dict[str, Any]) -> tuple:
    return tuple(json.dumps(status.get(k), sort_keys=True) for k in _TOLD)  # lists compare as text


@dataclass
class ReportMemo:
    """What the loop last reported, so that a quiet round costs the hub one poll, not two calls."""

    sent_at: float | None = None
    told: tuple = ()

    def due(self, status: dict[str, Any], now: float | None = None) -> bool:
        """Tell whether a report without as-run rows is worth sending now."""
        now = time.monotonic() if now is None else now
        told = _told(status)
        return self.sent_at is None or told != self.told or now - self.sent_at >= STATUS_EVERY

    def sent(self, status: dict[str, Any], now: float | None = None) -> None:
        self.sent_at = time.monotonic() if now is None else now
        self.told = _told(status)


def sync_once(
    config: Config, store: Store, client: HubClient | None = None, memo: ReportMemo | None = None
) -> Round:
    """Give back what one full exchange did. Raises HubUnreachable when the hub cannot be reached
    at all (nothing local changes then); other failures are listed in ``problems``.

    Without ``memo`` (``sync --once``) the status is always reported; with it, a round with no
    as-run rows reports only when :meth:`ReportMemo.due`."""
    client = client or HubClient(config.hub_url, config.hub_token, config.station_code)
    station_id = store.station_id()
    state = _State(config)
    rnd = Round()
    held, etag = state.load()
    manifest = held
    try:
        fresh, tag = client.manifest(etag if held is not None else None)
        if fresh is not None:
            manifest, rnd.new_manifest = fresh, True
            state.save(fresh, tag)
    except HubUnreachable:
        raise
    except ManifestError as exc:
        rnd.problems.append(f"{exc} Giữ bản kê trước đó.")
    except SyncError as exc:
        rnd.problems.append(str(exc))

    present: dict[str, str] = {}
    if manifest is not None:
        rnd.airings = len(manifest.airings)
        folder = config.media_dir / "hub"
        for ref in manifest.audio:
            already = (folder / ref.filename).is_file()
            try:
                path = client.download(ref, folder)
            except HubUnreachable as exc:
                rnd.problems.append(str(exc))
                break
            except SyncError as exc:
                rnd.problems.append(str(exc))
                continue
            rnd.downloaded += not already
            present[ref.sha256] = path.relative_to(config.media_dir).as_posix()
        with store.sessions.begin() as s:  # the whole manifest in one transaction
            rnd.applied = apply_manifest(s, store.station(s), manifest, present)

    status = station_status(store, station_id, " ".join(rnd.problems) or None)
    with store.sessions() as s:
        decisions = pending_decisions(s, station_id)  # few: all go with the first batch
    sent_decisions = {d["uid"] for d in decisions}
    while True:
        with store.sessions() as s:
            rows = pending_rows(s, station_id, MAX_BATCH)
        if not rows and not decisions and memo is not None and not memo.due(status):
            break
        acked, refused = client.report(rows, status, decisions)
        if memo is not None:
            memo.sent(status)
        with store.sessions.begin() as s:
            rnd.sent += mark_synced(s, acked)
            rnd.decisions += mark_decisions_synced(s, acked)
        decisions = []
        for r in refused:
            what = "quyết định" if r.get("uid") in sent_decisions else "dòng nhật ký"
            rnd.problems.append(f"Huyện không nhận {what} {r.get('uid') or '?'}: {r.get('loi')}.")
        if len(rows) < MAX_BATCH or not acked:
            break
    with store.sessions() as s:
        rnd.left = unsynced_count(s, station_id)
    return rnd


#: After a nudge, a station waits a random 0 to this many seconds before its round.
NUDGE_SPREAD_S = 5.0


def _station_link(config: Config, store: Store, station_id: int, state: dict[str, Any], wake):
    """Give back the started live link (``BROADCASTER_MQTT_URL`` set), or None.

    Its heartbeat reports the same status the HTTP round sends; a nudge from the hub wakes the
    loop at once; an emergency goes to the :class:`EmergencyDesk`. The link reconnects by itself:
    a broker that is down only costs presence, nudges and emergencies, never a sync round (those
    go over HTTP whatever the link does).
    """
    if not config.mqtt_url:
        return None
    from .. import topics
    from ..live import StationLink

    link = StationLink(
        config.mqtt_url,
        config.station_code,
        config.hub_token,
        status=lambda: station_status(store, station_id, state.get("error")),
        heartbeat=config.mqtt_heartbeat,
        keepalive=config.mqtt_keepalive,
    )
    link.on(topics.NUDGE, lambda _payload: wake.set())
    # District emergencies: the desk hands them to the daemon's control mailbox and reports back.
    # What an earlier run of this process left unfinished is settled before any message is taken.
    from ._emergency import EmergencyDesk

    desk = EmergencyDesk(config, store, lambda body: link.publish(topics.EMERGENCY_STATUS, body))
    leftovers = desk.settle_leftovers()
    link.on(topics.EMERGENCY, desk.handle)
    link.start()
    for body in leftovers:  # queued by paho until the link is connected
        link.publish(topics.EMERGENCY_STATUS, body)
    return link


def _dead_air_mark(config: Config) -> int | None:
    """Give back when the watchdog last rewrote its file (None: no file)."""
    from ..playout import dead_air_path

    try:
        return dead_air_path(config.data_dir).stat().st_mtime_ns
    except OSError:
        return None


def run_forever(config: Config, store: Store, *, say=print, stop=None) -> None:
    """Exchange with the hub every ``config.sync_interval`` seconds, or at once when the hub nudges
    over the live link, until ``stop`` (a threading.Event) is set; never raises on a failed round
    (it is logged and retried next time)."""
    import threading

    client = HubClient(config.hub_url, config.hub_token, config.station_code)
    memo = ReportMemo()
    wake = threading.Event()
    stop = stop or threading.Event()
    state: dict[str, Any] = {}
    link = _station_link(config, store, store.station_id(), state, wake)
    try:
        while not stop.is_set():
            started = time.monotonic()
            wake.clear()  # a nudge during the round below asks for one more round right after
            try:
                rnd = sync_once(config, store, client, memo)
                state["error"] = " ".join(rnd.problems) or None
                say(rnd.summary())
            except SyncError as exc:
                state["error"] = str(exc)
                say(f"{exc} Đài vẫn phát theo lịch đã có; thử lại sau {config.sync_interval} giây.")
            except Exception:  # noqa: BLE001 - one bad round must not end the link
                log.exception("Lỗi khi đồng bộ với huyện")
            until = time.monotonic() + max(1.0, config.sync_interval - (time.monotonic() - started))
            alarms = _dead_air_mark(config)
            while not stop.is_set() and (left := until - time.monotonic()) > 0:
                if _dead_air_mark(config) != alarms:
                    # Dead air began or ended: the district hears of it now, not a round later.
                    if link is not None:
                        link.beat()
                    break
                if wake.wait(min(left, 0.5)):  # short steps: a stop is seen within half a second
                    # A nudge to "all" reaches every station in the same second: each waits a
                    # moment of its own so the hub is not asked for a thousand manifests (and
                    # their audio) at once.
                    spread = random.uniform(0, NUDGE_SPREAD_S)
                    say(f"Huyện báo có thay đổi: đồng bộ sau {spread:.0f} giây.")
                    stop.wait(spread)
                    break
    finally:
        if link is not None:
            link.stop()


def manifest_dump(config: Config) -> str | None:
    """Give back the last good manifest as indented JSON (for an officer's look), or None."""
    m, _ = _State(config).load()
    if m is None:
        return None
    doc = m.to_json()
    for prog in doc["programmes"]:
        for item in prog["items"]:
            if item.get("stream_url"):
                item["stream_url"] = public_spec(item["stream_url"])  # shown: never a password
    return json.dumps(doc, ensure_ascii=False, indent=2)


__all__ = ["ReportMemo", "Round", "manifest_dump", "run_forever", "station_status", "sync_once"]
