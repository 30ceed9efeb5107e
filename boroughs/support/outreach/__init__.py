"""Outreach: worklists, cases, messages to residents and the evaluation of what outreach achieved."""

from boroughs.support.outreach import audit_names as _audit_names  # names its objects in the audit view
from boroughs.support.outreach import permissions as _permissions  # registers the actions

assert _audit_names and _permissions
