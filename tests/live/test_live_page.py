"""The hub's stations page in a real browser follows presence without a reload.

The hub's ``broadcaster web`` runs as a subprocess on a real PostgreSQL; presence is written as the
live process writes it (``hub.note_presence``); Playwright drives Debian's chromium.
"""

from __future__ import annotations

import pytest

from broadcaster import hub


@pytest.mark.browser
@pytest.mark.slow
def test_the_stations_table_follows_presence_without_a_reload(hub_site, browser):
    from playwright.sync_api import expect

    store = hub_site.store
    with store.sessions.begin() as s:
        hub.add_station(s, "xa-a", "Xã An Hòa")
        hub.note_presence(s, "xa-a", {"online": True, "every": 30, "on_air": "Chuyên mục CCHC"})
    page = hub_site.officer_page(browser, "/huyen/cac-dai", clock=True)
    row = page.locator("tr[data-station='xa-a']")
    expect(row).to_contain_text("Trực tuyến")
    expect(row).to_contain_text("Chuyên mục CCHC")
    page.evaluate("window.__same_page = true")

    # The station's last will arrives: the row turns without the page being loaded again.
    with store.sessions.begin() as s:
        hub.note_presence(s, "xa-a", {"online": False})
    # The table refreshes itself every 5 s: the page's clock is moved on by that much.
    page.clock.run_for(5_000)
    expect(row).to_contain_text("Mất liên lạc")
    expect(page.locator("#refresh-note")).to_contain_text("Tự cập nhật lúc")
    # And back, with what it airs now.
    with store.sessions.begin() as s:
        hub.note_presence(s, "xa-a", {"online": True, "every": 30, "on_air": "Tin khẩn của huyện"})
    page.clock.run_for(5_000)
    expect(row).to_contain_text("Trực tuyến")
    expect(row).to_contain_text("Tin khẩn của huyện")
    assert page.evaluate("window.__same_page === true")
