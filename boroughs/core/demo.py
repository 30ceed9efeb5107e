"""The demo deployment's organisations and accounts (``boroughs demo seed``; refused unless demo mode is on).

Every demo account has the password ``DEMO_PASSWORD``; the README lists them. Areas add their own demo
content through ``seed_demo(session)`` functions in ``boroughs/<area>/demo.py``, called after this.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import geography
from boroughs.core.auth import hash_demo_password
from boroughs.core.datasets import slugify
from boroughs.core.models import Organisation, OrgKind, Role, User
from boroughs.core.organisations import add_membership, create_organisation, create_user

# Two VCS organisations: fictional names, clearly labelled as demo organisations.
VCS_ORGS = [
    ("Eastside Community Food Network (demo)", "1000001", "eastside-food"),
    ("Hackney Digital Buddies (demo)", "1000002", "digital-buddies"),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    org_slug: str
    role: Role


ACCOUNTS = [
    DemoAccount("admin@demo.boroughs.test", "Pat Admin", "boroughs-platform", Role.PLATFORM_ADMIN),
    DemoAccount("analyst@newham.demo.boroughs.test", "Nadia Analyst", "newham", Role.COUNCIL_ANALYST),
    DemoAccount("officer@newham.demo.boroughs.test", "Olu Officer", "newham", Role.COUNCIL_OFFICER),
    DemoAccount("manager@newham.demo.boroughs.test", "Meera Manager", "newham", Role.COUNCIL_MANAGER),
    DemoAccount("admin@newham.demo.boroughs.test", "Aisha Admin", "newham", Role.COUNCIL_ADMIN),
    DemoAccount("officer@hackney.demo.boroughs.test", "Harry Officer", "hackney", Role.COUNCIL_OFFICER),
    DemoAccount("manager@hackney.demo.boroughs.test", "Hana Manager", "hackney", Role.COUNCIL_MANAGER),
    DemoAccount("analyst@barnet.demo.boroughs.test", "Bola Analyst", "barnet", Role.COUNCIL_ANALYST),
    DemoAccount("officer@brent.demo.boroughs.test", "Bryn Officer", "brent", Role.COUNCIL_OFFICER),
    DemoAccount("caseworker@eastside-food.demo.boroughs.test", "Chen Caseworker", "eastside-food", Role.VCS_CASEWORKER),
    DemoAccount("manager@eastside-food.demo.boroughs.test", "Maya VCS Manager", "eastside-food", Role.VCS_MANAGER),
    DemoAccount("caseworker@digital-buddies.demo.boroughs.test", "Dev Caseworker", "digital-buddies", Role.VCS_CASEWORKER),
    DemoAccount("manager@digital-buddies.demo.boroughs.test", "Dina VCS Manager", "digital-buddies", Role.VCS_MANAGER),
    DemoAccount("fund@loti.demo.boroughs.test", "Femi Fund Manager", "loti", Role.FUND_MANAGER),
    DemoAccount("panel1@loti.demo.boroughs.test", "Priya Panel", "loti", Role.PANEL_MEMBER),
    DemoAccount("panel2@loti.demo.boroughs.test", "Paul Panel", "loti", Role.PANEL_MEMBER),
    DemoAccount("panel@newham.demo.boroughs.test", "Nina Panel (Newham)", "newham", Role.COUNCIL_OFFICER),
    DemoAccount("ig@newham.demo.boroughs.test", "Ines Information Governance", "newham", Role.COUNCIL_IG),
]


@lru_cache
def _demo_password_hash() -> str:
    """One Argon2id hash shared by every demo account (hashing is deliberately slow)."""
    return hash_demo_password()


def _org(db: Session, slug: str) -> Organisation | None:
    return db.scalar(select(Organisation).where(Organisation.slug == slug))


def seed_core(db: Session) -> dict[str, int]:
    """Idempotently create the platform operator, all 33 London councils, two VCS organisations, the fund
    body and the demo accounts. Needs the geography to be loaded (it names the councils)."""
    if not geography.is_loaded(db):
        geography.load_into(db)
    created = {"organisations": 0, "users": 0}
    if _org(db, "boroughs-platform") is None:
        create_organisation(db, "Boroughs platform (demo)", OrgKind.PLATFORM, slug="boroughs-platform", is_demo=True)
        created["organisations"] += 1
    for b in geography.boroughs(db):
        if db.scalar(select(Organisation).where(Organisation.ons_code == b.code)) is None:
            slug = slugify(b.name)  # "barking-and-dagenham", "kingston-upon-thames", "newham"
            label = b.name if b.code == "E09000001" else f"London Borough of {b.name}"
            create_organisation(db, label, OrgKind.COUNCIL, ons_code=b.code, slug=slug, is_demo=True)
            created["organisations"] += 1
    for name, charity, slug in VCS_ORGS:
        if _org(db, slug) is None:
            create_organisation(db, name, OrgKind.VCS, charity_number=charity, slug=slug, is_demo=True)
            created["organisations"] += 1
    if _org(db, "loti") is None:
        create_organisation(db, "London Office of Technology and Innovation (demo fund body)", OrgKind.FUND_BODY,
                            slug="loti", is_demo=True)
        created["organisations"] += 1
    for acct in ACCOUNTS:
        user = db.scalar(select(User).where(User.email == acct.email))
        if user is None:
            user = create_user(db, acct.email, acct.name, None)
            user.password_hash = _demo_password_hash()
            created["users"] += 1
        org = _org(db, acct.org_slug)
        assert org is not None, acct.org_slug
        add_membership(db, user, org, acct.role)
    return created
