"""The provision tables, where the migration machinery looks for an area's models (``*_models``).

The models themselves are in :mod:`boroughs.inclusion.provision.models`.
"""

from boroughs.inclusion.provision.models import KINDS, Provision

__all__ = ["KINDS", "Provision"]
