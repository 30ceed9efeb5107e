"""Information governance: data sharing agreements, consent, retention and subject access."""

from boroughs.support.governance import permissions as _permissions  # registers the actions

assert _permissions
