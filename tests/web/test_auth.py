"""Accounts and guard rails: hashes, login throttling, cookies, CSRF, expired sessions, error pages."""

from __future__ import annotations

import re
import time

from sqlalchemy import select

from broadcaster import content
from broadcaster.models import Segment, User
from broadcaster.store import open_store
from broadcaster.web import create_app

from .conftest import META_CSRF, count, login, user_id


def test_default_hash_is_scrypt_or_pbkdf2_and_signs_in(app, store):
    with store.sessions.begin() as s:
        content.create_user(s, store.station(s), "moi.vao", "mat-khau-dai-1", "operator")
    with store.sessions() as s:
        h = s.scalar(select(User.password_hash).where(User.username == "moi.vao"))
    assert h.startswith(("scrypt:", "pbkdf2:"))
    c = app.test_client()
    r = login(c, "moi.vao", "mat-khau-dai-1")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert "Tổng quan" in c.get("/").get_data(as_text=True)


def test_wrong_password_is_said_in_vietnamese(app):
    r = login(app.test_client(), "bientap", "sai-mat-khau")
    assert r.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in r.get_data(as_text=True)


def test_account_locked_after_five_failures_from_any_address(app):
    c = app.test_client()
    for i in range(4):
        r = login(c, "bientap", "sai", remote_addr=f"10.0.0.{i + 1}")
        assert r.status_code == 200
    r = login(c, "bientap", "sai", remote_addr="10.0.0.9")
    assert r.status_code == 429
    html = r.get_data(as_text=True)
    assert "tạm khoá" in html and "15 phút" in html
    # Now even the right password from a new address is refused.
    r = login(c, "bientap", remote_addr="10.0.0.10")
    assert r.status_code == 429 and "tạm khoá" in r.get_data(as_text=True)
    # Another account is not affected.
    assert login(app.test_client(), "lanhdao", remote_addr="10.0.0.11").status_code == 302


def test_address_locked_after_twenty_failures_on_any_account(app):
    c = app.test_client()
    for i in range(content.ADDRESS_LIMIT - 1):
        assert login(c, f"a{i}", "sai", remote_addr="10.1.1.1").status_code == 200
    r = login(c, "a-cuoi", "sai", remote_addr="10.1.1.1")
    assert r.status_code == 429 and f"sai {content.ADDRESS_LIMIT} lần" in r.get_data(as_text=True)
    r = login(c, "lanhdao", remote_addr="10.1.1.1")
    assert r.status_code == 429 and "máy này (10.1.1.1)" in r.get_data(as_text=True)
    assert login(app.test_client(), "lanhdao", remote_addr="10.1.1.2").status_code == 302


def test_session_cookie_flags(app):
    r = login(app.test_client(), "bientap")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    c = app.test_client()
    page = c.get("/dang-nhap", base_url="https://dai.local").get_data(as_text=True)
    r = c.post(
        "/dang-nhap",
        base_url="https://dai.local",
        headers={"Referer": "https://dai.local/dang-nhap"},
        data={
            "username": "bientap",
            "password": "mat-khau-thu-1",
            "csrf_token": META_CSRF.search(page).group(1),
        },
    )
    assert r.status_code == 302
    assert "Secure" in r.headers["Set-Cookie"]


def test_login_goes_back_only_to_this_site(app):
    c = app.test_client()
    page = c.get("/dang-nhap").get_data(as_text=True)
    r = c.post(
        "/dang-nhap?next=https://evil.example/",
        data={
            "username": "bientap",
            "password": "mat-khau-thu-1",
            "csrf_token": META_CSRF.search(page).group(1),
        },
    )
    assert r.headers["Location"] == "/"


