"""Organisations, users and roles: the rules the admin pages and CLI rely on (issue 2)."""

from __future__ import annotations

import pytest

from boroughs.core.errors import ValidationFailed
from boroughs.core.models import OrgKind, Role
from boroughs.core.organisations import add_membership, create_organisation, create_user, organisation_by


def test_council_needs_a_valid_unique_ons_code(session):
    with pytest.raises(ValidationFailed, match="ONS local authority code"):
        create_organisation(session, "Nowhere", OrgKind.COUNCIL)
    with pytest.raises(ValidationFailed, match="ONS local authority code"):
        create_organisation(session, "Nowhere", OrgKind.COUNCIL, ons_code="E01000001")
    create_organisation(session, "Newham", OrgKind.COUNCIL, ons_code="E09000025")
    with pytest.raises(ValidationFailed, match="already exists"):
        create_organisation(session, "Newham again", OrgKind.COUNCIL, ons_code="E09000025")


def test_vcs_needs_a_charity_or_company_number(session):
    with pytest.raises(ValidationFailed, match="charity number or company number"):
        create_organisation(session, "Food bank", OrgKind.VCS)
    with pytest.raises(ValidationFailed, match="is not a charity number"):
        create_organisation(session, "Food bank", OrgKind.VCS, charity_number="12")
    org = create_organisation(session, "Food bank", OrgKind.VCS, charity_number="1123456")
    assert organisation_by(session, "food-bank").id == org.id
    assert organisation_by(session, org.id).id == org.id


def test_roles_must_fit_the_kind_of_organisation(session):
    vcs = create_organisation(session, "Advice", OrgKind.VCS, company_number="01234567")
    user = create_user(session, "a@b.org", "A B", "orchard-violet-kettle")
    with pytest.raises(ValidationFailed, match="cannot have the role council_officer"):
        add_membership(session, user, vcs, Role.COUNCIL_OFFICER)
    with pytest.raises(ValidationFailed, match="is not a role"):
        add_membership(session, user, vcs, "overlord")
    m = add_membership(session, user, vcs, Role.VCS_CASEWORKER)
    assert add_membership(session, user, vcs, Role.VCS_CASEWORKER).id == m.id  # idempotent


def test_duplicate_and_malformed_emails(session):
    create_user(session, "Person@Example.org", "P", None)
    with pytest.raises(ValidationFailed, match="already an account"):
        create_user(session, "person@example.ORG", "P2", None)
    with pytest.raises(ValidationFailed, match="not an email address"):
        create_user(session, "not-an-email", "P3", None)
