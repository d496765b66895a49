"""The item loop of one claimed airing: each item logged ``playing``, streamed to the sink, completed.

Split out of the player so each step reads on one screen. The times written are when the sound is
heard (the paced sink's timeline), not when a write returned; an item that delivered less than its
audio is ``failed`` with a reason, never ``played``; a small progress file tells crash recovery how
far the sound got.

A relay whose fallback is "the next items of the programme" has them aired early, inside its slot,
each with its own as-run row and in full (the stream coming back waits for the item's end: an item
is never cut mid-word, and one that outlasts the slot ends the relay late); they are then not aired
again. Only the items before the next relay item are taken.
"""

from __future__ import annotations

import array
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ..models import AirStatus
from . import _asrun
from ._clock import Clock, wait_until
from ._job import CUT_REASONS, Cut, Job
from ._prepare import Prepared, PreparedItem, vn_seconds
from ._sinkbase import Sink, SinkAborted, SinkError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..config import Config
    from ._relay import RelaySource

CHUNK_S = 0.1
FADE_S = 3.0

#: Why an item is skipped once the airing's window has closed.
WINDOW_CLOSED = "Hết khung giờ phát nên mục này không được phát."


class Host(Protocol):
    """What an airing uses of the player it runs on (the player stands above and starts it)."""

    clock: Clock
    config: Config
    sound_at: float | None  # when sound last reached the output (monotonic), for the watchdog
    _cut: Cut | None  # set by another thread to cut what plays; the airing clears a skip's
    _entry: Callable[..., int]  # an item's as-run row begun (or written skipped/failed): its id
    _complete: Callable[..., None]  # that row completed: status, times, reason, milliseconds
    _reopen: Callable[[Job], tuple[Sink | None, str | None]]  # the output again after it failed


def _relayed(item: PreparedItem) -> RelaySource | None:
    """Give back the stream a relay item aired (a live airing is read like one, but is no relay)."""
    from ._live import LiveSource

    return None if item.relay is None or isinstance(item.relay, LiveSource) else item.relay


@dataclass
class Tally:
    """How the items of an airing went."""

    played: int = 0
    failed: int = 0
    reasons: list[str] = field(default_factory=list)

    def fail(self, reason: str) -> None:
        self.failed += 1
        self.reasons.append(reason)


def _fade(chunk: bytes, start: int, end: int, fade_bytes: int) -> bytes:
    """Give back the chunk with a linear fade towards ``end`` (byte offsets in the airing)."""
    samples = array.array("h")
    samples.frombytes(chunk)
    for i in range(len(samples)):
        left = end - (start + 2 * i)
        samples[i] = int(samples[i] * max(0.0, min(1.0, left / fade_bytes)))
    return samples.tobytes()


