"""A district officer aims a schedule at stations from the hub's schedule form (issue 12).

The hub's web app runs in-process on a real PostgreSQL; what a station will air is read from the
hub's own manifest builder, as a station's poll would get it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from broadcaster import content, hub
from broadcaster.models import AuditLog, Priority, Schedule, Zone
from broadcaster.rules import CHIME_LABELS
from broadcaster.web import create_app

PASSWORD = "mat-khau-huyen-lich-1"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture
def district(hub_site):
    store = hub_site.store  # its own database on the session's PostgreSQL, closed by the fixture
    cfg = store.config
    with store.sessions.begin() as s:
        home = store.station(s)
        content.create_user(s, home, "canbo", PASSWORD, "approver")
        hub.add_station(s, "xa-a", "Xã An Hòa", groups=["ven biển"])
        hub.add_station(s, "xa-b", "Xã Bình Minh", groups=["ven biển"])
        hub.add_station(s, "xa-c", "Xã Cát Tiên", groups=["miền núi"])
        prog = content.create_programme(s, home, None, "Thông báo của huyện")
        content.add_item(s, prog, None, "chime", chime=next(iter(CHIME_LABELS)))
        if s.scalar(select(Zone.id).where(Zone.station_id == home.id)) is None:
            s.add(Zone(station_id=home.id, name="Loa chính"))
        ids = (prog.id, s.scalar(select(Zone.id).where(Zone.station_id == home.id)))
    app = create_app(cfg, store=store)
    client = app.test_client()
    html = client.get("/dang-nhap").get_data(as_text=True)
    r = client.post(
        "/dang-nhap",
        data={"username": "canbo", "password": PASSWORD, "csrf_token": CSRF.search(html).group(1)},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    yield cfg, store, client, ids
    if "broadcaster_hub" in app.extensions:
        app.extensions["broadcaster_hub"].contacts.close()


def _airs(cfg, store, code: str) -> list[str]:
    """Give back the titles of the programmes in station ``code``'s manifest."""
    with store.sessions.begin() as s:
        manifest = hub.build_manifest(s, cfg, hub.find_station(s, code, "huyen"))
        return sorted(p.title for p in manifest.programmes)


def test_an_officer_targets_a_group_from_the_form_and_a_bad_code_saves_nothing(district):
    cfg, store, client, (prog_id, zone_id) = district
    page = client.get("/lich-phat/moi").get_data(as_text=True)
    assert 'name="targets"' in page and "group:ven biển" in page
    assert 'value="emergency"' not in page  # the emergency page is the way to send one
    token = CSRF.search(page).group(1)
    tomorrow = (datetime.now(cfg.tz) + timedelta(days=1)).date()
    form = {
        "csrf_token": token,
        "name": "Thông báo tiêm chủng",
        "programme_id": str(prog_id),
        "recurrence": "once",
        "start_time": "07:00",
        "start_date": tomorrow.isoformat(),
        "window_minutes": "15",
        "priority": "priority",
        "zone_ids": str(zone_id),
    }

    def count() -> int:
        with store.sessions.begin() as s:
            return s.scalar(select(func.count()).select_from(Schedule))

    # Unknown station or group: a Vietnamese error next to the field, nothing saved.
    for spec, said in (("xa-a,xa-zz", "«xa-zz»"), ("group:không có", "không có"), ("", "Chưa chọn")):
        r = client.post("/lich-phat/moi", data={**form, "targets": spec})
        text = r.get_data(as_text=True)
        assert r.status_code == 400 and said in text and "Gửi đến" in text, text[:300]
        assert count() == 0
    said = client.post("/lich-phat/kiem-tra", data={**form, "targets": "xa-zz"}).get_json()
    assert [e["o"] for e in said["loi_theo_o"]] == ["targets"], said  # checked as it is typed
    r = client.post("/lich-phat/moi", data={**form, "targets": "all", "priority": "emergency"})
    assert r.status_code == 400 and "trang Khẩn cấp" in r.get_data(as_text=True) and count() == 0

    r = client.post("/lich-phat/moi", data={**form, "targets": "group:ven biển"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    with store.sessions.begin() as s:
        sc = s.scalar(select(Schedule))
        sid, codes, level = sc.id, sorted(t.code for t in sc.targets), sc.priority
    assert codes == ["xa-a", "xa-b"] and level == Priority.PRIORITY
    title = "Thông báo của huyện"
    assert _airs(cfg, store, "xa-a") == [title] and _airs(cfg, store, "xa-b") == [title]
    assert _airs(cfg, store, "xa-c") == []

    # The edit form shows the targets; changing them changes the manifests.
    assert 'value="xa-a,xa-b"' in client.get(f"/lich-phat/{sid}/sua").get_data(as_text=True)
    r = client.post(f"/lich-phat/{sid}/sua", data={**form, "targets": "xa-c", "priority": "normal"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert _airs(cfg, store, "xa-a") == [] and _airs(cfg, store, "xa-c") == [title]
    # A refused edit keeps the schedule's targets as they were.
    r = client.post(f"/lich-phat/{sid}/sua", data={**form, "targets": "xa-zz"})
    assert r.status_code == 400 and _airs(cfg, store, "xa-c") == [title]
    with store.sessions.begin() as s:
        assert s.get(Schedule, sid).priority == Priority.NORMAL
        audit = list(s.scalars(select(AuditLog).where(AuditLog.entity == "schedule").order_by(AuditLog.id)))
    assert [a.after["targets"] for a in audit] == [["xa-a", "xa-b"], ["xa-c"]]
    assert audit[1].before["targets"] == ["xa-a", "xa-b"]
