"""Getting an airing ready: every item checked, rendered if needed and decoded to PCM before its start.

Only approved, still-valid segments air; the others become ``skipped`` items with a Vietnamese
reason. Audio that is missing or corrupt becomes a ``failed`` item; the rest of the programme airs.
Large programmes spill decoded PCM to raw files under the data dir so memory stays small.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from ..config import Config
from ..models import (
    AudioAsset,
    CchcArea,
    ItemType,
    Programme,
    ProgrammeItem,
    Segment,
    SegmentKind,
)
from ..rules import CHIMES, airability, listen_url, vn_num
from . import _media
from ._relay import RelaySource

log = logging.getLogger("broadcaster.playout")

MEMORY_BUDGET = 48 * 1024 * 1024  # decoded bytes kept in RAM per airing; the rest spills to disk
OFFLINE_ENGINE = "pyttsx3"
MIN_AUDIBLE_S = 0.05  # less decoded sound than this is no sound: the upload check refuses it too
TRUNCATED_SLACK_S = 0.5  # decoded audio shorter than the stored duration by more than this is cut short


@dataclass
class Content:
    """What an airing plays: a programme, one segment, or one sound file."""

    programme_id: int | None = None
    segment_id: int | None = None
    asset_path: str | None = None  # absolute, or relative to the media dir
    title: str = ""
    engine: str = "auto"  # "pyttsx3" for emergencies: offline, no waiting on the network
    relay_url: str | None = None  # a live stream relayed for ``relay_s`` seconds
    relay_s: float | None = None
    fallback_path: str | None = None  # what airs while the relayed stream fails (looped)
    live_s: float | None = None  # going live: the station's capture input for this many seconds


@dataclass
class PreparedItem:
    position: int
    item_type: ItemType
    title: str
    segment_id: int | None = None
    kind: SegmentKind | None = None
    area: CchcArea | None = None
    procedure: str | None = None
    sha256: str | None = None
    pcm: bytes | None = None
    pcm_path: Path | None = None
    nbytes: int = 0
    skip_reason: str | None = None
    error: str | None = None
    relay: RelaySource | None = None  # a live stream, decoded while it airs

    def open(self) -> BinaryIO:
        """Give back a reader over the decoded PCM; raises OSError once released (never reads empty)."""
        if self.relay is not None:
            return self.relay  # type: ignore[return-value]
        if self.pcm is not None:
            return io.BytesIO(self.pcm)
        if self.pcm_path is not None:
            return open(self.pcm_path, "rb")
        if self.nbytes == 0:
            return io.BytesIO(b"")  # a pause of 0 ms
        raise FileNotFoundError(f"Âm thanh đã chuẩn bị của mục «{self.title}» không còn.")

    def duration_ms(self, sample_rate: int) -> int:
        return int(self.nbytes / 2 / sample_rate * 1000)

    def release(self) -> None:
        self.pcm = None
        if self.relay is not None:
            self.relay.close()
        if self.pcm_path is not None:
            try:
                self.pcm_path.unlink()
            except OSError:
                pass
            self.pcm_path = None


@dataclass
class Prepared:
    items: list[PreparedItem] = field(default_factory=list)
    # What the audio was made from (see :func:`signature`): equal later means it still holds.
    signature: tuple = ()

    def release(self) -> None:
        for item in self.items:
            item.release()

    @property
    def nbytes(self) -> int:
        return sum(i.nbytes for i in self.items)


class _Spill:
    def __init__(self, config: Config, tag: str) -> None:
        self.used = 0
        self.dir = config.data_dir / "run" / "pcm"
        self.tag = tag

    def keep(self, item: PreparedItem, pcm: bytes) -> None:
        item.nbytes = len(pcm)
        if self.used + len(pcm) <= MEMORY_BUDGET:
            item.pcm = pcm
            self.used += len(pcm)
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{self.tag}-{item.position}-{os.getpid()}.raw"
        path.write_bytes(pcm)
        item.pcm_path = path


def _decode(path: Path, config: Config, expect_ms: int | None = None) -> bytes:
    """Give back a file's PCM; raises AudioError when it holds no sound or less than it should."""
    pcm = _media.load_pcm(path, config.sample_rate)
    got = len(pcm) / 2 / config.sample_rate
    if expect_ms and got < expect_ms / 1000 - TRUNCATED_SLACK_S:
        raise _media.AudioError(
            f"Tệp âm thanh «{path.name}» bị cắt cụt: chỉ còn {vn_seconds(got)} "
            f"trên {vn_seconds(expect_ms / 1000)}."
        )
    if got < MIN_AUDIBLE_S:
        raise _media.AudioError(f"Tệp âm thanh «{path.name}» không có tiếng (chỉ {vn_seconds(got)}).")
    return pcm


