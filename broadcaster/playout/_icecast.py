"""The Icecast output: one long-lived source connection per mount, fed in real time, reconnecting by itself.

``icecast://source:PASSWORD@HOST:PORT/MOUNT[?filler=FILE&bitrate=64]``. IP loudspeakers and
listeners' phones play the mount, so the mount must never go away between items: a :class:`Feed`
(one per mount and process) keeps an MP3 encoder and the source connection open for the life of
the process and sends silence (or the station's filler, looped) whenever no airing writes. An
:class:`IcecastSink` only borrows the feed for one airing.

The source connection is made here (HTTP ``PUT`` with Basic authentication, which Icecast 2.4
accepts) rather than by ``ffmpeg … icecast://…``: the password then never sits on a command line
(``ps`` shows it to every user of the PC), the station knows exactly when the server accepted the
stream, and a dropped connection is re-made without restarting the encoder. ffmpeg only encodes
PCM to MP3 through pipes.
"""

from __future__ import annotations

import base64
import logging
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ._sinkbase import SAMPLE_WIDTH, Sink, SinkAborted, SinkError, parse_options, register_sink

log = logging.getLogger("broadcaster.playout")

TICK_S = 0.02  # the pump hands the encoder this much sound at a time
CONNECT_TIMEOUT_S = 3.0
OPEN_WAIT_S = 5.0  # an airing waits this long for the source connection before it fails
RETRY_MAX_S = 5.0  # reconnect back-off cap
DEFAULT_BITRATE = 64

_SPEC = re.compile(
    r"^//(?P<user>[^:@/]+):(?P<password>[^@]*)@(?P<host>[^:/@]+):(?P<port>\d{1,5})(?P<mount>/[^?\s]*)$"
)


@dataclass(frozen=True)
class Target:
    """Where one feed goes: the server, the mount and the source account."""

    host: str
    port: int
    mount: str
    user: str
    password: str

    @property
    def public(self) -> str:
        return f"icecast://{self.host}:{self.port}{self.mount}"


def parse_target(arg: str) -> Target:
    """Give back the target of an ``icecast:`` sink argument; raises SinkError (Vietnamese) when malformed."""
    path, _opts = parse_options(arg)
    m = _SPEC.match(path.strip())
    if not m or not 0 < int(m["port"]) < 65536 or len(m["mount"]) < 2:
        raise SinkError(
            "Đầu ra Icecast không hợp lệ: dùng icecast://source:MẬT_KHẨU@MÁY_CHỦ:CỔNG/ĐIỂM_PHÁT "
            "(ví dụ icecast://source:matkhau@127.0.0.1:8000/xa.mp3)."
        )
    return Target(m["host"], int(m["port"]), m["mount"], unquote(m["user"]), unquote(m["password"]))


