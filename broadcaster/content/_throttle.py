"""Login throttling, counted per account and per address, each with its own limit.

An attempt is *reserved* before the password is checked, in one atomic statement per counter
(``UPDATE ... WHERE not locked``), so parallel tries can never check more passwords than the
limit allows; the try that reaches the limit sets the lock itself. An account locks after
:data:`ACCOUNT_LIMIT` failures from anywhere; an address after :data:`ADDRESS_LIMIT` failures on
any accounts, set higher so that one officer's typos do not lock the admin out of the same PC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..models import LoginAttempt, User
from ._audit import record

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
LOCK = timedelta(minutes=15)
#: Failures older than this no longer count towards a lock.
WINDOW = timedelta(minutes=15)
LOCK_MINUTES = int(LOCK.total_seconds() // 60)


def throttle_keys(username: str, address: str | None) -> list[str]:
    """Give back the counters a login attempt touches: one per account, one per address."""
    keys = [account_key(username)]
    if address:
        keys.append(f"addr:{address[:100]}")
    return keys


def account_key(username: str) -> str:
    """Give back the account's counter key (names are compared without case)."""
    return f"user:{(username or '').strip().lower()[:64]}"


def key_label(key: str) -> str:
    """Give back what a counter stands for, in words: «tài khoản «x»» or «máy 10.0.0.1»."""
    kind, _, name = key.partition(":")
    return f"máy {name}" if kind == "addr" else f"tài khoản «{name}»"


def limit_of(key: str) -> int:
    """Give back how many failures the counter ``key`` allows before it locks."""
    return ADDRESS_LIMIT if key.startswith("addr:") else ACCOUNT_LIMIT


@dataclass(frozen=True)
class Lock:
    """A counter that refuses sign-ins until ``until``."""

    key: str
    until: datetime
    failures: int

    @property
    def is_address(self) -> bool:
        return self.key.startswith("addr:")

    @property
    def name(self) -> str:
        """The account name or the address, as the officer knows it."""
        return self.key.partition(":")[2]

    @property
    def limit(self) -> int:
        return limit_of(self.key)

    @property
    def label(self) -> str:
        return key_label(self.key)

    def message(self, tz) -> str:
        """Give back the Vietnamese sentence a refused officer reads: the real limit and the end."""
        at = self.until.astimezone(tz).strftime("%H:%M")
        who = f"máy này ({self.name})" if self.is_address else self.label
        return (
            f"Đăng nhập sai {self.limit} lần trong {LOCK_MINUTES} phút: {who} bị tạm khoá "
            f"{LOCK_MINUTES} phút, đến {at}. Quản trị viên có thể mở khoá sớm hơn."
        )


@dataclass(frozen=True)
class Attempt:
    """The outcome of reserving a login try: refused by ``refused``, else ``locks`` if it fails."""

    refused: Lock | None = None
    #: The lock this very try set by reaching a limit (it stands unless the password is right).
    locks: Lock | None = None


def _insert_missing(session: Session, key: str) -> None:
    # INSERT ... ON CONFLICT DO NOTHING: two first tries on one key never collide (no
    # IntegrityError), on SQLite and on PostgreSQL alike.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(LoginAttempt).values(key=key, failures=0).on_conflict_do_nothing())


def reserve_attempt(session: Session, keys: list[str], now: datetime | None = None) -> Attempt:
    """Give back whether a login try may check its password, counting it on every counter.

    Run it in its own short transaction and commit at once (a refusal rolls back nothing that
    matters: no counter moved). Each counter moves in one UPDATE guarded by "not locked", which
    SQLite (one writer) and PostgreSQL (row lock, WHERE re-checked) both apply atomically.
    """
    now = now or utcnow()
    stale = now - WINDOW
    moved: list[str] = []
    locks: Lock | None = None
    for key in sorted(keys):  # one order everywhere: no deadlock between two keys on PostgreSQL
        _insert_missing(session, key)
        limit = limit_of(key)
        fresh = (LoginAttempt.first_failure_at.is_(None)) | (LoginAttempt.first_failure_at <= stale)
        new_count = case((fresh, 1), else_=LoginAttempt.failures + 1)
        result = session.execute(
            update(LoginAttempt)
            .where(
                LoginAttempt.key == key,
                (LoginAttempt.locked_until.is_(None)) | (LoginAttempt.locked_until <= now),
            )
            .values(
                failures=new_count,
                first_failure_at=case((fresh, now), else_=LoginAttempt.first_failure_at),
                locked_until=case((new_count >= limit, now + LOCK), else_=None),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:
            row = session.execute(
                select(LoginAttempt.failures, LoginAttempt.locked_until).where(LoginAttempt.key == key)
            ).one()
            # Undo what this try already counted on the other counters.
            for done in moved:
                _refund(session, done, now)
            return Attempt(refused=Lock(key, row.locked_until, row.failures))
        moved.append(key)
        row = session.execute(
            select(LoginAttempt.failures, LoginAttempt.locked_until).where(LoginAttempt.key == key)
        ).one()
        if row.locked_until is not None and row.locked_until > now:
            locks = Lock(key, row.locked_until, row.failures)
    return Attempt(locks=locks)


def _refund(session: Session, key: str, now: datetime) -> None:
    # Give back one reserved try; a lock that try set is lifted with it.
    limit = limit_of(key)
    session.execute(
        update(LoginAttempt)
        .where(LoginAttempt.key == key, LoginAttempt.failures > 0)
        .values(
            failures=LoginAttempt.failures - 1,
            locked_until=case((LoginAttempt.failures - 1 >= limit, LoginAttempt.locked_until), else_=None),
        )
        .execution_options(synchronize_session=False)
    )


def record_success(session: Session, keys: list[str], now: datetime | None = None) -> None:
    """Forget the account's failures after a good login and give the address back its try."""
    now = now or utcnow()
    for key in keys:
        if key.startswith("addr:"):
            _refund(session, key, now)
        else:
            session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))


def locks(session: Session, now: datetime | None = None) -> list[Lock]:
    """Give back the counters locked now, the latest end first (for the admin page and the CLI)."""
    now = now or utcnow()
    rows = session.scalars(
        select(LoginAttempt).where(LoginAttempt.locked_until > now).order_by(LoginAttempt.locked_until.desc())
    )
    return [Lock(r.key, r.locked_until, r.failures) for r in rows]


def unlock(session: Session, key: str, *, actor: User | None = None) -> bool:
    """Lift a lock and forget the counter's failures (audited); give back whether one was there."""
    gone = bool(session.execute(delete(LoginAttempt).where(LoginAttempt.key == key)).rowcount)
    if gone:
        record(session, user=actor, action="unlock", entity="login_lock", entity_id=key)
    return gone
