"""The offers page ("Tin từ huyện") and the refusals of district rows, on pages and through the API.

District rows come as the sync unit leaves them (a manifest applied to the real store, the audio
file really on disk); the commune's leader decides through the real app.
"""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from broadcaster import content
from broadcaster.manifest import AiringSpec, AudioRef, ItemSpec, Manifest, ProgrammeSpec, SegmentSpec
from broadcaster.models import (
    AuditLog,
    ItemType,
    Offer,
    OfferState,
    Priority,
    Programme,
    Role,
    Schedule,
    Segment,
    SegmentKind,
    User,
)
from broadcaster.sync import apply_manifest

REFUSED = "Mục này do huyện gửi xuống: đài xã không sửa, không xoá được."


def _uid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def district(store, config):
    """A normal-level offer and a priority airing from the district, applied as sync does."""
    folder = config.media_dir / "hub"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "tone.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", str(tmp)], check=True
    )
    sha = hashlib.sha256(tmp.read_bytes()).hexdigest()
    tmp.rename(folder / f"{sha}.wav")
    ref = AudioRef(sha, (folder / f"{sha}.wav").stat().st_size, 1000, "wav", f"/api/v1/station/audio/{sha}")
    at = datetime.now(config.tz).replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=2)
    seg, prog = _uid(), _uid()
    offer_uid, urgent_uid = _uid(), _uid()
    m = Manifest(
        station="xa-mau",
        airings=(
            AiringSpec(offer_uid, prog, at.astimezone(UTC), "Lịch tiếp dân của huyện", Priority.NORMAL),
            AiringSpec(
                urgent_uid, prog, (at + timedelta(days=1)).astimezone(UTC), "Tin gấp", Priority.PRIORITY
            ),
        ),
        programmes=(ProgrammeSpec(prog, "Chương trình huyện", (ItemSpec(ItemType.SEGMENT, segment=seg),)),),
        segments=(SegmentSpec(seg, "Lịch tiếp dân tháng 12", SegmentKind.CCHC_NEWS, None, None, sha),),
        audio=(ref,),
    )
    with store.sessions.begin() as s:
        apply_manifest(s, store.station(s), m, {sha: f"hub/{sha}.wav"})
    with store.sessions() as s:
        offer = s.scalar(select(Offer))
        return {
            "offer_id": offer.id,
            "segment_id": s.scalar(select(Segment.id).where(Segment.uid == seg)),
            "programme_id": s.scalar(select(Programme.id).where(Programme.uid == prog)),
            "schedule_id": s.scalar(select(Schedule.id).where(Schedule.uid == urgent_uid)),
            "offer_schedule_id": offer.schedule_id,
            "at": at,
            "sha": sha,
        }


def _offer(store, offer_id: int) -> Offer:
    with store.sessions() as s:
        o = s.get(Offer, offer_id)
        s.expunge(o)
        return o


