"""Offers from the district: the station's offers and their decisions, the decisions kept at the hub

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import broadcaster.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hub_offer_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("schedule_uid", sa.String(length=36), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "waiting",
                "accepted",
                "declined",
                "withdrawn",
                name="offerstate",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("air_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", broadcaster.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", broadcaster.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_hub_offer_decisions_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_offer_decisions")),
        sa.UniqueConstraint("uid", name=op.f("uq_hub_offer_decisions_uid")),
    )
    with op.batch_alter_table("hub_offer_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_hub_offer_decisions_schedule_station", ["schedule_uid", "station_id"], unique=False
        )

    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", broadcaster.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "waiting",
                "accepted",
                "declined",
                "withdrawn",
                name="offerstate",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("air_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_uid", sa.String(length=36), nullable=True),
        sa.Column("synced_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", broadcaster.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_offers_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_offers_station_id_stations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("decision_uid", name=op.f("uq_offers_decision_uid")),
        sa.UniqueConstraint("schedule_id", name=op.f("uq_offers_schedule_id")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offers_station_id"), ["station_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_station_id"))

    op.drop_table("offers")
    with op.batch_alter_table("hub_offer_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_hub_offer_decisions_schedule_station")

    op.drop_table("hub_offer_decisions")
