"""The ``inclusion_provision`` table: one row per place where residents can get digital support.

Open data only (public sites, their opening hours and who they serve); never personal data. Each row
belongs to the council organisation that imported it (``organisation_id``) and remembers where it came
from (``source_kind`` ``csv`` or ``oruk`` and ``source``, a file or feed name): re-importing the same
source replaces that council's rows from it, so a directory kept in step stays in step.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from boroughs.core.db import Base, UTCDateTime, utcnow

# The documented kinds (docs/inclusion/provision.md), in the order the map lists them.
KINDS: dict[str, str] = {
    "library": "Library",
    "digital_hub": "Digital hub",
    "device_lending": "Device lending",
    "data_bank": "Data or SIM bank",
    "free_wifi": "Free wifi",
    "skills_course": "Digital skills course",
    "assisted_digital": "Assisted digital help",
}


class Provision(Base):
    __tablename__ = "inclusion_provision"
    __table_args__ = (Index("ix_inclusion_provision_org_source", "organisation_id", "source_kind", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id", ondelete="CASCADE"))
    source_kind: Mapped[str] = mapped_column(String(10))  # csv | oruk
    source: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))  # ORUK service:location ids, or the CSV's id
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    address: Mapped[str] = mapped_column(String(500), default="")
    postcode: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    opening_hours: Mapped[str] = mapped_column(String(500), default="")
    open_evenings: Mapped[bool | None] = mapped_column(Boolean)  # None: not known
    open_weekends: Mapped[bool | None] = mapped_column(Boolean)
    serves: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(500))
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)
