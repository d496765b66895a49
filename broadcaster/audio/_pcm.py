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


def _loud(pcm: bytes, rate: int, db: float = SILENCE_DBFS):
    """Return, for each 10 ms frame, whether its RMS level is above ``db`` dBFS (a numpy bool array)."""
    import numpy as np

    size, n = _frames(pcm, rate)
    limit = _threshold(db)
    samples = size // WIDTH
    x = np.frombuffer(pcm, "<i2", count=len(pcm) // WIDTH)
    whole = len(x) // samples
    # audioop.rms is int(sqrt(mean square)): above ``limit`` exactly when the sum of squares
    # reaches (limit + 1)² per sample, compared in integers (a square of an s16 fits 31 bits; in
    # float64 this was 4x slower). A long clip is taken a slice of frames at a time.
    loud = np.empty(n, bool)
    least = (limit + 1) ** 2 * samples
    step = max(1, (1 << 20) // samples)
    for f in range(0, whole, step):
        part = x[f * samples:min(f + step, whole) * samples].astype(np.int32)
        np.square(part, out=part)
        loud[f:min(f + step, whole)] = part.reshape(-1, samples).sum(1, dtype=np.int64) >= least
    if whole < n:
        loud[whole] = audioop.rms(pcm[whole * size:], WIDTH) > limit
    return loud


def loud_frames(pcm: bytes, rate: int, db: float = SILENCE_DBFS) -> list[bool]:
    """Return, for each 10 ms frame, whether its RMS level is above ``db`` dBFS."""
    return _loud(pcm, rate, db).tolist()


def trim(pcm: bytes, rate: int, *, keep_ms: int = 30, db: float = SILENCE_DBFS) -> bytes:
    """Return the PCM without leading and trailing silence (``keep_ms`` of margin left)."""
    return clean(pcm, rate, keep_ms=keep_ms, db=db)[0]


def shorten_gaps(pcm: bytes, rate: int, *, max_ms: int = 1500, db: float = SILENCE_DBFS) -> bytes:
    """Return the PCM with every internal silence longer than ``max_ms`` cut down to ``max_ms``.

    The cut is taken from the middle of the gap so the decay before it and the onset after it
    stay untouched. Leading and trailing silence are left alone (``trim`` handles them).
    """
    return clean(pcm, rate, max_ms=max_ms, keep_ms=None, db=db)[0]


def clean(pcm: bytes, rate: int, *, max_ms: int | None = None, keep_ms: int | None = 30,
          db: float = SILENCE_DBFS) -> tuple[bytes, int, int]:
    """Return the PCM trimmed and its long gaps shortened, with the silence left at each end.

    Leading and trailing silence go but ``keep_ms`` of it (``None``: the edges stay as they
    are); every internal silence longer than ``max_ms`` is cut down to ``max_ms`` from its
    middle, so the decay before it and the onset after it stay untouched (``None``: none is).
    The two other values are the samples of silence (frames under ``db``) still at the start
    and at the end: the assembler counts them into the pause it puts between two clips. One
    level measurement serves all of it. Silence alone gives ``(b"", 0, 0)``.
    """
    import numpy as np

    size, n = _frames(pcm, rate)
    loud = _loud(pcm, rate, db)
    where = np.flatnonzero(loud)
    if not len(where):
        return b"", 0, 0
    first, last = int(where[0]), int(where[-1])
    if keep_ms is None:
        start, end = 0, len(pcm)
    else:
        keep = keep_ms // FRAME_MS
        start = max(0, first - keep) * size
        end = min(len(pcm), (last + 1 + keep) * size)
    parts: list[bytes] = []
    pos = start
    if max_ms is not None:
        max_frames = max(1, max_ms // FRAME_MS)
        gaps = np.diff(where) - 1  # silent frames between two loud ones
        head = max_frames // 2
        for k in np.flatnonzero(gaps > max_frames).tolist():
            i, j = int(where[k]) + 1, int(where[k + 1])  # the gap's first silent frame, the next loud one
            parts.append(pcm[pos:(i + head) * size])
            pos = (j - (max_frames - head)) * size
    parts.append(pcm[pos:end])
    out = b"".join(parts) if len(parts) > 1 else parts[0]
    lead = first * size - start
    tail = max(0, end - min(len(pcm), (last + 1) * size))
    return out, lead // WIDTH, tail // WIDTH


def split_at_gaps(pcm: bytes, rate: int, min_ms: int, db: float = SILENCE_DBFS) -> list[bytes]:
    """Return the PCM cut in the middle of every silence of at least ``min_ms``.

    A silence here is a run of 10 ms frames with no sample over ``db`` dBFS (stricter than the
    RMS rule of :func:`loud_frames`, and two passes that write nothing); silence at either end
    is not cut.
    """
    import numpy as np

    size = _frames(pcm, rate)[0]
    x = np.frombuffer(pcm, "<i2", count=len(pcm) // size * size // WIDTH).reshape(-1, size // WIDTH)
    limit = _threshold(db)
    where = np.flatnonzero((x.max(1) > limit) | (x.min(1) < -limit))  # frames with sound
    gaps = np.diff(where) - 1
    long = np.flatnonzero(gaps * FRAME_MS >= min_ms)
    cuts = [(int(where[k]) + 1 + int(gaps[k]) // 2) * size for k in long.tolist()]
    return [pcm[a:b] for a, b in zip([0, *cuts], [*cuts, len(pcm)], strict=True)]


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
