"""The build pipeline of the digital exclusion index (``boroughs inclusion build``).

- :mod:`.catalogue`: the indicators and need types (``boroughs/inclusion/data/indicators.yaml``).
- :mod:`.indicators`: every input on 2021 LSOAs (:func:`~.indicators.load_inputs`), via :mod:`.convert`
  (2011 → 2021 areas) and :mod:`.cache` (parsed inputs reused while the data and code are unchanged).
- :mod:`.scoring`, :mod:`.uncertainty`, :mod:`.typology`, :mod:`.correlations`, :mod:`.estimate`: the
  scores, their rank intervals, the area types, the indicators' correlations, the residents offline.
- :mod:`.validate`, :mod:`.validate_ons`: the validation against observed behaviour and ONS estimates.
- :mod:`.index`: :func:`~.index.build` and :func:`~.index.load`; :mod:`.outputs`: the files it writes.
- :mod:`.explain`: one area's explanation in plain English.
"""
