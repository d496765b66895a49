"""District emergencies: what the hub sent, what each station received, and each one's progress

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import broadcaster.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "emergencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column(
            "origin",
            sa.Enum("local", "hub", name="origin", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audio_asset_id", sa.Integer(), nullable=True),
        sa.Column("audio_sha256", sa.String(length=64), nullable=True),
        sa.Column("audio_size", sa.Integer(), nullable=True),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("gap_s", sa.Integer(), nullable=False),
        sa.Column("valid_until", broadcaster.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", broadcaster.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("stopped_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["audio_asset_id"], ["audio_assets.id"], name=op.f("fk_emergencies_audio_asset_id_audio_assets")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_emergencies_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergencies")),
        sa.UniqueConstraint("uid", name=op.f("uq_emergencies_uid")),
    )
    with op.batch_alter_table("emergencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergencies_station_id"), ["station_id"], unique=False)

    op.create_table(
        "emergency_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("emergency_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sent_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expired_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", broadcaster.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_emergency_targets_emergency_id_emergencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_emergency_targets_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_targets")),
        sa.UniqueConstraint("emergency_id", "station_id", name=op.f("uq_emergency_targets_emergency_id")),
    )
    with op.batch_alter_table("emergency_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_targets_emergency_id"), ["emergency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergency_targets_station_id"), ["station_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("emergency_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_targets_station_id"))
        batch_op.drop_index(batch_op.f("ix_emergency_targets_emergency_id"))

    op.drop_table("emergency_targets")
    with op.batch_alter_table("emergencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergencies_station_id"))

    op.drop_table("emergencies")
