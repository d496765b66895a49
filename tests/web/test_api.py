"""The JSON API writes what the pages write: programmes, schedules, approvals, with the same rules,
roles and audit; bad JSON of every kind is a Vietnamese 400 that saves nothing; the OpenAPI document
and its page describe exactly the routes there are.

All through the Flask test client on the real SQLite store of tests/web/conftest.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from broadcaster import content
from broadcaster.models import (
    AirStatus,
    AuditLog,
    Occurrence,
    Programme,
    ProgrammeItem,
    Role,
    Schedule,
    Segment,
    SegmentStatus,
    User,
)
from broadcaster.web.api import ROUTES, document

from .conftest import count, make_segment

VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ]", re.I)


SOON = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
SKIP = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()


def _audit(store, entity: str, entity_id: int) -> list[tuple[str, str]]:
    with store.sessions() as s:
        rows = s.scalars(
            select(AuditLog)
            .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
            .order_by(AuditLog.id)
        )
        return [(r.action, r.username) for r in rows]


def _bearer(app, store, username: str):
    with store.sessions.begin() as s:
        _row, token = content.create_token(s, s.scalar(select(User).where(User.username == username)), "máy")
    c = app.test_client()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return c


def _approved(store, title: str = "Tin đã duyệt") -> int:
    return make_segment(store, status=SegmentStatus.APPROVED, title=title)


def _schedule_body(programme_id: int, **kw) -> dict:
    body = {
        "programme_id": programme_id,
        "recurrence": "daily",
        "start_time": "05:30",
        # Soon: conflicts are searched over the coming year, and a past date may be refused.
        "start_date": SOON,
        "zone_ids": [1],
    }
    return body | kw


# ----------------------------------------------------------------------------- programmes


def test_a_programme_is_built_edited_and_deleted_through_the_api(editor, store):
    seg = _approved(store)
    draft = make_segment(store, title="Bản nháp")
    r = editor.api("POST", "/api/v1/programmes", json={"title": "  Bản tin sáng ", "month": "12/2030"})
    assert r.status_code == 201, r.get_json()
    prog = r.get_json()
    assert prog["ten"] == "Bản tin sáng" and prog["thang"] == "2030-12" and prog["muc"] == []
    assert r.headers["Location"].endswith(f"/api/v1/programmes/{prog['id']}")
    url = f"/api/v1/programmes/{prog['id']}"

    r = editor.api("PATCH", url, json={"description": "Phát hằng ngày"})
    assert r.status_code == 200 and r.get_json()["ten"] == "Bản tin sáng"  # unsent fields kept
    assert r.get_json()["mo_ta"] == "Phát hằng ngày"

    for body in (
        {"item_type": "chime", "chime": "mo-dau"},
        {"item_type": "segment", "segment_id": seg},
        {"item_type": "pause", "pause_s": 1.5},
    ):
        r = editor.api("POST", f"{url}/items", json=body)
        assert r.status_code == 201, r.get_json()
    items = r.get_json()["muc"]
    assert [i["loai"] for i in items] == ["chime", "segment", "pause"]
    assert items[2]["lang_ms"] == 1500 and r.get_json()["co_the_phat"] is True

    # The page's rules, in the page's words, naming the JSON field.
    for body, field, words in (
        ({"item_type": "segment", "segment_id": draft}, "segment_id", "chưa được duyệt"),
        ({"item_type": "pause", "pause_s": 90}, "pause_s", "Khoảng lặng"),
        ({"item_type": "chime", "chime": "khong-co"}, "chime", "nhạc hiệu"),
        ({"item_type": "video"}, "item_type", "Loại mục"),
    ):
        r = editor.api("POST", f"{url}/items", json=body)
        assert r.status_code == 400 and r.get_json()["truong"] == field, (body, r.get_json())
        assert words in r.get_json()["loi"]
    r = editor.api("PATCH", url, json={"title": "  "})
    assert r.status_code == 400 and r.get_json()["truong"] == "title"

    pause_id = items[2]["id"]
    r = editor.api("POST", f"{url}/items/{pause_id}/move", json={"step": -1})
    assert [i["loai"] for i in r.get_json()["muc"]] == ["chime", "pause", "segment"]
    r = editor.api("POST", f"{url}/items/{pause_id}/move", json={"step": 3})
    assert r.status_code == 400 and r.get_json()["truong"] == "step"
    r = editor.api("DELETE", f"{url}/items/{pause_id}")
    assert [i["loai"] for i in r.get_json()["muc"]] == ["chime", "segment"]
    r = editor.api("DELETE", f"{url}/items/{pause_id}")
    assert r.status_code == 404 and "không còn" in r.get_json()["loi"]

    # Audited as the pages audit, under the caller's name.
    assert _audit(store, "programme", prog["id"]) == [
        ("create", "bientap"),
        ("update", "bientap"),
        ("add_item", "bientap"),
        ("add_item", "bientap"),
        ("add_item", "bientap"),
        ("move_item", "bientap"),
        ("remove_item", "bientap"),
    ]

    # In use by a schedule: 409, kept; free again: 204, gone.
    r = editor.api("POST", "/api/v1/schedules", json=_schedule_body(prog["id"]))
    assert r.status_code == 201, r.get_json()
    r = editor.api("DELETE", url)
    assert r.status_code == 409 and "lịch phát" in r.get_json()["loi"]
    assert editor.api("DELETE", f"/api/v1/schedules/{_sched_of(store, prog['id'])}").status_code == 204
    assert editor.api("DELETE", url).status_code == 204
    assert editor.api("GET", url).status_code == 404
    assert count(store, ProgrammeItem, ProgrammeItem.programme_id == prog["id"]) == 0
    assert _audit(store, "programme", prog["id"])[-1] == ("delete", "bientap")


def _sched_of(store, programme_id: int) -> int:
    with store.sessions() as s:
        return s.scalar(select(Schedule.id).where(Schedule.programme_id == programme_id))


def test_the_monthly_column_is_proposed_and_saved_through_the_api(editor, store, starter):
    r = editor.api("GET", "/api/v1/programmes/monthly")
    assert r.status_code == 200, r.get_json()
    proposal = r.get_json()
    kinds = {s["loai"] for s in proposal["tin_da_duyet"]}
    assert "good_example" in kinds and proposal["ten"].startswith("Chuyên mục cải cách hành chính tháng")
    items = proposal["muc"]
    assert items[0] == {"type": "chime", "chime": "mo-dau"} and items[-1] == {
        "type": "chime",
        "chime": "ket-thuc",
    }
    assert editor.api("GET", "/api/v1/programmes/monthly?month=13/2026").get_json()["truong"] == "month"

    # Inner objects are checked too, naming the list and the place in it; nothing saved.
    before = count(store, Programme)
    bad = [dict(items[0]), {"type": "pause", "pause_ms": "1000"}]
    r = editor.api("POST", "/api/v1/programmes/monthly", json={"month": proposal["thang"], "items": bad})
    assert r.status_code == 400 and r.get_json()["truong"] == "items"
    assert r.get_json()["loi"].startswith("Mục thứ 2 của «items»: trường «pause_ms» phải là số nguyên")
    without = [it for it in items if it.get("segment_id") != starter["good_example"]]
    r = editor.api("POST", "/api/v1/programmes/monthly", json={"month": proposal["thang"], "items": without})
    assert r.status_code == 400 and "người tốt, việc tốt" in r.get_json()["loi"]
    assert count(store, Programme) == before

    r = editor.api("POST", "/api/v1/programmes/monthly", json={"month": proposal["thang"], "items": items})
    assert r.status_code == 201, r.get_json()
    prog = r.get_json()
    assert prog["thang"] == proposal["thang"] and prog["ten"] == proposal["ten"]
    assert [(m["loai"], m["ban_tin_id"]) for m in prog["muc"]] == [
        (it["type"], it.get("segment_id")) for it in items
    ]
    assert prog["co_the_phat"] is True
    assert _audit(store, "programme", prog["id"])[0] == ("create", "bientap")


def test_programme_writes_keep_the_page_roles(client_for, app, store):
    prog_url = "/api/v1/programmes"
    for role in (Role.APPROVER, Role.OPERATOR):
        r = client_for(role).api("POST", prog_url, json={"title": "Không được"})
        assert r.status_code == 403 and "không được dùng" in r.get_json()["loi"]
    machine = _bearer(app, store, "lanhdao")
    assert machine.post(prog_url, json={"title": "Không được"}).status_code == 403
    assert count(store, Programme) == 0
    machine = _bearer(app, store, "bientap")
    r = machine.post(prog_url, json={"title": "Từ máy huyện"})
    assert r.status_code == 201
    assert _audit(store, "programme", r.get_json()["id"]) == [("create", "bientap")]


# ----------------------------------------------------------------------------- approvals


def test_approvals_through_the_api_follow_the_page_rules(client_for, store):
    editor, other, boss = client_for("bientap"), client_for("bientap2"), client_for(Role.APPROVER)
    admin = client_for(Role.ADMIN)
    r = editor.api(
        "POST", "/api/v1/segments", json={"title": "Tin mới", "body": "Xin chào.", "kind": "cchc_news"}
    )
    sid = r.get_json()["id"]
    url = f"/api/v1/segments/{sid}"
    # Someone else's segment: the content rule says no (403), nothing moves.
    r = other.api("POST", f"{url}/submit")
    assert r.status_code == 403 and "của chính mình" in r.get_json()["loi"]
    r = editor.api("POST", f"{url}/submit")
    assert r.status_code == 200 and r.get_json()["trang_thai"] == "submitted"
    r = editor.api("POST", f"{url}/submit")
    assert r.status_code == 409
    assert [x["id"] for x in boss.api("GET", "/api/v1/approvals").get_json()["cho_duyet"]] == [sid]
    assert editor.api("GET", "/api/v1/approvals").status_code == 403
    assert editor.api("POST", f"{url}/approve", json={}).status_code == 403

    r = boss.api("POST", f"{url}/reject", json={"comment": "  "})
    assert r.status_code == 400 and r.get_json()["truong"] == "comment" and "lý do" in r.get_json()["loi"]
    r = boss.api("POST", f"{url}/reject", json={"comment": "Sửa lại ngày tiêm."})
    assert r.status_code == 200 and r.get_json()["trang_thai"] == "rejected"
    assert editor.api("GET", url).get_json()["y_kien_duyet"] == "Sửa lại ngày tiêm."
    # Reworked: edited (PATCH keeps unsent fields), submitted again, approved.
    r = editor.api("PATCH", url, json={"body": "Xin chào bà con, lịch tiêm mới."})
    assert r.status_code == 200 and r.get_json()["tieu_de"] == "Tin mới"
    assert other.api("PATCH", url, json={"title": "Của tôi"}).status_code == 403
    editor.api("POST", f"{url}/submit")
    r = boss.api("POST", f"{url}/approve", json={"comment": "Đồng ý phát."})
    assert r.status_code == 200 and r.get_json()["trang_thai"] == "approved"
    assert boss.api("POST", f"{url}/approve").status_code == 409
    # Editing approved text sends it back to draft, as on the page.
    r = editor.api("PATCH", url, json={"title": "Tin mới (sửa)"})
    assert r.get_json()["ve_ban_nhap"] is True and r.get_json()["trang_thai"] == "draft"

    # Nobody approves their own work, not even the admin.
    r = admin.api(
        "POST", "/api/v1/segments", json={"title": "Của admin", "body": "Nội dung.", "kind": "hotline"}
    )
    own = r.get_json()["id"]
    admin.api("POST", f"/api/v1/segments/{own}/submit")
    r = admin.api("POST", f"/api/v1/segments/{own}/approve")
    assert r.status_code == 403 and "tự duyệt" in r.get_json()["loi"]
    with store.sessions() as s:
        assert s.get(Segment, own).status == SegmentStatus.SUBMITTED
    assert [a for a, _ in _audit(store, "segment", sid)] == [
        "create",
        "submit",
        "reject",
        "update",
        "submit",
        "approve",
        "update",
    ]
    assert ("approve", "lanhdao") in _audit(store, "segment", sid)


# ----------------------------------------------------------------------------- schedules


def test_schedules_through_the_api_follow_the_page_rules(client_for, store):
    editor, boss, op = client_for(Role.EDITOR), client_for(Role.APPROVER), client_for(Role.OPERATOR)
    seg = _approved(store)
    prog = editor.api("POST", "/api/v1/programmes", json={"title": "Sáng"}).get_json()["id"]
    editor.api("POST", f"/api/v1/programmes/{prog}/items", json={"item_type": "segment", "segment_id": seg})

    # Every mistake at once, each named with its field; nothing saved.
    r = editor.api(
        "POST",
        "/api/v1/schedules",
        json=_schedule_body(prog, start_time="25:00", recurrence="weekly", weekdays=[], zone_ids=[]),
    )
    assert r.status_code == 400
    fields = {e["truong"] for e in r.get_json()["cac_loi"]}
    assert {"start_time", "weekdays", "zone_ids"} <= fields, r.get_json()
    assert count(store, Schedule) == 0

    r = editor.api("POST", "/api/v1/schedules", json=_schedule_body(prog, name="Sáng", skip_dates=[SKIP]))
    assert r.status_code == 201, r.get_json()
    sc = r.get_json()
    assert sc["gio"] == "05:30" and sc["ngay_nghi"] == [SKIP] and sc["cum_loa_id"] == [1]
    url = f"/api/v1/schedules/{sc['id']}"
    assert op.api("GET", url).get_json()["ten"] == "Sáng"  # operators read schedules
    assert op.api("PATCH", url, json={"start_time": "06:00"}).status_code == 403

    # The check answers what saving would say, and saves nothing.
    r = boss.api("POST", "/api/v1/schedules/check", json=_schedule_body(prog, name="Trùng"))
    assert r.status_code == 200 and r.get_json()["trung_gio"] and r.get_json()["cac_loi"] == []
    r = boss.api("POST", "/api/v1/schedules/check", json={"schedule_id": sc["id"], "start_time": "24:61"})
    assert [e["truong"] for e in r.get_json()["cac_loi"]] == ["start_time"]
    r = boss.api("POST", "/api/v1/schedules/check", json={"schedule_id": sc["id"], "window_minutes": 45})
    assert r.get_json() == {"cac_loi": [], "trung_gio": [], "canh_bao": None}  # itself is no conflict
    assert count(store, Schedule) == 1
    assert [z["id"] for z in op.api("GET", "/api/v1/zones").get_json()["cum_loa"]] == [1]

    # A second slot at the same time: a conflict, 409, named.
    r = boss.api("POST", "/api/v1/schedules", json=_schedule_body(prog, name="Trùng"))
    assert r.status_code == 409 and r.get_json()["trung_gio"], r.get_json()
    r = boss.api("PATCH", url, json={"start_time": "17:00", "window_minutes": 20})
    assert r.status_code == 200 and r.get_json()["gio"] == "17:00" and r.get_json()["ngay_nghi"] == [SKIP]

    # A programme whose segment went back to draft cannot be scheduled, nor a schedule re-enabled.
    assert editor.api("POST", f"{url}/disable").get_json()["bat"] is False
    with store.sessions.begin() as s:
        s.get(Segment, seg).status = SegmentStatus.DRAFT
    r = editor.api("POST", f"{url}/enable")
    assert r.status_code == 400 and r.get_json()["truong"] == "programme_id", r.get_json()
    r = editor.api("POST", "/api/v1/schedules", json=_schedule_body(prog, start_time="19:00"))
    assert r.status_code == 400 and r.get_json()["truong"] == "programme_id"
    with store.sessions.begin() as s:
        s.get(Segment, seg).status = SegmentStatus.APPROVED
    assert editor.api("POST", f"{url}/enable").get_json()["bat"] is True

    # Aired once: kept as evidence (409); a schedule that never aired can go.
    with store.sessions.begin() as s:
        st = store.station(s)
        s.add(
            Occurrence(
                station_id=st.id,
                schedule_id=sc["id"],
                programme_id=prog,
                zone_id=1,
                scheduled_at=datetime.now(UTC) - timedelta(days=1),
                status=AirStatus.PLAYED,
            )
        )
    r = editor.api("DELETE", url)
    assert r.status_code == 409 and "bằng chứng" in r.get_json()["loi"]
    r = editor.api("POST", "/api/v1/schedules", json=_schedule_body(prog, start_time="12:00"))
    other = r.get_json()["id"]
    assert editor.api("DELETE", f"/api/v1/schedules/{other}").status_code == 204
    assert editor.api("GET", f"/api/v1/schedules/{other}").status_code == 404
    assert [a for a, _ in _audit(store, "schedule", sc["id"])] == ["create", "update", "disable", "enable"]
    assert _audit(store, "schedule", other) == [("create", "bientap"), ("delete", "bientap")]


def test_a_schedule_written_through_the_api_is_planned(app, store, config):
    """End to end: segment written, submitted, approved; programme; schedule; the planner plans it."""
    from broadcaster.playout import plan

    writer = _bearer(app, store, "bientap")
    leader = _bearer(app, store, "lanhdao")
    r = writer.post(
        "/api/v1/segments", json={"title": "Tin tối", "body": "Kính thưa bà con.", "kind": "hotline"}
    )
    sid = r.get_json()["id"]
    assert writer.post(f"/api/v1/segments/{sid}/submit").status_code == 200
    assert leader.post(f"/api/v1/segments/{sid}/approve", json={"comment": "Phát."}).status_code == 200
    prog = writer.post("/api/v1/programmes", json={"title": "Buổi tối"}).get_json()["id"]
    for body in ({"item_type": "chime", "chime": "mo-dau"}, {"item_type": "segment", "segment_id": sid}):
        assert writer.post(f"/api/v1/programmes/{prog}/items", json=body).status_code == 201
    at = (datetime.now(config.tz) + timedelta(hours=3)).replace(second=0, microsecond=0)
    r = writer.post(
        "/api/v1/schedules",
        json={
            "name": "Tối nay",
            "programme_id": prog,
            "recurrence": "once",
            "start_date": at.date().isoformat(),
            "start_time": at.strftime("%H:%M"),
            "zone_ids": [1],
        },
    )
    assert r.status_code == 201, r.get_json()
    with store.sessions.begin() as s:
        result = plan(s, store.station(s), datetime.now(UTC), hours=24)
        assert result.created == 1
        occ = s.scalar(select(Occurrence).where(Occurrence.schedule_id == r.get_json()["id"]))
        assert occ.scheduled_at == at.astimezone(UTC) and occ.title == "Buổi tối" and occ.zone_id == 1
    upcoming = writer.get("/api/v1/status").get_json()["sap_phat"]
    assert [(o["tieu_de"], o["luc"]) for o in upcoming] == [("Buổi tối", at.astimezone(UTC).isoformat())]


# ----------------------------------------------------------------------------- bad JSON

#: Raw bodies that once reached the services (or the parser's recursion) and gave 500s.
BAD_BODIES = {
    "lone surrogate": (b'{"title": "Tin \\ud800 l\\u1ed7i"}', "UTF-16"),
    "lone surrogate in a key": (b'{"\\udfff": 1}', "UTF-16"),
    "nested 5000 deep": (b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}", "lồng nhau"),
    "nested 100 deep": (b'{"zone_ids": ' + b"[" * 100 + b"]" * 100 + b"}", "lồng nhau"),
    "a list": (b"[1, 2]", "đối tượng JSON"),
    "a string": (b'"Tin"', "đối tượng JSON"),
    "a number": (b"5", "đối tượng JSON"),
    "null": (b"null", "đối tượng JSON"),
    "huge integer": (b'{"programme_id": 100000000000000000000000000000}', "quá lớn"),
    "100,000 digits": (b'{"programme_id": ' + b"9" * 100_000 + b"}", "quá lớn"),
    "float overflow": (b'{"pause_s": 1e999}', "quá lớn"),
    "NaN": (b'{"pause_s": NaN}', "quá lớn"),
    "-Infinity": (b'{"step": -Infinity}', "quá lớn"),
    "not JSON": (b"title=Tin", "JSON hợp lệ"),
    "not UTF-8": (b'{"title": "\xff\xfe"}', "JSON hợp lệ"),
    "cut short": (b'{"title": "Tin', "JSON hợp lệ"),
}


def _writes() -> list:
    return [ep for ep in ROUTES if ep.body is not None]


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_json_is_a_vietnamese_400_that_saves_nothing(case, admin, store, starter):
    raw, words = BAD_BODIES[case]
    values = {"segment_id": starter["cchc_news"], "programme_id": 1, "schedule_id": 1, "item_id": 1}
    with store.sessions.begin() as s:
        prog = Programme(station_id=store.station(s).id, title="Có sẵn")
        s.add(prog)
    before = (count(store, Segment), count(store, Programme), count(store, Schedule), count(store, AuditLog))
    for ep in _writes():
        url = "/api/v1" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), ep.rule)
        r = admin.api(ep.method, url, data=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (case, ep.method, url, r.status_code, r.get_data(as_text=True)[:300])
        body = r.get_json()
        assert words in body["loi"] and VIETNAMESE.search(body["loi"]), (case, url, body)
    after = (count(store, Segment), count(store, Programme), count(store, Schedule), count(store, AuditLog))
    assert after == before


def test_wrong_types_and_unknown_fields_are_named(admin, store, starter):
    with store.sessions.begin() as s:
        prog = Programme(station_id=store.station(s).id, title="Có sẵn")
        s.add(prog)
        s.flush()
        pid = prog.id
    cases = [
        ("POST", "/api/v1/schedules", {"programme_id": "1"}, "programme_id", "số nguyên"),
        ("POST", "/api/v1/schedules", {"programme_id": True}, "programme_id", "số nguyên"),
        ("POST", "/api/v1/schedules", {"zone_ids": "1"}, "zone_ids", "danh sách số nguyên"),
        ("POST", "/api/v1/schedules", {"weekdays": [0, "1"]}, "weekdays", "danh sách số nguyên"),
        ("POST", "/api/v1/schedules", {"enabled": "yes"}, "enabled", "true hoặc false"),
        ("POST", "/api/v1/schedules", {"skip_dates": SKIP}, "skip_dates", "danh sách chuỗi"),
        ("POST", "/api/v1/schedules", {"name": {"a": 1}}, "name", "chuỗi chữ"),
        ("POST", "/api/v1/schedules", {"start_time": 530}, "start_time", "chuỗi chữ"),
        ("POST", "/api/v1/programmes", {"title": ["Tin"]}, "title", "chuỗi chữ"),
        ("POST", "/api/v1/programmes", {"titel": "Tin"}, "titel", "không dùng ở đây"),
        ("POST", f"/api/v1/programmes/{pid}/items", {"pause_s": "1,5"}, "pause_s", "phải là số"),
        ("POST", f"/api/v1/programmes/{pid}/items/1/move", {"step": 0.5}, "step", "số nguyên"),
        ("POST", f"/api/v1/segments/{starter['cchc_news']}/reject", {"comment": 5}, "comment", "chuỗi chữ"),
        ("PATCH", f"/api/v1/segments/{starter['cchc_news']}", {"chime_before": "có"}, "chime_before", "true"),
        ("POST", "/api/v1/control/stop", {"zone": 1}, "zone", "không dùng ở đây"),
        # Values of the right kind but out of every range: the services' own words, never a 500.
        (
            "POST",
            "/api/v1/schedules",
            {"programme_id": 10**15, "start_time": "05:30"},
            "programme_id",
            "chương trình",
        ),
        (
            "POST",
            f"/api/v1/programmes/{pid}/items",
            {"item_type": "segment", "segment_id": -(10**15)},
            "segment_id",
            "bản tin",
        ),
        (
            "POST",
            f"/api/v1/programmes/{pid}/items",
            {"item_type": "pause", "pause_s": 10**15},
            "pause_s",
            "Khoảng lặng",
        ),
    ]
    before = (count(store, Schedule), count(store, Programme), count(store, AuditLog))
    for method, url, body, field, words in cases:
        r = admin.api(method, url, json=body)
        assert r.status_code == 400, (url, body, r.status_code, r.get_data(as_text=True)[:300])
        got = r.get_json()
        assert got["truong"] == field and words in got["loi"], (body, got)
    assert (count(store, Schedule), count(store, Programme), count(store, AuditLog)) == before


def test_a_body_over_2_mb_is_refused_before_it_is_read(editor, store):
    raw = b'{"title": "Tin", "description": "' + b"a" * 2_100_000 + b'"}'
    r = editor.api("POST", "/api/v1/programmes", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "tối đa 2 MB" in r.get_json()["loi"]
    assert count(store, Programme) == 0


def test_an_empty_body_is_an_empty_object_and_form_posts_are_refused(editor, store):
    r = editor.api("POST", "/api/v1/programmes")
    assert r.status_code == 400 and r.get_json()["truong"] == "title"
    r = editor.api("POST", "/api/v1/programmes", data={"title": "Tin"})
    assert r.status_code == 400 and "application/json" in r.get_json()["loi"]
    assert count(store, Programme) == 0


def test_unknown_ids_and_methods_answer_json(editor, store):
    for method, url in (
        ("GET", "/api/v1/programmes/999"),
        ("PATCH", "/api/v1/programmes/999"),
        ("DELETE", "/api/v1/schedules/999"),
        ("POST", "/api/v1/segments/999/approve"),
        ("POST", "/api/v1/programmes/999/items"),
    ):
        r = editor.api(method, url, json={})
        assert r.status_code in (403, 404) and r.get_json()["loi"], (method, url)
    r = editor.api("PUT", "/api/v1/programmes")
    assert r.status_code == 405 and r.is_json


# ----------------------------------------------------------------------------- the document


def test_every_api_route_is_documented_with_its_body_and_roles(app, anon):
    doc = anon.get("/api/v1/openapi.json").get_json()
    assert doc == document()
    routed = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :]), m.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for m in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert routed == documented
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            view = app.view_functions[f"api.{op['operationId']}"]
            allowed = getattr(view, "allowed_roles", None)
            if allowed is None:
                assert op["security"] == [], path
                continue
            assert len(op["x-vai-tro"]) == len(allowed) and {"401", "403"} <= set(op["responses"])
            if method in ("post", "patch") and "requestBody" in op:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                assert schema["additionalProperties"] is False and schema["properties"]
                assert "400" in op["responses"]
            assert VIETNAMESE.search(op["summary"]), op["summary"]


def test_the_openapi_document_is_valid_openapi_3():
    from openapi_spec_validator import validate

    validate(document())  # raises, naming the place, on any departure from the OpenAPI 3.0 schema


def test_the_docs_page_is_local_vietnamese_and_linked_from_the_admin(app, anon, admin):
    r = anon.get("/api/v1/docs")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    doc = document()
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert f'id="{op["operationId"]}"' in html, op["operationId"]
            assert f"/api/v1{path}</code>" in html, path
    for tag in ("Bản tin", "Duyệt tin", "Chương trình", "Lịch phát"):
        assert f"<h2>{tag}</h2>" in html
    assert "Ví dụ" in html and "Authorization: Bearer" in html and "X-CSRFToken" in html
    assert "danh sách (số nguyên)" in html and "chuỗi chữ (ngày)" in html
    # Nothing fetched from elsewhere: every src and href stays on this server.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#")), url
    assert 'href="/api/v1/docs"' in admin.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert json.loads(anon.get("/api/v1/openapi.json").get_data())["info"]["title"]


#: API endpoint → the page that does the same thing: the roles must be the same.
SAME_AS_PAGE = {
    "segment_create": "segments.new",
    "segment_update": "segments.edit",
    "segment_submit": "segments.submit",
    "segment_archive": "segments.archive",
    "approvals": "approvals.index",
    "segment_approve": "approvals.decide",
    "segment_reject": "approvals.decide",
    "programmes": "programmes.index",
    "programme_create": "programmes.new",
    "programme_monthly": "programmes.monthly",
    "monthly_save": "programmes.monthly",
    "item_add": "programmes.add_item",
    "item_delete": "programmes.item_action",
    "item_move": "programmes.item_action",
    "programme_delete": "programmes.delete",
    "schedules": "schedules.list_",
    "schedule_create": "schedules.new",
    "schedule_check": "schedules.check",
    "schedule_update": "schedules.edit",
    "schedule_enable": "schedules.toggle",
    "schedule_disable": "schedules.toggle",
    "schedule_delete": "schedules.edit",
    "control_stop": "control.stop",
}


def test_the_api_grants_exactly_the_roles_of_the_matching_page(app):
    for api_name, page in SAME_AS_PAGE.items():
        api_roles = app.view_functions[f"api.{api_name}"].allowed_roles
        page_roles = app.view_functions[page].allowed_roles
        assert set(api_roles) == set(page_roles), (api_name, page)


def test_the_pages_listen_call_reads_json_as_safely_as_the_api(editor):
    """/ban-tin/nghe-thu takes JSON from the page's script: the same bad bodies, the same 400s."""
    for case in ("lone surrogate", "nested 5000 deep", "a string", "a list", "NaN", "not UTF-8"):
        raw, words = BAD_BODIES[case]
        r = editor.api("POST", "/ban-tin/nghe-thu", data=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.is_json, (case, r.status_code)
        assert VIETNAMESE.search(r.get_json()["loi"]), case
    r = editor.api("POST", "/ban-tin/nghe-thu", json={"body": 5})
    assert r.status_code == 400 and "chuỗi" in r.get_json()["loi"]
    r = editor.api("POST", "/ban-tin/nghe-thu", json={"body": "  "})
    assert r.status_code == 400 and "Chưa có nội dung" in r.get_json()["loi"]


def test_the_api_writes_the_same_audit_entries_as_the_pages(editor, store):
    """The same change made on a page and through the API leaves the same audit record."""
    from .conftest import schedule_form

    varying = {"id", "uid", "created_at", "updated_at", "programme_id", "name", "title", "start_time"}

    def last(entity: str) -> tuple:
        with store.sessions() as s:
            row = s.scalars(
                select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id.desc())
            ).first()
            after = {k: v for k, v in (row.after or {}).items() if k not in varying}
            return row.action, row.username, after

    assert editor.form("/chuong-trinh/moi", {"title": "Trên trang", "month": "12/2030"}).status_code == 302
    page = last("programme")
    pid = editor.api("POST", "/api/v1/programmes", json={"title": "Qua API", "month": "12/2030"}).get_json()[
        "id"
    ]
    assert last("programme") == page
    item = {"item_type": "segment", "segment_id": _approved(store)}
    assert editor.api("POST", f"/api/v1/programmes/{pid}/items", json=item).status_code == 201
    form = schedule_form(pid, start_date=SOON, name="Trang", start_time="06:00", enabled="1")
    assert editor.form("/lich-phat/moi", form).status_code == 302
    page = last("schedule")
    body = _schedule_body(pid, name="API", start_time="07:00", misfire_grace_s=600, window_minutes=30)
    assert editor.api("POST", "/api/v1/schedules", json=body).status_code == 201
    assert last("schedule") == page


