"""The OpenAPI 3 document, built from the route registry, and its Vietnamese page served locally."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import jsonify, render_template

from ...models import ROLE_LABELS
from ._base import KINDS, ROUTES, Endpoint, Field, endpoint

#: HTTP status → what it means to a caller of this API.
STATUS_TEXT = {
    200: "Thành công",
    201: "Đã tạo",
    202: "Đã nhận lệnh",
    204: "Đã xoá, không có nội dung trả về",
    400: "Dữ liệu gửi lên sai: «loi» nói vì sao, «truong» là trường bị sai",
    401: "Chưa đăng nhập, hoặc mã truy cập sai hay đã bị thu hồi",
    403: "Tài khoản không được làm việc này",
    404: "Không có đối tượng này",
    409: "Trạng thái hiện tại không cho phép (đã duyệt, đang được dùng, trùng giờ, văn bản nghi lỗi chữ "
    "chưa được xác nhận…)",
    413: "Nội dung gửi lên quá lớn (tối đa 2 MB)",
}
#: JSON schema type or format → how the docs page names it.
TYPE_TEXT = {
    "string": "chuỗi chữ",
    "integer": "số nguyên",
    "number": "số",
    "boolean": "true hoặc false",
    "array": "danh sách",
    "object": "đối tượng",
    "date": "ngày",
    "time": "giờ",
}
TAG_ORDER = (
    "Bản tin",
    "Duyệt tin",
    "Chương trình",
    "Lịch phát",
    "Nhật ký phát",
    "Trạng thái",
    "Điều khiển",
    "Tài liệu",
)


def openapi_path(rule: str) -> str:
    """Give back a Flask rule as an OpenAPI path: /a/<int:a_id> → /a/{a_id}."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def _schema(f: Field) -> dict:
    schema = dict(KINDS[f.kind][0])
    if f.parts:
        schema["items"] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {part.name: _schema(part) for part in f.parts},
        }
    if f.fmt:
        schema["format"] = f.fmt
    if f.choices:
        schema["enum"] = list(f.choices)
    schema["description"] = f.label
    if f.example is not None:
        schema["example"] = f.example
    return schema


def example_body(ep: Endpoint) -> dict | None:
    """Give back an example request body: the required fields and a few more, with their examples."""
    if not ep.body:
        return None
    return {
        f.name: f.example for f in ep.body if f.example is not None and (f.required or ep.method == "POST")
    }


def _operation(ep: Endpoint) -> dict[str, Any]:
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "integer"}}
        for n in re.findall(r"<(?:\w+:)?(\w+)>", ep.rule)
    ] + [
        {"name": f.name, "in": "query", "required": False, "description": f.label, "schema": _schema(f)}
        for f in ep.query
    ]
    ok: dict[str, Any] = {"description": STATUS_TEXT[ep.ok]}
    if ep.ok != 204:
        ok["content"] = {"application/json": {"example": ep.example} if ep.example is not None else {}}
    responses: dict[str, Any] = {str(ep.ok): ok}
    errors = set(ep.errors) | ({400, 413} if ep.body is not None else set())
    if ep.roles is not None:
        errors |= {401, 403}
    for code in sorted(errors):
        responses[str(code)] = {
            "description": STATUS_TEXT[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Loi"}}},
        }
    op: dict[str, Any] = {
        "operationId": ep.name,
        "summary": ep.summary,
        "tags": [ep.tag],
        "parameters": params,
        "responses": responses,
    }
    if ep.description:
        op["description"] = ep.description
    if ep.roles is None:
        op["security"] = []
    else:
        op["security"] = [{"bearer": []}, {"cookie": []}]
        op["x-vai-tro"] = [ROLE_LABELS[r] for r in ep.roles]
    if ep.body:
        required = [f.name for f in ep.body if f.required]
        op["requestBody"] = {
            "required": any(f.required for f in ep.body),
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {f.name: _schema(f) for f in ep.body},
                    }
                    # OpenAPI 3.0 wants "required" left out rather than empty.
                    | ({"required": required} if required else {}),
                    "example": example_body(ep),
                }
            },
        }
    return op


@cache
def document() -> dict[str, Any]:
    """Give back the OpenAPI 3 document of every registered endpoint."""
    paths: dict[str, dict] = {}
    for ep in ROUTES:
        paths.setdefault(openapi_path(ep.rule), {})[ep.method.lower()] = _operation(ep)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Phần mềm đài truyền thanh xã — API",
            "version": "1",
            "description": "Bản tin, duyệt tin, chương trình, lịch phát, nhật ký phát và trạng thái của đài. "
            "Mọi thay đổi theo cùng quy tắc, cùng vai trò và được ghi nhật ký thao tác "
            "như trên các trang quản trị. "
            'Lỗi trả về JSON: {"loi": "…", "ma": mã lỗi, "truong": "tên trường sai hoặc null"}.',
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [{"name": t} for t in TAG_ORDER],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Mã truy cập do quản trị viên cấp (trang Quản trị → Mã truy cập API, "
                    "hoặc lệnh broadcaster token add).",
                },
                "cookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "broadcaster_session",
                    "description": "Phiên đăng nhập trên trình duyệt; lệnh thay đổi cần tiêu đề X-CSRFToken.",
                },
            },
            "schemas": {
                "Loi": {
                    "type": "object",
                    "properties": {
                        "loi": {"type": "string", "description": "Lời báo lỗi bằng tiếng Việt"},
                        "ma": {"type": "integer", "description": "Mã lỗi HTTP"},
                        "truong": {"type": "string", "nullable": True, "description": "Trường bị sai"},
                        "cac_loi": {"type": "array", "description": "Lịch phát: mọi lỗi, mỗi lỗi kèm trường"},
                        "trung_gio": {"type": "array", "description": "Lịch phát: các lịch bị trùng giờ"},
                        "so_cho_nghi": {
                            "type": "integer",
                            "description": "Bản tin: số chỗ nghi bị lỗi chữ (confirm_damage)",
                        },
                        "cho_nghi": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "Bản tin: từng chỗ nghi bị lỗi chữ (dòng, cột, chữ, lý do)",
                        },
                    },
                    "example": {"loi": "Hãy nhập tên chương trình.", "ma": 400, "truong": "title"},
                }
            },
        },
        "paths": paths,
    }


@endpoint(
    "/openapi.json",
    "GET",
    tag="Tài liệu",
    summary="Tài liệu OpenAPI 3 này (dạng máy đọc)",
    roles=None,
)
def openapi():
    return jsonify(document())


@endpoint(
    "/docs",
    "GET",
    tag="Tài liệu",
    summary="Trang hướng dẫn dùng API (bản đọc cho người)",
    roles=None,
)
def docs():
    doc = document()
    groups: dict[str, list[dict]] = {t: [] for t in TAG_ORDER}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            groups[op["tags"][0]].append({"path": path, "method": method.upper(), "op": op})
    return render_template(
        "api/docs.html", doc=doc, groups=groups, status_text=STATUS_TEXT, type_text=TYPE_TEXT
    )