class Airing:
    """One claimed airing going through its items; :meth:`run` gives back the index it stopped at."""

    def __init__(
        self, player: Host, job: Job, prepared: Prepared, sink: Sink | None, sink_error: str | None
    ) -> None:
        self.player = player
        self.clock = player.clock
        self.job = job
        self.items = prepared.items
        self.bps = player.config.sample_rate * 2
        self.sink, self.sink_error = sink, sink_error
        # The first sample goes out at the scheduled time, or now when late (misfire within grace).
        self.first_wall = max(job.scheduled_at, self.clock.now())
        self.on_air = False
        self.sounded = False  # some sound of this airing reached the output
        self.window_bytes: int | None = None
        self.offset = 0  # bytes of this airing's timeline played (or skipped past after a failure)
        self.outcome: str | None = None  # None = ran to the end
        self.tally = Tally()
        self.resync = False
        self.last_heard: datetime | None = None  # when the last sound written will have been heard
        self.progress = _asrun.Progress(player.config.data_dir, job.occurrence_id)
        self.filling = False  # an item is airing early inside a relay's slot

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> int:
        idx = self.job.resume_from
        while idx < len(self.items):
            if idx in self.job.aired_early:
                idx += 1
                continue
            self._item(idx, self.items[idx])
            idx += 1
            if self.outcome == "skip":
                self.outcome = None
                self.player._cut = None
                self.sink.close()
                self.sink = None
                continue
            if self.outcome is not None and self.outcome != "window":
                break
        return idx

    def _item(self, idx: int, item: PreparedItem) -> None:
        now = self.clock.now()
        if item.skip_reason:
            self.player._entry(self.job, item, now, AirStatus.SKIPPED, item.skip_reason)
            return
        if self.window_bytes is not None and self.offset >= self.window_bytes:
            self.player._entry(self.job, item, now, AirStatus.SKIPPED, WINDOW_CLOSED)
            return
        if item.error:
            self.player._entry(self.job, item, now, AirStatus.FAILED, item.error)
            self.tally.fail(item.error)
            return
        if self.sink is None:
            self.sink, self.sink_error = self.player._reopen(self.job)
            self.resync = True
            if self.sink is None:
                self.player._entry(self.job, item, now, AirStatus.FAILED, self.sink_error)
                self.tally.fail(self.sink_error or "")
                self.offset += item.nbytes
                return
        if self.resync and self.on_air and self.sink.realtime:
            # After a failed output the next item still starts at its place on the timeline.
            wait_until(self._at_offset(self.offset), clock=self.clock)
        self.resync = False
        planned = self._at_offset(self.offset)
        # The entry is committed before the first sample of the item is heard.
        entry_id = self.player._entry(self.job, item, planned if not self.on_air else now, planned=planned)
        if not self.on_air:
            self._go_on_air()
        realtime = self.sink.realtime
        started = self._heard()
        status, reason, pos = self._stream(idx, item, entry_id)
        ended = self._heard()
        if not realtime:
            # A recording written faster than real time: log the item where it sits on the
            # programme's timeline, as a listener would have heard it.
            started = self._at_offset(self.offset)
            ended = started + timedelta(seconds=pos / self.bps)
        self.last_heard = ended
        relay = _relayed(item)
        self.player._complete(
            entry_id,
            status,
            started,
            ended,
            reason,
            pos * 1000 // self.bps,
            None if relay is None else (relay.relayed * 1000 // self.bps, relay.filled * 1000 // self.bps),
        )
        if status == AirStatus.PLAYED:
            self.tally.played += 1
        elif status == AirStatus.FAILED:
            self.tally.fail(reason or "")
        self.offset += max(item.nbytes, pos)  # a relay filled by an item that outlasted its slot: longer

    # -- steps ----------------------------------------------------------------------------------
    def _at_offset(self, off: int) -> datetime:
        return self.first_wall + timedelta(seconds=off / self.bps)

    def _heard(self) -> datetime:
        """Give back when what was written so far will have been heard (now for unpaced outputs)."""
        now = self.clock.now()
        if self.sink is None:
            return now
        return now + timedelta(seconds=max(0.0, self.sink.heard_by() - time.monotonic()))

    def _go_on_air(self) -> None:
        job = self.job
        wait_until(self.first_wall, clock=self.clock)
        self.first_wall = self.clock.now()
        self.on_air = True
        if job.window_end is not None and job.overrun in ("stop", "fade"):
            left = max(0, int((job.window_end - self.first_wall).total_seconds() * self.bps)) // 2 * 2
            self.window_bytes = left + self.offset

    def _windowed(self, chunk: bytes, pos: int) -> bytes:
        """Give back the part of a chunk inside the airing's window, faded near its end."""
        if self.window_bytes is None:
            return chunk
        start = self.offset + pos
        if start + len(chunk) > self.window_bytes:
            chunk = chunk[: max(0, self.window_bytes - start)]
        if self.job.overrun == "fade" and start + len(chunk) > self.window_bytes - FADE_S * self.bps:
            chunk = _fade(chunk, start, self.window_bytes, int(FADE_S * self.bps))
        if not chunk:
            self.player._cut = Cut("window", CUT_REASONS["window"])
            raise SinkAborted()
        return chunk

    def _note(self, entry_id: int, item: PreparedItem, pos: int, last: bool, *, force: bool) -> None:
        if force or self.progress.due():
            self.progress.note(
                entry_id, pos * 1000 // self.bps, full=pos >= item.nbytes, last=last, at=self._heard()
            )

    def _stream(self, idx: int, item: PreparedItem, entry_id: int) -> tuple[AirStatus, str | None, int]:
        """Give back how the item went, and how many of its bytes reached the sink."""
        pos = 0
        chunk_bytes = int(CHUNK_S * self.bps / 2) * 2
        last = self._last(idx)
        try:
            with item.open() as src:
                while True:
                    chunk = src.read(chunk_bytes)
                    if not chunk and item.relay is not None and item.relay.wants_fill:
                        pos += self._fill_next(idx, item, pos)
                        if self.sink is None:
                            return AirStatus.FAILED, self.sink_error, pos
                        last = self._last(idx)  # the items it aired early may have been the rest
                        continue
                    if not chunk:
                        break
                    if self.player._cut is not None:
                        raise SinkAborted()
                    chunk = self._windowed(chunk, pos)
                    self.sink.write(chunk)
                    self.player.sound_at = time.monotonic()
                    self.sounded = True
                    pos += len(chunk)
                    self._note(entry_id, item, pos, last, force=False)
            # Written in full (or not): said before the drain, so a crash while the output plays
            # out its buffer is not taken for an interrupted airing.
            self._note(entry_id, item, pos, last, force=True)
            if pos < item.nbytes:
                return AirStatus.FAILED, self._short(item, pos), pos
            if last:
                self.sink.drain()
        except SinkAborted:
            cut = self.player._cut or Cut("stop", CUT_REASONS["stop"])
            self.outcome = cut.kind
            if cut.kind == "window" and pos == 0:
                # The window closed before this item's first sample (a late start): never aired.
                return AirStatus.SKIPPED, WINDOW_CLOSED, pos
            return (
                AirStatus.INTERRUPTED,
                cut.reason + (f". {item.relay.summary()}" if item.relay else ""),
                pos,
            )
        except SinkError as exc:
            self.sink.close()
            self.sink, self.sink_error = None, str(exc)
            return AirStatus.FAILED, str(exc), pos
        except OSError as exc:
            return AirStatus.FAILED, f"{self._short(item, pos)} ({exc.strerror or exc})", pos
        if item.relay is not None:
            # A relay always fills its length; it aired if some of it was the stream.
            return (AirStatus.PLAYED if item.relay.relayed else AirStatus.FAILED), item.relay.summary(), pos
        return AirStatus.PLAYED, None, pos

    def _last(self, idx: int) -> bool:
        """Tell whether nothing after item ``idx`` will air (then the output plays out its buffer)."""
        early = self.job.aired_early
        return not self.filling and all(
            i.skip_reason or i.error or k in early for k, i in enumerate(self.items[idx + 1 :], idx + 1)
        )

    def _fill_next(self, idx: int, relay_item: PreparedItem, pos: int) -> int:
        """Air the programme's next item inside the relay's slot; give back the bytes it took.

        The item gets its own as-run row where it sits in the relay's window, and is marked aired
        early so the loop does not air it again. None left (or a cut): the relay fills by itself.
        """
        relay = relay_item.relay
        relay.wants_fill = False
        if self.player._cut is not None:
            raise SinkAborted()
        nxt = None
        for k in range(idx + 1, len(self.items)):
            if self.items[k].relay is not None:
                break  # what follows another relay stays after it
            if k not in self.job.aired_early:
                nxt = k
                break
        if nxt is None:
            relay.fill_next = False  # nothing left to air early: silence or the station's filler
            return 0
        item = self.items[nxt]
        self.job.aired_early.add(nxt)
        base = self.offset
        self.offset = base + pos  # the item's place on the timeline: inside the relay's slot
        self.filling = True
        try:
            self._item(nxt, item)
        finally:
            self.filling = False
            took, self.offset = self.offset - base - pos, base
        if took:
            relay.filled_with(f"mục «{item.title}»", took)
        if self.player._cut is not None:
            raise SinkAborted()  # the item was cut (stop, emergency, live): so is the relay
        return took

    def _short(self, item: PreparedItem, pos: int) -> str:
        return (
            f"Chỉ phát được {vn_seconds(pos / self.bps)} trên {vn_seconds(item.nbytes / self.bps)} "
            f"của mục «{item.title}»: âm thanh đã chuẩn bị bị thiếu."
        )
