"""Speech engines behind one abstract class with a ``NAME``, and a registry (beets replaygain style).

- ``pyttsx3``: offline. espeak-ng's Vietnamese voices on Linux (``vi``, ``vi-vn-x-central``,
  ``vi-vn-x-south`` for the northern, central and southern dialects), SAPI5 on Windows. Every
  synthesis runs in its own subprocess with a timeout (pyttsx3 can hang and drops files when
  several saves are queued): see :class:`Pyttsx3Engine` for how the work is split between
  pyttsx3 and the espeak-ng program, and why.
- ``gtts``: Google Translate's voice through gTTS, online. Text is cut by our own phrase splitter
  (:func:`._split.split_phrases`, ≤ 100 characters, never inside a number or a name); requests
  are throttled, retried with exponential back-off on 429, 5xx and timeouts, and the whole job
  has an overall deadline. ``config.gtts_url`` points it at another host (tests use a local
  stand-in that speaks the same batchexecute protocol).

An engine gives back PCM (one clip per sentence, or one clip with the pauses already in); the
assembler (:mod:`._assemble`) does trimming, gaps and loudness, so every engine's output is
treated alike.
"""

from __future__ import annotations

import html
import json
import mmap
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from ..config import Config
from . import _tools
from ._errors import AudioError
from ._split import split_phrases

DIALECT_LABELS = {"north": "miền Bắc", "central": "miền Trung", "south": "miền Nam"}


@dataclass
class Speech:
    """What an engine made: one mono s16le clip per sentence, all at ``rate``.

    ``clips`` may be an iterator that synthesises as it is read (the espeak-ng path): read it
    once, in order.
    """

    clips: Iterable[bytes]
    rate: int
    voice: str
    #: True when the engine already put the pauses in: every clip is a paragraph or more.
    joined: bool = False
    notes: list[str] = field(default_factory=list)


class Engine(ABC):
    """A text-to-speech backend."""

    NAME: ClassVar[str]
    LABEL: ClassVar[str]
    ONLINE: ClassVar[bool] = False

    def __init__(self, config: Config) -> None:
        self.config = config

    @abstractmethod
    def voice_for(self, dialect: str) -> str:
        """Return the voice id this engine uses for a dialect (it goes into the cache key)."""

    @abstractmethod
    def synthesize(self, paragraphs: list[list[str]], *, dialect: str, speed: int) -> Speech:
        """Return the speech of paragraphs of sentences: one clip per sentence, or one clip with
        the configured pauses already in (``joined``). Raise AudioError (Vietnamese reason) on
        any failure."""

    @abstractmethod
    def health(self) -> tuple[bool, str]:
        """Return whether the engine can be used now and a Vietnamese detail for the dashboard."""


# --------------------------------------------------------------------------- pyttsx3 (offline)

DIALECT_VOICES = {"north": "vi", "central": "vi-vn-x-central", "south": "vi-vn-x-south"}
VOICE_LABELS = {"vi": "miền Bắc", "vi-vn-x-central": "miền Trung", "vi-vn-x-south": "miền Nam"}
#: Above this many characters a job is spread over several processes (one per CPU).
PARALLEL_CHARS = 1500
#: One process never gets more than this: its timeout stays meaningful for any text length, and
#: the sound of a few such groups (~8 MB each at 22.05 kHz) is all a long text keeps in memory.
CHUNK_CHARS = 2_500
#: espeak-ng lets the sound die away ~60 ms past a <break>: subtracted so gaps match the settings.
ESPEAK_DECAY_MS = 60
#: Paragraphs in one espeak-ng run are parted by a break at least this long and this much longer
#: than the sentence break: longer than any other silence espeak-ng makes (a sentence break and
#: its clause ending are ≤ 0.2 s more than the break; a comma at the slowest speed ~0.6 s). The
#: sound is cut there and the assembler puts the paragraph pause in, so a paragraph pause is
#: the same inside a group and where two groups meet.
PARAGRAPH_MARK_MS = 1000
PARAGRAPH_MARK_OVER_MS = 600
#: A silence this much shorter than the mark still counts as one (measured: never shorter).
PARAGRAPH_MARK_SLACK_MS = 150
VOICES_TTL = 600.0
_voices_cache: dict[str, tuple[float, dict]] = {}


