"""Audio fixtures: a local stand-in for Google's TTS endpoint, an independent loudness meter.

The stand-in is a real HTTP server on 127.0.0.1 speaking the batchexecute protocol gTTS uses
(form field ``f.req`` carrying ``[[["jQ1olc", "[text, lang, speed, \\"null\\"]", null,
"generic"]]]``; the answer a line ``…"jQ1olc","[\\"<base64 mp3>\\"]"…``). It answers with real MP3
bytes made by espeak-ng + ffmpeg from the requested text, and can be scripted to answer 429, 500,
to hang, or to send garbage — the only fake the house allows.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from broadcaster.audio import _engines
from broadcaster.config import Config, load

PATH = "/_/TranslateWebserverUi/data/batchexecute"


def mp3_for(text: str) -> bytes:
    """Return real MP3 bytes (24 kHz mono, like Google's) of espeak-ng reading ``text``."""
    wav = subprocess.run(["espeak-ng", "-v", "vi", "--stdout", text], capture_output=True, check=True,
                         timeout=30).stdout
    return subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", "pipe:0", "-ac", "1", "-ar", "24000",
         "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3", "pipe:1"],
        input=wav, capture_output=True, check=True, timeout=30,
    ).stdout


@dataclass
class FakeGoogle:
    url: str
    script: list = field(default_factory=list)  # per request: "ok", 429, 500, "hang", "garbage"
    requests: list = field(default_factory=list)  # (monotonic time, text, outcome)
    hang_s: float = 30.0
    _mp3: dict = field(default_factory=dict)

    def texts(self, outcome: str = "ok") -> list[str]:
        return [t for _, t, o in self.requests if o == outcome]


def _handler(fake: FakeGoogle):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            if self.path != PATH:
                self._send(404, b"not found")
                return
            freq = json.loads(parse_qs(body)["f.req"][0])
            rpc, params = freq[0][0][0], json.loads(freq[0][0][1])
            assert rpc == "jQ1olc" and params[1] == "vi"
            text = params[0]
            action = fake.script.pop(0) if fake.script else "ok"
            fake.requests.append((time.monotonic(), text, str(action)))
            if action == "hang":
                time.sleep(fake.hang_s)
                return
            if isinstance(action, int):
                self._send(action, b"error", {"Retry-After": "0"} if action == 429 else None)
                return
            if action == "garbage":
                self._send(200, b')]}\'\n\n[["wrb.fr","jQ1olc","[\\"!!!not-base64-mp3!!!\\"]"]]\n')
                return
            if text not in fake._mp3:
                fake._mp3[text] = mp3_for(text)
            b64 = base64.b64encode(fake._mp3[text]).decode()
            line = f'[["wrb.fr","jQ1olc","[\\"{b64}\\"]",null,null,null,"generic"]]'
            payload = f")]}}'\n\n{len(line)}\n{line}\n"
            self._send(200, payload.encode())

        def _send(self, code: int, data: bytes, headers: dict | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def fake_google():
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)  # handler set below, needs the fake
    fake = FakeGoogle(url=f"http://127.0.0.1:{server.server_address[1]}{PATH}")
    server.RequestHandlerClass = _handler(fake)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    _engines.forget_network()
    yield fake
    server.shutdown()
    server.server_close()
    _engines.forget_network()


@pytest.fixture
def gtts_env(env: dict[str, str], fake_google: FakeGoogle) -> dict[str, str]:
    """The station environment with gTTS first, pointed at the stand-in, with quick back-off."""
    return {
        **env,
        "BROADCASTER_TTS_ORDER": "gtts,pyttsx3",
        "BROADCASTER_GTTS_URL": fake_google.url,
        "BROADCASTER_GTTS_THROTTLE_MS": "0",
        "BROADCASTER_GTTS_BACKOFF_MS": "50",
        "BROADCASTER_GTTS_RETRIES": "3",
        "BROADCASTER_TTS_TIMEOUT": "20",
    }


@pytest.fixture
def gtts_config(gtts_env: dict[str, str]) -> Config:
    return load(gtts_env)


_I = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+) LUFS")
_TP = re.compile(r"True peak:\s*\n\s*Peak:\s*(-?[\d.]+|-inf) dBFS")


def meter(path: Path) -> tuple[float, float]:
    """Return (integrated LUFS, true peak dBTP) of a file, read from ffmpeg's ebur128 summary."""
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path),
         "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return float(_I.findall(proc.stderr)[-1]), float(_TP.findall(proc.stderr)[-1])


def silences(path: Path, noise_db: int = -50, min_s: float = 0.5) -> list[float]:
    """Return the durations of silences ffmpeg's silencedetect finds in a file."""
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path),
         "-af", f"silencedetect=noise={noise_db}dB:d={min_s}", "-f", "null", "-"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return [float(x) for x in re.findall(r"silence_duration: ([\d.]+)", proc.stderr)]


def duration_s(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], capture_output=True, text=True, check=True, timeout=30).stdout
    return float(out.strip())


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True, timeout=30)


def quiet_runs(pcm: bytes, rate: int, min_ms: int = 0) -> list[int]:
    """Return the silences between sounds (ms; 10 ms frames under -50 dBFS) of at least ``min_ms``."""
    from broadcaster.audio import _pcm

    sound = [i for i, flag in enumerate(_pcm.loud_frames(pcm, rate)) if flag]
    runs = [(b - a - 1) * _pcm.FRAME_MS for a, b in zip(sound, sound[1:], strict=False)]
    return [r for r in runs if r >= min_ms]
