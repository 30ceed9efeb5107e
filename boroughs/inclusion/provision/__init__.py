"""Provision beside need: the digital support a council knows of (libraries, digital hubs, device lending,
data banks, free wifi, skills courses, assisted digital), how far each small area is from it, and where
residents likely offline are beyond walking distance of any of it.

- :mod:`.models`: the ``inclusion_provision`` table (one row per site; owned by the importing council).
- :mod:`.importer`: CSV and Open Referral UK (1.0 feeds, 3.0 exports) in, whole or not at all.
- :mod:`.hours`: opening hours (OpenStreetMap ``opening_hours`` style) → open evenings / weekends.
- :mod:`.reach`: straight-line distance from each LSOA's centroid (EPSG:27700), walking time, counts.
- :mod:`.gaps`: the gap measure (need × distance) and the ranked lists.
- :mod:`.service`: the cached reach and gap tables, one area's gap and a borough's, as the web shows them.
- :mod:`.cli`: ``boroughs inclusion provision import|list|clear`` and ``boroughs inclusion gaps``.
- :mod:`boroughs.inclusion.web.provision`: the API under ``/api/v1/inclusion/`` and the pages that show it.

The method and its limits are in ``docs/inclusion/provision.md``.
"""

from boroughs.inclusion.provision import permissions as _permissions

assert _permissions
