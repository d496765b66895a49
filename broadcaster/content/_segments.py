from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import CchcArea, Role, Segment, SegmentKind, SegmentStatus, User
from ._audit import record, snapshot
from ._errors import ContentError
from ._refusals import InConflict, NotAllowed, refuse_hub_origin

MAX_TITLE = 300
MAX_BODY = 200_000


def validate_segment_fields(
    title: str,
    body: str,
    kind: str,
    area: str | None,
    valid_from: date | None,
    valid_to: date | None,
    *,
    has_audio: bool = False,
) -> None:
    """Raise ContentError naming the first field that is wrong."""
    if not (title or "").strip():
        raise ContentError("Hãy nhập tiêu đề.", "title")
    if len(title) > MAX_TITLE:
        raise ContentError(f"Tiêu đề dài quá {MAX_TITLE} ký tự.", "title")
    if not has_audio and not (body or "").strip():
        raise ContentError("Hãy nhập nội dung để đọc, hoặc tải lên một tệp âm thanh.", "body")
    if len(body or "") > MAX_BODY:
        raise ContentError(f"Nội dung dài quá {MAX_BODY:,} ký tự.".replace(",", "."), "body")
    try:
        SegmentKind(kind)
    except ValueError:
        raise ContentError("Loại tin không hợp lệ.", "kind") from None
    if area:
        try:
            CchcArea(area)
        except ValueError:
            raise ContentError("Lĩnh vực cải cách hành chính không hợp lệ.", "area") from None
    if valid_from and valid_to and valid_to < valid_from:
        raise ContentError("Ngày hết hiệu lực phải sau ngày bắt đầu.", "valid_to")


def _transition(
    session: Session,
    segment: Segment,
    user: User | None,
    action: str,
    new: SegmentStatus,
    allowed_from: tuple[SegmentStatus, ...],
) -> None:
    refuse_hub_origin(segment)
    if segment.status not in allowed_from:
        raise InConflict(f"Không thể thực hiện vì tin đang ở trạng thái «{segment.status.value}».")
    before = snapshot(segment)
    segment.status = new
    segment.updated_at = utcnow()
    session.flush()
    record(
        session,
        user=user,
        action=action,
        entity="segment",
        entity_id=segment.id,
        before=before,
        after=snapshot(segment),
        station_id=segment.station_id,
    )


def submit(session: Session, segment: Segment, user: User | None) -> None:
    """Send a draft (or a rejected segment, reworked) to the approval queue."""
    if user is not None and user.role == Role.EDITOR and segment.author_id != user.id:
        raise NotAllowed("Biên tập viên chỉ gửi duyệt tin của chính mình.")
    segment.submitted_at = utcnow()
    _transition(
        session,
        segment,
        user,
        "submit",
        SegmentStatus.SUBMITTED,
        (SegmentStatus.DRAFT, SegmentStatus.REJECTED),
    )


def approve(session: Session, segment: Segment, user: User | None, comment: str = "") -> None:
    """Approve a submitted segment; nobody approves their own work."""
    if user is not None:
        if user.role not in (Role.APPROVER, Role.ADMIN):
            raise NotAllowed("Chỉ lãnh đạo duyệt mới được duyệt tin.")
        if segment.author_id == user.id:
            raise NotAllowed("Không được tự duyệt tin do chính mình viết.")
    segment.approver_id = user.id if user else None
    segment.approved_at = utcnow()
    segment.review_comment = comment.strip() or None
    _transition(session, segment, user, "approve", SegmentStatus.APPROVED, (SegmentStatus.SUBMITTED,))


def reject(session: Session, segment: Segment, user: User | None, comment: str) -> None:
    """Return a submitted segment to its author with a reason."""
    if not (comment or "").strip():
        raise ContentError("Hãy ghi lý do trả lại để người viết sửa.", "comment")
    if user is not None:
        if user.role not in (Role.APPROVER, Role.ADMIN):
            raise NotAllowed("Chỉ lãnh đạo duyệt mới được trả lại tin.")
        if segment.author_id == user.id:
            raise NotAllowed("Không được tự duyệt tin do chính mình viết.")
    segment.approver_id = user.id if user else None
    segment.review_comment = comment.strip()
    _transition(session, segment, user, "reject", SegmentStatus.REJECTED, (SegmentStatus.SUBMITTED,))


def archive(session: Session, segment: Segment, user: User | None) -> None:
    _transition(session, segment, user, "archive", SegmentStatus.ARCHIVED, tuple(SegmentStatus))
