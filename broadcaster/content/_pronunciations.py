"""The station's pronunciation dictionary: a term and how the speech engine should say it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Pronunciation, User
from ._audit import record, snapshot
from ._errors import ContentError


def _clean(term: str, spoken: str) -> tuple[str, str]:
    term, spoken = (term or "").strip(), " ".join((spoken or "").split())
    if not term:
        raise ContentError("Hãy nhập từ hoặc chữ viết tắt.", "term")
    if len(term) > 100:
        raise ContentError("Từ dài quá 100 ký tự.", "term")
    if not spoken:
        raise ContentError("Hãy nhập cách đọc.", "spoken")
    if len(spoken) > 300:
        raise ContentError("Cách đọc dài quá 300 ký tự.", "spoken")
    return term, spoken


def save_pronunciation(
    session: Session,
    station_id: int,
    user: User | None,
    term: str,
    spoken: str,
    entry: Pronunciation | None = None,
) -> Pronunciation:
    """Give back the added or changed entry; a term is kept once per station."""
    term, spoken = _clean(term, spoken)
    # Compared in Python: SQLite's lower() folds ASCII only ("Đắk Lắk" stays "Đắk lắk"), so a
    # repeated Vietnamese term slipped past the check and hit the unique index (a 500).
    wanted = term.casefold()
    clash = next(
        (
            p
            for p in session.scalars(select(Pronunciation).where(Pronunciation.station_id == station_id))
            if p.term.casefold() == wanted
        ),
        None,
    )
    if clash is not None and (entry is None or clash.id != entry.id):
        raise ContentError(f"Từ «{term}» đã có trong từ điển.", "term")
    before = snapshot(entry) if entry is not None else None
    if entry is None:
        entry = Pronunciation(station_id=station_id, term=term, spoken=spoken)
        session.add(entry)
    else:
        entry.term, entry.spoken = term, spoken
    session.flush()
    record(
        session,
        user=user,
        action="update" if before else "create",
        entity="pronunciation",
        entity_id=entry.id,
        before=before,
        after=snapshot(entry),
        station_id=station_id,
    )
    return entry


def delete_pronunciation(session: Session, entry: Pronunciation, user: User | None) -> None:
    """Remove an entry from the dictionary (audited)."""
    before = snapshot(entry)
    session.delete(entry)
    session.flush()
    record(
        session,
        user=user,
        action="delete",
        entity="pronunciation",
        entity_id=before["id"],
        before=before,
        station_id=before["station_id"],
    )
