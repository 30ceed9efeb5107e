"""How the audit view names referrals (issue 17): by number and council, never by a resident's personal
details ("referral R-000123 for resident 1307, Newham")."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.audit_view import number_ids, register_namer, short_org_name
from boroughs.core.models import Organisation
from boroughs.support.referrals.models import Referral


def referrals(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(Referral.id, Referral.reference, Referral.resident_id, Organisation.name).join(
        Organisation, Organisation.id == Referral.council_id).where(Referral.id.in_(number_ids(ids))))
    return {str(i): f"referral {ref} for resident {rid}, {short_org_name(name)}" for i, ref, rid, name in rows}


register_namer(referrals, "referral", "support_referral")