def vn_seconds(secs: float) -> str:
    """Give back a duration the Vietnamese way: "2,5 giây"."""
    return f"{vn_num(round(secs, 1))} giây"


def _asset_file(config: Config, asset: AudioAsset | None) -> Path | None:
    if asset is None:
        return None
    p = Path(asset.path)
    return p if p.is_absolute() else config.media_dir / p


def _segment_audio(
    session: Session, config: Config, seg: Segment, render: bool, engine: str = "auto"
) -> AudioAsset:
    asset = seg.audio
    path = _asset_file(config, asset)
    if asset is not None and path is not None and path.is_file():
        return asset
    if seg.upload_asset is not None:
        raise _media.AudioError(f"Không tìm thấy tệp ghi âm đã tải lên của bản tin «{seg.title}».")
    if not render:
        raise _media.AudioError(f"Bản tin «{seg.title}» chưa được chuyển thành giọng đọc.")
    if engine != "auto":
        return _media.render_segment(session, config, seg, engine=engine)
    try:
        return _media.render_segment(session, config, seg)
    except _media.AudioError as exc:
        log.warning("Chuyển giọng đọc «%s» lỗi (%s); thử bộ đọc ngoại tuyến.", seg.title, exc)
        return _media.render_segment(session, config, seg, engine=OFFLINE_ENGINE)


def _silence(config: Config, ms: int) -> bytes:
    return b"\0\0" * int(config.sample_rate * max(0, ms) / 1000)


def prepare_segment(
    session: Session,
    config: Config,
    seg: Segment | None,
    item: PreparedItem,
    spill: _Spill,
    *,
    local_day: date,
    render: bool = True,
    engine: str = "auto",
) -> None:
    """Fill ``item`` for a segment: PCM, or a skip reason, or an error."""
    if seg is None:
        item.error = "Bản tin không còn trong cơ sở dữ liệu."
        return
    item.segment_id, item.title = seg.id, seg.title
    item.kind, item.area, item.procedure = seg.kind, seg.area, seg.procedure
    item.skip_reason = airability(seg, local_day)
    if item.skip_reason is not None:
        return
    try:
        asset = _segment_audio(session, config, seg, render, engine)
        pcm = _decode(_asset_file(config, asset), config, asset.duration_ms)
        item.sha256 = asset.sha256
        if seg.chime_before:
            try:
                pcm = _media.load_pcm(_media.chime_path("thong-bao"), config.sample_rate) + pcm
            except _media.AudioError as exc:
                log.warning("Không có nhạc hiệu trước bản tin «%s»: %s", seg.title, exc)
    except _media.AudioError as exc:
        item.error = str(exc) or f"Không có âm thanh cho bản tin «{seg.title}»."
        return
    except OSError as exc:
        item.error = f"Không đọc được âm thanh của bản tin «{seg.title}»: {exc.strerror or exc}."
        return
    spill.keep(item, pcm)


