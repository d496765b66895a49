"""Programmes through the API: create, rename, items added, moved and removed, delete."""

from __future__ import annotations

from flask import jsonify, request, url_for
from sqlalchemy import select

from ... import content, rules
from ...config import public_spec
from ...db import utcnow
from ...models import RELAY_FALLBACKS, ItemType, Programme
from .._core import commit, config, db, station
from ._base import READERS, WRITERS, ApiError, Field, actor, endpoint
from ._segments import segment_json

TAG = "Chương trình"
PROGRAMME_FIELDS = (
    Field("title", "string", "Tên chương trình (tối đa 300 ký tự)", "Bản tin sáng", True),
    Field("description", "string", "Mô tả", "Phát lúc 5 giờ 30 hằng ngày"),
    Field("month", "string", "Tháng của chuyên mục (mm/yyyy hoặc yyyy-mm)", "12/2026"),
)
FALLBACK_FIELDS = (
    Field(
        "fallback",
        "string",
        "Khi luồng tiếp sóng lỗi thì phát thay (khi loại là relay; bỏ trống: theo cài đặt của đài): "
        + ", ".join(f"{k} = {v}" for k, v in RELAY_FALLBACKS.items()),
        "next",
        choices=tuple(RELAY_FALLBACKS),
    ),
    Field("fallback_segment_id", "integer", "Mã số bản tin đã duyệt phát thay (khi fallback là item)", 12),
)
ITEM_FIELDS = (
    Field("item_type", "string", "Loại mục", "segment", True, choices=tuple(ItemType)),
    Field("segment_id", "integer", "Mã số bản tin đã duyệt (khi loại là segment)", 12),
    Field(
        "chime",
        "string",
        "Nhạc hiệu có sẵn (khi loại là chime): "
        + ", ".join(f"{k} = {v}" for k, v in rules.CHIME_LABELS.items()),
        "mo-dau",
        choices=tuple(rules.CHIME_LABELS),
    ),
    Field("pause_s", "number", "Khoảng lặng, giây (0,1–60; khi loại là pause)", 1.5),
    Field(
        "stream_url",
        "string",
        "Địa chỉ luồng tiếp sóng, http(s):// MP3/AAC hoặc .m3u8 (khi loại là relay)",
        "http://dai-huyen.vn:8000/truc-tiep.mp3",
    ),
    Field("relay_min", "number", "Thời lượng tiếp sóng, phút (khi loại là relay)", 15),
    *FALLBACK_FIELDS,
    Field("position", "integer", "Chèn vào vị trí này (0 là đầu; bỏ trống: cuối chương trình)", 0),
)
MONTHLY_ITEM = (
    Field("type", "string", "Loại mục", "segment", True, choices=tuple(ItemType)),
    Field("segment_id", "integer", "Mã số bản tin đã duyệt", 12),
    Field("chime", "string", "Tên nhạc hiệu", "mo-dau"),
    Field("pause_ms", "integer", "Khoảng lặng, mili giây", 1000),
)
MONTHLY_FIELDS = (
    Field("month", "string", "Tháng (mm/yyyy hoặc yyyy-mm)", "12/2026", True),
    Field("title", "string", "Tên chuyên mục (bỏ trống: tên thường dùng của tháng)", ""),
    Field(
        "items",
        "objects",
        "Các mục theo thứ tự, như «muc» của bản đề xuất; cần ít nhất một tin «Nêu gương người tốt, việc tốt»",
        [{"type": "chime", "chime": "mo-dau"}, {"type": "segment", "segment_id": 12}],
        True,
        parts=MONTHLY_ITEM,
    ),
)
MOVE_FIELDS = (Field("step", "integer", "-1: lên một bậc, 1: xuống một bậc", -1, True),)
EXAMPLE = {
    "id": 3,
    "uid": "9a1e…",
    "ten": "Bản tin sáng",
    "mo_ta": "",
    "thang": None,
    "tong_thoi_luong_ms": 95_000,
    "muc": [
        {
            "id": 7,
            "vi_tri": 0,
            "loai": "segment",
            "ban_tin_id": 12,
            "nhac_hieu": None,
            "lang_ms": None,
            "thoi_luong_ms": 92_500,
            "uoc_tinh": True,
        }
    ],
    "co_the_phat": True,
    "van_de": [],
}


