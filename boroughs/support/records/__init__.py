"""The resident register that every part of support shares: imported source records, their history, and the linked residents."""

from boroughs.support.records import audit_names as _audit_names  # names its objects in the audit view

assert _audit_names
