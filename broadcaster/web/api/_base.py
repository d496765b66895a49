"""The API's frame: sign-in, roles, JSON bodies read safely, errors as JSON, the route registry.

Every endpoint is declared once with :func:`endpoint`: its rule, method, roles and body fields make
both the Flask route and its entry in the OpenAPI document, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ... import content
from ...models import Role, User
from .._core import LoginUser, commit, db
from .._json import BadJson, parse_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")
ALL = (Role.ADMIN, Role.EDITOR, Role.APPROVER, Role.OPERATOR)
READERS = (Role.ADMIN, Role.EDITOR, Role.APPROVER)
WRITERS = (Role.ADMIN, Role.EDITOR)
LEADERS = (Role.ADMIN, Role.APPROVER)
OPS = (Role.ADMIN, Role.OPERATOR)
#: Largest JSON body: a segment at its 200,000-character limit sent as \u escapes is 1.2 MB.
MAX_BODY = 2_000_000
#: Kinds of content refusal → HTTP status; any other content error is a 400 about a field.
REFUSAL_STATUS = ((content.NotAllowed, 403), (content.InConflict, 409), (content.Missing, 404))
#: Endpoints answered without sign-in (the document and its page).
PUBLIC: set[str] = set()


class ApiError(Exception):
    """Answer the request with this status and Vietnamese message (``field``: the JSON field at fault)."""

    def __init__(self, code: int, message: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.field, self.extra = code, message, field, extra


def error(code: int, message: str, field: str | None = None, **extra: Any):
    """Give back the JSON error answer every endpoint uses: {"loi", "ma", "truong"}."""
    return jsonify({"loi": message, "ma": code, "truong": field, **extra}), code


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db().rollback()
    return error(exc.code, exc.message, exc.field, **exc.extra)


@bp.errorhandler(content.ContentError)
def _content_error(exc: content.ContentError):
    """A content rule refused the change: nothing is kept, the rule's own words go back."""
    db().rollback()
    if isinstance(exc, content.ScheduleError):
        fields = [{"truong": content.error_field(m) or None, "loi": m} for m in exc.messages]
        code = 409 if exc.conflicts and not exc.messages else 400
        first = fields[0]["truong"] if fields else None
        return error(code, str(exc), first, cac_loi=fields, trung_gio=exc.conflicts)
    code = next((c for kind, c in REFUSAL_STATUS if isinstance(exc, kind)), 400)
    return error(code, str(exc), exc.field)


@bp.before_request
def _authenticate():
    """Bearer token first; else the browser session, whose unsafe calls need the CSRF header."""
    g.api_user = None
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = content.verify_token(db(), header[7:].strip())
        if user is None:
            return error(401, "Mã truy cập không hợp lệ hoặc đã bị thu hồi.")
        commit()  # last_used_at
        g.api_user = LoginUser(user)
        return None
    if not current_user.is_authenticated:
        return error(401, "Cần đăng nhập hoặc mã truy cập (Authorization: Bearer).")
    g.api_user = current_user
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        from .. import csrf

        try:
            csrf.protect()
        except CSRFError:
            return error(400, "Thiếu hoặc sai mã chống giả mạo (tiêu đề X-CSRFToken).")
    return None


def actor() -> User:
    """Give back the calling account's row in the request's session (the services audit with it)."""
    if "api_actor" not in g:
        user = db().get(User, g.api_user.id)
        if user is None:
            raise ApiError(401, "Tài khoản không còn tồn tại.")
        g.api_actor = user
    return g.api_actor


# ----------------------------------------------------------------------------------- bodies

#: Field kind → (JSON schema, Vietnamese phrase for "must be …").
KINDS: dict[str, tuple[dict, str]] = {
    "string": ({"type": "string"}, "chuỗi chữ"),
    "integer": ({"type": "integer"}, "số nguyên"),
    "number": ({"type": "number"}, "số"),
    "boolean": ({"type": "boolean"}, "true hoặc false"),
    "integers": ({"type": "array", "items": {"type": "integer"}}, "danh sách số nguyên"),
    "strings": ({"type": "array", "items": {"type": "string"}}, "danh sách chuỗi chữ"),
    "objects": ({"type": "array", "items": {"type": "object"}}, "danh sách đối tượng JSON"),
}


