"""The support area: linked resident records, early-warning rules, outreach, referrals to VCS partners,
benefit take-up, and the information governance around them."""

from boroughs.core.area import Area

# Each part connects its plug-ins when it is imported (its permission actions, how the audit view names
# its objects, the rule signals, subject access sections and event listeners it adds to the parts before
# it), so importing the area imports every part.
from boroughs.support import (
    concerns,
    directory,
    entitlements,
    governance,
    linkage,
    outreach,
    records,
    referrals,
    rules,
)

assert concerns and directory and entitlements and governance and linkage and outreach and records
assert referrals and rules

AREA = Area(
    name="support",
    title="Preventative support: linked records, early warning, outreach, referrals and benefit take-up.",
    package=__name__,
    routes="boroughs.support.routes",
    cli="boroughs.support.cli:app",
    demo="boroughs.support.demo:seed_demo",
)
