"""How the audit view names residents (issue 17): by number and council, never by a resident's personal
details ("resident 1307, Newham")."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.audit_view import number_ids, register_namer, short_org_name
from boroughs.core.models import Organisation
from boroughs.support.records.models import Resident


def residents(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(Resident.id, Organisation.name).join(
        Organisation, Organisation.id == Resident.organisation_id).where(Resident.id.in_(number_ids(ids))))
    return {str(i): f"resident {i}, {short_org_name(name)}" for i, name in rows}


register_namer(residents, "resident", "support_resident")
