"""The support area: linked resident records, early-warning rules, outreach, referrals to VCS partners,
benefit take-up, and the information governance around them."""

from boroughs.core.area import Area
from boroughs.support import audit_names as _audit_names

assert _audit_names

AREA = Area(
    name="support",
    title="Preventative support: linked records, early warning, outreach, referrals and benefit take-up.",
    package=__name__,
    routes="boroughs.support.routes",
    cli="boroughs.support.cli:app",
    demo="boroughs.support.demo:seed_demo",
)
