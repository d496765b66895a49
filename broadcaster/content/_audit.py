from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from ..config import public_spec
from ..models import RECURRENCE_LABELS, WEEKDAY_NAMES, AuditLog, User

#: How the audit page names what was done and to what (the log keeps the short English codes).
ACTION_LABELS = {
    "create": "Tạo mới",
    "update": "Sửa",
    "delete": "Xoá",
    "submit": "Gửi duyệt",
    "approve": "Duyệt",
    "reject": "Trả lại",
    "archive": "Lưu trữ",
    "enable": "Bật",
    "disable": "Tắt",
    "add_item": "Thêm mục",
    "remove_item": "Bỏ mục",
    "move_item": "Đổi thứ tự mục",
    "set_fallback": "Đổi cách phát thay khi mất sóng",
    "set_password": "Đặt mật khẩu",
    "revoke": "Thu hồi",
    "play_now": "Phát ngay",
    "stop": "Dừng phát",
    "emergency": "Phát khẩn cấp",
    "load_starter": "Nạp nội dung mẫu",
    "unlock": "Mở khoá đăng nhập",
    "end_sessions": "Đăng xuất mọi phiên",
    "accept": "Nhận phát",
    "decline": "Từ chối",
}
ENTITY_LABELS = {
    "segment": "Bản tin",
    "programme": "Chương trình",
    "schedule": "Lịch phát",
    "user": "Tài khoản",
    "zone": "Cụm loa",
    "settings": "Cài đặt",
    "pronunciation": "Từ điển phát âm",
    "api_token": "Mã truy cập",
    "control": "Điều khiển phát",
    "station": "Đài",
    "login_lock": "Khoá đăng nhập",
    "offer": "Tin từ huyện",
}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


#: Columns an audit snapshot leaves out: secrets, and the session epoch (bookkeeping, not a change).
UNAUDITED = ("password_hash", "ics_token", "auth_epoch")


def snapshot(obj: Any, exclude: tuple[str, ...] = UNAUDITED) -> dict[str, Any]:
    """Give back the record's columns as JSON-ready values (secrets left out)."""
    out = {
        c.key: _plain(getattr(obj, c.key)) for c in inspect(obj).mapper.column_attrs if c.key not in exclude
    }
    if isinstance(out.get("sink"), str):
        out["sink"] = public_spec(out["sink"])  # a zone's Icecast output holds its source password
    return out


