"""The fund area: calls and strands, partnership proposals, assessment, awards, projects and openness.

Public surface (import from here, not from the modules): the services are in ``calls``, ``proposals``,
``assessment``, ``decisions``, ``projects``; open data in ``giving360`` and ``publishing``; the demo
round in ``demo``.
"""

from boroughs.fund import audit_names as _audit_names
from boroughs.fund import permissions as _permissions

assert _permissions and _audit_names
