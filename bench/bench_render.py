"""Offline rendering speed: real-time factor, pipeline vs raw espeak-ng, cache-hit time.

Run: ``.venv/bin/python bench/bench_render.py``. Prints figures; passes or fails nothing.
Targets: ≥ 50× real time, pipeline ≤ 1.3× espeak-ng alone on the same normalized text (issue
11; 1.5× in issue 3), cache hit ≤ 50 ms; the loudness and true peak of what was written are
printed (the speed must not cost them).

The two sides:

- pipeline: ``render_text(..., force=True)``: normalizing the written text, synthesis by
  espeak-ng (an SSML file with the sentence breaks and a long mark between paragraphs, the
  paragraphs in one balanced group per CPU: two espeak-ng processes side by side on two CPUs,
  each writing a WAV file that is mapped and cut at the marks), trimming and gap shortening,
  the paragraph pauses put in by the assembler, the spool with its block statistics, the gain
  search, then limiter, resampling to the station rate, integrated loudness and true peak
  measured on what is written, the WAV (the stations' default format), its sha256 and its
  sidecar with the measured figures, i.e. everything the AudioAsset row needs;
- baseline: the ``espeak-ng`` program alone, one process, on the same normalized text, same
  voice and speed, writing its WAV (at the engine's rate, nothing measured).

The two are run in turns, so that both meet the same load; the CPU time of all processes is
printed beside the wall time (on a loaded machine the wall ratio tends to the CPU ratio). The
first render in the process (imports warm, nothing remembered about the voice) is printed apart.
The text is the starter CCHC column (playlists/starter.yaml), about three minutes read aloud.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from broadcaster.audio import _dsp, _engines, _render, render_text  # noqa: E402
from broadcaster.audio.normalize import normalize  # noqa: E402
from broadcaster.config import load  # noqa: E402

TARGET_WORDS = 560  # ≈ 3 minutes at the default speed with the configured pauses


def bench_text() -> str:
    data = yaml.safe_load((ROOT / "playlists" / "starter.yaml").read_text("utf-8"))
    bodies, words = [], 0
    for seg in data["segments"]:
        body = (seg.get("body") or "").strip()
        if not body:
            continue
        for para in body.split("\n\n"):
            if words >= TARGET_WORDS:
                break
            bodies.append(para)
            words += len(normalize(para).split())
    return "\n\n".join(bodies)


timings: dict[str, list[float]] = {}


def cpu() -> float:
    """Return the CPU seconds used so far by this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def espeak_alone(cmd: list[str]) -> None:
    """Run the baseline to its end, timed to the instant it ends.

    No ``timeout``: with one and no pipes to read, ``subprocess`` polls for the exit with sleeps
    growing to 50 ms, which added 0-50 ms to the baseline (its times came out 215, 265, 315 ms).
    """
    subprocess.run(cmd, check=True)


@contextmanager
def patched(obj, name: str, label: str):
    orig = getattr(obj, name)

    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return orig(*a, **k)
        finally:
            timings.setdefault(label, []).append(time.perf_counter() - t)

    setattr(obj, name, wrapper)
    try:
        yield
    finally:
        setattr(obj, name, orig)


