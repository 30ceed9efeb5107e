"""Referrals to VCS organisations: minimised, previewed, sent, accepted, acted on and reported back."""

from boroughs.support.referrals import audit_names as _audit_names  # names its objects in the audit view
from boroughs.support.referrals import permissions as _permissions  # registers the actions
from boroughs.support.referrals import retention as _retention  # its retention policy
from boroughs.support.referrals import service as _service  # listens to consent, outreach and subject access
from boroughs.support.referrals import subject_access as _subject_access  # its section of subject access

assert _audit_names and _permissions and _retention and _service and _subject_access
