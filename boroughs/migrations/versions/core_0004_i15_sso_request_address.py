"""i15 a single sign-on request records the network address that started it

Revision ID: core_i15_sso_request_address
Revises: core_i15_sso
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'core_i15_sso_request_address'
down_revision: str | Sequence[str] | None = 'core_i15_sso'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('core_sso_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_core_sso_request_ip'), ['ip'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_sso_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_sso_request_ip'))
        batch_op.drop_column('ip')
