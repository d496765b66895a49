"""The manifest format and its application at a station, on the station's real SQLite store."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from broadcaster import content
from broadcaster.db import utcnow
from broadcaster.manifest import (
    AiringSpec,
    AudioRef,
    ItemSpec,
    Manifest,
    ManifestError,
    ProgrammeSpec,
    SegmentSpec,
    loads,
)
from broadcaster.models import (
    AudioAsset,
    ItemType,
    Origin,
    Priority,
    Programme,
    ProgrammeItem,
    Schedule,
    Segment,
    SegmentKind,
    Station,
    StationState,
)
from broadcaster.sync import apply_manifest

SHA = "ab" * 32
STREAM = "icecast://nghe:bi-mat@dai-huyen.vn:8000/cchc.mp3"  # tiếp sóng Đài huyện, 15 minutes


def _uid() -> str:
    return str(uuid.uuid4())


def sample(at=None, priority=Priority.PRIORITY) -> Manifest:
    seg, prog, air = _uid(), _uid(), _uid()
    return Manifest(
        station="xa-mau",
        airings=(AiringSpec(air, prog, at or utcnow() + timedelta(hours=2), "Tin huyện", priority),),
        programmes=(
            ProgrammeSpec(
                prog,
                "Chương trình huyện",
                (
                    ItemSpec(ItemType.CHIME, chime="thong-bao"),
                    ItemSpec(ItemType.SEGMENT, segment=seg),
                    ItemSpec(ItemType.PAUSE, pause_ms=500),
                    # While the district's stream fails, the bulletin airs again in its place.
                    ItemSpec(
                        ItemType.RELAY,
                        stream_url=STREAM,
                        duration_s=900,
                        fallback="item",
                        fallback_segment=seg,
                    ),
                ),
            ),
        ),
        segments=(SegmentSpec(seg, "Lịch tiếp dân", SegmentKind.CCHC_NEWS, None, None, SHA),),
        audio=(AudioRef(SHA, 1234, 5000, "wav", f"/api/v1/station/audio/{SHA}"),),
    )


def test_the_manifest_reads_back_what_it_writes_and_its_tag_follows_content():
    m = sample()
    again = loads(m.dumps())
    assert again == m and again.etag() == m.etag()
    assert replace(m, airings=()).etag() != m.etag()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(version=2), "phiên bản 2"),
        (lambda d: d["audio"].clear(), "tệp âm thanh không có trong bản kê"),
        (lambda d: d["airings"][0].update(at="2026-12-01T06:30:00"), "múi giờ"),
        (lambda d: d["airings"][0].update(programme=str(uuid.uuid4())), "chương trình không có trong bản kê"),
        (lambda d: d["audio"][0].update(sha256="xyz"), "sha256"),
        (lambda d: d["segments"][0].update(kind="quang-cao"), "không được nhận"),
        (lambda d: d["audio"][0].update(size=True), "sai kiểu"),
        (lambda d: d["programmes"][0]["items"][1].update(segment="../../etc"), "UUID"),
        (lambda d: d["programmes"][0]["items"][3].update(stream_url="rtmp://x/y"), "http://, https:// hoặc icecast://"),
        (lambda d: d["programmes"][0]["items"][3].update(stream_url="file:///etc/passwd"), "icecast://"),
        (lambda d: d["programmes"][0]["items"][3].update(duration_s=0), "từ 1 đến 21600 giây"),
        (lambda d: d["programmes"][0]["items"][3].update(duration_s=True), "sai kiểu"),
        (lambda d: d["programmes"][0]["items"][3].pop("stream_url"), r"items\[3\]\.stream_url\): thiếu"),
        (lambda d: d["programmes"][0]["items"][3].update(fallback="nhac"), "cách phát thay «nhac»"),
        (lambda d: d["programmes"][0]["items"][3].update(fallback_segment=None), "phải có khi phát thay"),
        (lambda d: d["programmes"][0]["items"][3].update(fallback="next"), "phải có khi phát thay"),
        (lambda d: d["programmes"][0]["items"][3].update(fallback_segment=_uid()), "bản tin không có trong"),
    ],
)
def test_a_bad_manifest_is_refused_whole_with_one_vietnamese_line(change, words):
    doc = sample().to_json()
    change(doc)
    import json

    with pytest.raises(ManifestError, match=words):
        loads(json.dumps(doc))


def test_not_json_is_refused():
    with pytest.raises(ManifestError, match="không phải JSON"):
        loads(b"<html>502</html>")


def _counts(s) -> tuple:
    return tuple(
        s.scalar(select(func.count()).select_from(t))
        for t in (Segment, Programme, ProgrammeItem, Schedule, AudioAsset)
    )


def _revision(s, station) -> int:
    return s.get(StationState, station.id).plan_revision if s.get(StationState, station.id) else 0


def test_applying_twice_changes_nothing_and_a_withdrawn_airing_is_switched_off(store, station):
    m = sample()
    present = {SHA: f"hub/{SHA}.wav"}
    with store.sessions.begin() as s:
        first = apply_manifest(s, store.station(s), m, present)
    assert (first.added, first.changed, first.withdrawn, first.waiting) == (1, 0, 0, 0)
    with store.sessions() as s:
        counts, rev = _counts(s), _revision(s, station)
        sched = s.scalar(select(Schedule).where(Schedule.uid == m.airings[0].uid))
        assert sched.origin == Origin.HUB and sched.enabled and sched.zones
        assert [i.item_type for i in sched.programme.items] == [
            ItemType.CHIME,
            ItemType.SEGMENT,
            ItemType.PAUSE,
            ItemType.RELAY,
        ]
        relay, seg = sched.programme.items[3], sched.programme.items[1].segment
        assert (relay.stream_url, relay.duration_s, relay.pause_ms) == (STREAM, 900, None)
        assert (relay.fallback, relay.fallback_segment_id) == ("item", seg.id)
    with store.sessions.begin() as s:
        second = apply_manifest(s, store.station(s), m, present)
    assert not second.touched
    with store.sessions() as s:
        assert _counts(s) == counts and _revision(s, station) == rev  # no replan either

    # The district moves its stream: the station's item follows, nothing else is touched.
    prog = m.programmes[0]
    hls = "https://dai-huyen.vn/cchc.m3u8"
    hls = replace(prog.items[3], stream_url=hls, fallback="next", fallback_segment=None)
    moved = replace(prog, items=(*prog.items[:3], hls))
    with store.sessions.begin() as s:
        third = apply_manifest(s, store.station(s), replace(m, programmes=(moved,)), present)
    assert (third.added, third.changed) == (0, 1)
    with store.sessions() as s:
        relay = s.scalar(select(ProgrammeItem).where(ProgrammeItem.item_type == ItemType.RELAY))
        assert (relay.stream_url, relay.fallback, relay.fallback_segment_id) == (
            "https://dai-huyen.vn/cchc.m3u8",
            "next",
            None,
        )

    with store.sessions.begin() as s:
        gone = apply_manifest(s, store.station(s), replace(m, airings=()), present)
    assert gone.withdrawn == 1
    with store.sessions() as s:
        assert not s.scalar(select(Schedule.enabled).where(Schedule.uid == m.airings[0].uid))


def test_an_airing_waits_for_its_audio_and_a_normal_one_arrives_as_an_offer(store, station):
    m = sample(priority=Priority.NORMAL)
    with store.sessions.begin() as s:
        waiting = apply_manifest(s, store.station(s), m, {})
    assert waiting.waiting == 1 and waiting.added == 0
    with store.sessions() as s:
        assert s.scalar(select(func.count(Segment.id)).where(Segment.origin == Origin.HUB)) == 0
    with store.sessions.begin() as s:
        apply_manifest(s, store.station(s), m, {SHA: f"hub/{SHA}.wav"})
    with store.sessions() as s:
        assert s.scalar(select(Schedule.enabled).where(Schedule.uid == m.airings[0].uid)) is False


def test_hub_rows_are_read_only_at_the_station_and_local_rows_are_never_overwritten(store, station):
    m = sample()
    with store.sessions.begin() as s:
        apply_manifest(s, store.station(s), m, {SHA: f"hub/{SHA}.wav"})
    with store.sessions() as s:
        seg = s.scalar(select(Segment).where(Segment.uid == m.segments[0].uid))
        prog = s.scalar(select(Programme).where(Programme.uid == m.programmes[0].uid))
        sched = s.scalar(select(Schedule).where(Schedule.uid == m.airings[0].uid))
        with pytest.raises(content.NotAllowed, match="do huyện gửi xuống"):
            content.archive(s, seg, None)
        with pytest.raises(content.NotAllowed, match="do huyện gửi xuống"):
            content.update_programme(s, prog, None, "Đổi tên")
        with pytest.raises(content.NotAllowed, match="do huyện gửi xuống"):
            content.delete_schedule(s, sched, None)
        s.rollback()

    # A local programme that happens to carry a uid the hub names is left alone.
    local = sample()
    with store.sessions.begin() as s:
        st = store.station(s)
        s.add(Programme(uid=local.programmes[0].uid, station_id=st.id, title="Của xã"))
    with store.sessions.begin() as s:
        res = apply_manifest(s, store.station(s), local, {SHA: f"hub/{SHA}.wav"})
    assert res.added == 0 and res.waiting == 1
    with store.sessions() as s:
        assert s.scalar(select(Programme.title).where(Programme.uid == local.programmes[0].uid)) == "Của xã"


def test_the_hub_stations_page_shows_who_called_and_a_station_has_no_hub_routes(store, config):
    from broadcaster import hub
    from broadcaster.web import create_app

    with store.sessions.begin() as s:
        a, _ = hub.add_station(s, "xa-a", "Xã A", groups=["cụm ven biển"])
        row = {
            "uid": _uid(),
            "occurrence_uid": _uid(),
            "item_type": "segment",
            "title": "Tin đã phát",
            "started_at": utcnow().isoformat(),
            "status": "played",
        }
        assert hub.receive_asrun(s, a, [row, row | {"status": "playing"}])[0] == [row["uid"]]
        b, _ = hub.add_station(s, "xa-b", "Xã B")
        status = {"clock": utcnow().isoformat(), "last_error": "Chưa tải được tệp âm thanh"}
        now = utcnow()
        sink = "icecast://source:lo-ra@10.0.0.9:8000/t2.mp3"
        dead = {"zone": "cụm loa «Thôn 2»", "sink": sink, "title": "Tin sáng"}

        def ago(**kw) -> str:
            return (now - timedelta(**kw)).isoformat()

        status |= {
            "dead_air": [dead | {"since": ago(seconds=75)}],
            "dead_air_recent": [
                dead | {"since": ago(hours=3), "until": ago(hours=3, seconds=-42)},
                dead | {"since": ago(hours=30), "until": None},  # a day old: left out
                {"since": "hôm qua"},  # a station's free-form status never breaks the page
            ],
        }
        hub.note_contact(s, b, status | {"disk_free_bytes": 3 * 1024**3 + 512 * 1024**2})
        admin = content.create_user(s, store.station(s), "quantri", "mat-khau-dai-1", "admin")
        admin_id = admin.id

    station_app = create_app(config, store=store)
    with station_app.test_client() as c:
        assert c.get("/api/v1/station/manifest").status_code == 404
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = f"{admin_id}:0", True
        assert c.get("/huyen/cac-dai").status_code == 404

    app = create_app(config.with_overrides(mode="hub"), store=store, PROPAGATE_EXCEPTIONS=True)
    with app.test_client() as c:
        assert c.get("/huyen/cac-dai").status_code == 302  # sign in first
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = f"{admin_id}:0", True
        page = c.get("/huyen/cac-dai")
        html = page.get_data(as_text=True)
        # The station falls silent: its last word on dead air is said to be just that.
        with store.sessions.begin() as s:
            gone = s.scalar(select(Station).where(Station.code == "xa-b"))
            gone.last_seen_at = utcnow() - timedelta(hours=1)
        silent = c.get("/huyen/cac-dai/bang").get_data(as_text=True)
    assert "(tin cuối trước khi mất liên lạc)" in silent and "(tin cuối" not in html
    assert page.status_code == 200 and "Các đài xã" in html
    assert html.index("xa-a") < html.index("xa-b")
    assert "Mất liên lạc" in html and "Trực tuyến" in html and "Chưa tải được tệp âm thanh" in html
    assert "Tin đã phát" in html and "Đã phát" in html
    assert "3,5 GB" in html  # a decimal comma, as every number an officer reads
    # xa-b has dead air now (flagged, since when, how long so far) and had 42 s of it 3 hours ago.
    row_b = html[html.index('<tr data-station="xa-b"') :].split("</tr>")[0]
    assert row_b.startswith('<tr data-station="xa-b" class="dead-air">')
    assert "MẤT TÍN HIỆU" in row_b and re.search(r"đã 1:1[5-9]<", row_b) and "24 giờ qua: 1 lần" in row_b
    assert "0:42" in row_b and "icecast://source:***@10.0.0.9:8000/t2.mp3" in row_b and "lo-ra" not in html
    assert "MẤT TÍN HIỆU" not in html[: html.index('data-station="xa-b"')]  # xa-a has none


def test_the_command_line_levels_are_the_models_levels():
    from broadcaster.hub.cli import PRIORITIES

    assert PRIORITIES == tuple(p.value for p in Priority)


def test_the_sync_loop_reports_status_only_when_it_says_something_new_or_is_due():
    from broadcaster.sync import ReportMemo
    from broadcaster.sync._run import STATUS_EVERY

    status = {"clock": "2026-12-01T00:00:00+00:00", "on_air": None, "last_error": None, "asrun_waiting": 0}
    memo = ReportMemo()
    assert memo.due(status, now=0)  # the first round always reports
    memo.sent(status, now=0)
    # A later clock or heartbeat alone is no news: the poll already counts as contact.
    assert not memo.due(status | {"clock": "2026-12-01T00:01:00+00:00", "heartbeat": "x"}, now=60)
    assert memo.due(status | {"on_air": "Tin huyện"}, now=60)
    assert memo.due(status | {"last_error": "Chưa tải được tệp âm thanh"}, now=60)
    # Dead air beginning, or ending (it moves to the last 24 hours), is news for the district.
    alarm = {"zone": "cụm loa «Thôn 2»", "since": "2026-12-01T00:00:30+00:00"}
    assert memo.due(status | {"dead_air": [alarm]}, now=60)
    assert memo.due(status | {"dead_air_recent": [alarm | {"until": "2026-12-01T00:00:50+00:00"}]}, now=60)
    assert memo.due(status, now=STATUS_EVERY)  # clock offset and disk free are refreshed


def test_the_hub_sends_a_relay_with_its_fallback_item_and_that_item_s_audio(store, station, config):
    """A district relay whose fallback is one of its bulletins: the bulletin and its file go down
    with it; with the file gone from the hub's disk, the programme is not sent at all."""
    from datetime import time

    from broadcaster.hub import district_part
    from broadcaster.models import Recurrence, SegmentStatus

    wav = config.media_dir / "du-phong.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    wav.write_bytes(b"RIFF" + bytes(40))
    with store.sessions.begin() as s:
        asset = AudioAsset(
            station_id=station.id, sha256=SHA, path="du-phong.wav", duration_ms=5000, source="upload"
        )
        seg = Segment(
            station_id=station.id,
            title="Bản tin dự phòng",
            kind=SegmentKind.CCHC_NEWS,
            status=SegmentStatus.APPROVED,
            upload_asset=asset,
        )
        prog = Programme(station_id=station.id, title="Tiếp sóng Đài huyện")
        prog.items.append(
            ProgrammeItem(
                position=0,
                item_type=ItemType.RELAY,
                stream_url=STREAM,
                duration_s=900,
                fallback="item",
                fallback_segment=seg,
            )
        )
        tomorrow = (utcnow() + timedelta(days=1)).astimezone(config.tz).date()
        sched = Schedule(
            station_id=station.id,
            programme=prog,
            recurrence=Recurrence.ONCE,
            start_date=tomorrow,
            start_time=time(17, 0),
            skip_dates=[],
            priority=Priority.PRIORITY,
        )
        s.add(sched)
        s.flush()
        m = district_part(config, [sched]).manifest("xa-a")
        (item,) = m.programmes[0].items
        assert (item.fallback, item.fallback_segment) == ("item", seg.uid)
        assert [x.uid for x in m.segments] == [seg.uid] and [a.sha256 for a in m.audio] == [SHA]
        assert loads(m.dumps()) == m  # what a station reads back, checked whole
        wav.unlink()
        assert district_part(config, [sched]).manifest("xa-a").programmes == ()
