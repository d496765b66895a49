"""The finishing DSP: segments equal the whole, the limiter holds the ceiling, the meters agree;
scipy's kernels loaded alone give scipy's samples, without the start-up of scipy.signal."""

from __future__ import annotations

import math
import subprocess
import sys
from types import SimpleNamespace

import numpy as np

from broadcaster.audio import _dsp, _kernels
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


def test_kernels_give_scipy_signal_s_own_samples(monkeypatch) -> None:
    from scipy import ndimage, signal

    rng = np.random.default_rng(5)
    x = rng.standard_normal(30_011).astype(np.float32)
    for up, down in ((2, 1), (320, 147), (147, 80), (160, 147), (1, 2)):  # 48 kHz, gTTS's 24 kHz…
        assert np.array_equal(_kernels.resample_poly(x, up, down), signal.resample_poly(x, up, down))
    sos = _dsp.k_weighting(22050).astype(np.float32)
    zi = rng.standard_normal((2, 2)).astype(np.float32)
    assert np.array_equal(_kernels.sosfilt(sos, x), signal.sosfilt(sos, x))
    got, got_zi = _kernels.sosfilt(sos, x, zi)
    ref, ref_zi = signal.sosfilt(sos, x, zi=zi)
    assert np.array_equal(got, ref) and np.array_equal(got_zi, ref_zi)
    # Where scipy has moved its loops, or calls them otherwise, its public functions stand in.
    def other_convention(*args):
        raise TypeError("takes 3 arguments")

    other = SimpleNamespace(_sosfilt=other_convention, _apply=other_convention, _output_len=other_convention,
                            mode_enum=other_convention)
    for loaded in ({"_sosfilt": None, "_upfirdn_apply": None}, {"_sosfilt": other, "_upfirdn_apply": other}):
        monkeypatch.setattr(_kernels, "_loaded", loaded)
        assert np.array_equal(_kernels.resample_poly(x, 320, 147), signal.resample_poly(x, 320, 147))
        assert np.array_equal(_kernels.sosfilt(sos, x, zi)[1], ref_zi)
        assert np.array_equal(_kernels.sosfilt(sos, x.copy(), overwrite_x=True), signal.sosfilt(sos, x))
    assert np.allclose(_kernels.firwin_kaiser(49, 0.25, 8.0), signal.firwin(49, 0.25, window=("kaiser", 8.0)),
                       rtol=0, atol=1e-15)
    # The limiter's running minimum and mean, as scipy.ndimage computed them before.
    peaks = np.abs(rng.standard_normal(7001)) * 2
    r = np.minimum(1.0, 0.8 / peaks)
    rp = np.concatenate(([1.0], r, [1.0]))
    knot = np.minimum(rp[:-1], rp[1:])
    a, h2 = _dsp.ATTACK_BLOCKS, _dsp.HOLD_BLOCKS // 2
    held = ndimage.minimum_filter1d(np.concatenate((np.ones(h2), knot)), 2 * (a + h2) + 1,
                                    mode="constant", cval=1.0)[: len(knot)]
    ref = np.minimum(ndimage.uniform_filter1d(held, 2 * a + 1, mode="nearest"), knot)
    assert np.allclose(_dsp.limiter_knots(peaks, 0.8), ref, rtol=1e-12, atol=0)  # ndimage: running sum
    for size in (1, 2, 5, 17, 33):
        w = rng.standard_normal(100)
        assert np.array_equal(_dsp.window_min(w, size),
                              np.array([w[i:i + size].min() for i in range(len(w) - size + 1)]))


