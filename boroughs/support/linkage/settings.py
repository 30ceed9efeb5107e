"""A council's linkage threshold and review band: what applies, what each choice is expected to cost, saving.

The expected counts come from the match probabilities of the pairs of the council's latest link run
(``linkage_evidence.expected_errors``): a threshold's expected false matches are the sum of ``1 - p`` over
the pairs it links, its expected missed matches the sum of ``p`` over the stored pairs it does not link.
Stored pairs start at the review band's floor at the time of the run, so missed matches below it are not
counted. The measured error rates on SYNTHETIC populations are in docs/support/linkage.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import ValidationFailed
from boroughs.support.linkage import model as linkage_model
from boroughs.support.linkage.evidence import expected_errors
from boroughs.support.linkage.models import LinkageSetting
from boroughs.support.records.models import LinkPair, LinkRun

CANDIDATE_THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)


@dataclass
class Effective:
    threshold: float
    review_low: float
    review_high: float
    saved: LinkageSetting | None


def effective(session: Session, organisation_id: int) -> Effective:
    """The council's own choice if an analyst saved one, else the settings."""
    row = session.get(LinkageSetting, organisation_id)
    if row is not None:
        return Effective(row.threshold, row.review_low, row.review_high, row)
    low, high = linkage_model.configured_review_band()
    return Effective(linkage_model.configured_threshold(), low, high, None)


def validate(threshold: Any, low: Any, high: Any) -> tuple[float, float, float]:
    """Three numbers between 0 and 1 with review low < review high; errors in plain English."""
    values = []
    for name, v in (("threshold", threshold), ("review_low", low), ("review_high", high)):
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ValidationFailed(f"Enter the {name.replace('_', ' ')} as a number between 0 and 1, "
                                   "for example 0.9") from None
        if not 0 < x < 1:
            raise ValidationFailed(f"The {name.replace('_', ' ')} must be between 0 and 1 (not {x:g})")
        values.append(x)
    t, lo, hi = values
    if lo >= hi:
        raise ValidationFailed("The lower edge of the review band must be below its upper edge")
    return t, lo, hi


def latest_probabilities(session: Session, organisation_id: int) -> tuple[LinkRun | None, np.ndarray]:
    run = session.execute(select(LinkRun).where(LinkRun.organisation_id == organisation_id)
                          .order_by(LinkRun.id.desc()).limit(1)).scalar()
    if run is None:
        return None, np.zeros(0)
    probs = session.execute(select(LinkPair.match_probability)
                            .where(LinkPair.link_run_id == run.id)).scalars().all()
    return run, np.asarray(probs, dtype=float)


def choices(session: Session, organisation_id: int, threshold: float, low: float, high: float
            ) -> dict[str, Any]:
    """Expected errors of the given choice and of the usual candidate thresholds (same band floor)."""
    run, probs = latest_probabilities(session, organisation_id)
    chosen = expected_errors(probs, threshold, (low, high))
    table = [expected_errors(probs, t, (low, max(t, low + 1e-9))) for t in CANDIDATE_THRESHOLDS]
    return {"run": run, "pairs": len(probs), "chosen": chosen, "table": table}


def save(session: Session, organisation_id: int, threshold: Any, low: Any, high: Any, *,
         user: Any = None) -> LinkageSetting:
    """Store the council's choice (validated; see ``validate``) and audit it with its expected errors."""
    threshold, low, high = validate(threshold, low, high)
    row = session.get(LinkageSetting, organisation_id)
    before = None
    if row is None:
        row = LinkageSetting(organisation_id=organisation_id)
        session.add(row)
    else:
        before = {"threshold": row.threshold, "review_low": row.review_low, "review_high": row.review_high}
    row.threshold, row.review_low, row.review_high = threshold, low, high
    row.saved_at, row.saved_by_id = utcnow(), getattr(user, "id", None)
    expected = choices(session, organisation_id, threshold, low, high)["chosen"]
    audit.record(session, "support.linkage.settings", actor=user, organisation_id=organisation_id,
                 object_type="support_linkage_setting", object_id=organisation_id,
                 detail={"before": before, "after": {"threshold": threshold, "review_low": low,
                                                     "review_high": high}, "expected": expected})
    session.flush()
    return row
