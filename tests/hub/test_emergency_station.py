"""A district emergency at the station, without the broker: the desk the live link calls, a real
station daemon (a subprocess airing into a command sink that logs its first audio byte), the
station's real SQLite store. The hub is unreachable here, so every play is the offline voice."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import free_port
from sqlalchemy import func, select

from broadcaster.config import load
from broadcaster.db import utcnow
from broadcaster.models import (
    AirStatus,
    ControlCommand,
    Emergency,
    EmergencyTarget,
    Occurrence,
    Origin,
    Zone,
)
from broadcaster.sync import EmergencyDesk, on_duty_tag, parse_message

READER = Path(__file__).resolve().parents[1] / "playout" / "pcm_reader.py"


def starts(log: Path) -> list[float]:
    if not log.exists():
        return []
    return [float(v) for _p, k, v in (line.split() for line in log.read_text().splitlines()) if k == "start"]


def wait_for(pred, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def message(**over) -> dict:
    now = utcnow()
    body = {
        "uid": str(uuid.uuid4()),
        "action": "start",
        "title": "Bão số 9 đổ bộ",
        "text": "Bão số chín sắp đổ bộ. Bà con vào nơi trú ẩn an toàn.",
        "audio": {
            "sha256": "ab" * 32,
            "size": 1000,
            "url": "/api/v1/station/audio/" + "ab" * 32,
            "ext": "wav",
        },
        "repeat": 1,
        "gap_s": 0,
        "valid_until": (now + timedelta(minutes=30)).isoformat(),
        "sent_at": now.isoformat(),
    }
    return body | over


@pytest.fixture
def station_desk(env, store, tmp_path):
    log = tmp_path / "sink.log"
    env = env | {
        "BROADCASTER_SINK": f"command:{sys.executable} {READER} {log}",
        "BROADCASTER_HUB_URL": f"http://127.0.0.1:{free_port()}",  # nobody listens: audio unreachable
        "BROADCASTER_HUB_TOKEN": "x" * 40,
    }
    with store.sessions.begin() as s:
        for zone in s.scalars(select(Zone)):
            zone.sink = env["BROADCASTER_SINK"]
    daemon = subprocess.Popen(
        [sys.executable, "-m", "broadcaster.cli", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "daemon.log", "ab"),  # noqa: SIM115
    )
    reports: list[dict] = []
    desk = EmergencyDesk(load(env), store, reports.append, fetch_timeout_s=5)
    yield desk, reports, log
    desk.close()
    desk.wait(20)
    daemon.terminate()
    daemon.wait(20)


def states(reports, uid):
    """The states reported, in order (a "started" is said again with the exact first-sample time)."""
    return list(dict.fromkeys(r["state"] for r in reports if r["uid"] == uid))


@pytest.mark.slow
def test_unreachable_audio_is_spoken_offline_repeated_once_per_delivery_and_reported(station_desk, store):
    desk, reports, log = station_desk
    body = message(repeat=2, gap_s=1)
    desk.handle(body)
    desk.handle(body)  # QoS 1 redelivery: nothing more plays
    wait_for(
        lambda: "finished" in states(reports, body["uid"]) or "failed" in states(reports, body["uid"]), 60
    )
    desk.wait(5)
    assert states(reports, body["uid"]) == ["received", "started", "finished"], reports
    done = reports[-1]
    assert done["plays"] == 2 and "giọng máy" in done["detail"]
    assert len(starts(log)) == 2  # two plays reached the sink, not four

    with store.sessions() as s:
        occs = s.scalars(select(Occurrence).where(Occurrence.on_duty.like(f"%{body['uid'][:8]}%"))).all()
        assert {o.on_duty for o in occs} == {on_duty_tag(body["uid"], 1), on_duty_tag(body["uid"], 2)}
        assert all(o.status == AirStatus.PLAYED for o in occs)
        first = min(o.started_at for o in occs)  # the daemon's first sample at the sink
        t = s.scalar(select(EmergencyTarget).join(Emergency).where(Emergency.uid == body["uid"]))
        assert (t.state, t.plays) == ("finished", 2) and t.started_at == first
        # The text was said twice from one record of what was said.
        assert len({c.payload.get("segment_id") for c in s.scalars(select(ControlCommand))}) == 1
    # The hub, not having heard (a lost report), sends it again: the station says where it stands.
    n = len(reports)
    desk.handle(body)
    again = {r["state"]: r for r in reports[n:]}
    assert list(again) == ["received", "started", "finished"] and again["finished"]["plays"] == 2
    assert again["started"]["at"] == first.isoformat()
    time.sleep(1.0)
    assert len(starts(log)) == 2
    started = [r for r in reports if r["state"] == "started"][-1]
    assert started["at"] == first.isoformat()
    assert abs(starts(log)[0] - first.timestamp()) < 1.0  # as-run start is when the sink got audio


def test_an_expired_emergency_is_reported_and_never_reaches_the_daemon(station_desk, store):
    desk, reports, log = station_desk
    body = message(valid_until=(utcnow() - timedelta(seconds=1)).isoformat())
    desk.handle(body)
    assert states(reports, body["uid"]) == ["received", "expired"]
    assert "quá hạn" in reports[-1]["detail"]
    with store.sessions() as s:
        assert s.scalar(select(func.count(ControlCommand.id))) == 0
        assert s.scalar(select(EmergencyTarget.state)) == "expired"
    desk.handle(body)  # again: still nothing
    assert states(reports, body["uid"]) == ["received", "expired"]


def test_a_stop_cuts_the_emergency_on_air_and_no_repeat_follows(station_desk, store):
    desk, reports, log = station_desk
    body = message(text="Lũ quét đang về. " * 40, repeat=3, gap_s=0)
    desk.handle(body)
    wait_for(lambda: "started" in states(reports, body["uid"]), 60)
    desk.handle({"uid": body["uid"], "action": "stop"})
    wait_for(lambda: "stopped" in states(reports, body["uid"]), 30)
    assert states(reports, body["uid"]) == ["received", "started", "stopped"]
    with store.sessions() as s:
        occs = s.scalars(select(Occurrence).where(Occurrence.on_duty.like(f"%{body['uid'][:8]}%"))).all()
        assert [o.status for o in occs] == [AirStatus.INTERRUPTED]
    assert len(starts(log)) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"uid": 5}, "uid"),
        ({"valid_until": "mai"}, "valid_until"),
        ({"valid_until": "2026-12-01T06:30:00"}, "múi giờ"),
        ({"repeat": 0}, "repeat"),
        ({"audio": None, "text": ""}, "không có âm thanh"),
        ({"audio": {"sha256": "../x", "size": 1, "url": "/a"}}, "sha256"),
    ],
)
def test_a_bad_message_is_refused_with_one_vietnamese_line(change, words):
    with pytest.raises(ValueError, match=words):
        parse_message(message(**change))


def test_an_emergency_left_unfinished_by_an_earlier_link_is_reported_failed_once(store, config):
    # What a link process killed mid-way leaves: the message taken (and acknowledged), no end.
    body = message()
    with store.sessions.begin() as s:
        sid = store.station(s).id
        s.add(
            Emergency(
                uid=body["uid"],
                station_id=sid,
                origin=Origin.HUB,
                valid_until=utcnow() + timedelta(minutes=30),
                targets=[EmergencyTarget(station_id=sid, state="started", received_at=utcnow())],
            )
        )
    again = EmergencyDesk(config, store, [].append)
    reports = again.settle_leftovers()
    assert [(r["uid"], r["state"]) for r in reports] == [(body["uid"], "failed")]
    assert "khởi động lại" in reports[0]["detail"]
    assert again.settle_leftovers() == []
    with store.sessions() as s:
        assert s.scalar(select(EmergencyTarget.state)) == "failed"


def test_with_no_daemon_to_take_it_the_command_is_withdrawn_and_reported_failed(store, config):
    """A command left in the mailbox would air whenever the daemon next starts (within its 5-minute
    rule): withdrawn instead, and the hub told."""
    reports: list[dict] = []
    desk = EmergencyDesk(config, store, reports.append, fetch_timeout_s=1, not_taken_s=1)
    body = message(audio=None)
    desk.handle(body)
    desk.wait(15)
    assert states(reports, body["uid"]) == ["received", "failed"]
    assert "Bộ phát không nhận lệnh" in reports[-1]["detail"]
    with store.sessions() as s:
        cmd = s.scalar(select(ControlCommand))
        assert cmd.taken_at is not None and cmd.result.startswith("Hủy")
