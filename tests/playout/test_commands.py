"""The control mailbox's typed schema: what the writers store is what the daemon reads; bad rows get a
Vietnamese answer and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from broadcaster.models import ControlCommand, Occurrence
from broadcaster.playout import request_emergency, request_play_now, request_replan, request_stop
from broadcaster.playout._commands import AirNow, CommandError, Replan, Stop, parse_command

from .conftest import add_programme, add_segment, wait_for


def test_every_writer_stores_a_row_the_daemon_reads_back(session, station, config):
    seg = add_segment(session, station, config, "Tin")
    prog = add_programme(session, station, [seg])
    zone = station.zones[0]
    rows = [
        request_stop(session, station.id, "a", zone=zone.code, item_only=True),
        request_stop(session, station.id, "a"),
        request_replan(session, station.id),
        request_play_now(session, station.id, programme_id=prog.id),
        request_play_now(session, station.id, segment_id=seg.id, zone=zone.id),
        request_emergency(session, station.id, text="Bão đang đến."),
        request_emergency(session, station.id, asset_path="khan/bao.wav", zone=zone.code),
    ]
    got = [parse_command(r.action, r.payload) for r in rows]
    assert got[:5] == [
        Stop(zone_id=zone.id, item_only=True),
        Stop(),
        Replan(),
        AirNow(urgent=False, programme_id=prog.id),
        AirNow(urgent=False, zone_id=zone.id, segment_id=seg.id),
    ]
    assert got[5].urgent and got[5].segment_id and got[5].engine == "pyttsx3"
    assert got[6] == AirNow(urgent=True, zone_id=zone.id, asset_path="khan/bao.wav")


@pytest.mark.parametrize(
    ("action", "payload", "says"),
    [
        ("stop", {"zone_id": "toàn xã"}, "«zone_id» phải là một số nguyên dương"),
        ("stop", {"scope": "tất cả"}, "Phạm vi dừng «tất cả» không hợp lệ"),
        ("play", {"segment_id": "x"}, "«segment_id» phải là một số nguyên dương"),
        ("play", {"segment_id": True}, "«segment_id» phải là một số nguyên dương"),
        ("play", {}, "Lệnh không có nội dung để phát."),
        ("emergency", {"segment_id": 1, "asset_path": "a.wav"}, "chỉ được có một nội dung"),
        ("emergency", {"asset_path": ""}, "«asset_path» phải là một chuỗi chữ không rỗng"),
        ("play", ["programme_id", 1], "Nội dung lệnh phải là một đối tượng JSON."),
        ("reboot", {}, "Không biết lệnh «reboot»."),
    ],
)
def test_a_bad_payload_is_refused_in_vietnamese(action, payload, says):
    with pytest.raises(CommandError, match=says):
        parse_command(action, payload)


def test_the_daemon_answers_bad_rows_and_still_takes_the_next_command(store, session, station, run_daemon):
    bad = [
        ("play", {"segment_id": "x"}),
        ("stop", {"zone_id": "toàn xã"}),
        ("play", ["programme_id", 1]),
    ]
    for action, payload in bad:
        session.add(ControlCommand(station_id=station.id, action=action, payload=payload, requested_by="kt"))
    session.commit()
    replan = request_replan(session, station.id, by="kt")
    session.commit()
    run_daemon()

    def answered():
        with store.sessions() as s:
            rows = s.scalars(select(ControlCommand).order_by(ControlCommand.id)).all()
            return all(r.done_at for r in rows) and rows

    rows = wait_for(answered, 20)
    assert [r.result for r in rows[:3]] == [
        "Lệnh không hợp lệ: «segment_id» phải là một số nguyên dương (nhận được 'x').",
        "Lệnh không hợp lệ: «zone_id» phải là một số nguyên dương (nhận được 'toàn xã').",
        "Lệnh không hợp lệ: Nội dung lệnh phải là một đối tượng JSON.",
    ]
    assert rows[3].id == replan.id and rows[3].result == "Sẽ lập lại lịch phát."
    with store.sessions() as s:
        assert s.scalars(select(Occurrence)).all() == [], "a refused command airs nothing"
