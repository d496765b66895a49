"""The finishing DSP in numpy: look-ahead limiter, resampling, BS.1770 loudness, true peak.

Why not ffmpeg (measured on a 177 s espeak-ng text, 2 CPUs): one ffmpeg process costs ~70 ms
before it does anything (start-up and reading the PCM), its ``ebur128`` true-peak mode ~380 ms,
and the whole finishing graph (volume, alimiter, aresample, ebur128, 4× oversampled astats)
~340 ms: more than espeak-ng takes to speak the text. The same steps here cost a few tens of
milliseconds, run on both CPUs, and need no search pass.

The sound goes through a :class:`Spool` (mono s16le at the engine's rate, in memory while
small and in a temporary file past :data:`SPILL_BYTES`) that gathers, as the speech arrives,
the peak and K-weighted energy of every 64-sample block. From those the gain that brings the
limited signal to the loudness target is found by bisection (:func:`find_gain`) without
touching the sound again; then :func:`render` makes the output in segments of a few seconds,
each read with enough context on both sides that the result is identical to processing the
whole signal at once (the limiter's reach, the resampler's filter and the K-weighting filter's
settling all fit in the context), two segments at a time, and measures what it writes:
integrated loudness (ITU-R BS.1770-4, gated) of the limited signal just before the rate change
(which leaves every frequency under the engine's Nyquist as it is: the same figure to 0.01 LU,
at half the filtering), and true peak (4× oversampled) of the output samples themselves.
tests/audio/test_dsp.py checks both against ffmpeg's ebur128 meter. Memory stays bounded
whatever the length of the text.

Only numpy is imported whole: the IIR filter and the polyphase resampler are scipy.signal's own
compiled loops loaded without the ~1.2 s of imports its package costs (:mod:`._kernels`), and the
limiter's running minimum and mean are a few shifted numpy operations on the block values.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from . import _kernels

#: Samples per limiter block (2.9 ms at 22.05 kHz): the limiter's gain moves linearly across one.
BLOCK = 64
#: The gain starts falling this many blocks before a peak (attack)...
ATTACK_BLOCKS = 2
#: ...and stays down this many blocks after it before it recovers (release hold, ~35 ms).
HOLD_BLOCKS = 12
#: Source samples per output segment (~12 s at 22.05 kHz): memory per segment in flight ~20 MB.
SEGMENT = 1 << 18
#: Context read on each side of a segment: covers the limiter's reach (~90 ms), the resampler's
#: filter (10 input samples) and the K-weighting filter's settling (ms) many times over.
CONTEXT_S = 0.25
#: Past this much PCM the spool moves to a temporary file.
SPILL_BYTES = 32 << 20
#: True-peak interpolation: 4× oversampling (ITU-R BS.1770-4 annex 2), 12 taps per phase.
OVERSAMPLE = 4
_TP_FILTER = _kernels.firwin_kaiser(12 * OVERSAMPLE + 1, 1 / OVERSAMPLE, 8.0) * OVERSAMPLE
#: Phases 1..3 of the interpolator, reversed for a dot product with 12 consecutive samples.
_TP_PHASES = np.stack([_TP_FILTER[p::OVERSAMPLE][:12][::-1] for p in range(1, OVERSAMPLE)],
                      axis=1).astype(np.float32)
_TP_TAPS = np.arange(_TP_PHASES.shape[0]) - _TP_PHASES.shape[0] // 2 + 1
#: Samples this close to the highest one are searched for a higher peak between them (dB).
TP_SEARCH_DB = 4.0
#: The gain search stops when the estimate is this close to the target (LU).
GAIN_TOLERANCE_LU = 0.005
#: Maximum extra limiter drive the gain search allows (dB over "sample peak at the ceiling").
MAX_DRIVE_DB = 21.0


def k_weighting(rate: int) -> np.ndarray:
    """Return BS.1770's K-weighting (shelf + high-pass) at ``rate`` as second-order sections."""
    # The analogue prototypes of BS.1770-4, bilinear-transformed: the standard's 48 kHz
    # coefficients come out exactly, other rates get the same curve.
    g, f0, q = 3.999843853973347, 1681.974450955533, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (g / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    high = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, high])


