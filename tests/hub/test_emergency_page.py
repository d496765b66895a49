"""The hub's emergency page in a real browser: the typed confirmation, then each station's progress
following the live link's reports without a reload, then the stop.

The hub's ``broadcaster web`` runs as a subprocess on a real PostgreSQL; the stations' reports are
written as the hub's live process writes them (``hub.note_emergency_status``); Playwright drives
Debian's chromium.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from broadcaster import hub
from broadcaster.models import Emergency


@pytest.mark.browser
@pytest.mark.slow
def test_send_follow_and_stop_an_emergency_on_the_page(hub_site, browser):
    from playwright.sync_api import expect

    store = hub_site.store
    with store.sessions.begin() as s:
        hub.add_station(s, "xa-a", "Xã An Hòa", groups=["cụm ven biển"])
        hub.add_station(s, "xa-b", "Xã Bình Minh", groups=["miền núi"])
    page = hub_site.officer_page(browser, "/huyen/khan-cap/", timeout_ms=20_000)
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
