"""The offers page in a real browser: the commune's leader hears a district item, is refused a
decline without a reason, and accepts it at a time of the commune's choosing.

The station's web runs as a real process over a store holding what ``broadcaster sync`` leaves
(a manifest applied, its audio file on disk); Playwright drives Debian's chromium.
"""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from broadcaster.manifest import AiringSpec, AudioRef, ItemSpec, Manifest, ProgrammeSpec, SegmentSpec
from broadcaster.models import ItemType, Offer, OfferState, Priority, SegmentKind
from broadcaster.store import open_store
from broadcaster.sync import apply_manifest

from .test_browser import Station, _login, browser  # noqa: F401 - browser is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _offer_from_the_district(st: Station) -> datetime:
    """Give back the proposed time of a normal-level district item now held as an offer."""
    folder = st.config.media_dir / "hub"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "tone.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", str(tmp)], check=True
    )
    sha = hashlib.sha256(tmp.read_bytes()).hexdigest()
    tmp.rename(folder / f"{sha}.wav")
    at = datetime.now(st.config.tz).replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=2)
    seg, prog = str(uuid.uuid4()), str(uuid.uuid4())
    m = Manifest(
        station=st.config.station_code,
        airings=(
            AiringSpec(
                str(uuid.uuid4()), prog, at.astimezone(UTC), "Tin huyện: lịch tiếp dân", Priority.NORMAL
            ),
        ),
        programmes=(ProgrammeSpec(prog, "Tin huyện", (ItemSpec(ItemType.SEGMENT, segment=seg),)),),
        segments=(SegmentSpec(seg, "Lịch tiếp công dân tháng 12", SegmentKind.CCHC_NEWS, None, None, sha),),
        audio=(AudioRef(sha, (folder / f"{sha}.wav").stat().st_size, 2000, "wav", f"/a/{sha}"),),
    )
    store = open_store(st.config)
    with store.sessions.begin() as s:
        apply_manifest(s, store.station(s), m, {sha: f"hub/{sha}.wav"})
    store.engine.dispose()
    return at


def test_the_leader_hears_and_accepts_an_offer_in_the_browser(tmp_path, browser):  # noqa: F811
    from playwright.sync_api import expect

    st = Station(tmp_path)
    st.prepare()
    at = _offer_from_the_district(st)
    st.spawn("web", "web", "--host", "127.0.0.1", "--port", str(st.port))
    try:
        st.wait_web()
        ctx, page = _login(browser, st.base, "lanhdao")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_text("Có 1 tin từ huyện chờ xã quyết định")).to_be_visible()
        page.get_by_role("link", name="Tin từ huyện (1)").click()
        expect(page.get_by_role("heading", name="Tin từ huyện", exact=True)).to_be_visible()
        card = page.locator("section.offer")
        expect(card).to_contain_text("Tin huyện: lịch tiếp dân")
        expect(card).to_contain_text(f"huyện đề xuất phát lúc {at:%d/%m/%Y %H:%M}")

        # The audio really plays in the page: the browser decodes it and knows its length.
        seconds = page.evaluate(
            """() => new Promise((done, fail) => {
                const a = document.querySelector('section.offer audio');
                a.addEventListener('loadedmetadata', () => done(a.duration));
                a.addEventListener('error', () => fail('audio error'));
                a.preload = 'metadata'; a.load();
            })"""
        )
        assert 1.9 < seconds < 2.1, seconds

        # A decline without a reason is refused next to the offer; nothing is decided.
        card.get_by_role("button", name="✗ Từ chối").click()
        expect(page.get_by_role("alert")).to_contain_text("Hãy ghi lý do từ chối")

        # Accepted at 18:15 instead of 17:00.
        page.locator("section.offer input[name=gio]").fill("18:15")
        page.locator("section.offer").get_by_role("button", name="✓ Nhận phát").click()
        expect(page.get_by_text("Đã nhận phát «Tin huyện: lịch tiếp dân» lúc 18:15")).to_be_visible()
        expect(page.locator("section.offer")).to_contain_text("Đã nhận phát")
        expect(page.get_by_role("link", name="Tin từ huyện", exact=True)).to_be_visible()
        ctx.close()
    finally:
        st.stop()
    store = open_store(st.config)
    with store.sessions() as s:
        offer = s.scalar(select(Offer))
        assert offer.state == OfferState.ACCEPTED and offer.decided_by == "lanhdao"
        assert offer.air_at.astimezone(st.config.tz).time() == time(18, 15)
    store.engine.dispose()
