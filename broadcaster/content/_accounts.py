"""Account changes by an admin, and the station's loudspeaker zones."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Role, User, Zone
from ._audit import record, snapshot
from ._errors import ContentError
from ._users import end_sessions, set_password


def update_user(
    session: Session,
    user: User,
    actor: User | None,
    *,
    full_name: str,
    role: str,
    active: bool,
    password: str = "",
) -> None:
    """Change an account's name, role, state and optionally its password (audited)."""
    try:
        new_role = Role(role)
    except ValueError:
        raise ContentError(f"Vai trò không hợp lệ: {role}.", "role") from None
    if actor is not None and actor.id == user.id and (new_role != Role.ADMIN or not active):
        raise ContentError("Không thể tự bỏ quyền quản trị hoặc tự khoá tài khoản của mình.", "role")
    if len(full_name or "") > 200:
        raise ContentError("Họ tên dài quá 200 ký tự.", "full_name")
    before = snapshot(user)
    if user.active and not active:
        end_sessions(user)
    user.full_name, user.role, user.active = (full_name or "").strip(), new_role, bool(active)
    if password:
        set_password(session, user, password, actor=actor)
    session.flush()
    record(
        session,
        user=actor,
        action="update",
        entity="user",
        entity_id=user.id,
        before=before,
        after=snapshot(user),
        station_id=user.station_id,
    )


def save_zone(
    session: Session,
    station_id: int,
    actor: User | None,
    *,
    code: str,
    name: str,
    sink: str,
    enabled: bool,
    zone: Zone | None = None,
    allow_command: bool = False,
) -> Zone:
    """Give back the added or changed zone; the sink is checked the way playout reads it."""
    from ..playout import check_spec, keep_secret

    code, name, sink = (code or "").strip(), (name or "").strip(), (sink or "").strip() or "auto"
    # The page shows the output with its password as ***: sent back unchanged, it keeps the old one.
    sink = keep_secret(sink, zone.sink if zone is not None else None)
    if ":***@" in sink:
        raise ContentError(
            "Hãy nhập mật khẩu nguồn phát Icecast "
            "(*** chỉ giữ mật khẩu cũ khi máy chủ và điểm phát không đổi).",
            "sink",
        )
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", code):
        raise ContentError("Mã cụm loa chỉ gồm chữ thường không dấu, số và gạch ngang.", "code")
    if not name:
        raise ContentError("Hãy nhập tên cụm loa.", "name")
    if len(name) > 200:
        raise ContentError("Tên cụm loa dài quá 200 ký tự.", "name")
    if err := check_spec(sink):
        raise ContentError(err, "sink")
    if sink.startswith("command:") and not allow_command:
        # A command sink runs a program on the station PC: set it from the command line only.
        raise ContentError("Đầu ra kiểu «command:» chỉ được đặt bằng dòng lệnh trên máy đài.", "sink")
    clash = session.scalar(select(Zone).where(Zone.station_id == station_id, Zone.code == code))
    if clash is not None and (zone is None or clash.id != zone.id):
        raise ContentError(f"Mã «{code}» đã dùng cho cụm loa khác.", "code")
    before = snapshot(zone) if zone is not None else None
    if zone is None:
        zone = Zone(station_id=station_id, code=code, name=name, sink=sink, enabled=enabled)
        session.add(zone)
    else:
        zone.code, zone.name, zone.sink, zone.enabled = code, name, sink, enabled
    session.flush()
    record(
        session,
        user=actor,
        action="update" if before else "create",
        entity="zone",
        entity_id=zone.id,
        before=before,
        after=snapshot(zone),
        station_id=station_id,
    )
    return zone
