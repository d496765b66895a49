"""ffmpeg, ffprobe and sox, run as real subprocesses with a timeout and a Vietnamese error.

Everything that touches encoded audio goes through here so every call has a deadline and a
failure always becomes an :class:`AudioError` naming the reason, never a stack trace.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ._errors import AudioError

#: Generous for a long programme on a slow PC; a hung decoder still cannot block a render forever.
DEFAULT_TIMEOUT = 120.0


def need(program: str) -> str:
    """Return the full path of a required program, or raise AudioError naming it."""
    path = shutil.which(program)
    if path is None:
        raise AudioError(f"Thiếu chương trình {program}: hãy cài đặt (make setup).")
    return path


def run(
    args: list[str],
    *,
    input: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "xử lý âm thanh",
) -> subprocess.CompletedProcess[bytes]:
    """Return the finished process; raise AudioError on timeout or a non-zero exit."""
    exe = need(args[0])
    try:
        proc = subprocess.run([exe, *args[1:]], input=input, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AudioError(f"Quá thời gian {timeout:.0f} giây khi {what}.") from None
    if proc.returncode != 0:
        raise AudioError(f"Lỗi khi {what}: {last_line(proc.stderr)}")
    return proc


def last_line(stderr: bytes) -> str:
    """Return the last meaningful line of a tool's error output (for a one-line message)."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "không rõ nguyên nhân"


@dataclass(frozen=True)
class Probe:
    """What ffprobe says about a file's first audio stream."""

    format_name: str
    codec: str
    duration_s: float
    sample_rate: int
    channels: int


def probe(path: Path, *, timeout: float = 30.0, name: str | None = None) -> Probe:
    """Return the audio stream of ``path``; raise AudioError if it holds no decodable audio.

    ``name``: the file's name as the officer knows it (an upload waits under a name of our own).
    """
    shown = name or path.name
    args = [
        "ffprobe", "-v", "error", "-print_format", "json", "-show_format",
        "-show_streams", "-select_streams", "a:0", str(path),
    ]
    try:
        proc = run(args, timeout=timeout, what="đọc thông tin tệp âm thanh")
        info = json.loads(proc.stdout or b"{}")
    except (AudioError, ValueError):
        raise AudioError(f"Tệp không phải âm thanh hợp lệ: «{shown}».") from None
    streams = info.get("streams") or []
    fmt = info.get("format") or {}
    if not streams:
        raise AudioError(f"Tệp không phải âm thanh hợp lệ: «{shown}» không có kênh âm thanh nào.")
    st = streams[0]
    try:
        duration = float(st.get("duration") or fmt.get("duration") or 0.0)
    except ValueError:
        duration = 0.0
    return Probe(
        format_name=str(fmt.get("format_name", "")),
        codec=str(st.get("codec_name", "")),
        duration_s=duration,
        sample_rate=int(st.get("sample_rate") or 0),
        channels=int(st.get("channels") or 0),
    )


@dataclass(frozen=True)
class Loudness:
    """An EBU R128 measurement: integrated loudness (LUFS) and peak (dBTP or dBFS)."""

    integrated: float
    peak: float


_I_RE = re.compile(rb"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-inf)\s*LUFS")
_PEAK_RE = re.compile(rb"(?:True|Sample) peak:\s*\n\s*Peak:\s*(-?[\d.]+|-inf)\s*dBFS")


def parse_ebur128(stderr: bytes) -> Loudness:
    """Return the summary that ffmpeg's ``ebur128`` filter printed at the end of a run."""
    i = _I_RE.findall(stderr)
    p = _PEAK_RE.findall(stderr)
    if not i:
        raise AudioError("Không đo được độ to của âm thanh (ffmpeg ebur128 không có kết quả).")

    def num(raw: bytes) -> float:
        return float("-inf") if raw == b"-inf" else float(raw)

    return Loudness(integrated=num(i[-1]), peak=num(p[-1]) if p else float("nan"))


def ebur128_filter(true_peak: bool = True) -> str:
    """Return the ffmpeg filter that measures loudness (per-frame log hidden, summary kept)."""
    return f"ebur128=framelog=verbose:peak={'true' if true_peak else 'sample'}"


def measure(path: Path, *, true_peak: bool = True, timeout: float = DEFAULT_TIMEOUT) -> Loudness:
    """Return the EBU R128 loudness and peak of a file, measured by ffmpeg's ebur128 filter."""
    proc = run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path),
         "-af", ebur128_filter(true_peak), "-f", "null", "-"],
        timeout=timeout, what="đo độ to âm thanh",
    )
    return parse_ebur128(proc.stderr)


def measure_pcm(
    pcm: bytes, rate: int, *, true_peak: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> Loudness:
    """Return the loudness of raw mono s16le PCM, fed to ffmpeg on its standard input."""
    proc = run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-f", "s16le", "-ac", "1", "-ar", str(rate),
         "-i", "pipe:0", "-af", ebur128_filter(true_peak), "-f", "null", "-"],
        input=pcm, timeout=timeout, what="đo độ to âm thanh",
    )
    return parse_ebur128(proc.stderr)


def decode(path: Path, rate: int, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """Return any audio file decoded to mono s16le PCM at ``rate``."""
    proc = run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s16le",
         "-ac", "1", "-ar", str(rate), "pipe:1"],
        timeout=timeout, what=f"giải mã tệp âm thanh «{path.name}»",
    )
    return proc.stdout


def decode_bytes(
    data: bytes, rate: int, *, fmt: str | None = None, timeout: float = DEFAULT_TIMEOUT, tempo: float = 1.0
) -> bytes:
    """Return encoded audio bytes (an MP3 from gTTS, say) decoded to mono s16le PCM at ``rate``,
    its tempo changed by ``tempo`` (pitch kept) when that is not 1."""
    args = ["ffmpeg", "-nostdin", "-v", "error"]
    if fmt:
        args += ["-f", fmt]
    args += ["-i", "pipe:0"]
    if abs(tempo - 1.0) > 0.01:
        args += ["-af", f"atempo={tempo:.3f}"]
    args += ["-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"]
    return run(args, input=data, timeout=timeout, what="giải mã âm thanh").stdout


def sha256_file(path: Path) -> str:
    """Return the file's sha256 (hex), read a megabyte at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
