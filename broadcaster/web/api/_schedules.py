"""Schedules through the API: the page's form rules (recurrence, conflicts, approved content only)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from sqlalchemy import select

from ... import content
from ...models import Priority, Recurrence, Role, Schedule, Zone
from .._core import commit, db, station
from ._base import ALL, ApiError, Field, actor, endpoint
from ._segments import iso

TAG = "Lịch phát"
#: The schedule pages' roles: editors, approvers and the admin write schedules; operators read them.
EDITORS = (Role.ADMIN, Role.EDITOR, Role.APPROVER)
SCHEDULE_FIELDS = (
    Field("name", "string", "Tên lịch (tối đa 200 ký tự)", "Bản tin sáng"),
    Field("programme_id", "integer", "Mã số chương trình (mọi bản tin trong đó phải đã duyệt)", 3, True),
    Field("recurrence", "string", "Kiểu lặp lại", "weekly", True, choices=tuple(Recurrence)),
    Field(
        "weekdays",
        "integers",
        "Các ngày trong tuần cho lịch hằng tuần (0 = Thứ Hai … 6 = Chủ nhật)",
        [0, 2, 4],
    ),
    Field("month_day", "integer", "Ngày trong tháng (1–31) cho lịch «monthly_day»", 15),
    Field("nth", "integer", "Tuần thứ (1–5, -1 là tuần cuối) cho lịch «monthly_nth»", 1),
    Field("nth_weekday", "integer", "Ngày trong tuần (0–6) cho lịch «monthly_nth»", 0),
    Field("start_time", "string", "Giờ bắt đầu theo giờ của đài (HH:MM)", "05:30", True, fmt="time"),
    Field("window_minutes", "integer", "Khung giờ, phút (mặc định 30)", 30),
    Field("start_date", "string", "Từ ngày (dd/mm/yyyy hoặc yyyy-mm-dd)", "2026-12-01", True, fmt="date"),
    Field("end_date", "string", "Đến ngày (bỏ trống: không hạn)", "2026-12-31", fmt="date"),
    Field("skip_dates", "strings", "Các ngày nghỉ, không phát", ["2027-01-01"]),
    Field("priority", "string", "Mức ưu tiên", "normal", choices=tuple(Priority)),
    Field("replay_count", "integer", "Số lần phát (1–20; mỗi lần là một buổi phát riêng trong nhật ký)", 1),
    Field(
        "replay_gap_s",
        "integer",
        "Các lần phát cách nhau, giây, từ lúc bắt đầu lần này đến lần sau (không ngắn hơn chương trình)",
        0,
    ),
    Field("replay_gap_m", "number", "Cách nhau (phút), thay cho «replay_gap_s» khi có", 15),
    Field(
        "replay_on",
        "string",
        "Chỉ phát nhiều lần vào ngày này (các buổi khác phát một lần; bỏ trống: mọi buổi)",
        "2026-12-05",
        fmt="date",
    ),
    Field(
        "misfire_grace_s", "integer", "Cho phép phát trễ tối đa, giây (bỏ trống: theo cài đặt của đài)", 600
    ),
    Field("overrun", "string", "Khi quá khung giờ", "stop", choices=("stop", "fade", "allow")),
    Field("on_interrupt", "string", "Khi bị ngắt", "resume", choices=("resume", "log")),
    Field("enabled", "boolean", "Bật lịch (mặc định: bật)", True),
    Field("zone_ids", "integers", "Mã số các cụm loa", [1], True),
)
EXAMPLE = {
    "id": 5,
    "uid": "c2d4…",
    "ten": "Bản tin sáng",
    "chuong_trinh_id": 3,
    "lap_lai": "weekly",
    "mo_ta": "Thứ Hai, Thứ Tư, Thứ Sáu lúc 05:30",
    "gio": "05:30",
    "khung_phut": 30,
    "tu_ngay": "2026-12-01",
    "den_ngay": None,
    "uu_tien": "normal",
    "bat": True,
    "cum_loa": ["Z1"],
    "cum_loa_id": [1],
    "thu": [0, 2, 4],
    "ngay_trong_thang": None,
    "tuan_thu": None,
    "thu_cua_tuan": None,
    "ngay_nghi": [],
    "so_lan_phat": 1,
    "cach_nhau_s": 0,
    "cach_nhau_phut": 0.0,
    "phat_nhieu_lan_ngay": None,
    "cho_phep_tre_s": 600,
    "khi_qua_khung": "stop",
    "khi_bi_ngat": "resume",
}


def schedule_json(s: Schedule) -> dict:
    """Give back a schedule with every field the form has, and its Vietnamese description."""
    from ...playout import describe

    return {
        "id": s.id,
        "uid": s.uid,
        "ten": s.name,
        "chuong_trinh_id": s.programme_id,
        "lap_lai": s.recurrence.value,
        "mo_ta": describe(s),
        "gio": s.start_time.strftime("%H:%M:%S" if s.start_time.second else "%H:%M"),
        "khung_phut": s.window_minutes,
        "tu_ngay": iso(s.start_date),
        "den_ngay": iso(s.end_date),
        "uu_tien": s.priority.value,
        "bat": s.enabled,
        "cum_loa": [z.code for z in s.zones],
        "cum_loa_id": [z.id for z in s.zones],
        "thu": list(s.weekdays or []),
        "ngay_trong_thang": s.month_day,
        "tuan_thu": s.nth,
        "thu_cua_tuan": s.nth_weekday,
        "ngay_nghi": list(s.skip_dates or []),
        "so_lan_phat": s.replay_count,
        "cach_nhau_s": s.replay_gap_s,
        "cach_nhau_phut": s.replay_gap_s / 60,
        "phat_nhieu_lan_ngay": iso(s.replay_on),
        "cho_phep_tre_s": s.misfire_grace_s,
        "khi_qua_khung": s.overrun,
        "khi_bi_ngat": s.on_interrupt,
    }


def _as_form(data: dict[str, Any]) -> dict[str, Any]:
    """Give back JSON values in the shape the schedule form posts (what parse_schedule_form reads)."""
    out = dict(data)
    if isinstance(out.get("skip_dates"), list):
        out["skip_dates"] = "\n".join(out["skip_dates"])
    if isinstance(out.get("enabled"), bool):
        out["enabled"] = "1" if out["enabled"] else "0"
    return {k: v for k, v in out.items() if v is not None}


def _current(sc: Schedule) -> dict[str, Any]:
    """Give back a schedule's values as a JSON body would carry them (the base of a PATCH)."""
    values = content.schedule_values(sc)
    values["start_time"] = values["start_time"].isoformat()
    values["start_date"] = iso(values["start_date"])
    values["end_date"] = iso(values["end_date"])
    values["replay_on"] = iso(values["replay_on"])
    values["skip_dates"] = list(values["skip_dates"] or [])
    values["weekdays"] = list(values["weekdays"] or [])
    return values