class Feed:
    """One mount's encoder and source connection, kept up for the life of the process.

    A pump thread hands the encoder exactly real time: what airings queued, else silence or the
    filler. A sender thread moves the encoder's MP3 to the server and re-makes the connection
    when it drops; while it is down the sound is lost, and the airing writing then is told so.
    """

    def __init__(self, target: Target, sample_rate: int, bitrate: int, filler: bytes | None) -> None:
        self.target = target
        self.sample_rate = sample_rate
        self.bitrate = bitrate
        self.filler = filler or b""
        self._filler_pos = 0
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._consumed = threading.Condition(self._lock)
        self.connected = threading.Event()
        self.tried = threading.Event()  # the first connection attempt is over (made or failed)
        self.error: str | None = None
        self.connections = 0  # source connections made (1 while it never dropped)
        self.sent_audio_at: float | None = None  # monotonic time queued sound last went to the encoder
        self._enc: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._enc_ready = threading.Event()
        threading.Thread(target=self._pump, name=f"icecast-pump{target.mount}", daemon=True).start()
        threading.Thread(target=self._send, name=f"icecast-send{target.mount}", daemon=True).start()

    # -- what airings call ------------------------------------------------------------------------
    def push(self, pcm: bytes) -> None:
        with self._lock:
            self._buf += pcm

    def queued_s(self) -> float:
        with self._lock:
            return len(self._buf) / SAMPLE_WIDTH / self.sample_rate

    def clear(self) -> None:
        """Drop queued sound (a cut must be heard at once, not after the queue)."""
        with self._lock:
            self._buf.clear()
            self._consumed.notify_all()

    def wait_empty(self, timeout: float, cancel: threading.Event) -> bool:
        """Give back True once the pump handed every queued sample to the encoder."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or cancel.is_set():
                    return False
                self._consumed.wait(min(left, 0.05))
        return True

    def stop(self) -> None:
        self._stop.set()
        enc = self._enc
        if enc is not None and enc.poll() is None:
            enc.kill()

    # -- the encoder and its real-time pump -------------------------------------------------------
    def _start_encoder(self) -> subprocess.Popen:
        argv = [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
            "-f", "s16le", "-ar", str(self.sample_rate), "-ac", "1", "-i", "pipe:0",
            "-c:a", "libmp3lame", "-b:a", f"{self.bitrate}k", "-flush_packets", "1",
            "-f", "mp3", "pipe:1",
        ]  # fmt: skip
        enc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._enc = enc
        self._enc_ready.set()
        return enc

    def _fill(self, n: int) -> bytes:
        if not self.filler:
            return bytes(n)
        out = bytearray()
        while len(out) < n:
            take = self.filler[self._filler_pos : self._filler_pos + n - len(out)]
            out += take
            self._filler_pos = (self._filler_pos + len(take)) % len(self.filler)
        return bytes(out)

    def _pump(self) -> None:
        frame = SAMPLE_WIDTH
        while not self._stop.is_set():
            enc = self._start_encoder()
            t0, sent = time.monotonic(), 0
            try:
                while not self._stop.is_set():
                    due = int((time.monotonic() - t0) * self.sample_rate) - sent
                    if due > self.sample_rate:  # the PC stalled: start a fresh timeline, no burst
                        t0, sent, due = time.monotonic(), 0, int(TICK_S * self.sample_rate)
                    if due > 0:
                        with self._lock:
                            take = bytes(self._buf[: due * frame])
                            del self._buf[: len(take)]
                            if take:
                                self.sent_audio_at = time.monotonic()
                            self._consumed.notify_all()
                        chunk = take + self._fill(due * frame - len(take))
                        enc.stdin.write(chunk)
                        enc.stdin.flush()
                        sent += due
                    time.sleep(TICK_S)
            except (BrokenPipeError, OSError, ValueError):
                if not self._stop.is_set():
                    log.warning("Bộ mã hoá MP3 cho %s dừng; khởi động lại.", self.target.public)
            finally:
                if enc.poll() is None:
                    enc.kill()
                enc.wait()
            self._stop.wait(0.5)

    # -- the source connection --------------------------------------------------------------------
    def _connect(self) -> socket.socket:
        t = self.target
        sock = socket.create_connection((t.host, t.port), timeout=CONNECT_TIMEOUT_S)
        auth = base64.b64encode(f"{t.user}:{t.password}".encode()).decode()
        head = (
            f"PUT {t.mount} HTTP/1.1\r\nHost: {t.host}:{t.port}\r\nAuthorization: Basic {auth}\r\n"
            "User-Agent: broadcaster\r\nContent-Type: audio/mpeg\r\nIce-Public: 0\r\n"
            f"Ice-Name: broadcaster\r\nIce-Audio-Info: bitrate={self.bitrate}\r\nExpect: 100-continue\r\n\r\n"
        )
        sock.sendall(head.encode())
        # Icecast answers "100 Continue" then "200 OK" (or a 401/403 and closes).
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                sock.close()
                raise ConnectionError(_answer(data) or "máy chủ đóng kết nối")
            data += chunk
            codes = re.findall(rb"HTTP/1\.[01] (\d{3})[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n", data)
            final = [c for c in codes if c != b"100"]
            if final:
                if final[0] != b"200":
                    sock.close()
                    raise ConnectionError(_answer(data))
                return sock

    def _send(self) -> None:
        self._enc_ready.wait()
        sock: socket.socket | None = None
        retry = 0.5
        next_try = 0.0
        while not self._stop.is_set():
            enc = self._enc
            try:
                mp3 = enc.stdout.read1(8192) if enc is not None and enc.stdout is not None else b""
            except (OSError, ValueError):
                mp3 = b""
            if not mp3:
                time.sleep(0.05)  # the encoder is being restarted by the pump
                continue
            if sock is None and time.monotonic() >= next_try:
                try:
                    sock = self._connect()
                    self.connections += 1
                    self.error, retry = None, 0.5
                    self.connected.set()
                    self.tried.set()
                    log.info("Đã kết nối nguồn phát tới %s.", self.target.public)
                except OSError as exc:
                    self.error = _reason(exc)
                    self.tried.set()
                    next_try = time.monotonic() + retry
                    retry = min(RETRY_MAX_S, retry * 2)
                    log.warning("Không kết nối được %s: %s; thử lại.", self.target.public, self.error)
            if sock is None:
                continue  # sound made while the server is away is lost; the airing is told
            try:
                sock.sendall(mp3)
            except OSError as exc:
                self.connected.clear()
                self.error = _reason(exc)
                log.warning("Mất kết nối tới %s: %s; đang kết nối lại.", self.target.public, self.error)
                sock.close()
                sock = None
        if sock is not None:
            sock.close()


def _answer(data: bytes) -> str:
    text = data.decode("latin-1", "replace")
    if " 401 " in text:
        return "sai tài khoản hoặc mật khẩu nguồn phát (401)"
    if "Mountpoint in use" in text:
        return "điểm phát đang có nguồn khác phát (403)"
    m = re.search(r"HTTP/1\.[01] (\d{3}[^\r\n]*)", text)
    return f"máy chủ trả lời «{m[1]}»" if m else "máy chủ không trả lời đúng giao thức"


def _reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionError) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    if isinstance(exc, TimeoutError | socket.timeout):
        return "quá thời gian chờ máy chủ"
    if isinstance(exc, ConnectionRefusedError):
        return "máy chủ từ chối kết nối (chưa chạy?)"
    return exc.strerror or str(exc)


_feeds: dict[tuple, Feed] = {}
_feeds_lock = threading.Lock()


def feed_for(target: Target, sample_rate: int, bitrate: int, filler: bytes | None) -> Feed:
    """Give back this process's feed of a mount, started on first use and kept up afterwards."""
    key = (target.host, target.port, target.mount)
    with _feeds_lock:
        feed = _feeds.get(key)
        if feed is not None and (feed.target != target or feed.sample_rate != sample_rate):
            feed.stop()  # the password or rate changed: a new source connection
            feed = None
        if feed is None:
            feed = _feeds[key] = Feed(target, sample_rate, bitrate, filler)
        return feed


