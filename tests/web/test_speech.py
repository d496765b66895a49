"""The segment editor's "đọc thử thành chữ", pronunciation entries added from it, and damaged text
caught before it airs: marked on the segment page, a confirm before submitting, a warning and a
confirm in the approval queue, and the same through the API. Real Flask app over a real SQLite
station."""

from __future__ import annotations

import html as htmllib
import re

from sqlalchemy import select

from broadcaster.models import AuditLog, Pronunciation, Role, SegmentStatus
from broadcaster.web.api import document

from .conftest import count, make_segment
from .test_segments import _seg

DAMAGED = "UBND x Tân Hòa thông báo KE HOACH tiêm chủng n m 2024, ti€u chuẩn mới."
CLEAN = "Ủy ban nhân dân xã thông báo lịch tiêm chủng ngày 05/3/2024 tại Trạm Y tế xã."


def _marks(page: str) -> list[tuple[str, str]]:
    """Return (reason, text) of every marked place on a page."""
    found = re.findall(r'<mark class="suspect" title="([^"]+)">([^<]*)</mark>', page)
    return [(htmllib.unescape(r), htmllib.unescape(t)) for r, t in found]


def test_spoken_text_and_damaged_places_come_back_as_json(editor):
    r = editor.api("POST", "/ban-tin/doc-thu-chu", json={"body": CLEAN})
    assert r.status_code == 200, r.get_data(as_text=True)
    data = r.get_json()
    assert data["so_cho_nghi"] == 0 and data["loi"] is None
    assert "ngày năm tháng ba năm hai nghìn không trăm hai mươi tư" in data["doc"]
    assert "".join(t for t, _ in data["manh"]) == CLEAN

    data = editor.api("POST", "/ban-tin/doc-thu-chu", json={"body": DAMAGED}).get_json()
    marked = [(t, r) for t, r in data["manh"] if r]
    assert ("KE HOACH", "thiếu dấu thanh") in marked and ("ti€u", "chữ lạ do lỗi phông") in marked
    assert ("x", "chữ cái đứng riêng") in marked
    assert "".join(t for t, _ in data["manh"]) == DAMAGED  # offsets kept: nothing lost or doubled
    assert data["so_cho_nghi"] == len(marked) == len(data["cho_nghi"])
    assert data["cho_nghi"][0].startswith("dòng 1, cột 6: «x»")

    r = editor.api("POST", "/ban-tin/doc-thu-chu", json={"body": "   "})
    assert r.status_code == 400 and r.get_json()["loi"] == "Chưa có nội dung để đọc thử."
    r = editor.api("POST", "/ban-tin/doc-thu-chu", json={"body": ["không", "phải", "chữ"]})
    assert r.status_code == 400


def test_edit_form_shows_spoken_text_beside_the_written_one(editor, store):
    sid = make_segment(store, body=DAMAGED)
    page = editor.get(f"/ban-tin/{sid}/sua").get_data(as_text=True)
    assert "Đọc thử thành chữ" in page and 'id="spoken-text"' in page
    spoken = re.search(r'id="spoken-text">(.*?)</div>', page, re.S).group(1)
    assert "tân hòa thông báo" in htmllib.unescape(spoken)
    assert ("thiếu dấu thanh", "KE HOACH") in _marks(page)
    warning = re.search(r'<div [^>]*id="speech-warning"[^>]*>', page).group(0)
    assert "hidden" not in warning  # shown
    assert "hidden" in re.search(r'<div [^>]*id="speech-warning"[^>]*>',
                                 editor.get(f"/ban-tin/{make_segment(store, body=CLEAN)}/sua")
                                 .get_data(as_text=True)).group(0)
    # An editor may not change the dictionary: no button, a pointer to the admin instead.
    assert 'id="btn-pron"' not in page and "Nhờ quản trị viên" in page