def test_repeats_through_the_api(client_for, store):
    editor = client_for(Role.EDITOR)
    seg = _approved(store)
    prog = editor.api("POST", "/api/v1/programmes", json={"title": "Thông báo"}).get_json()["id"]
    editor.api("POST", f"/api/v1/programmes/{prog}/items", json={"item_type": "segment", "segment_id": seg})
    editor.api("POST", f"/api/v1/programmes/{prog}/items", json={"item_type": "pause", "pause_s": 60})
    bad = [
        ({"replay_count": 0}, "replay_count"),
        ({"replay_count": -1}, "replay_count"),
        ({"replay_count": 21, "replay_gap_s": 60}, "replay_count"),
        ({"replay_count": 3, "replay_gap_s": -60}, "replay_gap_s"),
        ({"replay_count": 3, "replay_gap_m": -1}, "replay_gap_s"),
        ({"replay_count": 3, "replay_gap_s": 30}, "replay_gap_s"),  # shorter than the programme
        ({"replay_count": 3, "replay_gap_m": 1}, "replay_gap_s"),
    ]
    for fields, field in bad:
        r = editor.api("POST", "/api/v1/schedules", json=_schedule_body(prog, window_minutes=60, **fields))
        assert r.status_code == 400, (fields, r.get_json())
        assert field in {e["truong"] for e in r.get_json()["cac_loi"]}, (fields, r.get_json())
    r = editor.api("POST", "/api/v1/schedules", json=_schedule_body(prog, replay_count="3"))
    assert r.status_code == 400 and r.get_json()["truong"] == "replay_count"  # a string is no number
    assert count(store, Schedule) == 0
    body = _schedule_body(prog, window_minutes=60, replay_count=3, replay_gap_m=2.5)
    r = editor.api("POST", "/api/v1/schedules", json=body)
    assert r.status_code == 201, r.get_json()
    sc = r.get_json()
    assert (sc["so_lan_phat"], sc["cach_nhau_s"], sc["cach_nhau_phut"]) == (3, 150, 2.5)
    r = editor.api("PATCH", f"/api/v1/schedules/{sc['id']}", json={"replay_gap_s": 120})
    assert r.status_code == 200 and r.get_json()["cach_nhau_s"] == 120
    r = editor.api("PATCH", f"/api/v1/schedules/{sc['id']}", json={"replay_on": "2030-02-31"})
    assert r.status_code == 400, r.get_json()
    assert "replay_on" in {e["truong"] for e in r.get_json()["cac_loi"]}, r.get_json()
    r = editor.api("PATCH", f"/api/v1/schedules/{sc['id']}", json={"replay_on": SOON})
    assert r.status_code == 200 and r.get_json()["phat_nhieu_lan_ngay"] == SOON, r.get_json()
    assert "(chỉ ngày" in r.get_json()["mo_ta"]
    r = editor.api("PATCH", f"/api/v1/schedules/{sc['id']}", json={"name": "Đổi tên"})
    assert r.status_code == 200, r.get_json()  # a PATCH keeps what it does not name
    assert editor.api("GET", f"/api/v1/schedules/{sc['id']}").get_json()["phat_nhieu_lan_ngay"] == SOON


