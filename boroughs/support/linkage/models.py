"""A council's own linkage threshold and review band (issue 14), chosen by an analyst on the web.

Absent a row, the settings ``linkage_threshold``, ``linkage_review_low`` and ``linkage_review_high`` apply.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from boroughs.core.db import Base, UTCDateTime, utcnow


class LinkageSetting(Base):
    __tablename__ = "support_linkage_setting"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("core_organisation.id"), primary_key=True)
    threshold: Mapped[float] = mapped_column(Float)
    review_low: Mapped[float] = mapped_column(Float)
    review_high: Mapped[float] = mapped_column(Float)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
