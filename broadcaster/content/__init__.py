"""Content rules: users, segments and their approval workflow, programmes, the audit log.

Plain Python over SQLAlchemy sessions; no Flask. Errors are :class:`ContentError` with a
Vietnamese message a page or the command line can show as it is.
"""

from ._audit import record, snapshot
from ._errors import ContentError
from ._segments import approve, archive, reject, submit, validate_segment_fields
from ._starter import STARTER_DIR, load_starter
from ._users import authenticate, create_user, set_password

__all__ = [
    "STARTER_DIR",
    "ContentError",
    "approve",
    "archive",
    "authenticate",
    "create_user",
    "load_starter",
    "record",
    "reject",
    "set_password",
    "snapshot",
    "submit",
    "validate_segment_fields",
]