def gated_loudness(sub_energy: np.ndarray) -> float:
    """Return BS.1770 integrated loudness from the mean squares of consecutive 100 ms sub-blocks.

    Gating blocks are 400 ms with 75 % overlap (four sub-blocks), absolute gate −70 LUFS,
    relative gate 10 LU under the loudness of the blocks above the absolute gate.
    """
    if len(sub_energy) < 4:
        return float("-inf")
    c = np.concatenate(([0.0], np.cumsum(sub_energy, dtype=np.float64)))
    z = (c[4:] - c[:-4]) / 4
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(z)
    z = z[lk > -70]
    if not len(z):
        return float("-inf")
    rel = -0.691 + 10 * math.log10(z.mean()) - 10
    with np.errstate(divide="ignore"):
        z = z[-0.691 + 10 * np.log10(z) > rel]
    return -0.691 + 10 * math.log10(z.mean())


def limiter_knots(peaks: np.ndarray, ceiling: float) -> np.ndarray:
    """Return the limiter gain at every block boundary (len(peaks) + 1 values).

    Inside block ``b`` the gain moves linearly from knot ``b`` to knot ``b + 1``; both are at most
    ``ceiling / peaks[b]``, so no sample of the block exceeds the ceiling: the peaks are held
    down by gain, never clipped. The reduction needed at a block starts ``ATTACK_BLOCKS`` early,
    is held ``HOLD_BLOCKS`` after, and its edges are smoothed by a moving average (each term of
    which already respects the bound, so the average does too).
    """
    with np.errstate(divide="ignore"):
        r = np.minimum(1.0, ceiling / peaks)
    rp = np.concatenate(([1.0], r, [1.0]))
    knot = np.minimum(rp[:-1], rp[1:])  # knot k sits between blocks k-1 and k
    a, h2 = ATTACK_BLOCKS, HOLD_BLOCKS // 2
    reach = a + h2
    # Centred minimum over 2 * reach + 1 knots, 1.0 (no reduction) beyond both ends.
    padded = np.concatenate((np.ones(h2 + reach), knot, np.ones(reach)))
    held = window_min(padded, 2 * reach + 1)[: len(knot)]
    # held[j] = min(knot[j - a - HOLD .. j + a]); the average over j in [k - a, k + a] ≤ knot[k].
    edged = np.concatenate((np.full(a, held[0]), held, np.full(a, held[-1])))
    return np.minimum(window_mean(edged, 2 * a + 1), knot)


def window_min(x: np.ndarray, size: int) -> np.ndarray:
    """Return ``m[i] = min(x[i:i + size])`` for every full window (len(x) - size + 1 values)."""
    out, span = x, 1
    while 2 * span <= size:  # out[i] = min(x[i:i + 2 * span]) after each pass
        out = np.minimum(out[:-span], out[span:])
        span *= 2
    n, rest = len(x) - size + 1, size - span
    return np.minimum(out[:n], out[rest:rest + n]) if rest else out[:n]


def window_mean(x: np.ndarray, size: int) -> np.ndarray:
    """Return ``m[i] = mean(x[i:i + size])`` for every full window (len(x) - size + 1 values)."""
    n = len(x) - size + 1
    total = x[:n].copy()
    for i in range(1, size):
        total += x[i:i + n]
    return total / size


_RAMP = ((np.arange(BLOCK) + 0.5) / BLOCK).astype(np.float32)

#: Amplitude of the signal added to the K-weighting filter's input (never to the sound): −200 dBFS.
_GUARD = 1e-10
_guard = np.zeros(0, np.float32)


def k_filter(sos: np.ndarray, x: np.ndarray, zi: np.ndarray | None = None, *, overwrite: bool = False):
    """Return ``x`` through the K-weighting sections ``sos`` (and the end state when ``zi`` is given).

    In digital silence (espeak's pauses, the inserted gaps: a quarter of a text) the filter's
    state decays into subnormal floats, which the CPU handles some hundred times slower: the
    filter cost 6× more on speech than on noise. A ±1e-10 signal at the Nyquist frequency keeps
    the state away from them; it adds 1e-20 to the mean square, nothing a loudness meter shows.
    """
    global _guard
    guard = _guard  # one reference: render's threads may grow it at the same time
    if len(guard) < len(x):
        guard = np.full(max(len(x), 1 << 16), _GUARD, np.float32)
        guard[1::2] = -_GUARD
        _guard = guard
    if overwrite:  # the caller gives ``x`` up: guarded and filtered in place
        x += guard[: len(x)]
        guarded = x
    else:
        guarded = x + guard[: len(x)]
    return _kernels.sosfilt(sos, guarded, zi, overwrite_x=True)