def test_api_adds_a_relay_item_with_the_pages_rules(editor):
    r = editor.api("POST", "/api/v1/programmes", json={"title": "Tiếp sóng Đài huyện"})
    url = f"/api/v1/programmes/{r.get_json()['id']}"
    for body, field in (
        ({"item_type": "relay", "stream_url": "rtmp://x", "relay_min": 15}, "stream_url"),
        ({"item_type": "relay", "stream_url": "http://dai-huyen.vn/a.mp3", "relay_min": 0}, "relay_min"),
    ):
        r = editor.api("POST", f"{url}/items", json=body)
        assert r.status_code == 400 and r.get_json()["truong"] == field, r.get_json()
    body = {"item_type": "relay", "stream_url": "http://dai-huyen.vn/live.m3u8", "relay_min": 15}
    r = editor.api("POST", f"{url}/items", json=body)
    assert r.status_code == 201, r.get_json()
    (item,) = r.get_json()["muc"]
    assert item["loai"] == "relay" and item["luong_tiep_song"] == "http://dai-huyen.vn/live.m3u8"
    assert item["thoi_luong_ms"] == 900_000
    # A stream's password is never given back (the page and the audit trail hide it too).
    secret = "icecast://nghe:bi-mat@dai-huyen.vn:8000/cchc.mp3"
    body = {"item_type": "relay", "stream_url": secret, "relay_min": 5}
    r = editor.api("POST", f"{url}/items", json=body)
    assert r.status_code == 201 and "bi-mat" not in r.get_data(as_text=True)
    assert r.get_json()["muc"][1]["luong_tiep_song"] == "icecast://nghe:***@dai-huyen.vn:8000/cchc.mp3"
    assert item["phat_thay"] is None and item["ban_tin_phat_thay"] is None  # the station's choice


