"""Open Referral UK: import, export and the read API."""
