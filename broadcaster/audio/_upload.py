"""Uploaded recordings and decoding: import_upload and load_pcm."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from datetime import timedelta
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



#: Uploads wait in ``<data dir>/tmp/upload-*`` (and, once normalized, in ``.incoming``) only while
#: they are taken in; anything older than this was left by a crash or a kill and is removed at start.
LEFTOVER_AGE = timedelta(minutes=15)
UPLOAD_PREFIX = "upload-"


def upload_workdir(config: Config) -> tempfile.TemporaryDirectory:
    """Give back a private folder for one upload to wait in, removed when the ``with`` ends.

    Under the data dir (the media's disk, never a world-readable /tmp), named ``upload-*`` so
    :func:`clean_upload_leftovers` finds what a killed worker could not remove.
    """
    root = config.data_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX, dir=root)


def _last_touched(path: Path) -> float:
    # A folder's own time does not move while a file inside it is written: take the newest.
    times = [path.lstat().st_mtime]
    if path.is_dir() and not path.is_symlink():
        times += [p.lstat().st_mtime for p in path.rglob("*")]
    return max(times)


def clean_upload_leftovers(config: Config, *, older_than: timedelta = LEFTOVER_AGE) -> int:
    """Give back how many leftovers of interrupted uploads were removed (those untouched for
    ``older_than``, so an upload under way in another worker is left alone)."""
    cutoff = time.time() - older_than.total_seconds()
    found = list((config.data_dir / "tmp").glob(f"{UPLOAD_PREFIX}*"))
    incoming = config.media_dir / "uploads" / ".incoming"
    if incoming.is_dir():
        found += list(incoming.iterdir())
    removed = 0
    for path in found:
        try:
            if _last_touched(path) >= cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed += 1
        except FileNotFoundError:  # another worker starting at the same moment took it
            continue
    return removed


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
    info = _tools.probe(src, name=name)
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
    except AudioError as exc:
        raise AudioError(f"Không xử lý được tệp «{name}»: {exc}") from None
    except OSError as exc:
        raise AudioError(f"Không lưu được tệp «{name}» vào thư mục dữ liệu: {exc.strerror or exc}.") from None
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
