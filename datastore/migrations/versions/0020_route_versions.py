"""route versions and decisions

Revision ID: 0020
Revises: 0002
Create Date: 2026-12-02

Adds ``route_version`` (every version of a proposed synthesis route; an edit
adds a version, never overwrites one) and ``route_decision`` (approvals and
rejections with the account and the comment).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "route_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=1000), nullable=False),
        sa.Column("route_json", sa.Text(), nullable=False),
        sa.Column("route_key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("step_count", sa.Integer(), nullable=False),
        sa.Column("solved", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["route_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("family", "version", name="uq_route_version"),
    )
    op.create_index("ix_route_version_family", "route_version", ["family"])
    op.create_index("ix_route_version_target", "route_version", ["target"])
    op.create_table(
        "route_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_version_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("account", sa.String(length=300), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["route_version_id"], ["route_version.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_route_decision_route_version_id", "route_decision", ["route_version_id"])


def downgrade() -> None:
    op.drop_table("route_decision")
    op.drop_table("route_version")
