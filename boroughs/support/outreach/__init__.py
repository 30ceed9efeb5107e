"""Outreach: worklists, cases, messages to residents and the evaluation of what outreach achieved."""

from boroughs.support.outreach import permissions as _permissions  # registers the actions

assert _permissions
