"""provenance: plan records, protocol records, device commands, instrument records, runs

Revision ID: 0040
Revises: 0020
Create Date: 2026-12-02

Captures the links of the provenance chain that the event log did not hold:
how each cycle planned (strategy, options, seed, software versions, training
set size, SHA-256 and event-log position), every protocol as it ran (steps,
metadata, compiled program), the device commands of each run with their
idempotency keys and the devices' identities, the raw instrument records, and
which experiments each run carried. Adds an index for reading a campaign's
events in order page by page.
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("software", sa.JSON(), nullable=False),
        sa.Column("training_size", sa.Integer(), nullable=False),
        sa.Column("training_sha256", sa.String(length=64), nullable=False),
        sa.Column("training_event_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "cycle", name="uq_plan_record_cycle"),
    )
    op.create_index("ix_plan_record_campaign_id", "plan_record", ["campaign_id"])
    op.create_table(
        "protocol_record",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("compiled_name", sa.String(length=300), nullable=True),
        sa.Column("compiled", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_index("ix_protocol_record_campaign_id", "protocol_record", ["campaign_id"])
    op.create_table(
        "device_command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=300), nullable=False),
        sa.Column("protocol_sha256", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("command", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=400), nullable=False),
        sa.Column("device_model", sa.String(length=200), nullable=False),
        sa.Column("device_firmware", sa.String(length=200), nullable=False),
        sa.Column("device_serial", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key", name="uq_device_command_key"),
    )
    op.create_index("ix_device_command_campaign_id", "device_command", ["campaign_id"])
    op.create_index("ix_device_command_run", "device_command", ["run_key"])
    op.create_table(
        "instrument_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=300), nullable=False),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_instrument_record_campaign_id", "instrument_record", ["campaign_id"])
    op.create_index("ix_instrument_record_run", "instrument_record", ["run_key"])
    op.create_table(
        "run_experiment",
        sa.Column("run_key", sa.String(length=300), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("protocol_sha256", sa.String(length=64), nullable=False),
        sa.Column("well", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiment.id"]),
        sa.PrimaryKeyConstraint("run_key", "experiment_id"),
    )
    op.create_index("ix_run_experiment_experiment_id", "run_experiment", ["experiment_id"])
    op.create_index("ix_event_campaign_id_id", "event", ["campaign_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_event_campaign_id_id", table_name="event")
    for table in ("run_experiment", "instrument_record", "device_command", "protocol_record"):
        op.drop_table(table)
    op.drop_table("plan_record")
