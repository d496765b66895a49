"""Mono s16le PCM in memory: silence, edge trimming, shortening long gaps.

Uses :mod:`audioop`, the C module pydub itself is built on, directly on ``bytes``: joining a few
hundred clips through pydub ``AudioSegment`` objects would copy the whole programme each time.
"""

from __future__ import annotations

import math
import warnings

with warnings.catch_warnings():
    # Deprecated in 3.11 and gone in 3.13 (where the audioop-lts wheel provides it); pydub needs it too.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

WIDTH = 2  # bytes per sample: s16le
FRAME_MS = 10
#: Below this a 10 ms frame counts as silence. Engines emit digital zero between words; a decent
#: microphone recording has its noise floor well under -50 dBFS.
SILENCE_DBFS = -50.0


def silence(ms: int, rate: int) -> bytes:
    """Return ``ms`` milliseconds of digital silence."""
    return b"\0\0" * int(rate * max(0, ms) / 1000)


def duration_ms(pcm: bytes, rate: int) -> int:
    """Return the length of the PCM in whole milliseconds."""
    return int(len(pcm) // WIDTH * 1000 / rate)


def _threshold(db: float) -> int:
    return int(32768 * math.pow(10, db / 20))


def _frames(pcm: bytes, rate: int) -> tuple[int, int]:
    size = max(1, rate * FRAME_MS // 1000) * WIDTH
    return size, (len(pcm) + size - 1) // size


def loud_frames(pcm: bytes, rate: int, db: float = SILENCE_DBFS) -> list[bool]:
    """Return, for each 10 ms frame, whether its RMS level is above ``db`` dBFS."""
    import numpy as np

    size, n = _frames(pcm, rate)
    limit = _threshold(db)
    samples = size // WIDTH
    x = np.frombuffer(pcm[: len(pcm) // WIDTH * WIDTH], "<i2")
    whole = len(x) // samples
    # audioop.rms is int(sqrt(mean square)): above ``limit`` exactly when the sum of squares
    # reaches (limit + 1)² per sample, compared in integers (a square of an s16 fits 31 bits; in
    # float64 this was 4x slower). A long clip is taken a slice of frames at a time.
    loud: list[bool] = []
    least = (limit + 1) ** 2 * samples
    step = max(1, (1 << 20) // samples)
    for f in range(0, whole, step):
        part = x[f * samples:min(f + step, whole) * samples].astype(np.int32)
        loud += (np.square(part).reshape(-1, samples).sum(1, dtype=np.int64) >= least).tolist()
    if whole < n:
        loud.append(audioop.rms(pcm[whole * size:], WIDTH) > limit)
    return loud


def trim(pcm: bytes, rate: int, *, keep_ms: int = 30, db: float = SILENCE_DBFS) -> bytes:
    """Return the PCM without leading and trailing silence (``keep_ms`` of margin left)."""
    size, n = _frames(pcm, rate)
    limit = _threshold(db)
    first = next((i for i in range(n) if audioop.rms(pcm[i * size:(i + 1) * size], WIDTH) > limit), None)
    if first is None:
        return b""
    last = next(i for i in range(n - 1, -1, -1) if audioop.rms(pcm[i * size:(i + 1) * size], WIDTH) > limit)
    keep = keep_ms // FRAME_MS
    start = max(0, first - keep) * size
    end = min(n, last + 1 + keep) * size
    return pcm[start:end]


def shorten_gaps(pcm: bytes, rate: int, *, max_ms: int = 1500, db: float = SILENCE_DBFS) -> bytes:
    """Return the PCM with every internal silence longer than ``max_ms`` cut down to ``max_ms``.

    The cut is taken from the middle of the gap so the decay before it and the onset after it
    stay untouched. Leading and trailing silence are left alone (``trim`` handles them).
    """
    size, n = _frames(pcm, rate)
    loud = loud_frames(pcm, rate, db)
    max_frames = max(1, max_ms // FRAME_MS)
    out: list[bytes] = []
    pos = 0
    i = 0
    while i < n:
        if loud[i]:
            i += 1
            continue
        j = i
        while j < n and not loud[j]:
            j += 1
        internal = i > 0 and j < n
        if internal and j - i > max_frames:
            head = max_frames // 2
            tail = max_frames - head
            out.append(pcm[pos:(i + head) * size])
            pos = (j - tail) * size
        i = j
    out.append(pcm[pos:])
    return b"".join(out)


def longest_gap_ms(pcm: bytes, rate: int, db: float = SILENCE_DBFS) -> int:
    """Return the longest internal run of silence, in milliseconds (edges not counted)."""
    loud = loud_frames(pcm, rate, db)
    best = run = 0
    seen_sound = False
    for flag in loud:
        if flag:
            if seen_sound:
                best = max(best, run)
            seen_sound = True
            run = 0
        else:
            run += 1
    return best * FRAME_MS


def peak_dbfs(pcm: bytes) -> float:
    """Return the highest sample level in dBFS (-inf for silence)."""
    if not pcm:
        return float("-inf")
    peak = audioop.max(pcm, WIDTH)
    return 20 * math.log10(peak / 32768) if peak else float("-inf")
