"""A relay item's own fallback: one of the station's items, or the programme's next items aired early.

The upstream is a real icecast2 fed by ffmpeg; killing the feeder drops the stream. What aired is
read back from the recording (which tone, when) and from the as-run rows.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcaster.db import utcnow
from broadcaster.models import AirStatus, AsRunEntry, ItemType, Programme, ProgrammeItem, SegmentStatus
from broadcaster.playout import forecast, play_programme_once, warnings

from .conftest import add_once, add_programme, add_segment, tones, whole_seconds_from_now, zone_with_sink
from .test_daemon import read_wav

#: Real-time scenarios: marked slow, so a parallel run starts them first.
pytestmark = pytest.mark.slow

UPSTREAM = "sine=frequency=440:sample_rate=44100"


def _relay(
    url: str, seconds: int, fallback: str | None = None, segment_id: int | None = None
) -> ProgrammeItem:
    return ProgrammeItem(
        item_type=ItemType.RELAY,
        stream_url=url,
        duration_s=seconds,
        fallback=fallback,
        fallback_segment_id=segment_id,
    )


def _programme(session, station, items) -> int:
    prog = add_programme(session, station, [])
    for pos, it in enumerate(items):
        if not isinstance(it, ProgrammeItem):
            it = ProgrammeItem(item_type=ItemType.SEGMENT, segment_id=it.id)
        it.position = pos
        prog.items.append(it)
    session.commit()
    return prog.id


def _drop(icecast, feeder, at, down_at: float, up_at: float) -> None:
    """Kill the upstream ``down_at`` s into the airing, feed it again ``up_at`` s in."""
    time.sleep(max(0.0, (at - utcnow()).total_seconds() + down_at))
    feeder.kill()
    feeder.wait()
    time.sleep(max(0.0, (at - utcnow()).total_seconds() + up_at))
    icecast.feed("/huyen.mp3", UPSTREAM)


def _air(store, config, programme_id, at, out, during=None):
    box = {}
    t = threading.Thread(
        target=lambda: box.update(
            occ=play_programme_once(store, config, programme_id, at=at, sink=f"file:{out}?realtime=1")
        ),
        daemon=True,
    )
    t.start()
    if during is not None:
        during()
    t.join(40)
    with store.sessions() as s:
        rows = list(s.scalars(select(AsRunEntry).where(AsRunEntry.occurrence_id == box["occ"].id)))
    return box["occ"], sorted(rows, key=lambda e: e.id)


def _runs(pcm: bytes, rate: int) -> list[list[int]]:
    """Give back the tones heard, as [tone, quarter seconds] runs."""
    runs: list[list[int]] = []
    for f in tones(pcm, rate, 0.25):
        if runs and runs[-1][0] == f:
            runs[-1][1] += 1
        else:
            runs.append([f, 1])
    return runs


def _parts(reason: str) -> dict[str, float]:
    """Give back the seconds of each part of a relay's as-run reason ("Tiếp sóng": relayed)."""
    head = reason.split(" (")[0].split("; ")[0]
    return {
        label.strip().removeprefix("phát thay bằng "): float(secs.replace(",", "."))
        for label, secs in re.findall(r"([^,]+?) (\d+,\d) giây", head)
    }