def test_fast_paths_give_the_straightforward_results() -> None:
    """The half-band resampler's matrix form, the true-peak search over the top samples only and
    the limiter's peaks taken from the spool give what the plain computations give."""
    rng = np.random.default_rng(11)
    for n in (1, 31, 32, 33, 8192 * 4 + 5, 100_003):
        x = rng.standard_normal(n).astype(np.float32)
        xp = np.concatenate((np.zeros(16, np.float32), x, np.zeros(16, np.float32)))
        z = _dsp.upsample(x, 2, 1)
        assert np.array_equal(z[0::2], x)
        assert np.allclose(z[1::2], np.correlate(xp, _dsp._HB, "valid")[1:n + 1], rtol=0, atol=2e-6)

    def plain_true_peak(z, start, stop):  # every local maximum near the top, by whole-array masks
        a = np.abs(z[start:stop])
        near = a > a.max() * 10 ** (-_dsp.TP_SEARCH_DB / 20)
        near[1:-1] &= (a[1:-1] >= a[:-2]) & (a[1:-1] >= a[2:])
        near[:-1] |= near[1:]
        half = _dsp._TP_PHASES.shape[0] // 2
        best = float(a.max())
        for i in np.nonzero(near)[0] + start:
            if i - half + 1 >= 0 and i + half < len(z):
                best = max(best, float(np.abs(z[i - half + 1:i + half + 1] @ _dsp._TP_PHASES).max()))
        return best

    for trial in range(60):
        n = int(rng.integers(3, 600))
        z = np.sin(np.arange(n) * rng.random() * 3) if trial % 2 else rng.standard_normal(n)
        z = z.astype(np.float32)
        start = int(rng.integers(0, n - 1))
        stop = int(rng.integers(start + 1, n + 1))
        assert math.isclose(_dsp.true_peak(z, start, stop), plain_true_peak(z, start, stop), rel_tol=1e-6)

    # Rendering at a gain that drives the limiter hard: the block peaks of the spool, times the
    # gain, are what the gained samples' own peaks are (same knots, same output).
    spool = _spool(_speechlike(3, 22050, seed=4), 22050)
    peaks, _ = spool.stats()
    x = spool.read(0, len(peaks) * _dsp.BLOCK)
    g = np.float32(10 ** (9.0 / 20))
    assert np.array_equal(peaks * g, np.abs(x * g).reshape(-1, _dsp.BLOCK).max(1))


def test_rendering_loads_none_of_scipy_signal_s_package() -> None:
    """``from scipy import signal`` costs ~1.2 s, four times a one-line render's start-up budget
    (issue 11): the DSP needs two compiled loops of it, loaded alone."""
    code = (
        "import sys, numpy as np\n"
        "from broadcaster.audio import _dsp\n"
        "spool = _dsp.Spool(22050)\n"
        "spool.append((np.sin(np.arange(44100) / 7) * 9000).astype('<i2').tobytes())\n"
        "for rate in (44100, 48000):\n"
        "    _dsp.render(spool, _dsp.find_gain(spool, -16.0, -1.5), -1.5, rate, lambda b: None)\n"
        "print(sorted(m for m in ('scipy.signal', 'scipy.ndimage', 'scipy.stats') if m in sys.modules))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_silence_detector_agrees_with_audioop_frame_by_frame() -> None:
    from broadcaster.audio._pcm import _threshold, audioop, loud_frames

    rate, size = 22050, 220  # 10 ms frames
    limit = _threshold(-50.0)
    rng = np.random.default_rng(9)
    frames = [np.full(size, a, np.int16) * rng.choice([-1, 1], size).astype(np.int16)
              for a in range(limit - 3, limit + 4)]  # right at the threshold, both signs
    frames += [(rng.standard_normal(size) * s).clip(-32768, 32767).astype(np.int16)
               for s in (0, 50, 104, 105, 2000, 40000)]  # 40000: clipped, squares near 2**30
    pcm = b"".join(f.astype("<i2").tobytes() for f in frames) + frames[-1][:77].astype("<i2").tobytes()
    want = [audioop.rms(pcm[i:i + 2 * size], 2) > limit for i in range(0, len(pcm), 2 * size)]
    assert loud_frames(pcm, rate) == want
    assert want[:7] == [False] * 4 + [True] * 3  # the threshold itself is crossed
