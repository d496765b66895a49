"""Every route × every role (and anonymous): who gets the page, who gets 403, who goes to sign in.

The table is checked against app.url_map both ways: a new route (or method) without an expectation
here fails, and so does an expectation for a route that no longer exists. Where a view carries the
``allowed_roles`` of the ``roles()`` decorator, it must agree with the table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from broadcaster import content, rules
from broadcaster.audio import render_segment
from broadcaster.models import (
    ItemType,
    Offer,
    Origin,
    Programme,
    ProgrammeItem,
    Recurrence,
    RenderJob,
    Role,
    Schedule,
    SegmentStatus,
    User,
)
from broadcaster.reports import ensure_ics_token

from .conftest import make_segment, schedule_form

A, E, P, OP = Role.ADMIN, Role.EDITOR, Role.APPROVER, Role.OPERATOR
ALL = frozenset({A, E, P, OP})
PUBLIC = "public"  # no sign-in needed
READERS = frozenset({A, E, P})
WRITERS = frozenset({A, E})
OPS = frozenset({A, OP})

#: (endpoint, method) → the roles that may use it (PUBLIC: everybody, signed in or not).
EXPECT: dict[tuple[str, str], frozenset | str] = {
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.logout", "POST"): PUBLIC,
    ("static", "GET"): PUBLIC,
    ("api.openapi", "GET"): PUBLIC,
    ("reports.calendar_feed", "GET"): PUBLIC,  # the secret token in the URL is the key
    ("dashboard.index", "GET"): ALL,
    ("dashboard.status_json", "GET"): ALL,
    ("segments.index", "GET"): READERS,
    ("segments.new", "GET"): WRITERS,
    ("segments.new", "POST"): WRITERS,
    ("segments.view", "GET"): READERS,
    ("segments.edit", "GET"): WRITERS,
    ("segments.edit", "POST"): WRITERS,
    ("segments.submit", "POST"): WRITERS,
    ("segments.archive", "POST"): WRITERS,
    ("segments.render", "POST"): READERS,
    ("segments.audio", "GET"): ALL,
    ("segments.preview", "POST"): READERS,
    ("segments.preview_job", "GET"): READERS,
    ("segments.preview_audio", "GET"): READERS,
    ("segments.spoken", "POST"): READERS,
    ("segments.add_pronunciation", "POST"): frozenset({A}),
    ("segments.procedure", "GET"): WRITERS,
    ("segments.procedure", "POST"): WRITERS,
    ("approvals.index", "GET"): frozenset({A, P}),
    ("approvals.decide", "POST"): frozenset({A, P}),
    ("offers.index", "GET"): frozenset({A, P}),
    ("offers.decide", "POST"): frozenset({A, P}),
    ("offers.audio", "GET"): frozenset({A, P}),
    ("programmes.index", "GET"): READERS,
    ("programmes.new", "GET"): WRITERS,
    ("programmes.new", "POST"): WRITERS,
    ("programmes.edit", "GET"): READERS,
    ("programmes.edit", "POST"): WRITERS,
    ("programmes.add_item", "POST"): WRITERS,
    ("programmes.item_action", "POST"): WRITERS,
    ("programmes.delete", "POST"): WRITERS,
    ("programmes.render", "POST"): READERS,
    ("programmes.job", "GET"): READERS,
    ("programmes.monthly", "GET"): WRITERS,
    ("programmes.monthly", "POST"): WRITERS,
    ("schedules.index", "GET"): ALL,
    ("schedules.list_", "GET"): ALL,
    ("schedules.new", "GET"): READERS,
    ("schedules.new", "POST"): READERS,
    ("schedules.edit", "GET"): READERS,
    ("schedules.edit", "POST"): READERS,
    ("schedules.check", "POST"): READERS,
    ("schedules.toggle", "POST"): READERS,
    ("asrun.index", "GET"): ALL,
    ("asrun.export", "GET"): ALL,
    ("uploads.index", "GET"): WRITERS,
    ("uploads.index", "POST"): WRITERS,
    ("uploads.play", "GET"): WRITERS,
    ("control.index", "GET"): OPS,
    ("control.play_now", "POST"): OPS,
    ("control.live", "POST"): OPS,
    ("control.stop", "POST"): OPS,
    ("control.emergency", "POST"): OPS,
    ("admin.users", "GET"): frozenset({A}),
    ("admin.users", "POST"): frozenset({A}),
    ("admin.user", "GET"): frozenset({A}),
    ("admin.user", "POST"): frozenset({A}),
    ("admin.token_new", "POST"): frozenset({A}),
    ("admin.token_revoke", "POST"): frozenset({A}),
    ("admin.unlock", "POST"): frozenset({A}),
    ("admin.zones", "GET"): frozenset({A}),
    ("admin.zones", "POST"): frozenset({A}),
    ("admin.settings", "GET"): frozenset({A}),
    ("admin.settings", "POST"): frozenset({A}),
    ("admin.pronunciations", "GET"): frozenset({A}),
    ("admin.pronunciations", "POST"): frozenset({A}),
    ("admin.audit", "GET"): frozenset({A}),
    ("api.segments", "GET"): READERS,
    ("api.segment_create", "POST"): WRITERS,
    ("api.segment", "GET"): READERS,
    ("api.programmes", "GET"): READERS,
    ("api.programme", "GET"): READERS,
    ("api.schedules", "GET"): ALL,
    ("api.asrun", "GET"): ALL,
    ("api.status", "GET"): ALL,
    ("api.control_stop", "POST"): OPS,
    ("api.docs", "GET"): PUBLIC,
    ("api.segment_update", "PATCH"): WRITERS,
    ("api.segment_submit", "POST"): WRITERS,
    ("api.segment_archive", "POST"): WRITERS,
    ("api.approvals", "GET"): frozenset({A, P}),
    ("api.segment_approve", "POST"): frozenset({A, P}),
    ("api.segment_reject", "POST"): frozenset({A, P}),
    ("api.programme_create", "POST"): WRITERS,
    ("api.programme_monthly", "GET"): WRITERS,
    ("api.monthly_save", "POST"): WRITERS,
    ("api.programme_update", "PATCH"): WRITERS,
    ("api.programme_delete", "DELETE"): WRITERS,
    ("api.item_add", "POST"): WRITERS,
    ("api.item_delete", "DELETE"): WRITERS,
    ("api.item_move", "POST"): WRITERS,
    ("api.item_fallback", "POST"): WRITERS,
    ("api.schedule", "GET"): ALL,
    ("api.schedule_check", "POST"): READERS,
    ("api.zones", "GET"): ALL,
    ("api.schedule_create", "POST"): READERS,
    ("api.schedule_update", "PATCH"): READERS,
    ("api.schedule_enable", "POST"): READERS,
    ("api.schedule_disable", "POST"): READERS,
    ("api.schedule_delete", "DELETE"): READERS,
    ("reports.index", "GET"): frozenset({A, P}),
    ("reports.export", "GET"): frozenset({A, P}),
    ("reports.export", "POST"): frozenset({A, P}),
    ("reports.logbook", "GET"): ALL,
    ("reports.logbook_print", "GET"): ALL,
    ("reports.logbook_docx", "GET"): ALL,
    ("reports.calendar", "GET"): ALL,
    ("reports.calendar", "POST"): ALL,
}

#: Routes answered by a redirect even for an allowed role, on GET.
GET_REDIRECTS = {"auth.login"}  # a signed-in user is sent on to the dashboard
#: Query strings a GET needs to be a complete request.
QUERY = {"reports.export": {"format": "csv"}}
#: The fifth failed sign-in from one address locks it (429): the matrix makes five.
STATUS_ALSO = {("auth.login", "POST"): {429}}
#: POSTs that change something for good: each request gets its own fresh object, and they go last.
LAST = (
    "segments.archive",
    "programmes.delete",
    "api.programme_delete",
    "api.schedule_delete",
    "admin.token_revoke",
    "reports.calendar",
    "auth.logout",
)


def _routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        for m in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((rule.endpoint, m))
    return out


def test_every_route_has_an_expectation(app):
    routes = _routes(app)
    assert routes - set(EXPECT) == set(), "routes without an expectation in EXPECT"
    assert set(EXPECT) - routes == set(), "expectations for routes that do not exist"
    for rule in app.url_map.iter_rules():
        allowed = getattr(app.view_functions[rule.endpoint], "allowed_roles", None)
        if allowed is None:
            continue
        expected = {EXPECT[(rule.endpoint, m)] for m in rule.methods - {"HEAD", "OPTIONS"}}
        # A view may narrow a method further inside (programmes.edit POST); never widen.
        for e in expected:
            assert e != PUBLIC and set(e) <= set(allowed), rule.endpoint
        assert set(allowed) in [set(e) for e in expected], rule.endpoint


@pytest.fixture
def world(app, store, config, tmp_path) -> Callable[[str], dict]:
    """Objects every route can be asked about; fresh ones for the destructive POSTs."""
    import subprocess

    from broadcaster.audio import import_upload

    with store.sessions.begin() as s:
        st = store.station(s)
        ed = s.scalar(select(User).where(User.username == "bientap"))
        seg = content.create_segment(
            s,
            st,
            ed,
            content.SegmentFields.from_mapping({"title": "Tin", "body": "Xin chào.", "kind": "cchc_news"}),
        )
        content.submit(s, seg, ed)
        content.approve(s, seg, s.scalar(select(User).where(User.username == "lanhdao")))
        cfg = rules.effective_config(s, st.id, config)
        render_segment(s, cfg, seg)
        from broadcaster.audio import render_text

        preview = render_text("Nghe thử.", cfg)
        prog = Programme(station_id=st.id, title="Buổi sáng")
        prog.items.append(ProgrammeItem(position=0, item_type=ItemType.SEGMENT, segment_id=seg.id))
        prog.items.append(ProgrammeItem(position=1, item_type=ItemType.PAUSE, pause_ms=1000))
        s.add(prog)
        s.flush()
        values = content.parse_schedule_form(schedule_form(prog.id, enabled="1"))
        sched = content.save_schedule(s, st, ed, values, None)
        job = RenderJob(station_id=st.id, programme_id=prog.id, total=1, done=1, status="done")
        s.add(job)
        heard = {"key": preview.cache_key, "ext": preview.path.suffix.lstrip("."), "engine": preview.engine}
        listen = RenderJob(station_id=st.id, text="Nghe thử.", total=1, done=1, status="done")
        listen.result = heard | {"duration_ms": preview.duration_ms}
        s.add(listen)
        spare = User(station_id=st.id, username="phu", password_hash="x", role=Role.EDITOR)
        s.add(spare)
        s.flush()
        # A district offer on that programme (as sync leaves one): the offers page and its audio.
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        hub_sched = Schedule(
            station_id=st.id,
            origin=Origin.HUB,
            programme_id=prog.id,
            name="Tin huyện",
            recurrence=Recurrence.ONCE,
            start_date=tomorrow.astimezone(config.tz).date(),
            start_time=tomorrow.astimezone(config.tz).time().replace(microsecond=0),
            skip_dates=[],
            enabled=False,
        )
        s.add(hub_sched)
        s.flush()
        offer = Offer(station_id=st.id, schedule_id=hub_sched.id, proposed_at=tomorrow)
        s.add(offer)
        s.flush()
        ics = ensure_ics_token(s, ed)
        wav = tmp_path / "a.wav"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", str(wav)],
            check=True,
        )
        asset = import_upload(s, config, st.id, wav, "a.wav")
        ids = {
            "segment_id": seg.id,
            "programme_id": prog.id,
            "schedule_id": sched.id,
            "job_id": job.id,
            "user_id": spare.id,
            "asset_id": asset.id,
            "item_id": prog.items[0].id,
            "action": "len",
            "key": preview.cache_key,
            "ext": preview.path.suffix.lstrip("."),
            "token": ics,
            "filename": "app.css",
            "offer_id": offer.id,
        }

    def fresh(endpoint: str) -> dict:
        """Give back url values for a request; destructive endpoints get a new object each time."""
        if endpoint == "segments.preview_job":
            return ids | {"job_id": listen.id}
        if endpoint in ("segments.archive", "segments.submit", "api.segment_submit", "api.segment_archive"):
            return {"segment_id": make_segment(store)}
        if endpoint in ("api.segment_approve", "api.segment_reject"):
            return {"segment_id": make_segment(store, status=SegmentStatus.SUBMITTED)}
        if endpoint == "api.item_delete":
            with store.sessions.begin() as s:
                item = ProgrammeItem(programme_id=ids["programme_id"], item_type=ItemType.PAUSE, pause_ms=500)
                item.position = 1000 + s.query(ProgrammeItem).count()
                s.add(item)
                s.flush()
                return ids | {"item_id": item.id}
        if endpoint == "api.schedule_delete":
            with store.sessions.begin() as s:
                values = content.parse_schedule_form(schedule_form(ids["programme_id"], enabled="0"))
                return ids | {"schedule_id": content.save_schedule(s, store.station(s), None, values).id}
        if endpoint in ("programmes.delete", "api.programme_delete"):
            with store.sessions.begin() as s:
                p = Programme(station_id=store.station(s).id, title="Tạm")
                s.add(p)
                s.flush()
                return {"programme_id": p.id}
        if endpoint == "admin.token_revoke":
            with store.sessions.begin() as s:
                row, _ = content.create_token(s, s.get(User, ids["user_id"]), "tạm")
                return {"token_id": row.id}
        return ids

    return fresh


def _expected_ok(endpoint: str, method: str, resp, who) -> bool:
    if method == "GET":
        if endpoint in GET_REDIRECTS and who is not None:
            return resp.status_code == 302
        return resp.status_code == 200
    # A POST with an empty form: refused on its content (400/409/422) or done (200/201/202/204/302).
    return (
        resp.status_code
        in {200, 201, 202, 204, 302, 400, 409, 422} | STATUS_ALSO.get((endpoint, method), set())
        and "/dang-nhap" not in resp.headers.get("Location", "")
        or endpoint == "auth.logout"
    )


def _gist(body: str) -> str:
    import re

    m = re.search(r"<h1>(.*?)</h1>", body, re.S)
    return m.group(1) if m else body[:120]


def test_route_role_matrix(app, client_for, world, store):
    clients = {role: client_for(role) for role in (A, E, P, OP)}
    clients[None] = client_for(None)
    clients[None].fetch_csrf("/dang-nhap")
    rules = {}
    for rule in app.url_map.iter_rules():
        for m in rule.methods - {"HEAD", "OPTIONS"}:
            rules[(rule.endpoint, m)] = rule
    order = sorted(
        rules,
        key=lambda k: (k[1] != "GET", k[0] in LAST, LAST.index(k[0]) if k[0] in LAST else 0, k[0]),
    )
    failures = []
    for endpoint, method in order:
        rule = rules[(endpoint, method)]
        expect = EXPECT[(endpoint, method)]
        for who, c in clients.items():
            values = world(endpoint)
            with app.test_request_context():
                url = app.url_for(
                    endpoint, **{k: values[k] for k in rule.arguments}, **QUERY.get(endpoint, {})
                )
            if endpoint.startswith("api."):
                resp = c.api(method, url, json={} if method in ("POST", "PATCH") else None)
            elif method == "GET":
                resp = c.get(url)
            else:
                resp = c.form(url, {})
            body = (
                resp.get_data(as_text=True) if resp.mimetype.startswith(("text/", "application/json")) else ""
            )
            if resp.status_code >= 500 or "Traceback" in body:
                failures.append((endpoint, method, who, resp.status_code, "server error"))
                continue
            if expect == PUBLIC or (who is not None and who in expect):
                ok = _expected_ok(endpoint, method, resp, who)
            elif who is None:
                if endpoint.startswith("api."):
                    ok = resp.status_code == 401 and "loi" in resp.get_json()
                else:
                    ok = resp.status_code == 302 and "/dang-nhap" in resp.headers["Location"]
            else:
                ok = resp.status_code == 403 and (
                    "loi" in resp.get_json() if endpoint.startswith("api.") else "quyền" in body
                )
            if not ok:
                failures.append((endpoint, method, who and who.value, resp.status_code, _gist(body)))
    # Render jobs started by the matrix run in threads: let them finish before the store closes.
    for _ in range(600):
        with store.sessions() as s:
            if not s.scalars(select(RenderJob).where(RenderJob.status == "running")).first():
                break
        time.sleep(0.05)
    assert failures == [], "\n".join(map(str, failures))


def test_nav_only_offers_pages_the_role_may_open(client_for, app):
    for role in (A, E, P, OP):
        html = client_for(role).get("/").get_data(as_text=True)
        import re

        nav = re.search(r'<nav class="nav".*?</nav>', html, re.S).group(0)
        for href in re.findall(r'href="([^"]+)"', nav):
            assert client_for(role).get(href).status_code == 200, (role, href)
