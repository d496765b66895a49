"""Kinds of content errors a caller may answer differently: not allowed, in the way, not there.

The pages show every :class:`ContentError` the same way (a message next to the form); the JSON
API tells a machine which kind it met (403, 409, 404), so a script can tell "fix the field" from
"ask someone else" and "the thing changed under you".
"""

from typing import Any

from ..models import Origin
from ._errors import ContentError


class NotAllowed(ContentError):
    """This user may not do this to this object (their own work, someone else's segment)."""


class InConflict(ContentError):
    """The object's state forbids the change now (already approved, in use, kept as evidence)."""


class Missing(ContentError):
    """The object named inside the request (an item of a programme) is not there."""


#: What every refused change of a district row says first.
HUB_ROW_REFUSAL = "Mục này do huyện gửi xuống: đài xã không sửa, không xoá được."
#: Where a commune decides on a district airing instead (said with every refusal of a schedule).
OFFERS_HINT = "Tin thông thường của huyện được nhận phát hoặc từ chối ở trang «Tin từ huyện»."


def refuse_hub_origin(row: Any, hint: str = "") -> None:
    """Refuse a change to a row the district hub sent (only sync writes those; None passes)."""
    if row is not None and getattr(row, "origin", Origin.LOCAL) == Origin.HUB:
        raise NotAllowed(" ".join(filter(None, (HUB_ROW_REFUSAL, hint))))
