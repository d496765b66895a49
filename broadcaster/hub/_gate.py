"""What a hub web worker keeps between station requests, so that a poll answered 304 is cheap.

* ``Revision``: two counters PostgreSQL triggers move in the same transaction as the change (see
  migration 0009), read once per request: a cache entry made under an older counter is never used,
  so a publish, an edit or a revoked token takes effect on the very next request, in every worker.
* Tokens: the station a token belongs to, kept per ``tokens`` counter.
* Manifests: the district part of each set of schedules, kept per ``content`` counter until the
  clock moves an airing in or out of the window (``DistrictPart.until``); and per station only its
  ETag (a 200 rebuilds the body from the shared part: 10,000 bodies would not fit in a worker).

On SQLite nothing moves the counters (``revision`` is None) and nothing is cached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, selectinload

from ..config import Config
from ..content import token_hash
from ..db import utcnow
from ..manifest import Manifest
from ..models import HubRevision, Programme, ProgrammeItem, Schedule, Segment
from ..models import schedule_targets as targets_table
from ._emergency import emergency_audio
from ._manifest import DistrictPart, district_part
from ._stations import token_owner

#: Sets of schedules kept at most (older revisions are dropped beyond it).
MAX_PARTS = 1000


@dataclass(frozen=True)
class Revision:
    content: int
    tokens: int


@dataclass(frozen=True)
class StationRef:
    """The calling station as the API needs it (no ORM object outlives a request)."""

    id: int
    code: str


def read_revision(conn: Connection) -> Revision | None:
    """Give back the hub's revision counters, or None where they are not kept (SQLite)."""
    if conn.dialect.name != "postgresql":
        return None
    row = conn.execute(select(HubRevision.content, HubRevision.tokens).where(HubRevision.id == 1)).first()
    return None if row is None else Revision(row.content, row.tokens)


def _key(token: str) -> str:
    return token_hash(token) if token and len(token) <= 200 else ""


@dataclass(frozen=True)
class _Tag:
    content: int
    code: str
    part_key: tuple[int, ...]
    until: datetime
    etag: str


class HubGate:
    """One per web worker: the caches above, safe to share between the worker's threads."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[int, StationRef]] = {}
        self._tags: dict[int, _Tag] = {}
        self._parts: dict[tuple[int, ...], tuple[int, DistrictPart]] = {}
        #: Every station's set of enabled district schedules, under one ``content`` counter.
        self._keys: tuple[int, dict[int, tuple[int, ...]]] | None = None

    # ------------------------------------------------------------------ tokens

    def known(self, token: str) -> tuple[int, StationRef] | None:
        """Give back (tokens counter, station) as cached for this token, or None; the caller must
        check the counter against a revision read after this call before trusting it."""
        with self._lock:
            return self._tokens.get(_key(token))

    def station_for_token(self, conn: Connection, token: str, rev: Revision | None) -> StationRef | None:
        """Give back the station a live token belongs to (None: unknown or revoked), looked up now
        and kept under ``rev``, which must have been read before this call."""
        owner = token_owner(conn, token)
        ref = None if owner is None else StationRef(*owner)
        if rev is not None:
            with self._lock:
                if ref is None:
                    self._tokens.pop(_key(token), None)  # unknown tokens are not kept: no memory to fill
                else:
                    self._tokens[_key(token)] = (rev.tokens, ref)
        return ref

    # ------------------------------------------------------------------ manifests

    def _part(self, session: Session, key: tuple[int, ...], rev: int | None, now: datetime) -> DistrictPart:
        if rev is not None:
            with self._lock:
                hit = self._parts.get(key)
            if hit is not None and hit[0] == rev and now < hit[1].until:
                return hit[1]
        schedules = (
            session.scalars(
                select(Schedule)
                .where(Schedule.id.in_(key))
                .order_by(Schedule.id)
                .options(
                    selectinload(Schedule.programme)
                    .selectinload(Programme.items)
                    .selectinload(ProgrammeItem.segment)
                    .options(selectinload(Segment.upload_asset), selectinload(Segment.render_asset))
                )
            ).all()
            if key
            else []
        )
        part = district_part(self.config, schedules, now)
        if rev is not None:
            with self._lock:
                if len(self._parts) > MAX_PARTS:
                    self._parts = {k: v for k, v in self._parts.items() if v[0] == rev}
                self._parts[key] = (rev, part)
        return part

    def _part_key(self, conn: Connection, station_id: int, content: int | None) -> tuple[int, ...]:
        # The same rule as hub.district_schedules, ids only: the enabled schedules aimed at it.
        # With a counter, read for every station at once (one statement per change, not per station).
        stmt = (
            select(targets_table.c.station_id, Schedule.id)
            .join(targets_table, targets_table.c.schedule_id == Schedule.id)
            .where(Schedule.enabled.is_(True))
            .order_by(Schedule.id)
        )
        if content is None:
            return tuple(sid for _, sid in conn.execute(stmt.where(targets_table.c.station_id == station_id)))
        with self._lock:
            keys = self._keys
        if keys is None or keys[0] != content:
            found: dict[int, list[int]] = {}
            for station, schedule in conn.execute(stmt):
                found.setdefault(station, []).append(schedule)
            keys = (content, {k: tuple(v) for k, v in found.items()})
            with self._lock:
                self._keys = keys
        return keys[1].get(station_id, ())

    def etag(self, conn: Connection, session: Session, station: StationRef, rev: Revision | None) -> str:
        """Give back the ETag of the station's manifest now (built only when its parts changed)."""
        now = utcnow()
        content = rev.content if rev is not None else None
        if content is not None:
            with self._lock:
                tag = self._tags.get(station.id)
            if tag is not None and tag.content == content and tag.code == station.code and now < tag.until:
                return tag.etag
        key = self._part_key(conn, station.id, content)
        part = self._part(session, key, content, now)
        etag = part.manifest(station.code).etag()
        if content is not None:
            with self._lock:
                self._tags[station.id] = _Tag(content, station.code, key, part.until, etag)
        return etag

    def manifest(
        self, conn: Connection, session: Session, station: StationRef, rev: Revision | None
    ) -> Manifest:
        """Give back the station's manifest now (its district part from the cache when it holds)."""
        content = rev.content if rev is not None else None
        key = self._part_key(conn, station.id, content)
        return self._part(session, key, content, utcnow()).manifest(station.code)

    def audio_file(
        self, conn: Connection, session: Session, station: StationRef, rev: Revision | None, sha256: str
    ):
        """Give back the hub's file with this sha256 if the station's manifest or one of its live
        emergencies uses it, else None (as hub.servable_audio, the manifest's part from the cache)."""
        found = emergency_audio(session, self.config, station, sha256)
        if found is not None:
            return found
        content = rev.content if rev is not None else None
        key = self._part_key(conn, station.id, content)
        return self._part(session, key, content, utcnow()).files.get(sha256)
