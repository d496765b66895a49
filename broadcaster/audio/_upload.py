"""Uploaded recordings and decoding: import_upload and load_pcm."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Config
from ..models import AudioAsset
from . import _tools
from ._assemble import finish_pcm
from ._errors import AudioError
from ._render import relative_media_path

#: Longest recording accepted: a whole session. Longer is almost surely a wrong file.
MAX_UPLOAD_S = 2 * 3600
#: Decoding in memory is fine up to here (mono 44.1 kHz: ~160 MB); longer files are refused.
KNOWN_FORMATS = ("mp3", "wav", "m4a", "mp4", "aac", "ogg", "oga", "opus", "flac", "wma", "amr", "webm", "3gp")


def load_pcm(path: Path | str, sample_rate: int = 44100) -> bytes:
    """Return any audio file decoded to mono s16le PCM at ``sample_rate``.

    Raises AudioError naming the file and the reason when it is missing, empty or corrupt.
    """
    p = Path(path)
    if not p.is_file():
        raise AudioError(f"Không tìm thấy tệp âm thanh «{p.name}».")
    if p.stat().st_size == 0:
        raise AudioError(f"Tệp âm thanh «{p.name}» rỗng.")
    try:
        pcm = _tools.decode(p, sample_rate)
    except AudioError as exc:
        raise AudioError(f"Tệp âm thanh «{p.name}» bị hỏng hoặc không đọc được ({exc}).") from None
    if not pcm:
        raise AudioError(f"Tệp âm thanh «{p.name}» bị hỏng hoặc không đọc được (không có mẫu âm thanh nào).")
    return pcm



def import_upload(
    session: Session, config: Config, station_id: int | None, src_path: Path | str, original_name: str
) -> AudioAsset:
    """Return a new AudioAsset for an uploaded recording, loudness-normalized and stored.

    The file is probed with ffprobe (anything that is not decodable audio is refused with
    "Tệp không phải âm thanh hợp lệ…"), decoded, trimmed, cleared of silences of 2 s or more,
    brought to the station loudness like rendered speech and stored under the media dir as
    ``uploads/<sha[:2]>/<sha>.<fmt>``. The original is not kept. Flushes; the caller commits.
    """
    src = Path(src_path)
    name = Path(original_name or src.name).name
    if not src.is_file():
        raise AudioError(f"Không tìm thấy tệp tải lên «{name}».")
    size = src.stat().st_size
    if size == 0:
        raise AudioError(f"Tệp không phải âm thanh hợp lệ: «{name}» rỗng.")
    if size > config.upload_limit_mb * 1024 * 1024:
        raise AudioError(f"Tệp «{name}» quá lớn: tối đa {config.upload_limit_mb} MB.")
    info = _tools.probe(src)
    if info.duration_s <= 0.05:
        raise AudioError(f"Tệp không phải âm thanh hợp lệ: «{name}» không có nội dung âm thanh.")
    if info.duration_s > MAX_UPLOAD_S:
        raise AudioError(f"Tệp «{name}» dài quá {MAX_UPLOAD_S // 3600} giờ, không nhận.")
    try:
        pcm = _tools.decode(src, config.sample_rate)
    except AudioError:
        raise AudioError(f"Tệp không phải âm thanh hợp lệ: «{name}» không giải mã được.") from None
    if not pcm:
        raise AudioError(f"Tệp không phải âm thanh hợp lệ: «{name}» không giải mã được.")
    digest = hashlib.sha256(pcm).hexdigest()
    fmt = config.audio_format
    out = config.media_dir / "uploads" / digest[:2] / f"{digest}.{fmt}"
    tmp_dir = config.media_dir / "uploads" / ".incoming"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    staged = tmp_dir / f"{digest}.{fmt}"
    try:
        done = finish_pcm(pcm, config.sample_rate, config, staged)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), out)
    finally:
        staged.unlink(missing_ok=True)
    rel = relative_media_path(config, out)
    existing = session.scalar(
        select(AudioAsset).where(AudioAsset.path == rel, AudioAsset.source == "upload",
                                 AudioAsset.station_id == station_id)
    )
    if existing is not None:
        return existing
    asset = AudioAsset(
        station_id=station_id, path=rel, sha256=_tools.sha256_file(out), duration_ms=done.duration_ms,
        loudness_lufs=done.loudness_lufs, true_peak_dbtp=done.true_peak_dbtp, sample_rate=done.sample_rate,
        source="upload", original_name=name[:300],
    )
    session.add(asset)
    session.flush()
    return asset
