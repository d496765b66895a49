"""The station's admin web: app factory, extensions, error pages, one blueprint per feature.

The factory lives in ``_app``; this face loads it (and Flask) on first use, so a command that only
names ``broadcaster web`` in its help does not pay for Flask.
"""

from .._lazy import lazy_face

__getattr__, __dir__, __all__ = lazy_face(
    __name__,
    {"._app": ("STASHABLE", "WEB_ROOT", "create_app", "csrf", "secret_key")},
)