def find_schedule(schedule_id: int) -> Schedule:
    """Give back this station's schedule, or ApiError 404."""
    sc = db().get(Schedule, schedule_id)
    if sc is None or sc.station_id != station().id:
        raise ApiError(404, "Không có lịch phát này.")
    return sc


ERRORS_DOC = (
    "Lỗi 400 liệt kê mọi lỗi trong «cac_loi» (mỗi lỗi kèm «truong»); lịch trùng giờ với lịch khác "
    "trả 409 với «trung_gio»."
)


@endpoint(
    "/schedules",
    "GET",
    tag=TAG,
    summary="Các lịch phát",
    roles=ALL,
    example={"lich": [EXAMPLE]},
)
def schedules():
    rows = db().scalars(select(Schedule).where(Schedule.station_id == station().id).order_by(Schedule.id))
    return jsonify({"lich": [schedule_json(s) for s in rows]})


@endpoint(
    "/schedules",
    "POST",
    tag=TAG,
    summary="Tạo lịch phát",
    description="Cùng quy tắc như trang Lịch phát: chương trình chỉ gồm tin đã duyệt, kiểu lặp lại "
    "hợp lệ, không trùng giờ. " + ERRORS_DOC,
    roles=EDITORS,
    body=SCHEDULE_FIELDS,
    ok=201,
    errors=(400, 409),
    example=EXAMPLE,
)
def schedule_create(data: dict):
    # An omitted grace stays unset: the schedule follows the station's grace, as on the page.
    values = content.parse_schedule_form(_as_form(data))
    sc = content.save_schedule(db(), station(), actor(), values, None)
    commit()
    return jsonify(schedule_json(sc)), 201, {"Location": url_for("api.schedule", schedule_id=sc.id)}


