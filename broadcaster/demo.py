"""``broadcaster demo``: the whole chain on a throwaway data dir (filled in below)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the demo sub-command."""
