"""Linking a council's records into one view of each resident (Splink), clerical review and the linkage settings."""

from boroughs.support.linkage import permissions as _permissions  # registers the actions

assert _permissions
