"""Outreach: worklists, cases, messages to residents and the evaluation of what outreach achieved."""

from boroughs.support.outreach import audit_names as _audit_names  # names its objects in the audit view
from boroughs.support.outreach import permissions as _permissions  # registers the actions
from boroughs.support.outreach import service as _service  # opens cases from flag runs (rules.service)
from boroughs.support.outreach import subject_access as _subject_access  # its section of subject access

assert _audit_names and _permissions and _service and _subject_access
