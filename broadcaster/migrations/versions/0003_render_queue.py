"""render_jobs becomes the render worker's queue: one segment or a programme, who runs it, retries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("render_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("force", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("worker_pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_render_jobs_segment_id_segments"), "segments", ["segment_id"], ["id"]
        )
    # Jobs of the old in-process threads died with their web process.
    op.execute("UPDATE render_jobs SET status = 'failed' WHERE status = 'running'")


def downgrade() -> None:
    with op.batch_alter_table("render_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_render_jobs_segment_id_segments"), type_="foreignkey")
        batch_op.drop_column("attempts")
        batch_op.drop_column("worker_pid")
        batch_op.drop_column("force")
        batch_op.drop_column("segment_id")