def test_admin_adds_a_pronunciation_from_the_editor_and_the_spoken_text_follows(admin, editor, store):
    body = "Hội nghị tổ chức tại nhà văn hóa Buôn Đôn."
    before = admin.api("POST", "/ban-tin/doc-thu-chu", json={"body": body}).get_json()["doc"]
    assert "buôn đôn" in before.lower()
    page = admin.get("/ban-tin/moi").get_data(as_text=True)
    assert 'id="btn-pron"' in page and 'data-url="/ban-tin/cach-doc"' in page
    r = admin.api("POST", "/ban-tin/cach-doc", json={"term": "Buôn Đôn", "spoken": "buôn đôn đắc lắc",
                                                       "body": body})
    assert r.status_code == 200, r.get_data(as_text=True)
    data = r.get_json()
    assert data["da_luu"] == "Đã lưu cách đọc «Buôn Đôn» → «buôn đôn đắc lắc»."
    assert "buôn đôn đắc lắc" in data["doc"].lower()
    assert count(store, Pronunciation) == 1
    # The same rules as the dictionary page: a term once per station, in Vietnamese, nothing saved.
    # (The check folds Vietnamese capitals: SQLite's lower() alone let "buôn đôn" through to a 500.)
    for again in ("Buôn Đôn", "buôn đôn", "BUÔN ĐÔN"):
        r = admin.api("POST", "/ban-tin/cach-doc", json={"term": again, "spoken": "khác", "body": body})
        assert r.status_code == 400 and r.get_json()["loi"] == f"Từ «{again}» đã có trong từ điển."
    r = admin.api("POST", "/ban-tin/cach-doc", json={"term": "Zalo", "spoken": ""})
    assert r.status_code == 400 and r.get_json()["truong"] == "spoken"
    # An editor is refused, as on the dictionary page.
    r = editor.api("POST", "/ban-tin/cach-doc", json={"term": "Zalo", "spoken": "da lô"})
    assert r.status_code == 403
    assert count(store, Pronunciation) == 1


def test_damaged_text_is_marked_and_needs_a_confirm_before_submitting(editor, store):
    sid = make_segment(store, body=DAMAGED)
    page = editor.get(f"/ban-tin/{sid}").get_data(as_text=True)
    assert ("chữ lạ do lỗi phông", "ti€u") in _marks(page)
    assert 'name="van_gui"' in page
    r = editor.form(f"/ban-tin/{sid}/gui-duyet", {})
    assert r.status_code == 302
    assert _seg(store, sid).status == SegmentStatus.DRAFT  # not sent
    page = editor.get(f"/ban-tin/{sid}").get_data(as_text=True)
    assert "Chưa gửi duyệt: văn bản có 4 chỗ nghi bị lỗi chữ" in htmllib.unescape(page)
    editor.form(f"/ban-tin/{sid}/gui-duyet", {"van_gui": "1"})
    assert _seg(store, sid).status == SegmentStatus.SUBMITTED
    # Clean text goes straight through, with no extra box.
    clean = make_segment(store, body=CLEAN)
    page = editor.get(f"/ban-tin/{clean}").get_data(as_text=True)
    assert 'name="van_gui"' not in page and "<mark" not in page
    editor.form(f"/ban-tin/{clean}/gui-duyet", {})
    assert _seg(store, clean).status == SegmentStatus.SUBMITTED


def test_approver_sees_the_warning_and_must_confirm_to_approve(approver, store):
    bad = make_segment(store, body=DAMAGED, title="Tin hỏng", status=SegmentStatus.SUBMITTED)
    good = make_segment(store, body=CLEAN, title="Tin sạch", status=SegmentStatus.SUBMITTED)
    page = approver.get("/duyet/").get_data(as_text=True)
    card = page[page.index(f'id="seg-{bad}"'):page.index(f'id="seg-{good}"')]
    assert "Cảnh báo: văn bản có chỗ nghi bị lỗi chữ (4 chỗ)" in card
    assert ("thiếu dấu thanh", "KE HOACH") in _marks(card) and 'name="van_duyet"' in card
    other = page[page.index(f'id="seg-{good}"'):]
    assert "Cảnh báo" not in other and 'name="van_duyet"' not in other
    r = approver.form(f"/duyet/{bad}", {"action": "approve"})
    assert r.status_code == 400
    assert "Chưa duyệt: văn bản có 4 chỗ nghi bị lỗi chữ" in htmllib.unescape(r.get_data(as_text=True))
    assert _seg(store, bad).status == SegmentStatus.SUBMITTED
    r = approver.form(f"/duyet/{bad}", {"action": "approve", "van_duyet": "1"})
    assert r.status_code == 302 and _seg(store, bad).status == SegmentStatus.APPROVED
    r = approver.form(f"/duyet/{good}", {"action": "approve"})
    assert r.status_code == 302 and _seg(store, good).status == SegmentStatus.APPROVED


def _actions(store, sid: int) -> list[str]:
    with store.sessions() as s:
        return list(s.scalars(select(AuditLog.action).where(AuditLog.entity == "segment",
                                                            AuditLog.entity_id == str(sid))))