def test_the_leader_hears_accepts_at_another_time_or_declines_with_a_reason(
    store, district, approver, editor, operator
):
    oid = district["offer_id"]
    html = approver.get("/").get_data(as_text=True)
    assert "Tin từ huyện (1)" in html  # the menu counts what waits
    assert "Có 1 tin từ huyện chờ xã quyết định" in html
    assert "Tin từ huyện" not in editor.get("/").get_data(as_text=True)
    assert editor.get("/tin-tu-huyen/").status_code == 403

    page = approver.get("/tin-tu-huyen/").get_data(as_text=True)
    assert "Lịch tiếp dân của huyện" in page and "Chờ quyết định" in page and "Thông thường" in page
    assert f"huyện đề xuất phát lúc {district['at']:%d/%m/%Y %H:%M}" in page
    audio_url = f"/tin-tu-huyen/{oid}/am-thanh/{district['segment_id']}"
    assert audio_url in page
    sound = approver.get(audio_url)
    assert sound.status_code == 200 and sound.mimetype == "audio/wav"
    assert hashlib.sha256(sound.data).hexdigest() == district["sha"]
    assert approver.get(f"/tin-tu-huyen/{oid}/am-thanh/999999").status_code == 404

    # Declining needs a reason: said next to the offer, the typed time kept, nothing saved.
    bad = approver.form(f"/tin-tu-huyen/{oid}", {"action": "decline", "ly_do": " ", "gio": "18:15"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Hãy ghi lý do từ chối" in body and 'value="18:15"' in body
    assert _offer(store, oid).state == OfferState.WAITING
    bad = approver.form(f"/tin-tu-huyen/{oid}", {"action": "accept", "gio": "25:00"})
    assert bad.status_code == 400 and "không có thật" in bad.get_data(as_text=True)

    done = approver.form(f"/tin-tu-huyen/{oid}", {"action": "accept", "gio": "18:15"}, follow_redirects=True)
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "Đã nhận phát «Lịch tiếp dân của huyện» lúc 18:15" in body
    offer = _offer(store, oid)
    assert offer.state == OfferState.ACCEPTED and offer.decided_by == "lanhdao"
    assert offer.air_at.astimezone(district["at"].tzinfo).time() == time(18, 15)
    with store.sessions() as s:
        sched = s.get(Schedule, district["offer_schedule_id"])
        assert sched.enabled and sched.start_time == time(18, 15)
        assert s.scalar(select(AuditLog.action).where(AuditLog.entity == "offer")) == "accept"
    assert "Tin từ huyện (1)" not in approver.get("/").get_data(as_text=True)

    done = approver.form(
        f"/tin-tu-huyen/{oid}", {"action": "decline", "ly_do": "Xã có lễ hội"}, follow_redirects=True
    )
    assert "Đã từ chối «Lịch tiếp dân của huyện»" in done.get_data(as_text=True)
    assert "Lý do từ chối: Xã có lễ hội" in done.get_data(as_text=True)
    with store.sessions() as s:
        assert not s.get(Schedule, district["offer_schedule_id"]).enabled
    assert operator.get("/tin-tu-huyen/").status_code == 403


def test_pages_refuse_every_edit_of_district_rows_with_a_clear_message(store, district, admin):
    seg, prog, sched = district["segment_id"], district["programme_id"], district["schedule_id"]
    r = admin.form(f"/ban-tin/{seg}/sua", {"title": "Đổi", "body": "Sửa", "kind": "cchc_news"})
    assert r.status_code == 400 and REFUSED in r.get_data(as_text=True)
    r = admin.form(f"/ban-tin/{seg}/luu-tru", {}, follow_redirects=True)
    assert REFUSED in r.get_data(as_text=True)
    r = admin.form(f"/chuong-trinh/{prog}", {"title": "Đổi tên"})
    assert r.status_code == 400 and REFUSED in r.get_data(as_text=True)
    r = admin.form(f"/chuong-trinh/{prog}/xoa", {}, follow_redirects=True)
    assert REFUSED in r.get_data(as_text=True)
    shown = admin.get(f"/lich-phat/{sched}/sua")  # the calendar links here: told at once
    assert shown.status_code == 200 and REFUSED in shown.get_data(as_text=True)
    r = admin.form(f"/lich-phat/{sched}/sua", {"programme_id": str(prog), "recurrence": "once"})
    assert r.status_code == 400 and REFUSED in r.get_data(as_text=True)
    listing = admin.get("/lich-phat/danh-sach").get_data(as_text=True)
    assert "Từ huyện" in listing and "Nhận hoặc từ chối ở «Tin từ huyện»" in listing
    assert f"/lich-phat/{sched}/sua" not in listing and f"/lich-phat/{sched}/bat-tat" not in listing
    for target in (sched, district["offer_schedule_id"]):  # switching it on/off is no back door
        r = admin.form(f"/lich-phat/{target}/bat-tat", {}, follow_redirects=True)
        body = r.get_data(as_text=True)
        assert r.status_code == 200 and REFUSED in body and "trang «Tin từ huyện»" in body
    with store.sessions() as s:
        assert s.get(Segment, seg).title == "Lịch tiếp dân tháng 12"
        assert s.get(Programme, prog).title == "Chương trình huyện" and s.get(Programme, prog).items
        assert s.get(Schedule, sched).enabled and not s.get(Schedule, district["offer_schedule_id"]).enabled


def test_the_api_refuses_every_edit_of_district_rows_with_403_and_the_reason(app, store, district):
    with store.sessions.begin() as s:
        _row, token = content.create_token(s, s.scalar(select(User).where(User.role == Role.ADMIN)), "máy")
    c = app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    seg, prog, sched = district["segment_id"], district["programme_id"], district["schedule_id"]
    calls = [
        ("PATCH", f"/api/v1/segments/{seg}", {"title": "Đổi"}),
        ("POST", f"/api/v1/segments/{seg}/archive", {}),
        ("PATCH", f"/api/v1/programmes/{prog}", {"title": "Đổi"}),
        ("DELETE", f"/api/v1/programmes/{prog}", None),
        ("POST", f"/api/v1/programmes/{prog}/items", {"item_type": "pause", "pause_s": 1}),
        ("PATCH", f"/api/v1/schedules/{sched}", {"window_minutes": 20}),
        ("POST", f"/api/v1/schedules/{sched}/disable", {}),
        ("POST", f"/api/v1/schedules/{district['offer_schedule_id']}/enable", {}),
        ("DELETE", f"/api/v1/schedules/{sched}", None),
    ]
    for method, path, body in calls:
        r = c.open(path, method=method, json=body)
        assert r.status_code == 403, (method, path, r.status_code, r.get_data(as_text=True))
        assert REFUSED in r.get_json()["loi"], (method, path)
    with store.sessions() as s:
        assert s.get(Schedule, sched).enabled and s.get(Schedule, sched).window_minutes == 30
        assert len(s.get(Programme, prog).items) == 1