def prepare(
    session: Session, config: Config, content: Content, *, local_day: date, tag: str, render: bool = True
) -> Prepared:
    """Give back the decoded items of an airing; never raises on bad content, it marks the item."""
    spill = _Spill(config, tag)
    out = Prepared(signature=signature(session, content))
    if content.live_s is not None:
        out.items.append(live_item(config, content.live_s, content.title))
        return out
    if content.relay_url is not None:
        out.items.append(
            relay_item(
                config, 0, content.relay_url, content.relay_s or 0, content.fallback_path, content.title
            )
        )
        return out
    if content.asset_path is not None:
        p = Path(content.asset_path)
        path = p if p.is_absolute() else config.media_dir / p
        item = PreparedItem(position=0, item_type=ItemType.SEGMENT, title=content.title or p.name)
        try:
            raw = path.read_bytes()
            item.sha256 = hashlib.sha256(raw).hexdigest()
            spill.keep(item, _decode(path, config))
        except FileNotFoundError:
            item.error = f"Không tìm thấy tệp âm thanh «{p.name}»."
        except OSError as exc:
            item.error = f"Không đọc được tệp âm thanh «{p.name}»: {exc.strerror or exc}."
        except _media.AudioError as exc:
            item.error = str(exc)
        out.items.append(item)
        return out
    if content.segment_id is not None:
        item = PreparedItem(position=0, item_type=ItemType.SEGMENT, title=content.title)
        prepare_segment(
            session,
            config,
            session.get(Segment, content.segment_id),
            item,
            spill,
            local_day=local_day,
            render=render,
            engine=content.engine,
        )
        out.items.append(item)
        return out
    prog = session.get(Programme, content.programme_id) if content.programme_id is not None else None
    if prog is None:
        out.items.append(
            PreparedItem(
                position=0,
                item_type=ItemType.SEGMENT,
                title=content.title,
                error="Chương trình không còn trong cơ sở dữ liệu.",
            )
        )
        return out
    for pi in prog.items:
        item = PreparedItem(position=pi.position, item_type=pi.item_type, title="")
        if pi.item_type == ItemType.SEGMENT:
            prepare_segment(session, config, pi.segment, item, spill, local_day=local_day, render=render)
        elif pi.item_type == ItemType.CHIME:
            known = CHIMES.get(pi.chime or "")
            item.title = known.label if known else f"Nhạc hiệu «{pi.chime}»"
            try:
                path = _media.chime_path(pi.chime or "")
                spill.keep(item, _decode(Path(path), config))
                item.sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            except (_media.AudioError, OSError) as exc:
                item.error = str(exc) or f"Không có nhạc hiệu «{pi.chime}»."
        elif pi.item_type == ItemType.RELAY:
            item = relay_item(
                config,
                pi.position,
                pi.stream_url or "",
                pi.duration_s or 0,
                None,
                "",
                fill=_relay_fill(session, config, pi, local_day, render),
            )
        else:
            item.title = f"Khoảng lặng {(pi.pause_ms or 0) / 1000:g} giây"
            spill.keep(item, _silence(config, pi.pause_ms or 0))
        out.items.append(item)
    return out


@dataclass
class RelayFill:
    """A relay item's own fallback, as prepared: silence, an item's audio, or the next items."""

    mode: str  # "silence", "item" or "next" (RELAY_FALLBACKS)
    pcm: bytes | None = None  # the item's audio ("item")
    label: str | None = None  # the item as the as-run row names it
    note: str | None = None  # why the chosen item will not air (then silence)


def _relay_fill(
    session: Session, config: Config, pi: ProgrammeItem, local_day: date, render: bool
) -> RelayFill | None:
    """Give back what a relay item of a programme airs while its stream fails (None: the station's).

    A chosen item airs only if it may air that day (the same check as any segment, approved and
    valid): else silence, and the as-run row says why.
    """
    if pi.fallback is None:
        return None
    if pi.fallback != "item":
        return RelayFill(pi.fallback)
    probe = PreparedItem(position=pi.position, item_type=ItemType.SEGMENT, title="")
    prepare_segment(
        session,
        config,
        pi.fallback_segment,
        probe,
        _Spill(config, "fill"),
        local_day=local_day,
        render=render,
    )
    why = probe.skip_reason or probe.error
    if why is not None:
        return RelayFill("silence", note=f"không phát thay bằng bản tin đã chọn: {why.rstrip('.')}")
    pcm = probe.pcm if probe.pcm is not None else probe.pcm_path.read_bytes()  # type: ignore[union-attr]
    probe.release()
    return RelayFill("item", pcm=pcm, label=f"bản tin «{probe.title}»")


