"""A schedule's misfire grace may be unset (the station's then); render jobs for listen-before-saving

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 18:30:00

Until now every schedule stored 600 s, the form's default, which silently overrode the grace an
officer saved for the whole station. The 600 s rows are taken as "never chosen" (the default and
the station default agree, so nothing changes for a station that kept them).

The segment editor's "Nghe thử" goes through the render worker's queue like every other render:
a job may carry the words to read (``text``) and gives back what it made (``result``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEFAULT = 600


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.alter_column("misfire_grace_s", existing_type=sa.Integer(), nullable=True)
    op.execute(sa.text(f"UPDATE schedules SET misfire_grace_s = NULL WHERE misfire_grace_s = {_DEFAULT}"))
    with op.batch_alter_table("render_jobs") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("result", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM render_jobs WHERE text IS NOT NULL"))
    with op.batch_alter_table("render_jobs") as batch:
        batch.drop_column("result")
        batch.drop_column("text")
    op.execute(sa.text(f"UPDATE schedules SET misfire_grace_s = {_DEFAULT} WHERE misfire_grace_s IS NULL"))
    with op.batch_alter_table("schedules") as batch:
        batch.alter_column("misfire_grace_s", existing_type=sa.Integer(), nullable=False)
