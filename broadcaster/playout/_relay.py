"""Relaying a live stream (tiếp sóng): decoded by ffmpeg, opened ahead, with a fallback when it fails.

A :class:`RelaySource` is read by the airing like any prepared item, chunk by chunk at the sink's
real-time pace, and always gives the item's full length: the stream's sound while the stream is up
and not silent, else the chosen fallback. A decoder thread keeps (re)opening the stream the whole
time, so the relay comes back by itself. What aired is counted: seconds relayed, seconds filled by
what, and why, for the as-run row.

The fallbacks: silence; a sound file (the station's filler, looped, left at once when the stream
is back); one of the station's items (its approved audio, looped, and always finished before the
stream takes over again: an item is never cut mid-word); or the programme's next items
(``fill_next``: the relay asks the airing for them, see ``wants_fill``, and they air early with their
own as-run rows, each in full; when none is left, the station's filler or silence).
"""

from __future__ import annotations

import array
import logging
import math
import subprocess
import threading
import time
from datetime import datetime

from ..config import public_spec

log = logging.getLogger("broadcaster.playout")

OPEN_AHEAD_S = 10.0  # a stream is opened this long before its airing starts (probing takes seconds)
KEEP_S = 1.0  # before the relay starts, only the newest second is kept: it starts live, not late
MAX_BUFFER_S = 2.0  # a stream that runs faster than ours (or a server's burst) is trimmed to this
READ_WAIT_S = 0.25  # a chunk short of stream sound waits this long before the fallback fills it
RETRY_S = 1.0  # the stream is tried again this long after it failed
SILENT_RMS = 100  # below this (s16, about -50 dBFS) a chunk counts as silence
RW_TIMEOUT_US = 5_000_000  # ffmpeg gives up on a stream that sends nothing for this long


