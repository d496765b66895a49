"""audio: text normalization, TTS engines, audio assembly and loudness, render cache.

Public face (the rest is private ``_x`` modules):

- :func:`render_text` text → broadcast-ready file (cached), :class:`Rendered`;
- :func:`render_segment`, :func:`render_programme` the same into ``AudioAsset`` rows;
- :func:`import_upload` an officer's recording, checked and loudness-normalized;
- :func:`load_pcm` any asset decoded to mono s16le PCM for playout;
- :func:`chime_path` the shipped chimes; :func:`engine_health` for the dashboard;
- :class:`AudioError` every failure, with a Vietnamese message.
"""

from ._engines import ENGINES, Engine, GttsEngine, Pyttsx3Engine, engine_health, get_engine
from ._errors import AudioError
from ._render import (
    PIPELINE_VERSION,
    Rendered,
    asset_file,
    cache_key,
    cache_path,
    render_programme,
    render_segment,
    render_text,
    station_lexicon,
)
from ._upload import import_upload, load_pcm
from .chimes import CHIMES, chime_path

__all__ = [
    "CHIMES",
    "ENGINES",
    "PIPELINE_VERSION",
    "AudioError",
    "Engine",
    "GttsEngine",
    "Pyttsx3Engine",
    "Rendered",
    "asset_file",
    "cache_key",
    "cache_path",
    "chime_path",
    "engine_health",
    "get_engine",
    "import_upload",
    "load_pcm",
    "render_programme",
    "render_segment",
    "render_text",
    "station_lexicon",
]
