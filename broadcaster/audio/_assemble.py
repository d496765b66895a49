"""From speech to a broadcast-ready file: pauses, trimming, gaps, loudness, format.

Steps:

1. ``spool_speech``: every clip trimmed of its own leading/trailing silence and cut of internal
   silences over 1.5 s (so none reaches 2 s), then written to a :class:`._dsp.Spool` with the
   configured pauses (sentence_pause_ms between sentences, paragraph_pause_ms between
   paragraphs), as the engine delivers the clips: a long text never sits in memory whole.
2. ``finish``: the gain that reaches the loudness target once the look-ahead limiter has held the
   peaks under the true-peak ceiling (never clipping) is found from the spool's block
   statistics; then one rendering pass: gain, limiter, resample to the station rate, write WAV
   (or MP3 through ffmpeg's encoder), and measure what came out (integrated loudness and true
   peak of the written samples). Off by more than half a LU or over the ceiling: one
   corrective pass. See :mod:`._dsp` for the signal processing and why it is not ffmpeg.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from . import _pcm, _tools
from ._errors import AudioError

if TYPE_CHECKING:  # numpy and scipy load when audio is made, not with the package (the daemon)
    from . import _dsp

#: Longest pause the assembler itself inserts; the "no silence ≥ 2 s" rule wins over settings.
MAX_PAUSE_MS = 1500
#: The limiter's ceiling sits this far under the true-peak target: inter-sample peaks of the
#: resampled signal overshoot the sample peak a little (measured ≤ 0.3 dB on espeak and gTTS).
LIMITER_MARGIN_DB = 0.5
#: Integrated loudness tolerance before a corrective pass.
TOLERANCE_LU = 0.5


def _clean(pcm: bytes, rate: int) -> tuple[bytes, int, int]:
    return _pcm.clean(pcm, rate, max_ms=MAX_PAUSE_MS)


def spool_speech(spool: _dsp.Spool, clips: Iterable[bytes], paragraph_sizes: list[int] | None,
                 config: Config) -> int:
    """Write the clips to the spool with sentence and paragraph pauses; return the frames written.

    ``paragraph_sizes`` gives the number of sentence clips of each paragraph; ``None`` means every
    clip is a paragraph already holding its own sentence pauses (an engine that put them in).
    The silence between two clips is the configured pause exactly: the quiet edges trimming
    left on either side (the decay, the onset) count into it. Raises AudioError when nothing
    audible came.
    """
    rate = spool.rate
    sentence_gap = min(config.sentence_pause_ms, MAX_PAUSE_MS) * rate // 1000
    paragraph_gap = min(config.paragraph_pause_ms, MAX_PAUSE_MS) * rate // 1000
    para_of: list[int] = []  # paragraph index of every sentence clip
    for p, size in enumerate(paragraph_sizes or []):
        para_of += [p] * size
    start = spool.frames
    last = None  # paragraph of the last audible clip
    tail = 0  # quiet samples at the end of the last clip
    for i, clip in enumerate(clips):
        clip, lead, end = _clean(clip, rate)
        if not clip:
            continue
        para = i if paragraph_sizes is None else para_of[i]
        if last is not None:
            gap = paragraph_gap if para != last else sentence_gap
            spool.append(b"\0\0" * max(0, gap - tail - lead))
        spool.append(clip)
        last, tail = para, end
    if last is None:
        raise AudioError("Bộ đọc chỉ trả về im lặng, không có tiếng nói.")
    return spool.frames - start


def spool_lead(spool: _dsp.Spool, lead: bytes) -> None:
    """Write a chime and 400 ms of silence at the start of the spool.

    The chime's leading silence goes; its tail (the decay under the silence threshold) stays,
    with as much of the 400 ms as keeps the gap to the speech under :data:`MAX_PAUSE_MS`.
    """
    rate = spool.rate
    loud = _pcm.loud_frames(lead, rate)
    if True not in loud:
        return
    size = _pcm._frames(lead, rate)[0]
    first = max(0, loud.index(True) - 3)
    tail_ms = loud[::-1].index(True) * _pcm.FRAME_MS
    room = MAX_PAUSE_MS - 60  # the speech keeps 30 ms of its own edge, the chime's frame rounding
    if tail_ms > room:
        lead = lead[: len(lead) - (tail_ms - room) * rate // 1000 * 2]
    spool.append(lead[first * size:])
    spool.append(_pcm.silence(max(0, min(400, room - tail_ms)), rate))


@dataclass(frozen=True)
class Finished:
    """A file written by :func:`finish`, with what the meter measured on it."""

    path: Path
    duration_ms: int
    loudness_lufs: float
    true_peak_dbtp: float
    sample_rate: int
    sha256: str


def _wav_header(frames: int, rate: int) -> bytes:
    size = frames * 2
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + size, b"WAVE", b"fmt ", 16, 1, 1, rate,
                       rate * 2, 2, 16, b"data", size)


def _write_wav(spool: _dsp.Spool, gain: float, ceiling_db: float, rate: int, path: Path,
               ) -> tuple[_dsp.Output, str]:
    from . import _dsp

    digest = hashlib.sha256()
    header = _wav_header(_dsp.output_frames(spool.frames, spool.rate, rate), rate)
    with open(path, "wb") as fh:
        def write(data: bytes) -> None:
            fh.write(data)
            digest.update(data)

        write(header)
        got = _dsp.render(spool, gain, ceiling_db, rate, write)
    if len(header) + got.frames * 2 != path.stat().st_size or got.frames * 2 + 36 != struct.unpack(
            "<I", header[4:8])[0]:
        raise AudioError("Ghi tệp âm thanh không trọn vẹn.")
    return got, digest.hexdigest()


def _write_mp3(spool: _dsp.Spool, gain: float, ceiling_db: float, rate: int, path: Path,
               ) -> tuple[_dsp.Output, str]:
    from . import _dsp

    args = [_tools.need("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y", "-f", "s16le",
            "-ac", "1", "-ar", str(rate), "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3",
            str(path)]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        try:
            try:
                got = _dsp.render(spool, gain, ceiling_db, rate, proc.stdin.write)
            finally:
                proc.stdin.close()
            code = proc.wait(timeout=_tools.DEFAULT_TIMEOUT)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
            code = -1
        except BaseException:  # no encoder left writing a half file behind
            proc.kill()
            proc.wait()
            raise
        if code != 0:
            err.seek(0)
            raise AudioError(f"Lỗi khi mã hóa MP3: {_tools.last_line(err.read())}")
    # The encoder moves peaks a little: what will really air is measured on the MP3 itself.
    loud = _tools.measure(path)
    return _dsp.Output(got.frames, loud.integrated, loud.peak), _tools.sha256_file(path)


def finish(spool: _dsp.Spool, config: Config, out: Path) -> Finished:
    """Return the spool's sound written to ``out`` (.wav or .mp3) at the target loudness and true peak."""
    from . import _dsp

    if not spool.frames:
        raise AudioError("Âm thanh chỉ có im lặng.")
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("wav", "mp3"):
        raise AudioError(f"Chỉ lưu được WAV hoặc MP3, không phải «{out.suffix}».")
    target = config.loudness_target
    ceiling_db = config.true_peak - LIMITER_MARGIN_DB
    try:
        gain = _dsp.find_gain(spool, target, ceiling_db)
    except ValueError:
        raise AudioError("Âm thanh chỉ có im lặng.") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.{fmt}")
    writer = _write_wav if fmt == "wav" else _write_mp3
    try:
        for _ in range(3):
            got, sha = writer(spool, gain, ceiling_db, config.sample_rate, tmp)
            if not math.isfinite(got.loudness_lufs):
                raise AudioError("Không đo được độ to của âm thanh.")
            loud_ok = abs(got.loudness_lufs - target) <= TOLERANCE_LU
            peak_ok = got.true_peak_dbtp <= config.true_peak
            if loud_ok and peak_ok:
                break
            if not peak_ok:
                ceiling_db -= got.true_peak_dbtp - config.true_peak + 0.2
            if not loud_ok:
                gain += target - got.loudness_lufs
        if fmt == "mp3":
            duration = int(_tools.probe(tmp).duration_s * 1000)
        else:
            duration = int(got.frames * 1000 / config.sample_rate)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return Finished(out, duration, round(got.loudness_lufs, 2), round(got.true_peak_dbtp, 2),
                    config.sample_rate, sha)


def finish_pcm(pcm: bytes, rate: int, config: Config, out: Path) -> Finished:
    """Return :func:`finish` of PCM held in memory (trimmed, long silences cut) — uploads."""
    from . import _dsp

    with _dsp.Spool(rate, directory=out.parent) as spool:
        spool.append(_clean(pcm, rate)[0])
        return finish(spool, config, out)
