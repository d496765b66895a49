"""Segments and their approval through the API: the same services, roles and audit as the pages.

As on the pages, a text that looks damaged (letters lost in a PDF or OCR export, lost tones, font
damage: see segments.speech_check) is shown with its suspicious places, and goes for approval or is
approved only when the request confirms it (``confirm_damage``), having seen them.
"""

from __future__ import annotations

from flask import g, jsonify, request, url_for
from sqlalchemy import select

from ... import content
from ...models import CchcArea, Segment, SegmentKind, SegmentStatus
from .._core import commit, config, db, station
from ..segments import speech_check, speech_setup
from ._base import LEADERS, READERS, WRITERS, ApiError, Field, actor, endpoint, error

TAG = "Bản tin"
TAG_APPROVAL = "Duyệt tin"
SEGMENT_FIELDS = (
    Field("title", "string", "Tiêu đề (tối đa 300 ký tự)", "Lịch tiêm chủng tháng 12", True),
    Field("body", "string", "Nội dung để đọc thành giọng nói", "Trạm y tế xã thông báo…", True),
    Field("kind", "string", "Loại tin", "cchc_news", True, choices=tuple(SegmentKind)),
    Field("area", "string", "Lĩnh vực cải cách hành chính", "procedure", choices=tuple(CchcArea)),
    Field("procedure", "string", "Tên thủ tục hành chính (tối đa 100 ký tự)", "Đăng ký khai sinh"),
    Field("audience", "string", "Đối tượng (tối đa 200 ký tự)", "Các gia đình có trẻ dưới 1 tuổi"),
    Field("valid_from", "string", "Hiệu lực từ ngày (dd/mm/yyyy hoặc yyyy-mm-dd)", "2026-12-01", fmt="date"),
    Field("valid_to", "string", "Hiệu lực đến ngày", "2026-12-31", fmt="date"),
    Field("chime_before", "boolean", "Phát nhạc hiệu trước tin", False),
)
COMMENT = (Field("comment", "string", "Ý kiến của lãnh đạo (bắt buộc khi trả lại)", "Đồng ý phát."),)
CONFIRM_DAMAGE = Field(
    "confirm_damage",
    "boolean",
    "Vẫn làm dù văn bản có chỗ nghi bị lỗi chữ («cho_nghi»): chỉ gửi true khi đã xem và văn bản đúng như vậy",
    False,
)
#: Suspicious places named in the refusal's message itself (all of them are in «cho_nghi»).
DAMAGE_IN_MESSAGE = 5
DAMAGE_NOTE = (
    "Văn bản có chỗ nghi bị lỗi chữ (mất chữ khi sao từ PDF, mất dấu, lỗi phông) thì bị từ chối (409, "
    "«truong» = confirm_damage, các chỗ nghi trong «cho_nghi») trừ khi gửi kèm \"confirm_damage\": true, "
    "như ô «{box}» trên trang."
)
EXAMPLE = {
    "id": 12,
    "uid": "3f0c…",
    "tieu_de": "Lịch tiêm chủng tháng 12",
    "loai": "cchc_news",
    "linh_vuc": None,
    "thu_tuc": None,
    "trang_thai": "draft",
    "cap_nhat": "2026-11-30T08:00:00+00:00",
}
DAMAGE_EXAMPLE = {"so_cho_nghi": 1, "cho_nghi": ["dòng 1, cột 6: «KE HOACH» (thiếu dấu thanh)"]}


def iso(dt) -> str | None:
    """Give back a date or time as ISO 8601 text (None stays None)."""
    return dt.isoformat() if dt is not None else None


def segment_json(s: Segment, full: bool = False) -> dict:
    """Give back a segment as the API shows it (``full``: with its text and review)."""
    d = {
        "id": s.id,
        "uid": s.uid,
        "tieu_de": s.title,
        "loai": s.kind.value,
        "linh_vuc": s.area.value if s.area else None,
        "thu_tuc": s.procedure,
        "trang_thai": s.status.value,
        "cap_nhat": iso(s.updated_at),
    }
    if full:
        d.update(
            {
                "noi_dung": s.body,
                "doi_tuong": s.audience,
                "hieu_luc_tu": iso(s.valid_from),
                "hieu_luc_den": iso(s.valid_to),
                "nhac_hieu_truoc": s.chime_before,
                "y_kien_duyet": s.review_comment,
            }
        )
    return d


