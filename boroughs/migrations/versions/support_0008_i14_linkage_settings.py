"""a council's own linkage threshold and review band

Revision ID: support_i14_linkage_settings
Revises: support_i18_entitlements
Create Date: 2026-12-01 10:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import boroughs.core.db

revision: str = 'support_i14_linkage_settings'
down_revision: str | Sequence[str] | None = 'support_i18_entitlements'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'support_linkage_setting',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.Float(), nullable=False),
        sa.Column('review_low', sa.Float(), nullable=False),
        sa.Column('review_high', sa.Float(), nullable=False),
        sa.Column('saved_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('saved_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['core_organisation.id'], ),
        sa.ForeignKeyConstraint(['saved_by_id'], ['core_user.id'], ),
        sa.PrimaryKeyConstraint('organisation_id'),
    )


def downgrade() -> None:
    op.drop_table('support_linkage_setting')
