"""Segments and their approval: forms validated in Vietnamese, nothing half-saved, escaping,
ownership, the approval workflow (no self-approval), the audit trail, listen-before-saving."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime

from sqlalchemy import select

from broadcaster.models import AuditLog, Segment, SegmentStatus

from .conftest import count, make_segment, user_id


def _seg(store, sid: int) -> Segment:
    with store.sessions() as s:
        return s.get(Segment, sid)


def test_new_segment_form_validates_each_field_in_vietnamese(editor, store):
    before = count(store, Segment)
    cases = [
        ({"title": "", "body": "Nội dung", "kind": "cchc_news"}, "title"),
        ({"title": "Tin", "body": "", "kind": "cchc_news"}, "body"),
        ({"title": "Tin", "body": "Nội dung", "kind": "khong-co"}, "kind"),
        ({"title": "Tin", "body": "Nội dung", "kind": "cchc_news", "area": "sai"}, "area"),
        ({"title": "Tin", "body": "Nội dung", "kind": "cchc_news", "valid_from": "32/13/2025"}, "valid_from"),
        (
            {
                "title": "Tin",
                "body": "Nội dung",
                "kind": "cchc_news",
                "valid_from": "2025-05-02",
                "valid_to": "2025-05-01",
            },
            "valid_to",
        ),
    ]
    for data, field in cases:
        r = editor.form("/ban-tin/moi", data)
        assert r.status_code == 400, (field, r.status_code)
        html = r.get_data(as_text=True)
        m = re.search(rf'<p class="field-error" role="alert" id="err-{field}">([^<]+)</p>', html)
        assert m, (field, re.findall(r'class="field-error"[^>]*>([^<]+)<', html))
        assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", m.group(1).lower())
        # The typed text is still there.
        if data["title"]:
            assert 'value="Tin"' in html
    assert count(store, Segment) == before


def test_html_in_titles_and_texts_is_shown_escaped(editor, approver, store):
    evil = '<script>alert("x")</script>'
    r = editor.form("/ban-tin/moi", {"title": f"Tin {evil}", "body": f"Nội dung {evil}", "kind": "cchc_news"})
    assert r.status_code == 302
    sid = int(r.headers["Location"].rsplit("/", 1)[1])
    for c, url in ((editor, f"/ban-tin/{sid}"), (editor, "/ban-tin/"), (editor, f"/ban-tin/{sid}/sua")):
        html = c.get(url).get_data(as_text=True)
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;" in html, url
    # The lone "x" looks like a damaged word: the writer confirms it is meant.
    editor.form(f"/ban-tin/{sid}/gui-duyet", {"van_gui": "1"})
    html = approver.get("/duyet/").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_search_and_filters(editor, store):
    make_segment(store, title="Đăng ký khai sinh trực tuyến", body="Khai sinh qua mạng.", kind="procedure")
    make_segment(store, title="Gương người tốt", body="Ông Ba giúp hàng xóm.", kind="good_example")
    make_segment(store, title="Tin đã duyệt", status=SegmentStatus.APPROVED)

    def titles(qs: str) -> set[str]:
        html = editor.get("/ban-tin/" + qs).get_data(as_text=True)
        return set(re.findall(r'<a href="/ban-tin/\d+">([^<]+)</a>', html))

    assert titles("?q=khai+sinh") == {"Đăng ký khai sinh trực tuyến"}
    assert titles("?loai=good_example") == {"Gương người tốt"}
    assert titles("?trang_thai=approved") == {"Tin đã duyệt"}
    assert "Gương người tốt" in titles("?thang=" + _this_month())
    assert titles("?thang=2001-01") == set()
    r = editor.get("/ban-tin/?thang=tháng-sai")
    assert r.status_code == 400


def test_month_filter_follows_the_last_change_the_list_shows(editor, app, store):
    sid = make_segment(store, title="Viết tháng trước, sửa tháng này")
    with store.sessions.begin() as s:
        s.get(Segment, sid).created_at = datetime(2001, 1, 15, tzinfo=UTC)  # written long ago
    month = _this_month()
    html = editor.get("/ban-tin/?thang=" + month).get_data(as_text=True)
    assert "Viết tháng trước, sửa tháng này" in html
    assert "Viết tháng trước" not in editor.get("/ban-tin/?thang=2001-01").get_data(as_text=True)
    # The API takes the month the way an officer types it, as the page does.
    y, m = month.split("-")
    data = editor.api("GET", f"/api/v1/segments?month={m}/{y}").get_json()
    assert sid in [x["id"] for x in data["ban_tin"]]


def _this_month() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m")


def test_editor_edits_only_own_drafts(client_for, editor, store):
    mine = make_segment(store, author="bientap")
    theirs = make_segment(store, author="bientap2")
    assert editor.get(f"/ban-tin/{mine}/sua").status_code == 200
    assert editor.get(f"/ban-tin/{theirs}/sua").status_code == 403
    r = editor.form(f"/ban-tin/{theirs}/sua", {"title": "Chiếm", "body": "x", "kind": "cchc_news"})
    assert r.status_code == 403
    assert _seg(store, theirs).title == "Tin thử"
    r = editor.form(f"/ban-tin/{theirs}/gui-duyet")
    assert _seg(store, theirs).status == SegmentStatus.DRAFT


def test_editor_to_approver_flow_with_audit(editor, approver, admin, store):
    r = editor.form(
        "/ban-tin/moi", {"title": "Lịch tiếp dân", "body": "Chủ tịch tiếp dân thứ Năm.", "kind": "cchc_news"}
    )
    sid = int(r.headers["Location"].rsplit("/", 1)[1])
    assert _seg(store, sid).status == SegmentStatus.DRAFT
    editor.form(f"/ban-tin/{sid}/gui-duyet")
    assert _seg(store, sid).status == SegmentStatus.SUBMITTED
    assert "Lịch tiếp dân" in approver.get("/duyet/").get_data(as_text=True)
    # Returning needs a reason, said next to the segment.
    r = approver.form(f"/duyet/{sid}", {"action": "reject", "comment": ""})
    assert r.status_code == 400 and "Hãy ghi lý do trả lại" in r.get_data(as_text=True)
    assert _seg(store, sid).status == SegmentStatus.SUBMITTED
    approver.form(f"/duyet/{sid}", {"action": "reject", "comment": "Ghi rõ giờ tiếp dân."})
    seg = _seg(store, sid)
    assert seg.status == SegmentStatus.REJECTED and seg.review_comment == "Ghi rõ giờ tiếp dân."
    editor.form(
        f"/ban-tin/{sid}/sua", {"title": "Lịch tiếp dân", "body": "Thứ Năm, 8 giờ sáng.", "kind": "cchc_news"}
    )
    editor.form(f"/ban-tin/{sid}/gui-duyet")
    r = approver.form(f"/duyet/{sid}", {"action": "approve", "comment": "Đồng ý"})
    assert r.status_code == 302
    assert _seg(store, sid).status == SegmentStatus.APPROVED
    # Editing an approved text sends it back to draft.
    r = editor.form(
        f"/ban-tin/{sid}/sua", {"title": "Lịch tiếp dân", "body": "Thứ Sáu.", "kind": "cchc_news"}
    )
    assert _seg(store, sid).status == SegmentStatus.DRAFT
    with store.sessions() as s:
        rows = list(
            s.scalars(
                select(AuditLog)
                .where(AuditLog.entity == "segment", AuditLog.entity_id == str(sid))
                .order_by(AuditLog.id)
            )
        )
    actions = [(a.username, a.action) for a in rows]
    assert (
        ("bientap", "create") in actions
        and ("lanhdao", "approve") in actions
        and ("lanhdao", "reject") in actions
    )
    approve_row = next(a for a in rows if a.action == "approve")
    assert approve_row.before["status"] == "submitted" and approve_row.after["status"] == "approved"
    assert approve_row.at is not None
    edit_row = [a for a in rows if a.action not in ("create", "submit", "approve", "reject")][-1]
    assert edit_row.before["body"] == "Thứ Năm, 8 giờ sáng." and edit_row.after["body"] == "Thứ Sáu."
    # The admin sees it on the audit page, with before and after.
    html = admin.get("/quan-tri/nhat-ky-thay-doi?doi_tuong=segment").get_data(as_text=True)
    assert "lanhdao" in html and "<td>Duyệt</td>" in html and "Bản tin" in html
    assert "Thứ Sáu." in html and "Thứ Năm, 8 giờ sáng." in html


def test_nobody_approves_their_own_work(admin, store):
    r = admin.form("/ban-tin/moi", {"title": "Tin của quản trị", "body": "Nội dung.", "kind": "cchc_news"})
    sid = int(r.headers["Location"].rsplit("/", 1)[1])
    admin.form(f"/ban-tin/{sid}/gui-duyet")
    r = admin.form(f"/duyet/{sid}", {"action": "approve"})
    assert r.status_code == 400
    assert "Không được tự duyệt tin do chính mình viết." in r.get_data(as_text=True)
    assert _seg(store, sid).status == SegmentStatus.SUBMITTED
    r = admin.form(f"/duyet/{sid}", {"action": "reject", "comment": "tự trả"})
    assert r.status_code == 400 and _seg(store, sid).status == SegmentStatus.SUBMITTED


def test_procedure_form_produces_editable_text(editor, store):
    r = editor.form("/ban-tin/thu-tuc", {"procedure_name": ""})
    assert r.status_code == 400 and "Hãy nhập tên thủ tục." in r.get_data(as_text=True)
    before = count(store, Segment)
    r = editor.form(
        "/ban-tin/thu-tuc",
        {
            "procedure_name": "Đăng ký khai sinh",
            "who": "Cha, mẹ của trẻ",
            "documents": "Tờ khai\nGiấy chứng sinh",
            "where": "Bộ phận một cửa UBND xã",
            "online": "1",
            "time_limit": "Trong ngày",
            "fee": "",
        },
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="segment-form"' in html  # the ordinary segment form, prefilled and editable
    body = re.search(r'<textarea id="f-body" name="body"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    # The typed capital is made small where the name goes mid-sentence, in the text and the title.
    assert "hướng dẫn thủ tục đăng ký khai sinh." in body and "thủ tục Đăng ký" not in body
    assert 'value="Hướng dẫn thủ tục đăng ký khai sinh"' in html
    for part in (
        "Cha, mẹ của trẻ",
        "Giấy chứng sinh",
        "một cửa",
        "dichvucong.gov.vn",
        "Trong ngày",
    ):
        assert part in body, part
    assert "không mất lệ phí" in body  # no fee
    assert count(store, Segment) == before  # nothing saved until the officer presses Lưu


def test_preview_is_rendered_by_the_worker_never_in_the_request(
    editor, store, config, render_worker, tmp_path
):
    """«Nghe thử» queues the words for the render worker (a real ``broadcaster worker``) and the
    page follows the job; with no worker the page says so in Vietnamese and queues nothing."""
    import time

    from broadcaster.audio import enqueue_preview, worker_running
    from broadcaster.models import RenderJob

    def follow(url: str) -> dict:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            data = editor.get(url).get_json()
            if data["trang_thai"] in ("done", "failed") or data.get("loi"):
                return data
            time.sleep(0.1)
        raise AssertionError("the preview job did not finish")

    r = editor.api("POST", "/ban-tin/nghe-thu", json={"body": "Xin chào bà con."})
    assert r.status_code == 503 and "broadcaster-worker) đang không chạy" in r.get_json()["loi"]
    assert count(store, RenderJob) == 0
    worker = render_worker()
    deadline = time.monotonic() + 60
    while not worker_running(config.data_dir):
        assert worker.poll() is None and time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.05)
    r = editor.api("POST", "/ban-tin/nghe-thu", json={"body": "Xin chào bà con."})
    assert r.status_code == 202, r.get_data(as_text=True)
    assert "thoi_luong_ms" not in r.get_json()  # nothing rendered while the request ran
    data = follow(r.get_json()["url"])
    assert data["trang_thai"] == "done" and data["thoi_luong_ms"] > 300, data
    with store.sessions() as s:
        assert s.get(RenderJob, r.get_json()["job"]).worker_pid == worker.pid  # the worker made it
    audio = editor.get(data["url"])
    assert audio.status_code == 200 and audio.mimetype.startswith("audio/")
    f = tmp_path / ("p." + data["url"].rsplit(".", 1)[1])
    f.write_bytes(audio.data)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,duration", "-of", "json", str(f)],
        capture_output=True,
        check=True,
        text=True,
    )
    stream = json.loads(probe.stdout)["streams"][0]
    assert stream["codec_type"] == "audio" and float(stream["duration"]) > 0.3
    r = editor.api("POST", "/ban-tin/nghe-thu", json={"body": "  "})
    assert r.status_code == 400 and r.get_json()["loi"] == "Chưa có nội dung để nghe thử."
    # The worker stops with a preview still queued: the page is told, it does not wait forever.
    worker.terminate()
    worker.wait(timeout=30)
    assert not worker_running(config.data_dir)
    with store.sessions.begin() as s:
        job_id = enqueue_preview(s, store.station(s).id, "Bà con chú ý.").id
    data = editor.get(f"/ban-tin/nghe-thu/viec/{job_id}.json").get_json()
    assert data["trang_thai"] == "queued" and "đang không chạy" in data["loi"]


def test_form_page_has_the_preview_controls(editor):
    html = editor.get("/ban-tin/moi").get_data(as_text=True)
    assert 'id="btn-preview"' in html and 'data-url="/ban-tin/nghe-thu"' in html
    assert 'id="preview-audio"' in html and 'id="preview-status"' in html


def test_segment_author_is_recorded(editor, store):
    r = editor.form("/ban-tin/moi", {"title": "Tin", "body": "Nội dung", "kind": "hotline"})
    sid = int(r.headers["Location"].rsplit("/", 1)[1])
    assert _seg(store, sid).author_id == user_id(store, "bientap")
