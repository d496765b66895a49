"""The control mailbox's schema: one dataclass per action, written by ``request_*``, checked when taken.

A command row holds an action name and a JSON payload. Both sides go through this module: the
writers build a dataclass and store :func:`to_row`; the daemon reads it back with
:func:`parse_command`, which refuses a bad payload with a Vietnamese :class:`CommandError` (the
command's result) instead of failing somewhere inside the daemon.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


class CommandError(ValueError):
    """A command row that cannot be carried out; the message is Vietnamese, for the officer."""


@dataclass(frozen=True)
class Stop:
    """Stop what is on air (``item_only``: only the current item), on one zone or all."""

    zone_id: int | None = None
    item_only: bool = False


@dataclass(frozen=True)
class Replan:
    """Rebuild the plan now."""


@dataclass(frozen=True)
class AirNow:
    """Air something now: an emergency (cuts what plays) or a priority "play now"."""

    urgent: bool
    zone_id: int | None = None
    programme_id: int | None = None
    segment_id: int | None = None
    asset_path: str | None = None
    engine: str = "auto"
    live_s: float | None = None  # go live from the station's capture input for this many seconds


Command = Stop | Replan | AirNow
ACTIONS = ("stop", "replan", "emergency", "play")


def _id(payload: dict, key: str) -> int | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CommandError(f"«{key}» phải là một số nguyên dương (nhận được {value!r}).")
    return value


def _text(payload: dict, key: str, limit: int = 1000) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise CommandError(f"«{key}» phải là một chuỗi chữ không rỗng, tối đa {limit} ký tự.")
    return value


def _seconds(payload: dict, key: str) -> float | None:
    from ._live import MAX_LIVE_S

    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= MAX_LIVE_S:
        raise CommandError(f"«{key}» phải là số giây từ 1 đến {MAX_LIVE_S} (nhận được {value!r}).")
    return float(value)


def parse_command(action: str, payload: Any) -> Command:
    """Give back the typed command of a mailbox row; raises CommandError naming what is wrong."""
    if action not in ACTIONS:
        raise CommandError(f"Không biết lệnh «{action}».")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise CommandError("Nội dung lệnh phải là một đối tượng JSON.")
    if action == "replan":
        return Replan()
    zone_id = _id(payload, "zone_id")
    if action == "stop":
        scope = payload.get("scope", "occurrence")
        if scope not in ("item", "occurrence"):
            raise CommandError(f"Phạm vi dừng «{scope}» không hợp lệ: dùng «item» hoặc «occurrence».")
        return Stop(zone_id=zone_id, item_only=scope == "item")
    cmd = AirNow(
        urgent=action == "emergency",
        zone_id=zone_id,
        programme_id=_id(payload, "programme_id"),
        segment_id=_id(payload, "segment_id"),
        asset_path=_text(payload, "asset_path"),
        engine=_text(payload, "engine", 32) or "auto",
        live_s=_seconds(payload, "live_s"),
    )
    kinds = ("programme_id", "segment_id", "asset_path", "live_s")
    given = [k for k in kinds if getattr(cmd, k) is not None]
    if len(given) != 1:
        raise CommandError(
            "Lệnh không có nội dung để phát."
            if not given
            else "Lệnh phát chỉ được có một nội dung: chương trình, bản tin, tệp âm thanh "
            "hoặc phát trực tiếp."
        )
    return cmd


def to_row(cmd: Command) -> tuple[str, dict]:
    """Give back the action name and JSON payload that store a command (read back by parse_command)."""
    if isinstance(cmd, Replan):
        return "replan", {}
    if isinstance(cmd, Stop):
        return "stop", {"zone_id": cmd.zone_id, "scope": "item" if cmd.item_only else "occurrence"}
    payload = {k: v for k, v in asdict(cmd).items() if k != "urgent" and v is not None}
    if payload.get("engine") == "auto":
        del payload["engine"]
    payload.setdefault("zone_id", None)
    return ("emergency" if cmd.urgent else "play"), payload
