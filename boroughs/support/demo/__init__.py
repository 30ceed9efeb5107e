"""The support area's demo (``boroughs demo seed``): each part seeds its own content, in order.

1. linkage (``linkage.demo``): SYNTHETIC residents of Newham and Hackney, imported and linked;
2. early-warning rules and outreach (``demo.rules`` here), which use those residents;
3. the service directory, agreements and referrals (``demo.referrals`` here);
4. referrals from outreach cases with their outcomes, and concerns (``demo.activity`` here, issue 17);
5. the benefit take-up campaign (``entitlements.demo``), from those residents' claims.

The steps that span several parts live here, at the top of the area, so no part depends on another for
its demo. Each step is idempotent.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from boroughs.support.demo.activity import seed_demo_activity
from boroughs.support.demo.referrals import seed_demo_referrals
from boroughs.support.demo.rules import seed_demo_rules
from boroughs.support.entitlements.demo import seed_demo_entitlements
from boroughs.support.linkage.demo import seed_demo_linkage


def seed_demo(db: Session) -> dict[str, int]:
    done: dict[str, int] = {}
    for name, step in (("linkage", seed_demo_linkage), ("rules", seed_demo_rules),
                       ("referrals", seed_demo_referrals), ("activity", seed_demo_activity),
                       ("entitlements", seed_demo_entitlements)):
        for key, value in step(db).items():
            done[f"{name}_{key}"] = value
        db.flush()
    return done
