from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from ..models import AuditLog, User


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def snapshot(obj: Any, exclude: tuple[str, ...] = ("password_hash",)) -> dict[str, Any]:
    """Give back the record's columns as JSON-ready values (secrets left out)."""
    return {
        c.key: _plain(getattr(obj, c.key)) for c in inspect(obj).mapper.column_attrs if c.key not in exclude
    }


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
