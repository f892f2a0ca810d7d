"""accounts and API tokens

Revision ID: 0050
Revises: 0042
Create Date: 2026-12-03

Adds ``account`` (name, role, argon2 password hash, disabled flag) and
``api_token`` (the SHA-256 of each token, never the token itself) for the web
app and the REST API.
"""

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_name", "account", ["name"], unique=True)
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_api_token_account_id", "api_token", ["account_id"])
    op.create_index("ix_api_token_token_sha256", "api_token", ["token_sha256"], unique=True)


def downgrade() -> None:
    op.drop_table("api_token")
    op.drop_table("account")