def test_the_next_items_fill_a_dropped_stream_and_air_once(icecast, config, store, session, station):
    feeder = icecast.feed("/huyen.mp3", UPSTREAM)
    a = add_segment(session, station, config, "Tin A", freq=660, secs=2.0)
    b = add_segment(session, station, config, "Tin B", freq=880, secs=5.0)
    c = add_segment(session, station, config, "Tin C", freq=1000, secs=1.0)
    pid = _programme(session, station, [_relay(icecast.url("/huyen.mp3"), 12, "next"), a, b, c])
    out = config.data_dir / "next.wav"
    at = whole_seconds_from_now(3)
    # The stream drops 2 s in (A then B fill for 7 s) and is fed again 4.5 s in, well before B ends
    # (its new upstream and the relay's reopening take seconds on a loaded machine).
    occ, rows = _air(store, config, pid, at, out, lambda: _drop(icecast, feeder, at, 2, 4.5))
    relay, ra, rb, rc = rows  # each item once: A and B early, inside the relay, C after it
    assert [r.position for r in rows] == [0, 1, 2, 3]
    assert all(r.status == AirStatus.PLAYED for r in rows), [(r.title, r.reason) for r in rows]
    assert occ.status == AirStatus.PLAYED and occ.reason is None, occ.reason
    assert "luồng bị ngắt" in relay.reason and "có lại tín hiệu" in relay.reason, relay.reason
    parts = _parts(relay.reason)
    assert parts["mục «Tin A»"] == 2.0 and parts["mục «Tin B»"] == 5.0, relay.reason
    assert sum(parts.values()) == 12.0 and parts["Tiếp sóng"] >= 3.5, relay.reason
    slack = timedelta(seconds=0.3)
    assert relay.started_at <= ra.started_at and ra.ended_at <= rb.started_at + slack
    assert rb.ended_at <= relay.ended_at + slack and rc.started_at >= relay.ended_at - slack
    assert abs((relay.ended_at - relay.started_at).total_seconds() - 12) < 0.5
    assert relay.duration_ms == 12_000
    # The report's numbers: the items aired early count as filled.
    assert relay.filled_ms >= 7_000 and relay.relayed_ms + relay.filled_ms == 12_000, relay.reason
    runs = [f for f, n in _runs(read_wav(out), config.sample_rate) if n >= 2]
    assert runs == [440, 660, 880, 440, 1000], runs


def test_an_item_fallback_airs_whole_and_an_unapproved_one_never(icecast, config, store, session, station):
    feeder = icecast.feed("/huyen.mp3", UPSTREAM)
    fill = add_segment(session, station, config, "Thông báo chờ", freq=1000, secs=4.0)
    draft = add_segment(session, station, config, "Tin chưa duyệt", freq=660, secs=1.0)
    draft.status = SegmentStatus.DRAFT
    pid = _programme(
        session,
        station,
        [
            _relay(icecast.url("/huyen.mp3"), 10, "item", fill.id),
            _relay(icecast.url("/khong-co.mp3"), 2, "item", draft.id),
        ],
    )
    # The forecast warns before air time that the draft would not fill the second relay.
    zone = zone_with_sink(session, station, "null")
    add_once(session, station, session.get(Programme, pid), zone, whole_seconds_from_now(3600), config.tz)
    session.commit()
    (warned,) = warnings(forecast(session, station, programme_id=pid))
    assert "sẽ phát im lặng thay vì bản tin «Tin chưa duyệt»" in warned.message, warned.message
    assert "chưa được duyệt" in warned.message and not warned.nothing
    out = config.data_dir / "item.wav"
    at = whole_seconds_from_now(3)
    # Dropped 2 s in, back 3 s in: the item (4 s) is finished before the stream takes over again.
    occ, (first, second) = _air(store, config, pid, at, out, lambda: _drop(icecast, feeder, at, 2, 3))
    assert first.status == AirStatus.PLAYED, first.reason
    parts = _parts(first.reason)
    assert parts["bản tin «Thông báo chờ»"] in (4.0, 8.0), first.reason  # whole items only
    assert sum(parts.values()) == 10.0, first.reason
    assert second.status == AirStatus.FAILED, second.reason
    assert second.reason.startswith(
        "Tiếp sóng 0,0 giây, phát thay bằng khoảng lặng 2,0 giây; không phát thay bằng bản tin đã chọn: "
        "Bản tin «Tin chưa duyệt» chưa được duyệt"
    ), second.reason
    runs = _runs(read_wav(out), config.sample_rate)
    heard = [f for f, n in runs if n >= 2]
    assert heard[:3] == [440, 1000, 440] and 660 not in heard, runs
    whole = [n for f, n in runs if f == 1000]
    assert all(abs(n - 16) <= 1 or abs(n - 32) <= 1 for n in whole), runs
    assert runs[-1] == [0, 8], runs  # the unapproved item never aired: silence