def programme_json(p: Programme) -> dict:
    """Give back a programme with its items, their durations and whether it may air."""
    durations, total = content.item_durations(p)
    problems = content.programme_problems(p)
    return {
        "id": p.id,
        "uid": p.uid,
        "ten": p.title,
        "mo_ta": p.description,
        "thang": p.month,
        "tong_thoi_luong_ms": total,
        "muc": [
            {
                "id": d.item.id,
                "vi_tri": d.item.position,
                "loai": d.item.item_type.value,
                "ban_tin_id": d.item.segment_id,
                "nhac_hieu": d.item.chime,
                "lang_ms": d.item.pause_ms,
                "luong_tiep_song": public_spec(d.item.stream_url) if d.item.stream_url else None,
                "phat_thay": d.item.fallback,
                "ban_tin_phat_thay": d.item.fallback_segment_id,
                "thoi_luong_ms": d.ms,
                "uoc_tinh": d.estimated,
            }
            for d in durations
        ],
        "co_the_phat": not problems,
        "van_de": problems,
    }


def find_programme(programme_id: int) -> Programme:
    """Give back this station's programme, or ApiError 404."""
    p = db().get(Programme, programme_id)
    if p is None or p.station_id != station().id:
        raise ApiError(404, "Không có chương trình này.")
    return p


@endpoint(
    "/programmes",
    "GET",
    tag=TAG,
    summary="Danh sách chương trình, các mục và thời lượng",
    roles=READERS,
    example={"chuong_trinh": [EXAMPLE]},
)
def programmes():
    rows = db().scalars(select(Programme).where(Programme.station_id == station().id).order_by(Programme.id))
    return jsonify({"chuong_trinh": [programme_json(p) for p in rows]})


@endpoint(
    "/programmes",
    "POST",
    tag=TAG,
    summary="Tạo chương trình (chưa có mục)",
    roles=WRITERS,
    body=PROGRAMME_FIELDS,
    ok=201,
    errors=(400,),
    example=EXAMPLE | {"muc": [], "tong_thoi_luong_ms": 0},
)
def programme_create(data: dict):
    prog = content.create_programme(
        db(), station(), actor(), data.get("title") or "", data.get("description") or "", data.get("month")
    )
    commit()
    return jsonify(programme_json(prog)), 201, {"Location": url_for("api.programme", programme_id=prog.id)}


@endpoint(
    "/programmes/monthly",
    "GET",
    tag=TAG,
    summary="Đề xuất chuyên mục cải cách hành chính của một tháng (không lưu gì)",
    description="Như trang «Chuyên mục tháng»: nhạc hiệu mở đầu, tin CCHC, một tin người tốt việc tốt, "
    "thông báo thủ tục, đường dây nóng, nhạc hiệu kết thúc, lấy từ các tin đã duyệt còn hiệu lực "
    "trong tháng.",
    roles=WRITERS,
    errors=(400,),
    query=(Field("month", "string", "Tháng (mm/yyyy hoặc yyyy-mm; bỏ trống: tháng này)", "12/2026"),),
    example={
        "thang": "2026-12",
        "ten": "Chuyên mục cải cách hành chính tháng 12/2026",
        "muc": [{"type": "chime", "chime": "mo-dau"}, {"type": "segment", "segment_id": 12}],
        "tin_da_duyet": [],
    },
)
def programme_monthly():
    raw = request.args.get("month") or utcnow().astimezone(config().tz).strftime("%Y-%m")  # as the page
    items = content.propose_monthly(db(), station().id, raw)  # ContentError on a bad month
    month = content.to_month(raw)
    return jsonify(
        {
            "thang": month,
            "ten": content.month_title(month),
            "muc": items,
            "tin_da_duyet": [segment_json(s) for s in content.approved_for_month(db(), station().id, month)],
        }
    )


@endpoint(
    "/programmes/monthly",
    "POST",
    tag=TAG,
    summary="Lưu chuyên mục tháng thành một chương trình",
    roles=WRITERS,
    body=MONTHLY_FIELDS,
    ok=201,
    errors=(400,),
    example=EXAMPLE | {"thang": "2026-12"},
)
def monthly_save(data: dict):
    prog = content.save_monthly(
        db(), station(), actor(), data.get("month") or "", data.get("title") or "", data.get("items") or []
    )
    commit()
    return jsonify(programme_json(prog)), 201, {"Location": url_for("api.programme", programme_id=prog.id)}