def feeds() -> list[Feed]:
    """Give back the feeds this process keeps up (for its status)."""
    with _feeds_lock:
        return list(_feeds.values())


def close_feeds() -> None:
    """Stop every feed of this process (its mounts go away): for shutdown and tests."""
    with _feeds_lock:
        for feed in _feeds.values():
            feed.stop()
        _feeds.clear()


@register_sink
class IcecastSink(Sink):
    """Airs into an Icecast mount through the mount's long-lived :class:`Feed`."""

    NAME = "icecast"
    # The pump takes sound in real time from the queue; this lead keeps the queue from running
    # dry between two 0.1 s writes on a busy PC (a gap would be padded with silence).
    lead_s = 0.3

    def __init__(self, arg: str, *, sample_rate: int = 44100) -> None:
        super().__init__(arg, sample_rate=sample_rate)
        self.target = parse_target(arg)
        _path, opts = parse_options(arg)
        self.filler_path = opts.get("filler")
        try:
            self.bitrate = int(opts.get("bitrate", DEFAULT_BITRATE))
        except ValueError:
            raise SinkError("Tốc độ bit của đầu ra Icecast phải là số (kbit/s).") from None
        self.feed: Feed | None = None

    def spec(self) -> str:
        return self.target.public

    def _lost(self) -> SinkError:
        why = self.feed.error if self.feed is not None else None
        return SinkError(
            f"Mất kết nối tới máy chủ Icecast {self.target.public}" + (f": {why}." if why else ".")
        )

    def open(self) -> None:
        filler = None
        if self.filler_path:
            from ._media import AudioError, load_pcm

            try:
                filler = load_pcm(Path(self.filler_path), self.sample_rate)
            except AudioError as exc:
                log.warning("Không dùng được nhạc nền giữa các mục: %s", exc)
        self.feed = feed_for(self.target, self.sample_rate, self.bitrate, filler)
        # A new feed gets its first try; a feed already down is not waited for (it keeps retrying).
        self.feed.tried.wait(OPEN_WAIT_S)
        if self.feed.connections:  # it was up: a dropped connection is being made again
            self.feed.connected.wait(OPEN_WAIT_S)
        if not self.feed.connected.is_set():
            why = self.feed.error or "máy chủ không trả lời"
            raise SinkError(f"Không kết nối được máy chủ Icecast {self.target.public}: {why}.")

    def _write(self, pcm: bytes) -> None:
        if self.feed is None or not self.feed.connected.is_set():
            raise self._lost()
        self.feed.push(pcm)

    def drain(self) -> None:
        if self.feed is None:
            return
        if not self.feed.wait_empty(self.lead_s + 2.0, self._aborted):
            if self._aborted.is_set():
                raise SinkAborted()
        if not self.feed.connected.is_set():
            raise self._lost()

    def abort(self) -> None:
        super().abort()
        if self.feed is not None:
            self.feed.clear()
