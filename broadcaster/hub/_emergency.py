"""District emergencies (issue 13): sent once from the hub, followed station by station.

``send_emergency`` renders (or imports) the audio once, content-addressed by sha256 as
``publish`` does, writes the :class:`Emergency` with one progress row per station, and hands the
message to the live process in the same transaction (``live.send``: delivered only if it commits).
``note_emergency_status`` is what the live process does with a station's report; ``progress``
is what the emergency page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import topics
from ..config import Config
from ..db import utcnow
from ..models import Emergency, EmergencyTarget, Origin, Station, User
from ..rules import aware_instant
from ._audio import audio_path, audio_url
from ._stations import HubError

DEFAULT_VALID_MIN = 30
MAX_REPEAT = 10
MAX_GAP_MIN = 120
MAX_VALID_MIN = 24 * 60
DEFAULT_TITLE = "Thông báo khẩn cấp của huyện"

#: What a state means, for the page and the command line.
STATE_LABELS = {
    "sent": "Đã gửi",
    "received": "Đài đã nhận",
    "started": "Đang phát",
    "finished": "Đã phát xong",
    "failed": "Không phát được",
    "expired": "Quá hạn, không phát",
    "stopped": "Đã dừng",
}
#: States after which nothing more happens at a station.
FINAL = frozenset({"finished", "failed", "expired", "stopped"})
_ORDER = {s: i for i, s in enumerate(("sent", *topics.EMERGENCY_STATES))}


@dataclass(frozen=True)
class EmergencyRequest:
    """What an officer asks for, as plain values (from the command line or the page)."""

    text: str = ""
    audio_file: Path | None = None
    audio_name: str = ""
    title: str = ""
    repeat: int = 1
    gap_minutes: float = 0
    valid_minutes: float = DEFAULT_VALID_MIN


def check_request(req: EmergencyRequest) -> None:
    """Raise HubError naming the first fault of ``req`` (nothing is written before this passes)."""
    from ..playout import MAX_EMERGENCY_CHARS

    text = (req.text or "").strip()
    if not text and req.audio_file is None:
        raise HubError("Thông báo khẩn cấp cần nội dung văn bản (--text) hoặc tệp âm thanh (--audio).")
    if len(text) > MAX_EMERGENCY_CHARS:
        raise HubError(f"Nội dung dài {len(text)} ký tự, quá giới hạn {MAX_EMERGENCY_CHARS} ký tự.")
    if not 1 <= req.repeat <= MAX_REPEAT:
        raise HubError(f"Số lần phát phải từ 1 đến {MAX_REPEAT}.")
    if not 0 <= req.gap_minutes <= MAX_GAP_MIN:
        raise HubError(f"Khoảng nghỉ giữa hai lần phát phải từ 0 đến {MAX_GAP_MIN} phút.")
    if not 1 <= req.valid_minutes <= MAX_VALID_MIN:
        raise HubError(f"Thời hạn hiệu lực phải từ 1 đến {MAX_VALID_MIN} phút.")


def _audio(session: Session, config: Config, home: Station, req: EmergencyRequest, title: str):
    """Give back the AudioAsset of the bulletin: the imported file, else the text rendered once."""
    from ..audio import AudioError, import_upload, render_segment
    from ..content import SegmentFields, approve, create_segment, submit

    try:
        if req.audio_file is not None:
            return import_upload(
                session, config, home.id, req.audio_file, req.audio_name or req.audio_file.name
            )
        seg = create_segment(
            session, home, None, SegmentFields(title=title, body=req.text.strip(), kind="emergency")
        )
        submit(session, seg, None)
        approve(session, seg, None, "Thông báo khẩn cấp của huyện, duyệt khi gửi.")
        return render_segment(session, config, seg)
    except AudioError as exc:
        raise HubError(f"Không chuẩn bị được âm thanh: {exc}") from None


def payload(config: Config, em: Emergency, action: str = "start") -> dict:
    """Give back the message a station gets (the live contract's emergency payload)."""
    audio = None
    if em.audio_sha256 and em.audio_asset is not None:
        audio = {
            "sha256": em.audio_sha256,
            "size": em.audio_size,
            "url": audio_url(em.audio_sha256),
            "duration_ms": em.audio_asset.duration_ms,
            "ext": (Path(em.audio_asset.path).suffix.lstrip(".") or "wav").lower(),
        }
    return {
        "uid": em.uid,
        "action": action,
        "title": em.title,
        "text": em.text,
        "audio": audio if action == "start" else None,
        "repeat": em.repeat,
        "gap_s": em.gap_s,
        "valid_until": em.valid_until.isoformat(),
        "sent_at": em.sent_at.isoformat(),
    }


def _send(session: Session, codes: list[str], body: dict) -> int:
    from ..live import send

    return send(session, topics.EMERGENCY, codes, body)


def send_emergency(
    session: Session,
    config: Config,
    home: Station,
    targets: list[Station],
    req: EmergencyRequest,
    *,
    user: User | None = None,
) -> Emergency:
    """Give back the emergency sent to ``targets``: audio made once, one progress row per station,
    the message handed to the live process on commit. Flushes only: the caller commits."""
    from ..content import record

    check_request(req)
    if not targets:
        raise HubError("Chưa chọn đài nào để gửi.")
    title = " ".join((req.title or DEFAULT_TITLE).split())[:300]
    asset = _audio(session, config, home, req, title)
    now = utcnow()
    em = Emergency(
        station_id=home.id,
        title=title,
        text=(req.text or "").strip(),
        audio_asset=asset,
        audio_sha256=asset.sha256,
        audio_size=audio_path(config, asset).stat().st_size,
        repeat=req.repeat,
        gap_s=round(req.gap_minutes * 60),
        valid_until=now + timedelta(minutes=req.valid_minutes),
        sent_at=now,
        created_by=user.username if user else "hệ thống",
    )
    em.targets = [EmergencyTarget(station_id=st.id, state="sent", sent_at=now) for st in targets]
    session.add(em)
    session.flush()
    _send(session, [st.code for st in targets], payload(config, em))
    record(
        session,
        user=user,
        action="emergency",
        entity="emergency",
        entity_id=em.uid,
        after={"title": title, "to": [st.code for st in targets], "repeat": em.repeat, "gap_s": em.gap_s},
        station_id=home.id,
    )
    return em


def find_emergency(session: Session, uid: str) -> Emergency:
    """Give back the emergency with this uid (or a unique prefix of it); HubError if none."""
    uid = (uid or "").strip().lower()
    if len(uid) < 4:
        raise HubError("Hãy ghi mã thông báo khẩn cấp (ít nhất 4 ký tự đầu).")
    found = list(session.scalars(select(Emergency).where(Emergency.uid.startswith(uid)).limit(2)))
    if len(found) != 1:
        raise HubError(
            f"Không có thông báo khẩn cấp mã «{uid}»." if not found else f"Mã «{uid}» chưa đủ để phân biệt."
        )
    return found[0]


def stop_emergency(session: Session, config: Config, em: Emergency, *, user: User | None = None) -> list[str]:
    """Give back the codes of the stations told to stop ``em`` (those not done with it yet).

    Stopping twice is harmless: the second time tells nobody. Flushes only."""
    from ..content import record

    if em.stopped_at is None:
        em.stopped_at = utcnow()
        em.stopped_by = user.username if user else "hệ thống"
    codes = [t.station.code for t in em.targets if t.state not in FINAL]
    if codes:
        _send(session, codes, payload(config, em, "stop"))
    record(
        session,
        user=user,
        action="emergency_stop",
        entity="emergency",
        entity_id=em.uid,
        after={"to": codes},
        station_id=em.station_id,
    )
    return codes


def note_emergency_status(session: Session, code: str, report: dict) -> bool:
    """Give back whether a station's report (``emergency/status``) changed its progress row.

    A state's timestamp is the station's last word on it (a station sends "started" again with
    the exact first-sample time once its as-run has it); the row's state only moves forward (a
    late "received" is kept as a timestamp but does not take the state back).
    """
    uid, state = report.get("uid"), report.get("state")
    if not isinstance(uid, str) or state not in topics.EMERGENCY_STATES:
        return False
    target = session.scalar(
        select(EmergencyTarget)
        .join(Emergency, EmergencyTarget.emergency_id == Emergency.id)
        .join(Station, EmergencyTarget.station_id == Station.id)
        .where(Emergency.uid == uid, Station.code == code)
    )
    if target is None:
        return False
    at = aware_instant(report.get("at")) or utcnow()
    column = f"{state}_at"
    changed = False
    if getattr(target, column) != at:
        setattr(target, column, at)
        changed = True
    if _ORDER[state] > _ORDER.get(target.state, 0) and target.state not in FINAL:
        target.state = state
        changed = True
    detail = report.get("detail")
    if isinstance(detail, str) and detail.strip():
        target.detail = detail.strip()[:1000]
        changed = True
    plays = report.get("plays")
    if isinstance(plays, int) and not isinstance(plays, bool) and plays > target.plays:
        target.plays = plays
        changed = True
    return changed


#: A station that has not said "received" this long after a sending is sent the message again.
RESEND_AFTER = timedelta(seconds=30)


def due_again(session: Session, config: Config, now: datetime | None = None) -> list[tuple[list[str], dict]]:
    """Give back (codes, message) for each live emergency some stations have not acknowledged.

    What it covers: a message the live process never got (it was down when the command's NOTIFY
    went out), or dropped (the broker down longer than it keeps messages). A station that already
    has it ignores the repeat (same uid) and says its state again, which ends the repeats. Each
    row's ``sent_at`` moves to ``now``: one repeat per :data:`RESEND_AFTER` at most.
    """
    now = now or utcnow()
    rows = session.scalars(
        select(EmergencyTarget)
        .join(Emergency, EmergencyTarget.emergency_id == Emergency.id)
        .where(
            EmergencyTarget.state == "sent",
            EmergencyTarget.sent_at < now - RESEND_AFTER,
            Emergency.stopped_at.is_(None),
            Emergency.valid_until > now,
            Emergency.origin == Origin.LOCAL,
        )
    ).all()
    by_em: dict[int, list[EmergencyTarget]] = {}
    for t in rows:
        by_em.setdefault(t.emergency_id, []).append(t)
    out = []
    for targets in by_em.values():
        for t in targets:
            t.sent_at = now
        out.append(([t.station.code for t in targets], payload(config, targets[0].emergency)))
    return out


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def progress(em: Emergency) -> dict:
    """Give back the emergency and each station's progress as JSON-ready values."""
    return {
        "uid": em.uid,
        "title": em.title,
        "text": em.text,
        "repeat": em.repeat,
        "gap_s": em.gap_s,
        "sent_at": _iso(em.sent_at),
        "valid_until": _iso(em.valid_until),
        "stopped_at": _iso(em.stopped_at),
        "created_by": em.created_by,
        "stations": [
            {
                "code": t.station.code,
                "name": t.station.name,
                "state": t.state,
                "label": STATE_LABELS.get(t.state, t.state),
                "plays": t.plays,
                "detail": t.detail,
                **{f"{s}_at": _iso(getattr(t, f"{s}_at")) for s in ("sent", *topics.EMERGENCY_STATES)},
            }
            for t in sorted(em.targets, key=lambda t: t.station.code)
        ],
    }


def recent_emergencies(session: Session, home: Station, n: int = 20) -> list[Emergency]:
    """Give back the hub's last ``n`` emergencies, newest first."""
    return list(
        session.scalars(
            select(Emergency)
            .where(Emergency.station_id == home.id)
            .order_by(Emergency.sent_at.desc(), Emergency.id.desc())
            .limit(n)
        )
    )


def emergency_audio(session: Session, config: Config, station: Station, sha256: str) -> Path | None:
    """Give back the audio file of a live emergency sent to ``station`` with this sha256, or None."""
    em = session.scalar(
        select(Emergency)
        .join(EmergencyTarget, EmergencyTarget.emergency_id == Emergency.id)
        .where(
            Emergency.audio_sha256 == sha256,
            EmergencyTarget.station_id == station.id,
            Emergency.stopped_at.is_(None),
            Emergency.valid_until > utcnow() - timedelta(hours=6),
        )
        .order_by(Emergency.id.desc())
        .limit(1)
    )
    if em is None or em.audio_asset is None:
        return None
    path = audio_path(config, em.audio_asset)
    return path if path.is_file() else None
