"""The one error the audio package raises."""

from __future__ import annotations


class AudioError(ValueError):
    """Audio cannot be made or read; the message is one Vietnamese line for the officer."""