def damage_json(s: Segment, setup: tuple[dict[str, str], str] | None = None) -> dict:
    """Give back how many places of the segment's text look damaged and where (one line each)."""
    if not (s.body or "").strip():
        return {"so_cho_nghi": 0, "cho_nghi": []}
    check = speech_check(s.body, setup or speech_setup(), spoken=False)
    return {"so_cho_nghi": check["count"], "cho_nghi": check["places"]}


def refuse_damaged(s: Segment, data: dict, verb: str) -> None:
    """Raise ApiError 409 naming the places that look damaged, unless the request confirms them.

    Called after the content rule agreed (so a caller who may not do it hears that first) and
    before the commit: the error handler rolls the change back.
    """
    if data.get("confirm_damage") is True:
        return
    found = damage_json(s)
    n = found["so_cho_nghi"]
    if not n:
        return
    shown = found["cho_nghi"][:DAMAGE_IN_MESSAGE]
    more = f"; … và {n - len(shown)} chỗ khác" if n > len(shown) else ""
    raise ApiError(
        409,
        f"Chưa {verb}: văn bản có {n} chỗ nghi bị lỗi chữ: {'; '.join(shown)}{more}. Hãy sửa văn bản, "
        f'hoặc gửi lại kèm "confirm_damage": true nếu văn bản đúng như vậy.',
        CONFIRM_DAMAGE.name,
        **found,
    )


def find_segment(segment_id: int) -> Segment:
    """Give back this station's segment, or ApiError 404."""
    s = db().get(Segment, segment_id)
    if s is None or s.station_id != station().id:
        raise ApiError(404, "Không có bản tin này.")
    return s


@endpoint(
    "/segments",
    "GET",
    tag=TAG,
    summary="Danh sách bản tin",
    roles=READERS,
    errors=(400,),
    query=(
        Field("q", "string", "Tìm trong tiêu đề và nội dung", "tiêm chủng"),
        Field("month", "string", "Tháng sửa gần nhất (mm/yyyy hoặc yyyy-mm)", "11/2026"),
        Field("kind", "string", "Loại tin", "cchc_news"),
        Field("area", "string", "Lĩnh vực CCHC", "procedure"),
        Field("status", "string", "Trạng thái", "approved"),
    ),
    example={"ban_tin": [EXAMPLE]},
)
def segments():
    a = request.args
    rows = content.search_segments(
        db(),
        station().id,
        q=a.get("q", ""),
        month=a.get("month", ""),
        kind=a.get("kind", ""),
        area=a.get("area", ""),
        status=a.get("status", ""),
        tz=config().tz,
    )
    return jsonify({"ban_tin": [segment_json(s) for s in rows]})


@endpoint(
    "/segments",
    "POST",
    tag=TAG,
    summary="Viết bản tin mới (bản nháp)",
    roles=WRITERS,
    body=SEGMENT_FIELDS,
    ok=201,
    errors=(400,),
    example=EXAMPLE,
)
def segment_create(data: dict):
    seg = content.create_segment(db(), station(), actor(), content.SegmentFields.from_mapping(data))
    commit()
    return jsonify(segment_json(seg, full=True)), 201, {"Location": url_for("api.segment", segment_id=seg.id)}


@endpoint(
    "/segments/<int:segment_id>",
    "GET",
    tag=TAG,
    summary="Một bản tin, cả nội dung",
    description="«cho_nghi»: các chỗ của văn bản nghi bị lỗi chữ, như được đánh dấu trên trang.",
    roles=READERS,
    errors=(404,),
    example=EXAMPLE | {"noi_dung": "Trạm y tế xã thông báo…", "y_kien_duyet": None} | DAMAGE_EXAMPLE,
)
def segment(segment_id: int):
    seg = find_segment(segment_id)
    return jsonify(segment_json(seg, full=True) | damage_json(seg))


