"""The few audio functions playout needs, taken from :mod:`broadcaster.audio`'s public face.

Kept in one place so the rest of playout does not care how audio is decoded or rendered.
"""

from __future__ import annotations

from ..audio import AudioError, chime_path, load_pcm, render_segment

__all__ = ["AudioError", "chime_path", "load_pcm", "render_segment"]
