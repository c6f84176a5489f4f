"""Missions keep the route last flown around the keep-out zones (``route``: JSON, nullable).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 19:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("missions", sa.Column("route", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("missions") as batch:
        batch.drop_column("route")