def _expand(knots: np.ndarray) -> np.ndarray:
    knots = knots.astype(np.float32)
    ramp = _RAMP
    return (knots[:-1, None] + (knots[1:] - knots[:-1])[:, None] * ramp[None, :]).ravel()


#: Half-band interpolator for the common exact doubling (22.05 → 44.1 kHz, 24 → 48 kHz): the
#: even output samples are the input ones, the odd ones a windowed sinc of 2 × 16 neighbours.
_HB_HALF = 16
_HB = np.sinc(np.arange(-_HB_HALF, _HB_HALF) + 0.5) * np.kaiser(2 * _HB_HALF, 8.0)
_HB = (_HB / _HB.sum()).astype(np.float32)
#: The half-band filter as two 32 × 32 matrices: with the signal in rows of 32, the odd samples
#: of row r are ``row[r] @ _HB_NOW + row[r + 1] @ _HB_NEXT``. A matrix product runs the 32 taps
#: in compiled, vectorised code; np.correlate made one small dot product per sample (3× slower).
_HB_ROW = 2 * _HB_HALF
_lag = np.arange(2 * _HB_ROW)[:, None] - np.arange(_HB_ROW)[None, :]  # i - j
_HB_NOW, _HB_NEXT = np.split(np.where((_lag >= 0) & (_lag < 2 * _HB_HALF),
                                      _HB[np.clip(_lag, 0, 2 * _HB_HALF - 1)], 0).astype(np.float32), 2)
#: Rows per matrix product: 256 × 32 × 32 stays at OpenBLAS's single-thread threshold (its
#: threads would spin on the other CPU that espeak-ng or the other segment needs).
_HB_ROWS = 256


