"""Attacks and slips on accounts: parallel password guessing, locks an admin lifts, sessions that end,
the ``broadcaster user`` commands, and a login ``next`` that must never break the page."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from broadcaster import content
from broadcaster.content import _users
from broadcaster.models import AuditLog, LoginAttempt, User

from .conftest import META_CSRF, PASSWORD, count, login, user_id


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """Every password hash check the app makes, by the hash it checked (a counter, not a fake)."""
    seen: list[str] = []
    real = _users.check_password_hash
    lock = threading.Lock()

    def counting(pwhash: str, password: str) -> bool:
        with lock:
            seen.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(_users, "check_password_hash", counting)
    return seen


@pytest.fixture
def server(app):
    """The app behind a real threaded HTTP server (one thread per request, each its own DB session)."""
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(10)


def _parallel_logins(base: str, names: list[str], password: str) -> list[requests.Response]:
    """Give back the answers to one login per name, all sent at the same moment from their own browser."""
    barrier = threading.Barrier(len(names))
    answers: list[requests.Response | BaseException] = [None] * len(names)  # type: ignore[list-item]

    def one(i: int) -> None:
        try:
            with requests.Session() as browser:
                page = browser.get(f"{base}/dang-nhap", timeout=60).text
                token = META_CSRF.search(page).group(1)
                barrier.wait(60)
                answers[i] = browser.post(
                    f"{base}/dang-nhap",
                    data={"username": names[i], "password": password, "csrf_token": token},
                    allow_redirects=False,
                    timeout=120,
                )
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread below
            barrier.abort()
            answers[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(names))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    for a in answers:
        if isinstance(a, BaseException):
            raise a
    return answers  # type: ignore[return-value]


def test_forty_parallel_wrong_passwords_check_at_most_the_account_limit(server, checks, store):
    answers = _parallel_logins(server, ["bientap"] * 40, "sai-mat-khau")
    codes = sorted(r.status_code for r in answers)
    assert set(codes) <= {200, 429}, codes  # no IntegrityError 500
    # Each try is counted before its check, so exactly the limit's worth of passwords is checked.
    assert len(checks) == content.ACCOUNT_LIMIT, f"{len(checks)} password checks for a limit of 5"
    assert codes.count(429) >= 40 - content.ACCOUNT_LIMIT
    with store.sessions() as s:
        row = s.get(LoginAttempt, "user:bientap")
        assert row is not None and row.locked_until is not None


def test_forty_parallel_tries_on_many_names_check_at_most_the_address_limit(server, checks):
    answers = _parallel_logins(server, [f"khong-co-{i}" for i in range(40)], "sai-mat-khau")
    codes = [r.status_code for r in answers]
    assert set(codes) <= {200, 429}, codes
    assert len(checks) == content.ADDRESS_LIMIT, f"{len(checks)} checks for a limit of 20"
    assert codes.count(429) >= 40 - content.ADDRESS_LIMIT


def test_an_officers_typos_do_not_lock_the_admin_out_of_the_same_pc(app):
    officer = app.test_client()
    for _ in range(content.ACCOUNT_LIMIT):
        r = login(officer, "bientap", "go-nham", remote_addr="192.168.1.20")
    assert r.status_code == 429
    assert login(officer, "bientap", remote_addr="192.168.1.20").status_code == 429, "the account is locked"
    assert login(app.test_client(), "admin", remote_addr="192.168.1.20").status_code == 302


def test_the_lock_message_states_the_real_limit_and_its_local_end(app, store, config):
    c = app.test_client()
    for i in range(content.ACCOUNT_LIMIT - 1):
        r = login(c, "lanhdao", "sai", remote_addr=f"10.9.0.{i}")
        assert r.status_code == 200 and "không đúng" in r.get_data(as_text=True)
    r = login(c, "lanhdao", "sai", remote_addr="10.9.0.99")
    assert r.status_code == 429, "the try that reaches the limit already says so"
    with store.sessions() as s:
        until = s.get(LoginAttempt, "user:lanhdao").locked_until
    html = r.get_data(as_text=True)
    assert f"Đăng nhập sai {content.ACCOUNT_LIMIT} lần trong 15 phút" in html
    assert "tài khoản «lanhdao» bị tạm khoá 15 phút" in html.replace("&#34;", '"')
    assert f"đến {until.astimezone(config.tz):%H:%M}" in html


def test_a_good_login_gives_the_address_its_try_back(app):
    c = app.test_client()
    for _ in range(content.ADDRESS_LIMIT + 5):
        assert login(c, "trucdai", remote_addr="10.7.7.7").status_code == 302
        c = app.test_client()


def test_an_admin_sees_and_lifts_a_lock_on_the_page(app, admin, store, config):
    c = app.test_client()
    for _ in range(content.ACCOUNT_LIMIT):
        login(c, "bientap", "sai", remote_addr="10.3.3.3")
    html = admin.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    with store.sessions() as s:
        until = s.get(LoginAttempt, "user:bientap").locked_until
    assert f"tạm khoá đến {until.astimezone(config.tz):%H:%M}" in html, "the account list says it too"
    section = html[html.index('id="khoa-dang-nhap"') :]
    assert "tài khoản «bientap»" in section.replace("&laquo;", "«").replace("&raquo;", "»")
    assert 'value="user:bientap"' in section
    r = admin.form("/quan-tri/khoa-dang-nhap/mo", {"key": "user:bientap"})
    assert r.status_code == 302
    assert "Đã mở khoá đăng nhập" in admin.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert login(app.test_client(), "bientap", remote_addr="10.3.3.3").status_code == 302
    with store.sessions() as s:
        assert s.get(LoginAttempt, "user:bientap") is None


def test_only_an_admin_lifts_locks(editor):
    assert editor.form("/quan-tri/khoa-dang-nhap/mo", {"key": "user:bientap"}).status_code == 403


# --------------------------------------------------------------------------- sessions end


def test_logging_out_ends_the_accounts_other_sessions(app):
    office, home = app.test_client(), app.test_client()
    assert login(office, "bientap").status_code == 302 and login(home, "bientap").status_code == 302
    assert home.get("/ban-tin/").status_code == 200
    office.fetch_csrf()
    assert office.form("/dang-xuat").status_code == 302
    r = home.get("/ban-tin/")
    assert r.status_code == 302 and "/dang-nhap" in r.headers["Location"]
    other = app.test_client()
    assert login(other, "lanhdao").status_code == 302 and other.get("/").status_code == 200


def test_a_password_change_by_the_admin_ends_the_accounts_sessions(app, admin, editor, store):
    assert editor.get("/ban-tin/").status_code == 200
    uid = user_id(store, "bientap")
    r = admin.form(
        f"/quan-tri/nguoi-dung/{uid}",
        {"full_name": "B", "role": "editor", "active": "1", "password": "mat-khau-moi-9"},
    )
    assert r.status_code == 302
    assert editor.get("/ban-tin/").status_code == 302
    assert admin.get("/quan-tri/nguoi-dung").status_code == 200, "the admin's own session goes on"
    assert login(editor, "bientap", "mat-khau-moi-9").status_code == 302


def _cli(env, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "broadcaster.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _until_out(client, path: str = "/ban-tin/") -> None:
    # Another process's change reaches this one's account cache within its 2 s life.
    deadline = time.monotonic() + 6
    while client.get(path).status_code != 302:
        assert time.monotonic() < deadline, "the session was never ended"
        time.sleep(0.1)


def test_cli_passwd_ends_web_sessions_and_the_new_password_works(app, editor, env, store):
    assert editor.get("/ban-tin/").status_code == 200
    r = _cli(env, "user", "passwd", "bientap", "--password-stdin", stdin="mat-khau-cli-7\n")
    assert r.returncode == 0, r.stderr
    assert "Đã đổi mật khẩu của bientap" in r.stdout
    _until_out(editor)
    assert login(editor, "bientap", PASSWORD).status_code == 200, "the old password is gone"
    assert login(editor, "bientap", "mat-khau-cli-7").status_code == 302
    r = _cli(env, "user", "passwd", "bientap", "--password-stdin", stdin="ngan\n")
    assert r.returncode == 1 and "ít nhất 8 ký tự" in r.stderr
    r = _cli(env, "user", "passwd", "khong-ai", "--password-stdin", stdin="mat-khau-dai-8\n")
    assert r.returncode == 1 and "Không có tài khoản «khong-ai»" in r.stderr
    r = _cli(env, "user", "passwd", "bientap")
    assert r.returncode == 1 and "--password-stdin" in r.stderr


def test_cli_disable_ends_sessions_and_refuses_sign_in_until_enabled(app, editor, env, store):
    assert editor.get("/ban-tin/").status_code == 200
    r = _cli(env, "user", "disable", "bientap")
    assert r.returncode == 0 and "Đã vô hiệu hoá tài khoản bientap" in r.stdout, r.stderr
    _until_out(editor)
    assert login(editor, "bientap").status_code == 200
    with store.sessions() as s:
        assert s.scalar(select(User.active).where(User.username == "bientap")) is False
    r = _cli(env, "user", "disable", "bientap", "--enable")
    assert r.returncode == 0 and "Đã mở lại" in r.stdout
    assert login(app.test_client(), "bientap").status_code == 302


def test_cli_list_shows_accounts_roles_states_and_locks(app, env):
    c = app.test_client()
    for _ in range(content.ACCOUNT_LIMIT):
        login(c, "lanhdao", "sai", remote_addr="10.4.4.4")
    r = _cli(env, "user", "list")
    assert r.returncode == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines()[1:] if line.strip()}
    assert set(USERNAMES) <= set(lines)
    assert "Quản trị" in lines["admin"] and "đang dùng" in lines["admin"]
    assert re.search(r"tạm khoá đến \d\d:\d\d", lines["lanhdao"])


USERNAMES = ("admin", "bientap", "bientap2", "lanhdao", "trucdai")


@pytest.mark.slow
def test_cli_unlock_lifts_an_account_or_an_address_lock(app, env, store):
    c = app.test_client()
    for _ in range(content.ACCOUNT_LIMIT):
        login(c, "bientap", "sai", remote_addr="10.5.5.5")
    assert login(c, "bientap", remote_addr="10.5.5.6").status_code == 429
    r = _cli(env, "user", "unlock", "bientap")
    assert r.returncode == 0 and "Đã mở khoá đăng nhập cho tài khoản «bientap»" in r.stdout, r.stderr
    assert login(app.test_client(), "bientap", remote_addr="10.5.5.6").status_code == 302
    for i in range(content.ADDRESS_LIMIT):
        login(c, f"x{i}", "sai", remote_addr="10.6.6.6")
    assert login(c, "admin", remote_addr="10.6.6.6").status_code == 429
    r = _cli(env, "user", "unlock", "--address", "10.6.6.6")
    assert r.returncode == 0 and "máy 10.6.6.6" in r.stdout
    assert login(app.test_client(), "admin", remote_addr="10.6.6.6").status_code == 302
    r = _cli(env, "user", "unlock", "bientap")
    assert r.returncode == 0 and "không bị khoá" in r.stdout
    with store.sessions() as s:
        lifted = s.scalars(select(AuditLog.entity_id).where(AuditLog.action == "unlock")).all()
    assert sorted(lifted) == ["addr:10.6.6.6", "user:bientap"]


# --------------------------------------------------------------------------- login ``next``


@pytest.mark.parametrize(
    "target",
    ["/ban-tin/\n", "/ban-tin/\r\nSet-Cookie: x=1", "/\n/evil.example", "/\t/evil.example", "/ban\x00tin"],
)
def test_a_control_character_in_next_goes_home_never_a_500(app, target):
    c = app.test_client()
    html = c.get("/dang-nhap").get_data(as_text=True)
    r = c.post(
        "/dang-nhap",
        data={
            "username": "bientap",
            "password": PASSWORD,
            "csrf_token": META_CSRF.search(html).group(1),
            "next": target,
        },
    )
    assert r.status_code == 302 and r.headers["Location"] == "/", (target, r.status_code)
    r = c.get("/dang-nhap", query_string={"next": target})
    assert r.status_code == 302 and r.headers["Location"] == "/"


# --------------------------------------------------------------------------- emergency length


def test_an_overlong_emergency_is_refused_at_submit_with_the_limit_and_the_text_kept(operator, store):
    from broadcaster.models import ControlCommand, Segment
    from broadcaster.playout import MAX_EMERGENCY_CHARS
    from broadcaster.rules import vn_int

    cmds, segs = count(store, ControlCommand), count(store, Segment)
    for size in (MAX_EMERGENCY_CHARS + 1, 190_000):
        text = ("Bão số 3 đổ bộ, bà con sơ tán ngay. " * (size // 36 + 1))[:size]
        r = operator.form("/dieu-khien/khan-cap", {"text": text, "confirm": "KHẨN CẤP"})
        html = r.get_data(as_text=True)
        assert r.status_code == 400, (size, r.status_code)
        assert f"quá giới hạn {vn_int(MAX_EMERGENCY_CHARS)} ký tự" in html and "Hãy rút gọn" in html
        assert text.strip()[:2000] in html, "the typed text is kept in the form"
    assert (count(store, ControlCommand), count(store, Segment)) == (cmds, segs), "nothing half-saved"
    ok = ("Bão số 3 đổ bộ. " * (MAX_EMERGENCY_CHARS // 15 + 1))[:MAX_EMERGENCY_CHARS]
    assert operator.form("/dieu-khien/khan-cap", {"text": ok, "confirm": "KHẨN CẤP"}).status_code == 302
    assert "tối đa 20.000 ký tự" in operator.get("/dieu-khien/").get_data(as_text=True)


def test_cli_refuses_an_overlong_emergency_before_queueing_it(env, store):
    from broadcaster.models import ControlCommand

    before = count(store, ControlCommand)
    r = _cli(env, "emergency", "--text", "Lũ về. " * 3000)
    assert r.returncode == 1 and "quá giới hạn 20.000 ký tự" in r.stderr, r.stderr
    assert count(store, ControlCommand) == before


# --------------------------------------------------------------------------- numbers on the CLI


@pytest.mark.parametrize(
    "args, says",
    [
        (["play", "--segment", "1", "--in", "nan"], "«nan» không phải số hợp lệ"),
        (["play", "--segment", "1", "--in", "inf"], "«inf» không phải số hợp lệ"),
        (["play", "--segment", "1", "--in=-inf"], "«-inf» không phải số hợp lệ"),
        (["play", "--segment", "1", "--in", "1e400"], "«1e400» không phải số hợp lệ"),
        (["play", "--segment", "1", "--in", "99999999999"], "cần số từ 0 đến 604.800 giây"),
        (["play", "--segment", "1", "--in", "-5"], "«-5» nằm ngoài khoảng cho phép"),
        (["play", "--segment", "1", "--in", "mot"], "«mot» không phải số"),
        (["play", "--segment", "99999999999999999999999"], "cần số nguyên từ 1 đến 2.147.483.647"),
        (["play", "--programme", "0"], "cần số nguyên từ 1 đến 2.147.483.647"),
        (["play", "--segment", "1", "--at", "9999-12-31T23:59:59"], "quá xa"),
        (["status", "-n", "1e9"], "«1e9» không phải số nguyên"),
        (["status", "-n", "100000000000000000000"], "cần số nguyên từ 1 đến 1.000"),
        (["web", "--port", "70000"], "cần số nguyên từ 1 đến 65.535"),
        (["demo", "--lead", "nan"], "«nan» không phải số hợp lệ"),
        (["render", "--speed", "1e9"], "«1e9» không phải số nguyên"),
        (["render", "--programme", "18446744073709551616"], "cần số nguyên từ 1"),
    ],
)
def test_cli_numbers_out_of_range_get_one_vietnamese_line(env, store, args, says):
    r = _cli(env, *args)
    assert r.returncode in (1, 2), (r.returncode, r.stderr)
    assert says in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


# --------------------------------------------------------------------------- uploads


def test_a_refused_upload_names_the_officers_file(editor, store, tmp_path):
    from broadcaster.models import AudioAsset, Segment

    fake = tmp_path / "x.mp3"
    fake.write_text("không phải âm thanh\n" * 50, encoding="utf-8")
    before = (count(store, Segment), count(store, AudioAsset))
    with open(fake, "rb") as fh:
        r = editor.form(
            "/tep-am-thanh/",
            {"audio": (fh, "Bài hát của tôi.mp3"), "kind": "relay"},
            content_type="multipart/form-data",
        )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert re.search(r'id="err-audio">[^<]*«Bài hát của tôi\.mp3»', html), html[-2000:]
    assert "upload.bin" not in html
    assert (count(store, Segment), count(store, AudioAsset)) == before


def test_upload_leftovers_are_cleaned_when_the_web_starts(config, store):
    import os

    from broadcaster.web import create_app

    tmp = config.data_dir / "tmp"
    incoming = config.media_dir / "uploads" / ".incoming"
    old_dir, running, staged = tmp / "upload-k9x_1", tmp / "upload-dangtai", incoming / "ab12.mp3"
    mine = tmp / "ghi-chu.txt"  # not an upload's: left alone
    for d in (old_dir, running, incoming):
        d.mkdir(parents=True, exist_ok=True)
    for f in (old_dir / "upload.bin", running / "upload.bin", staged, mine):
        f.write_bytes(b"\0" * 1024)
    hour_ago = time.time() - 3600
    for p in (old_dir / "upload.bin", old_dir, staged, mine):
        os.utime(p, (hour_ago, hour_ago))
    # An upload under way in another worker: its folder is old, the file being written is not.
    os.utime(running, (hour_ago, hour_ago))
    create_app(config, store=store)
    assert not old_dir.exists() and not staged.exists(), "a killed upload's leftovers are gone"
    assert (running / "upload.bin").exists(), "an upload still being written is left alone"
    assert mine.exists()