def _espeak_voice(wanted: str) -> str | None:
    """Return ``wanted`` when the espeak-ng program has that voice installed, else None.

    This is what pyttsx3's espeak driver would pick on Linux, asked of ``espeak-ng --voices``
    (~10 ms) instead of a pyttsx3 worker listing every voice (~0.8 s of a short render). The
    answer is remembered like the voice list; elsewhere (SAPI5, no program) None.
    """
    if sys.platform in ("win32", "darwin"):
        return None
    program = shutil.which("espeak-ng")
    if program is None:
        return None
    now = time.monotonic()
    hit = _voices_cache.get(program)
    if hit is None or now >= hit[0]:
        try:
            proc = subprocess.run([program, "--voices=vi"], capture_output=True, timeout=10)
            lines = proc.stdout.decode("utf-8", "replace").splitlines()[1:] if proc.returncode == 0 else []
        except (OSError, subprocess.TimeoutExpired):
            lines = []
        # Columns: Pty Language Age/Gender VoiceName File …: a voice is chosen by its language.
        hit = (now + VOICES_TTL, {"languages": [ln.split()[1] for ln in lines if len(ln.split()) > 1]})
        _voices_cache[program] = hit
    # espeak-ng falls back silently to another voice for a name it lacks: only a listed one is used.
    return wanted if wanted in hit[1]["languages"] else None


