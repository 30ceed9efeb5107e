"""Demo linkage for Newham and Hackney: a SYNTHETIC borough per council, imported through the real importer
(valid rows; the synthetic errors that fail checks stay in the quarantine report) and linked with Splink.

``seed_demo_linkage(db)`` is idempotent: a council that already has residents is left alone.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core.models import Organisation
from boroughs.support.linkage.residents import link_council
from boroughs.support.records.ingest import import_dataset
from boroughs.support.records.models import Resident
from boroughs.support.records.schemas import SCHEMAS
from boroughs.support.synth.population import synthesise

DEMO_COUNCILS = (("newham", 11), ("hackney", 12))
DEMO_RESIDENTS = 2500


def seed_demo_linkage(db: Session, *, residents: int = DEMO_RESIDENTS) -> dict[str, int]:
    done = {"records": 0, "residents": 0}
    for slug, seed in DEMO_COUNCILS:
        org = db.scalar(select(Organisation).where(Organisation.slug == slug))
        if org is None:
            continue
        if db.scalar(select(func.count()).select_from(Resident).where(Resident.organisation_id == org.id)):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            synthesise(residents, seed, folder, borough=org.ons_code or "E09000025")
            for key, schema in SCHEMAS.items():
                hist = folder / f"SYNTHETIC_{key}_history.csv"
                rep = import_dataset(db, org.id, key, folder / f"SYNTHETIC_{key}.csv",
                                     hist if schema.measures else None, accept_valid=True, channel="demo",
                                     quarantine_path=folder / f"{key}.quarantine.csv")
                done["records"] += rep.imported
        run = link_council(db, org.id)
        done["residents"] += run.residents
    return done
