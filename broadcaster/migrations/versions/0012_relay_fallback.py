"""A relay item's own fallback: silence, one of the station's items, or the programme's next items

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 21:20:00

NULL keeps the station's choice (BROADCASTER_RELAY_FALLBACK, else silence), as until now.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programme_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fallback", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("fallback_segment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_programme_items_fallback_segment_id_segments"),
            "segments",
            ["fallback_segment_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("programme_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_programme_items_fallback_segment_id_segments"), type_="foreignkey"
        )
        batch_op.drop_column("fallback_segment_id")
        batch_op.drop_column("fallback")
