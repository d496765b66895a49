"""From sentence clips to a broadcast-ready file: pauses, trimming, gaps, loudness, format.

Steps, each a plain function over PCM bytes:

1. ``join_speech``: every clip trimmed of its own leading/trailing silence, then joined with the
   configured pauses (sentence_pause_ms between sentences, paragraph_pause_ms between paragraphs),
   an optional chime in front.
2. ``shorten_gaps``: no internal silence reaches 2 s (anything over 1.5 s is cut down).
3. ``finish``: a search pass finds the gain that reaches the loudness target once the look-ahead
   limiter has held the peaks under the true-peak ceiling (never clipping), then one rendering
   pass: gain, limiter, resample to the station rate, encode WAV or MP3, and measure what came
   out (integrated loudness and true peak) in the same run. Off by more than half a LU or over
   the ceiling: one corrective pass.
"""

from __future__ import annotations

import math
import os
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from . import _pcm, _tools
from ._errors import AudioError

#: Longest pause the assembler itself inserts; the "no silence ≥ 2 s" rule wins over settings.
MAX_PAUSE_MS = 1500
#: The limiter's ceiling sits this far under the true-peak target: inter-sample peaks of the
#: resampled signal overshoot the sample peak a little (measured ≤ 0.3 dB on espeak and gTTS).
LIMITER_MARGIN_DB = 0.5
#: Integrated loudness tolerance before a corrective pass.
TOLERANCE_LU = 0.5


def join_speech(
    clips: list[bytes], paragraph_sizes: list[int], rate: int, config: Config, *, lead: bytes = b""
) -> bytes:
    """Return the clips joined with sentence and paragraph pauses, ``lead`` (a chime) in front."""
    sentence_gap = _pcm.silence(min(config.sentence_pause_ms, MAX_PAUSE_MS), rate)
    paragraph_gap = _pcm.silence(min(config.paragraph_pause_ms, MAX_PAUSE_MS), rate)
    parts: list[bytes] = []
    if lead:
        parts += [lead, _pcm.silence(400, rate)]
    i = 0
    for p, size in enumerate(paragraph_sizes):
        if p:
            parts.append(paragraph_gap)
        for s in range(size):
            clip = _pcm.trim(clips[i], rate)
            i += 1
            if not clip:
                continue
            if s and parts and parts[-1] is not sentence_gap:
                parts.append(sentence_gap)
            parts.append(clip)
    pcm = b"".join(parts)
    if not _pcm.trim(pcm, rate):
        raise AudioError("Bộ đọc chỉ trả về im lặng, không có tiếng nói.")
    return pcm


@dataclass(frozen=True)
class Finished:
    """A file written by :func:`finish`, with what the meter measured on it."""

    path: Path
    duration_ms: int
    loudness_lufs: float
    true_peak_dbtp: float
    sample_rate: int


def _wav_duration_ms(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        return int(w.getnframes() * 1000 / w.getframerate())


#: Limiter drive levels tried by the search (dB above "sample peak at the ceiling"): a first
#: round, and a second one only when the first did not reach the target.
DRIVE_ROUNDS = ((0.0, 4.0, 8.0, 12.0), (15.0, 18.0, 21.0))


def _levels(pcm: bytes, rate: int, gains: list[float], ceiling_db: float) -> list[float]:
    """Return the integrated loudness of the signal after each gain + limiter, in one ffmpeg run."""
    n = len(gains)
    graph = [f"[0:a]asplit={n}" + "".join(f"[s{i}]" for i in range(n))] if n > 1 else []
    outs: list[str] = []
    for i, g in enumerate(gains):
        src = f"[s{i}]" if n > 1 else "[0:a]"
        graph.append(f"{src}{_limit_chain(g, ceiling_db)},{_tools.ebur128_filter(true_peak=False)}[o{i}]")
        outs += ["-map", f"[o{i}]", "-f", "null", "-"]
    proc = _tools.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-f", "s16le", "-ac", "1", "-ar", str(rate),
         "-i", "pipe:0", "-filter_complex", ";".join(graph), *outs],
        input=pcm, what="đo độ to âm thanh",
    )
    levels = _tools.parse_ebur128_all(proc.stderr)
    if len(levels) != n or not all(math.isfinite(v) for v in levels):
        raise AudioError("Không đo được độ to của âm thanh.")
    return levels


