"""How the audit view names the fund's objects (issue 17): "proposal 'Digital Buddies', Covid Innovation
Fund 2021", "call 'Covid Innovation Fund 2021'", "strand 'Smarter use of data', ..."."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.audit_view import number_ids, register_namer
from boroughs.fund.models import Call, Criterion, Project, Proposal, Strand


def calls(session: Session, ids: list[str]) -> dict[str, str]:
    return {str(i): f"call '{t}'" for i, t in session.execute(
        select(Call.id, Call.title).where(Call.id.in_(number_ids(ids))))}


def proposals(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(Proposal.id, Proposal.title, Call.title).join(Call, Call.id == Proposal.call_id)
                           .where(Proposal.id.in_(number_ids(ids))))
    return {str(i): f"proposal '{t}', {c}" for i, t, c in rows}


def strands(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(Strand.id, Strand.title, Call.title).join(Call, Call.id == Strand.call_id)
                           .where(Strand.id.in_(number_ids(ids))))
    return {str(i): f"strand '{t}', {c}" for i, t, c in rows}


def criteria(session: Session, ids: list[str]) -> dict[str, str]:
    rows = session.execute(select(Criterion.id, Criterion.title, Call.title).join(Call, Call.id == Criterion.call_id)
                           .where(Criterion.id.in_(number_ids(ids))))
    return {str(i): f"criterion '{t}', {c}" for i, t, c in rows}


def projects(session: Session, ids: list[str]) -> dict[str, str]:
    return {str(i): f"project '{t}'" for i, t in session.execute(
        select(Project.id, Project.title).where(Project.id.in_(number_ids(ids))))}


register_namer(calls, "fund_call")
register_namer(proposals, "fund_proposal")
register_namer(strands, "fund_strand")
register_namer(criteria, "fund_criterion")
register_namer(projects, "fund_project")
