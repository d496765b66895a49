"""JSON API under /api/v1: segments, programmes, schedules, as-run, status; an OpenAPI 3 document.

Machines authenticate with ``Authorization: Bearer <token>`` (only the token's sha256 is stored);
the admin's own pages may call it with the session cookie, and then every state-changing call
carries the CSRF token in the ``X-CSRFToken`` header. Errors are JSON with Vietnamese messages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from .. import content
from ..models import Programme, Role, Schedule, Segment, User
from ._core import LoginUser, commit, config, db, station

bp = Blueprint("api", __name__, url_prefix="/api/v1")
ALL = (Role.ADMIN, Role.EDITOR, Role.APPROVER, Role.OPERATOR)
READERS = (Role.ADMIN, Role.EDITOR, Role.APPROVER)
WRITERS = (Role.ADMIN, Role.EDITOR)


def _err(code: int, message: str):
    return jsonify({"loi": message, "ma": code}), code


@bp.before_request
def _authenticate():
    """Bearer token first; else the browser session, whose unsafe calls need the CSRF header."""
    g.api_user = None
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = content.verify_token(db(), header[7:].strip())
        if user is None:
            return _err(401, "Mã truy cập không hợp lệ hoặc đã bị thu hồi.")
        commit()  # last_used_at
        g.api_user = LoginUser(user)
        g.api_token = True
        return None
    if not current_user.is_authenticated:
        return _err(401, "Cần đăng nhập hoặc mã truy cập (Authorization: Bearer).")
    g.api_user = current_user
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        from . import csrf

        try:
            csrf.protect()
        except CSRFError:
            return _err(400, "Thiếu hoặc sai mã chống giả mạo (tiêu đề X-CSRFToken).")
    return None


def api_roles(*allowed: Role) -> Callable:
    def deco(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*a: Any, **kw: Any):
            if g.api_user is None or g.api_user.role not in allowed:
                return _err(403, "Tài khoản này không được dùng chức năng này.")
            return view(*a, **kw)

        wrapped.allowed_roles = set(allowed)
        return wrapped

    return deco


def _iso(dt) -> str | None:
    return dt.isoformat() if dt is not None else None


def segment_json(s: Segment, full: bool = False) -> dict:
    d = {
        "id": s.id,
        "uid": s.uid,
        "tieu_de": s.title,
        "loai": s.kind.value,
        "linh_vuc": s.area.value if s.area else None,
        "thu_tuc": s.procedure,
        "trang_thai": s.status.value,
        "cap_nhat": _iso(s.updated_at),
    }
    if full:
        d.update(
            {
                "noi_dung": s.body,
                "doi_tuong": s.audience,
                "hieu_luc_tu": _iso(s.valid_from),
                "hieu_luc_den": _iso(s.valid_to),
                "y_kien_duyet": s.review_comment,
            }
        )
    return d


@bp.route("/segments", methods=["GET"])
@api_roles(*READERS)
def segments():
    a = request.args
    try:
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
    except content.ContentError as exc:
        return _err(400, str(exc))
    return jsonify({"ban_tin": [segment_json(s) for s in rows]})


@bp.route("/segments", methods=["POST"])
@api_roles(*WRITERS)
def segment_create():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _err(400, "Nội dung gửi lên phải là một đối tượng JSON.")
    try:
        user = db().get(User, g.api_user.id)
        seg = content.create_segment(db(), station(), user, content.SegmentFields.from_mapping(data))
        commit()
    except content.ContentError as exc:
        db().rollback()
        return jsonify({"loi": str(exc), "truong": exc.field, "ma": 400}), 400
    return jsonify(segment_json(seg, full=True)), 201, {"Location": url_for("api.segment", segment_id=seg.id)}


@bp.route("/segments/<int:segment_id>", methods=["GET"])
@api_roles(*READERS)
def segment(segment_id: int):
    s = db().get(Segment, segment_id)
    if s is None or s.station_id != station().id:
        return _err(404, "Không có bản tin này.")
    return jsonify(segment_json(s, full=True))


def programme_json(p: Programme) -> dict:
    durations, total = content.item_durations(p)
    return {
        "id": p.id,
        "uid": p.uid,
        "ten": p.title,
        "thang": p.month,
        "tong_thoi_luong_ms": total,
        "muc": [
            {
                "vi_tri": d.item.position,
                "loai": d.item.item_type.value,
                "ban_tin_id": d.item.segment_id,
                "nhac_hieu": d.item.chime,
                "lang_ms": d.item.pause_ms,
                "thoi_luong_ms": d.ms,
                "uoc_tinh": d.estimated,
            }
            for d in durations
        ],
        "co_the_phat": not content.programme_problems(p),
    }


@bp.route("/programmes", methods=["GET"])
@api_roles(*READERS)
def programmes():
    rows = db().scalars(select(Programme).where(Programme.station_id == station().id).order_by(Programme.id))
    return jsonify({"chuong_trinh": [programme_json(p) for p in rows]})


@bp.route("/programmes/<int:programme_id>", methods=["GET"])
@api_roles(*READERS)
def programme(programme_id: int):
    p = db().get(Programme, programme_id)
    if p is None or p.station_id != station().id:
        return _err(404, "Không có chương trình này.")
    return jsonify(programme_json(p))


@bp.route("/schedules", methods=["GET"])
@api_roles(*ALL)
def schedules():
    from ..playout import describe

    rows = db().scalars(select(Schedule).where(Schedule.station_id == station().id).order_by(Schedule.id))
    return jsonify(
        {
            "lich": [
                {
                    "id": s.id,
                    "uid": s.uid,
                    "ten": s.name,
                    "chuong_trinh_id": s.programme_id,
                    "lap_lai": s.recurrence.value,
                    "mo_ta": describe(s),
                    "gio": s.start_time.strftime("%H:%M"),
                    "khung_phut": s.window_minutes,
                    "tu_ngay": _iso(s.start_date),
                    "den_ngay": _iso(s.end_date),
                    "uu_tien": s.priority.value,
                    "bat": s.enabled,
                    "cum_loa": [z.code for z in s.zones],
                }
                for s in rows
            ]
        }
    )


@bp.route("/asrun", methods=["GET"])
@api_roles(*ALL)
def asrun():
    tz = config().tz
    try:
        f = content.AsRunFilter.parse(request.args, tz)
    except content.ContentError as exc:
        return jsonify({"loi": str(exc), "truong": exc.field, "ma": 400}), 400
    rows = content.asrun_entries(db(), station().id, f, tz, limit=5000)
    return jsonify(
        {
            "nhat_ky": [
                {
                    "id": e.id,
                    "uid": e.uid,
                    "chuong_trinh": e.occurrence.title if e.occurrence else None,
                    "muc": e.title,
                    "du_kien": _iso(e.scheduled_at),
                    "bat_dau": _iso(e.started_at),
                    "ket_thuc": _iso(e.ended_at),
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


@bp.route("/status", methods=["GET"])
@api_roles(*ALL)
def status():
    from ..playout import daemon_alive, on_air, upcoming

    s, st = db(), station()
    return jsonify(
        {
            "tram": st.code,
            "bo_phat_hoat_dong": daemon_alive(s, st.id),
            "dang_phat": [
                {"id": o.id, "tieu_de": o.title, "tu_luc": _iso(o.started_at)} for o in on_air(s, st.id)
            ],
            "sap_phat": [
                {"id": o.id, "tieu_de": o.title, "luc": _iso(o.scheduled_at), "uu_tien": o.priority.value}
                for o in upcoming(s, st.id, 10)
            ],
        }
    )


@bp.route("/control/stop", methods=["POST"])
@api_roles(Role.ADMIN, Role.OPERATOR)
def control_stop():
    from ..playout import PlayoutError, request_stop

    try:
        cmd = request_stop(db(), station().id, g.api_user.username)
        content.record(
            db(), user=db().get(User, g.api_user.id), action="stop", entity="control", entity_id=cmd.id
        )
        commit()
    except PlayoutError as exc:
        return _err(400, str(exc))
    return jsonify({"lenh": cmd.id, "thong_bao": "Đã gửi lệnh dừng phát."}), 202


@bp.route("/openapi.json", methods=["GET"])
def openapi():
    return jsonify(OPENAPI)


def _op(
    summary: str, tag: str, params: list | None = None, body: dict | None = None, ok: str = "200"
) -> dict:
    op: dict = {
        "summary": summary,
        "tags": [tag],
        "security": [{"bearer": []}, {"cookie": []}],
        "parameters": params or [],
        "responses": {
            ok: {"description": "Thành công", "content": {"application/json": {}}},
            "401": {"$ref": "#/components/responses/Loi"},
            "403": {"$ref": "#/components/responses/Loi"},
        },
    }
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _q(name: str, desc: str, fmt: str | None = None) -> dict:
    schema = {"type": "string"} | ({"format": fmt} if fmt else {})
    return {"name": name, "in": "query", "required": False, "description": desc, "schema": schema}


def _path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


OPENAPI: dict = {
    "openapi": "3.0.3",
    "info": {
        "title": "Phần mềm đài truyền thanh xã — API",
        "version": "1",
        "description": "Bản tin, chương trình, lịch phát, nhật ký phát và trạng thái của đài. "
        'Lỗi trả về JSON: {"loi": "…", "ma": mã lỗi}.',
    },
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "Mã truy cập do quản trị viên cấp (broadcaster token add).",
            },
            "cookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": "broadcaster_session",
                "description": "Phiên đăng nhập trên trình duyệt; lệnh thay đổi cần tiêu đề X-CSRFToken.",
            },
        },
        "responses": {
            "Loi": {
                "description": "Lỗi",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"loi": {"type": "string"}, "ma": {"type": "integer"}},
                        }
                    }
                },
            }
        },
    },
    "paths": {
        "/segments": {
            "get": _op(
                "Danh sách bản tin",
                "Bản tin",
                [
                    _q("q", "Tìm trong tiêu đề và nội dung"),
                    _q("month", "Tháng NNNN-TT"),
                    _q("kind", "Loại tin"),
                    _q("area", "Lĩnh vực CCHC"),
                    _q("status", "Trạng thái"),
                ],
            ),
            "post": _op(
                "Viết bản tin mới (bản nháp)",
                "Bản tin",
                body={
                    "type": "object",
                    "required": ["title", "body", "kind"],
                    "properties": {
                        k: {"type": "boolean" if k == "chime_before" else "string"}
                        for k in content.EDITABLE_FIELDS
                    },
                },
                ok="201",
            ),
        },
        "/segments/{segment_id}": {"get": _op("Một bản tin", "Bản tin", [_path_id("segment_id")])},
        "/programmes": {"get": _op("Danh sách chương trình, các mục và thời lượng", "Chương trình")},
        "/programmes/{programme_id}": {
            "get": _op("Một chương trình", "Chương trình", [_path_id("programme_id")])
        },
        "/schedules": {"get": _op("Các lịch phát", "Lịch phát")},
        "/asrun": {
            "get": _op(
                "Nhật ký phát",
                "Nhật ký phát",
                [
                    _q("tu_ngay", "Từ ngày", "date"),
                    _q("den_ngay", "Đến ngày", "date"),
                    _q("trang_thai", "Trạng thái"),
                    _q("cum_loa", "Mã số cụm loa"),
                ],
            )
        },
        "/status": {"get": _op("Đang phát gì và sắp phát gì", "Trạng thái")},
        "/control/stop": {"post": _op("Dừng buổi phát đang phát", "Điều khiển", ok="202")},
        "/openapi.json": {
            "get": {
                "summary": "Tài liệu OpenAPI này",
                "tags": ["Tài liệu"],
                "responses": {"200": {"description": "Thành công"}},
            }
        },
    },
}
