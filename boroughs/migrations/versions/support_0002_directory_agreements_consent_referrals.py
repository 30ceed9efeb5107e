"""directory, agreements, consent, referrals

Revision ID: support_0002
Revises: support_0001
Create Date: 2026-11-27 07:20:09.799391
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import boroughs.core.db


revision: str = 'support_0002'
down_revision: str | Sequence[str] | None = 'support_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('support_dir_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('version', sa.String(length=10), nullable=False),
    sa.Column('services_read', sa.Integer(), nullable=False),
    sa.Column('services_kept', sa.Integer(), nullable=False),
    sa.Column('faults', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dir_import'))
    )

    op.create_table('support_dir_taxonomy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('uri', sa.String(length=500), nullable=True),
    sa.Column('version', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dir_taxonomy')),
    sa.UniqueConstraint('uuid', name=op.f('uq_support_dir_taxonomy_uuid'))
    )

    op.create_table('support_retention_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('referral_reference', sa.String(length=20), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_retention_log'))
    )

    op.create_table('support_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('art6_basis', sa.String(length=1), nullable=False),
    sa.Column('art6_detail', sa.Text(), nullable=False),
    sa.Column('special_category', sa.Boolean(), nullable=False),
    sa.Column('art9_condition', sa.String(length=1), nullable=True),
    sa.Column('dea_s35', sa.Boolean(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('review_date', sa.Date(), nullable=False),
    sa.Column('signed', sa.Boolean(), nullable=False),
    sa.Column('terminated_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retention_action', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_support_agreement_created_by_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_agreement')),
    sa.UniqueConstraint('reference', name=op.f('uq_support_agreement_reference'))
    )

    op.create_table('support_dir_organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('owner_org_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('updated_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['core_organisation.id'], name=op.f('fk_support_dir_organisation_owner_org_id_core_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dir_organisation')),
    sa.UniqueConstraint('uuid', name=op.f('uq_support_dir_organisation_uuid'))
    )

    with op.batch_alter_table('support_dir_organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_dir_organisation_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('support_dir_term',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('taxonomy_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('need', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['support_dir_term.id'], name=op.f('fk_support_dir_term_parent_id_support_dir_term')),
    sa.ForeignKeyConstraint(['taxonomy_id'], ['support_dir_taxonomy.id'], name=op.f('fk_support_dir_term_taxonomy_id_support_dir_taxonomy'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dir_term')),
    sa.UniqueConstraint('taxonomy_id', 'code', name=op.f('uq_support_dir_term_taxonomy_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_support_dir_term_uuid'))
    )

    with op.batch_alter_table('support_dir_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_dir_term_need'), ['need'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_dir_term_taxonomy_id'), ['taxonomy_id'], unique=False)

    op.create_table('support_agreement_party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['support_agreement.id'], name=op.f('fk_support_agreement_party_agreement_id_support_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['core_organisation.id'], name=op.f('fk_support_agreement_party_organisation_id_core_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_agreement_party')),
    sa.UniqueConstraint('agreement_id', 'organisation_id', name=op.f('uq_support_agreement_party_agreement_id'))
    )

    with op.batch_alter_table('support_agreement_party', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_agreement_party_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_agreement_party_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('support_agreement_purpose',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('retention_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['support_agreement.id'], name=op.f('fk_support_agreement_purpose_agreement_id_support_agreement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_agreement_purpose')),
    sa.UniqueConstraint('agreement_id', 'key', name=op.f('uq_support_agreement_purpose_agreement_id'))
    )

    with op.batch_alter_table('support_agreement_purpose', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_agreement_purpose_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('support_dir_service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('fees', sa.Text(), nullable=True),
    sa.Column('accreditations', sa.Text(), nullable=True),
    sa.Column('minimum_age', sa.Integer(), nullable=True),
    sa.Column('maximum_age', sa.Integer(), nullable=True),
    sa.Column('eligibility', sa.Text(), nullable=True),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('assured_date', sa.String(length=10), nullable=True),
    sa.Column('receives_referrals', sa.Boolean(), nullable=False),
    sa.Column('accepting_referrals', sa.Boolean(), nullable=False),
    sa.Column('waiting_days', sa.Integer(), nullable=True),
    sa.Column('capacity_week', sa.Integer(), nullable=True),
    sa.Column('response_days', sa.Integer(), nullable=False),
    sa.Column('status_updated_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('last_modified', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['support_dir_organisation.id'], name=op.f('fk_support_dir_service_organisation_id_support_dir_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dir_service')),
    sa.UniqueConstraint('uuid', name=op.f('uq_support_dir_service_uuid'))
    )

    with op.batch_alter_table('support_dir_service', schema=None) as batch_op:
        batch_op.create_index('ix_support_dir_service_org_status', ['organisation_id', 'status'], unique=False)

    op.create_table('support_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('purpose_key', sa.String(length=60), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('given_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawal_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['support_agreement.id'], name=op.f('fk_support_consent_agreement_id_support_agreement')),
    sa.ForeignKeyConstraint(['council_id'], ['core_organisation.id'], name=op.f('fk_support_consent_council_id_core_organisation')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['core_user.id'], name=op.f('fk_support_consent_recorded_by_id_core_user')),
    sa.ForeignKeyConstraint(['resident_id'], ['support_resident.id'], name=op.f('fk_support_consent_resident_id_support_resident')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['core_user.id'], name=op.f('fk_support_consent_withdrawn_by_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_consent'))
    )

    with op.batch_alter_table('support_consent', schema=None) as batch_op:
        batch_op.create_index('ix_support_consent_resident', ['council_id', 'resident_id'], unique=False)

    op.create_table('support_dir_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['core_user.id'], name=op.f('fk_support_dir_change_proposed_by_id_core_user')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['core_user.id'], name=op.f('fk_support_dir_change_reviewed_by_id_core_user')),
    sa.ForeignKeyConstraint(['service_id'], ['support_dir_service.id'], name=op.f('fk_support_dir_change_service_id_support_dir_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dir_change'))
    )

    with op.batch_alter_table('support_dir_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_dir_change_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_dir_change_state'), ['state'], unique=False)

    op.create_table('support_dir_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['support_dir_service.id'], name=op.f('fk_support_dir_contact_service_id_support_dir_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dir_contact')),
    sa.UniqueConstraint('uuid', name=op.f('uq_support_dir_contact_uuid'))
    )

    with op.batch_alter_table('support_dir_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_dir_contact_service_id'), ['service_id'], unique=False)

    op.create_table('support_dir_location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('sal_uuid', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('location_type', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('address_1', sa.String(length=300), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('postcode', sa.String(length=10), nullable=True),
    sa.Column('borough_code', sa.String(length=9), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['support_dir_service.id'], name=op.f('fk_support_dir_location_service_id_support_dir_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dir_location')),
    sa.UniqueConstraint('sal_uuid', name=op.f('uq_support_dir_location_sal_uuid')),
    sa.UniqueConstraint('uuid', name=op.f('uq_support_dir_location_uuid'))
    )

    with op.batch_alter_table('support_dir_location', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_dir_location_service_id'), ['service_id'], unique=False)

    op.create_table('support_dir_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('freq', sa.String(length=10), nullable=True),
    sa.Column('byday', sa.String(length=40), nullable=True),
    sa.Column('opens_at', sa.String(length=8), nullable=True),
    sa.Column('closes_at', sa.String(length=8), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['support_dir_service.id'], name=op.f('fk_support_dir_schedule_service_id_support_dir_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_dir_schedule')),
    sa.UniqueConstraint('uuid', name=op.f('uq_support_dir_schedule_uuid'))
    )

    with op.batch_alter_table('support_dir_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_dir_schedule_service_id'), ['service_id'], unique=False)

    op.create_table('support_dir_service_term',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['support_dir_service.id'], name=op.f('fk_support_dir_service_term_service_id_support_dir_service'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['term_id'], ['support_dir_term.id'], name=op.f('fk_support_dir_service_term_term_id_support_dir_term'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'term_id', name=op.f('pk_support_dir_service_term'))
    )

    op.create_table('support_referral_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('outreach_case_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['council_id'], ['core_organisation.id'], name=op.f('fk_support_referral_batch_council_id_core_organisation')),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_support_referral_batch_created_by_id_core_user')),
    sa.ForeignKeyConstraint(['resident_id'], ['support_resident.id'], name=op.f('fk_support_referral_batch_resident_id_support_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_referral_batch'))
    )

    with op.batch_alter_table('support_referral_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_referral_batch_council_id'), ['council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_referral_batch_outreach_case_id'), ['outreach_case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_referral_batch_resident_id'), ['resident_id'], unique=False)

    op.create_table('support_referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('outreach_case_id', sa.Integer(), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('vcs_org_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('purpose_key', sa.String(length=60), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('shared', sa.JSON(), nullable=False),
    sa.Column('shared_fields', sa.JSON(), nullable=False),
    sa.Column('needs', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('respond_by', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('declined_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_contact_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('returned_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('officer_unseen', sa.Boolean(), nullable=False),
    sa.Column('retained_until', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('anonymised_at', boroughs.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['support_agreement.id'], name=op.f('fk_support_referral_agreement_id_support_agreement')),
    sa.ForeignKeyConstraint(['batch_id'], ['support_referral_batch.id'], name=op.f('fk_support_referral_batch_id_support_referral_batch')),
    sa.ForeignKeyConstraint(['consent_id'], ['support_consent.id'], name=op.f('fk_support_referral_consent_id_support_consent')),
    sa.ForeignKeyConstraint(['council_id'], ['core_organisation.id'], name=op.f('fk_support_referral_council_id_core_organisation')),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_support_referral_created_by_id_core_user')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['core_user.id'], name=op.f('fk_support_referral_handled_by_id_core_user')),
    sa.ForeignKeyConstraint(['resident_id'], ['support_resident.id'], name=op.f('fk_support_referral_resident_id_support_resident')),
    sa.ForeignKeyConstraint(['service_id'], ['support_dir_service.id'], name=op.f('fk_support_referral_service_id_support_dir_service')),
    sa.ForeignKeyConstraint(['vcs_org_id'], ['core_organisation.id'], name=op.f('fk_support_referral_vcs_org_id_core_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_referral')),
    sa.UniqueConstraint('reference', name=op.f('uq_support_referral_reference'))
    )

    with op.batch_alter_table('support_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_referral_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_referral_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_support_referral_council_resident', ['council_id', 'resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_referral_service_id'), ['service_id'], unique=False)
        batch_op.create_index('ix_support_referral_vcs_sent', ['vcs_org_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_support_referral_vcs_status_sent', ['vcs_org_id', 'status', 'sent_at'], unique=False)

    op.create_table('support_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', boroughs.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('recipient_org_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('purpose_key', sa.String(length=60), nullable=False),
    sa.Column('lawful_basis', sa.String(length=200), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('consent_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['core_user.id'], name=op.f('fk_support_share_actor_id_core_user')),
    sa.ForeignKeyConstraint(['agreement_id'], ['support_agreement.id'], name=op.f('fk_support_share_agreement_id_support_agreement')),
    sa.ForeignKeyConstraint(['consent_id'], ['support_consent.id'], name=op.f('fk_support_share_consent_id_support_consent')),
    sa.ForeignKeyConstraint(['council_id'], ['core_organisation.id'], name=op.f('fk_support_share_council_id_core_organisation')),
    sa.ForeignKeyConstraint(['recipient_org_id'], ['core_organisation.id'], name=op.f('fk_support_share_recipient_org_id_core_organisation')),
    sa.ForeignKeyConstraint(['referral_id'], ['support_referral.id'], name=op.f('fk_support_share_referral_id_support_referral'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resident_id'], ['support_resident.id'], name=op.f('fk_support_share_resident_id_support_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_share'))
    )

    with op.batch_alter_table('support_share', schema=None) as batch_op:
        batch_op.create_index('ix_support_share_resident', ['council_id', 'resident_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table('support_share')

    with op.batch_alter_table('support_referral_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_referral_event_referral_id'))

    op.drop_table('support_referral_event')

    with op.batch_alter_table('support_referral', schema=None) as batch_op:
        batch_op.drop_index('ix_support_referral_vcs_status_sent')
        batch_op.drop_index('ix_support_referral_vcs_sent')
        batch_op.drop_index(batch_op.f('ix_support_referral_service_id'))
        batch_op.drop_index('ix_support_referral_council_resident')
        batch_op.drop_index(batch_op.f('ix_support_referral_batch_id'))
        batch_op.drop_index(batch_op.f('ix_support_referral_agreement_id'))

    op.drop_table('support_referral')

    op.drop_table('support_referral_batch')

    op.drop_table('support_dir_service_term')

    with op.batch_alter_table('support_dir_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_dir_schedule_service_id'))

    op.drop_table('support_dir_schedule')

    with op.batch_alter_table('support_dir_location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_dir_location_service_id'))

    op.drop_table('support_dir_location')

    with op.batch_alter_table('support_dir_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_dir_contact_service_id'))

    op.drop_table('support_dir_contact')

    with op.batch_alter_table('support_dir_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_dir_change_state'))
        batch_op.drop_index(batch_op.f('ix_support_dir_change_service_id'))

    op.drop_table('support_dir_change')

    with op.batch_alter_table('support_consent', schema=None) as batch_op:
        batch_op.drop_index('ix_support_consent_resident')

    op.drop_table('support_consent')

    op.drop_table('support_dir_service')

    with op.batch_alter_table('support_agreement_purpose', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_agreement_purpose_agreement_id'))

    op.drop_table('support_agreement_purpose')

    with op.batch_alter_table('support_agreement_party', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_agreement_party_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_support_agreement_party_agreement_id'))

    op.drop_table('support_agreement_party')

    op.drop_table('support_dir_term')

    with op.batch_alter_table('support_dir_organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_dir_organisation_owner_org_id'))

    op.drop_table('support_dir_organisation')

    op.drop_table('support_agreement')
