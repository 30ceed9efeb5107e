"""The support area."""

from boroughs.support import audit_names as _audit_names  # names residents in the audit view

assert _audit_names
