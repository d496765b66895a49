"""Typed station configuration, read once from ``BROADCASTER_*`` environment variables.

A bad value raises :class:`ConfigError` with one Vietnamese line that names the variable; the
command line turns it into exit code 2.  Officer-adjustable preferences (engine order, voice,
loudness...) start from these values and may be overridden in the database settings table.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "BROADCASTER_"
ENGINES = ("gtts", "pyttsx3")
DIALECTS = ("north", "central", "south")


class ConfigError(ValueError):
    """A setting has a value the station cannot run with."""


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path("var")
    database_url: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    station_code: str = "xa-mau"
    station_name: str = "Đài truyền thanh xã"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_workers: int = 2
    secret_key: str = ""
    tts_order: tuple[str, ...] = ("gtts", "pyttsx3")
    dialect: str = "north"
    speed: int = 150
    gtts_url: str = ""
    tts_timeout: float = 60.0
    loudness_target: float = -16.0
    true_peak: float = -1.0
    sample_rate: int = 44100
    audio_format: str = "wav"
    sentence_pause_ms: int = 350
    paragraph_pause_ms: int = 700
    sink: str = "auto"
    misfire_grace: int = 600
    plan_hours: int = 48
    prepare_ahead: int = 300
    upload_limit_mb: int = 50
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'broadcaster.db').resolve()}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    def with_overrides(self, **changes: Any) -> Config:
        """Give back a copy with some fields replaced (validated like the environment)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        cfg = Config(**values)
        _validate(cfg)
        return cfg


def _int(name: str, raw: str, lo: int, hi: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: phải là số nguyên.") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: phải nằm trong khoảng {lo}–{hi}.")
    return value


def _float(name: str, raw: str, lo: float, hi: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: phải là số.") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: phải nằm trong khoảng {lo}–{hi}.")
    return value


def _choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise ConfigError(f"{PREFIX}{name}={raw!r}: chỉ nhận một trong {', '.join(choices)}.")
    return raw


def _validate(cfg: Config) -> None:
    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{PREFIX}TIMEZONE={cfg.timezone!r}: không phải múi giờ hợp lệ.") from None
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", cfg.station_code):
        raise ConfigError(
            f"{PREFIX}STATION_CODE={cfg.station_code!r}: chỉ dùng chữ thường không dấu, số và gạch ngang."
        )
    for engine in cfg.tts_order:
        if engine not in ENGINES:
            raise ConfigError(f"{PREFIX}TTS_ORDER: không có bộ đọc {engine!r} (có: {', '.join(ENGINES)}).")
    if not cfg.tts_order:
        raise ConfigError(f"{PREFIX}TTS_ORDER: cần ít nhất một bộ đọc.")


def load(environ: dict[str, str] | None = None) -> Config:
    """Give back the configuration read from the environment, validated."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(PREFIX + name)
        return value.strip() if value is not None and value.strip() != "" else None

    kw: dict[str, Any] = {}
    if (v := get("DATA_DIR")) is not None:
        kw["data_dir"] = Path(v)
    if (v := get("DATABASE_URL")) is not None:
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", v):
            raise ConfigError(f"{PREFIX}DATABASE_URL: chỉ hỗ trợ sqlite:// hoặc postgresql://.")
        kw["database_url"] = v
    for name in ("TIMEZONE", "STATION_CODE", "STATION_NAME", "WEB_HOST", "SECRET_KEY", "GTTS_URL"):
        if (v := get(name)) is not None:
            kw[name.lower()] = v
    if (v := get("WEB_PORT")) is not None:
        kw["web_port"] = _int("WEB_PORT", v, 1, 65535)
    if (v := get("WEB_WORKERS")) is not None:
        kw["web_workers"] = _int("WEB_WORKERS", v, 1, 32)
    if (v := get("TTS_ORDER")) is not None:
        kw["tts_order"] = tuple(p.strip() for p in v.split(",") if p.strip())
    if (v := get("DIALECT")) is not None:
        kw["dialect"] = _choice("DIALECT", v, DIALECTS)
    if (v := get("SPEED")) is not None:
        kw["speed"] = _int("SPEED", v, 60, 400)
    if (v := get("TTS_TIMEOUT")) is not None:
        kw["tts_timeout"] = _float("TTS_TIMEOUT", v, 1, 3600)
    if (v := get("LOUDNESS_TARGET")) is not None:
        kw["loudness_target"] = _float("LOUDNESS_TARGET", v, -40, -5)
    if (v := get("TRUE_PEAK")) is not None:
        kw["true_peak"] = _float("TRUE_PEAK", v, -9, 0)
    if (v := get("SAMPLE_RATE")) is not None:
        kw["sample_rate"] = int(_choice("SAMPLE_RATE", v, ("44100", "48000")))
    if (v := get("AUDIO_FORMAT")) is not None:
        kw["audio_format"] = _choice("AUDIO_FORMAT", v, ("wav", "mp3"))
    if (v := get("SENTENCE_PAUSE_MS")) is not None:
        kw["sentence_pause_ms"] = _int("SENTENCE_PAUSE_MS", v, 0, 5000)
    if (v := get("PARAGRAPH_PAUSE_MS")) is not None:
        kw["paragraph_pause_ms"] = _int("PARAGRAPH_PAUSE_MS", v, 0, 5000)
    if (v := get("SINK")) is not None:
        if not re.match(r"^(auto|null|file:.+|command:.+)$", v):
            raise ConfigError(f"{PREFIX}SINK={v!r}: dùng auto, null, file:ĐƯỜNG_DẪN.wav hoặc command:LỆNH.")
        kw["sink"] = v
    if (v := get("MISFIRE_GRACE")) is not None:
        kw["misfire_grace"] = _int("MISFIRE_GRACE", v, 0, 86400)
    if (v := get("PLAN_HOURS")) is not None:
        kw["plan_hours"] = _int("PLAN_HOURS", v, 1, 24 * 31)
    if (v := get("PREPARE_AHEAD")) is not None:
        kw["prepare_ahead"] = _int("PREPARE_AHEAD", v, 0, 86400)
    if (v := get("UPLOAD_LIMIT_MB")) is not None:
        kw["upload_limit_mb"] = _int("UPLOAD_LIMIT_MB", v, 1, 1024)
    known = {
        "DATA_DIR",
        "DATABASE_URL",
        "TIMEZONE",
        "STATION_CODE",
        "STATION_NAME",
        "WEB_HOST",
        "WEB_PORT",
        "WEB_WORKERS",
        "SECRET_KEY",
        "TTS_ORDER",
        "DIALECT",
        "SPEED",
        "GTTS_URL",
        "TTS_TIMEOUT",
        "LOUDNESS_TARGET",
        "TRUE_PEAK",
        "SAMPLE_RATE",
        "AUDIO_FORMAT",
        "SENTENCE_PAUSE_MS",
        "PARAGRAPH_PAUSE_MS",
        "SINK",
        "MISFIRE_GRACE",
        "PLAN_HOURS",
        "PREPARE_AHEAD",
        "UPLOAD_LIMIT_MB",
    }
    kw["extra"] = {
        k[len(PREFIX) :]: v for k, v in env.items() if k.startswith(PREFIX) and k[len(PREFIX) :] not in known
    }
    cfg = Config(**kw)
    _validate(cfg)
    return cfg
