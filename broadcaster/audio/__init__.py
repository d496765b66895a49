"""audio: text normalization, TTS engines, audio assembly and loudness, render cache.

Public face (the rest is private ``_x`` modules):

- :func:`render_text` text → broadcast-ready file (cached), :class:`Rendered`;
- :func:`render_segment`, :func:`render_programme` the same into ``AudioAsset`` rows;
- :func:`import_upload` an officer's recording, checked and loudness-normalized;
  :func:`upload_workdir` where one upload waits, :func:`clean_upload_leftovers` what crashes left there;
- :func:`load_pcm` any asset decoded to mono s16le PCM for playout;
- :func:`enqueue_render` asks the render worker (:func:`run_worker`, ``broadcaster worker``) for
  a programme's or a segment's speech; :func:`run_pending` is one round of it;
- :func:`chime_path` the shipped chimes; :func:`engine_health` for the dashboard;
- :class:`AudioError` every failure, with a Vietnamese message.
"""

from importlib import import_module
from typing import TYPE_CHECKING

# The public names load with their module on first use (PEP 562): ``broadcaster normalize`` and
# ``render`` need neither SQLAlchemy and the models (the database side of ``_render``) nor
# anything else they do not touch, and start without paying for them.
_HOME = {
    "ENGINES": "_engines", "Engine": "_engines", "GttsEngine": "_engines", "Pyttsx3Engine": "_engines",
    "check_engines": "_engines", "engine_health": "_engines", "get_engine": "_engines",
    "AudioError": "_errors",
    "PIPELINE_VERSION": "_render", "Rendered": "_render", "asset_file": "_render", "cache_key": "_render",
    "cache_path": "_render", "render_programme": "_render", "render_segment": "_render",
    "render_text": "_render", "station_lexicon": "_render",
    "import_upload": "_upload", "load_pcm": "_upload", "clean_upload_leftovers": "_upload",
    "upload_workdir": "_upload",
    "CHIMES": "chimes", "chime_path": "chimes",
    "enqueue_render": "_worker", "run_pending": "_worker", "run_worker": "_worker",
}

if TYPE_CHECKING:
    from ._engines import (
        ENGINES,
        Engine,
        GttsEngine,
        Pyttsx3Engine,
        check_engines,
        engine_health,
        get_engine,
    )
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
    from ._upload import clean_upload_leftovers, import_upload, load_pcm, upload_workdir
    from ._worker import enqueue_render, run_pending, run_worker
    from .chimes import CHIMES, chime_path


def __getattr__(name: str):
    """Return a public name, importing the private module that defines it on first use."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


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
    "check_engines",
    "chime_path",
    "clean_upload_leftovers",
    "engine_health",
    "enqueue_render",
    "get_engine",
    "import_upload",
    "load_pcm",
    "upload_workdir",
    "render_programme",
    "render_segment",
    "render_text",
    "run_pending",
    "run_worker",
    "station_lexicon",
]
