"""The hub's half of a district emergency, on the real store (SQLite here: no NOTIFY, so nothing is
published; the broker path is tests/hub/test_emergency_live.py): the page with its typed
confirmation and roles, the rows it writes, a station's reports moving them, the audio a targeted
station (only) may fetch, the stop."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from broadcaster import content, hub
from broadcaster.db import utcnow
from broadcaster.models import AuditLog, Emergency, EmergencyTarget

TEXT = "Bão số chín sắp đổ bộ, bà con vào nơi trú ẩn."


@pytest.fixture
def hub_app(store, config):
    from broadcaster.web import create_app

    with store.sessions.begin() as s:
        hub.add_station(s, "xa-a", "Xã An Hòa", groups=["cụm ven biển"])
        hub.add_station(s, "xa-b", "Xã Bình Minh", groups=["cụm ven biển"])
        hub.add_station(s, "xa-c", "Xã Cát Tiên", groups=["miền núi"])
        ids = {
            role: content.create_user(s, store.station(s), f"u-{role}", "mat-khau-dai-1", role).id
            for role in ("admin", "approver", "editor")
        }
    app = create_app(config.with_overrides(mode="hub"), store=store)

    def client(role: str):
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = f"{ids[role]}:0", True
        return c

    return client


def _csrf(html: str) -> str:
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_the_page_sends_with_the_typed_word_only_and_follows_each_station(hub_app, store, config):
    c = hub_app("approver")
    page = c.get("/huyen/khan-cap/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Gõ «KHẨN CẤP» để xác nhận" in html and "Nhóm «cụm ven biển»" in html
    token = _csrf(html)
    form = {"csrf_token": token, "text": TEXT, "to": "group:cụm ven biển", "repeat": "2", "gap": "1"}

    refused = c.post("/huyen/khan-cap/", data=form | {"confirm": "khan cap"})
    assert refused.status_code == 400 and "Gõ «KHẨN CẤP» để xác nhận gửi" in refused.get_data(as_text=True)
    bad = c.post("/huyen/khan-cap/", data=form | {"confirm": "KHẨN CẤP", "repeat": "99"})
    assert bad.status_code == 400 and "Số lần phát phải từ 1 đến 10" in bad.get_data(as_text=True)
    nobody = c.post("/huyen/khan-cap/", data=form | {"confirm": "KHẨN CẤP", "to": "codes", "codes": "xa-z"})
    assert nobody.status_code == 400 and "Không có đài mã «xa-z»" in nobody.get_data(as_text=True)
    with store.sessions() as s:
        assert s.scalar(select(func.count(Emergency.id))) == 0  # nothing half-saved

    sent = c.post("/huyen/khan-cap/", data=form | {"confirm": " khẩn cấp "})
    assert sent.status_code == 302
    with store.sessions() as s:
        em = s.scalar(select(Emergency))
        uid, sha = em.uid, em.audio_sha256
        assert (em.repeat, em.gap_s, em.created_by) == (2, 60, "u-approver")
        assert timedelta(minutes=29) < em.valid_until - em.sent_at <= timedelta(minutes=30)
        assert sorted(t.station.code for t in em.targets) == ["xa-a", "xa-b"]
        assert {t.state for t in em.targets} == {"sent"}
        assert s.scalar(select(AuditLog.username).where(AuditLog.action == "emergency")) == "u-approver"
        body = hub.payload(config, em)
    assert body["audio"]["sha256"] == sha and body["audio"]["url"].endswith(sha) and body["repeat"] == 2

    # Only targeted stations may fetch the audio, until it is stopped.
    with store.sessions() as s:
        a, c_ = (hub.find_station(s, code, config.station_code) for code in ("xa-a", "xa-c"))
        assert hub.servable_audio(s, config, a, sha).is_file()
        assert hub.servable_audio(s, config, c_, sha) is None

    # The stations' reports, as the live process hands them over.
    now = utcnow()
    with store.sessions.begin() as s:
        assert hub.note_emergency_status(s, "xa-a", {"uid": uid, "state": "started", "at": now.isoformat()})
        assert hub.note_emergency_status(
            s, "xa-a", {"uid": uid, "state": "received", "at": (now - timedelta(seconds=1)).isoformat()}
        )
        assert not hub.note_emergency_status(s, "xa-c", {"uid": uid, "state": "started"})  # not sent to c
        assert not hub.note_emergency_status(s, "xa-a", {"uid": uid, "state": "đang phát"})
        hub.note_emergency_status(s, "xa-b", {"uid": uid, "state": "expired", "detail": "Quá hạn"})
    js = c.get(f"/huyen/khan-cap/{uid}.json").get_json()
    by = {r["code"]: r for r in js["stations"]}
    assert by["xa-a"]["state"] == "started" and by["xa-a"]["received_at"] < by["xa-a"]["started_at"]
    assert by["xa-b"]["state"] == "expired" and by["xa-b"]["detail"] == "Quá hạn"
    table = c.get("/huyen/khan-cap/bang").get_data(as_text=True)
    assert "<html" not in table and "Đang phát" in table and "Quá hạn, không phát" in table
    assert 'data-refresh-url="/huyen/khan-cap/bang"' in c.get("/huyen/khan-cap/").get_data(as_text=True)

    # Stop: the typed word again; only stations not done are told; the audio is no longer served.
    no = c.post(f"/huyen/khan-cap/{uid}/dung", data={"csrf_token": token, "confirm": "dừng"})
    assert no.status_code == 302
    with store.sessions() as s:
        assert s.scalar(select(Emergency.stopped_at)) is None
    c.post(f"/huyen/khan-cap/{uid}/dung", data={"csrf_token": token, "confirm": "KHẨN CẤP"})
    with store.sessions() as s:
        em = s.scalar(select(Emergency))
        assert em.stopped_by == "u-approver"
        assert hub.servable_audio(s, config, hub.find_station(s, "xa-a", config.station_code), sha) is None
        assert s.scalar(select(AuditLog.after).where(AuditLog.action == "emergency_stop")) == {"to": ["xa-a"]}
    with store.sessions.begin() as s:
        hub.note_emergency_status(s, "xa-a", {"uid": uid, "state": "stopped"})
        hub.note_emergency_status(s, "xa-a", {"uid": uid, "state": "started"})  # late: state stays
    with store.sessions() as s:
        states = dict(s.execute(select(EmergencyTarget.station_id, EmergencyTarget.state)).all())
        assert sorted(states.values()) == ["expired", "stopped"]


def test_only_admins_and_approvers_reach_the_page(hub_app):
    assert hub_app("editor").get("/huyen/khan-cap/").status_code == 403
    assert hub_app("admin").get("/huyen/khan-cap/").status_code == 200


def test_the_request_is_checked_before_anything_is_made(store, config):
    with pytest.raises(hub.HubError, match="cần nội dung văn bản"):
        hub.check_request(hub.EmergencyRequest(text="  "))
    with pytest.raises(hub.HubError, match="Thời hạn hiệu lực"):
        hub.check_request(hub.EmergencyRequest(text=TEXT, valid_minutes=0))
    with store.sessions.begin() as s:
        hub.add_station(s, "xa-a", "Xã A")
    with store.sessions() as s, pytest.raises(hub.HubError, match="Không có đài nào trong nhóm"):
        hub.resolve_targets(s, "group:không có", config.station_code)
    with store.sessions() as s, pytest.raises(hub.HubError, match="Không có thông báo khẩn cấp mã"):
        hub.find_emergency(s, "abcdef")


def test_a_recording_is_imported_once_and_sent_by_its_sha256(store, config, tmp_path):
    import subprocess

    wav = tmp_path / "ghi-am.wav"
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "1", str(wav), "synth", "1.5", "sine", "500"], check=True
    )
    with store.sessions.begin() as s:
        a, _ = hub.add_station(s, "xa-a", "Xã A")
        req = hub.EmergencyRequest(text=TEXT, audio_file=wav, title="Bản thu của huyện")
        em = hub.send_emergency(s, config, store.station(s), [a], req)
        body = hub.payload(config, em)
        assert em.audio_asset.source == "upload" and em.audio_asset.original_name == "ghi-am.wav"
        served = hub.servable_audio(s, config, a, em.audio_sha256)
    assert served is not None and body["audio"]["size"] == served.stat().st_size
    assert body["text"] == TEXT  # still there for a station that cannot fetch the file
    with pytest.raises(hub.HubError, match="Không chuẩn bị được âm thanh"):
        (tmp_path / "hong.wav").write_bytes(b"RIFF....not audio")
        with store.sessions.begin() as s:
            a = hub.find_station(s, "xa-a", config.station_code)
            hub.send_emergency(
                s, config, store.station(s), [a], hub.EmergencyRequest(audio_file=tmp_path / "hong.wav")
            )
    with store.sessions() as s:
        assert s.scalar(select(func.count(Emergency.id))) == 1


def test_stations_that_did_not_acknowledge_are_sent_it_again_until_they_do(store, config):
    with store.sessions.begin() as s:
        a, _ = hub.add_station(s, "xa-a", "Xã A")
        b, _ = hub.add_station(s, "xa-b", "Xã B")
        em = hub.send_emergency(s, config, store.station(s), [a, b], hub.EmergencyRequest(text=TEXT))
        uid, sent = em.uid, em.sent_at
    with store.sessions.begin() as s:
        assert hub.due_again(s, config, sent + timedelta(seconds=5)) == []  # not yet
        hub.note_emergency_status(s, "xa-a", {"uid": uid, "state": "received"})
    later = sent + timedelta(seconds=31)
    with store.sessions.begin() as s:
        [(codes, body)] = hub.due_again(s, config, later)
    assert codes == ["xa-b"] and body["uid"] == uid and body["action"] == "start"
    with store.sessions.begin() as s:
        assert hub.due_again(s, config, later + timedelta(seconds=1)) == []  # once per 30 s
        assert len(hub.due_again(s, config, later + timedelta(seconds=31))) == 1
        hub.stop_emergency(s, config, hub.find_emergency(s, uid))
    with store.sessions.begin() as s:
        assert hub.due_again(s, config, later + timedelta(seconds=90)) == []  # stopped: never again
