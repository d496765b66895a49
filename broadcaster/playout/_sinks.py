"""Where the sound goes: a sound-card command, a WAV file, or nowhere, behind one abstract class
(:class:`Sink`, in :mod:`._sinkbase`).

Every sink takes mono 16-bit PCM at the station's sample rate. A sink is opened *ahead* of the
start (a player command is started and handed the WAV header), so its start-up does not delay the
first sample; :meth:`Sink.write` then streams PCM. Sinks are named in a registry (``SINKS``) and
built from a spec string: ``command:aplay -q``, ``file:/path/out.wav``, ``null``, ``auto``,
``icecast://source:PASSWORD@HOST:PORT/MOUNT`` (in :mod:`._icecast`). A spec may hold a password:
it becomes text only through :func:`public_spec`.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shlex
import signal
import struct
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from ..config import REDACTED, SPEC_CREDENTIALS, public_spec
from ._icecast import parse_target  # its sink registers itself as it loads
from ._sinkbase import (
    CHANNELS,
    SAMPLE_WIDTH,
    SINKS,
    Sink,
    SinkAborted,
    SinkError,
    parse_options,
    register_sink,
    wav_header,
)

log = logging.getLogger("broadcaster.playout")


@register_sink
class NullSink(Sink):
    """Discards the sound, paced in real time (a station without output, tests of timing)."""

    NAME = "null"

    def open(self) -> None:
        pass

    def _write(self, pcm: bytes) -> None:
        pass


@register_sink
class FileSink(Sink):
    """Records exactly what aired into a WAV file, appending; full speed unless ``?realtime=1``.

    ``{date}`` in the path becomes the local date, so a day's air lands in one file. The header is
    kept valid after every write, so a power cut leaves a playable file.
    """

    NAME = "file"

    def __init__(self, arg: str, *, sample_rate: int = 44100, tz=None) -> None:
        super().__init__(arg, sample_rate=sample_rate)
        raw, opts = parse_options(arg)
        self.realtime = opts.get("realtime", "0") in ("1", "true", "yes")
        self.path = _dated(raw, tz)
        self._fh = None
        self._seekable = True
        self._data = 0

    def _fail(self, exc: OSError) -> SinkError:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return SinkError(f"Đĩa đầy: không ghi được tệp «{self.path}». Hãy giải phóng dung lượng ổ đĩa.")
        return SinkError(f"Không ghi được tệp «{self.path}»: {exc.strerror or exc}.")

    def open(self) -> None:
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            exists = self.path.exists()
            self._seekable = not exists or self.path.is_file()
            if exists and self._seekable and self.path.stat().st_size >= 44:
                fh = open(self.path, "r+b")
                head = fh.read(44)
                if (
                    head[:4] != b"RIFF"
                    or head[8:16] != b"WAVEfmt "
                    or head[36:40] != b"data"
                    or struct.unpack("<I", head[24:28])[0] != self.sample_rate
                    or struct.unpack("<H", head[22:24])[0] != CHANNELS
                ):
                    fh.close()
                    raise SinkError(
                        f"Tệp «{self.path}» không phải tệp WAV do phần mềm ghi (hoặc khác tần số lấy mẫu); "
                        "hãy chọn tệp khác."
                    )
                size = self.path.stat().st_size
                self._data = size - 44 - (size - 44) % SAMPLE_WIDTH  # a crash may leave half a sample
                fh.truncate(44 + self._data)
                fh.seek(0, os.SEEK_END)
                self._fh = fh
                self._fix_header()
            else:
                mode = "wb" if self._seekable else "ab"
                self._fh = open(self.path, mode)
                self._fh.write(wav_header(self.sample_rate, 0 if self._seekable else None))
                self._fh.flush()
        except OSError as exc:
            raise self._fail(exc) from None

    def _fix_header(self) -> None:
        if not self._seekable or self._fh is None:
            return
        pos = self._fh.tell()
        self._fh.seek(4)
        self._fh.write(struct.pack("<I", 36 + self._data))
        self._fh.seek(40)
        self._fh.write(struct.pack("<I", self._data))
        self._fh.seek(pos)

    def _write(self, pcm: bytes) -> None:
        if self._fh is None:
            raise SinkError("Tệp ghi âm chưa được mở.")
        try:
            self._fh.write(pcm)
            self._data += len(pcm)
            self._fix_header()
            self._fh.flush()
        except OSError as exc:
            raise self._fail(exc) from None

    def drain(self) -> None:
        if self._fh is not None:
            try:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            except OSError as exc:
                raise self._fail(exc) from None

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError:
                pass
            self._fh = None


@register_sink
class CommandSink(Sink):
    """Streams a WAV (header, then PCM) into a player command's stdin: aplay, paplay, ffplay."""

    NAME = "command"
    # The pipe (64 KiB, 0.7 s) and the player's own buffer would hide ~1 s of sound written but not
    # heard yet, so writes are paced like any real-time sink; the lead fills a player's start buffer
    # (aplay starts once its 0.5 s buffer is full) and as-run times come from the paced timeline.
    lead_s = 0.6

    def __init__(self, arg: str, *, sample_rate: int = 44100) -> None:
        super().__init__(arg, sample_rate=sample_rate)
        self.argv = shlex.split(arg)
        if not self.argv:
            raise SinkError("Thiếu lệnh phát sau «command:».")
        self.proc: subprocess.Popen | None = None
        self._err = None

    def open(self) -> None:
        self._err = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._err,
                start_new_session=True,  # so abort can kill a shell and its children together
            )
        except OSError as exc:
            raise SinkError(f"Không chạy được lệnh phát «{self.argv[0]}»: {exc.strerror or exc}.") from None
        self._write(wav_header(self.sample_rate))

    def _stderr_tail(self) -> str:
        if self._err is None:
            return ""
        try:
            self._err.seek(0)
            text = self._err.read()[-300:].decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return text.splitlines()[-1] if text else ""

    def _died(self) -> SinkError:
        code = self.proc.wait(timeout=2) if self.proc is not None else None
        tail = self._stderr_tail()
        return SinkError(
            f"Lệnh phát «{self.argv[0]}» dừng giữa chừng (mã {code})" + (f": {tail}" if tail else ".")
        )

    def _write(self, pcm: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(pcm)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            if self._aborted.is_set():
                raise SinkAborted() from None
            raise self._died() from None

    def drain(self) -> None:
        if self.proc is None:
            return
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        while True:
            try:
                code = self.proc.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if self._aborted.is_set():
                    raise SinkAborted() from None
        if self._aborted.is_set():
            raise SinkAborted()
        if code != 0:
            tail = self._stderr_tail()
            raise SinkError(
                f"Lệnh phát «{self.argv[0]}» kết thúc với mã lỗi {code}" + (f": {tail}" if tail else ".")
            )

    def abort(self) -> None:
        super().abort()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def close(self) -> None:
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                try:
                    if proc.stdin is not None:
                        proc.stdin.close()
                except OSError:
                    pass
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait()
            self.proc = None
        if self._err is not None:
            self._err.close()
            self._err = None


def has_sound_card() -> bool:
    """Tell whether ``aplay -l`` lists a sound card."""
    try:
        out = subprocess.run(["aplay", "-l"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(re.search(r"^card \d+:", out.stdout, re.MULTILINE))


_auto_cache: dict[str, str] = {}
AUTO_FILE = Path("phat-song") / "{date}.wav"  # under the data dir, when ``auto`` finds no sound card


def _dated(raw: str, tz=None) -> Path:
    return Path(raw.replace("{date}", datetime.now(tz).date().isoformat()))


def resolve_spec(spec: str | None, *, default: str, data_dir: Path, tz=None, paced: bool = True) -> str:
    """Give back a concrete sink spec: a zone's own, else the configured one, ``auto`` detected.

    Without a sound card ``auto`` records a WAV file per day, paced in real time so "on air" and
    the as-run times are true (``paced=False``: at full speed, for a demo nobody listens to).
    """
    spec = (spec or "").strip()
    if spec in ("", "auto", "default"):
        spec = default.strip() or "auto"
    if spec != "auto":
        return spec
    key = str(data_dir)
    if key not in _auto_cache:
        if has_sound_card():
            _auto_cache[key] = "command:aplay -q"
            log.info("Đầu ra tự động: có card âm thanh, phát bằng «aplay -q».")
        else:
            target = (data_dir / AUTO_FILE).resolve()
            _auto_cache[key] = f"file:{target}"
            log.warning(
                "Đầu ra tự động: không thấy card âm thanh ghi ra tệp %s (mỗi ngày một tệp trong %s).",
                _dated(str(target), tz),
                target.parent,
            )
    found = _auto_cache[key]
    return f"{found}?realtime=1" if paced and found.startswith("file:") else found


def output_file(spec: str, tz=None) -> Path | None:
    """Give back the file a concrete sink spec records to today (``{date}`` filled in), or None."""
    name, _, arg = spec.strip().partition(":")
    if name != FileSink.NAME or not arg.strip():
        return None
    return _dated(parse_options(arg)[0], tz)


def auto_output(data_dir: Path, tz=None) -> Path | None:
    """Give back today's file the ``auto`` output records to (no sound card), or None (it plays aloud)."""
    return output_file(resolve_spec("auto", default="auto", data_dir=data_dir, tz=tz), tz)


def keep_secret(new: str, old: str | None) -> str:
    """Give back ``new`` with a ``***`` password replaced by the one in ``old`` (a page shows
    the spec redacted, so an unchanged form sends ``***`` back)."""
    m = SPEC_CREDENTIALS.search(new)
    if not m or REDACTED + "@" not in new[m.start() : m.end()] or not old:
        return new
    if public_spec(old) != new:
        return new  # another server, mount or account: no password is carried over to it
    return old


def check_spec(spec: str) -> str | None:
    """Give back a Vietnamese error for a malformed sink spec, or None."""
    spec = spec.strip()
    if spec in ("auto", "null", "default", ""):
        return None
    name, _, arg = spec.partition(":")
    if name not in SINKS or not arg.strip():
        return (
            f"Đầu ra «{public_spec(spec)}» không hợp lệ: dùng auto, null, file:ĐƯỜNG_DẪN.wav, command:LỆNH "
            "hoặc icecast://source:MẬT_KHẨU@MÁY_CHỦ:CỔNG/ĐIỂM_PHÁT."
        )
    if name == "icecast":
        try:
            parse_target(arg)
        except SinkError as exc:
            return str(exc)
    if name == "command":
        try:
            if not shlex.split(arg):
                raise ValueError
        except ValueError:
            return f"Lệnh phát «{arg}» không hợp lệ."
    return None


def make_sink(spec: str, *, sample_rate: int = 44100, tz=None) -> Sink:
    """Give back an unopened sink for a concrete spec (see :func:`resolve_spec`)."""
    error = check_spec(spec)
    if error or spec in ("auto", "default", ""):
        raise SinkError(error or "Đầu ra chưa được xác định.")
    name, _, arg = spec.partition(":")
    cls = SINKS[name]
    if cls is FileSink:
        return FileSink(arg, sample_rate=sample_rate, tz=tz)
    return cls(arg, sample_rate=sample_rate)
