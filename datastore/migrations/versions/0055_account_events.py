"""account audit events

Revision ID: 0055
Revises: 0050
Create Date: 2026-12-03

Adds ``account_event``: one append-only row per change to an account
(created, disabled, token issued) naming the admin or OS user who made it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0055"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_event_account", "account_event", ["account"])


def downgrade() -> None:
    op.drop_table("account_event")
