"""Decisions say whether the wind's direction was known (``wind_direction_known``: boolean, true
for decisions taken before this revision; false: only the speed, ETAs are the worst case).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "dispatch_decisions",
        sa.Column("wind_direction_known", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_decisions") as batch:
        batch.drop_column("wind_direction_known")
