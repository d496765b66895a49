"""Hub caches and limits: revision counters moved by PostgreSQL triggers, a shared request budget

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: What a manifest is made of: a change to any of them moves hub_revision.content.
CONTENT_TABLES = (
    "schedules",
    "schedule_targets",
    "programmes",
    "programme_items",
    "segments",
    "audio_assets",
)


def upgrade() -> None:
    op.create_table(
        "hub_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_revision")),
    )
    op.execute("INSERT INTO hub_revision (id, content, tokens) VALUES (1, 0, 0)")
    op.create_table(
        "hub_rate",
        sa.Column("station_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_hub_rate")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return  # a station's SQLite: the hub runs on PostgreSQL, nothing is cached elsewhere
    # Written on every station request: no WAL for it (a crash empties it, which only forgives).
    op.execute("ALTER TABLE hub_rate SET UNLOGGED")
    for counter in ("content", "tokens"):
        op.execute(
            f"CREATE FUNCTION hub_bump_{counter}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN UPDATE hub_revision SET {counter} = {counter} + 1 WHERE id = 1; RETURN NULL; END $$"
        )
    # Statement-level: one bump per statement, whatever the number of rows (or none).
    for table in CONTENT_TABLES:
        op.execute(
            f"CREATE TRIGGER hub_content_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION hub_bump_content()"
        )
    op.execute(
        "CREATE TRIGGER hub_tokens_station_tokens AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON station_tokens FOR EACH STATEMENT EXECUTE FUNCTION hub_bump_tokens()"
    )
    # A station's code is in its manifest and its cached identity; last contact writes are not.
    op.execute(
        "CREATE TRIGGER hub_tokens_stations AFTER UPDATE OF code OR DELETE ON stations "
        "FOR EACH STATEMENT EXECUTE FUNCTION hub_bump_tokens()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in CONTENT_TABLES:
            op.execute(f"DROP TRIGGER hub_content_{table} ON {table}")
        op.execute("DROP TRIGGER hub_tokens_station_tokens ON station_tokens")
        op.execute("DROP TRIGGER hub_tokens_stations ON stations")
        op.execute("DROP FUNCTION hub_bump_content()")
        op.execute("DROP FUNCTION hub_bump_tokens()")
    op.drop_table("hub_rate")
    op.drop_table("hub_revision")