@endpoint(
    "/schedules/check",
    "POST",
    tag=TAG,
    summary="Kiểm tra một lịch trước khi lưu (không lưu gì)",
    description="Như nút kiểm tra trên trang: các lỗi (kèm trường), các lịch trùng giờ, và cảnh báo "
    "khi chương trình dài hơn khung giờ. Gửi «schedule_id» để kiểm tra bản sửa của một lịch có sẵn.",
    roles=EDITORS,
    body=SCHEDULE_FIELDS + (Field("schedule_id", "integer", "Lịch đang sửa (bỏ trống: lịch mới)", 5),),
    errors=(400,),
    example={"cac_loi": [], "trung_gio": [], "canh_bao": None},
)
def schedule_check(data: dict):
    sid = data.pop("schedule_id", None)
    base = _current(find_schedule(sid)) if sid is not None else {}
    values = content.parse_schedule_form(_as_form(base | data))
    errors, conflicts, warning = content.check_schedule(db(), station().id, values, sid)
    db().rollback()  # checking may load and touch rows; nothing of it is kept
    return jsonify(
        {
            "cac_loi": [{"truong": content.error_field(m) or None, "loi": m} for m in errors],
            "trung_gio": conflicts,
            "canh_bao": warning,
        }
    )


@endpoint(
    "/zones",
    "GET",
    tag=TAG,
    summary="Các cụm loa (mã số dùng trong «zone_ids»)",
    roles=ALL,
    example={"cum_loa": [{"id": 1, "ma": "Z1", "ten": "Thôn 1", "bat": True}]},
)
def zones():
    rows = db().scalars(select(Zone).where(Zone.station_id == station().id).order_by(Zone.id))
    return jsonify({"cum_loa": [{"id": z.id, "ma": z.code, "ten": z.name, "bat": z.enabled} for z in rows]})


@endpoint(
    "/schedules/<int:schedule_id>",
    "GET",
    tag=TAG,
    summary="Một lịch phát",
    roles=ALL,
    errors=(404,),
    example=EXAMPLE,
)
def schedule(schedule_id: int):
    return jsonify(schedule_json(find_schedule(schedule_id)))


@endpoint(
    "/schedules/<int:schedule_id>",
    "PATCH",
    tag=TAG,
    summary="Sửa lịch phát (trường không gửi giữ nguyên)",
    description=ERRORS_DOC,
    roles=EDITORS,
    body=SCHEDULE_FIELDS,
    errors=(400, 404, 409),
    example=EXAMPLE,
)
def schedule_update(schedule_id: int, data: dict):
    sc = find_schedule(schedule_id)
    values = content.parse_schedule_form(_as_form(_current(sc) | data))
    content.save_schedule(db(), station(), actor(), values, sc)
    commit()
    return jsonify(schedule_json(sc))


def _set_enabled(schedule_id: int, enabled: bool):
    sc = find_schedule(schedule_id)
    content.set_schedule_enabled(db(), sc, actor(), enabled)
    commit()
    return jsonify(schedule_json(sc))


@endpoint(
    "/schedules/<int:schedule_id>/enable",
    "POST",
    tag=TAG,
    summary="Bật lịch phát",
    description="Kiểm tra lại trùng giờ và tin chưa duyệt như khi bật trên trang.",
    roles=EDITORS,
    body=(),
    errors=(400, 404, 409),
    example=EXAMPLE,
)
def schedule_enable(schedule_id: int, data: dict):
    return _set_enabled(schedule_id, True)


@endpoint(
    "/schedules/<int:schedule_id>/disable",
    "POST",
    tag=TAG,
    summary="Tắt lịch phát (giữ lại, các buổi đã phát vẫn trỏ tới nó)",
    roles=EDITORS,
    body=(),
    errors=(404,),
    example=EXAMPLE | {"bat": False},
)
def schedule_disable(schedule_id: int, data: dict):
    return _set_enabled(schedule_id, False)


@endpoint(
    "/schedules/<int:schedule_id>",
    "DELETE",
    tag=TAG,
    summary="Xoá lịch phát chưa từng phát",
    description="Lịch đã có buổi phát trong nhật ký phải giữ làm bằng chứng: trả 409, hãy tắt lịch.",
    roles=EDITORS,
    ok=204,
    errors=(404, 409),
)
def schedule_delete(schedule_id: int):
    content.delete_schedule(db(), find_schedule(schedule_id), actor())
    commit()
    return "", 204
