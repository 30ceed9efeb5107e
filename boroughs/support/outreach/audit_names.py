"""How the audit view names outreach cases (issue 17): by number and council, never by a resident's personal
details ("outreach case 12 for resident 1307, Newham")."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.audit_view import number_ids, register_namer, short_org_name
from boroughs.core.models import Organisation
from boroughs.support.outreach.models import OutreachCase


def cases(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(OutreachCase.id, OutreachCase.resident_id, Organisation.name).join(
        Organisation, Organisation.id == OutreachCase.organisation_id).where(OutreachCase.id.in_(number_ids(ids))))
    return {str(i): f"outreach case {i} for resident {rid}, {short_org_name(name)}" for i, rid, name in rows}


register_namer(cases, "outreach_case", "support_outreach_case")
