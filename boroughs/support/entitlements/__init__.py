"""Benefit take-up (issue 18): who is likely missing out on Pension Credit, how much, and the campaign that
reaches them."""

from boroughs.support.entitlements import campaign as _campaign  # adds the estimate to the ATRS record
from boroughs.support.entitlements import permissions as _permissions  # registers the actions
from boroughs.support.entitlements import sharing as _sharing  # lets a referral share the estimate
from boroughs.support.entitlements import signal as _signal  # lets early-warning rules use the estimate
from boroughs.support.entitlements import subject_access as _subject_access  # its section of subject access

assert _campaign and _permissions and _sharing and _signal and _subject_access
