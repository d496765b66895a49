"""District hub: station registry and tokens, airing targets, hub as-run, origin of rows, as-run sync mark

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import broadcaster.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hub_as_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_uid", sa.String(length=36), nullable=False),
        sa.Column("schedule_uid", sa.String(length=36), nullable=True),
        sa.Column(
            "origin",
            sa.Enum("local", "hub", name="origin", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "item_type",
            sa.Enum(
                "segment",
                "chime",
                "pause",
                name="itemtype",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "cchc_news",
                "good_example",
                "procedure",
                "hotline",
                "relay",
                "jingle",
                "emergency",
                name="segmentkind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "area",
            sa.Enum(
                "institution",
                "procedure",
                "apparatus",
                "civil_service",
                "public_finance",
                "digital_government",
                name="cchcarea",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("procedure", sa.String(length=100), nullable=True),
        sa.Column("audio_sha256", sa.String(length=64), nullable=True),
        sa.Column("scheduled_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "playing",
                "played",
                "interrupted",
                "failed",
                "missed",
                "skipped",
                name="airstatus",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("received_at", broadcaster.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_hub_as_run_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_as_run")),
        sa.UniqueConstraint("uid", name=op.f("uq_hub_as_run_uid")),
    )
    with op.batch_alter_table("hub_as_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_as_run_schedule_uid"), ["schedule_uid"], unique=False)
        batch_op.create_index("ix_hub_as_run_station_started", ["station_id", "started_at"], unique=False)

    op.create_table(
        "station_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", broadcaster.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_station_tokens_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_station_tokens_token_hash")),
    )
    with op.batch_alter_table("station_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_station_tokens_station_id"), ["station_id"], unique=False)

    op.create_table(
        "schedule_targets",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_targets_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_schedule_targets_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("schedule_id", "station_id", name=op.f("pk_schedule_targets")),
    )
    with op.batch_alter_table("as_run_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("synced_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_as_run_entries_synced_at"), ["synced_at"], unique=False)

    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.Enum("local", "hub", name="origin", native_enum=False, create_constraint=True, length=24),
                server_default="local",
                nullable=False,
            )
        )

    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.Enum("local", "hub", name="origin", native_enum=False, create_constraint=True, length=24),
                server_default="local",
                nullable=False,
            )
        )

    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin",
                sa.Enum("local", "hub", name="origin", native_enum=False, create_constraint=True, length=24),
                server_default="local",
                nullable=False,
            )
        )

    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commune", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("district", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("groups", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(
            sa.Column("last_seen_at", broadcaster.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("last_status", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_column("last_status")
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("groups")
        batch_op.drop_column("district")
        batch_op.drop_column("commune")

    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_segments_origin"), type_="check")
        batch_op.drop_column("origin")

    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_schedules_origin"), type_="check")
        batch_op.drop_column("origin")

    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_programmes_origin"), type_="check")
        batch_op.drop_column("origin")

    with op.batch_alter_table("as_run_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_as_run_entries_synced_at"))
        batch_op.drop_column("synced_at")

    op.drop_table("schedule_targets")
    with op.batch_alter_table("station_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_tokens_station_id"))

    op.drop_table("station_tokens")
    with op.batch_alter_table("hub_as_run", schema=None) as batch_op:
        batch_op.drop_index("ix_hub_as_run_station_started")
        batch_op.drop_index(batch_op.f("ix_hub_as_run_schedule_uid"))

    op.drop_table("hub_as_run")