def test_forms_without_csrf_token_are_refused(editor, store):
    before = count(store, Segment)
    r = editor.post("/ban-tin/moi", data={"title": "Tin", "body": "Nội dung", "kind": "cchc_news"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn" in html
    assert count(store, Segment) == before
    r = editor.form("/ban-tin/moi", {"title": "Tin", "body": "Nội dung", "kind": "cchc_news"})
    assert r.status_code == 302
    assert count(store, Segment) == before + 1


def test_browser_api_calls_need_the_csrf_header_bearer_tokens_do_not(editor, app, store):
    body = {"title": "Tin từ API", "body": "Nội dung.", "kind": "cchc_news"}
    r = editor.post("/api/v1/segments", json=body)
    assert r.status_code == 400 and "X-CSRFToken" in r.get_json()["loi"]
    r = editor.api("POST", "/api/v1/segments", json=body)
    assert r.status_code == 201
    # The page's own JSON calls (preview) are refused without the header too.
    r = editor.post("/ban-tin/nghe-thu", json={"body": "Xin chào"}, headers={"Accept": "application/json"})
    assert r.status_code == 400 and "loi" in r.get_json()
    with store.sessions.begin() as s:
        _row, token = content.create_token(s, s.scalar(select(User).where(User.username == "bientap")), "máy")
    machine = app.test_client()
    r = machine.post("/api/v1/segments", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201 and r.get_json()["trang_thai"] == "draft"
    r = machine.post("/api/v1/segments", json=body, headers={"Authorization": "Bearer sai"})
    assert r.status_code == 401 and "không hợp lệ" in r.get_json()["loi"]


def test_expired_session_keeps_the_typed_text(app, editor):
    token = editor.csrf_token
    typed = {
        "title": "Thông báo tiêm chủng",
        "body": "Bà con đưa trẻ đi tiêm <đúng giờ>.",
        "kind": "cchc_news",
    }
    # The session cookie is gone (expired) while the officer was writing.
    editor.delete_cookie("broadcaster_session")
    r = editor.post("/ban-tin/moi", data={**typed, "csrf_token": token})
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/dang-nhap") and "het_han=1" in r.headers["Location"]
    back = r.headers["Location"]
    assert "hết hạn" in editor.get(back).get_data(as_text=True)
    r = login(editor, "bientap", page=back)
    assert r.status_code == 302 and r.headers["Location"] == "/ban-tin/moi"
    html = editor.get("/ban-tin/moi").get_data(as_text=True)
    assert "Đã khôi phục nội dung" in html
    assert 'value="Thông báo tiêm chủng"' in html
    assert "Bà con đưa trẻ đi tiêm &lt;đúng giờ&gt;." in html
    # Only once.
    assert "Đã khôi phục" not in editor.get("/ban-tin/moi").get_data(as_text=True)


def test_logout_ends_the_session(editor):
    r = editor.form("/dang-xuat")
    assert r.status_code == 302
    assert editor.get("/ban-tin/").status_code == 302


def test_unknown_page_is_a_vietnamese_404(editor, anon):
    for c in (editor, anon):
        r = c.get("/khong-co-trang-nay")
        assert r.status_code == 404
        assert "Không tìm thấy trang" in r.get_data(as_text=True)
    r = editor.get("/api/v1/khong-co")
    assert r.status_code == 404 and r.get_json()["loi"]


def test_errors_give_a_vietnamese_500_without_a_traceback(config, store):
    app = create_app(config, store=store)

    @app.route("/hong")
    def broken():
        raise RuntimeError("secret internal detail")

    r = app.test_client().get("/hong")
    assert r.status_code == 500
    html = r.get_data(as_text=True)
    assert "Có lỗi trong hệ thống" in html
    assert "Traceback" not in html and "secret internal detail" not in html and "RuntimeError" not in html


def test_security_headers(anon):
    r = anon.get("/dang-nhap")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_static_assets_are_served(anon):
    for name in ("app.css", "app.js"):
        r = anon.get(f"/static/{name}")
        assert r.status_code == 200 and len(r.data) > 1000
    js = anon.get("/static/app.js").get_data(as_text=True)
    assert "X-CSRFToken" in js and 'meta[name="csrf-token"]' in js
    for sel in ("btn-preview", "btn-render", "render-progress", "schedule-form", "data-confirm"):
        assert sel in js
    css = anon.get("/static/app.css").get_data(as_text=True)
    for cls in (
        ".has-error",
        ".flash.error",
        ".event.pr-emergency",
        ".progress",
        "tr.row-failed",
        "tr.row-missed",
    ):
        assert cls in css


def test_every_page_is_vietnamese_with_csrf_meta(admin):
    html = admin.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert re.search(r'<meta name="csrf-token" content="[^"]+"', html)


def test_account_changes_reach_signed_in_users(admin, editor, store, config):
    """Signed-in accounts are kept a moment (no query per page): changes still reach them."""
    assert editor.get("/ban-tin/moi").status_code == 200
    uid = user_id(store, "bientap")
    page = f"/quan-tri/nguoi-dung/{uid}"
    # Through the admin page (this process): at once.
    r = admin.form(page, {"full_name": "Biên tập", "role": "operator", "active": "1"})
    assert r.status_code == 302
    assert editor.get("/ban-tin/moi").status_code == 403, "an operator does not write segments"
    r = admin.form(page, {"full_name": "Biên tập", "role": "operator"})
    assert r.status_code == 302
    r = editor.get("/")
    assert r.status_code == 302 and "/dang-nhap" in r.headers["Location"], "a deactivated account is out"
    r = admin.form(page, {"full_name": "Biên tập", "role": "editor", "active": "1"})
    assert r.status_code == 302
    assert editor.get("/").status_code == 302, "disabling ended the session: active again is not enough"
    assert login(editor, "bientap").status_code == 302
    assert editor.get("/ban-tin/moi").status_code == 200, "active again: a new sign-in serves"
    # From another process (its own engine and sessions, like `broadcaster user`): within the TTL.
    other = open_store(config)
    try:
        with other.sessions.begin() as s:
            s.get(User, uid).active = False
    finally:
        other.engine.dispose()
    deadline = time.monotonic() + 5
    while editor.get("/").status_code != 302:
        assert time.monotonic() < deadline, "the change made elsewhere never showed"
        time.sleep(0.1)


def test_a_signed_in_officer_is_never_sent_off_site(editor):
    for target in ("/\\evil.example", "//evil.example", "https://evil.example/", "/\\/evil.example"):
        r = editor.get("/dang-nhap", query_string={"next": target})
        assert r.status_code == 302 and r.headers["Location"] == "/", target
    r = editor.get("/dang-nhap", query_string={"next": "/ban-tin/"})
    assert r.headers["Location"] == "/ban-tin/"


def test_api_refuses_non_text_fields_with_a_400_naming_the_field(editor, store):
    before = count(store, Segment)
    for field, value in (("title", 5), ("kind", ["cchc_news"]), ("valid_from", {"d": 1})):
        body = {"title": "Tin", "body": "Nội dung.", "kind": "cchc_news", field: value}
        r = editor.api("POST", "/api/v1/segments", json=body)
        assert r.status_code == 400, (field, r.status_code)
        assert r.get_json()["truong"] == field and "chuỗi" in r.get_json()["loi"]
    assert count(store, Segment) == before
