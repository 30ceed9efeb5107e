"""The fund area."""
