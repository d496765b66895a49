"""A relay row's seconds of the stream and seconds filled, at the station and at the hub

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 21:45:00

The as-run row of a relay item already says them in words; the district's report sums them.
NULL on every other row (and on relay rows written before this).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("as_run_entries", "hub_as_run")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("relayed_ms", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("filled_ms", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("filled_ms")
            batch_op.drop_column("relayed_ms")
