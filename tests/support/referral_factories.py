"""A small world for directory, governance and referral tests: two councils, three VCS organisations, users,
SYNTHETIC residents, the demo services and agreements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from boroughs.core.auth import hash_demo_password
from boroughs.core.models import Organisation, OrgKind, Role, User
from boroughs.core.organisations import add_membership, create_organisation, create_user
from boroughs.support.demo.referrals import seed_demo_referrals
from boroughs.support.directory.models import DirService
from boroughs.support.records.models import ImportBatch, Resident, ResidentRecord, SourceRecord


@dataclass
class World:
    orgs: dict[str, Organisation]
    users: dict[str, User]
    residents: dict[str, Resident] = field(default_factory=dict)
    services: dict[str, DirService] = field(default_factory=dict)


def _user(db: Session, email: str, org: Organisation, role: Role, with_password: bool = False) -> User:
    u = create_user(db, email, email.split("@")[0].title(), None)
    if with_password:  # the published demo password is refused for new accounts: set it as the demo seed does
        u.password_hash = hash_demo_password()
    add_membership(db, u, org, role)
    db.flush()
    db.refresh(u)
    return u


def resident(db: Session, council: Organisation, first: str, last: str, *, dob: dt.date = dt.date(1970, 5, 1),
             postcode: str = "E15 1AA", phone: str = "07700 900123", disability: bool | None = True) -> Resident:
    r = Resident(organisation_id=council.id, first_name=first, last_name=last, dob=dob, postcode=postcode,
                 synthetic=True, disability=disability)
    db.add(r)
    db.flush()
    imp = ImportBatch(organisation_id=council.id, dataset="council_tax", schema_version="1", filename="SYNTHETIC.csv",
                      checksum=f"x{r.id}", rows=1, synthetic=True)
    db.add(imp)
    db.flush()
    rec = SourceRecord(organisation_id=council.id, dataset="council_tax", record_id=f"CT{r.id}", import_id=imp.id,
                       first_name=first, last_name=last, dob=dob, address_line_1="10 Synthetic Street",
                       postcode=postcode, phone=phone, email=f"{first.lower()}@example.invalid", synthetic=True)
    db.add(rec)
    db.flush()
    db.add(ResidentRecord(source_record_id=rec.id, resident_id=r.id))
    db.flush()
    return r


def world(db: Session, *, passwords: bool = False) -> World:
    orgs = {
        "newham": create_organisation(db, "London Borough of Newham", OrgKind.COUNCIL, ons_code="E09000025",
                                      slug="newham"),
        "hackney": create_organisation(db, "London Borough of Hackney", OrgKind.COUNCIL, ons_code="E09000012",
                                       slug="hackney"),
        "eastside": create_organisation(db, "Eastside Community Food Network (demo)", OrgKind.VCS,
                                        slug="eastside-food", charity_number="1000001"),
        "buddies": create_organisation(db, "Hackney Digital Buddies (demo)", OrgKind.VCS, slug="digital-buddies",
                                       charity_number="1000002"),
        "other": create_organisation(db, "Another Charity (demo)", OrgKind.VCS, slug="other-charity",
                                     charity_number="1000003"),
    }
    db.flush()
    users = {
        "officer": _user(db, "officer@newham.test", orgs["newham"], Role.COUNCIL_OFFICER, passwords),
        "manager": _user(db, "manager@newham.test", orgs["newham"], Role.COUNCIL_MANAGER, passwords),
        "analyst": _user(db, "analyst@newham.test", orgs["newham"], Role.COUNCIL_ANALYST, passwords),
        "hackney_officer": _user(db, "officer@hackney.test", orgs["hackney"], Role.COUNCIL_OFFICER, passwords),
        "eastside": _user(db, "caseworker@eastside.test", orgs["eastside"], Role.VCS_CASEWORKER, passwords),
        "eastside_manager": _user(db, "manager@eastside.test", orgs["eastside"], Role.VCS_MANAGER, passwords),
        "buddies": _user(db, "caseworker@buddies.test", orgs["buddies"], Role.VCS_CASEWORKER, passwords),
        "buddies_manager": _user(db, "manager@buddies.test", orgs["buddies"], Role.VCS_MANAGER, passwords),
        "other": _user(db, "caseworker@other.test", orgs["other"], Role.VCS_CASEWORKER, passwords),
    }
    seed_demo_referrals(db)
    w = World(orgs, users)
    w.residents["ada"] = resident(db, orgs["newham"], "Ada", "Synthetic")
    w.residents["bo"] = resident(db, orgs["newham"], "Bo", "Synthetic", dob=dt.date(1990, 1, 2))
    w.residents["hackney"] = resident(db, orgs["hackney"], "Cy", "Synthetic", postcode="E8 1AA")
    from sqlalchemy import select

    for s in db.scalars(select(DirService)):
        key = {"Emergency food parcels (demo)": "food", "Fuel vouchers and energy advice (demo)": "fuel",
               "Free device and data (demo)": "device", "Digital skills drop-in (demo)": "skills"}[s.name]
        w.services[key] = s
    db.flush()
    return w
