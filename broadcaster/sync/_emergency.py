"""A district emergency at the station (issue 13): taken from the live link, handed to the daemon.

Runs in the sync process (the live link's handler), never in the daemon: the daemon only sees a
command in its control mailbox, the same one the control page's local emergency writes, so it
interrupts whatever airs and playout never depends on the network or the broker.

For each ``start`` message (:meth:`EmergencyDesk.handle`):

1. The station's own :class:`Emergency` row is written first, keyed by the message's uid: a
   redelivered message (QoS 1 may deliver twice) finds it and does nothing, so nothing plays twice.
   "received" is reported at once.
2. Past ``valid_until`` it is not played: reported "expired" and written to the journal.
3. On a thread of its own, the audio is fetched by sha256 from the hub with sync's verified,
   resumable download, bounded by :data:`FETCH_TIMEOUT_S`. If that fails the text is spoken with
   the offline voice (espeak-ng), rendered by the daemon on its emergency thread (the daemon's
   prepare path; its loop keeps turning).
4. One mailbox command per play, ``repeat`` plays ``gap_s`` apart. Each play's airing is found by
   its "on duty" tag; "started" is the first as-run entry's start (the daemon writes it as the
   first samples go to the sink), "finished" or "failed" when the airings end.

A ``stop`` ends the plays: the airing on air is cut through the mailbox, no further play starts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..config import Config
from ..db import unit_of_work, utcnow
from ..manifest import AudioRef
from ..models import (
    AirStatus,
    AsRunEntry,
    ControlCommand,
    Emergency,
    EmergencyTarget,
    Occurrence,
    Origin,
)
from ..store import Store
from ._client import HubClient, SyncError

log = logging.getLogger("broadcaster.sync")

#: How long the audio may take to arrive before the station speaks the text itself.
FETCH_TIMEOUT_S = 20.0
#: A command the daemon has not taken by then is withdrawn (the daemon is not running).
NOT_TAKEN_S = 60.0
#: Longest wait for one play to end (a long recording, a slow render); then it counts as failed.
PLAY_LIMIT_S = 2 * 3600.0
POLL_S = 0.1
_ACTIVE = (AirStatus.PENDING, AirStatus.PLAYING)


class BadMessage(ValueError):
    """An emergency message that cannot be used; the message is Vietnamese."""


@dataclass(frozen=True)
class Message:
    uid: str
    action: str
    title: str
    text: str
    audio: AudioRef | None
    repeat: int
    gap_s: int
    valid_until: datetime
    sent_at: datetime | None


def _time(raw: object, name: str) -> datetime:
    if not isinstance(raw, str):
        raise BadMessage(f"thiếu «{name}»")
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise BadMessage(f"«{name}» không phải thời điểm ISO 8601") from None
    if at.tzinfo is None:
        raise BadMessage(f"«{name}» thiếu múi giờ")
    return at.astimezone(UTC)


def _int(payload: dict, key: str, default: int, lo: int, hi: int) -> int:
    value = payload.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise BadMessage(f"«{key}» phải là số từ {lo} đến {hi}")
    return int(value)


def parse_message(payload: dict) -> Message:
    """Give back the checked emergency message; BadMessage names the first fault."""
    uid = payload.get("uid")
    if not isinstance(uid, str) or not 8 <= len(uid) <= 36:
        raise BadMessage("thiếu mã thông báo («uid»)")
    action = payload.get("action", "start")
    if action not in ("start", "stop"):
        raise BadMessage(f"không biết việc «{action}»")
    if action == "stop":
        return Message(uid, action, "", "", None, 1, 0, datetime.max.replace(tzinfo=UTC), None)
    text = payload.get("text") or ""
    title = payload.get("title") or "Thông báo khẩn cấp của huyện"
    if not isinstance(text, str) or not isinstance(title, str):
        raise BadMessage("«text» và «title» phải là chuỗi chữ")
    audio = None
    raw = payload.get("audio")
    if raw is not None:
        if not isinstance(raw, dict):
            raise BadMessage("«audio» phải là một đối tượng")
        sha, size, url = raw.get("sha256"), raw.get("size"), raw.get("url")
        ext = raw.get("ext") or "wav"
        if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
            raise BadMessage("«audio.sha256» không hợp lệ")
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise BadMessage("«audio.size» không hợp lệ")
        if (
            not isinstance(url, str)
            or not url.startswith("/")
            or not isinstance(ext, str)
            or not ext.isalnum()
        ):
            raise BadMessage("«audio.url» không hợp lệ")
        audio = AudioRef(sha, size, int(raw.get("duration_ms") or 0), ext.lower(), url)
    if not text.strip() and audio is None:
        raise BadMessage("không có âm thanh cũng không có lời để đọc")
    sent = payload.get("sent_at")
    return Message(
        uid=uid,
        action=action,
        title=" ".join(title.split())[:300],
        text=text.strip(),
        audio=audio,
        repeat=_int(payload, "repeat", 1, 1, 50),
        gap_s=_int(payload, "gap_s", 0, 0, 24 * 3600),
        valid_until=_time(payload.get("valid_until"), "valid_until"),
        sent_at=_time(sent, "sent_at") if sent is not None else None,
    )


def on_duty_tag(uid: str, play: int) -> str:
    """Give back the "on duty" name a play of a district emergency airs under (how it is found)."""
    return f"Huyện: khẩn cấp {uid[:8]}, lần {play}"


class EmergencyDesk:
    """The station's handling of district emergencies; ``report(body)`` publishes a status."""

    def __init__(
        self,
        config: Config,
        store: Store,
        report: Callable[[dict], object],
        *,
        fetch_timeout_s: float = FETCH_TIMEOUT_S,
        not_taken_s: float = NOT_TAKEN_S,
    ) -> None:
        self.config, self.store, self.report = config, store, report
        self.fetch_timeout_s = fetch_timeout_s
        self.not_taken_s = not_taken_s
        self.station_id = store.station_id()
        self._stops: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ messages

    def handle(self, payload: dict) -> None:
        """Take one emergency message (quick: the plays run on a thread of their own)."""
        try:
            msg = parse_message(payload)
        except BadMessage as exc:
            log.warning("Bỏ qua tin khẩn cấp không dùng được từ huyện: %s.", exc)
            uid = payload.get("uid")
            if isinstance(uid, str) and uid:
                self._say(uid, "failed", f"Tin không dùng được: {exc}.")
            return
        if msg.action == "stop":
            self._stop(msg.uid)
        else:
            self._start(msg)

    @staticmethod
    def _as_reported(uid: str, t: EmergencyTarget) -> list[dict]:
        """Give back the reports that tell the hub where this station stands with ``uid``."""
        said = {
            state: {"uid": uid, "state": state, "at": at}
            for state in ("received", "started", t.state)
            if (at := getattr(t, f"{state}_at", None)) is not None
        }
        if t.state in said:
            said[t.state] |= {"detail": t.detail, "plays": t.plays}
        return list(said.values())

    def _start(self, msg: Message) -> None:
        now = utcnow()
        again = None
        try:
            with unit_of_work(self.store.sessions) as s:
                known = s.scalar(select(EmergencyTarget).join(Emergency).where(Emergency.uid == msg.uid))
                if known is not None:
                    again = self._as_reported(msg.uid, known)
                else:
                    s.add(self._row(msg, now))
        except IntegrityError:  # the same message twice at the same moment
            log.info("Tin khẩn cấp %s đã nhận trước đó: không phát lại.", msg.uid)
            return
        if again is not None:
            # Sent again: the hub has not heard this station say where it stands; say it again.
            log.info("Tin khẩn cấp %s đã nhận trước đó: không phát lại, báo lại trạng thái.", msg.uid)
            for body in again:
                self._say(**body)
            return
        self._say(msg.uid, "received", at=now)
        if now >= msg.valid_until:
            local = msg.valid_until.astimezone(self.config.tz)
            why = f"Đến đài lúc đã quá hạn (hiệu lực đến {local:%H:%M %d/%m/%Y}): không phát."
            log.warning("Thông báo khẩn cấp «%s» (%s) của huyện: %s", msg.title, msg.uid, why)
            self._finish(msg.uid, "expired", why)
            return
        log.warning("Nhận thông báo khẩn cấp «%s» (%s) của huyện: phát ngay.", msg.title, msg.uid)
        stop = threading.Event()
        t = threading.Thread(target=self._run, args=(msg, stop), name=f"emergency-{msg.uid[:8]}", daemon=True)
        with self._lock:
            self._stops[msg.uid] = stop
            self._threads[msg.uid] = t
        t.start()

    def _row(self, msg: Message, now: datetime) -> Emergency:
        """Give back the station's record of a received emergency, its own progress row with it."""
        em = Emergency(
            uid=msg.uid,
            station_id=self.station_id,
            origin=Origin.HUB,
            title=msg.title,
            text=msg.text,
            audio_sha256=msg.audio.sha256 if msg.audio else None,
            audio_size=msg.audio.size if msg.audio else None,
            repeat=msg.repeat,
            gap_s=msg.gap_s,
            valid_until=msg.valid_until,
            sent_at=msg.sent_at or now,
            created_by="huyện",
        )
        em.targets = [EmergencyTarget(station_id=self.station_id, state="received", received_at=now)]
        return em

    def _stop(self, uid: str) -> None:
        with self._lock:
            stop = self._stops.get(uid)
        if stop is not None and not stop.is_set():
            log.warning("Huyện dừng thông báo khẩn cấp %s.", uid)
            stop.set()  # the play thread cuts what airs and reports "stopped"
            return
        with self.store.sessions() as s:
            state = s.scalar(
                select(EmergencyTarget.state)
                .join(Emergency, EmergencyTarget.emergency_id == Emergency.id)
                .where(Emergency.uid == uid)
            )
        if state is None:
            log.info("Lệnh dừng thông báo khẩn cấp %s: đài chưa nhận thông báo này.", uid)
        elif state in ("received", "started"):
            # Received before this process started (and not played by it): nothing airs any more.
            self._finish(uid, "stopped", "Huyện đã dừng thông báo.")

    def settle_leftovers(self) -> list[dict]:
        """Give back the "failed" reports of the emergencies an earlier run of this process left
        unfinished, each now marked failed here (the threads that followed its plays are gone and
        the message was acknowledged, so the broker will not send it again).

        Call once before the link starts taking messages (none can then be mistaken for a
        leftover), and publish what it gives back once the link exists (paho queues them until
        it is connected)."""
        with self.store.sessions() as s:
            left = list(
                s.scalars(
                    select(Emergency.uid)
                    .join(EmergencyTarget, EmergencyTarget.emergency_id == Emergency.id)
                    .where(Emergency.origin == Origin.HUB, EmergencyTarget.state.in_(("received", "started")))
                )
            )
        bodies = []
        why = "Tiến trình liên kết của đài khởi động lại giữa chừng, không theo dõi tiếp được."
        for uid in left:
            log.warning("Thông báo khẩn cấp %s: %s", uid, why)
            at = utcnow()
            self._note(uid, "failed", why, at)
            bodies.append({"uid": uid, "state": "failed", "at": at.isoformat(), "detail": why})
        return bodies

    def wait(self, timeout: float = 10.0) -> None:
        """Wait for the play threads to end (tests; a clean stop of the process)."""
        deadline = time.monotonic() + timeout
        for t in list(self._threads.values()):
            t.join(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Stop every emergency this process is playing (the process is ending)."""
        with self._lock:
            stops = list(self._stops.values())
        for stop in stops:
            stop.set()

    # ------------------------------------------------------------ status

    def _say(
        self,
        uid: str,
        state: str,
        detail: str | None = None,
        *,
        at: datetime | None = None,
        plays: int | None = None,
    ) -> None:
        body: dict = {"uid": uid, "state": state, "at": (at or utcnow()).isoformat()}
        if detail:
            body["detail"] = detail
        if plays is not None:
            body["plays"] = plays
        try:
            self.report(body)
        except Exception:  # noqa: BLE001 - a report lost to the broker must not stop the plays
            log.exception("Không gửi được trạng thái thông báo khẩn cấp %s lên huyện", uid)

    def _note(
        self,
        uid: str,
        state: str,
        detail: str | None,
        at: datetime,
        plays: int | None = None,
        exact: bool = False,
    ) -> None:
        with unit_of_work(self.store.sessions) as s:
            t = s.scalar(
                select(EmergencyTarget)
                .join(Emergency, EmergencyTarget.emergency_id == Emergency.id)
                .where(Emergency.uid == uid)
            )
            if t is None:
                return
            if exact or getattr(t, f"{state}_at") is None:
                setattr(t, f"{state}_at", at)
            if not exact:
                t.state = state
            if detail:
                t.detail = detail
            if plays is not None:
                t.plays = plays

    def _finish(
        self,
        uid: str,
        state: str,
        detail: str | None = None,
        plays: int | None = None,
        at: datetime | None = None,
    ) -> None:
        at = at or utcnow()
        self._note(uid, state, detail, at, plays)
        self._say(uid, state, detail, at=at, plays=plays)

    # ------------------------------------------------------------ the plays

    def fetch(self, msg: Message) -> tuple[str | None, str | None]:
        """Give back (media-relative path of the verified audio, None) or (None, why not), within
        the fetch bound: a hub that answers slowly costs at most that, then the text is spoken."""
        if msg.audio is None:
            return None, "huyện không gửi âm thanh"
        if not (self.config.hub_url and self.config.hub_token):
            return None, "đài chưa đặt địa chỉ máy chủ huyện"
        folder = self.config.media_dir / "hub"
        ref = msg.audio
        result: dict = {}

        def download() -> None:
            client = HubClient(
                self.config.hub_url,
                self.config.hub_token,
                self.config.station_code,
                timeout=self.fetch_timeout_s,
            )
            try:
                result["path"] = client.download(ref, folder)
            except SyncError as exc:
                result["error"] = str(exc)
            except Exception as exc:  # noqa: BLE001 - any failure means: speak the text
                result["error"] = f"{type(exc).__name__}: {exc}"

        t = threading.Thread(target=download, name=f"emergency-fetch-{msg.uid[:8]}", daemon=True)
        t.start()
        t.join(self.fetch_timeout_s)
        if "path" in result:
            return result["path"].relative_to(self.config.media_dir).as_posix(), None
        return None, result.get("error") or f"quá {self.fetch_timeout_s:.0f} giây chưa tải xong"

    def _run(self, msg: Message, stop: threading.Event) -> None:
        try:
            self._plays(msg, stop)
        except Exception as exc:  # noqa: BLE001 - reported, never silent
            log.exception("Lỗi khi phát thông báo khẩn cấp %s", msg.uid)
            self._finish(msg.uid, "failed", f"Lỗi ở đài: {type(exc).__name__}.")
        finally:
            with self._lock:
                self._stops.pop(msg.uid, None)

    def _plays(self, msg: Message, stop: threading.Event) -> None:
        from ..playout import PlayoutError, request_emergency

        asset, why = self.fetch(msg)
        spoken = None
        if asset is None:
            if not msg.text:
                self._finish(msg.uid, "failed", f"Không tải được âm thanh ({why}) và không có lời để đọc.")
                return
            spoken = f"Đọc bằng giọng máy của đài: không tải được âm thanh ({why})."
            log.warning("Thông báo khẩn cấp %s: %s", msg.uid, spoken)
        segment_id: int | None = None
        played = 0
        for n in range(1, msg.repeat + 1):
            if stop.is_set():
                break
            tag = on_duty_tag(msg.uid, n)
            try:
                with unit_of_work(self.store.sessions) as s:
                    if asset is not None:
                        cmd = request_emergency(s, self.station_id, asset_path=asset, by=tag)
                    elif segment_id is None:
                        cmd = request_emergency(s, self.station_id, text=msg.text, by=tag, title=msg.title)
                    else:
                        cmd = request_emergency(s, self.station_id, segment_id=segment_id, by=tag)
                    cmd_id = cmd.id
                    segment_id = (cmd.payload or {}).get("segment_id") or segment_id
            except PlayoutError as exc:
                self._finish(msg.uid, "failed", str(exc), plays=played)
                return
            outcome, detail, started = self._follow(
                cmd_id, tag, stop, msg.uid if played == 0 else None, spoken
            )
            if started is not None and played == 0:
                # The as-run's claim time was reported at once; the first sample's wall time is
                # written when the airing closes: that is the start the hub keeps.
                exact = self._first_audio(tag)
                if exact is not None and exact != started:
                    self._note(msg.uid, "started", spoken, exact, exact=True)
                    self._say(msg.uid, "started", spoken, at=exact, plays=1)
            if outcome == "played":
                played += 1
            elif outcome == "stopped":
                break
            else:
                self._finish(msg.uid, "failed", detail, plays=played)
                return
            if n < msg.repeat and stop.wait(msg.gap_s):
                break
        if stop.is_set():
            self._finish(msg.uid, "stopped", f"Huyện đã dừng thông báo sau {played} lần phát.", plays=played)
        else:
            self._finish(msg.uid, "finished", spoken, plays=played)

    def _first_audio(self, tag: str) -> datetime | None:
        """Give back when the audio of the airings tagged ``tag`` reached the sink (as-run)."""
        with self.store.sessions() as s:
            occs = select(Occurrence.id).where(
                Occurrence.station_id == self.station_id, Occurrence.on_duty == tag
            )
            first = s.scalar(select(func.min(Occurrence.started_at)).where(Occurrence.id.in_(occs)))
            return first or s.scalar(
                select(func.min(AsRunEntry.started_at)).where(AsRunEntry.occurrence_id.in_(occs))
            )

    def _follow(
        self, cmd_id: int, tag: str, stop: threading.Event, first_of: str | None, spoken: str | None
    ) -> tuple[str, str | None, datetime | None]:
        """Give back (played | stopped | failed, why, when its audio began) for one play; with
        ``first_of`` (the emergency's uid, on its first play) "started" is reported the moment the
        daemon's as-run shows the audio going out."""
        from ..playout import request_stop

        began = time.monotonic()
        started: datetime | None = None
        cut: set[int] = set()
        while True:
            with self.store.sessions() as s:
                cmd = s.get(ControlCommand, cmd_id)
                occs = list(
                    s.scalars(
                        select(Occurrence).where(
                            Occurrence.station_id == self.station_id, Occurrence.on_duty == tag
                        )
                    )
                )
                if started is None and occs:
                    started = s.scalar(
                        select(func.min(AsRunEntry.started_at)).where(
                            AsRunEntry.occurrence_id.in_([o.id for o in occs]),
                            AsRunEntry.started_at.is_not(None),
                        )
                    )
                taken, done, result = cmd.taken_at, cmd.done_at, cmd.result
            if started is not None and first_of is not None:
                self._note(first_of, "started", spoken, started)
                self._say(first_of, "started", spoken, at=started, plays=1)
                first_of = None
            if stop.is_set():
                playing = [o for o in occs if o.status == AirStatus.PLAYING and o.id not in cut]
                if playing:
                    with unit_of_work(self.store.sessions) as s:
                        for o in playing:
                            request_stop(s, self.station_id, "huyện", zone=o.zone_id)
                    cut |= {o.id for o in playing}
                if not occs and taken is None and self._withdraw(cmd_id, "Huyện đã dừng trước khi phát."):
                    return "stopped", None, started
                if occs and all(o.status not in _ACTIVE for o in occs):
                    return "stopped", None, started
            if occs and all(o.status not in _ACTIVE for o in occs):
                if any(o.status == AirStatus.PLAYED for o in occs):
                    return "played", None, started
                reasons = "; ".join(dict.fromkeys(o.reason for o in occs if o.reason)) or "không rõ lý do"
                return "failed", f"Bộ phát không phát được: {reasons}.", started
            if done is not None and not occs:
                return "failed", f"Bộ phát trả lời: {result}", started
            waited = time.monotonic() - began
            if taken is None and waited > self.not_taken_s:
                if self._withdraw(cmd_id, "Hủy: bộ phát không nhận lệnh kịp thời."):
                    return (
                        "failed",
                        f"Bộ phát không nhận lệnh sau {self.not_taken_s:.0f} giây (bộ phát không chạy?).",
                        None,
                    )
            if waited > PLAY_LIMIT_S:
                return "failed", "Quá lâu chưa phát xong.", started
            time.sleep(POLL_S)

    def _withdraw(self, cmd_id: int, why: str) -> bool:
        """Give back whether the command was withdrawn before the daemon took it."""
        with unit_of_work(self.store.sessions) as s:
            now = utcnow()
            res = s.execute(
                update(ControlCommand)
                .where(ControlCommand.id == cmd_id, ControlCommand.taken_at.is_(None))
                .values(taken_at=now, done_at=now, result=why)
            )
            return res.rowcount == 1
