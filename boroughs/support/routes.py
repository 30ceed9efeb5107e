"""The support area's pages: each sub-package's router, included here (one line each, in this order)."""

from fastapi import APIRouter

from boroughs.support.concerns import routes as concern_routes  # concern forms and queue (issue 17)
from boroughs.support.directory import routes as directory_routes  # the service directory and the ORUK API
from boroughs.support.entitlements import routes as entitlement_routes  # benefit take-up (issue 18)
from boroughs.support.governance import routes as governance_routes  # agreements and consent
from boroughs.support.governance.routes import hub as ig_routes  # subject access and retention (issue 17)
from boroughs.support.linkage import routes as linkage_routes  # resident view and clerical review
from boroughs.support.outreach import routes as outreach_routes  # worklists, cases and evaluation
from boroughs.support.referrals import routes as referral_routes  # referrals and the VCS inbox
from boroughs.support.rules import routes as rule_routes  # early warning: rules, approval, fairness
from boroughs.support.rules.routes import (
    builder as routes_builder,  # the rule builder and reference (issue 17)
)
from boroughs.support.web import home as routes_home  # the /support front page

router = APIRouter()
for part in (routes_home, rule_routes, outreach_routes, directory_routes, governance_routes, referral_routes,
             linkage_routes, entitlement_routes, concern_routes, ig_routes, routes_builder):
    router.include_router(part.router)

# One entry in the service navigation: /support links to every part of the area the person may use.
NAV = [{"text": "Support", "href": "/support"}]
