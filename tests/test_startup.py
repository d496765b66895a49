"""What a command imports before it works: `--help` and `status` must start fast, so they must not
load Alembic, Flask, APScheduler or the report writers (timings are in bench/bench_startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from alembic.script import ScriptDirectory

from broadcaster.store import SCHEMA_HEAD, alembic_config

HEAVY = ("alembic", "flask", "sqlalchemy", "apscheduler", "numpy", "docx", "openpyxl", "gunicorn")


def loaded_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """Give back which HEAVY modules are loaded after ``code`` runs in a fresh interpreter."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_building_the_parser_and_every_room_s_help_loads_nothing_heavy():
    code = (
        "import contextlib, io, broadcaster.cli as c\n"
        "p = c.build_parser()\n"
        "for cmd in (['--help'], ['render', '--help'], ['report', '--help'], ['web', '--help'], "
        "['status', '--help'], ['demo', '--help'], ['worker', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        p.parse_args(cmd)\n"
    )
    assert loaded_after(code) == []


def test_status_loads_the_database_layer_only(env):
    assert subprocess.run(
        [sys.executable, "-m", "broadcaster.cli", "init"], env=env, capture_output=True, timeout=120
    ).returncode == 0
    code = (
        "import contextlib, io, broadcaster.cli as c\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert c.main(['status']) == 0\n"
    )
    assert loaded_after(code, env) == ["sqlalchemy"]


def test_the_schema_head_the_store_expects_is_the_newest_migration(config):
    """Opening a store compares its version with SCHEMA_HEAD (no Alembic needed); a new migration
    must move it, or every command would ask for «broadcaster init» again."""
    head = ScriptDirectory.from_config(alembic_config(config.db_url)).get_current_head()
    assert head == SCHEMA_HEAD