def main() -> int:
    text = bench_text()
    spoken = normalize(text)
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        cfg = load({"BROADCASTER_DATA_DIR": tmp, "BROADCASTER_TTS_ORDER": "pyttsx3"})
        norm = Path(tmp) / "spoken.txt"
        norm.write_text(spoken, "utf-8")
        raw_wav = Path(tmp) / "raw.wav"

        t = time.perf_counter()
        render_text(text, cfg, force=True)  # imports, the voice check, page cache
        startup = time.perf_counter() - t
        # Side by side: one espeak-ng run, then one pipeline run, nine times over, so that both
        # see the same load from whatever else runs on the machine.
        raw, raw_cpu, pipe, pipe_cpu = [], [], [], []
        with patched(_engines.Pyttsx3Engine, "_espeak_job", "espeak-ng process (each, in its thread)"), \
             patched(_engines.Pyttsx3Engine, "synthesize", "synthesis (first group)"), \
             patched(_render, "spool_speech", "rest of synthesis + trim + spool + block stats"), \
             patched(_dsp, "find_gain", "gain search (block statistics)"), \
             patched(_dsp, "render", "limit, resample, measure, write WAV"):
            for _ in range(9):
                t, c = time.perf_counter(), cpu()
                cmd = ["espeak-ng", "-v", "vi", "-s", str(cfg.speed), "-w", str(raw_wav), "-f", str(norm)]
                espeak_alone(cmd)
                raw.append(time.perf_counter() - t)
                raw_cpu.append(cpu() - c)
                t, c = time.perf_counter(), cpu()
                r = render_text(text, cfg, force=True)
                pipe.append(time.perf_counter() - t)
                pipe_cpu.append(cpu() - c)

        firsts = []  # voices never rendered in this process: nothing about them is remembered
        for dialect in ("central", "south"):
            voice = _engines.DIALECT_VOICES[dialect]
            t = time.perf_counter()
            cmd = ["espeak-ng", "-v", voice, "-s", str(cfg.speed), "-w", str(raw_wav), "-f", str(norm)]
            espeak_alone(cmd)
            alone = time.perf_counter() - t
            t = time.perf_counter()
            render_text(text, cfg, dialect=dialect, force=True)
            firsts.append((voice, time.perf_counter() - t, alone))

        hits = []
        for _ in range(30):
            t = time.perf_counter()
            hit = render_text(text, cfg)
            hits.append(time.perf_counter() - t)
        assert hit.cached and hit.sha256 == r.sha256

    audio_s = r.duration_ms / 1000
    p, e, h = statistics.median(pipe), statistics.median(raw), statistics.median(hits)
    paras = spoken.count("\n\n") + 1
    print(f"text: {len(text)} characters, {len(spoken.split())} spoken words, {paras} paragraphs")
    print(f"audio: {audio_s:.1f} s ({r.engine}/{r.voice}, {r.loudness_lufs} LUFS, {r.true_peak_dbtp} dBTP)")
    print(f"espeak-ng alone (median of 9):  {e * 1000:7.0f} ms")
    print(f"our pipeline   (median of 9):   {p * 1000:7.0f} ms")
    ec, pc = statistics.median(raw_cpu), statistics.median(pipe_cpu)
    print(f"CPU time (all processes): espeak-ng alone {ec * 1000:.0f} ms, our pipeline {pc * 1000:.0f} ms "
          f"(on {os.cpu_count()} CPUs; shows how much of the wall-clock ratio is other load)")
    print(f"real-time factor:               {audio_s / p:7.1f}x   (target >= 50x)")
    ratios = sorted(pp / ee for pp, ee in zip(pipe, raw, strict=True))
    print(f"pipeline / espeak-ng:           {p / e:7.2f}    (target <= 1.3; run by run "
          f"{ratios[0]:.2f}..{ratios[-1]:.2f}, median {statistics.median(ratios):.2f})")
    print(f"CPU, pipeline / espeak-ng:      {pc / ec:7.2f}    (the wall ratio on a fully loaded machine)")
    for voice, took, alone in firsts:
        print(f"first render of {voice}: {took * 1000:.0f} ms, {took / alone:.2f}x espeak-ng alone "
              f"({alone * 1000:.0f} ms, one run each)")
    print(f"process start-up (imports) + first render: {startup * 1000:.0f} ms")
    print(f"cache hit      (median of 30):  {h * 1000:7.1f} ms   (target <= 50 ms)")
    print(f"espeak-ng processes per render: {len(timings['espeak-ng process (each, in its thread)']) // 9} "
          "(the baseline: one)")
    print("where the pipeline's time goes (median per render, per process for espeak-ng):")
    for label, values in timings.items():
        per = statistics.median(values)
        print(f"  {label:45s} {per * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
