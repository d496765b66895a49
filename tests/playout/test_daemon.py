"""The daemon end to end on real SQLite, real sox-made audio and real sinks."""

from __future__ import annotations

import struct
from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcaster.db import utcnow
from broadcaster.models import AirStatus, AsRunEntry, Occurrence, SegmentStatus
from broadcaster.playout import bump_plan, upcoming
from broadcaster.playout._media import load_pcm

from .conftest import add_once, add_programme, add_segment, wait_for, whole_seconds_from_now, zone_with_sink


def read_wav(path):
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[36:40] == b"data"
    size = struct.unpack("<I", raw[40:44])[0]
    assert size == len(raw) - 44, "the header is kept valid"
    return raw[44:]


def test_daemon_airs_a_programme_into_a_file_exactly(store, config, session, station, run_daemon):
    out = config.data_dir / "aired.wav"
    zone = zone_with_sink(session, station, f"file:{out}")
    a = add_segment(session, station, config, "Tin A", freq=440, secs=0.4)
    b = add_segment(session, station, config, "Tin B", freq=660, secs=0.3)
    draft = add_segment(session, station, config, "Tin chưa duyệt", status=SegmentStatus.SUBMITTED)
    old = add_segment(session, station, config, "Tin hết hạn", valid_to=utcnow().date() - timedelta(days=2))
    prog = add_programme(session, station, [a, 200, draft, b, old])
    at = whole_seconds_from_now(5)  # the daemon up before it even on a loaded machine (2 s was missed)
    add_once(session, station, prog, zone, at, config.tz)
    session.commit()

    run_daemon()
    occ = wait_for(lambda: _final(store, prog.id))
    assert occ.status == AirStatus.PLAYED
    assert abs((occ.started_at - at).total_seconds()) < 1.0
    pause = b"\0\0" * int(config.sample_rate * 0.2)
    media = config.media_dir
    want = load_pcm(media / a.upload_asset.path) + pause + load_pcm(media / b.upload_asset.path)
    assert read_wav(out) == want
    with store.sessions() as s:
        entries = s.scalars(
            select(AsRunEntry).where(AsRunEntry.occurrence_id == occ.id).order_by(AsRunEntry.position)
        ).all()
        got = [(e.position, e.status, e.title) for e in entries]
        assert [g[1] for g in got] == [
            AirStatus.PLAYED,
            AirStatus.PLAYED,
            AirStatus.SKIPPED,
            AirStatus.PLAYED,
            AirStatus.SKIPPED,
        ]
        assert "chưa được duyệt" in entries[2].reason
        assert "hết hạn" in entries[4].reason
        assert entries[0].audio_sha256 == a.upload_asset.sha256 and entries[0].kind is not None
        assert all(
            e.started_at >= at - timedelta(seconds=0.01) for e in entries if e.status == AirStatus.PLAYED
        )


def _final(store, programme_id):
    with store.sessions() as s:
        occ = s.scalar(select(Occurrence).where(Occurrence.programme_id == programme_id))
        if occ is not None and occ.status not in (AirStatus.PENDING, AirStatus.PLAYING):
            return occ
    return None


def test_plan_follows_edits_and_timezone_changes(store, config, session, station, run_daemon):
    zone = zone_with_sink(session, station, "null")
    a = add_segment(session, station, config, "Tin A")
    prog = add_programme(session, station, [a])
    at = whole_seconds_from_now(3600)
    sched = add_once(session, station, prog, zone, at, config.tz)
    session.commit()
    run_daemon()
    wait_for(lambda: _pending_at(store, station.id) == [at])
    # Moving the slot an hour later replaces the pending occurrence.
    with store.sessions.begin() as s:
        later = (at + timedelta(hours=1)).astimezone(config.tz)  # may be tomorrow in the station's zone
        s.get(type(sched), sched.id).start_date = later.date()
        s.get(type(sched), sched.id).start_time = later.time()
        bump_plan(s, station.id)
    wait_for(lambda: _pending_at(store, station.id) == [at + timedelta(hours=1)])
    # Changing the station's zone re-plans: the same wall time is now another instant.
    with store.sessions.begin() as s:
        st = s.get(type(station), station.id)
        # West of nearly every zone: the same wall time is a later instant, still ahead of us.
        st.timezone = "Pacific/Pago_Pago" if config.timezone != "Pacific/Pago_Pago" else "UTC"
        new_tz = st.timezone
    from zoneinfo import ZoneInfo

    wall = (at + timedelta(hours=1)).astimezone(config.tz)
    expect = wall.replace(tzinfo=ZoneInfo(new_tz))
    wait_for(lambda: _pending_at(store, station.id) == [expect])


def _pending_at(store, station_id):
    with store.sessions() as s:
        return [o.scheduled_at for o in upcoming(s, station_id, 10)]


@pytest.mark.slow
def test_a_schedule_airs_three_times_with_its_gap(store, config, session, station, run_daemon):
    """'Phát 3 lần, cách nhau …': each repeat is its own occurrence, aired on time, with its as-run row."""
    out = config.data_dir / "repeats.wav"
    zone = zone_with_sink(session, station, f"file:{out}")
    tone = add_segment(session, station, config, "Thông báo", freq=550, secs=0.5)
    prog = add_programme(session, station, [tone])
    at = whole_seconds_from_now(5)  # the daemon up before it even on a loaded machine (2 s was missed)
    add_once(session, station, prog, zone, at, config.tz, replay_count=3, replay_gap_s=2)
    session.commit()

    run_daemon()

    def three_done():
        with store.sessions() as s:
            occs = s.scalars(
                select(Occurrence).where(Occurrence.programme_id == prog.id).order_by(Occurrence.scheduled_at)
            ).all()
            done = [o for o in occs if o.status not in (AirStatus.PENDING, AirStatus.PLAYING)]
            return occs if len(done) == 3 else None

    occs = wait_for(three_done, timeout=30)
    assert [(o.replay_index, o.status) for o in occs] == [(k, AirStatus.PLAYED) for k in range(3)]
    assert [o.scheduled_at for o in occs] == [at + timedelta(seconds=2 * k) for k in range(3)]
    for o in occs:
        assert abs((o.started_at - o.scheduled_at).total_seconds()) < 1.0, o.started_at
    with store.sessions() as s:
        rows = s.scalars(
            select(AsRunEntry)
            .where(AsRunEntry.occurrence_id.in_([o.id for o in occs]))
            .order_by(AsRunEntry.started_at)
        ).all()
        assert [(r.occurrence_id, r.status, r.title) for r in rows] == [
            (o.id, AirStatus.PLAYED, "Thông báo") for o in occs
        ]
    # The sink got the programme three times, nothing else.
    assert read_wav(out) == load_pcm(config.media_dir / tone.upload_asset.path) * 3
