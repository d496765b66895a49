"""Relay items: a programme item can be a live stream (URL and length); as-run rows may say "relay"

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("programme_items", "as_run_entries", "hub_as_run")
OLD = ("segment", "chime", "pause")
NEW = (*OLD, "relay")


def _check(values: tuple[str, ...]) -> str:
    return "item_type IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _retype(values: tuple[str, ...]) -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint("itemtype", type_="check")  # named ck_<table>_itemtype by the convention
            batch_op.create_check_constraint("itemtype", _check(values))


def upgrade() -> None:
    _retype(NEW)
    with op.batch_alter_table("programme_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stream_url", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("duration_s", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programme_items", schema=None) as batch_op:
        batch_op.drop_column("duration_s")
        batch_op.drop_column("stream_url")
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE item_type = 'relay'")
    _retype(OLD)
