"""The one error a shared rule raises."""

from __future__ import annotations


class RuleError(ValueError):
    """A rule was broken; the message is Vietnamese, for the user.

    ``field`` names the form field at fault, so a page can show the message next to it. Content's
    ``ContentError`` is this class: a page catches one kind whether the rule lives here or there.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
