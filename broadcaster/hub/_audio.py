"""Where the hub keeps an audio file, and the address a station fetches it from.

Below both things a station may fetch (the manifest's district segments and live emergencies):
each names its files by these two rules, and neither needs the other for it.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..models import AudioAsset


def audio_url(sha256: str) -> str:
    """Give back the station API's address of the hub's audio file with this sha256."""
    return f"/api/v1/station/audio/{sha256}"


def audio_path(config: Config, asset: AudioAsset) -> Path:
    """Give back the file of ``asset`` on the hub's disk (a relative path is under the media dir)."""
    p = Path(asset.path)
    return p if p.is_absolute() else config.media_dir / p
