"""The hub's station registry: stations, their groups, and their API tokens (only hashes kept)."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from ..content import record, token_hash
from ..db import utcnow
from ..live import password_hash
from ..models import Station, StationToken

TOKEN_PREFIX = "bcs_"
CODE_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class HubError(ValueError):
    """A hub request the officer must correct; the message is one Vietnamese line."""


def check_code(code: str) -> str:
    """Give back a valid station code, or raise HubError naming the fault."""
    code = (code or "").strip()
    if not CODE_RE.fullmatch(code):
        raise HubError(
            f"Mã đài «{code}» không hợp lệ: chỉ dùng chữ thường không dấu, số và gạch ngang (tối đa 40)."
        )
    return code


def _groups(groups: Iterable[str]) -> list[str]:
    out: list[str] = []
    for g in groups:
        g = " ".join((g or "").split())
        if len(g) > 100:
            raise HubError(f"Tên nhóm «{g[:40]}…» dài quá 100 ký tự.")
        if g and g not in out:
            out.append(g)
    return out


def registered(session: Session, home_code: str) -> list[Station]:
    """Give back the stations the hub serves (every station row but the hub's own), by code."""
    return list(session.scalars(select(Station).where(Station.code != home_code).order_by(Station.code)))


def find_station(session: Session, code: str, home_code: str) -> Station:
    """Give back the registered station with this code, or raise HubError."""
    station = session.scalar(select(Station).where(Station.code == code))
    if station is None or station.code == home_code:
        raise HubError(f"Không có đài «{code}» trong danh sách của huyện.")
    return station


def issue_token(session: Session, station: Station) -> str:
    """Give back a new token for the station (the only time it is seen); older tokens stop working."""
    now = utcnow()
    for old in session.scalars(
        select(StationToken).where(StationToken.station_id == station.id, StationToken.revoked_at.is_(None))
    ):
        old.revoked_at = now
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    # The token is also the station's MQTT password: the broker's hash is made now, the only time
    # the hub sees the token (``broadcaster hub mqtt-config`` writes it to the password file).
    session.add(
        StationToken(station_id=station.id, token_hash=token_hash(token), mqtt_hash=password_hash(token))
    )
    session.flush()
    record(
        session,
        user=None,
        action="rotate",
        entity="station_token",
        entity_id=station.code,
        station_id=station.id,
    )
    return token


def revoke_tokens(session: Session, station: Station) -> int:
    """Give back how many live tokens of the station were revoked (the station is cut off)."""
    now, n = utcnow(), 0
    for old in session.scalars(
        select(StationToken).where(StationToken.station_id == station.id, StationToken.revoked_at.is_(None))
    ):
        old.revoked_at, n = now, n + 1
    session.flush()
    record(
        session,
        user=None,
        action="revoke",
        entity="station_token",
        entity_id=station.code,
        station_id=station.id,
    )
    return n


def _live_token(token: str):
    # A token is looked up by its hash only; a revoked one belongs to no one.
    return (StationToken.token_hash == token_hash(token), StationToken.revoked_at.is_(None))


def station_for_token(session: Session, token: str) -> Station | None:
    """Give back the station a live token belongs to (None for an unknown or revoked one)."""
    if not token or len(token) > 200:
        return None
    return session.scalar(
        select(Station).join(StationToken, StationToken.station_id == Station.id).where(*_live_token(token))
    )


def token_owner(conn: Connection | Session, token: str) -> tuple[int, str] | None:
    """Give back (id, code) of the station a live token belongs to, in one statement, or None."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        select(Station.id, Station.code)
        .join(StationToken, StationToken.station_id == Station.id)
        .where(*_live_token(token))
    ).first()
    return None if row is None else (row.id, row.code)


def add_station(
    session: Session,
    code: str,
    name: str,
    *,
    groups: Iterable[str] = (),
    commune: str = "",
    district: str = "",
    timezone: str = "Asia/Ho_Chi_Minh",
) -> tuple[Station, str]:
    """Give back the new station and its first token; HubError (nothing added) on a bad field."""
    code = check_code(code)
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise HubError(f"Tên đài «{code}» phải có chữ và không quá 200 ký tự.")
    if session.scalar(select(Station.id).where(Station.code == code)) is not None:
        raise HubError(f"Đã có đài mã «{code}».")
    station = Station(
        code=code,
        name=name,
        timezone=timezone,
        commune=(commune or name).strip()[:200],
        district=(district or "").strip()[:200],
        groups=_groups(groups),
    )
    session.add(station)
    session.flush()
    record(
        session,
        user=None,
        action="create",
        entity="station",
        entity_id=code,
        after={"code": code, "name": name, "groups": station.groups},
        station_id=station.id,
    )
    return station, issue_token(session, station)


@dataclass(frozen=True)
class ImportRow:
    code: str
    name: str
    groups: tuple[str, ...]


def read_station_csv(text: str) -> list[ImportRow]:
    """Give back the rows of a code,name,group CSV (group may hold several, separated by ';').

    Raises HubError naming the line of the first bad row: an import is all or nothing.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    names = [(f or "").strip().lower() for f in reader.fieldnames or []]
    if "code" not in names or "name" not in names:
        raise HubError("Tệp CSV cần các cột code,name (và group nếu có).")
    reader.fieldnames = names
    rows: list[ImportRow] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        code = (raw.get("code") or "").strip()
        try:
            code = check_code(code)
        except HubError as exc:
            raise HubError(f"Dòng {line}: {exc}") from None
        if code in seen:
            raise HubError(f"Dòng {line}: mã đài «{code}» lặp lại trong tệp.")
        seen.add(code)
        name = (raw.get("name") or "").strip()
        if not name:
            raise HubError(f"Dòng {line}: thiếu tên đài.")
        groups = tuple(g.strip() for g in (raw.get("group") or "").split(";") if g.strip())
        rows.append(ImportRow(code, name, groups))
    if not rows:
        raise HubError("Tệp CSV không có đài nào.")
    return rows


def import_stations(session: Session, rows: list[ImportRow]) -> list[tuple[str, str]]:
    """Give back (code, token) for each new station; HubError (nothing added) if any row is refused."""
    return [(row.code, add_station(session, row.code, row.name, groups=row.groups)[1]) for row in rows]


def mqtt_users(session: Session, home_code: str) -> tuple[dict[str, str], list[str]]:
    """Give back ({code: broker hash} of every station with a live token, [codes left out]).

    A station whose live token predates the live link has no broker hash: it is left out (listed)
    until its token is rotated; a station with no live token (revoked) is simply absent.
    """
    rows = session.execute(
        select(Station.code, StationToken.mqtt_hash)
        .join(StationToken, StationToken.station_id == Station.id)
        .where(StationToken.revoked_at.is_(None), Station.code != home_code)
        .order_by(Station.code)
    ).all()
    users = {code: h for code, h in rows if h}
    return users, sorted({code for code, h in rows if not h} - set(users))
