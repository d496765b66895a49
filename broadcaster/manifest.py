"""The one manifest format the district hub sends and a station applies: dataclasses, JSON, checks.

A manifest tells one station what the hub wants aired there in the coming days: airings (a
programme at an instant), the programmes and segments they are made of, and the audio files by
sha256. Everything is named by ``uid`` (never a local integer id), times are ISO 8601 in UTC.
:func:`parse` checks a document completely before anything is applied, and raises
:class:`ManifestError` with one Vietnamese line; ``version`` guards against a hub speaking a
newer format than this station understands.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .models import RELAY_FALLBACKS, AirStatus, CchcArea, ItemType, Priority, SegmentKind
from .rules import MAX_RELAY_S, relay_length_ok, stream_url_ok

VERSION = 1
#: How far ahead a manifest reaches (days).
HORIZON_DAYS = 14
#: As-run rows travel up once final; a row still playing or pending waits for its end.
FINAL_STATUSES = (
    AirStatus.PLAYED,
    AirStatus.INTERRUPTED,
    AirStatus.FAILED,
    AirStatus.MISSED,
    AirStatus.SKIPPED,
)
#: Most as-run rows one report carries (more go in further batches).
MAX_BATCH = 500
#: The header a station names itself in (a token used for another station is refused).
STATION_HEADER = "X-Broadcaster-Station"

_SHA = re.compile(r"[0-9a-f]{64}")
_EXT = re.compile(r"[a-z0-9]{1,5}")
_CHIME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class ManifestError(ValueError):
    """A manifest the station must not apply; the message is one Vietnamese line."""


@dataclass(frozen=True)
class AudioRef:
    sha256: str
    size: int
    duration_ms: int
    ext: str
    url: str  # relative to the hub's address

    @property
    def filename(self) -> str:
        return f"{self.sha256}.{self.ext}"


@dataclass(frozen=True)
class SegmentSpec:
    uid: str
    title: str
    kind: SegmentKind
    area: CchcArea | None
    procedure: str | None
    audio_sha256: str
    chime_before: bool = False


@dataclass(frozen=True)
class ItemSpec:
    type: ItemType
    segment: str | None = None  # uid
    chime: str | None = None
    pause_ms: int | None = None
    stream_url: str | None = None  # a relay (tiếp sóng): the stream, aired for duration_s seconds
    duration_s: int | None = None
    fallback: str | None = None  # a relay's fallback (RELAY_FALLBACKS); None: the station's own
    fallback_segment: str | None = None  # uid, with fallback "item"

    @property
    def needs(self) -> tuple[str, ...]:
        """Give back the uids of the segments this item airs (itself, or as its fallback)."""
        return tuple(uid for uid in (self.segment, self.fallback_segment) if uid is not None)


@dataclass(frozen=True)
class ProgrammeSpec:
    uid: str
    title: str
    items: tuple[ItemSpec, ...]


@dataclass(frozen=True)
class AiringSpec:
    uid: str  # the hub schedule's uid: the station's copy of it carries the same one
    programme: str  # uid
    at: datetime  # aware, UTC
    title: str
    priority: Priority
    window_minutes: int = 30


@dataclass(frozen=True)
class Manifest:
    station: str
    airings: tuple[AiringSpec, ...]
    programmes: tuple[ProgrammeSpec, ...]
    segments: tuple[SegmentSpec, ...]
    audio: tuple[AudioRef, ...]
    version: int = VERSION

    def to_json(self) -> dict[str, Any]:
        """Give back the document as plain JSON values (stable order: equal manifests, equal text)."""
        return {
            "version": self.version,
            "station": self.station,
            "airings": [
                {
                    "uid": a.uid,
                    "programme": a.programme,
                    "at": a.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "title": a.title,
                    "priority": a.priority.value,
                    "window_minutes": a.window_minutes,
                }
                for a in sorted(self.airings, key=lambda a: (a.at, a.uid))
            ],
            "programmes": [
                {
                    "uid": p.uid,
                    "title": p.title,
                    "items": [_item_json(i) for i in p.items],
                }
                for p in sorted(self.programmes, key=lambda p: p.uid)
            ],
            "segments": [
                {
                    "uid": s.uid,
                    "title": s.title,
                    "kind": s.kind.value,
                    "area": s.area.value if s.area else None,
                    "procedure": s.procedure,
                    "audio_sha256": s.audio_sha256,
                    "chime_before": s.chime_before,
                }
                for s in sorted(self.segments, key=lambda s: s.uid)
            ],
            "audio": [
                {"sha256": a.sha256, "size": a.size, "duration_ms": a.duration_ms, "ext": a.ext, "url": a.url}
                for a in sorted(self.audio, key=lambda a: a.sha256)
            ],
        }

    def dumps(self) -> str:
        """Give back the canonical JSON text (what the ETag is computed from)."""
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def etag(self) -> str:
        """Give back the entity tag: the sha256 of the canonical text (same content, same tag)."""
        return hashlib.sha256(self.dumps().encode("utf-8")).hexdigest()

    def audio_for(self, sha256: str) -> AudioRef | None:
        return next((a for a in self.audio if a.sha256 == sha256), None)


def _item_json(i: ItemSpec) -> dict[str, Any]:
    if i.type == ItemType.SEGMENT:
        return {"type": "segment", "segment": i.segment}
    if i.type == ItemType.CHIME:
        return {"type": "chime", "chime": i.chime}
    if i.type == ItemType.RELAY:
        return {
            "type": "relay",
            "stream_url": i.stream_url,
            "duration_s": i.duration_s,
            "fallback": i.fallback,
            "fallback_segment": i.fallback_segment,
        }
    return {"type": "pause", "pause_ms": i.pause_ms}


# --------------------------------------------------------------------------- reading


def _fail(where: str, what: str) -> ManifestError:
    return ManifestError(f"Bản kê từ huyện không hợp lệ ({where}): {what}.")


def _get(obj: Any, key: str, kind: type | tuple[type, ...], where: str, *, optional: bool = False) -> Any:
    if not isinstance(obj, dict):
        raise _fail(where, "phải là một đối tượng JSON")
    value = obj.get(key)
    if value is None and optional:
        return None
    # bool is an int in Python; a count given as true/false is still wrong.
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
        raise _fail(f"{where}.{key}", "thiếu hoặc sai kiểu")
    return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _uid(value: str, where: str) -> str:
    try:
        if str(uuid.UUID(value)) != value:
            raise ValueError
    except ValueError:
        raise _fail(where, f"mã «{value[:40]}» không phải UUID") from None
    return value


def _enum(cls: type, value: Any, where: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        raise _fail(where, f"giá trị «{str(value)[:40]}» không được nhận") from None


def _text(obj: Any, key: str, where: str, limit: int) -> str:
    value = _get(obj, key, str, where)
    if not value.strip() or len(value) > limit:
        raise _fail(f"{where}.{key}", f"phải có chữ và không quá {limit} ký tự")
    return value


def _at(raw: str, where: str) -> datetime:
    try:
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(where, f"thời điểm «{raw[:40]}» không đúng dạng ISO 8601") from None
    if at.tzinfo is None:
        raise _fail(where, "thời điểm phải có múi giờ")
    return at.astimezone(UTC)


def _item(raw: Any, where: str) -> ItemSpec:
    kind = _enum(ItemType, _get(raw, "type", str, where), f"{where}.type")
    if kind == ItemType.SEGMENT:
        return ItemSpec(kind, segment=_uid(_get(raw, "segment", str, where), f"{where}.segment"))
    if kind == ItemType.CHIME:
        chime = _get(raw, "chime", str, where)
        if not _CHIME.fullmatch(chime):
            raise _fail(f"{where}.chime", "tên nhạc hiệu không hợp lệ")
        return ItemSpec(kind, chime=chime)
    if kind == ItemType.RELAY:
        url, secs = _get(raw, "stream_url", str, where), _get(raw, "duration_s", int, where)
        if not stream_url_ok(url):
            raise _fail(f"{where}.stream_url", "luồng tiếp sóng phải là địa chỉ http://, https:// hoặc icecast://")
        if not relay_length_ok(secs):
            raise _fail(f"{where}.duration_s", f"thời lượng tiếp sóng phải từ 1 đến {MAX_RELAY_S} giây")
        fallback = _get(raw, "fallback", str, where, optional=True)
        if fallback is not None and fallback not in RELAY_FALLBACKS:
            raise _fail(f"{where}.fallback", f"cách phát thay «{fallback[:40]}» không được nhận")
        spare = _get(raw, "fallback_segment", str, where, optional=True)
        if (fallback == "item") != (spare is not None):
            raise _fail(f"{where}.fallback_segment", "chỉ và phải có khi phát thay bằng một mục")
        spare = _uid(spare, f"{where}.fallback_segment") if spare is not None else None
        return ItemSpec(kind, stream_url=url, duration_s=secs, fallback=fallback, fallback_segment=spare)
    ms = _get(raw, "pause_ms", int, where)
    if not 0 <= ms <= 600_000:
        raise _fail(f"{where}.pause_ms", "phải trong khoảng 0–600000")
    return ItemSpec(kind, pause_ms=ms)


def parse(doc: Any) -> Manifest:
    """Give back the manifest read from decoded JSON, checked whole; ManifestError names the first fault."""
    version = _get(doc, "version", int, "gốc")
    if version != VERSION:
        raise _fail(
            "version", f"phiên bản {version}, đài này chỉ hiểu phiên bản {VERSION}: hãy cập nhật phần mềm"
        )
    station = _get(doc, "station", str, "gốc")
    audio = []
    for n, raw in enumerate(_get(doc, "audio", list, "gốc")):
        where = f"audio[{n}]"
        sha = _get(raw, "sha256", str, where)
        if not _SHA.fullmatch(sha):
            raise _fail(f"{where}.sha256", "không phải mã sha256")
        size, dur = _get(raw, "size", int, where), _get(raw, "duration_ms", int, where)
        ext, url = _get(raw, "ext", str, where), _get(raw, "url", str, where)
        if size <= 0 or dur < 0 or not _EXT.fullmatch(ext) or not url.startswith("/"):
            raise _fail(where, "kích thước, thời lượng, đuôi tệp hoặc đường dẫn không hợp lệ")
        audio.append(AudioRef(sha, size, dur, ext, url))
    shas = {a.sha256 for a in audio}
    segments = []
    for n, raw in enumerate(_get(doc, "segments", list, "gốc")):
        where = f"segments[{n}]"
        sha = _get(raw, "audio_sha256", str, where)
        if sha not in shas:
            raise _fail(f"{where}.audio_sha256", "tệp âm thanh không có trong bản kê")
        area = _get(raw, "area", str, where, optional=True)
        procedure = _get(raw, "procedure", str, where, optional=True)
        segments.append(
            SegmentSpec(
                uid=_uid(_get(raw, "uid", str, where), f"{where}.uid"),
                title=_text(raw, "title", where, 300),
                kind=_enum(SegmentKind, _get(raw, "kind", str, where), f"{where}.kind"),
                area=_enum(CchcArea, area, f"{where}.area") if area else None,
                procedure=procedure[:100] if procedure else None,
                audio_sha256=sha,
                chime_before=bool(_get(raw, "chime_before", bool, where, optional=True)),
            )
        )
    seg_uids = {s.uid for s in segments}
    programmes = []
    for n, raw in enumerate(_get(doc, "programmes", list, "gốc")):
        where = f"programmes[{n}]"
        items = tuple(_item(i, f"{where}.items[{k}]") for k, i in enumerate(_get(raw, "items", list, where)))
        if not items:
            raise _fail(f"{where}.items", "chương trình không có mục nào")
        for i in items:
            if any(uid not in seg_uids for uid in i.needs):
                raise _fail(f"{where}.items", "bản tin không có trong bản kê")
        programmes.append(
            ProgrammeSpec(
                _uid(_get(raw, "uid", str, where), f"{where}.uid"), _text(raw, "title", where, 300), items
            )
        )
    prog_uids = {p.uid for p in programmes}
    airings = []
    for n, raw in enumerate(_get(doc, "airings", list, "gốc")):
        where = f"airings[{n}]"
        prog = _uid(_get(raw, "programme", str, where), f"{where}.programme")
        if prog not in prog_uids:
            raise _fail(f"{where}.programme", "chương trình không có trong bản kê")
        window = _get(raw, "window_minutes", int, where)
        if not 1 <= window <= 24 * 60:
            raise _fail(f"{where}.window_minutes", "phải trong khoảng 1–1440")
        airings.append(
            AiringSpec(
                uid=_uid(_get(raw, "uid", str, where), f"{where}.uid"),
                programme=prog,
                at=_at(_get(raw, "at", str, where), f"{where}.at"),
                title=_text(raw, "title", where, 300),
                priority=_enum(Priority, _get(raw, "priority", str, where), f"{where}.priority"),
                window_minutes=window,
            )
        )
    for name, uids in (
        ("airings", [a.uid for a in airings]),
        ("programmes", [p.uid for p in programmes]),
        ("segments", [s.uid for s in segments]),
        ("audio", [a.sha256 for a in audio]),
    ):
        if len(set(uids)) != len(uids):
            raise _fail(name, "có mục trùng mã")
    return Manifest(station, tuple(airings), tuple(programmes), tuple(segments), tuple(audio), version)


def loads(text: str | bytes) -> Manifest:
    """Give back the manifest read from JSON text (ManifestError when it is not JSON or not valid)."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise ManifestError("Bản kê từ huyện không phải JSON hợp lệ.") from None
    return parse(doc)
