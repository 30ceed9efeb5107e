"""Boroughs: digital inclusion, preventative support and a collaborative fund for London councils."""

__version__ = "0.1.0"
