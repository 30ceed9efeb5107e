"""Referrals to VCS organisations: minimised, previewed, sent, accepted, acted on and reported back."""
