"""Sending audio files to the browser and taking uploads in, shared by several pages."""

from __future__ import annotations

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
    from ..audio import AudioError, import_upload, upload_workdir

    name = Path(storage.filename or "tep-tai-len").name
    with upload_workdir(config()) as tmp:
        dest = Path(tmp) / "upload.bin"
        try:
            storage.save(dest)
        except OSError as exc:  # a full disk: say so about this file, not a 500
            raise AudioError(f"Không lưu được tệp «{name}»: {exc.strerror or exc}.") from None
        return import_upload(db(), config(), station().id, dest, name)

