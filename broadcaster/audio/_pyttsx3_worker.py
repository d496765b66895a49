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

Each utterance: ``save_to_file`` then ``runAndWait``, then the file is checked before the next one
(pyttsx3 applies queued property changes and the save only inside ``runAndWait``). On Linux the
engine uses this worker to list the voices and lets the espeak-ng program write the sound (see
``Pyttsx3Engine``); this path serves SAPI5 on Windows and machines without the espeak-ng program.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
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
    wanted = wanted.lower()
    for v in voices:
        ident = v["id"].lower()
        if wanted in (ident, ident.rsplit("/", 1)[-1]):
            return v
    return next((v for v in voices if _is_vietnamese(v)), None)


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
    out_dir = Path(req["dir"])
    files = []
    for i, text in enumerate(req["texts"]):
        path = out_dir / f"{i:05d}.wav"
        # A second try when the driver dropped the file or wrote a bare header (seen under load).
        for _attempt in range(2):
            engine.save_to_file(text, str(path))
            with contextlib.redirect_stdout(sys.stderr):
                engine.runAndWait()
            if path.is_file() and path.stat().st_size > 44:
                break
        else:
            return reply({"error": f"no audio written for utterance {i}"})
        files.append(str(path))
    return reply({"voice": vid, "files": files, "driver": driver})


if __name__ == "__main__":
    sys.exit(main())
