"""Outreach: worklists, cases, messages to residents and the evaluation of what outreach achieved."""
