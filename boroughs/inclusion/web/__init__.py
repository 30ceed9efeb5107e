"""The inclusion area on the web: :mod:`.routes` (what ``AREA`` declares), :mod:`.api` (the map's JSON API),
:mod:`.pages` (the map's pages), :mod:`.provision` (digital support: API and pages), :mod:`.briefings` and
:mod:`.pdf` (the briefings' chart and PDFs), :mod:`.responses` (ETags and gzipped bodies).

Only this sub-package imports FastAPI, Starlette or :mod:`boroughs.web`.
"""