def test_api_sets_a_relay_items_fallback_with_the_pages_rules(editor, store):
    r = editor.api("POST", "/api/v1/programmes", json={"title": "Tiếp sóng có phát thay"})
    url = f"/api/v1/programmes/{r.get_json()['id']}/items"
    relay = {"item_type": "relay", "stream_url": "http://dai-huyen.vn/a.mp3", "relay_min": 15}
    draft = make_segment(store, title="Tin nháp")
    ready = make_segment(store, title="Nhạc chờ", status=SegmentStatus.APPROVED)
    for bad, field in (
        ({"fallback": "nhac"}, "fallback"),
        ({"fallback": "item"}, "fallback_segment_id"),
        ({"fallback": "item", "fallback_segment_id": draft}, "fallback_segment_id"),
    ):
        r = editor.api("POST", url, json=relay | bad)
        assert r.status_code == 400 and r.get_json()["truong"] == field, r.get_json()
    r = editor.api("POST", url, json=relay | {"fallback": "item", "fallback_segment_id": ready})
    assert r.status_code == 201, r.get_json()
    r = editor.api("POST", url, json=relay | {"fallback": "next"})
    first, second = r.get_json()["muc"]
    assert (first["phat_thay"], first["ban_tin_phat_thay"]) == ("item", ready)
    assert (second["phat_thay"], second["ban_tin_phat_thay"]) == ("next", None)
    change = f"{url}/{second['id']}/fallback"
    r = editor.api("POST", change, json={"fallback": "item", "fallback_segment_id": draft})
    assert r.status_code == 400 and r.get_json()["truong"] == "fallback_segment_id", r.get_json()
    r = editor.api("POST", change, json={"fallback": "item", "fallback_segment_id": ready})
    assert r.status_code == 200 and r.get_json()["muc"][1]["ban_tin_phat_thay"] == ready, r.get_json()
