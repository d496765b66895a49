"""The house's layers, read from the code's own imports (ast, nothing imported).

Feature packages (content, audio, playout, reports, web) stand on one base layer (rules, and the
foundation modules config, db, models, store). The base imports no feature package; no module
reaches into another package's private ``_x`` module: what two packages share belongs below them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import broadcaster

PACKAGE = Path(broadcaster.__file__).parent
FEATURES = {"content", "audio", "playout", "reports", "web", "hub", "sync", "live"}
BASE = {"rules", "config", "db", "models", "store", "manifest", "topics"}


def _module_name(path: Path, package: Path) -> str:
    parts = ["broadcaster", *path.relative_to(package).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package_dir: Path) -> list[tuple[int, str]]:
    """Give back (line, absolute module name) for every import in ``path``, nested ones too."""
    name = _module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from pkg import _x`` names a module as well as ``import pkg._x``.
            found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
    return found


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "broadcaster" else None


def _private_of_other(importer: str, module: str) -> bool:
    parts = module.split(".")
    if _top(module) not in FEATURES | {"rules"} or _top(module) == _top(importer):
        return False
    return any(p.startswith("_") and not p.startswith("__") for p in parts[2:])


def violations(package_dir: Path = PACKAGE) -> list[str]:
    """Give back every import that breaks the layers, as 'file:line -> module'."""
    bad = []
    for path in sorted(package_dir.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        importer = _module_name(path, package_dir)
        for line, module in imports_of(path, package_dir):
            where = f"{path.relative_to(package_dir.parent)}:{line} -> {module}"
            if _top(importer) in BASE and _top(module) in FEATURES:
                bad.append(where + " (the base layer imports a feature package)")
            elif _private_of_other(importer, module):
                bad.append(where + " (another package's private module)")
    return bad


def test_no_package_reaches_into_another_s_private_module_and_the_base_stays_below() -> None:
    assert violations() == []


def test_the_walk_sees_sideways_and_upward_imports(tmp_path) -> None:
    """The checker itself, on a made-up tree: each kind of breach is caught, fair imports are not."""
    pkg = tmp_path / "broadcaster"
    files = {
        "content/_probe.py": "def f():\n    from ..reports._figures import Report\n",
        "content/_fair.py": "from ..reports import Report\nfrom ..rules import expand\nfrom . import _x\n",
        "web/_probe.py": "from ..audio import _engines\n",
        "rules/_probe.py": "import broadcaster.playout\n",
    }
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text, encoding="utf-8")
    found = violations(pkg)
    assert len(found) == 3, found
    assert any("content/_probe.py:2 -> broadcaster.reports._figures" in v for v in found)
    assert any("web/_probe.py:1 -> broadcaster.audio._engines" in v for v in found)
    assert any("rules/_probe.py:1 -> broadcaster.playout" in v for v in found)
