"""The support area."""
