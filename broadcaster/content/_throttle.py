"""Login throttling: 5 failures for an account or an address lock it for 15 minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import LoginAttempt

MAX_FAILURES = 5
LOCK = timedelta(minutes=15)
#: Failures older than this no longer count towards a lock.
WINDOW = timedelta(minutes=15)


def throttle_keys(username: str, address: str | None) -> list[str]:
    """Give back the counters a login attempt touches: one per account, one per address."""
    keys = [f"user:{(username or '').strip().lower()[:64]}"]
    if address:
        keys.append(f"addr:{address[:100]}")
    return keys


def locked_until(session: Session, keys: list[str], now: datetime | None = None) -> datetime | None:
    """Give back until when any of the counters is locked, or None."""
    now = now or utcnow()
    until = None
    for key in keys:
        row = session.get(LoginAttempt, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            until = max(until or row.locked_until, row.locked_until)
    return until


def record_failure(session: Session, keys: list[str], now: datetime | None = None) -> datetime | None:
    """Count a failed login on every counter; give back the lock's end if one is now locked."""
    now = now or utcnow()
    until = None
    for key in keys:
        row = session.get(LoginAttempt, key)
        if row is None:
            row = LoginAttempt(key=key, failures=0)
            session.add(row)
        if row.first_failure_at is None or now - row.first_failure_at > WINDOW:
            row.failures, row.first_failure_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= MAX_FAILURES:
            row.locked_until = now + LOCK
            row.failures, row.first_failure_at = 0, None
            until = max(until or row.locked_until, row.locked_until)
    session.flush()
    return until


def record_success(session: Session, username: str) -> None:
    """Forget the account's failures after a good login (the address counter keeps counting)."""
    row = session.get(LoginAttempt, throttle_keys(username, None)[0])
    if row is not None:
        session.delete(row)
        session.flush()