def _search_gain(pcm: bytes, rate: int, config: Config) -> float:
    """Return the gain that brings the limited signal to the loudness target.

    Speech has a high crest factor: bringing it to -16 LUFS under a -1 dBTP ceiling means the
    limiter works, and what it takes away depends on how hard it is driven, so the gain cannot
    be computed from one measurement. The signal is measured under several drives at once
    (asplit → volume → alimiter → ebur128 per branch, the branches shared between one ffmpeg
    process per CPU) and the gain interpolated between the two drives that bracket the target.
    """
    peak = _pcm.peak_dbfs(pcm)
    if not math.isfinite(peak):
        raise AudioError("Âm thanh chỉ có im lặng.")
    ceiling_db = config.true_peak - LIMITER_MARGIN_DB
    target = config.loudness_target
    gains: list[float] = []
    levels: list[float] = []
    for drives in DRIVE_ROUNDS:
        new = [ceiling_db - peak + d for d in drives]
        procs = max(1, min(os.cpu_count() or 1, len(new)))
        shares = [new[i::procs] for i in range(procs)]
        with ThreadPoolExecutor(max_workers=procs) as pool:
            results = list(pool.map(lambda gs: _levels(pcm, rate, gs, ceiling_db), shares))
        measured = {g: v for gs, vs in zip(shares, results, strict=True) for g, v in zip(gs, vs, strict=True)}
        gains += new
        levels += [measured[g] for g in new]
        if levels[-1] >= target:
            break
    if target <= levels[0]:
        # Peak at the ceiling is already loud enough: a plain gain, the limiter stays idle.
        return gains[0] + (target - levels[0])
    for i in range(1, len(gains)):
        if levels[i] >= target:
            g0, g1, l0, l1 = gains[i - 1], gains[i], levels[i - 1], levels[i]
            return g0 + (g1 - g0) * (target - l0) / max(l1 - l0, 1e-6)
    # Even the hardest drive falls short: take it (more would only distort).
    return gains[-1]


def _limit_chain(gain_db: float, ceiling_db: float) -> str:
    ceiling = 10 ** (ceiling_db / 20)
    return f"volume={gain_db:.2f}dB,alimiter=limit={ceiling:.4f}:attack=5:release=80:level=false:latency=true"


def finish(pcm: bytes, rate: int, config: Config, out: Path, *, tempo: float = 1.0) -> Finished:
    """Return the PCM written to ``out`` (.wav or .mp3) at the target loudness and true peak."""
    pcm = _pcm.shorten_gaps(_pcm.trim(pcm, rate), rate)
    if not pcm:
        raise AudioError("Âm thanh chỉ có im lặng.")
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("wav", "mp3"):
        raise AudioError(f"Chỉ lưu được WAV hoặc MP3, không phải «{out.suffix}».")
    gain = _search_gain(pcm, rate, config)
    ceiling_db = config.true_peak - LIMITER_MARGIN_DB
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.{fmt}")
    try:
        for _ in range(3):
            got = _render_pass(pcm, rate, config, tmp, gain, ceiling_db, tempo, fmt)
            if fmt == "mp3":  # the encoder moves peaks a little: measure what will really air
                got = _tools.measure(tmp)
            loud_ok = abs(got.integrated - config.loudness_target) <= TOLERANCE_LU
            peak_ok = got.peak <= config.true_peak
            if loud_ok and peak_ok:
                break
            if not peak_ok:
                ceiling_db -= got.peak - config.true_peak + 0.2
            if not loud_ok:
                gain += config.loudness_target - got.integrated
        duration = int(_tools.probe(tmp).duration_s * 1000) if fmt == "mp3" else _wav_duration_ms(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return Finished(out, duration, round(got.integrated, 2), round(got.peak, 2), config.sample_rate)


def _render_pass(
    pcm: bytes, rate: int, config: Config, out: Path, gain_db: float, ceiling_db: float, tempo: float,
    fmt: str,
) -> _tools.Loudness:
    pre = f"atempo={tempo:.3f}," if abs(tempo - 1.0) > 0.01 else ""
    # Limit at the source rate (the search predicted exactly this), then resample; the margin
    # under the ceiling absorbs the resampler's inter-sample overshoot. What comes out is
    # measured in the same run: integrated loudness (ebur128) and true peak as BS.1770 defines
    # it, the sample peak of the signal oversampled 4× (aresample + astats; the same figure as
    # ebur128's true-peak mode at under half its cost).
    sr = config.sample_rate
    graph = (
        f"[0:a]{pre}{_limit_chain(gain_db, ceiling_db)},aresample={sr},asplit=2[out][m];"
        f"[m]{_tools.ebur128_filter(true_peak=False)},aresample={sr * 4},"
        "astats=measure_overall=Peak_level:measure_perchannel=none,anullsink"
    )
    codec = ["-c:a", "pcm_s16le"] if fmt == "wav" else ["-c:a", "libmp3lame", "-b:a", "128k"]
    proc = _tools.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-y", "-f", "s16le", "-ac", "1", "-ar", str(rate),
         "-i", "pipe:0", "-filter_complex", graph, "-map", "[out]", "-ac", "1", "-ar", str(sr), *codec,
         "-f", fmt, str(out)],
        input=pcm, what="chuẩn hóa độ to và ghi tệp âm thanh",
    )
    loud = _tools.parse_ebur128(proc.stderr)
    return _tools.Loudness(loud.integrated, _tools.parse_astats_peak(proc.stderr))
