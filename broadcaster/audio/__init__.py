"""audio: text normalization, TTS engines, audio assembly and loudness, render cache.

Public face (the rest is private ``_x`` modules):

- :func:`render_text` text → broadcast-ready file (cached), :class:`Rendered`;
- :func:`render_segment`, :func:`render_programme` the same into ``AudioAsset`` rows;
- :func:`import_upload` an officer's recording, checked and loudness-normalized;
  :func:`upload_workdir` where one upload waits, :func:`clean_upload_leftovers` what crashes left there;
- :func:`load_pcm` any asset decoded to mono s16le PCM for playout;
- :func:`enqueue_render` asks the render worker (:func:`run_worker`, ``broadcaster worker``) for
  a programme's or a segment's speech, :func:`enqueue_preview` for words to listen to before
  saving; :func:`run_pending` is one round of it; :func:`worker_running` tells whether one serves;
- :func:`chime_path` the shipped chimes; :func:`engine_health` for the dashboard;
- :class:`AudioError` every failure, with a Vietnamese message.
"""

from .._lazy import lazy_face

# The public names load with their module on first use: ``broadcaster normalize`` and ``render``
# need neither SQLAlchemy and the models (the database side of ``_render``) nor anything else they
# do not touch, and start without paying for them.
__getattr__, __dir__, __all__ = lazy_face(
    __name__,
    {
        "._engines": (
            "ENGINES",
            "Engine",
            "GttsEngine",
            "Pyttsx3Engine",
            "check_engines",
            "engine_health",
            "get_engine",
        ),
        "._errors": ("AudioError",),
        "._render": (
            "PIPELINE_VERSION",
            "Rendered",
            "asset_file",
            "cache_key",
            "cache_path",
            "render_programme",
            "render_segment",
            "render_text",
            "station_lexicon",
        ),
        "._upload": ("import_upload", "load_pcm", "clean_upload_leftovers", "upload_workdir"),
        ".chimes": ("CHIMES", "chime_path"),
        "._worker": ("enqueue_preview", "enqueue_render", "run_pending", "run_worker", "worker_running"),
    },
)
