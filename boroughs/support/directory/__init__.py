"""The service directory of VCS organisations and their services."""
