"""The inclusion area."""
