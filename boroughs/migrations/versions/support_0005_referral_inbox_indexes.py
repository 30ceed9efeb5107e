"""referral inbox indexes cover the sort key and id

Revision ID: support_0005
Revises: support_0004
Create Date: 2026-11-27 08:46:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'support_0005'
down_revision: str | Sequence[str] | None = 'support_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A VCS inbox page takes its ids from an index-only scan of these, then loads the 50 rows."""
    with op.batch_alter_table('support_referral', schema=None) as batch_op:
        batch_op.drop_index('ix_support_referral_vcs_status_sent')
        batch_op.drop_index('ix_support_referral_vcs_sent')
        batch_op.create_index('ix_support_referral_vcs_status_sent_id', ['vcs_org_id', 'status', 'sent_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_support_referral_vcs_sent_id', ['vcs_org_id', 'sent_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('support_referral', schema=None) as batch_op:
        batch_op.drop_index('ix_support_referral_vcs_sent_id')
        batch_op.drop_index('ix_support_referral_vcs_status_sent_id')
        batch_op.create_index('ix_support_referral_vcs_sent', ['vcs_org_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_support_referral_vcs_status_sent', ['vcs_org_id', 'status', 'sent_at'], unique=False)
