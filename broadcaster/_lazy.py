"""Package faces whose public names load with their module on first use (PEP 562).

A command imports only what it runs: ``broadcaster --help`` or ``status`` must not pay for Flask,
Alembic, APScheduler or the report writers because a package face re-exports them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_face(
    package: str, homes: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Give back ``__getattr__``, ``__dir__`` and ``__all__`` for the face of ``package``.

    ``homes`` maps a module (relative to the package, e.g. ``"._render"`` or ``"..rules"``) to the
    public names it defines (``"PUBLIC=OWN"`` when the face renames one); each is imported on first
    use, then kept on the package.
    """
    home_of = {}
    for module, names in homes.items():
        for entry in names:
            public, _, own = entry.partition("=")
            home_of[public] = (module, own or public)

    def __getattr__(name: str) -> Any:
        if name not in home_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, own = home_of[name]
        value = getattr(import_module(module, package), own)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *home_of})

    return __getattr__, __dir__, sorted(home_of)
