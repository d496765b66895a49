"""JSON API under /api/v1: what the pages can read and write, with the same rules and roles.

Machines authenticate with ``Authorization: Bearer <token>`` (only the token's sha256 is stored);
the admin's own pages may call it with the session cookie, and then every state-changing call
carries the CSRF token in the ``X-CSRFToken`` header. Errors are JSON with Vietnamese messages.
Every endpoint is declared once (``_base.endpoint``), which also writes it into the OpenAPI
document served at /api/v1/openapi.json and the page at /api/v1/docs.
"""

from . import _programmes, _schedules, _segments, _spec, _station  # noqa: F401 - they register routes
from ._base import ROUTES, ApiError, bp
from ._spec import document

__all__ = ["ROUTES", "ApiError", "bp", "document"]
