"""source records, histories, residents, linkage and review

Revision ID: support_0001
Revises: 
Create Date: 2026-11-27 07:19:00.419748
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import boroughs.core.db

revision: str = 'support_0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('support',)
depends_on: str | Sequence[str] | None = 'core_0001'


def upgrade() -> None:
    op.create_table('support_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=40), nullable=False),
    sa.Column('schema_version', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('history_filename', sa.String(length=300), nullable=True),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_id'], ['core_user.id'], name=op.f('fk_support_import_imported_by_id_core_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['core_organisation.id'], name=op.f('fk_support_import_organisation_id_core_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_import')),
    sa.UniqueConstraint('organisation_id', 'dataset', 'checksum', name=op.f('uq_support_import_organisation_id'))
    )
    with op.batch_alter_table('support_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_import_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('support_link_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=40), nullable=False),
    sa.Column('model', sa.JSON(), nullable=False),
    sa.Column('evaluation', sa.JSON(), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.Column('started_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('run_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['core_organisation.id'], name=op.f('fk_support_link_run_organisation_id_core_organisation')),
    sa.ForeignKeyConstraint(['run_by_id'], ['core_user.id'], name=op.f('fk_support_link_run_run_by_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_link_run'))
    )
    with op.batch_alter_table('support_link_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_link_run_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('support_resident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=200), nullable=False),
    sa.Column('last_name', sa.String(length=200), nullable=False),
    sa.Column('dob', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=20), nullable=True),
    sa.Column('ethnicity', sa.String(length=20), nullable=True),
    sa.Column('disability', sa.Boolean(), nullable=True),
    sa.Column('postcode', sa.String(length=12), nullable=True),
    sa.Column('uprn', sa.String(length=12), nullable=True),
    sa.Column('lsoa21_code', sa.String(length=9), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('link_run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_run_id'], ['support_link_run.id'], name=op.f('fk_support_resident_link_run_id_support_link_run')),
    sa.ForeignKeyConstraint(['organisation_id'], ['core_organisation.id'], name=op.f('fk_support_resident_organisation_id_core_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_resident'))
    )
    with op.batch_alter_table('support_resident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_resident_lsoa21_code'), ['lsoa21_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_resident_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_resident_uprn'), ['uprn'], unique=False)

    op.create_table('support_source_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.String(length=100), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=200), nullable=False),
    sa.Column('last_name', sa.String(length=200), nullable=False),
    sa.Column('dob', sa.Date(), nullable=True),
    sa.Column('address_line_1', sa.String(length=300), nullable=True),
    sa.Column('address_line_2', sa.String(length=300), nullable=True),
    sa.Column('postcode', sa.String(length=12), nullable=True),
    sa.Column('uprn', sa.String(length=12), nullable=True),
    sa.Column('national_id', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('sex', sa.String(length=20), nullable=True),
    sa.Column('ethnicity', sa.String(length=20), nullable=True),
    sa.Column('disability', sa.Boolean(), nullable=True),
    sa.Column('lsoa21_code', sa.String(length=9), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('updated_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['support_import.id'], name=op.f('fk_support_source_record_import_id_support_import')),
    sa.ForeignKeyConstraint(['organisation_id'], ['core_organisation.id'], name=op.f('fk_support_source_record_organisation_id_core_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_source_record')),
    sa.UniqueConstraint('organisation_id', 'dataset', 'record_id', name=op.f('uq_support_source_record_organisation_id'))
    )
    with op.batch_alter_table('support_source_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_source_record_import_id'), ['import_id'], unique=False)
        batch_op.create_index('ix_support_source_record_org_dataset', ['organisation_id', 'dataset'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_source_record_uprn'), ['uprn'], unique=False)

    op.create_table('support_link_pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_run_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('record_a_id', sa.Integer(), nullable=False),
    sa.Column('record_b_id', sa.Integer(), nullable=False),
    sa.Column('match_probability', sa.Float(), nullable=False),
    sa.Column('match_weight', sa.Float(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['link_run_id'], ['support_link_run.id'], name=op.f('fk_support_link_pair_link_run_id_support_link_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['core_organisation.id'], name=op.f('fk_support_link_pair_organisation_id_core_organisation')),
    sa.ForeignKeyConstraint(['record_a_id'], ['support_source_record.id'], name=op.f('fk_support_link_pair_record_a_id_support_source_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_b_id'], ['support_source_record.id'], name=op.f('fk_support_link_pair_record_b_id_support_source_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_link_pair')),
    sa.UniqueConstraint('link_run_id', 'record_a_id', 'record_b_id', name=op.f('uq_support_link_pair_link_run_id'))
    )
    with op.batch_alter_table('support_link_pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_link_pair_record_a_id'), ['record_a_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_link_pair_record_b_id'), ['record_b_id'], unique=False)
        batch_op.create_index('ix_support_link_pair_run_prob', ['link_run_id', 'match_probability'], unique=False)

    op.create_table('support_record_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('source_record_id', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=40), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('value_num', sa.Float(), nullable=True),
    sa.Column('value_text', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['core_organisation.id'], name=op.f('fk_support_record_event_organisation_id_core_organisation')),
    sa.ForeignKeyConstraint(['source_record_id'], ['support_source_record.id'], name=op.f('fk_support_record_event_source_record_id_support_source_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_record_event')),
    sa.UniqueConstraint('source_record_id', 'measure', 'event_date', name=op.f('uq_support_record_event_source_record_id'))
    )
    with op.batch_alter_table('support_record_event', schema=None) as batch_op:
        batch_op.create_index('ix_support_record_event_org_measure_date', ['organisation_id', 'measure', 'event_date'], unique=False)

    op.create_table('support_resident_record',
    sa.Column('source_record_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('match_probability', sa.Float(), nullable=True),
    sa.Column('link_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['link_run_id'], ['support_link_run.id'], name=op.f('fk_support_resident_record_link_run_id_support_link_run')),
    sa.ForeignKeyConstraint(['resident_id'], ['support_resident.id'], name=op.f('fk_support_resident_record_resident_id_support_resident'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_record_id'], ['support_source_record.id'], name=op.f('fk_support_resident_record_source_record_id_support_source_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('source_record_id', name=op.f('pk_support_resident_record'))
    )
    with op.batch_alter_table('support_resident_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_resident_record_resident_id'), ['resident_id'], unique=False)

    op.create_table('support_review_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('record_a_id', sa.Integer(), nullable=False),
    sa.Column('record_b_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['core_user.id'], name=op.f('fk_support_review_decision_decided_by_id_core_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['core_organisation.id'], name=op.f('fk_support_review_decision_organisation_id_core_organisation')),
    sa.ForeignKeyConstraint(['record_a_id'], ['support_source_record.id'], name=op.f('fk_support_review_decision_record_a_id_support_source_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_b_id'], ['support_source_record.id'], name=op.f('fk_support_review_decision_record_b_id_support_source_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_review_decision')),
    sa.UniqueConstraint('organisation_id', 'record_a_id', 'record_b_id', name=op.f('uq_support_review_decision_organisation_id'))
    )
    with op.batch_alter_table('support_review_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_review_decision_organisation_id'), ['organisation_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table('support_review_decision')
    with op.batch_alter_table('support_resident_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_resident_record_resident_id'))

    op.drop_table('support_resident_record')
    with op.batch_alter_table('support_record_event', schema=None) as batch_op:
        batch_op.drop_index('ix_support_record_event_org_measure_date')

    op.drop_table('support_record_event')
    with op.batch_alter_table('support_link_pair', schema=None) as batch_op:
        batch_op.drop_index('ix_support_link_pair_run_prob')
        batch_op.drop_index(batch_op.f('ix_support_link_pair_record_b_id'))
        batch_op.drop_index(batch_op.f('ix_support_link_pair_record_a_id'))

    op.drop_table('support_link_pair')
    with op.batch_alter_table('fund_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_proposal_strand_id'))
        batch_op.drop_index(batch_op.f('ix_fund_proposal_state'))
        batch_op.drop_index(batch_op.f('ix_fund_proposal_lead_org_id'))
        batch_op.drop_index(batch_op.f('ix_fund_proposal_call_id'))

    op.drop_table('support_source_record')
    with op.batch_alter_table('support_resident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_resident_uprn'))
        batch_op.drop_index(batch_op.f('ix_support_resident_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_support_resident_lsoa21_code'))

    op.drop_table('support_resident')
    with op.batch_alter_table('fund_strand', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_strand_call_id'))

    op.drop_table('support_link_run')
    with op.batch_alter_table('support_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_import_organisation_id'))

    op.drop_table('support_import')
    with op.batch_alter_table('fund_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_call_fund_body_id'))
