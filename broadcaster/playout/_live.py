"""Going live from the station PC: the line-in or microphone captured by ffmpeg, aired now.

A live airing is read like a relayed stream (:class:`RelaySource`: decoded by a thread, always its
full length, counted), only its input is a capture device (``BROADCASTER_LIVE_INPUT``, ffmpeg's
``FORMAT:INPUT``, ``alsa:default`` by default) and quiet moments are speech pauses, not a failure:
no fallback replaces them.
"""

from __future__ import annotations

import time

from ._relay import RelaySource

MAX_LIVE_S = 3 * 3600  # one live airing at most; an operator who forgets it does not hold air for days
OPEN_WAIT_S = 3.0  # the first read waits this long for the capture to open (ffmpeg takes ~0.2 s)


def live_argv(spec: str) -> tuple[str, str]:
    """Give back ffmpeg's input format and input of a ``FORMAT:INPUT`` spec (``alsa:hw:1,0``)."""
    fmt, _sep, device = spec.partition(":")
    return fmt, device


class LiveSource(RelaySource):
    """Exactly ``seconds`` of the capture input; a capture that fails is filled with silence."""

    def __init__(self, spec: str, seconds: float, *, sample_rate: int, tz=None) -> None:
        # A pause in speech is no dead stream: silence is never replaced while the capture is up.
        super().__init__(spec, seconds, sample_rate=sample_rate, silence_s=seconds + 3600, tz=tz)

    def _argv(self) -> list[str]:
        fmt, device = live_argv(self.url)
        # A lavfi source (a test tone instead of a sound card) is paced like a device would be.
        pace = ["-re"] if fmt == "lavfi" else []
        return [
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
            *pace, "-f", fmt, "-i", device,
            "-vn", "-ac", "1", "-ar", str(self.sample_rate), "-f", "s16le", "pipe:1",
        ]  # fmt: skip

    def read(self, n: int) -> bytes:
        """Give back the next ``n`` bytes; the first read waits for the capture to give sound.

        A live airing starts when the operator asks, not at a scheduled second: waiting a moment
        for the device keeps the first words instead of airing silence while ffmpeg opens it.
        """
        if not self._live:
            deadline = time.monotonic() + OPEN_WAIT_S
            with self._lock:
                while not self._buf and not self._stop.is_set() and time.monotonic() < deadline:
                    self._more.wait(deadline - time.monotonic())
        return super().read(n)

    def summary(self) -> str:
        """Give back the as-run note: how long went live, and why any part of it was silence."""
        live_s = self.relayed / self.bps
        text = f"Phát trực tiếp từ đài {live_s:.1f} giây".replace(".", ",")
        filled = self.filled / self.bps
        if filled >= 0.5:
            why = f" ({self.error})" if self.error else ""
            text += f"; {filled:.1f} giây im lặng vì không thu được âm thanh{why}".replace(".", ",")
        return text + "."
