"""One loader per open dataset the inclusion area reads. Importing this package registers them all."""

from __future__ import annotations

from boroughs.inclusion.sources import (
    boundaries,
    census,
    deri,
    imd,
    lookups,
    online_share,
    ons_internet,
    population,
    publishers,  # issue 15: where `boroughs data fetch` gets each dataset
)
from boroughs.inclusion.sources._base import InputLog

__all__ = [
    "InputLog",
    "boundaries",
    "census",
    "deri",
    "imd",
    "lookups",
    "online_share",
    "ons_internet",
    "population",
    "publishers",
]
