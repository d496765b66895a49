"""Saving the officer-adjustable settings (audited, and the station daemon told), and showing them.

What the settings are and how they apply lives in the base layer (:mod:`broadcaster.rules`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..config import Config
from ..models import Setting, User
from ..rules import SETTINGS, get_settings
from ._audit import record
from ._errors import ContentError


def save_settings(
    session: Session, station_id: int, config: Config, user: User | None, form: Any
) -> dict[str, Any]:
    """Give back the saved settings; ContentError (nothing saved) names the first bad field."""
    parsed = {d.key: d.parse(form.get(d.key)) for d in SETTINGS if form.get(d.key) is not None}
    if "tts_order" in parsed:
        from ..audio import check_engines

        if err := check_engines(parsed["tts_order"]):
            raise ContentError(err[0].upper() + err[1:], "tts_order")
    before = get_settings(session, station_id, config)
    for key, value in parsed.items():
        row = session.get(Setting, (station_id, key))
        if row is None:
            session.add(Setting(station_id=station_id, key=key, value=value))
        elif row.value != value:
            row.value = value
    session.flush()
    after = get_settings(session, station_id, config)
    if after != before:
        from ..playout import bump_plan

        bump_plan(session, station_id)  # the daemon re-reads its effective settings at once
        record(
            session,
            user=user,
            action="update",
            entity="settings",
            entity_id=station_id,
            before=before,
            after=after,
            station_id=station_id,
        )
    return after


def setting_text(key: str, value: Any) -> str:
    """Give back a setting's value as the form shows it."""
    if key == "tts_order":
        return ", ".join(value)
    if key == "slots":
        return "\n".join(f"{s['name']} | {s['start']}-{s['end']}" for s in value)
    if isinstance(value, float):
        # A decimal comma, as officers write numbers (the form reads both): -16 or -16,5.
        return f"{value:g}".replace(".", ",")
    return str(value)
