"""The hub's end of the live link: one process (``broadcaster hub live``) holds the MQTT connection.

- Presence from every station goes to its row (``hub.note_presence``): online, last contact,
  status. Emergency status messages go to the emergency's progress rows
  (``hub.note_emergency_status``). The hub stands above this package: its command hands those
  functions in (:class:`Desk`), this module imports nothing of it.
- Whatever the hub's other processes (web, command line) want said to stations reaches this
  process through PostgreSQL ``NOTIFY`` on channel :data:`CHANNEL`, sent inside their own
  transaction (:func:`send`): it is delivered only if that transaction commits, and needs no
  broker connection, no credentials and no second MQTT client in those processes (the broker
  takes the user name as client id, so a second hub client would push this one off).
- :func:`watch_changes` makes every hub session send a nudge to the stations whose manifest a
  commit may change (a district airing added, edited, withdrawn or retargeted; its programme or
  its segments edited), so they sync at once instead of at their next interval. A nudge is an
  optimisation: a lost one (broker or this process down) only means the station's own interval.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, attributes, sessionmaker

from .. import topics
from ..config import Config
from ..models import Programme, ProgrammeItem, Schedule, Segment
from ..store import Store
from ._client import HubLink

log = logging.getLogger("broadcaster.live")

CHANNEL = "broadcaster_live"
#: PostgreSQL refuses a NOTIFY payload of 8000 bytes or more: longer lists of codes are split.
NOTIFY_MAX = 7000
#: A message waiting for the broker is dropped after this long (a nudge that old is worthless;
#: an emergency carries its own validity and is also kept by the hub's emergency rows).
PENDING_MAX_S = 600
#: How often the live process looks for emergencies some stations have not acknowledged.
RESEND_CHECK_S = 5.0


def _postgres(session: Session) -> bool:
    bind = session.get_bind()
    return getattr(bind, "dialect", None) is not None and bind.dialect.name == "postgresql"


def _envelopes(kind: str, codes: list[str], payload: dict) -> list[str]:
    """Give back the NOTIFY payloads carrying ``payload`` to ``codes``, each under the limit."""
    out: list[str] = []
    chunk: list[str] = []
    base = len(json.dumps({"kind": kind, "codes": [], "payload": payload}, ensure_ascii=False).encode())
    size = base
    for code in codes:
        if chunk and size + len(code) + 4 > NOTIFY_MAX:
            out.append(json.dumps({"kind": kind, "codes": chunk, "payload": payload}, ensure_ascii=False))
            chunk, size = [], base
        chunk.append(code)
        size += len(code) + 4
    if chunk:
        out.append(json.dumps({"kind": kind, "codes": chunk, "payload": payload}, ensure_ascii=False))
    if out and len(out[0].encode()) > NOTIFY_MAX:
        raise ValueError("tin gửi qua kênh trực tiếp quá dài")
    return out


def send(session: Session, kind: str, codes: Iterable[str], payload: dict) -> int:
    """Give back how many stations the live process will send ``payload`` to (on ``kind``'s topic)
    once this session's transaction commits; 0 on a database without NOTIFY (a station's SQLite)."""
    if kind not in topics.STATION_READS:
        raise ValueError(f"huyện không gửi tin loại {kind!r}")
    codes = sorted(set(codes))
    if not codes or not _postgres(session):
        return 0
    for env in _envelopes(kind, codes, payload):
        session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": env})
    return len(codes)


# ---------------------------------------------------------------- nudges after a hub change

_WATCHED: set[int] = set()
_WATCH_LOCK = threading.Lock()
_PENDING_KEY = "broadcaster.live.nudge"  # Session.info: codes seen in this flush, not yet sent
_SENT_KEY = "broadcaster.live.nudged"  # Session.info: codes already nudged in this transaction


def _codes_of(schedules: Iterable[Schedule]) -> set[str]:
    codes: set[str] = set()
    for sched in schedules:
        hist = attributes.get_history(sched, "targets")
        for st in (*hist.added, *hist.unchanged, *hist.deleted):
            codes.add(st.code)
    return codes


def _affected(session: Session) -> set[str]:
    """Give back the codes of the stations whose manifest the pending flush may change."""
    touched = [o for o in (*session.new, *session.dirty, *session.deleted)]
    schedules = [o for o in touched if isinstance(o, Schedule)]
    programme_ids = {o.id for o in touched if isinstance(o, Programme) and o.id is not None}
    programme_ids |= {o.programme_id for o in touched if isinstance(o, ProgrammeItem) and o.programme_id}
    segment_ids = [o.id for o in touched if isinstance(o, Segment) and o.id is not None]
    if not (schedules or programme_ids or segment_ids):
        return set()
    with session.no_autoflush:
        codes = _codes_of(schedules)
        if segment_ids:
            programme_ids |= set(
                session.scalars(
                    select(ProgrammeItem.programme_id).where(ProgrammeItem.segment_id.in_(segment_ids))
                )
            )
        if programme_ids:
            codes |= _codes_of(
                session.scalars(select(Schedule).where(Schedule.programme_id.in_(programme_ids)))
            )
    return codes


def _before_flush(session: Session, _context, _instances) -> None:
    # Before: a deleted schedule's targets can still be read.
    codes = _affected(session)
    if codes:
        session.info.setdefault(_PENDING_KEY, set()).update(codes)


def _after_flush(session: Session, _context) -> None:
    codes = session.info.pop(_PENDING_KEY, set()) - session.info.get(_SENT_KEY, set())
    if codes:
        # In the flush's transaction: delivered on commit, dropped on rollback.
        send(session, topics.NUDGE, codes, {"why": "manifest"})
        session.info.setdefault(_SENT_KEY, set()).update(codes)


def _end(session: Session, *_args) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_SENT_KEY, None)


def watch_changes(sessions: sessionmaker) -> None:
    """Make every session of ``sessions`` nudge the stations a committed change concerns (hub mode)."""
    with _WATCH_LOCK:
        if id(sessions) in _WATCHED:
            return
        _WATCHED.add(id(sessions))
    event.listen(sessions, "before_flush", _before_flush)
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "after_commit", _end)
    event.listen(sessions, "after_soft_rollback", _end)


# ---------------------------------------------------------------- the live process


@dataclass(frozen=True)
class Desk:
    """What the hub does with what stations send, handed in by the hub (each runs in a transaction)."""

    #: A station's presence into its row (``hub.note_presence``).
    presence: Callable[[Session, str, dict], object]
    #: A station's emergency report into its progress row (``hub.note_emergency_status``).
    emergency_status: Callable[[Session, str, dict], object]
    #: The live emergencies to send again, as (codes, body) (``hub.due_again``).
    due_again: Callable[[Session, Config], list[tuple[list[str], dict]]]


class HubLive:
    """``broadcaster hub live``: the hub's MQTT connection, presence into rows, NOTIFY out to MQTT."""

    def __init__(
        self, config: Config, store: Store, desk: Desk, *, say: Callable[[str], None] = print
    ) -> None:
        if not config.mqtt_url:
            from ..config import PREFIX, ConfigError

            raise ConfigError(
                f"cần đặt {PREFIX}MQTT_URL (mqtt://hub:MẬT_KHẨU@máy-chủ:cổng) cho kênh trực tiếp."
            )
        if store.engine.dialect.name != "postgresql":
            from ..config import PREFIX, ConfigError

            raise ConfigError(
                f"kênh trực tiếp của huyện cần PostgreSQL ({PREFIX}DATABASE_URL=postgresql+psycopg://…)."
            )
        self.config, self.store, self.desk, self.say = config, store, desk, say
        self.link = HubLink(config.mqtt_url, keepalive=config.mqtt_keepalive)
        self.link.on(topics.PRESENCE, self._presence)
        self.link.on(topics.EMERGENCY_STATUS, self._emergency_status)
        self._stop = threading.Event()
        self._pending: list[tuple[float, str, list[str], dict]] = []
        self._next_resend = 0.0
        self.published = 0

    def on(self, kind: str, handler: Callable[[str, dict], Any]) -> None:
        """Add a handler of station messages (emergency status) beside the presence one."""
        self.link.on(kind, handler)

    def _presence(self, code: str, payload: dict) -> None:
        with self.store.sessions.begin() as s:
            self.desk.presence(s, code, payload)

    def _emergencies_again(self) -> None:
        """Every few seconds, send again the live emergencies some stations have not acknowledged
        (``hub.due_again``): a message lost while this process or the broker was down still goes."""
        now = time.monotonic()
        if now < self._next_resend or not self.link.connected.is_set():
            return
        self._next_resend = now + RESEND_CHECK_S
        try:
            with self.store.sessions.begin() as s:
                due = self.desk.due_again(s, self.config)
        except Exception:  # noqa: BLE001 - the next check tries again
            log.exception("Không đọc được các thông báo khẩn cấp chưa được đài nhận")
            return
        for codes, body in due:
            log.warning("Gửi lại thông báo khẩn cấp %s tới %d đài chưa báo nhận.", body["uid"], len(codes))
            self._publish(topics.EMERGENCY, codes, body)

    def _emergency_status(self, code: str, payload: dict) -> None:
        """A station's emergency report (received, started…) into its progress row at the hub."""
        with self.store.sessions.begin() as s:
            self.desk.emergency_status(s, code, payload)

    def _pg_url(self) -> str:
        url = make_url(self.config.db_url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def _publish(self, kind: str, codes: list[str], payload: dict) -> None:
        self._pending.append((time.monotonic(), kind, codes, payload))
        self._flush_pending()

    def _flush_pending(self) -> None:
        if not self._pending or not self.link.connected.is_set():
            return
        now = time.monotonic()
        keep = []
        for at, kind, codes, payload in self._pending:
            if now - at > PENDING_MAX_S:
                log.warning(
                    "Bỏ tin %s tới %d đài: không gửi được trong %d giây.", kind, len(codes), PENDING_MAX_S
                )
                continue
            try:
                self.published += self.link.publish(kind, codes, payload)
            except Exception as exc:  # noqa: BLE001 - the broker went away mid-way: retried
                log.warning("Chưa gửi được tin %s: %s", kind, exc)
                keep.append((at, kind, codes, payload))
        self._pending = keep

    def _notified(self, raw: str) -> None:
        try:
            env = json.loads(raw)
            kind, codes, payload = env["kind"], list(env["codes"]), dict(env["payload"])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("Bỏ qua yêu cầu gửi không đọc được: %s", exc)
            return
        self._publish(kind, codes, payload)

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """Hold the link until stopped: listen for NOTIFY, publish, keep presence rows current."""
        import psycopg

        self.link.start()
        self.say(f"Kênh trực tiếp của huyện: kết nối máy chủ MQTT {self.link.url.host}:{self.link.url.port}.")
        try:
            while not self._stop.is_set():
                try:
                    with psycopg.connect(self._pg_url(), autocommit=True) as conn:
                        conn.execute(f"LISTEN {CHANNEL}")
                        while not self._stop.is_set():
                            for n in conn.notifies(timeout=0.5):
                                self._notified(n.payload)
                            self._flush_pending()
                            self._emergencies_again()
                except psycopg.OperationalError as exc:
                    log.warning("Mất kết nối cơ sở dữ liệu của huyện (%s); thử lại sau 2 giây.", exc)
                    self._stop.wait(2)
        finally:
            self.link.stop()