def _rms(pcm: bytes) -> float:
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    if not samples:
        return 0.0
    step = max(1, len(samples) // 512)  # a sample of the chunk is enough to tell silence
    picked = samples[::step]
    return math.sqrt(sum(s * s for s in picked) / len(picked))


class RelaySource:
    """Exactly ``seconds`` of PCM: the stream while it is up and heard, else the fallback."""

    def __init__(
        self,
        url: str,
        seconds: float,
        *,
        sample_rate: int,
        fallback: bytes | None = None,
        fallback_label: str | None = None,
        silence_s: float = 10.0,
        tz=None,
        whole: bool = False,
        fill_next: bool = False,
        note: str | None = None,
    ) -> None:
        self.url = url
        self.sample_rate = sample_rate
        self.bps = sample_rate * 2
        self.nbytes = int(seconds * sample_rate) * 2
        self.fallback = fallback or b""
        # As the as-run row names it ("tệp «x.wav»", "bản tin «…»"); silence when no fallback.
        self.fallback_label = fallback_label if self.fallback else "khoảng lặng"
        self.whole = whole  # the fallback is an item: finished before the stream comes back
        self.fill_next = fill_next  # the programme's next items fill first (see wants_fill)
        self.wants_fill = False  # set by read() (which then gives b""): air the next item now
        self.note = note  # why the chosen fallback could not be used
        self.silence_bytes = int(silence_s * sample_rate) * 2
        self.tz = tz
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._more = threading.Condition(self._lock)
        self._up = False  # the decoder is running and gave sound lately
        self._live = False  # the airing has started reading
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen | None = None
        self.error: str | None = None  # why the stream is down now
        self.opens = 0
        # What aired, for the as-run row.
        self.given = 0
        self.relayed = 0
        self.filled = 0
        self.fills: dict[str, int] = {}  # bytes filled by each fallback, by its label, in order
        self._fill_pos = 0
        self._quiet = 0  # bytes of silence from the stream in a row
        self._filling_for: str | None = None  # the reason the fallback is on air now
        self.events: list[str] = []
        self.first_relayed_at: float | None = None  # monotonic time the first stream sound was read

    # -- the decoder thread -----------------------------------------------------------------------
    def prime(self) -> None:
        """Start opening the stream now (ahead of air), if not yet."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._decode, name="relay", daemon=True)
            self._thread.start()

    def prime_in(self, seconds: float) -> None:
        """Open the stream ``seconds`` from now (a relay is opened well before its start)."""
        timer = threading.Timer(max(0.0, seconds), self.prime)
        timer.daemon = True
        timer.start()

    def _argv(self) -> list[str]:
        return [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
            "-rw_timeout", str(RW_TIMEOUT_US), "-probesize", "32768", "-analyzeduration", "0",
            "-i", self.url, "-vn", "-ac", "1", "-ar", str(self.sample_rate), "-f", "s16le", "pipe:1",
        ]  # fmt: skip

    def _decode(self) -> None:
        while not self._stop.is_set():
            try:
                proc = subprocess.Popen(self._argv(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            except OSError as exc:
                self.error = f"không chạy được ffmpeg ({exc.strerror or exc})"
                self._stop.wait(RETRY_S)
                continue
            self._proc = proc
            got = False
            while not self._stop.is_set():
                chunk = proc.stdout.read1(8192)
                if not chunk:
                    break
                with self._lock:
                    if not got:
                        got, self.opens = True, self.opens + 1
                    self._up = True
                    self._buf += chunk
                    keep = int((MAX_BUFFER_S if self._live else KEEP_S) * self.sample_rate) * 2
                    if len(self._buf) > keep:
                        del self._buf[: len(self._buf) - keep]
                    self._more.notify_all()
            if proc.poll() is None:
                proc.kill()
            err = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
            proc.wait()
            with self._lock:
                self._up = False
                self._buf.clear()
                self._more.notify_all()
            if self._stop.is_set():
                break
            tail = err.splitlines()[-1] if err else ""
            self.error = ("luồng bị ngắt" if got else "không mở được luồng") + (
                f" ({_short(public_spec(tail))})" if tail else ""
            )
            self._stop.wait(RETRY_S)

    # -- what the airing reads --------------------------------------------------------------------
    def __enter__(self) -> RelaySource:
        self.prime()
        return self

    def __exit__(self, *exc) -> None:
        return None  # the decoder stops with the prepared audio (release), not per read

    def close(self) -> None:
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    def _stamp(self) -> str:
        return datetime.now(self.tz).strftime("%H:%M:%S")

    def _switch(self, reason: str | None) -> None:
        """Note a change between the stream and the fallback (None: back to the stream)."""
        if reason == self._filling_for:
            return
        if reason is None:
            self.events.append(f"{self._stamp()} có lại tín hiệu")
            log.info("Tiếp sóng %s: có lại tín hiệu.", public_spec(self.url))
        else:
            self.events.append(f"{self._stamp()} {reason}")
            log.warning("Tiếp sóng %s: %s; phát thay và thử lại.", public_spec(self.url), reason)
        self._filling_for = reason

    def _fill(self, n: int) -> bytes:
        """Give back up to ``n`` bytes of the fallback (an item's stop at its end), counted."""
        if not self.fallback:
            out = bytes(n)
        elif self.whole:
            out = self.fallback[self._fill_pos : self._fill_pos + n]
            self._fill_pos = (self._fill_pos + len(out)) % len(self.fallback)
        else:
            buf = bytearray()
            while len(buf) < n:
                take = self.fallback[self._fill_pos : self._fill_pos + n - len(buf)]
                buf += take
                self._fill_pos = (self._fill_pos + len(take)) % len(self.fallback)
            out = bytes(buf)
        self.filled_with(self.fallback_label, len(out))
        return out

    def filled_with(self, label: str, n: int) -> None:
        """Count ``n`` bytes of the relay's length as aired by ``label`` (an item aired early)."""
        self.filled += n
        self.given += n
        self.fills[label] = self.fills.get(label, 0) + n

    def read(self, n: int) -> bytes:
        """Give back the next ``n`` bytes (fewer at the end, none after it)."""
        n = min(n, self.nbytes - self.given) // 2 * 2
        if n <= 0:
            return b""
        if self.whole and self._filling_for and self._fill_pos:
            return self._fill(n)  # an item is half-way: it ends before the stream comes back
        deadline = time.monotonic() + READ_WAIT_S
        with self._lock:
            if not self._live:
                self._live = True
            while self._up and len(self._buf) < n and time.monotonic() < deadline:
                self._more.wait(deadline - time.monotonic())
            chunk = bytes(self._buf[:n]) if self._up and len(self._buf) >= n else b""
            if chunk:
                del self._buf[:n]
            up = self._up
        if chunk:
            quiet = _rms(chunk) < SILENT_RMS
            self._quiet = self._quiet + n if quiet else 0
            if self._quiet <= self.silence_bytes:
                if self._filling_for:
                    self._switch(None)
                if self.first_relayed_at is None:
                    self.first_relayed_at = time.monotonic()
                self.relayed += n
                self.given += n
                return chunk
            secs = self.silence_bytes / self.bps
            self._switch(f"luồng im lặng quá {_vn(secs)} giây")
        elif not up:
            self._switch(self.error or "chưa mở được luồng")
        else:
            self._switch("luồng chậm, thiếu dữ liệu")
            if self.whole or self.fill_next:
                # A moment short of data is no reason to start an item: a tenth of silence.
                self.filled_with("khoảng lặng", n)
                return bytes(n)
        if self.fill_next:
            self.wants_fill = True
            return b""
        return self._fill(n)

    # -- the as-run row ---------------------------------------------------------------------------
    def summary(self) -> str:
        """Give back the as-run reason: seconds relayed, seconds filled, and why."""
        text = f"Tiếp sóng {_vn(self.relayed / self.bps)} giây"
        if self.filled:
            text += ", phát thay bằng " + ", ".join(
                f"{label} {_vn(n / self.bps)} giây" for label, n in self.fills.items()
            )
        if self.note:
            text += f"; {self.note}"
        if self.events:
            text += " (" + "; ".join(self.events[:6]) + (" …" if len(self.events) > 6 else "") + ")"
        return text + "."


def _vn(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def _short(text: str) -> str:
    # ffmpeg's line starts with the URL, which may carry a token: keep only what it says.
    return text.rsplit(": ", 1)[-1][:120]
