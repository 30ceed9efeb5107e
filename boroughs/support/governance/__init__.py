"""Information governance: data sharing agreements, consent, retention and subject access."""
