from __future__ import annotations

import re
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import Role, Station, User
from ._audit import record, snapshot
from ._errors import ContentError

MIN_PASSWORD = 8


@cache
def _dummy_hash() -> str:
    """Give back a hash to compare against when the user does not exist (timing hides names).

    Made on first use, not at import: hashing costs ~0.15 s that every command would pay.
    """
    return generate_password_hash("không-có-tài-khoản")


def create_user(
    session: Session,
    station: Station,
    username: str,
    password: str,
    role: str | Role,
    *,
    full_name: str = "",
    actor: User | None = None,
) -> User:
    """Give back a new account, validated; its creation is audited."""
    username = (username or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,64}", username):
        raise ContentError(
            "Tên đăng nhập dài 3–64 ký tự, chỉ gồm chữ không dấu, số, dấu chấm, gạch.", "username"
        )
    try:
        role = Role(role)
    except ValueError:
        raise ContentError(f"Vai trò không hợp lệ: {role}.", "role") from None
    if len(password or "") < MIN_PASSWORD:
        raise ContentError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.", "password")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ContentError(f"Tên đăng nhập «{username}» đã có người dùng.", "username")
    user = User(
        station_id=station.id,
        username=username,
        full_name=full_name.strip(),
        password_hash=generate_password_hash(password),
        role=role,
    )
    session.add(user)
    session.flush()
    record(
        session,
        user=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        after=snapshot(user),
        station_id=station.id,
    )
    return user


def set_password(session: Session, user: User, password: str, *, actor: User | None = None) -> None:
    """Change an account's password (audited); every session signed in with the old one ends."""
    if len(password or "") < MIN_PASSWORD:
        raise ContentError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.", "password")
    user.password_hash = generate_password_hash(password)
    end_sessions(user)
    record(session, user=actor, action="set_password", entity="user", entity_id=user.id)


def end_sessions(user: User) -> None:
    """Make every session the account has signed in so far invalid (the web checks the epoch)."""
    user.auth_epoch = (user.auth_epoch or 0) + 1


def find_user(session: Session, username: str) -> User:
    """Give back the account called ``username``, or a ContentError naming it."""
    name = (username or "").strip()
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise ContentError(f"Không có tài khoản «{name}».", "username")
    return user


def set_active(session: Session, user: User, active: bool, *, actor: User | None = None) -> None:
    """Enable or disable an account (audited); disabling ends all of its sessions."""
    if user.active == active:
        return
    before = snapshot(user)
    user.active = active
    if not active:
        end_sessions(user)
    session.flush()
    record(
        session,
        user=actor,
        action="enable" if active else "disable",
        entity="user",
        entity_id=user.id,
        before=before,
        after=snapshot(user),
        station_id=user.station_id,
    )


def authenticate(session: Session, username: str, password: str) -> User | None:
    """Give back the active user whose password matches, else None."""
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not user.active or not check_password_hash(user.password_hash, password or ""):
        return None
    return user
