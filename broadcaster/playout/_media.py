"""The few audio functions playout needs, taken from :mod:`broadcaster.audio`.

Kept in one place so the rest of playout does not care how audio is decoded or rendered. Until the
audio package offers ``load_pcm`` this module decodes with ffmpeg itself (same contract: mono
s16le at the asked rate, :class:`AudioError` with a Vietnamese reason).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

try:  # the audio room's public face
    from ..audio import AudioError, chime_path, load_pcm, render_segment  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - only while the audio package is incomplete

    class AudioError(RuntimeError):  # type: ignore[no-redef]
        """Audio cannot be used; the message is a Vietnamese reason."""

    def load_pcm(path: Path | str, sample_rate: int = 44100) -> bytes:  # type: ignore[misc]
        """Give back the file decoded to mono s16le PCM at ``sample_rate``."""
        p = Path(path)
        if not p.is_file():
            raise AudioError(f"Không tìm thấy tệp âm thanh «{p.name}».")
        if shutil.which("ffmpeg") is None:
            raise AudioError("Thiếu chương trình ffmpeg để giải mã âm thanh.")
        proc = subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-v",
                "error",
                "-i",
                str(p),
                "-f",
                "s16le",
                "-ac",
                "1",
                "-ar",
                str(sample_rate),
                "-",
            ],
            capture_output=True,
            timeout=300,
        )
        if proc.returncode != 0 or not proc.stdout:
            raise AudioError(f"Tệp âm thanh «{p.name}» bị hỏng hoặc không đọc được.")
        return proc.stdout

    def chime_path(name: str) -> Path:  # type: ignore[misc]
        raise AudioError(f"Chưa có nhạc hiệu «{name}».")

    def render_segment(session: Any, config: Any, segment: Any, *, engine: str = "auto", force: bool = False):
        raise AudioError("Chưa có bộ chuyển văn bản thành giọng nói.")


__all__ = ["AudioError", "chime_path", "load_pcm", "render_segment"]
