"""The demo deployment's example provision: 13 made-up sites each in Newham and Hackney.

The sites are **examples**, not real places: each is named "Example …", placed near the middle of a real
LSOA in a real ward so that the reach and gap figures look like a borough's, and stored with
``is_example`` so that the map, the profiles, the tables and the briefings label them as examples.
Re-seeding replaces them (the import replaces a council's rows from the same source).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.models import Organisation

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = {"newham": DATA / "example_newham.csv", "hackney": DATA / "example_hackney.csv"}


def seed_examples(db: Session) -> int:
    from boroughs.inclusion.provision import importer

    total = 0
    for slug, path in EXAMPLES.items():
        org = db.scalar(select(Organisation).where(Organisation.slug == slug))
        if org is None:
            continue
        total += importer.import_file(db, path, org, source=f"example:{path.name}", example=True).imported
    return total
