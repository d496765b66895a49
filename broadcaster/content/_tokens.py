"""API tokens for machines: shown once, only their sha256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import ApiToken, User
from ._audit import record
from ._errors import ContentError

#: How often a token's last use is written down.
LAST_USED_EVERY = timedelta(minutes=5)

PREFIX = "bct_"


def token_hash(token: str) -> str:
    """Give back the sha256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, user: User, name: str, *, actor: User | None = None
) -> tuple[ApiToken, str]:
    """Give back the new token row and the token itself (the only time it is seen)."""
    name = (name or "").strip()
    if not name:
        raise ContentError("Hãy đặt tên cho mã truy cập (ví dụ: máy chủ huyện).", "name")
    if len(name) > 100:
        raise ContentError("Tên mã truy cập dài quá 100 ký tự.", "name")
    if not user.active:
        raise ContentError("Tài khoản đã bị khoá, không cấp mã được.", "user_id")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token))
    session.add(row)
    session.flush()
    record(
        session,
        user=actor or user,
        action="create",
        entity="api_token",
        entity_id=row.id,
        after={"id": row.id, "user_id": user.id, "name": name},
        station_id=user.station_id,
    )
    return row, token


def verify_token(session: Session, token: str) -> User | None:
    """Give back the active user a token belongs to (None for unknown, revoked or disabled)."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked or not row.user.active:
        return None
    now = utcnow()
    # Noted at most every few minutes: a read through the API is not a database write each time.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
        row.last_used_at = now
    return row.user


def revoke_token(session: Session, row: ApiToken, actor: User | None) -> None:
    """Make a token unusable (kept for the audit trail)."""
    row.revoked = True
    session.flush()
    record(
        session,
        user=actor,
        action="revoke",
        entity="api_token",
        entity_id=row.id,
        before={"revoked": False},
        after={"revoked": True},
        station_id=row.user.station_id,
    )
