"""The hub's emergency page in a real browser: the typed confirmation, then each station's progress
following the live link's reports without a reload, then the stop.

The hub's ``broadcaster web`` runs as a subprocess on a real PostgreSQL; the stations' reports are
written as the hub's live process writes them (``hub.note_emergency_status``); Playwright drives
Debian's chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import psycopg
import pytest
import requests
from conftest import free_port
from sqlalchemy import select

from broadcaster import content, hub
from broadcaster.config import load
from broadcaster.models import Emergency
from broadcaster.store import ensure_station, open_store

PASSWORD = "mat-khau-huyen-khan-1"


@pytest.mark.browser
@pytest.mark.slow
def test_send_follow_and_stop_an_emergency_on_the_page(pg_url, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not on PATH (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    name = f"khanpage_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    port = free_port()
    env = {
        "BROADCASTER_DATA_DIR": str(tmp_path / "hub"),
        "BROADCASTER_DATABASE_URL": pg_url.rsplit("/", 1)[0] + "/" + name,
        "BROADCASTER_MODE": "hub",
        "BROADCASTER_STATION_CODE": "huyen",
        "BROADCASTER_WEB_PORT": str(port),
        "BROADCASTER_WEB_WORKERS": "1",
        "BROADCASTER_TTS_ORDER": "pyttsx3",
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "TZ": "UTC",
    }
    store = open_store(load(env), upgrade=True)
    ensure_station(store)
    with store.sessions.begin() as s:
        content.create_user(s, store.station(s), "lanhdao", PASSWORD, "approver")
        hub.add_station(s, "xa-a", "Xã An Hòa", groups=["cụm ven biển"])
        hub.add_station(s, "xa-b", "Xã Bình Minh", groups=["miền núi"])
    log = (tmp_path / "web.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "broadcaster.cli", "web"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "web.log").read_text()
            try:
                requests.get(base + "/dang-nhap", timeout=2)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "the hub's web did not answer in 30 s"
                time.sleep(0.2)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            try:
                page = b.new_page(locale="vi-VN")
                page.set_default_timeout(20_000)
                page.goto(base + "/huyen/khan-cap/")
                page.fill("#f-username", "lanhdao")
                page.fill("#f-password", PASSWORD)
                page.get_by_role("button", name="Đăng nhập").click()
                expect(page.get_by_role("link", name="Khẩn cấp")).to_be_visible()

                page.fill("#f-title", "Bão số 9")
                page.fill("#f-text", "Bão số chín sắp đổ bộ, bà con vào nơi trú ẩn.")
                page.select_option("#f-to", "group:cụm ven biển")
                page.fill("#f-confirm", "khan cap")
                page.get_by_role("button", name="Gửi thông báo khẩn cấp").click()
                expect(page.locator("#err-confirm")).to_contain_text("Gõ «KHẨN CẤP» để xác nhận")
                expect(page.locator("#f-text")).to_have_value("Bão số chín sắp đổ bộ, bà con vào nơi trú ẩn.")
                with store.sessions() as s:
                    assert s.scalar(select(Emergency.id)) is None

                page.fill("#f-confirm", "KHẨN CẤP")
                page.get_by_role("button", name="Gửi thông báo khẩn cấp").click()
                expect(page.locator("body")).to_contain_text("Đã gửi thông báo khẩn cấp tới 1 đài")
                row = page.locator("tr[data-code='xa-a']")
                expect(row).to_contain_text("Đã gửi")
                assert page.locator("tr[data-code='xa-b']").count() == 0
                page.evaluate("window.__same_page = true")
                with store.sessions() as s:
                    uid = s.scalar(select(Emergency.uid))

                # The station's reports arrive: the row moves on without the page being loaded again.
                with store.sessions.begin() as s:
                    hub.note_emergency_status(s, "xa-a", {"uid": uid, "state": "received"})
                    hub.note_emergency_status(s, "xa-a", {"uid": uid, "state": "started"})
                expect(row).to_contain_text("Đang phát", timeout=15_000)
                assert page.evaluate("window.__same_page === true")

                page.fill(f"#f-stop-{uid[:8]}", "KHẨN CẤP")
                page.get_by_role("button", name="Dừng thông báo này").click()
                expect(page.locator("body")).to_contain_text(f"Đã dừng thông báo khẩn cấp {uid[:8]}")
                with store.sessions() as s:
                    assert s.scalar(select(Emergency.stopped_by)) == "lanhdao"
            finally:
                b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        store.engine.dispose()
