"""How long a programme airs, item by item: rendered audio, else a reading estimate of its text.

Content (the editor's running order, a schedule's replay check) and playout (the loudspeakers a
slot keeps busy) both reckon a programme's length; the one rule lives here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import ItemType, Programme, ProgrammeItem
from ._chimes import chime_ms

#: Reading speed for an estimate of text not yet rendered, in words per minute.
DEFAULT_WPM = 150


def estimate_speech_ms(text: str, wpm: int = DEFAULT_WPM) -> int:
    """Give back how long a text takes to read aloud at ``wpm`` words a minute (plus sentence pauses)."""
    words = len((text or "").split())
    sentences = len(re.findall(r"[.!?;:]+(\s|$)", text or "")) or (1 if words else 0)
    return int(words * 60_000 / max(wpm, 1)) + sentences * 350


@dataclass
class ItemDuration:
    item: ProgrammeItem
    ms: int
    estimated: bool  # True when the segment is not rendered yet and its length is a reading estimate


def item_durations(programme: Programme, wpm: int = DEFAULT_WPM) -> tuple[list[ItemDuration], int]:
    """Give back each item's duration and the total, in milliseconds."""
    out: list[ItemDuration] = []
    for it in programme.items:
        if it.item_type == ItemType.CHIME:
            out.append(ItemDuration(it, chime_ms(it.chime or ""), False))
        elif it.item_type == ItemType.PAUSE:
            out.append(ItemDuration(it, int(it.pause_ms or 0), False))
        elif it.item_type == ItemType.RELAY:
            out.append(ItemDuration(it, int(it.duration_s or 0) * 1000, False))
        else:
            seg = it.segment
            audio = seg.audio if seg is not None else None
            estimated = audio is None
            ms = estimate_speech_ms(seg.body if seg else "", wpm) if estimated else audio.duration_ms
            if seg is not None and seg.chime_before:
                ms += chime_ms("thong-bao")
            out.append(ItemDuration(it, ms, estimated))
    return out, sum(d.ms for d in out)
