"""The fund's open data: 360Giving grants (``giving360``, with the vendored schemas in ``schema360/``) and
publishing datasets to a catalogue (``publishing``: CKAN, DataPress or a local folder)."""
