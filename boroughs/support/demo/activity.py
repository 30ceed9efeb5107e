"""Demo activity (issue 17): referrals from the demo's outreach cases with the outcomes the VCS partner
reported, and concerns raised by a partner and by residents, so the inbox, the case pages, the referral
report and the concern queue have something to show. Everything is SYNTHETIC; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core.errors import BoroughsError
from boroughs.core.models import Organisation, User
from boroughs.support.concerns import service as concerns
from boroughs.support.concerns.models import Concern
from boroughs.support.directory.models import DirService
from boroughs.support.outreach.models import OutreachCase
from boroughs.support.outreach.service import contact_details
from boroughs.support.records.models import Resident
from boroughs.support.referrals import service as referral
from boroughs.support.referrals.models import Referral

FOOD = "Emergency food parcels (demo)"


def _user(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == email))


def seed_demo_activity(db: Session) -> dict[str, int]:
    done = {"referrals": 0, "outcomes": 0, "concerns": 0}
    org = db.scalar(select(Organisation).where(Organisation.slug == "newham"))
    officer = _user(db, "officer@newham.demo.boroughs.test")
    caseworker = _user(db, "caseworker@eastside-food.demo.boroughs.test")
    food = db.scalar(select(DirService).where(DirService.name == FOOD))
    if org is None or officer is None or caseworker is None or food is None:
        return done
    if not db.scalar(select(func.count()).select_from(Referral).where(Referral.council_id == org.id)):
        cases = list(db.scalars(select(OutreachCase).where(OutreachCase.organisation_id == org.id,
                                                           OutreachCase.assigned_to_id == officer.id,
                                                           OutreachCase.status != "closed")
                                .order_by(OutreachCase.priority.desc(), OutreachCase.id).limit(6)))
        outcomes = [("help_given", "Three weeks of food parcels delivered (SYNTHETIC demo)"),
                    ("signposted", "Referred on to the borough's debt advice service (SYNTHETIC demo)"),
                    ("could_not_contact", "Three calls and a letter, no reply (SYNTHETIC demo)")]
        for i, case in enumerate(cases):
            try:
                batch = referral.send_referrals(db, officer, council_id=org.id, resident_id=case.resident_id,
                                                service_ids=[food.id], needs_list=["food"],
                                                reason="Short of food this month (SYNTHETIC demo)",
                                                outreach_case_id=case.id)
            except BoroughsError:  # a case the agreement does not cover is skipped, not fatal
                continue
            done["referrals"] += 1
            ref = batch.referrals[0]
            if i == len(cases) - 1:
                continue  # one waits in the partner's inbox
            if i == 4:
                referral.decline(db, caseworker, ref, "Outside our delivery area this month (SYNTHETIC demo)")
                continue
            referral.accept(db, caseworker, ref)
            if i < len(outcomes):
                referral.record_outcome(db, caseworker, ref, outcomes[i][0], outcomes[i][1])
                done["outcomes"] += 1
    if not db.scalar(select(func.count()).select_from(Concern).where(Concern.council_id == org.id)):
        residents = list(db.scalars(select(Resident).where(Resident.organisation_id == org.id, Resident.active)
                                    .order_by(Resident.id).limit(3)))
        kinds = [("vcs", "food insecurity", "Came to the food bank three times this month; the children are "
                  "going without (SYNTHETIC demo)."),
                 ("public_self", "debt", "I have fallen behind with council tax and the rent since my hours were "
                  "cut (SYNTHETIC demo)."),
                 ("public_other", "isolation", "My neighbour has not left the flat for weeks and seems confused "
                  "(SYNTHETIC demo).")]
        for r, (kind, category, detail) in zip(residents, kinds, strict=False):
            details = contact_details(db, r.id)
            address = details["address"] or {}
            data = concerns.ConcernInput(
                council_slug=org.slug, about_self=kind == "public_self", about_name=f"{r.first_name} {r.last_name}",
                about_address=str(address.get("address_line_1") or ""),
                about_postcode=str(address.get("postcode") or r.postcode or ""), category=category, detail=detail,
                reporter_name="A neighbour (SYNTHETIC demo)" if kind == "public_other" else "",
                knows_about_it="no" if kind == "public_other" else "")
            try:
                c = concerns.raise_concern(db, data, user=caseworker if kind == "vcs" else None,
                                           vcs_org_id=caseworker.memberships[0].organisation_id if kind == "vcs"
                                           else None, address=None if kind == "vcs" else "demo")
            except BoroughsError:  # a synthetic record without an address or postcode is skipped
                continue
            c.synthetic = True
            done["concerns"] += 1
    db.flush()
    return done
