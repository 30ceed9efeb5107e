"""The service directory of VCS organisations and their services."""

from boroughs.support.directory import permissions as _permissions  # registers the actions

assert _permissions
