"""The finishing DSP: segments equal the whole, the limiter holds the ceiling, the meters agree."""

from __future__ import annotations

import math
import subprocess

import numpy as np

from broadcaster.audio import _dsp
from broadcaster.audio._tools import parse_ebur128


def _speechlike(seconds: float, rate: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    env = (np.sin(2 * np.pi * 3.1 * t) > 0.2) * (0.2 + 0.8 * rng.random(len(t)).cumsum() % 1)
    voice = np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 1230 * t)
    voice += 0.2 * rng.standard_normal(len(t))
    x = env * voice
    return (x / np.abs(x).max() * 0.9 * 32767).astype("<i2")


def _spool(pcm: np.ndarray, rate: int, **kw) -> _dsp.Spool:
    spool = _dsp.Spool(rate, **kw)
    for i in range(0, len(pcm), 10_007):  # appended in odd pieces, like an engine's groups
        spool.append(pcm[i:i + 10_007].tobytes())
    return spool


def test_segments_give_the_same_samples_as_one_piece(monkeypatch, tmp_path) -> None:
    pcm = _speechlike(20, 22050)
    outs = []
    for segment in (1 << 14, 1 << 22):  # many segments, or the whole signal at once
        monkeypatch.setattr(_dsp, "SEGMENT", segment)
        spool = _spool(pcm, 22050, directory=tmp_path, spill_bytes=100_000)  # on disk
        chunks: list[bytes] = []
        got = _dsp.render(spool, 6.0, -1.5, 44100, chunks.append)
        outs.append((b"".join(chunks), got))
    (a, ga), (b, gb) = outs
    assert len(a) == len(b) == 2 * _dsp.output_frames(len(pcm), 22050, 44100)
    assert a == b
    assert math.isclose(ga.loudness_lufs, gb.loudness_lufs, abs_tol=1e-3)
    assert ga.true_peak_dbtp == gb.true_peak_dbtp


def test_limiter_holds_the_ceiling_by_gain() -> None:
    rng = np.random.default_rng(3)
    peaks = np.abs(rng.standard_normal(5000)) * 3
    knots = _dsp.limiter_knots(peaks, 0.8)
    assert (knots[:-1] * peaks <= 0.8 + 1e-12).all() and (knots[1:] * peaks <= 0.8 + 1e-12).all()
    assert ((0 < knots) & (knots <= 1)).all()


def test_loudness_and_true_peak_agree_with_ffmpeg(tmp_path) -> None:
    for rate, out_rate in ((22050, 44100), (24000, 44100), (22050, 48000)):
        spool = _spool(_speechlike(12, rate, seed=rate), rate)
        gain = _dsp.find_gain(spool, -16.0, -1.5)
        chunks: list[bytes] = []
        got = _dsp.render(spool, gain, -1.5, out_rate, chunks.append)
        proc = subprocess.run(
            ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-f", "s16le", "-ac", "1",
             "-ar", str(out_rate), "-i", "pipe:0", "-af", "ebur128=peak=true", "-f", "null", "-"],
            input=b"".join(chunks), capture_output=True, check=True, timeout=60,
        )
        ref = parse_ebur128(proc.stderr)
        assert abs(got.loudness_lufs - ref.integrated) <= 0.15, (rate, out_rate, got, ref)
        assert abs(got.loudness_lufs - -16.0) <= 0.5
        # ffmpeg prints the true peak to 0.1 dB; ours must not be the more optimistic one.
        assert got.true_peak_dbtp >= ref.peak - 0.1, (rate, out_rate, got, ref)
        assert got.true_peak_dbtp - ref.peak <= 0.3, (rate, out_rate, got, ref)