def upsample(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """Return ``x`` resampled by ``up/down`` (output sample j at input time j·down/up)."""
    if up == down:
        return x
    if (up, down) != (2, 1):
        return _kernels.resample_poly(x, up, down).astype(np.float32, copy=False)
    n, h, w = len(x), _HB_HALF, _HB_ROW
    rows = -(-n // w)
    # src[i] = x[i - h + 1], zero outside; odd output n = sum_k _HB[k] * src[n + k].
    src = np.zeros((rows + 1) * w, np.float32)
    src[h - 1:h - 1 + n] = x
    src = src.reshape(rows + 1, w)
    odd = np.empty((rows, w), np.float32)
    part = np.empty((_HB_ROWS, w), np.float32)
    for r in range(0, rows, _HB_ROWS):
        s = min(r + _HB_ROWS, rows)
        np.matmul(src[r:s], _HB_NOW, out=odd[r:s])
        odd[r:s] += np.matmul(src[r + 1:s + 1], _HB_NEXT, out=part[:s - r])
    out = np.empty(2 * n, np.float32)
    out[0::2] = x
    out[1::2] = odd.ravel()[:n]
    return out


def true_peak(z: np.ndarray, start: int, stop: int) -> float:
    """Return the 4× oversampled peak (linear) of ``z[start:stop]``, ``z`` around it as context.

    Every sample counts, and the three points between a sample and the next are interpolated
    wherever either sample is a peak of the waveform within :data:`TP_SEARCH_DB` of the highest:
    the output is band-limited by the resampler (its content stays under the engine's Nyquist
    frequency, half the output's or less), and a peak between two samples of such a signal
    rises at most 3 dB over the larger of them for a single tone; the search goes 1 dB further.
    """
    if stop <= start:
        return 0.0
    a = np.abs(z[start:stop])
    best = float(a.max())
    if best == 0.0:
        return 0.0
    taps = _TP_PHASES.shape[0]
    half = taps // 2
    # Peaks of the waveform near the top: a local maximum of |z| within TP_SEARCH_DB of it (the
    # ends count whenever near the top). Only the few samples near the top are compared with
    # their neighbours: one pass over the segment instead of six.
    i = np.flatnonzero(a > best * 10 ** (-TP_SEARCH_DB / 20))
    ai = a[i]
    keep = (ai >= a[np.maximum(i - 1, 0)]) & (ai >= a[np.minimum(i + 1, len(a) - 1)])
    i = i[keep | (i == 0) | (i == len(a) - 1)]
    # The gap after a peak sample, and the one before it: pairs in order, each gap once.
    n = np.stack((i - 1, i), 1).ravel()
    n = n[np.concatenate(([True], n[1:] != n[:-1])) & (n >= 0)] + start
    n = n[(n - half + 1 >= 0) & (n + half < len(z))]
    if not len(n):
        return best
    # Between n and n+1 at phase p: sum_k h_p[k] * z[n + half - k]: the 12 neighbours of every
    # gap gathered at once, then einsum's own loop (no BLAS: its threads spin).
    vals = np.einsum("ij,jk->ik", z[n[:, None] + _TP_TAPS], _TP_PHASES)
    return max(best, float(np.abs(vals).max()))


class Spool:
    """Mono s16le PCM written once, in order, then read back in windows from any thread.

    While it is written it keeps, per block of :data:`BLOCK` samples, the sample peak and the
    K-weighted energy: what the gain search needs, ~8 bytes per 64 samples.
    """

    def __init__(self, rate: int, directory: Path | None = None, spill_bytes: int = SPILL_BYTES) -> None:
        self.rate = rate
        self.frames = 0
        self._mem = bytearray()
        self._file = None
        self._dir = directory
        self._spill = spill_bytes
        self._rest = np.zeros(0, np.int16)  # samples short of a whole block, for the next append
        self._zi = np.zeros((2, 2), np.float32)
        self._sos = k_weighting(rate).astype(np.float32)
        self._peaks: list[np.ndarray] = []
        self._energy: list[np.ndarray] = []

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._mem = bytearray()

    def append(self, pcm: bytes) -> None:
        """Add PCM at the end (an odd trailing byte is dropped)."""
        pcm = pcm[: len(pcm) // 2 * 2]
        if not pcm:
            return
        if self._file is None and len(self._mem) + len(pcm) > self._spill:
            if self._dir is not None:
                self._dir.mkdir(parents=True, exist_ok=True)
            self._file = tempfile.TemporaryFile(dir=self._dir, prefix="bc-spool-")
            self._file.write(self._mem)
            self._mem = bytearray()
        if self._file is not None:
            self._file.write(pcm)
        else:
            self._mem += pcm
        self.frames += len(pcm) // 2
        samples = np.frombuffer(pcm, "<i2")
        if len(self._rest):
            samples = np.concatenate((self._rest, samples))
        n = len(samples) // BLOCK * BLOCK
        self._rest = samples[n:].copy()
        for i in range(0, n, 1 << 20):  # a long clip in slices: bounded temporaries
            self._add_blocks(samples[i:min(i + (1 << 20), n)])

    def _add_blocks(self, s: np.ndarray) -> None:
        # Peaks from the integers (half the memory to go through): |s| / 32768 exactly, as floats.
        r = s.reshape(-1, BLOCK)
        top = np.maximum(r.max(1).astype(np.int32), -r.min(1).astype(np.int32))
        self._peaks.append(top.astype(np.float32) * np.float32(1 / 32768))
        x = np.multiply(s, np.float32(1 / 32768))  # float32(s) * 2^-15 in one pass
        k, self._zi = k_filter(self._sos, x, self._zi, overwrite=True)
        k = k.reshape(-1, BLOCK)
        self._energy.append(np.einsum("ij,ij->i", k, k))  # squares summed per block, no temporary

    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Return per-block sample peaks and K-weighted energies (the last block zero-padded)."""
        if len(self._rest):
            self._add_blocks(np.concatenate((self._rest, np.zeros(BLOCK - len(self._rest), np.int16))))
            self._rest = np.zeros(0, np.int16)
        if len(self._peaks) != 1:  # one array from now on: the pieces are let go
            self._peaks = [np.concatenate(self._peaks) if self._peaks else np.zeros(0, np.float32)]
            self._energy = [np.concatenate(self._energy) if self._energy else np.zeros(0, np.float32)]
        return self._peaks[0], self._energy[0]

    def read(self, start: int, stop: int) -> np.ndarray:
        """Return samples [start, stop) as floats in [-1, 1), zeros outside the written range."""
        lo, hi = max(start, 0), min(stop, self.frames)
        if hi <= lo:
            return np.zeros(stop - start, np.float32)
        out = np.empty(stop - start, np.float32)
        out[:lo - start] = 0
        out[hi - start:] = 0
        if self._file is not None:
            self._file.flush()
            raw = np.frombuffer(os.pread(self._file.fileno(), (hi - lo) * 2, lo * 2), "<i2")
        else:  # a view of the written bytes: nothing is appended once reading starts
            raw = np.frombuffer(self._mem, "<i2", hi - lo, lo * 2)
        # Converted and scaled in one pass (float32(s) * 2^-15, as the two steps gave).
        np.multiply(raw, np.float32(1 / 32768), out=out[lo - start:hi - start])
        return out


#: Blocks the gain search handles at once (its arrays stay a few tens of MB for any length).
ESTIMATE_BLOCKS = 1 << 18


def estimate_loudness(peaks: np.ndarray, energy: np.ndarray, rate: int, gain_db: float,
                      ceiling: float) -> float:
    """Return the loudness the limited signal would have at ``gain_db`` (block-level estimate)."""
    g = 10 ** (gain_db / 20)
    per = max(1, round(rate * 0.1 / BLOCK))
    step = ESTIMATE_BLOCKS // per * per
    ctx = 2 * ATTACK_BLOCKS + HOLD_BLOCKS + 2  # the limiter's reach, in blocks
    subs = []
    for a in range(0, len(peaks), step):
        b = min(a + step, len(peaks))
        lo = max(0, a - ctx)
        knots = limiter_knots(peaks[lo:b + ctx] * g, ceiling)[a - lo:a - lo + b - a + 1]
        mean_sq = (knots[:-1] ** 2 + knots[:-1] * knots[1:] + knots[1:] ** 2) / 3
        e = energy[a:b] * mean_sq * (g * g)
        n = len(e) // per
        subs.append(e[: n * per].reshape(n, per).sum(1) / (per * BLOCK))
    return gated_loudness(np.concatenate(subs) if subs else np.zeros(0))


def find_gain(spool: Spool, target: float, ceiling_db: float) -> float:
    """Return the gain (dB) that brings the limited signal to ``target`` LUFS (estimated).

    Speech has a high crest factor: under a true-peak ceiling the limiter has to work, and what
    it takes away depends on how hard it is driven, so the loudness is a monotonic but not
    linear function of the gain: bisection on the block statistics, a millisecond a step.
    """
    peaks, energy = spool.stats()
    peak = float(peaks.max()) if len(peaks) else 0.0
    if peak <= 0:
        raise ValueError("silence")
    ceiling = 10 ** (ceiling_db / 20)
    free = gated_loudness_from_blocks(energy, spool.rate)
    lo = target - free  # without the limiter this gain hits the target; with it, at most that
    hi = ceiling_db - 20 * math.log10(peak) + MAX_DRIVE_DB
    if lo >= hi:
        return hi  # the target needs more drive than a limiter should be given
    f_lo = estimate_loudness(peaks, energy, spool.rate, lo, ceiling) - target
    if f_lo >= -0.01:
        return lo
    f_hi = estimate_loudness(peaks, energy, spool.rate, hi, ceiling) - target
    if f_hi <= 0:
        return hi  # even the hardest drive falls short: take it (more would only distort)
    # Regula falsi (Illinois): the curve is smooth, ~4 estimates instead of bisection's 11 (the
    # search sits on the render's critical path with the other CPU idle).
    side = 0
    for _ in range(60):
        if hi - lo <= 0.01:
            return (lo + hi) / 2
        mid = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        f_mid = estimate_loudness(peaks, energy, spool.rate, mid, ceiling) - target
        if abs(f_mid) <= GAIN_TOLERANCE_LU:
            return mid
        if f_mid < 0:
            lo, f_lo = mid, f_mid
            if side == -1:
                f_hi /= 2  # the same end kept twice: halve its weight (Illinois)
            side = -1
        else:
            hi, f_hi = mid, f_mid
            if side == 1:
                f_lo /= 2
            side = 1
    return (lo + hi) / 2


def gated_loudness_from_blocks(energy: np.ndarray, rate: int) -> float:
    per = max(1, round(rate * 0.1 / BLOCK))
    n = len(energy) // per
    return gated_loudness(energy[: n * per].reshape(n, per).sum(1) / (per * BLOCK))


@dataclass(frozen=True)
class Output:
    """What :func:`render` wrote and measured."""

    frames: int
    loudness_lufs: float
    true_peak_dbtp: float


def output_frames(frames: int, rate: int, out_rate: int) -> int:
    r = Fraction(out_rate, rate)
    return -(-frames * r.numerator // r.denominator)


def render(spool: Spool, gain_db: float, ceiling_db: float, out_rate: int,
           write: Callable[[bytes], None], workers: int | None = None) -> Output:
    """Write the spool's sound, gained, limited and resampled to ``out_rate``, as s16le PCM.

    ``write`` gets the PCM in order, a segment at a time. Returns the integrated loudness and
    true peak of exactly the samples written.
    """
    rate, n = spool.rate, spool.frames
    ratio = Fraction(out_rate, rate)
    up, down = ratio.numerator, ratio.denominator
    step = math.lcm(BLOCK, down)
    seg = max(step, SEGMENT // step * step)
    ctx = -(-int(rate * CONTEXT_S) // step) * step
    g = np.float32(10 ** (gain_db / 20))
    ceiling = 10 ** (ceiling_db / 20)
    sos = k_weighting(rate).astype(np.float32)
    # The spool's block peaks times the gain are the peaks of the gained blocks exactly (float
    # rounding is monotonic and the windows start on block boundaries): not measured again.
    spool_peaks = spool.stats()[0]

    sub_len = rate // 10  # BS.1770's 100 ms sub-blocks, counted from the start of the sound

    def job(a: int) -> tuple[memoryview, tuple[float, int], np.ndarray, tuple[float, int], float]:
        b = min(a + seg, n)
        w0 = a - ctx
        w1 = w0 + -(-(b + ctx - w0) // BLOCK) * BLOCK
        x = spool.read(w0, w1)
        peaks = np.zeros((w1 - w0) // BLOCK, np.float32)
        lo, hi = max(w0, 0) // BLOCK, min(w1 // BLOCK, len(spool_peaks))
        peaks[lo - w0 // BLOCK:hi - w0 // BLOCK] = spool_peaks[lo:hi]
        peaks *= g
        x *= _expand(limiter_knots(peaks, ceiling) * g)  # the gain and the limiter in one pass
        z = upsample(x, up, down)
        # Loudness of the limited signal, before the rate change (which keeps every frequency
        # under the engine's Nyquist as it is: ≤ 0.01 LU): half the samples to filter.
        k = k_filter(sos, x, overwrite=z is not x)[ctx:ctx + b - a]  # the context lets it settle
        sq = np.square(k, out=k)
        # Summed here per sub-block (the part before the first boundary and after the last
        # are joined with the neighbouring segments'): the main thread only adds them up.
        first = min(b - a, -a % sub_len)
        cut = first + (b - a - first) // sub_len * sub_len
        sums = sq[first:cut].reshape(-1, sub_len).sum(1, dtype=np.float64)
        head = (float(sq[:first].sum(dtype=np.float64)), first)
        tail = (float(sq[cut:].sum(dtype=np.float64)), b - a - cut)
        j0 = ctx * up // down
        j1 = j0 + output_frames(b, rate, out_rate) - a * up // down
        tp = true_peak(z, j0, j1)
        out = z[j0:j1]  # z is not read again: scaled, rounded and clipped in place
        out *= np.float32(32768)
        np.rint(out, out=out)
        if tp >= 32767 / 32768:  # under the ceiling nothing rounds out of range: no clipping pass
            np.clip(out, -32768, 32767, out=out)
        pcm = memoryview(out.astype("<i2")).cast("B")  # written as it is, not copied to bytes
        return pcm, head, sums, tail, tp

    workers = workers or max(1, min(os.cpu_count() or 1, 4))
    subs: list[np.ndarray] = []
    carry, carried = 0.0, 0  # a sub-block begun in the segment before
    peak = 0.0
    frames = 0
    starts = list(range(0, n, seg))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        it = iter(starts)
        for a in it:
            pending.append(pool.submit(job, a))
            if len(pending) > workers:
                break
        while pending:
            pcm, head, sums, tail, tp = pending.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(job, nxt))
            write(pcm)
            frames += len(pcm) // 2
            peak = max(peak, tp)
            carry, carried = carry + head[0], carried + head[1]
            if carried == sub_len:
                subs.append(np.array([carry / sub_len]))
                carry, carried = 0.0, 0
            subs.append(sums / sub_len)
            carry, carried = carry + tail[0], carried + tail[1]
    loud = gated_loudness(np.concatenate(subs) if subs else np.zeros(0))
    return Output(frames, loud, 20 * math.log10(peak) if peak > 0 else float("-inf"))

