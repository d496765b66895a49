"""The sinks' base: what every output is (:class:`Sink`), how it fails, and the registry of names.

Every sink takes mono 16-bit PCM at the station's sample rate. The outputs themselves (``_sinks``:
null, file, command; ``_icecast``) stand on this module and register here; ``_sinks`` builds a sink
from a spec string.
"""

from __future__ import annotations

import struct
import threading
import time
from abc import ABC, abstractmethod
from typing import ClassVar
from urllib.parse import parse_qs

from ..config import public_spec

SAMPLE_WIDTH = 2  # s16le
CHANNELS = 1


class SinkError(RuntimeError):
    """The sink cannot take the audio; the message is a Vietnamese reason for the as-run log."""


class SinkAborted(RuntimeError):
    """Audio was cut on purpose (stop, emergency, end of window)."""


def wav_header(sample_rate: int, data_bytes: int | None = None) -> bytes:
    """Give back a 44-byte PCM WAV header; without a size, one that streaming players accept."""
    size = 0xFFFFFFFF if data_bytes is None else data_bytes
    riff = 0xFFFFFFFF if data_bytes is None else 36 + data_bytes
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVEfmt "
        + struct.pack(
            "<IHHIIHH",
            16,
            1,
            CHANNELS,
            sample_rate,
            sample_rate * CHANNELS * SAMPLE_WIDTH,
            CHANNELS * SAMPLE_WIDTH,
            16,
        )
        + b"data"
        + struct.pack("<I", size)
    )


class Sink(ABC):
    """One output. Open ahead, write PCM, drain at the end; ``abort`` may come from another thread."""

    NAME: ClassVar[str]
    realtime: bool = True

    def __init__(self, arg: str, *, sample_rate: int = 44100) -> None:
        self.arg = arg
        self.sample_rate = sample_rate
        self._aborted = threading.Event()
        self._t0: float | None = None
        self._frames = 0

    @property
    def bytes_per_second(self) -> int:
        return self.sample_rate * SAMPLE_WIDTH * CHANNELS

    def spec(self) -> str:
        """Give back the sink's spec as it may be shown (no password)."""
        return public_spec(f"{self.NAME}:{self.arg}" if self.arg else self.NAME)

    @abstractmethod
    def open(self) -> None:
        """Get ready to play (start the player, write the header)."""

    @abstractmethod
    def _write(self, pcm: bytes) -> None: ...

    def write(self, pcm: bytes) -> None:
        """Play PCM; paced sinks return at most ``lead_s`` before it is heard (SinkError/SinkAborted)."""
        if self._aborted.is_set():
            raise SinkAborted()
        now = time.monotonic()
        if self._t0 is None or self._t0 + self._frames / self.sample_rate < now:
            # First write, or the output ran dry (a gap): the listener hears this chunk from now.
            self._t0 = now - self._frames / self.sample_rate
        self._write(pcm)
        self._frames += len(pcm) // SAMPLE_WIDTH
        if self.realtime:
            # Keep at most ``lead_s`` ahead of the listener, so stop/emergency cut promptly and the
            # as-run times (taken from :meth:`heard_by`) are when the sound is really heard.
            delay = self._t0 + self._frames / self.sample_rate - self.lead_s - time.monotonic()
            if delay > 0 and self._aborted.wait(delay):
                raise SinkAborted()

    lead_s = 0.03

    def heard_by(self) -> float:
        """Give back the monotonic time by which everything written so far will have been heard."""
        now = time.monotonic()
        if not self.realtime or self._t0 is None:
            return now
        return max(now, self._t0 + self._frames / self.sample_rate)

    def drain(self) -> None:
        """Wait until everything written has been played; raises SinkError if the output failed."""
        return None

    def abort(self) -> None:
        """Cut the sound now (thread-safe)."""
        self._aborted.set()

    def close(self) -> None:
        """Release the output; safe to call twice."""
        return None

    def describe(self) -> str:
        return self.spec()


SINKS: dict[str, type[Sink]] = {}


def register_sink(cls: type[Sink]) -> type[Sink]:
    SINKS[cls.NAME] = cls
    return cls


def parse_options(arg: str) -> tuple[str, dict[str, str]]:
    """Give back a sink argument's path and its ``?key=value`` options (the last of a repeated key)."""
    if "?" in arg:
        path, query = arg.rsplit("?", 1)
        return path, {k: v[-1] for k, v in parse_qs(query).items()}
    return arg, {}
