"""i18 a data sharing purpose names the needs it covers

Revision ID: support_i18_purpose_needs
Revises: support_i14_linkage_settings
Create Date: 2026-12-01 21:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'support_i18_purpose_needs'
down_revision: str | Sequence[str] | None = 'support_i14_linkage_settings'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # none listed (existing purposes): a referral for any need, as before
    with op.batch_alter_table('support_agreement_purpose', schema=None) as batch_op:
        batch_op.add_column(sa.Column('needs', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('support_agreement_purpose', schema=None) as batch_op:
        batch_op.drop_column('needs')
