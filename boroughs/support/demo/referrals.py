"""Demo content for the directory and referrals: services of the two demo VCS organisations, and data
sharing agreements between Newham and Hackney and them (``seed_demo_referrals``; idempotent).

- Eastside Community Food Network (demo): food parcels, fuel vouchers and energy advice, under an agreement
  on the UK GDPR Article 6(1)(e) public task basis.
- Hackney Digital Buddies (demo): a free device with data, and a digital skills drop-in, under an agreement
  on the consent basis (Article 6(1)(a)): officers record the resident's consent before referring.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.models import Organisation
from boroughs.support.directory.models import (
    DirContact,
    DirLocation,
    DirOrganisation,
    DirSchedule,
    DirService,
)
from boroughs.support.directory.service import ensure_needs_taxonomy, need_terms
from boroughs.support.governance import service as governance
from boroughs.support.governance.models import Agreement

NEWHAM, HACKNEY = "E09000025", "E09000012"

DEMO_ORGS: dict[str, dict[str, Any]] = {
    "eastside-food": {
        "uuid": "5d0f7d0e-6f43-4c7e-9a55-1a2b3c4d5e01",
        "description": "A network of food banks, community kitchens and fuel support across east London "
                       "(a fictional organisation for the demo).",
        "website": "https://eastside-food.example.org",
        "email": "hello@eastside-food.example.org",
        "services": [
            {"uuid": "8a6f1c52-0d7e-4b8a-9e10-3f2b1c4d5e11", "name": "Emergency food parcels (demo)",
             "description": "Three days of food for a household, delivered or collected, with a follow-up call.",
             "needs": ["food"], "areas": [NEWHAM, HACKNEY], "waiting_days": 1, "capacity_week": 40,
             "response_days": 2, "eligibility": "Any household in Newham or Hackney that is short of food.",
             "location": ("Eastside Community Hall (demo)", "1 Example Road", "E15 4AA", NEWHAM),
             "schedule": ("MO,WE,FR", "10:00", "14:00"), "contact": ("Referrals desk", "020 7946 0001")},
            {"uuid": "8a6f1c52-0d7e-4b8a-9e10-3f2b1c4d5e12", "name": "Fuel vouchers and energy advice (demo)",
             "description": "Prepayment meter top-ups and a one-to-one energy and debt advice session.",
             "needs": ["fuel", "money_debt"], "areas": [NEWHAM], "waiting_days": 5, "capacity_week": 15,
             "response_days": 3, "eligibility": "Newham residents with a prepayment meter or energy debt.",
             "location": ("Eastside Advice Centre (demo)", "2 Example Street", "E13 9AA", NEWHAM),
             "schedule": ("TU,TH", "09:30", "16:30"), "contact": ("Energy adviser", "020 7946 0002")},
        ],
    },
    "digital-buddies": {
        "uuid": "5d0f7d0e-6f43-4c7e-9a55-1a2b3c4d5e02",
        "description": "Volunteers who help people get online: devices, data and patient one-to-one help "
                       "(a fictional organisation for the demo).",
        "website": "https://digital-buddies.example.org",
        "email": "hello@digital-buddies.example.org",
        "services": [
            {"uuid": "8a6f1c52-0d7e-4b8a-9e10-3f2b1c4d5e21", "name": "Free device and data (demo)",
             "description": "A refurbished laptop or tablet with six months of free mobile data, set up with you.",
             "needs": ["digital"], "areas": [HACKNEY, NEWHAM], "waiting_days": 7, "capacity_week": 10,
             "response_days": 3, "eligibility": "Adults without a working device or home internet.",
             "minimum_age": 18,
             "location": ("Digital Buddies Hub (demo)", "3 Example Lane", "E8 1AA", HACKNEY),
             "schedule": ("MO,TU,WE,TH", "10:00", "17:00"), "contact": ("Device scheme", "020 7946 0003")},
            {"uuid": "8a6f1c52-0d7e-4b8a-9e10-3f2b1c4d5e22", "name": "Digital skills drop-in (demo)",
             "description": "Weekly sessions to learn email, online forms and video calls, with tea and company.",
             "needs": ["digital", "isolation"], "areas": [HACKNEY], "waiting_days": 3, "capacity_week": 25,
             "response_days": 3, "eligibility": "Anyone; most people who come are over 60.",
             "location": ("Hackney Library (demo)", "4 Example Square", "E8 2AA", HACKNEY),
             "schedule": ("SA", "10:00", "12:30"), "contact": ("Session lead", "020 7946 0004")},
        ],
    },
}

AGREEMENTS: list[dict[str, Any]] = [
    {"reference": "DSA-DEMO-2026-01", "recipients": ["eastside-food"],
     "title": "Food and fuel referrals: Newham, Hackney and Eastside Community Food Network (demo)",
     "art6_basis": "e",
     "art6_detail": "Public task: the councils' duties to prevent needs for care and support (Care Act 2014 s.2) "
                    "and to promote wellbeing (Localism Act 2011 s.1).",
     "purpose": governance.PurposeSpec(
         "food-fuel-referral", "Refer a resident for emergency food, fuel or energy advice",
         ("first_name", "last_name", "phone", "address", "postcode", "needs", "referral_reason"), 365,
         needs=("food", "fuel"))},
    {"reference": "DSA-DEMO-2026-02", "recipients": ["digital-buddies"],
     "title": "Digital inclusion referrals with consent: Newham, Hackney and Hackney Digital Buddies (demo)",
     "art6_basis": "a", "art6_detail": "The resident's consent, recorded by the referring officer.",
     "purpose": governance.PurposeSpec(
         "digital-inclusion-referral", "Refer a resident who wants help getting online",
         ("first_name", "phone", "postcode", "age_band", "needs", "referral_reason"), 180)},
    {"reference": "DSA-DEMO-2026-03", "recipients": ["eastside-food"],
     "title": "Help to claim: Newham, Hackney and Eastside Community Food Network's advice service (demo)",
     "art6_basis": "e",
     "art6_detail": "Public task: the councils' duty to promote wellbeing (Localism Act 2011 s.1) and their "
                    "administration of Housing Benefit and Council Tax Reduction.",
     "purpose": governance.PurposeSpec(
         "benefit-claim-help", "Refer a resident the benefit take-up estimate lists, who wants help to claim "
         "Pension Credit, Housing Benefit or Council Tax Reduction",
         ("first_name", "last_name", "phone", "address", "postcode", "needs", "referral_reason",
          "benefit_estimate"), 365, needs=("money_debt",))},
]


def _org(db: Session, slug: str) -> Organisation | None:
    return db.scalar(select(Organisation).where(Organisation.slug == slug))


def seed_directory(db: Session) -> int:
    """The demo VCS organisations' listings; returns how many services were created."""
    ensure_needs_taxonomy(db)
    created = 0
    for slug, spec in DEMO_ORGS.items():
        owner = _org(db, slug)
        if owner is None:
            continue
        dorg = db.scalar(select(DirOrganisation).where(DirOrganisation.uuid == spec["uuid"]))
        if dorg is None:
            dorg = DirOrganisation(uuid=spec["uuid"], name=owner.name, description=spec["description"],
                                   website=spec["website"], email=spec["email"], owner_org_id=owner.id,
                                   source="demo")
            db.add(dorg)
            db.flush()
        for s in spec["services"]:
            if db.scalar(select(DirService).where(DirService.uuid == s["uuid"])) is not None:
                continue
            svc = DirService(uuid=s["uuid"], organisation=dorg, name=s["name"], description=s["description"],
                             status="active", areas=s["areas"], eligibility=s["eligibility"],
                             minimum_age=s.get("minimum_age"), email=spec["email"], url=spec["website"],
                             receives_referrals=True, accepting_referrals=True, waiting_days=s["waiting_days"],
                             capacity_week=s["capacity_week"], response_days=s["response_days"],
                             status_updated_at=utcnow(), source="demo")
            db.add(svc)
            svc.terms = need_terms(db, s["needs"])
            lname, line1, postcode, borough = s["location"]
            svc.locations = [DirLocation(name=lname, address_1=line1, city="London", postcode=postcode,
                                         borough_code=borough)]
            byday, opens, closes = s["schedule"]
            svc.schedules = [DirSchedule(freq="WEEKLY", byday=byday, opens_at=opens, closes_at=closes,
                                         description=f"Open {byday.replace(',', ', ')} {opens}–{closes}")]
            cname, phone = s["contact"]
            svc.contacts = [DirContact(name=cname, title="Referrals", phone=phone)]
            db.add(svc)
            created += 1
    db.flush()
    return created


def seed_agreements(db: Session, today: dt.date | None = None) -> int:
    today = today or utcnow().date()
    councils = [o for o in (_org(db, "newham"), _org(db, "hackney")) if o is not None]
    if not councils:
        return 0
    made = 0
    for spec in AGREEMENTS:
        if db.scalar(select(Agreement).where(Agreement.reference == spec["reference"])) is not None:
            continue
        recipients = [o.id for o in (_org(db, s) for s in spec["recipients"]) if o is not None]
        if not recipients:
            continue
        governance.create_agreement(
            db, reference=spec["reference"], title=spec["title"], disclosers=[c.id for c in councils],
            recipients=recipients, purposes=[spec["purpose"]], art6_basis=spec["art6_basis"],
            art6_detail=spec["art6_detail"], start=today - dt.timedelta(days=30),
            end=today + dt.timedelta(days=700), review=today + dt.timedelta(days=335),
            summary="A demonstration agreement: not a real legal document.")
        made += 1
    return made


def seed_demo_referrals(db: Session) -> dict[str, int]:
    """Idempotently add the demo directory services and agreements (call after the core demo)."""
    return {"services": seed_directory(db), "agreements": seed_agreements(db)}
