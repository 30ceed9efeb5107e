"""Referrals to VCS organisations: minimised, previewed, sent, accepted, acted on and reported back."""

from boroughs.support.referrals import audit_names as _audit_names  # names its objects in the audit view
from boroughs.support.referrals import permissions as _permissions  # registers the actions

assert _audit_names and _permissions
