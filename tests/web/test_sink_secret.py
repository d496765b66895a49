"""An Icecast output's source password is kept by the zone and shown on no page (issue 14)."""

from __future__ import annotations

import re

from sqlalchemy import select

from broadcaster.models import AuditLog, Zone

SECRET = "mk-nguon-9f3a"
SPEC = f"icecast://source:{SECRET}@10.0.0.5:8000/thon-3.mp3"
SHOWN = "icecast://source:***@10.0.0.5:8000/thon-3.mp3"


def test_zone_page_and_audit_hide_the_password_and_an_unchanged_form_keeps_it(admin, store):
    r = admin.form("/quan-tri/cum-loa", {"code": "thon-3", "name": "Thôn 3", "sink": SPEC, "enabled": "1"})
    assert r.status_code == 302
    page = admin.get("/quan-tri/cum-loa").get_data(as_text=True)
    assert SECRET not in page and SHOWN in page
    with store.sessions() as s:
        zone = s.scalar(select(Zone).where(Zone.code == "thon-3"))
        assert zone.sink == SPEC  # the output still works: the zone keeps the real password
        zone_id = zone.id

    # Saved again as the page shows it (a new name, the output untouched): the password stays.
    r = admin.form(
        "/quan-tri/cum-loa",
        {"zone_id": zone_id, "code": "thon-3", "name": "Thôn ba", "sink": SHOWN, "enabled": "1"},
    )
    assert r.status_code == 302
    with store.sessions() as s:
        assert s.get(Zone, zone_id).sink == SPEC
    # *** towards another server is no password: refused with a reason, nothing saved.
    other = SHOWN.replace("10.0.0.5", "10.0.0.6")
    r = admin.form(
        "/quan-tri/cum-loa",
        {"zone_id": zone_id, "code": "thon-3", "name": "Thôn ba", "sink": other, "enabled": "1"},
    )
    assert r.status_code == 400
    assert "Hãy nhập mật khẩu nguồn phát Icecast" in r.get_data(as_text=True)
    with store.sessions() as s:
        assert s.get(Zone, zone_id).sink == SPEC
        audit = " ".join(str(a.before) + str(a.after) for a in s.scalars(select(AuditLog)))
    assert SECRET not in audit and SHOWN in audit
    history = admin.get("/quan-tri/nhat-ky-thay-doi").get_data(as_text=True)
    assert SECRET not in history and re.search(r"source:\*\*\*@10\.0\.0\.5", history)
