"""What the station did and does: the as-run log, the status, and the stop command."""

from __future__ import annotations

from flask import g, jsonify, request

from ... import content
from .._core import commit, config, db, station
from ._base import ALL, OPS, ApiError, Field, actor, endpoint
from ._segments import iso


@endpoint(
    "/asrun",
    "GET",
    tag="Nhật ký phát",
    summary="Nhật ký phát (tối đa 5.000 dòng)",
    roles=ALL,
    errors=(400,),
    query=(
        Field("tu_ngay", "string", "Từ ngày", "01/11/2026", fmt="date"),
        Field("den_ngay", "string", "Đến ngày", "30/11/2026", fmt="date"),
        Field("trang_thai", "string", "Trạng thái", "played"),
        Field("cum_loa", "string", "Mã số cụm loa", "1"),
    ),
    example={
        "nhat_ky": [
            {
                "id": 41,
                "uid": "5b7a…",
                "chuong_trinh": "Bản tin sáng",
                "muc": "Lịch tiêm chủng tháng 12",
                "du_kien": "2026-11-30T22:30:00+00:00",
                "bat_dau": "2026-11-30T22:30:00.004000+00:00",
                "ket_thuc": "2026-11-30T22:31:32+00:00",
                "thoi_luong_ms": 92_000,
                "trang_thai": "played",
                "ly_do": None,
                "cum_loa_id": 1,
                "sha256": "e3b0…",
            }
        ]
    },
)
def asrun():
    tz = config().tz
    f = content.AsRunFilter.parse(request.args, tz)
    rows = content.asrun_entries(db(), station().id, f, tz, limit=5000)
    return jsonify(
        {
            "nhat_ky": [
                {
                    "id": e.id,
                    "uid": e.uid,
                    "chuong_trinh": e.occurrence.title if e.occurrence else None,
                    "muc": e.title,
                    "du_kien": iso(e.scheduled_at),
                    "bat_dau": iso(e.started_at),
                    "ket_thuc": iso(e.ended_at),
                    "thoi_luong_ms": e.duration_ms,
                    "trang_thai": e.status.value,
                    "ly_do": e.reason,
                    "cum_loa_id": e.zone_id,
                    "sha256": e.audio_sha256,
                }
                for e in rows
            ]
        }
    )


@endpoint(
    "/status",
    "GET",
    tag="Trạng thái",
    summary="Đang phát gì và sắp phát gì",
    roles=ALL,
    example={
        "tram": "xa-demo",
        "bo_phat_hoat_dong": True,
        "dang_phat": [],
        "sap_phat": [
            {"id": 88, "tieu_de": "Bản tin sáng", "luc": "2026-11-30T22:30:00+00:00", "uu_tien": "normal"}
        ],
    },
)
def status():
    from ...playout import daemon_alive, on_air, upcoming

    s, st = db(), station()
    return jsonify(
        {
            "tram": st.code,
            "bo_phat_hoat_dong": daemon_alive(s, st.id),
            "dang_phat": [
                {"id": o.id, "tieu_de": o.title, "tu_luc": iso(o.started_at)} for o in on_air(s, st.id)
            ],
            "sap_phat": [
                {"id": o.id, "tieu_de": o.title, "luc": iso(o.scheduled_at), "uu_tien": o.priority.value}
                for o in upcoming(s, st.id, 10)
            ],
        }
    )


@endpoint(
    "/control/stop",
    "POST",
    tag="Điều khiển",
    summary="Dừng buổi phát đang phát",
    roles=OPS,
    body=(),
    ok=202,
    errors=(400,),
    example={"lenh": 17, "thong_bao": "Đã gửi lệnh dừng phát."},
)
def control_stop(data: dict):
    from ...playout import PlayoutError, request_stop

    try:
        cmd = request_stop(db(), station().id, g.api_user.username)
    except PlayoutError as exc:
        raise ApiError(400, str(exc)) from None
    content.record(db(), user=actor(), action="stop", entity="control", entity_id=cmd.id)
    commit()
    return jsonify({"lenh": cmd.id, "thong_bao": "Đã gửi lệnh dừng phát."}), 202
