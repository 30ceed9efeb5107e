

from boroughs.support.entitlements import permissions as _permissions  # registers the actions

assert _permissions
