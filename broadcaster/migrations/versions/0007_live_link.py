"""Live link: the broker's password hash of each station token, the stations' presence

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import broadcaster.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("station_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mqtt_hash", sa.String(length=200), nullable=True))
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("presence_online", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("presence_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("presence_every", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_column("presence_every")
        batch_op.drop_column("presence_at")
        batch_op.drop_column("presence_online")
    with op.batch_alter_table("station_tokens", schema=None) as batch_op:
        batch_op.drop_column("mqtt_hash")