@endpoint(
    "/programmes/<int:programme_id>",
    "GET",
    tag=TAG,
    summary="Một chương trình",
    roles=READERS,
    errors=(404,),
    example=EXAMPLE,
)
def programme(programme_id: int):
    return jsonify(programme_json(find_programme(programme_id)))


@endpoint(
    "/programmes/<int:programme_id>",
    "PATCH",
    tag=TAG,
    summary="Đổi tên, mô tả, tháng (trường không gửi giữ nguyên)",
    roles=WRITERS,
    body=PROGRAMME_FIELDS,
    errors=(400, 404),
    example=EXAMPLE,
)
def programme_update(programme_id: int, data: dict):
    prog = find_programme(programme_id)
    current = {"title": prog.title, "description": prog.description, "month": prog.month}
    merged = current | data
    content.update_programme(
        db(), prog, actor(), merged["title"] or "", merged["description"] or "", merged["month"]
    )
    commit()
    return jsonify(programme_json(prog))


@endpoint(
    "/programmes/<int:programme_id>",
    "DELETE",
    tag=TAG,
    summary="Xoá chương trình",
    description="Không xoá được chương trình đang có lịch phát hoặc đã từng phát (409).",
    roles=WRITERS,
    ok=204,
    errors=(404, 409),
)
def programme_delete(programme_id: int):
    content.delete_programme(db(), find_programme(programme_id), actor())
    commit()
    return "", 204


@endpoint(
    "/programmes/<int:programme_id>/items",
    "POST",
    tag=TAG,
    summary="Thêm một mục: bản tin đã duyệt, nhạc hiệu hoặc khoảng lặng",
    roles=WRITERS,
    body=ITEM_FIELDS,
    ok=201,
    errors=(400, 404),
    example=EXAMPLE,
)
def item_add(programme_id: int, data: dict):
    prog = find_programme(programme_id)
    try:
        content.add_item(
            db(),
            prog,
            actor(),
            data.get("item_type") or "",
            segment_id=data.get("segment_id"),
            chime=data.get("chime"),
            pause_ms=data.get("pause_s"),  # add_item reads the form's seconds
            position=data.get("position"),
            stream_url=data.get("stream_url"),
            duration_s=data.get("relay_min"),  # add_item reads the form's minutes
            fallback=data.get("fallback"),
            fallback_segment_id=data.get("fallback_segment_id"),
        )
    except content.ContentError as exc:
        if exc.field == "pause_ms":
            exc.field = "pause_s"  # the service names the page's inner name; the caller sent pause_s
        elif exc.field == "duration":
            exc.field = "relay_min"
        raise
    commit()
    return jsonify(programme_json(prog)), 201


@endpoint(
    "/programmes/<int:programme_id>/items/<int:item_id>",
    "DELETE",
    tag=TAG,
    summary="Bỏ một mục khỏi chương trình",
    roles=WRITERS,
    errors=(404,),
    example=EXAMPLE,
)
def item_delete(programme_id: int, item_id: int):
    prog = find_programme(programme_id)
    content.remove_item(db(), prog, actor(), item_id)
    commit()
    return jsonify(programme_json(prog))


@endpoint(
    "/programmes/<int:programme_id>/items/<int:item_id>/fallback",
    "POST",
    tag=TAG,
    summary="Đổi cách phát thay khi mất sóng của một mục tiếp sóng",
    roles=WRITERS,
    body=FALLBACK_FIELDS,
    errors=(400, 404),
    example=EXAMPLE,
)
def item_fallback(programme_id: int, item_id: int, data: dict):
    prog = find_programme(programme_id)
    content.set_relay_fallback(
        db(), prog, actor(), item_id, data.get("fallback"), data.get("fallback_segment_id")
    )
    commit()
    return jsonify(programme_json(prog))


@endpoint(
    "/programmes/<int:programme_id>/items/<int:item_id>/move",
    "POST",
    tag=TAG,
    summary="Đưa một mục lên hoặc xuống một bậc",
    roles=WRITERS,
    body=MOVE_FIELDS,
    errors=(400, 404),
    example=EXAMPLE,
)
def item_move(programme_id: int, item_id: int, data: dict):
    prog = find_programme(programme_id)
    if data.get("step") not in (-1, 1):
        raise ApiError(400, "Bước chuyển phải là -1 (lên) hoặc 1 (xuống).", "step")
    content.move_item(db(), prog, actor(), item_id, data["step"])
    commit()
    return jsonify(programme_json(prog))