def relay_item(
    config: Config,
    position: int,
    url: str,
    seconds: float,
    fallback: str | None,
    title: str,
    *,
    fill: RelayFill | None = None,
) -> PreparedItem:
    """Give back a relay item: the stream is opened later, just ahead of air (see RelaySource).

    ``fallback`` is a sound file; ``fill`` the item's own choice. With neither, the station's file
    (BROADCASTER_RELAY_FALLBACK) or silence; it also follows the next items once none is left.
    """
    item = PreparedItem(position=position, item_type=ItemType.RELAY, title=title or f"Tiếp sóng {_host(url)}")
    pcm, label = None, None
    if fill is not None and fill.mode == "item":
        pcm, label = fill.pcm, fill.label
    elif fill is None or fill.mode == "next":
        fallback = fallback or config.relay_fallback  # the station's choice when the item names none
        if fallback:
            try:
                pcm = _media.load_pcm(Path(fallback), config.sample_rate)
                label = f"tệp «{Path(fallback).name}»"
            except _media.AudioError as exc:
                log.warning("Không dùng được âm thanh phát thay khi tiếp sóng: %s", exc)
    if not url or seconds <= 0:
        item.error = "Mục tiếp sóng thiếu địa chỉ luồng hoặc thời lượng."
        return item
    item.relay = RelaySource(
        listen_url(url),
        seconds,
        sample_rate=config.sample_rate,
        fallback=pcm,
        fallback_label=label,
        silence_s=config.relay_silence,
        tz=config.tz,
        whole=fill is not None and fill.mode == "item",
        fill_next=fill is not None and fill.mode == "next",
        note=fill.note if fill is not None else None,
    )
    item.nbytes = item.relay.nbytes
    return item


def live_item(config: Config, seconds: float, title: str) -> PreparedItem:
    """Give back the item of a live airing: the capture input opens when it airs."""
    from ._live import LiveSource

    item = PreparedItem(position=0, item_type=ItemType.RELAY, title=title or "Phát trực tiếp từ đài")
    item.relay = LiveSource(config.live_input, seconds, sample_rate=config.sample_rate, tz=config.tz)
    item.nbytes = item.relay.nbytes
    return item


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname or ''}{parts.path}" if parts.hostname else url[:80]


def _segment_signature(seg: Segment | None) -> tuple:
    if seg is None:
        return (None,)
    return (
        seg.id,
        seg.status,
        seg.valid_from,
        seg.valid_to,
        seg.chime_before,
        seg.upload_asset_id,
        seg.render_asset_id,
        seg.updated_at,
    )


def signature(session: Session, content: Content) -> tuple:
    """Give back what an airing's audio is made of (items, their status, dates and audio).

    Two equal signatures mean audio prepared for the first still is what the content says now;
    a write elsewhere (a new draft, another programme) leaves it equal.
    """
    if content.asset_path is not None:
        p = Path(content.asset_path)
        try:
            st = p.stat()
            return ("file", str(p), st.st_size, st.st_mtime_ns)
        except OSError:
            return ("file", str(p), None)
    if content.relay_url is not None:
        return ("relay", content.relay_url, content.relay_s, content.fallback_path)
    if content.live_s is not None:
        return ("live", content.live_s)
    if content.segment_id is not None:
        return ("segment", _segment_signature(session.get(Segment, content.segment_id)))
    prog = session.get(Programme, content.programme_id) if content.programme_id is not None else None
    if prog is None:
        return ("programme", None)
    return (
        "programme",
        prog.id,
        tuple(
            (
                pi.position,
                pi.item_type,
                pi.chime,
                pi.pause_ms,
                pi.stream_url,
                pi.duration_s,
                pi.fallback,
                _segment_signature(pi.fallback_segment) if pi.fallback == "item" else None,
                _segment_signature(pi.segment) if pi.item_type == ItemType.SEGMENT else None,
            )
            for pi in prog.items
        ),
    )
