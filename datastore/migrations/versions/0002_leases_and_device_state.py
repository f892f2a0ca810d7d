"""leases, device state, campaign priority and lab, experiment retries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Adds the tables the orchestrator needs to share devices safely between
campaigns and processes: ``lease`` (exclusive use until expiry) and
``device_state`` (in or out of service), plus each campaign's priority and the
name of the lab it is bound to.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("lab_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lab_yaml", sa.Text(), nullable=True))
        batch_op.create_index("ix_campaign_lab_name", ["lab_name"], unique=False)
    with op.batch_alter_table("experiment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("retry_of", sa.Integer(), nullable=True))
    op.create_table(
        "lease",
        sa.Column("resource", sa.String(length=300), nullable=False),
        sa.Column("holder", sa.String(length=300), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("resource"),
    )
    op.create_table(
        "device_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lab_name", sa.String(length=200), nullable=False),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("in_service", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lab_name", "device", name="uq_device_state"),
    )


def downgrade() -> None:
    op.drop_table("device_state")
    op.drop_table("lease")
    with op.batch_alter_table("experiment", schema=None) as batch_op:
        batch_op.drop_column("retry_of")
        batch_op.drop_column("attempt")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_lab_name")
        batch_op.drop_column("lab_yaml")
        batch_op.drop_column("lab_name")
        batch_op.drop_column("priority")
