"""The dashboard shows the dead-air watchdog's alarm (page and JSON) while its daemon lives."""

from __future__ import annotations

from datetime import UTC, datetime

from broadcaster.playout._deadair import _write


def test_dashboard_shows_the_dead_air_alarm(admin, config):
    page = admin.get("/").get_data(as_text=True)
    assert "MẤT TÍN HIỆU" not in page
    alarm = {
        "zone": "cụm loa «Thôn 2»",
        "sink": "icecast://source:***@127.0.0.1:8000/thon-2.mp3",
        "title": "Chuyên mục CCHC",
        "since": "2026-11-30T10:00:05+00:00",
    }
    _write(config.data_dir, [alarm])  # as the daemon's watchdog writes it (this process is alive)
    page = admin.get("/").get_data(as_text=True)
    assert "MẤT TÍN HIỆU" in page and "cụm loa «Thôn 2»" in page and "Chuyên mục CCHC" in page
    since = datetime(2026, 11, 30, 10, 0, 5, tzinfo=UTC).astimezone(config.tz)
    assert f"từ {since:%H:%M:%S}" in page  # in the station's time
    data = admin.get("/trang-thai.json").get_json()
    assert data["mat_tin_hieu"][0]["zone"] == "cụm loa «Thôn 2»"
    _write(config.data_dir, [])
    assert "MẤT TÍN HIỆU" not in admin.get("/").get_data(as_text=True)