def test_the_api_asks_for_the_same_damage_confirmation_as_the_pages(client_for, store):
    editor, other, boss = client_for("bientap"), client_for("bientap2"), client_for(Role.APPROVER)
    bad = make_segment(store, body=DAMAGED, title="Tin hỏng")
    url = f"/api/v1/segments/{bad}"
    shown = editor.api("GET", url).get_json()
    assert shown["so_cho_nghi"] == 4 and shown["cho_nghi"][0] == "dòng 1, cột 6: «x» (chữ cái đứng riêng)"
    # The content rule speaks first: not the writer's own segment is a 403, not a damage warning.
    assert other.api("POST", f"{url}/submit").status_code == 403
    for body in (None, {}, {"confirm_damage": False}):
        r = editor.api("POST", f"{url}/submit", json=body)
        err = r.get_json()
        assert r.status_code == 409 and err["truong"] == "confirm_damage", err
        assert err["loi"].startswith("Chưa gửi duyệt: văn bản có 4 chỗ nghi bị lỗi chữ: "
                                     "dòng 1, cột 6: «x» (chữ cái đứng riêng); ")
        assert "«KE HOACH» (thiếu dấu thanh)" in err["loi"] and "«ti€u» (chữ lạ do lỗi phông)" in err["loi"]
        assert '"confirm_damage": true' in err["loi"]
        assert err["so_cho_nghi"] == 4 and err["cho_nghi"] == shown["cho_nghi"]
    r = editor.api("POST", f"{url}/submit", json={"confirm_damage": "có"})
    assert r.status_code == 400 and r.get_json()["truong"] == "confirm_damage"
    assert _seg(store, bad).status == SegmentStatus.DRAFT and _actions(store, bad) == ["create"]
    r = editor.api("POST", f"{url}/submit", json={"confirm_damage": True})
    assert r.status_code == 200 and r.get_json()["trang_thai"] == "submitted"

    # The approver sees the warning in the queue and must confirm too.
    clean = make_segment(store, body=CLEAN, title="Tin sạch", status=SegmentStatus.SUBMITTED)
    queue = {x["id"]: x for x in boss.api("GET", "/api/v1/approvals").get_json()["cho_duyet"]}
    assert queue[bad]["so_cho_nghi"] == 4 and queue[bad]["cho_nghi"] == shown["cho_nghi"]
    assert queue[clean]["so_cho_nghi"] == 0 and queue[clean]["cho_nghi"] == []
    r = boss.api("POST", f"{url}/approve", json={"comment": "Đồng ý phát."})
    assert r.status_code == 409 and r.get_json()["loi"].startswith("Chưa duyệt: văn bản có 4 chỗ nghi")
    assert _seg(store, bad).status == SegmentStatus.SUBMITTED and "approve" not in _actions(store, bad)
    r = boss.api("POST", f"{url}/approve", json={"comment": "Đồng ý phát.", "confirm_damage": True})
    assert r.status_code == 200 and r.get_json()["trang_thai"] == "approved"
    assert _actions(store, bad) == ["create", "submit", "approve"]
    # Clean text goes straight through, as on the pages.
    r = boss.api("POST", f"/api/v1/segments/{clean}/approve", json={})
    assert r.status_code == 200 and r.get_json()["trang_thai"] == "approved"

    # The document says so.
    ops = document()["paths"]
    for path, verb in (("/segments/{segment_id}/submit", "Vẫn gửi duyệt"),
                       ("/segments/{segment_id}/approve", "Vẫn duyệt")):
        op = ops[path]["post"]
        props = op["requestBody"]["content"]["application/json"]["schema"]["properties"]
        assert props["confirm_damage"]["type"] == "boolean" and "confirm_damage" in op["description"]
        assert verb in op["description"] and "409" in op["responses"]


def test_unusable_bodies_get_a_vietnamese_answer_not_a_500(admin):
    for url in ("/ban-tin/doc-thu-chu", "/ban-tin/cach-doc"):
        for raw in (b'"\\ud800"', b"[1, 2]", b"{not json", b"[" * 5000):
            r = admin.api("POST", url, data=raw, content_type="application/json")
            assert r.status_code == 400 and r.get_json()["loi"], (url, raw[:10], r.status_code)
    r = admin.api("POST", "/ban-tin/doc-thu-chu", json={"body": "x" * 20_001})
    assert r.status_code == 400 and r.get_json()["loi"] == "Đọc thử tối đa 20.000 ký tự một lần."
