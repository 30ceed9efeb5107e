"""The fund area: calls and strands, partnership proposals, assessment, awards, projects and openness.

Public surface (import from here, not from the modules): the services are in ``calls``, ``call_edit``,
``proposals``, ``partnership``, ``submission``, ``assessment``, ``panel``, ``decisions``, ``projects``; open
data in ``opendata.giving360`` and ``opendata.publishing``; the pages in ``routes`` (a package, one module
a stage); the demo round in ``demo``.
"""

from boroughs.core.area import Area
from boroughs.fund import audit_names as _audit_names
from boroughs.fund import permissions as _permissions

assert _permissions and _audit_names

AREA = Area(
    name="fund",
    title="The collaborative fund: calls, joint proposals, assessment, projects and open grants data.",
    package=__name__,
    routes="boroughs.fund.routes",
    cli="boroughs.fund.cli:app",
    demo="boroughs.fund.demo:seed_demo",
)
