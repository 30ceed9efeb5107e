"""referral events

Revision ID: support_0004
Revises: support_0003
Create Date: 2026-11-27 07:27:31.719061
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import boroughs.core.db


revision: str = 'support_0004'
down_revision: str | Sequence[str] | None = 'support_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The referral timeline table (left out of support_0002 when its stray core/fund tables were removed)."""
    op.create_table('support_referral_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_org_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['core_user.id'], name=op.f('fk_support_referral_event_actor_id_core_user')),
    sa.ForeignKeyConstraint(['actor_org_id'], ['core_organisation.id'], name=op.f('fk_support_referral_event_actor_org_id_core_organisation')),
    sa.ForeignKeyConstraint(['referral_id'], ['support_referral.id'], name=op.f('fk_support_referral_event_referral_id_support_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_referral_event'))
    )
    with op.batch_alter_table('support_referral_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_referral_event_referral_id'), ['referral_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('support_referral_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_referral_event_referral_id'))
    op.drop_table('support_referral_event')