@endpoint(
    "/segments/<int:segment_id>",
    "PATCH",
    tag=TAG,
    summary="Sửa bản tin (trường không gửi giữ nguyên)",
    description="Như trên trang: chỉ người viết hoặc quản trị viên được sửa; tin đã duyệt hoặc đang "
    "chờ duyệt mà bị sửa sẽ trở về bản nháp và phải duyệt lại (trường «ve_ban_nhap»).",
    roles=WRITERS,
    body=SEGMENT_FIELDS,
    errors=(400, 404),
    example=EXAMPLE | {"ve_ban_nhap": True},
)
def segment_update(segment_id: int, data: dict):
    seg = find_segment(segment_id)
    current = {
        "title": seg.title,
        "body": seg.body,
        "kind": seg.kind.value,
        "area": seg.area.value if seg.area else None,
        "procedure": seg.procedure,
        "audience": seg.audience,
        "valid_from": iso(seg.valid_from),
        "valid_to": iso(seg.valid_to),
        "chime_before": seg.chime_before,
    }
    back = content.update_segment(db(), seg, actor(), content.SegmentFields.from_mapping(current | data))
    commit()
    return jsonify(segment_json(seg, full=True) | {"ve_ban_nhap": back})


@endpoint(
    "/segments/<int:segment_id>/submit",
    "POST",
    tag=TAG_APPROVAL,
    summary="Gửi bản tin cho lãnh đạo duyệt",
    description="Biên tập viên chỉ gửi tin của chính mình; tin phải đang là bản nháp hoặc bị trả lại. "
    + DAMAGE_NOTE.format(box="Vẫn gửi duyệt"),
    roles=WRITERS,
    body=(CONFIRM_DAMAGE,),
    errors=(403, 404, 409),
    example=EXAMPLE | {"trang_thai": "submitted"},
)
def segment_submit(segment_id: int, data: dict):
    seg = find_segment(segment_id)
    content.submit(db(), seg, actor())
    refuse_damaged(seg, data, "gửi duyệt")
    commit()
    return jsonify(segment_json(seg))


@endpoint(
    "/segments/<int:segment_id>/archive",
    "POST",
    tag=TAG,
    summary="Chuyển bản tin vào lưu trữ",
    roles=WRITERS,
    body=(),
    errors=(403, 404, 409),
    example=EXAMPLE | {"trang_thai": "archived"},
)
def segment_archive(segment_id: int, data: dict):
    seg = find_segment(segment_id)
    if not content.can_edit(g.api_user, seg):
        return error(403, "Bạn không có quyền lưu trữ tin này.")
    content.archive(db(), seg, actor())
    commit()
    return jsonify(segment_json(seg))


@endpoint(
    "/approvals",
    "GET",
    tag=TAG_APPROVAL,
    summary="Các bản tin đang chờ duyệt",
    description="Mỗi tin kèm «cho_nghi»: các chỗ nghi bị lỗi chữ mà người duyệt cần xem trước khi duyệt.",
    roles=LEADERS,
    example={"cho_duyet": [EXAMPLE | {"trang_thai": "submitted"} | DAMAGE_EXAMPLE]},
)
def approvals():
    rows = db().scalars(
        select(Segment)
        .where(Segment.station_id == station().id, Segment.status == SegmentStatus.SUBMITTED)
        .order_by(Segment.submitted_at, Segment.id)
    )
    setup = speech_setup()  # the station's dictionary, read once for the whole queue
    return jsonify({"cho_duyet": [segment_json(s, full=True) | damage_json(s, setup) for s in rows]})


@endpoint(
    "/segments/<int:segment_id>/approve",
    "POST",
    tag=TAG_APPROVAL,
    summary="Duyệt bản tin",
    description="Chỉ lãnh đạo duyệt hoặc quản trị viên; không ai tự duyệt tin mình viết. "
    + DAMAGE_NOTE.format(box="Vẫn duyệt"),
    roles=LEADERS,
    body=(*COMMENT, CONFIRM_DAMAGE),
    errors=(403, 404, 409),
    example=EXAMPLE | {"trang_thai": "approved"},
)
def segment_approve(segment_id: int, data: dict):
    seg = find_segment(segment_id)
    content.approve(db(), seg, actor(), data.get("comment") or "")
    refuse_damaged(seg, data, "duyệt")
    commit()
    return jsonify(segment_json(seg))


@endpoint(
    "/segments/<int:segment_id>/reject",
    "POST",
    tag=TAG_APPROVAL,
    summary="Trả lại bản tin cho người viết, kèm lý do",
    roles=LEADERS,
    body=COMMENT,
    errors=(400, 403, 404, 409),
    example=EXAMPLE | {"trang_thai": "rejected", "y_kien_duyet": "Sửa lại ngày tiêm."},
)
def segment_reject(segment_id: int, data: dict):
    seg = find_segment(segment_id)
    content.reject(db(), seg, actor(), data.get("comment") or "")
    commit()
    return jsonify(segment_json(seg))
