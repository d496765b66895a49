"""Segment create and edit: validated fields, ownership, and "an edited approved text goes back to draft".

Also the structured procedure-notice form: its fields become an ordinary, editable text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import CchcArea, Role, Segment, SegmentKind, SegmentStatus, Station, User
from ._audit import record, snapshot
from ._dates import to_date
from ._errors import ContentError
from ._refusals import NotAllowed, refuse_hub_origin
from ._segments import validate_segment_fields

#: Fields an officer edits on a segment (status and review fields move only through the workflow).
EDITABLE_FIELDS = (
    "title",
    "body",
    "kind",
    "area",
    "procedure",
    "audience",
    "valid_from",
    "valid_to",
    "chime_before",
)
DVC_PORTAL = "dichvucong.gov.vn"


def parse_date(raw: Any, field: str) -> date | None:
    """Give back a date typed dd/mm/yyyy or ISO (empty gives None); else ContentError naming the field."""
    try:
        return to_date(raw)
    except ValueError as exc:
        raise ContentError(str(exc), field) from None


@dataclass
class SegmentFields:
    """What a segment form carries, as plain values (strings from a form are fine)."""

    title: str = ""
    body: str = ""
    kind: str = SegmentKind.CCHC_NEWS.value
    area: str | None = None
    procedure: str | None = None
    audience: str = ""
    valid_from: Any = None
    valid_to: Any = None
    chime_before: bool = False

    @classmethod
    def from_mapping(cls, data: Any) -> SegmentFields:
        """Give back the fields read from a form or a JSON object (text fields must be text)."""

        def get(name: str) -> Any:
            value = data.get(name)
            if value is not None and not isinstance(value, str) and name != "chime_before":
                raise ContentError(f"Trường «{name}» phải là chuỗi chữ.", name)
            return value

        return cls(
            title=(get("title") or "").strip(),
            body=(get("body") or "").replace("\r\n", "\n").strip(),
            kind=(get("kind") or "").strip(),
            area=(get("area") or "").strip() or None,
            procedure=(get("procedure") or "").strip() or None,
            audience=(get("audience") or "").strip(),
            valid_from=get("valid_from"),
            valid_to=get("valid_to"),
            chime_before=str(get("chime_before") or "").lower() in ("1", "on", "true", "yes"),
        )

    def cleaned(self, *, has_audio: bool = False) -> dict[str, Any]:
        """Give back model-ready values, or raise ContentError naming the first bad field."""
        valid_from = parse_date(self.valid_from, "valid_from")
        valid_to = parse_date(self.valid_to, "valid_to")
        validate_segment_fields(
            self.title, self.body, self.kind, self.area, valid_from, valid_to, has_audio=has_audio
        )
        if self.procedure and len(self.procedure) > 100:
            raise ContentError("Tên thủ tục dài quá 100 ký tự.", "procedure")
        if len(self.audience) > 200:
            raise ContentError("Đối tượng dài quá 200 ký tự.", "audience")
        return {
            "title": self.title,
            "body": self.body,
            "kind": SegmentKind(self.kind),
            "area": CchcArea(self.area) if self.area else None,
            "procedure": self.procedure,
            "audience": self.audience,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "chime_before": self.chime_before,
        }


def can_edit(user: User | Any, segment: Segment) -> bool:
    """Tell whether this user may change the segment: its author (editor) or an admin."""
    role = Role(getattr(user, "role", None) or Role.OPERATOR)
    if segment.status == SegmentStatus.ARCHIVED:
        return False
    if role == Role.ADMIN:
        return True
    return role == Role.EDITOR and segment.author_id == user.id


def create_segment(
    session: Session,
    station: Station | int,
    user: User | None,
    fields: SegmentFields,
    *,
    upload_asset_id: int | None = None,
) -> Segment:
    """Give back a new draft segment written by ``user``; nothing is added when a field is wrong.

    ``user`` None is the command line's system account (the hub's ``publish``), audited as such.
    """
    if user is not None and Role(user.role) not in (Role.EDITOR, Role.ADMIN):
        raise NotAllowed("Chỉ biên tập viên hoặc quản trị viên được viết tin.")
    values = fields.cleaned(has_audio=upload_asset_id is not None)
    station_id = station if isinstance(station, int) else station.id
    seg = Segment(
        station_id=station_id,
        status=SegmentStatus.DRAFT,
        author_id=user.id if user else None,
        upload_asset_id=upload_asset_id,
        **values,
    )
    session.add(seg)
    session.flush()
    record(
        session,
        user=user,
        action="create",
        entity="segment",
        entity_id=seg.id,
        after=snapshot(seg),
        station_id=station_id,
    )
    return seg


def update_segment(
    session: Session,
    segment: Segment,
    user: User,
    fields: SegmentFields,
    *,
    upload_asset_id: int | None | bool = False,
) -> bool:
    """Give back whether the segment went back to draft, after applying the edited fields.

    A change to an approved (or submitted) segment sends it back to draft: what a leader approved
    is exactly what airs. ``upload_asset_id=False`` keeps the current recording, None removes it.
    """
    refuse_hub_origin(segment)
    if not can_edit(user, segment):
        raise NotAllowed("Bạn không có quyền sửa tin này.")
    new_upload = segment.upload_asset_id if upload_asset_id is False else upload_asset_id
    values = fields.cleaned(has_audio=new_upload is not None)
    values["upload_asset_id"] = new_upload
    changed = {k: v for k, v in values.items() if getattr(segment, k) != v}
    if not changed:
        return False
    before = snapshot(segment)
    for k, v in changed.items():
        setattr(segment, k, v)
    back_to_draft = segment.status in (SegmentStatus.APPROVED, SegmentStatus.SUBMITTED)
    if back_to_draft:
        segment.status = SegmentStatus.DRAFT
        segment.approver_id = None
        segment.approved_at = None
        segment.submitted_at = None
    if "body" in changed:
        segment.render_asset_id = None  # stale speech; rendered again on demand
    segment.updated_at = utcnow()
    session.flush()
    record(
        session,
        user=user,
        action="update",
        entity="segment",
        entity_id=segment.id,
        before=before,
        after=snapshot(segment),
        station_id=segment.station_id,
    )
    return back_to_draft


# --------------------------------------------------------------------------- procedure notices

PROCEDURE_FIELDS = (
    ("procedure_name", "Tên thủ tục"),
    ("who", "Ai được làm thủ tục"),
    ("documents", "Hồ sơ cần chuẩn bị"),
    ("where", "Nơi nộp và cách nộp"),
    ("online", "Nộp trực tuyến"),
    ("time_limit", "Thời hạn giải quyết"),
    ("fee", "Lệ phí"),
)


def mid_sentence(text: str) -> str:
    """Give back text that goes after other words: its typed capital first letter made small.

    Only the very first letter changes ("Đăng ký khai sinh" → "đăng ký khai sinh"); a first word in
    capitals (an abbreviation: "CCCD", "UBND") or with capitals inside ("eID") stays as typed, and so
    do the proper nouns after it.
    """
    if not text:
        return text
    first = text.split()[0]
    letters = [c for c in first if c.isalpha()]
    if not letters or not letters[0].isupper() or any(c.isupper() for c in letters[1:]):
        return text
    i = text.index(letters[0])
    return text[:i] + text[i].lower() + text[i + 1 :]


def procedure_text(data: Any) -> tuple[str, str]:
    """Give back (title, body) of a procedure notice built from the structured form's fields.

    The body is ordinary text the officer may then edit; the online submission on the national
    public-service portal is always mentioned, since the CCHC plans ask for it.
    """
    get = data.get
    name = (get("procedure_name") or "").strip()
    if not name:
        raise ContentError("Hãy nhập tên thủ tục.", "procedure_name")
    if len(name) > 100:
        raise ContentError("Tên thủ tục dài quá 100 ký tự.", "procedure_name")
    who = (get("who") or "").strip()
    docs = [line.strip(" -+•\t") for line in (get("documents") or "").splitlines() if line.strip(" -+•\t")]
    where = (get("where") or "").strip()
    online = str(get("online") or "").lower() in ("1", "on", "true", "yes")
    limit = (get("time_limit") or "").strip()
    fee = (get("fee") or "").strip()
    name = mid_sentence(name)
    parts = [f"Thưa bà con, Ủy ban nhân dân xã hướng dẫn thủ tục {name}."]
    if who:
        parts.append(f"Người được làm thủ tục: {who.rstrip('.')}.")
    if docs:
        parts.append("Hồ sơ gồm: " + "; ".join(d.rstrip(".;") for d in docs) + ".")
    if where:
        parts.append(f"Nơi nộp hồ sơ: {where.rstrip('.')}.")
    if online:
        parts.append(
            "Bà con có thể nộp hồ sơ trực tuyến trên Cổng dịch vụ công quốc gia tại địa chỉ "
            f"{DVC_PORTAL}, không phải đi lại."
        )
    if limit:
        parts.append(f"Thời hạn giải quyết: {limit.rstrip('.')}.")
    parts.append(f"Lệ phí: {fee.rstrip('.')}." if fee else "Thủ tục này không mất lệ phí.")
    parts.append("Mọi vướng mắc xin liên hệ bộ phận một cửa của Ủy ban nhân dân xã để được hướng dẫn.")
    return f"Hướng dẫn thủ tục {name}"[:300], "\n\n".join(parts)
