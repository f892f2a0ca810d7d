"""event kind index: a campaign's events of one kind, newest first, without a scan

Revision ID: 0042
Revises: 0040
Create Date: 2026-12-03

The budget (experiments flagged by an outage are not charged), the reason a
campaign has its status and similar questions read a campaign's events of
one kind; at a million events a scan of the campaign's events took seconds.
"""

from alembic import op

revision = "0042"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_event_campaign_kind_id", "event", ["campaign_id", "kind", "id"])


def downgrade() -> None:
    op.drop_index("ix_event_campaign_kind_id", table_name="event")
