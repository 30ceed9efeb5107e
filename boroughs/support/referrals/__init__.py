"""Referrals to VCS organisations: minimised, previewed, sent, accepted, acted on and reported back."""

from boroughs.support.referrals import permissions as _permissions  # registers the actions

assert _permissions
