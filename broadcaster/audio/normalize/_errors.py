"""The one error the normalizer raises, and the input limit it enforces."""

from __future__ import annotations

#: Longest text accepted, in characters. A CCHC plan is 10–20 thousand characters; a limit ten
#: times the largest real document keeps a pasted mistake (a whole archive) from tying up a
#: station PC for minutes.
MAX_CHARS = 200_000


class NormalizeError(ValueError):
    """The text cannot be turned into speech; the message is Vietnamese, for the officer."""


def format_count(n: int) -> str:
    """Return n with Vietnamese thousands dots, as officers write it (200.000)."""
    return f"{n:,}".replace(",", ".")