@dataclass(frozen=True)
class Field:
    """One field of a JSON body: its name, kind (a key of KINDS), meaning, an example value."""

    name: str
    kind: str
    label: str
    example: Any = None
    required: bool = False
    fmt: str | None = None
    choices: tuple[str, ...] = ()
    parts: tuple[Field, ...] = ()  # the fields of each object of an "objects" list

    def fits(self, value: Any) -> bool:
        """Tell whether a parsed JSON value has this field's kind (null means "not given")."""
        if value is None:
            return True

        def is_int(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        return {
            "string": lambda v: isinstance(v, str),
            "integer": is_int,
            "number": lambda v: is_int(v) or isinstance(v, float),
            "boolean": lambda v: isinstance(v, bool),
            "integers": lambda v: isinstance(v, list) and all(is_int(x) for x in v),
            "strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
            "objects": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
        }[self.kind](value)


def read_body(fields: tuple[Field, ...]) -> dict[str, Any]:
    """Give back the request's JSON object, checked against ``fields`` (kinds only, not the rules).

    An empty body is an empty object; the content services then name what is missing.
    """
    # Checked before reading: a form body may already have been consumed by the CSRF check.
    if (request.content_length or 0) > MAX_BODY:
        raise ApiError(413, f"Nội dung gửi lên quá lớn: tối đa {MAX_BODY // 1_000_000} MB.")
    if request.content_length and not request.is_json:
        raise ApiError(400, "Nội dung gửi lên phải là JSON (Content-Type: application/json).")
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = parse_json(raw)
    except BadJson as exc:
        raise ApiError(400, str(exc), exc.field) from None
    if not isinstance(data, dict):
        raise ApiError(
            400, "Nội dung gửi lên phải là một đối tượng JSON ({…}), không phải danh sách hay giá trị lẻ."
        )
    check_object(data, fields)
    return data


def check_object(
    data: dict[str, Any], fields: tuple[Field, ...], outer: str | None = None, number: int = 0
) -> None:
    """Raise ApiError 400 naming the first field of ``data`` that is unknown or of the wrong kind.

    For an object inside a list field, ``outer`` names that field (what ``truong`` points at) and
    ``number`` the object's place in it, both said first in the message.
    """
    known = {f.name: f for f in fields}
    where = f"Mục thứ {number} của «{outer}»: t" if outer else "T"
    for name, value in data.items():
        f = known.get(name)
        if f is None:
            names = ", ".join(known) or "không có trường nào"
            raise ApiError(
                400, f"{where}rường «{name}» không dùng ở đây (các trường nhận: {names}).", outer or name
            )
        if not f.fits(value):
            raise ApiError(400, f"{where}rường «{name}» phải là {KINDS[f.kind][1]}.", outer or name)
        for i, part in enumerate(value if f.kind == "objects" else []):
            check_object(part, f.parts, name, i + 1)


# ----------------------------------------------------------------------------------- registry


@dataclass
class Endpoint:
    """One documented operation: what the OpenAPI document and the docs page say about a route."""

    rule: str
    method: str
    name: str
    tag: str
    summary: str
    roles: tuple[Role, ...] | None
    body: tuple[Field, ...] | None
    ok: int
    errors: tuple[int, ...]
    description: str = ""
    example: Any = None
    query: tuple[Field, ...] = field(default_factory=tuple)


ROUTES: list[Endpoint] = []


def endpoint(
    rule: str,
    method: str,
    *,
    tag: str,
    summary: str,
    roles: tuple[Role, ...] | None,
    body: tuple[Field, ...] | None = None,
    ok: int = 200,
    errors: tuple[int, ...] = (),
    description: str = "",
    example: Any = None,
    query: tuple[Field, ...] = (),
) -> Callable:
    """Give back a decorator that routes a view and documents it; ``roles=None`` means public.

    The view receives the checked JSON object as ``data`` when ``body`` is declared.
    """

    def deco(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(**kw: Any):
            if roles is not None and (g.api_user is None or g.api_user.role not in roles):
                return error(403, "Tài khoản này không được dùng chức năng này.")
            if body is not None:
                kw["data"] = read_body(body)
            return view(**kw)

        if roles is None:
            PUBLIC.add(f"{bp.name}.{view.__name__}")
        else:
            wrapped.allowed_roles = set(roles)  # read by the route matrix test
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapped, methods=[method])
        ROUTES.append(
            Endpoint(
                rule,
                method,
                view.__name__,
                tag,
                summary,
                roles,
                body,
                ok,
                errors,
                description,
                example,
                query,
            )
        )
        return wrapped

    return deco
