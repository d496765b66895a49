"""Dashboard, as-run log and CSV, uploads, the JSON API and its OpenAPI document, the admin pages."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from broadcaster import content, rules
from broadcaster.db import utcnow
from broadcaster.models import (
    AirStatus,
    ApiToken,
    AsRunEntry,
    AudioAsset,
    AuditLog,
    ItemType,
    Occurrence,
    Pronunciation,
    Segment,
    Setting,
    StationState,
    User,
    Zone,
)
from broadcaster.web import create_app

from .conftest import count, login, make_segment

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def aired(store) -> dict:
    """A station that has been airing: one on air, one coming, played / failed / missed in the last day."""
    now = utcnow()
    with store.sessions.begin() as s:
        st = store.station(s)
        zone = s.scalar(select(Zone).where(Zone.station_id == st.id))

        def occ(title, at, status, **kw):
            o = Occurrence(
                station_id=st.id, zone_id=zone.id, scheduled_at=at, title=title, status=status, **kw
            )
            s.add(o)
            s.flush()
            return o

        occ(
            "Đang phát: bản tin trưa",
            now - timedelta(minutes=2),
            AirStatus.PLAYING,
            started_at=now - timedelta(minutes=2),
        )
        occ("Sắp phát: bản tin chiều", now + timedelta(hours=3), AirStatus.PENDING)
        played = occ(
            "Bản tin sáng", now - timedelta(hours=5), AirStatus.PLAYED, started_at=now - timedelta(hours=5)
        )
        failed = occ(
            "Bản tin lỗi", now - timedelta(hours=4), AirStatus.FAILED, started_at=now - timedelta(hours=4)
        )
        occ("Buổi bị lỡ", now - timedelta(hours=3), AirStatus.MISSED, reason="Mất điện")
        old = occ("Tuần trước", now - timedelta(days=8), AirStatus.PLAYED, started_at=now - timedelta(days=8))
        for o, status, reason in (
            (played, AirStatus.PLAYED, None),
            (failed, AirStatus.FAILED, "Loa không phản hồi"),
            (old, AirStatus.PLAYED, None),
        ):
            s.add(
                AsRunEntry(
                    station_id=st.id,
                    occurrence_id=o.id,
                    position=0,
                    zone_id=zone.id,
                    item_type=ItemType.SEGMENT,
                    title=f"Mục của {o.title}",
                    scheduled_at=o.scheduled_at,
                    started_at=o.started_at,
                    ended_at=o.started_at + timedelta(seconds=65),
                    duration_ms=65_000,
                    status=status,
                    reason=reason,
                )
            )
        s.merge(StationState(station_id=st.id, daemon_pid=1234, heartbeat_at=now))
    return {"now": now}


def test_dashboard_shows_on_air_next_last_day_engines_and_disk(operator, aired):
    html = operator.get("/").get_data(as_text=True)
    assert "Đang phát: bản tin trưa" in html and 'class="card onair live"' in html
    assert "Bộ phát đang hoạt động" in html
    assert "Sắp phát: bản tin chiều" in html
    recent = re.search(r'<table class="table" id="recent">(.*?)</table>', html, re.S).group(1)
    assert "Mục của Bản tin sáng" in recent
    assert re.search(r'<tr class="row-failed[^"]*">.*?Loa không phản hồi', recent, re.S)
    assert re.search(r'<tr class="row-missed[^"]*">.*?Buổi bị lỡ.*?Mất điện', recent, re.S)
    assert "Tuần trước" not in recent
    # Engine health is checked in the background (tests/web/test_serving.py): first load may be early.
    assert "Bộ đọc văn bản" in html and re.search(r"sẵn sàng|không dùng được|Đang kiểm tra các bộ đọc", html)
    assert re.search(r"Còn trống \d+,\d GB", html)
    data = operator.get("/trang-thai.json").get_json()
    assert data["bo_phat_hoat_dong"] is True and data["dang_phat"][0]["tieu_de"] == "Đang phát: bản tin trưa"


def test_asrun_filters_and_csv(operator, aired):
    html = operator.get("/nhat-ky-phat/").get_data(as_text=True)
    assert "Mục của Bản tin sáng" in html and "Mục của Bản tin lỗi" in html and "Tuần trước" not in html
    assert re.search(r'<tr class="row-failed[ "]', html)
    html = operator.get("/nhat-ky-phat/?trang_thai=failed").get_data(as_text=True)
    assert "Mục của Bản tin lỗi" in html and "Mục của Bản tin sáng" not in html
    start = (datetime.now(VN) - timedelta(days=10)).date().isoformat()
    html = operator.get(f"/nhat-ky-phat/?tu_ngay={start}").get_data(as_text=True)
    assert "Mục của Tuần trước" in html
    r = operator.get("/nhat-ky-phat/?tu_ngay=2025-02-10&den_ngay=2025-02-01")
    assert r.status_code == 400 and "Ngày kết thúc phải sau ngày bắt đầu." in r.get_data(as_text=True)
    r = operator.get("/nhat-ky-phat/?trang_thai=xyz")
    assert r.status_code == 400 and "Trạng thái không hợp lệ." in r.get_data(as_text=True)
    r = operator.get("/nhat-ky-phat/xuat.csv?trang_thai=failed")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    text = r.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Giờ dự kiến" and len(rows) == 2
    assert "Mục của Bản tin lỗi" in rows[1] and "Loa không phản hồi" in rows[1]
    assert operator.get("/nhat-ky-phat/xuat.csv?tu_ngay=sai").status_code == 400


def _wav(path, seconds=1):
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={seconds}",
            str(path),
        ],
        check=True,
    )
    return path


def test_audio_upload_is_probed_and_becomes_a_draft(editor, store, tmp_path, config):
    wav = _wav(tmp_path / "loa.wav")
    with open(wav, "rb") as fh:
        r = editor.form(
            "/tep-am-thanh/",
            {"audio": (fh, "Thông báo.wav"), "title": "Thông báo ghi âm", "kind": "relay"},
            content_type="multipart/form-data",
        )
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with store.sessions() as s:
        seg = s.scalars(select(Segment).order_by(Segment.id.desc())).first()
        assert seg.title == "Thông báo ghi âm" and seg.status.value == "draft"
        asset = seg.upload_asset
        assert asset.duration_ms and 800 < asset.duration_ms < 1300
    html = editor.get("/tep-am-thanh/").get_data(as_text=True)
    assert "Thông báo.wav" in html
    assert editor.get(f"/tep-am-thanh/{asset.id}").mimetype.startswith("audio/")


def test_not_audio_is_refused_clearly(editor, store, tmp_path):
    fake = tmp_path / "bai-hat.mp3"
    fake.write_text("đây không phải âm thanh\n" * 50, encoding="utf-8")
    before = (count(store, Segment), count(store, AudioAsset))
    with open(fake, "rb") as fh:
        r = editor.form(
            "/tep-am-thanh/",
            {"audio": (fh, "bai-hat.mp3"), "kind": "relay"},
            content_type="multipart/form-data",
        )
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert re.search(r'id="err-audio">[^<]*không phải âm thanh', html)
    assert (count(store, Segment), count(store, AudioAsset)) == before
    # The same through the segment form: the typed text stays, nothing saved.
    with open(fake, "rb") as fh:
        r = editor.form(
            "/ban-tin/moi",
            {"title": "Có tệp", "body": "", "kind": "relay", "audio": (fh, "bai-hat.mp3")},
            content_type="multipart/form-data",
        )
    assert r.status_code == 400 and 'value="Có tệp"' in r.get_data(as_text=True)
    assert (count(store, Segment), count(store, AudioAsset)) == before
    r = editor.form("/tep-am-thanh/", {"kind": "relay"})
    assert r.status_code == 400 and "Hãy chọn một tệp âm thanh." in r.get_data(as_text=True)


def test_oversize_upload_is_413_in_vietnamese(config, store, tmp_path):
    from .conftest import Client

    app = create_app(config, store=store, MAX_CONTENT_LENGTH=64 * 1024)
    app.test_client_class = Client
    c = app.test_client()
    with store.sessions.begin() as s:
        ed = s.scalar(select(User).where(User.username == "bientap"))
        if ed is None:
            content.create_user(s, store.station(s), "bientap", "mat-khau-thu-1", "editor")
    assert login(c, "bientap").status_code == 302
    c.fetch_csrf()
    big = _wav(tmp_path / "dai.wav", seconds=3)  # ~260 kB
    before = count(store, Segment)
    with open(big, "rb") as fh:
        r = c.form(
            "/tep-am-thanh/", {"audio": (fh, "dai.wav"), "kind": "relay"}, content_type="multipart/form-data"
        )
    assert r.status_code == 413
    html = r.get_data(as_text=True)
    assert "Tệp quá lớn" in html and "tối đa" in html
    assert count(store, Segment) == before


def test_api_with_a_bearer_token(app, store, aired, editor):
    sid = make_segment(store, title="Tin cho máy")
    with store.sessions.begin() as s:
        _row, token = content.create_token(
            s, s.scalar(select(User).where(User.username == "lanhdao")), "huyện"
        )
    m = app.test_client()
    h = {"Authorization": f"Bearer {token}"}
    assert m.get("/api/v1/segments").status_code == 401
    data = m.get("/api/v1/segments?q=máy", headers=h).get_json()
    assert [x["id"] for x in data["ban_tin"]] == [sid]
    assert m.get(f"/api/v1/segments/{sid}", headers=h).get_json()["noi_dung"] == "Xin chào bà con."
    assert m.get("/api/v1/segments/99999", headers=h).status_code == 404
    assert m.get("/api/v1/segments?month=sai", headers=h).status_code == 400
    assert m.get("/api/v1/programmes", headers=h).status_code == 200
    assert m.get("/api/v1/schedules", headers=h).status_code == 200
    rows = m.get("/api/v1/asrun?trang_thai=failed", headers=h).get_json()
    assert isinstance(rows, dict | list)
    st = m.get("/api/v1/status", headers=h).get_json()
    assert st["bo_phat_hoat_dong"] is True and st["dang_phat"][0]["tieu_de"] == "Đang phát: bản tin trưa"
    # An approver may not write segments nor stop the station.
    r = m.post("/api/v1/segments", json={"title": "x", "body": "y", "kind": "cchc_news"}, headers=h)
    assert r.status_code == 403 and r.get_json()["loi"]
    assert m.post("/api/v1/control/stop", headers=h).status_code == 403
    # Revoked: refused.
    with store.sessions.begin() as s:
        row = s.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        content.revoke_token(s, row, None)
    assert m.get("/api/v1/status", headers=h).status_code == 401


def test_api_validation_is_json_in_vietnamese(editor, store):
    before = count(store, Segment)
    r = editor.api("POST", "/api/v1/segments", json={"title": "", "body": "x", "kind": "cchc_news"})
    assert r.status_code == 400 and r.get_json()["truong"] == "title"
    r = editor.api("POST", "/api/v1/segments", data="không phải json", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and "JSON" in r.get_json()["loi"]
    assert count(store, Segment) == before


def test_openapi_document_matches_the_routes(app, anon):
    doc = anon.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {
        (path, method.upper())
        for path, ops in doc["paths"].items()
        for method in ops
        if method != "parameters"
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
        for m in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((path, m))
    assert routed == documented
    for path, ops in doc["paths"].items():
        for op in ops.values():
            names = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert names == set(re.findall(r"{(\w+)}", path)), path


def test_users_admin_creates_validates_and_audits(admin, store):
    before = count(store, User)
    r = admin.form("/quan-tri/nguoi-dung", {"username": "a b", "password": "mat-khau-1", "role": "editor"})
    assert r.status_code == 400 and "Tên đăng nhập dài 3–64 ký tự" in r.get_data(as_text=True)
    r = admin.form("/quan-tri/nguoi-dung", {"username": "moi", "password": "ngan", "role": "editor"})
    assert r.status_code == 400 and "ít nhất 8 ký tự" in r.get_data(as_text=True)
    assert 'value="moi"' in r.get_data(as_text=True) and "ngan" not in r.get_data(as_text=True)
    assert count(store, User) == before
    r = admin.form(
        "/quan-tri/nguoi-dung",
        {"username": "truc.dem", "password": "mat-khau-dem-1", "role": "operator", "full_name": "Trực <đêm>"},
    )
    assert r.status_code == 302
    html = admin.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert "Trực &lt;đêm&gt;" in html and "Trực đài" in html
    with store.sessions() as s:
        u = s.scalar(select(User).where(User.username == "truc.dem"))
        assert u.password_hash.startswith(("scrypt:", "pbkdf2:"))
        a = s.scalar(select(AuditLog).where(AuditLog.entity == "user", AuditLog.entity_id == str(u.id)))
        assert a.username == "admin" and a.action == "create" and "password_hash" not in a.after
    # Lock the account: it can no longer sign in.
    r = admin.form(f"/quan-tri/nguoi-dung/{u.id}", {"full_name": "Trực đêm", "role": "operator"})
    assert r.status_code == 302
    assert login(admin.application.test_client(), "truc.dem", "mat-khau-dem-1").status_code == 200
    # Tokens: created once, shown once.
    r = admin.form("/quan-tri/ma-truy-cap", {"user_id": u.id, "name": ""})
    assert r.status_code == 400 and "Hãy đặt tên cho mã truy cập" in r.get_data(as_text=True)


def test_settings_validate_save_and_audit(admin, store):
    html = admin.get("/quan-tri/cai-dat").get_data(as_text=True)
    fields = dict(re.findall(r'<input id="f-(\w+)" name="\w+" value="([^"]*)"', html))
    assert fields, "no settings fields"
    with store.sessions() as s:
        n_before = len(list(s.scalars(select(Setting))))
    defs = {d.key for d in rules.SETTINGS}
    assert {"slots", "dialect"} <= defs
    slots = re.search(r'<textarea id="f-slots" name="slots"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    form = dict(fields, slots=slots, dialect="south")
    bad = dict(form)
    key = next(k for k in fields if "speed" in k or "toc" in k or "rate" in k)
    bad[key] = "nhanh lắm"
    r = admin.form("/quan-tri/cai-dat", bad)
    assert r.status_code == 400 and 'class="field-error"' in r.get_data(as_text=True)
    with store.sessions() as s:
        assert len(list(s.scalars(select(Setting)))) == n_before
    r = admin.form("/quan-tri/cai-dat", form)
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with store.sessions() as s:
        a = s.scalars(
            select(AuditLog).where(AuditLog.entity == "settings").order_by(AuditLog.id.desc())
        ).first()
        assert a is not None and a.username == "admin"
        assert a.after.get("dialect") == "south"
    assert 'value="south" selected' in admin.get("/quan-tri/cai-dat").get_data(as_text=True)


def test_pronunciations_save_delete_and_audit(admin, store):
    r = admin.form("/quan-tri/phat-am", {"term": "", "spoken": "hợp tác xã"})
    assert r.status_code == 400 and 'class="field-error"' in r.get_data(as_text=True)
    assert count(store, Pronunciation) == 0
    assert admin.form("/quan-tri/phat-am", {"term": "HTX", "spoken": "hợp tác xã"}).status_code == 302
    with store.sessions() as s:
        p = s.scalar(select(Pronunciation))
    assert p.term == "HTX"
    admin.form("/quan-tri/phat-am", {"entry_id": p.id, "term": "HTX", "spoken": "hợp tác xã nông nghiệp"})
    admin.form("/quan-tri/phat-am", {"entry_id": p.id, "delete": "1", "term": "HTX", "spoken": "x"})
    assert count(store, Pronunciation) == 0
    with store.sessions() as s:
        rows = list(
            s.scalars(select(AuditLog).where(AuditLog.entity == "pronunciation").order_by(AuditLog.id))
        )
    assert [a.action for a in rows] == ["create", "update", "delete"]
    assert rows[1].before["spoken"] == "hợp tác xã" and rows[1].after["spoken"] == "hợp tác xã nông nghiệp"


def test_zones_save_and_audit(admin, store):
    before = count(store, Zone)
    r = admin.form("/quan-tri/cum-loa", {"code": "", "name": "", "sink": "null", "enabled": "1"})
    assert r.status_code == 400 and 'class="field-error"' in r.get_data(as_text=True)
    assert count(store, Zone) == before
    r = admin.form("/quan-tri/cum-loa", {"code": "thon-2", "name": "Thôn 2", "sink": "null", "enabled": "1"})
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    assert count(store, Zone) == before + 1
    assert "Thôn 2" in admin.get("/quan-tri/cum-loa").get_data(as_text=True)
    with store.sessions() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.entity == "zone", AuditLog.action == "create"))