def record(
    session: Session,
    *,
    user: User | None,
    action: str,
    entity: str,
    entity_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    station_id: int | None = None,
) -> AuditLog:
    """Append one line to the audit log in the caller's unit of work."""
    entry = AuditLog(
        station_id=station_id if station_id is not None else getattr(user, "station_id", None),
        user_id=user.id if user else None,
        username=user.username if user else "hệ thống",
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


# --------------------------------------------------------------------------- showing a change

#: How the audit page names a recorded field (the log keeps the column names).
FIELD_LABELS = {
    "title": "Tiêu đề",
    "body": "Nội dung",
    "kind": "Loại tin",
    "area": "Lĩnh vực",
    "procedure": "Thủ tục",
    "audience": "Đối tượng",
    "valid_from": "Hiệu lực từ ngày",
    "valid_to": "Hiệu lực đến ngày",
    "status": "Trạng thái",
    "author_id": "Người viết (mã số)",
    "approver_id": "Người duyệt (mã số)",
    "submitted_at": "Gửi duyệt lúc",
    "approved_at": "Duyệt lúc",
    "review_comment": "Ý kiến duyệt",
    "upload_asset_id": "Tệp ghi âm (mã số)",
    "render_asset_id": "Bản giọng đọc (mã số)",
    "chime_before": "Chuông trước tin",
    "description": "Ghi chú",
    "month": "Chuyên mục của tháng",
    "items": "Các mục",
    "programme_id": "Chương trình (mã số)",
    "name": "Tên",
    "recurrence": "Lặp lại",
    "weekdays": "Các ngày trong tuần",
    "month_day": "Ngày trong tháng",
    "nth": "Tuần thứ",
    "nth_weekday": "Vào",
    "start_time": "Giờ bắt đầu",
    "window_minutes": "Khung giờ (phút)",
    "start_date": "Từ ngày",
    "end_date": "Đến ngày",
    "skip_dates": "Ngày nghỉ",
    "priority": "Mức ưu tiên",
    "replay_count": "Số lần phát",
    "replay_gap_s": "Cách nhau (giây)",
    "replay_on": "Chỉ phát nhiều lần vào ngày",
    "misfire_grace_s": "Cho phép phát trễ (giây)",
    "overrun": "Khi quá khung giờ",
    "on_interrupt": "Khi bị ngắt",
    "enabled": "Đang bật",
    "created_by_id": "Người tạo (mã số)",
    "zone_ids": "Cụm loa (mã số)",
    "zone_id": "Cụm loa (mã số)",
    "username": "Tên đăng nhập",
    "full_name": "Họ tên",
    "role": "Vai trò",
    "active": "Còn hoạt động",
    "ics_token": "Mã lịch ICS",
    "last_login_at": "Đăng nhập lần cuối",
    "code": "Mã",
    "sink": "Đầu ra âm thanh",
    "term": "Từ viết",
    "spoken": "Đọc là",
    "user_id": "Tài khoản (mã số)",
    "revoked": "Đã thu hồi",
    "what": "Nội dung phát",
    "text": "Nội dung thông báo",
    "added": "Số mục đã thêm",
    "file": "Tệp",
    "timezone": "Múi giờ",
    "position": "Vị trí",
    "segment_id": "Bản tin (mã số)",
    "chime": "Nhạc hiệu",
    "pause_ms": "Khoảng lặng (mili giây)",
}
#: Bookkeeping columns left out of the change list.
HIDDEN_FIELDS = frozenset(
    {"id", "uid", "station_id", "created_at", "updated_at", "token_hash", "password_hash"}
)
_OVERRUN_LABELS = {"stop": "Dừng", "fade": "Giảm dần âm lượng rồi dừng", "allow": "Cho phát hết"}
_INTERRUPT_LABELS = {"resume": "Phát lại mục bị ngắt", "log": "Chỉ ghi nhật ký"}
_ITEM_LABELS = {"segment": "bản tin", "chime": "nhạc hiệu", "pause": "khoảng lặng", "relay": "tiếp sóng"}


def _value_maps() -> dict[str, dict]:
    from ..models import AREA_LABELS, KIND_LABELS, PRIORITY_LABELS, ROLE_LABELS, STATUS_LABELS
    from ..rules import DIALECT_LABELS, ENGINE_LABELS

    return {
        "kind": KIND_LABELS,
        "area": AREA_LABELS,
        "status": STATUS_LABELS,
        "priority": PRIORITY_LABELS,
        "role": ROLE_LABELS,
        "recurrence": RECURRENCE_LABELS,
        "overrun": _OVERRUN_LABELS,
        "on_interrupt": _INTERRUPT_LABELS,
        "dialect": DIALECT_LABELS,
        "tts_order": ENGINE_LABELS,
    }


def _num(value: float | int) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _show_value(key: str, value: Any, tz: Any, maps: dict[str, dict]) -> str:
    """Give back one recorded value as an officer reads it."""
    from ._dates import show_date, show_time

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    labels = maps.get(key)
    if labels is not None:
        if isinstance(value, list):
            return ", ".join(str(labels.get(v, v)) for v in value)
        return str(labels.get(value, value))
    if key == "weekdays" or key == "nth_weekday":
        days = value if isinstance(value, list) else [value]
        return ", ".join(WEEKDAY_NAMES[d] if isinstance(d, int) and 0 <= d <= 6 else str(d) for d in days)
    if key == "nth" and value == -1:
        return "cuối tháng"
    if key == "items" and isinstance(value, list):
        parts = []
        for it in value:
            if not isinstance(it, dict):
                parts.append(str(it))
                continue
            kind = it.get("type")
            if kind == "segment":
                parts.append(f"bản tin số {it.get('segment_id')}")
            elif kind == "chime":
                from ..rules import CHIME_LABELS

                parts.append(CHIME_LABELS.get(it.get("chime"), f"nhạc hiệu {it.get('chime')}"))
            elif kind == "relay":
                minutes = _num((it.get("duration_s") or 0) / 60)
                text = f"tiếp sóng {public_spec(str(it.get('stream_url')))} {minutes} phút"
                if it.get("fallback"):
                    from ..models import RELAY_FALLBACKS

                    chosen = RELAY_FALLBACKS.get(it["fallback"], it["fallback"]).lower()
                    if it.get("fallback_segment_id"):
                        chosen += f" (bản tin số {it['fallback_segment_id']})"
                    text += f", mất sóng thì phát thay: {chosen}"
                parts.append(text)
            elif kind == "pause":
                parts.append(f"khoảng lặng {_num((it.get('pause_ms') or 0) / 1000)} giây")
            else:
                parts.append(_ITEM_LABELS.get(kind, str(kind)))
        return f"{len(value)} mục: " + "; ".join(parts)
    if key == "slots" and isinstance(value, list):
        return "; ".join(
            f"{s.get('name', '')} {s.get('start', '')}–{s.get('end', '')}".strip()
            if isinstance(s, dict)
            else str(s)
            for s in value
        )
    if isinstance(value, list):
        shown = [show_date(v) if key.endswith("dates") else str(v) for v in value]
        return ", ".join(shown)
    if isinstance(value, dict):
        return "; ".join(f"{FIELD_LABELS.get(k, k)}: {_show_value(k, v, tz, maps)}" for k, v in value.items())
    if isinstance(value, float | int):
        return _num(value)
    if isinstance(value, str):
        if key.endswith("_at"):
            try:
                at = datetime.fromisoformat(value)
            except ValueError:
                return value
            if tz is not None and at.tzinfo is not None:
                at = at.astimezone(tz)
            return at.strftime("%d/%m/%Y %H:%M:%S")
        if key == "month":
            from ._dates import show_month

            return show_month(value)
        if key.endswith("date") or key in ("valid_from", "valid_to"):
            return show_date(value)
        if key.endswith("time"):
            return show_time(value)
    return str(value)


def audit_changes(before: dict | None, after: dict | None, tz: Any = None) -> list[dict[str, str]]:
    """Give back what an audit line changed: [{"label", "before", "after"}], only the fields that differ.

    Field names become Vietnamese labels and codes (status, kind, role…) their labels; a created
    record lists its filled fields (before "—"), a deleted one what it held (after "—").
    """
    from ..rules import BY_KEY

    before, after = before or {}, after or {}
    maps = _value_maps()
    out = []
    for key in list(before) + [k for k in after if k not in before]:
        if key in HIDDEN_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key in before and key in after and str(old) == str(new):
            continue
        if not before and new in (None, "", [], {}):
            continue  # a new record: only what it was given
        label = FIELD_LABELS.get(key) or (BY_KEY[key].label if key in BY_KEY else key.replace("_", " "))
        out.append(
            {
                "label": label,
                "before": _show_value(key, old, tz, maps),
                "after": _show_value(key, new, tz, maps),
            }
        )
    return out
