"""What the map shows, read from a built index (no web framework here).

- :mod:`.index`: :class:`~.index.MapIndex`, its layers and need types, and re-weighting.
- :mod:`.schema`: which column of the build's outputs means what; :mod:`.loading`: :func:`~.loading.get_index`.
- :mod:`.profile`: area profiles and borough summaries; :mod:`.search`: place search; :mod:`.table`: the
  table's selections; :mod:`.downloads`: the CSV download and its data dictionary.
- :mod:`.payloads`: the bytes the map downloads (TopoJSON boundaries, column-wise attributes).
"""
