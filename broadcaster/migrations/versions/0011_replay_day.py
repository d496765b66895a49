"""A schedule's repeats may be for one day only

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 19:30:00

"Phát 3 lần, cách nhau 15 phút" either on every airing day (as until now, ``replay_on`` NULL) or
on one local day only (``replay_on``), the other days airing once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("replay_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("replay_on")
