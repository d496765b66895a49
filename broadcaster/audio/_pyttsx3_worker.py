"""One offline synthesis job, run in its own process: ``python -m broadcaster.audio._pyttsx3_worker``.

Why a separate process: pyttsx3 keeps one global espeak (or SAPI5) instance per process, can hang
in ``runAndWait`` and, when several ``save_to_file`` calls are queued before one ``runAndWait``,
keeps only the last one (its espeak driver stores a single pending file: the others are silently
dropped). The parent gives every job a timeout and kills the process if it hangs; here each
utterance is saved with its own ``runAndWait`` and checked before the next one starts.

Protocol: a JSON request on stdin ``{"voice": "vi-vn-x-south", "rate": 150, "dir": "...",
"texts": ["...", ...]}``; for every text ``<dir>/<index>.wav`` is written; a JSON reply on stdout
``{"voice": <voice id used>, "files": [...], "rate": <sample rate>}`` or ``{"error": "..."}``.
``--voices`` lists the installed voices as JSON instead.

Two ways to make the files, the same voice selection either way (through pyttsx3):

- ``api``: pyttsx3's public ``save_to_file`` + ``runAndWait``, one utterance at a time. Portable
  (SAPI5 on Windows, NSSpeech on macOS). Each ``runAndWait`` sleeps at least 10 ms in the espeak
  driver's loop and the driver prints "Audio saved to …" on stdout.
- ``espeak`` (default on Linux when pyttsx3 picked its espeak driver): after pyttsx3 has set the
  voice and rate, the utterance is synthesised by a synchronous call into the same libespeak-ng
  binding pyttsx3 uses (``pyttsx3.drivers._espeak``) with our own callback collecting the
  samples. Same engine, same voice, same samples, without the per-utterance sleep (a 3-minute
  programme has ~50 sentences: half a second of sleeping) and without the driver's habit of
  appending the last buffer after the file has been written.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys
import wave
from pathlib import Path

DIALECT_VOICES = {"north": "vi", "central": "vi-vn-x-central", "south": "vi-vn-x-south"}


def _voices(engine) -> list[dict]:
    out = []
    for v in engine.getProperty("voices"):
        langs = []
        for lang in getattr(v, "languages", []) or []:
            langs.append(lang.decode("utf-8", "ignore") if isinstance(lang, bytes) else str(lang))
        out.append({"id": str(v.id), "name": str(getattr(v, "name", "")), "languages": langs})
    return out


def _is_vietnamese(voice: dict) -> bool:
    ident = voice["id"].lower()
    base = ident.rsplit("/", 1)[-1]
    return (
        base == "vi" or base.startswith("vi-")
        or any(lang.lower().startswith("vi") for lang in voice["languages"])
        or "vietnam" in voice["name"].lower() or "vietnam" in ident
    )


def pick_voice(voices: list[dict], wanted: str) -> dict | None:
    """Return the installed voice for ``wanted`` (an espeak name), else any Vietnamese voice."""
    for v in voices:
        if v["id"].lower().rsplit("/", 1)[-1] == wanted:
            return v
    return next((v for v in voices if _is_vietnamese(v)), None)


def _espeak_synth(text: str) -> tuple[bytes, int]:
    from pyttsx3.drivers import _espeak

    chunks: list[bytes] = []

    def callback(wav, numsamples, events):
        if numsamples > 0:
            chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    _espeak.SetSynthCallback(callback)
    # Retrieval mode (set by pyttsx3's driver) makes Synth synchronous: samples arrive through the
    # callback before it returns. ENDPAUSE off: sentence pauses are added by the assembler.
    rc = _espeak.Synth(text.encode("utf-8"), flags=_espeak.CHARS_UTF8)
    if rc not in (0, None):
        raise RuntimeError(f"espeak Synth returned {rc}")
    _espeak.Synchronize()
    return b"".join(chunks), 22050


def _write_wav(path: Path, pcm: bytes, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)


def main() -> int:
    real_stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    # Drivers print chatter ("Audio saved to …") on stdout: keep it off the reply channel.
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def reply(obj: dict) -> int:
        real_stdout.write(json.dumps(obj, ensure_ascii=False))
        real_stdout.flush()
        return 0 if "error" not in obj else 1

    try:
        import pyttsx3
    except Exception as exc:  # an import failure is the answer, not a crash
        return reply({"error": f"pyttsx3: {exc}"})
    try:
        engine = pyttsx3.init()
    except Exception as exc:
        return reply({"error": f"pyttsx3.init: {exc}"})
    voices = _voices(engine)
    if "--voices" in sys.argv:
        driver = type(engine.proxy._driver).__module__.rsplit(".", 1)[-1]
        return reply({"voices": voices, "driver": driver})

    req = json.load(sys.stdin)
    voice = pick_voice(voices, req.get("voice", "vi"))
    if voice is None:
        return reply({"error": "no Vietnamese voice installed"})
    # espeak selects by the voice file name ("vi-vn-x-south"); other drivers by their own id.
    driver = type(engine.proxy._driver).__module__.rsplit(".", 1)[-1]
    vid = voice["id"].rsplit("/", 1)[-1] if driver == "espeak" else voice["id"]
    engine.setProperty("voice", vid)
    engine.setProperty("rate", int(req.get("rate", 150)))
    engine.setProperty("volume", 1.0)
    mode = req.get("mode") or ("espeak" if driver == "espeak" else "api")
    if mode == "espeak":
        # pyttsx3 queues property changes until its run loop starts; releasing the proxy's busy
        # flag pumps the queue now (what runAndWait does first), so the voice and rate are set
        # in libespeak-ng before we call it directly.
        engine.proxy.setBusy(False)
        got_voice = str(engine.getProperty("voice") or "").rsplit("/", 1)[-1]
        got_rate = engine.getProperty("rate")
        if got_voice != vid.lower() or got_rate != int(req.get("rate", 150)):
            return reply({"error": f"voice/rate not applied: {got_voice}/{got_rate}"})
    out_dir = Path(req["dir"])
    files = []
    for i, text in enumerate(req["texts"]):
        path = out_dir / f"{i:05d}.wav"
        if mode == "espeak":
            pcm, rate = _espeak_synth(text)
            _write_wav(path, pcm, rate)
        else:
            engine.save_to_file(text, str(path))
            with contextlib.redirect_stdout(sys.stderr):
                engine.runAndWait()
        if not path.is_file() or path.stat().st_size <= 44:
            return reply({"error": f"no audio written for utterance {i}"})
        files.append(str(path))
    return reply({"voice": vid, "files": files, "driver": driver, "mode": mode})


if __name__ == "__main__":
    sys.exit(main())
