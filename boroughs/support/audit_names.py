"""How the audit view names the support area's objects (issue 17): by number and council, never by a
resident's personal details ("resident 1307, Newham"; "referral R-000123 for resident 1307, Newham")."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.audit_view import register_namer, short_org_name
from boroughs.core.models import Organisation
from boroughs.support.outreach.models import OutreachCase
from boroughs.support.records.models import Resident
from boroughs.support.referrals.models import Referral


def _ids(ids: list[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def residents(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(Resident.id, Organisation.name).join(
        Organisation, Organisation.id == Resident.organisation_id).where(Resident.id.in_(_ids(ids))))
    return {str(i): f"resident {i}, {short_org_name(name)}" for i, name in rows}


def referrals(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(Referral.id, Referral.reference, Referral.resident_id, Organisation.name).join(
        Organisation, Organisation.id == Referral.council_id).where(Referral.id.in_(_ids(ids))))
    return {str(i): f"referral {ref} for resident {rid}, {short_org_name(name)}" for i, ref, rid, name in rows}


def cases(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(OutreachCase.id, OutreachCase.resident_id, Organisation.name).join(
        Organisation, Organisation.id == OutreachCase.organisation_id).where(OutreachCase.id.in_(_ids(ids))))
    return {str(i): f"outreach case {i} for resident {rid}, {short_org_name(name)}" for i, rid, name in rows}


register_namer(residents, "resident", "support_resident")
register_namer(referrals, "referral", "support_referral")
register_namer(cases, "outreach_case", "support_outreach_case")
