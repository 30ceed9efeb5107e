"""The support area's pages: each part of the area adds its own router here (one line each)."""

from fastapi import APIRouter

from boroughs.support.routes_home import router as home_router  # the /support front page
from boroughs.support.routes_outreach import router as outreach_router

router = APIRouter()
NAV = [{"text": "Support", "href": "/support"},
       {"text": "Early warning", "href": "/support/early-warning", "needs": "support.rules.view"}]

router.include_router(home_router)

router.include_router(outreach_router)

from boroughs.support import routes_referrals  # noqa: E402  directory, agreements, consent, referrals, ORUK API

router.include_router(routes_referrals.router)
NAV.extend(routes_referrals.NAV)

from boroughs.support import routes_linkage  # noqa: E402  resident view and clerical review of linkage

router.include_router(routes_linkage.router)

from boroughs.support.entitlements import routes as entitlement_routes  # noqa: E402  benefit take-up (issue 18)

router.include_router(entitlement_routes.router)

# One entry in the service navigation: /support links to every part of the area the person may use.
NAV = [{"text": "Support", "href": "/support"}]

from boroughs.support.concerns import routes as concern_routes  # noqa: E402  concern forms and queue (issue 17)

router.include_router(concern_routes.router)

from boroughs.support.ig import routes as ig_routes  # noqa: E402  subject access and retention (issue 17)

router.include_router(ig_routes.router)

from boroughs.support import routes_rule_builder  # noqa: E402  the rule builder and reference (issue 17)

router.include_router(routes_rule_builder.router)
