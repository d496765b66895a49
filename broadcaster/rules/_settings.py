"""Officer-adjustable settings kept in the Setting table, over the values from the environment.

Each setting has a label, a parser that raises RuleError with a Vietnamese message, and a
default taken from the Config. :func:`effective_config` gives back the Config with the stored
values applied, for rendering and playout; :func:`apply_settings` does it from stored values read
some other way (``broadcaster render`` reads them with sqlite3: SQLAlchemy alone would cost more
than the command's start-up budget), so this module loads the database layer only when it reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import DIALECTS, Config
from ._errors import RuleError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DIALECT_LABELS = {"north": "Giọng miền Bắc", "central": "Giọng miền Trung", "south": "Giọng miền Nam"}
ENGINE_LABELS = {"gtts": "Google (cần mạng)", "pyttsx3": "eSpeak NG (ngoại tuyến)"}


def _engines(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [p.strip() for p in str(raw or "").split(",")]
    items = [p for p in items if p]
    if not items:
        raise RuleError("Cần ít nhất một bộ đọc.", "tts_order")
    # Whether each name is a known engine is the audio registry's answer (content asks it on save).
    if len(set(items)) != len(items):
        raise RuleError("Mỗi bộ đọc chỉ ghi một lần.", "tts_order")
    return items


def _choice(choices: tuple[str, ...], key: str) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        if str(raw) not in choices:
            raise RuleError("Giá trị không hợp lệ.", key)
        return str(raw)

    return parse


def _number(key: str, lo: float, hi: float, integer: bool = True) -> Callable[[Any], float | int]:
    def parse(raw: Any) -> float | int:
        try:
            value = int(str(raw).strip()) if integer else float(str(raw).strip().replace(",", "."))
        except ValueError:
            raise RuleError("Hãy nhập một số" + (" nguyên." if integer else "."), key) from None
        if not lo <= value <= hi:
            raise RuleError(f"Giá trị phải từ {lo:g} đến {hi:g}.", key)
        return value

    return parse


_SLOT = re.compile(r"^\s*(?P<name>[^|]*?)\s*\|?\s*(?P<a>\d{1,2}:\d{2})\s*[-–]\s*(?P<b>\d{1,2}:\d{2})\s*$")


def _slots(raw: Any) -> list[dict[str, str]]:
    """Slots as lines "Buổi sáng | 05:30-06:00" (name optional)."""
    if isinstance(raw, list):
        lines = [f"{s.get('name', '')} | {s['start']}-{s['end']}" for s in raw]
    else:
        lines = [ln for ln in str(raw or "").splitlines() if ln.strip()]
    out = []
    for ln in lines:
        m = _SLOT.match(ln)
        if not m:
            raise RuleError(f"Dòng «{ln.strip()}» không đúng dạng «Tên | GG:PP-GG:PP».", "slots")
        a, b = m["a"].zfill(5), m["b"].zfill(5)
        for t in (a, b):
            hh, mm = int(t[:2]), int(t[3:])
            if hh > 23 or mm > 59:
                raise RuleError(f"Giờ «{t}» không hợp lệ.", "slots")
        if b <= a:
            raise RuleError(f"Khung giờ «{ln.strip()}»: giờ kết thúc phải sau giờ bắt đầu.", "slots")
        out.append({"name": m["name"] or f"{a}–{b}", "start": a, "end": b})
    return out


@dataclass(frozen=True)
class SettingDef:
    key: str
    label: str
    help: str
    parse: Callable[[Any], Any]
    default: Callable[[Config], Any]


SETTINGS: tuple[SettingDef, ...] = (
    SettingDef(
        "tts_order",
        "Thứ tự bộ đọc",
        "Bộ đọc thử trước, cách nhau bởi dấu phẩy: gtts, pyttsx3.",
        _engines,
        lambda c: list(c.tts_order),
    ),
    SettingDef(
        "dialect",
        "Giọng đọc",
        "Giọng vùng miền của bộ đọc.",
        _choice(DIALECTS, "dialect"),
        lambda c: c.dialect,
    ),
    SettingDef(
        "speed",
        "Tốc độ đọc (từ/phút)",
        "Từ 60 đến 400; 150 là vừa phải cho loa ngoài trời.",
        _number("speed", 60, 400),
        lambda c: c.speed,
    ),
    SettingDef(
        "loudness_target",
        "Độ lớn mục tiêu (LUFS)",
        "Từ -40 đến -5; -16 phù hợp loa truyền thanh.",
        _number("loudness_target", -40, -5, integer=False),
        lambda c: c.loudness_target,
    ),
    SettingDef(
        "slots",
        "Khung giờ phát",
        "Mỗi dòng một buổi: «Buổi sáng | 05:30-06:00».",
        _slots,
        lambda c: [
            {"name": "Buổi sáng", "start": "05:30", "end": "06:00"},
            {"name": "Buổi chiều", "start": "17:00", "end": "17:30"},
        ],
    ),
    SettingDef(
        "misfire_grace",
        "Cho phép phát trễ (giây)",
        "Máy bật lại trễ hơn mức này thì buổi phát bị ghi là bỏ lỡ.",
        _number("misfire_grace", 0, 86400),
        lambda c: c.misfire_grace,
    ),
)
BY_KEY = {d.key: d for d in SETTINGS}


def get_settings(session: Session, station_id: int, config: Config) -> dict[str, Any]:
    """Give back every setting: the stored value, else the default from the configuration."""
    from sqlalchemy import select

    from ..models import Setting

    stored = {
        s.key: s.value for s in session.scalars(select(Setting).where(Setting.station_id == station_id))
    }
    return with_defaults(stored, config)


def with_defaults(stored: Mapping[str, Any], config: Config) -> dict[str, Any]:
    """Give back every setting: the stored value (key → value as the Setting rows hold them), else
    the default from the configuration."""
    return {d.key: stored.get(d.key, d.default(config)) for d in SETTINGS}


def effective_config(session: Session, station_id: int, config: Config) -> Config:
    """Give back the configuration with the station's stored settings applied."""
    return apply_settings(config, get_settings(session, station_id, config))


def apply_settings(config: Config, stored: Mapping[str, Any]) -> Config:
    """Give back the configuration with stored settings (key → value, as the Setting rows) applied."""
    s = with_defaults(stored, config)
    try:
        return config.with_overrides(
            tts_order=tuple(s["tts_order"]),
            dialect=s["dialect"],
            speed=int(s["speed"]),
            loudness_target=float(s["loudness_target"]),
            misfire_grace=int(s["misfire_grace"]),
        )
    except (ValueError, TypeError, KeyError):
        return config