def _read_wav(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise AudioError("Bộ đọc ngoại tuyến trả về định dạng âm thanh lạ.")
        pcm = w.readframes(w.getnframes())
        if w.getnchannels() == 2:
            from ._pcm import audioop

            pcm = audioop.tomono(pcm, 2, 0.5, 0.5)
        return pcm, w.getframerate()


def _map_wav(path: Path) -> tuple[bytes | memoryview, int]:
    """Return the samples and rate of a WAV, the samples of a plain mono s16 one mapped, not copied.

    espeak-ng's 3-minute text is 8 MB: reading it into a new object costs ~5 ms of page
    faults and copying per render; the mapped pages are the page cache's own (they stay valid
    after the file is removed) and are copied once, into the spool. Windows can't remove a
    mapped file (its folder is removed right after), so there it is read.
    """
    if os.name == "nt":
        return _read_wav(path)
    with open(path, "rb") as fh:
        head = fh.read(44)
        plain = head[20:24] + head[34:36] == b"\1\0\1\0\20\0"  # PCM, mono, 16 bits
        if not (plain and head[:4] == b"RIFF" and head[12:16] == b"fmt " and head[36:40] == b"data"):
            return _read_wav(path)
        rate = int.from_bytes(head[24:28], "little")
        size = min(int.from_bytes(head[40:44], "little"), os.fstat(fh.fileno()).st_size - 44) // 2 * 2
        if size <= 0:
            return b"", rate
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(data)[44:44 + size], rate


def _groups(items: list, size_of, target: int) -> list[list]:
    """Return items cut into as few contiguous groups as keep each about ``target`` in size.

    The groups are balanced (an item goes to the group its middle falls in): a text of two
    targets makes two groups, not three with a small one left over, and the parallel processes
    finish together.
    """
    sizes = [size_of(it) for it in items]
    total = sum(sizes)
    count = max(1, -(-total // max(1, target)))
    groups: list[list] = [[] for _ in range(count)]
    done = 0
    for it, size in zip(items, sizes, strict=True):
        groups[min(count - 1, (2 * done + size) * count // (2 * total or 1))].append(it)
        done += size
    return [g for g in groups if g] or [[]]


def _parallel(fn, groups: list) -> list:
    if len(groups) == 1:
        return [fn(groups[0])]
    with ThreadPoolExecutor(max_workers=min(len(groups), os.cpu_count() or 1, 4)) as pool:
        return list(pool.map(fn, groups))


class Pyttsx3Engine(Engine):
    """Offline voice: pyttsx3 chooses the voice; on Linux espeak-ng itself writes the sound.

    The dialect names an espeak voice. On Linux with the ``espeak-ng`` program, when that program
    lists the voice, it is used directly (pyttsx3's espeak driver would pick the same one; asking
    a pyttsx3 worker to list the voices costs ~0.8 s). Otherwise pyttsx3 enumerates the installed
    voices (in a worker subprocess) and the dialect picks one of them. Where pyttsx3's driver is
    espeak and the ``espeak-ng`` program is installed, the sound is made by ``espeak-ng -m``
    (SSML) with that voice, one process per group of paragraphs, each with a timeout, with
    ``<break>`` marks for the configured pauses. Why not
    pyttsx3's own ``save_to_file`` there (measured on this project, pyttsx3 2.99): its espeak
    driver synthesises in libespeak-ng's asynchronous retrieval mode through Python callbacks
    and polls with a 10 ms sleep per utterance, 4–6× slower than the espeak-ng program on the
    same text; it writes the WAV when the "message terminated" event arrives and only then
    appends that callback's samples (the end of an utterance can be lost); property changes
    are queued until ``runAndWait`` and a second ``save_to_file`` before it replaces the first.
    Elsewhere (SAPI5 on Windows, or no espeak-ng program) the worker uses pyttsx3's public
    API, one utterance per ``runAndWait``, every file checked.
    """

    NAME = "pyttsx3"
    LABEL = "Giọng đọc ngoại tuyến (pyttsx3 / espeak-ng)"

    def voice_for(self, dialect: str) -> str:
        if sys.platform == "win32":
            return "sapi5"  # one Vietnamese voice (Microsoft An) whatever the dialect
        return DIALECT_VOICES.get(dialect, "vi")

    def _worker(self, payload: dict | None, timeout: float) -> dict:
        args = [sys.executable, "-m", "broadcaster.audio._pyttsx3_worker"]
        if payload is None:
            args.append("--voices")
        try:
            proc = subprocess.run(
                args,
                input=json.dumps(payload or {}).encode(),
                capture_output=True,
                timeout=timeout,
                env={**os.environ, "PYTHONIOENCODING": "utf-8"},
            )
        except subprocess.TimeoutExpired:
            raise AudioError(f"Bộ đọc ngoại tuyến không trả lời sau {timeout:.0f} giây (đã dừng).") from None
        try:
            reply = json.loads(proc.stdout.decode("utf-8") or "{}")
        except ValueError:
            reply = {}
        if proc.returncode != 0 or "error" in reply or not reply:
            reason = reply.get("error") or _tools.last_line(proc.stderr)
            raise AudioError(f"Bộ đọc ngoại tuyến lỗi: {reason}.")
        return reply

    def voices(self) -> dict:
        """Return pyttsx3's driver name and installed voices (asked once every ten minutes)."""
        now = time.monotonic()
        hit = _voices_cache.get(sys.executable)
        if hit and now < hit[0]:
            return hit[1]
        info = self._worker(None, timeout=min(10.0, self.config.tts_timeout))
        _voices_cache[sys.executable] = (now + VOICES_TTL, info)
        return info

    def _pick(self, dialect: str) -> tuple[str, str]:
        from ._pyttsx3_worker import pick_voice

        info = self.voices()
        voice = pick_voice(info.get("voices", []), self.voice_for(dialect))
        if voice is None:
            raise AudioError("Bộ đọc ngoại tuyến không có giọng tiếng Việt (cần cài espeak-ng).")
        return str(info.get("driver")), voice["id"]

    def synthesize(self, paragraphs: list[list[str]], *, dialect: str, speed: int) -> Speech:
        mode = self.config.pyttsx3_mode  # BROADCASTER_PYTTSX3_MODE=api forces pyttsx3's own saving
        if mode != "api":
            voice = _espeak_voice(self.voice_for(dialect))
            if voice is not None:
                return self._espeak(paragraphs, voice, speed)
        driver, voice_id = self._pick(dialect)
        if mode != "api" and driver == "espeak" and shutil.which("espeak-ng"):
            return self._espeak(paragraphs, voice_id.rsplit("/", 1)[-1], speed)
        return self._api(paragraphs, voice_id, speed)

    # espeak-ng program, voice chosen through pyttsx3
    def _breaks(self) -> tuple[int, int]:
        """Return the sentence break and the paragraph mark (ms) written into the SSML."""
        s_ms = max(0, min(self.config.sentence_pause_ms, 1500) - ESPEAK_DECAY_MS)
        return s_ms, max(PARAGRAPH_MARK_MS, s_ms + PARAGRAPH_MARK_OVER_MS)

    def _ssml(self, paragraphs: list[list[str]]) -> str:
        s_ms, p_ms = self._breaks()
        # html.escape, not xml.sax.saxutils.escape (the same three entities): that module loads
        # urllib.request, http.client and ssl, ~20 ms of every render's start.
        paras = [f'<break time="{s_ms}ms"/> '.join(html.escape(s, quote=False) for s in p)
                 for p in paragraphs]
        return "<speak>" + f' <break time="{p_ms}ms"/> '.join(paras) + "</speak>"

    def _espeak_job(self, paragraphs: list[list[str]], voice: str, speed: int,
                    ) -> tuple[list[bytes | memoryview], int]:
        """Return the sound of a group of paragraphs from one espeak-ng process: one clip per
        paragraph, cut at the marks between them.

        The text goes in and the sound comes out through files: espeak-ng reading SSML from a
        pipe works on it a piece at a time and reads a long group differently (181 s instead of
        177 s for the 3-minute text in one group), and a file is mapped where a pipe cost ~25 ms
        of this process's CPU for the 3-minute text. The clips are views of the mapped file.
        """
        with tempfile.TemporaryDirectory(prefix="bc-espeak-") as tmp:
            text, wav = Path(tmp) / "in.ssml", Path(tmp) / "out.wav"
            text.write_text(self._ssml(paragraphs), "utf-8")
            args = [_tools.need("espeak-ng"), "-m", "-b", "1", "-v", voice, "-s", str(speed),
                    "-w", str(wav), "-f", str(text)]
            try:
                proc = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                                      timeout=self.config.tts_timeout)
            except subprocess.TimeoutExpired:
                raise AudioError(
                    f"Bộ đọc ngoại tuyến không trả lời sau {self.config.tts_timeout:.0f} giây (đã dừng)."
                ) from None
            try:
                pcm, rate = _map_wav(wav) if proc.returncode == 0 else (b"", 0)
            except (OSError, EOFError, wave.Error):
                pcm, rate = b"", 0
        if not pcm:
            raise AudioError(f"Bộ đọc ngoại tuyến lỗi: {_tools.last_line(proc.stderr)}.")
        from ._pcm import split_at_gaps

        # A paragraph espeak-ng says nothing of joins two marks into one: one cut fewer, and
        # no paragraph lost.
        return split_at_gaps(pcm, rate, self._breaks()[1] - PARAGRAPH_MARK_SLACK_MS), rate

    def _espeak(self, paragraphs: list[list[str]], voice: str, speed: int) -> Speech:
        """Return the speech of groups of paragraphs as they are made, in order, a few at a time.

        One group per CPU (each process costs ~15 ms of start-up and voice loading), more when a
        group would exceed :data:`CHUNK_CHARS`. The first group is waited for here (a failure
        then is the engine's, for the fallback); the others come through the clip iterator
        while the assembler spools what is done, so synthesis and assembling overlap and a long
        text is never in memory whole. Every clip is one paragraph.
        """
        total = sum(len(s) for p in paragraphs for s in p)
        workers = max(1, min(os.cpu_count() or 1, 4)) if total > PARALLEL_CHARS else 1
        count = max(workers, -(-total // CHUNK_CHARS))
        groups = _groups(paragraphs, lambda p: sum(len(s) for s in p), -(-total // count))
        pool = ThreadPoolExecutor(max_workers=workers)
        pending = deque(pool.submit(self._espeak_job, g, voice, speed) for g in groups[: workers + 1])
        later = iter(groups[workers + 1:])
        try:
            first, rate = pending[0].result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise

        def clips():
            try:
                while pending:
                    parts, r = pending.popleft().result()
                    nxt = next(later, None)
                    if nxt is not None:
                        pending.append(pool.submit(self._espeak_job, nxt, voice, speed))
                    if r != rate:
                        raise AudioError("Bộ đọc ngoại tuyến trả về tần số lấy mẫu không thống nhất.")
                    yield from parts
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

        del first
        return Speech(clips=_PooledClips(clips(), pool), rate=rate, voice=voice, joined=True)

    # pyttsx3's public API in the worker (SAPI5, or no espeak-ng program)
    def _api_job(self, texts: list[str], voice: str, speed: int) -> tuple[list[bytes], int, str]:
        with tempfile.TemporaryDirectory(prefix="bc-tts-") as tmp:
            payload = {"voice": voice, "rate": speed, "dir": tmp, "texts": texts}
            try:
                reply = self._worker(payload, self.config.tts_timeout)
            except AudioError as exc:
                if "không trả lời" in str(exc):
                    raise
                # pyttsx3 now and then writes an empty file; a fresh process gets it right.
                reply = self._worker(payload, self.config.tts_timeout)
            clips, rate = [], 0
            for f in reply["files"]:
                pcm, rate = _read_wav(Path(f))
                clips.append(pcm)
            return clips, rate, str(reply.get("voice") or voice)

    def _api(self, paragraphs: list[list[str]], voice: str, speed: int) -> Speech:
        sentences = [s for p in paragraphs for s in p]
        total = sum(len(s) for s in sentences)
        workers = max(1, min(os.cpu_count() or 1, 4)) if total > PARALLEL_CHARS else 1
        groups = _groups(sentences, len, min(CHUNK_CHARS, total // workers + 1))
        results = _parallel(lambda g: self._api_job(g, voice, speed), groups)
        rates = {r[1] for r in results}
        if len(rates) != 1:
            raise AudioError("Bộ đọc ngoại tuyến trả về tần số lấy mẫu không thống nhất.")
        clips = [c for r in results for c in r[0]]
        return Speech(clips=clips, rate=rates.pop(), voice=results[0][2].rsplit("/", 1)[-1])

    def health(self) -> tuple[bool, str]:
        try:
            info = self._worker(None, timeout=5)
        except AudioError as exc:
            return False, str(exc)
        vi = [v for v in info.get("voices", []) if v["id"].lower().rsplit("/", 1)[-1].startswith("vi")]
        if not vi:
            return False, "Không có giọng tiếng Việt nào được cài (cần espeak-ng)."
        ids = sorted({v["id"].rsplit("/", 1)[-1] for v in vi}, key=lambda i: (i not in VOICE_LABELS, i))
        names = ", ".join(VOICE_LABELS.get(i, i) for i in ids)
        return True, f"Sẵn sàng, giọng {names} (qua {info.get('driver')})."


class _PooledClips:
    """Clips made by a thread pool. Closing stops the pool even before the first clip was read
    (a generator closed before it started never runs its ``finally``)."""

    def __init__(self, clips, pool: ThreadPoolExecutor) -> None:
        self._clips, self._pool = clips, pool

    def __iter__(self):
        return self._clips

    def close(self) -> None:
        self._clips.close()
        self._pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- gTTS (online)

DEFAULT_GTTS_URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
_net_cache: dict[str, tuple[float, bool, str]] = {}
_net_lock = threading.Lock()
NET_OK_TTL = 60.0
NET_FAIL_TTL = 30.0


def _resolve(host: str, port: int, timeout: float) -> tuple[str, int]:
    """Return an address for host; a resolver that hangs (no network) is abandoned after timeout."""
    box: list = []

    def work() -> None:
        try:
            box.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][:2])
        except OSError as exc:
            box.append(exc)

    t = threading.Thread(target=work, daemon=True, name="dns-check")
    t.start()
    t.join(timeout)
    if not box:
        raise OSError(f"không phân giải được tên miền sau {timeout:.0f} giây")
    if isinstance(box[0], OSError):
        raise box[0]
    return box[0]


def reachable(url: str, timeout: float = 2.0) -> tuple[bool, str]:
    """Return whether the host of ``url`` resolves and accepts a TCP connection (remembered a while).

    The check costs at most ``timeout`` seconds and its answer is kept for a minute (half a minute
    when it failed), so ``auto`` does not wait on a dead network at every segment.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    key = f"{host}:{port}"
    now = time.monotonic()
    with _net_lock:
        hit = _net_cache.get(key)
        if hit and now < hit[0]:
            return hit[1], hit[2]
    ok, detail = False, ""
    started = time.monotonic()
    try:
        addr = _resolve(host, port, timeout)
        # One budget for both steps: the whole check never takes much more than ``timeout``.
        left = max(0.1, timeout - (time.monotonic() - started))
        with socket.create_connection(addr, timeout=left):
            ok, detail = True, f"Kết nối được tới {host}."
    except OSError as exc:
        detail = f"Không kết nối được tới {host}: {_net_reason(exc)}."
    with _net_lock:
        _net_cache[key] = (now + (NET_OK_TTL if ok else NET_FAIL_TTL), ok, detail)
    return ok, detail


def _net_reason(exc: OSError) -> str:
    """Return why a connection failed, in Vietnamese (the OS gives English strerror texts)."""
    if isinstance(exc, socket.gaierror):
        return "không phân giải được tên miền (máy không có Internet?)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "quá thời gian chờ"
    if isinstance(exc, ConnectionRefusedError):
        return "máy chủ từ chối kết nối"
    if exc.errno in (101, 113):  # ENETUNREACH, EHOSTUNREACH
        return "không có đường mạng tới máy chủ"
    return str(exc.strerror or exc)


def forget_network() -> None:
    """Drop remembered reachability answers (tests, or after the operator fixed the network)."""
    with _net_lock:
        _net_cache.clear()


class _RetryableError(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class GttsEngine(Engine):
    NAME = "gtts"
    LABEL = "Giọng Google (gTTS, cần Internet)"
    ONLINE = True
    RATE = 24000  # Google's MP3s are 24 kHz mono

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.url = config.gtts_url or DEFAULT_GTTS_URL
        self.throttle = config.gtts_throttle_ms / 1000
        self.retries = config.gtts_retries
        self.backoff = config.gtts_backoff_ms / 1000
        self.request_timeout = config.gtts_request_timeout_ms / 1000
        self.requests_made = 0
        self._last_request = 0.0

    def voice_for(self, dialect: str) -> str:
        return "vi"  # Google offers one Vietnamese voice

    def _client(self, text: str, slow: bool, timeout: float):
        from gtts import gTTS

        url = self.url

        class Client(gTTS):
            # gTTS builds https://translate.google.<tld>/…; the request body and the parsing of
            # the answer are gTTS's own, only the address changes.
            def _prepare_requests(self):
                reqs = super()._prepare_requests()
                for r in reqs:
                    r.prepare_url(url, None)
                return reqs

        # No pre-processors: the text is already normalized and cut to ≤ 100 characters, so
        # gTTS's own tokenizer never runs (it would cut inside numbers).
        return Client(text, lang="vi", slow=slow, lang_check=False, pre_processor_funcs=[],
                      timeout=(min(2.0, timeout), timeout))

    def _fetch(self, phrase: str, slow: bool, deadline: float) -> bytes:
        from gtts import gTTSError

        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                raise AudioError(
                    f"Giọng Google: quá thời gian {self.config.tts_timeout:.0f} giây cho cả bản tin."
                )
            wait = self._last_request + self.throttle - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, remaining))
            self._last_request = time.monotonic()
            self.requests_made += 1
            try:
                client = self._client(phrase, slow, min(self.request_timeout, remaining))
                data = b"".join(client.stream())
                if not data:
                    raise AudioError("Giọng Google trả về âm thanh rỗng.")
                return data
            except gTTSError as exc:
                rsp = exc.rsp
                if rsp is None:
                    err: Exception = _RetryableError("không kết nối được hoặc quá thời gian chờ")
                elif rsp.status_code == 429 or rsp.status_code >= 500:
                    after = rsp.headers.get("Retry-After", "")
                    err = _RetryableError(f"máy chủ trả lỗi {rsp.status_code}",
                                          float(after) if after.isdigit() else None)
                else:
                    raise AudioError(f"Giọng Google từ chối yêu cầu (mã {rsp.status_code}).") from None
            attempt += 1
            if attempt > self.retries:
                raise AudioError(f"Giọng Google không dùng được sau {attempt} lần thử: {err}.")
            delay = self.backoff * (2 ** (attempt - 1))
            if isinstance(err, _RetryableError) and err.retry_after is not None:
                delay = max(delay, min(err.retry_after, 30.0))
            if time.monotonic() + delay >= deadline:
                raise AudioError(
                    f"Giọng Google: quá thời gian {self.config.tts_timeout:.0f} giây cho cả bản tin ({err})."
                )
            time.sleep(delay)

    def synthesize(self, paragraphs: list[list[str]], *, dialect: str, speed: int) -> Speech:
        sentences = [s for p in paragraphs for s in p]
        ok, detail = reachable(self.url)
        if not ok:
            raise AudioError(f"Giọng Google không dùng được: {detail}")
        deadline = time.monotonic() + self.config.tts_timeout
        # Google has two speeds; "slow" for a clearly slow setting, the rest by a tempo change of
        # each sentence as it is decoded (the pauses between sentences keep their settings).
        slow = speed <= 100
        base = 100 if slow else 150
        tempo = max(0.5, min(2.0, speed / base))
        clips = []
        for sentence in sentences:
            mp3 = b"".join(self._fetch(p, slow, deadline) for p in split_phrases(sentence))
            try:
                clips.append(_tools.decode_bytes(mp3, self.RATE, fmt="mp3", timeout=30, tempo=tempo))
            except AudioError:
                raise AudioError("Giọng Google trả về dữ liệu không phải âm thanh MP3.") from None
        return Speech(clips=clips, rate=self.RATE, voice="vi")

    def health(self) -> tuple[bool, str]:
        ok, detail = reachable(self.url)
        return ok, ("Kết nối được máy chủ giọng Google." if ok else detail)


ENGINES: dict[str, type[Engine]] = {cls.NAME: cls for cls in (GttsEngine, Pyttsx3Engine)}


def check_engines(names: Iterable[str]) -> str | None:
    """Give back a Vietnamese line naming the first engine not in the registry, or None."""
    for name in names:
        if name not in ENGINES:
            return f"không có bộ đọc «{name}» (có: {', '.join(ENGINES)})."
    return None


def get_engine(name: str, config: Config) -> Engine:
    """Return an engine by name; raise AudioError for an unknown one."""
    try:
        return ENGINES[name](config)
    except KeyError:
        raise AudioError(f"Không có bộ đọc «{name}» (có: {', '.join(ENGINES)}).") from None


_health_cache: dict[tuple, tuple[float, dict[str, dict]]] = {}
HEALTH_TTL = 60.0


def engine_health(config: Config) -> dict[str, dict]:
    """Return, per engine, ``{"available": bool, "detail": str, "label": str}`` (cached a minute)."""
    key = (config.gtts_url, config.tts_order)
    now = time.monotonic()
    hit = _health_cache.get(key)
    if hit and now < hit[0]:
        return hit[1]
    out: dict[str, dict] = {}
    for name, cls in ENGINES.items():
        ok, detail = cls(config).health()
        out[name] = {"available": ok, "detail": detail, "label": cls.LABEL, "online": cls.ONLINE}
    _health_cache[key] = (now + HEALTH_TTL, out)
    return out
