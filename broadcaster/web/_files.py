"""Sending audio files to the browser and taking uploads in, shared by several pages."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import abort, send_file
from werkzeug.datastructures import FileStorage

from ..models import AudioAsset
from ._core import config, db, station

MIME = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".flac": "audio/flac"}


def send_audio(path: Path):
    """Give back a response streaming an audio file (with range requests, so the player can seek)."""
    if not path.is_file():
        abort(404)
    return send_file(
        path, mimetype=MIME.get(path.suffix.lower(), "application/octet-stream"), conditional=True, max_age=0
    )


def send_asset(asset: AudioAsset | None):
    """Give back a response streaming an asset's file (404 when missing)."""
    if asset is None:
        abort(404)
    from ..audio import asset_file

    return send_audio(asset_file(config(), asset))


def import_file(storage: FileStorage) -> AudioAsset:
    """Give back the AudioAsset of an uploaded file, probed and normalized (AudioError when not audio)."""
    from ..audio import import_upload

    name = Path(storage.filename or "tep-tai-len").name
    with tempfile.TemporaryDirectory(prefix="upload-", dir=_tmp_root()) as tmp:
        dest = Path(tmp) / "upload.bin"
        storage.save(dest)
        return import_upload(db(), config(), station().id, dest, name)


def _tmp_root() -> str:
    # Under the data dir: the same disk as the media folder, and never a world-readable /tmp file.
    root = config().data_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return str(root)
