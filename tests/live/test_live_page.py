"""The hub's stations page in a real browser follows presence without a reload.

The hub's ``broadcaster web`` runs as a subprocess on a real PostgreSQL; presence is written as the
live process writes it (``hub.note_presence``); Playwright drives Debian's chromium.
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

from broadcaster import content, hub
from broadcaster.config import load
from broadcaster.store import ensure_station, open_store

PASSWORD = "mat-khau-huyen-dai-1"


@pytest.mark.browser
@pytest.mark.slow
def test_the_stations_table_follows_presence_without_a_reload(pg_url, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not on PATH (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    name = f"livepage_{uuid.uuid4().hex[:8]}"
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
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "TZ": "UTC",
    }
    store = open_store(load(env), upgrade=True)
    ensure_station(store)
    with store.sessions.begin() as s:
        content.create_user(s, store.station(s), "lanhdao", PASSWORD, "approver")
        hub.add_station(s, "xa-a", "Xã An Hòa")
        hub.note_presence(s, "xa-a", {"online": True, "every": 30, "on_air": "Chuyên mục CCHC"})
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
                page.set_default_timeout(15_000)
                page.goto(base + "/huyen/cac-dai")
                page.fill("#f-username", "lanhdao")
                page.fill("#f-password", PASSWORD)
                page.get_by_role("button", name="Đăng nhập").click()
                row = page.locator("tr[data-station='xa-a']")
                expect(row).to_contain_text("Trực tuyến")
                expect(row).to_contain_text("Chuyên mục CCHC")
                page.evaluate("window.__same_page = true")

                # The station's last will arrives: the row turns without the page being loaded again.
                with store.sessions.begin() as s:
                    hub.note_presence(s, "xa-a", {"online": False})
                # The table refreshes every 5 s: more than expect's own 5 s default.
                expect(row).to_contain_text("Mất liên lạc", timeout=15_000)
                expect(page.locator("#refresh-note")).to_contain_text("Tự cập nhật lúc")
                # And back, with what it airs now.
                with store.sessions.begin() as s:
                    hub.note_presence(
                        s, "xa-a", {"online": True, "every": 30, "on_air": "Tin khẩn của huyện"}
                    )
                expect(row).to_contain_text("Trực tuyến", timeout=15_000)
                expect(row).to_contain_text("Tin khẩn của huyện", timeout=15_000)
                assert page.evaluate("window.__same_page === true")
            finally:
                b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        store.engine.dispose()
