"""Typed station configuration, read once from ``BROADCASTER_*`` environment variables.

A bad value, or a ``BROADCASTER_*`` name the station does not know (a typo would otherwise be
ignored in silence), raises :class:`ConfigError` with one Vietnamese line that names the variable;
the command line turns it into exit code 2. Officer-adjustable preferences (engine order, voice,
loudness...) start from these values and may be overridden in the database: every process reads
its effective configuration through :func:`broadcaster.rules.effective_config`. Engine and sink
names are checked against their registries (``broadcaster.audio.ENGINES``, ``broadcaster.playout.SINKS``)
by the processes that use them, not against a copy here.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "BROADCASTER_"
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
    secure_cookies: bool = False
    session_hours: int = 8
    tts_order: tuple[str, ...] = ("gtts", "pyttsx3")
    dialect: str = "north"
    speed: int = 150
    gtts_url: str = ""
    gtts_throttle_ms: int = 300
    gtts_retries: int = 4
    gtts_backoff_ms: int = 500
    gtts_request_timeout_ms: int = 10000
    pyttsx3_mode: str = "auto"
    tts_timeout: float = 60.0
    loudness_target: float = -16.0
    true_peak: float = -1.0
    sample_rate: int = 44100
    audio_format: str = "wav"
    sentence_pause_ms: int = 350
    paragraph_pause_ms: int = 700
    sink: str = "auto"
    relay_silence: float = 10.0  # a relayed stream silent this long is replaced by the fallback
    relay_fallback: str = ""  # a sound file (looped) a failing relay item gives way to; "": silence
    live_input: str = "alsa:default"  # going live: ffmpeg's FORMAT:INPUT (line-in or microphone)
    dead_air: float = 15.0  # nothing reached a sink this long while an item airs: an alarm
    misfire_grace: int = 600
    plan_hours: int = 48
    prepare_ahead: int = 300
    upload_limit_mb: int = 50
    debug: bool = False
    #: ``station`` (a commune station) or ``hub`` (the district server, on PostgreSQL).
    mode: str = "station"
    hub_url: str = ""
    hub_token: str = ""
    sync_interval: int = 60
    #: The live link's broker (``mqtt://`` or ``mqtts://``); the hub's URL carries its own user and
    #: password, a station authenticates as its code with its hub token.
    mqtt_url: str = ""
    mqtt_keepalive: int = 60
    mqtt_heartbeat: int = 30

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


Parse = Callable[[str, str], Any]


def _int(lo: int, hi: int) -> Parse:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name}={raw!r}: phải là số nguyên.") from None
        if not lo <= value <= hi:
            raise ConfigError(f"{PREFIX}{name}={raw!r}: phải nằm trong khoảng {lo}–{hi}.")
        return value

    return parse


def _float(lo: float, hi: float) -> Parse:
    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name}={raw!r}: phải là số.") from None
        if not lo <= value <= hi:
            raise ConfigError(f"{PREFIX}{name}={raw!r}: phải nằm trong khoảng {lo:g}–{hi:g}.")
        return value

    return parse


def _choice(*choices: str) -> Parse:
    def parse(name: str, raw: str) -> str:
        if raw not in choices:
            raise ConfigError(f"{PREFIX}{name}={raw!r}: chỉ nhận một trong {', '.join(choices)}.")
        return raw

    return parse


def _text(_name: str, raw: str) -> str:
    return raw


def _live_input(name: str, raw: str) -> str:
    fmt, sep, device = raw.partition(":")
    if not sep or not fmt.strip() or not device.strip() or not fmt.isalnum():
        raise ConfigError(
            f"{PREFIX}{name}={raw!r}: phải có dạng ĐỊNH_DẠNG:THIẾT_BỊ của ffmpeg, ví dụ alsa:default "
            "hoặc alsa:hw:1,0."
        )
    return raw


def _flag(name: str, raw: str) -> bool:
    low = raw.lower()
    if low in ("1", "true", "yes", "on", "có"):
        return True
    if low in ("0", "false", "no", "off", "không"):
        return False
    raise ConfigError(f"{PREFIX}{name}={raw!r}: dùng 1 (bật) hoặc 0 (tắt).")


def _database_url(name: str, raw: str) -> str:
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", raw):
        raise ConfigError(f"{PREFIX}{name}: chỉ hỗ trợ sqlite:// hoặc postgresql://.")
    return raw


def _names(_name: str, raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in raw.split(",") if p.strip())


SPEC_CREDENTIALS = re.compile(r"(//[^:/@\s]+:)[^@\s]*@")
REDACTED = "***"


def public_spec(spec: str | None) -> str:
    """Give back a sink spec fit to show or store as text: a URL's password becomes ``***``.

    The one place a spec becomes text (as-run rows, pages, the audit trail, logs, this module's
    errors): an Icecast source password must never leave the zone's own setting.
    """
    return SPEC_CREDENTIALS.sub(rf"\g<1>{REDACTED}@", spec or "")


def _sink(name: str, raw: str) -> str:
    # Only the shape "NAME" or "NAME:ARGUMENT"; the daemon checks NAME against its sink registry.
    if not re.fullmatch(r"[a-z][a-z0-9_-]*(:.+)?", raw):
        raise ConfigError(
            f"{PREFIX}{name}={public_spec(raw)!r}: dùng auto, null, file:ĐƯỜNG_DẪN.wav, command:LỆNH "
            "hoặc icecast://source:MẬT_KHẨU@MÁY_CHỦ:CỔNG/ĐIỂM_PHÁT."
        )
    return raw


def _mqtt_url(name: str, raw: str) -> str:
    if not re.match(r"^mqtts?://[^/\s]+/?$", raw):
        raise ConfigError(f"{PREFIX}{name}: cần địa chỉ dạng mqtt://máy-chủ[:cổng] hoặc mqtts://máy-chủ[:cổng].")
    return raw.rstrip("/")


def _hub_url(name: str, raw: str) -> str:
    if not re.match(r"^https?://[^/\s]+", raw):
        raise ConfigError(f"{PREFIX}{name}={raw!r}: cần địa chỉ dạng http(s)://máy-chủ-huyện[:cổng].")
    return raw.rstrip("/")


#: Every ``BROADCASTER_*`` name the station reads: the field it sets and how its text is read.
VARIABLES: dict[str, tuple[str, Parse]] = {
    "DATA_DIR": ("data_dir", lambda _n, raw: Path(raw)),
    "DATABASE_URL": ("database_url", _database_url),
    "TIMEZONE": ("timezone", _text),
    "STATION_CODE": ("station_code", _text),
    "STATION_NAME": ("station_name", _text),
    "WEB_HOST": ("web_host", _text),
    "WEB_PORT": ("web_port", _int(1, 65535)),
    "WEB_WORKERS": ("web_workers", _int(1, 32)),
    "SECRET_KEY": ("secret_key", _text),
    "SECURE_COOKIES": ("secure_cookies", _flag),
    "SESSION_HOURS": ("session_hours", _int(1, 24 * 30)),
    "TTS_ORDER": ("tts_order", _names),
    "DIALECT": ("dialect", _choice(*DIALECTS)),
    "SPEED": ("speed", _int(60, 400)),
    "GTTS_URL": ("gtts_url", _text),
    "GTTS_THROTTLE_MS": ("gtts_throttle_ms", _int(0, 60_000)),
    "GTTS_RETRIES": ("gtts_retries", _int(0, 20)),
    "GTTS_BACKOFF_MS": ("gtts_backoff_ms", _int(0, 60_000)),
    "GTTS_REQUEST_TIMEOUT_MS": ("gtts_request_timeout_ms", _int(100, 600_000)),
    "PYTTSX3_MODE": ("pyttsx3_mode", _choice("auto", "api")),
    "TTS_TIMEOUT": ("tts_timeout", _float(1, 3600)),
    "LOUDNESS_TARGET": ("loudness_target", _float(-40, -5)),
    "TRUE_PEAK": ("true_peak", _float(-9, 0)),
    "SAMPLE_RATE": ("sample_rate", lambda n, raw: int(_choice("44100", "48000")(n, raw))),
    "AUDIO_FORMAT": ("audio_format", _choice("wav", "mp3")),
    "SENTENCE_PAUSE_MS": ("sentence_pause_ms", _int(0, 5000)),
    "PARAGRAPH_PAUSE_MS": ("paragraph_pause_ms", _int(0, 5000)),
    "SINK": ("sink", _sink),
    "RELAY_SILENCE": ("relay_silence", _float(1, 600)),
    "RELAY_FALLBACK": ("relay_fallback", _text),
    "LIVE_INPUT": ("live_input", _live_input),
    "DEAD_AIR": ("dead_air", _float(2, 3600)),
    "MISFIRE_GRACE": ("misfire_grace", _int(0, 86400)),
    "PLAN_HOURS": ("plan_hours", _int(1, 24 * 31)),
    "PREPARE_AHEAD": ("prepare_ahead", _int(0, 86400)),
    "UPLOAD_LIMIT_MB": ("upload_limit_mb", _int(1, 1024)),
    "DEBUG": ("debug", _flag),
    "MODE": ("mode", _choice("station", "hub")),
    "HUB_URL": ("hub_url", _hub_url),
    "HUB_TOKEN": ("hub_token", _text),
    "SYNC_INTERVAL": ("sync_interval", _int(5, 86400)),
    "MQTT_URL": ("mqtt_url", _mqtt_url),
    "MQTT_KEEPALIVE": ("mqtt_keepalive", _int(1, 3600)),
    "MQTT_HEARTBEAT": ("mqtt_heartbeat", _int(1, 3600)),
}


def _validate(cfg: Config) -> None:
    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{PREFIX}TIMEZONE={cfg.timezone!r}: không phải múi giờ hợp lệ.") from None
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", cfg.station_code):
        raise ConfigError(
            f"{PREFIX}STATION_CODE={cfg.station_code!r}: chỉ dùng chữ thường không dấu, số và gạch ngang."
        )
    if not cfg.tts_order:
        raise ConfigError(f"{PREFIX}TTS_ORDER: cần ít nhất một bộ đọc.")


def _unknown(name: str) -> ConfigError:
    close = difflib.get_close_matches(name, VARIABLES, n=1, cutoff=0.6)
    hint = f" Có phải ý bạn là {PREFIX}{close[0]}?" if close else ""
    return ConfigError(f"{PREFIX}{name}: không có thiết lập này.{hint}")


def load(environ: dict[str, str] | None = None) -> Config:
    """Give back the configuration read from the environment, validated."""
    env = os.environ if environ is None else environ
    kw: dict[str, Any] = {}
    for key in sorted(env):
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX) :]
        if name not in VARIABLES:
            raise _unknown(name)
        raw = env[key].strip()
        if raw == "":
            continue  # set but empty: the default, as if unset
        field_name, parse = VARIABLES[name]
        kw[field_name] = parse(name, raw)
    cfg = Config(**kw)
    _validate(cfg)
    return cfg
