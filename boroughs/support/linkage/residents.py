"""A council's residents: linking its imported records, clerical review, splitting, and reading one resident.

Public API (what other support modules, such as the early-warning rules, should call):

* ``link_council(session, organisation_id)`` → ``LinkRun``: link every imported record of the council
  (reusing the council's latest model unless ``retrain``), honour every review decision, and update
  ``support_resident`` / ``support_resident_record`` keeping resident ids stable where records stay together.
* ``review_queue(session, organisation_id)``: pairs with no decision yet: first those scored as a match but
  kept in two residents by a rule, then the uncertain band.
* ``decide(session, organisation_id, record_a_id, record_b_id, decision)``: accept or reject a pair;
  takes effect at once and on every later run.
* ``split_resident(session, organisation_id, resident_id, record_ids)``: move records to a new resident
  and keep them apart on every later run.
* ``resident_records(session, resident_id)`` / ``resident_timeline(session, resident_id)``: a resident's
  linked records by source and their dated events.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from itertools import chain
from typing import Any

import pandas as pd
from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.orm import Session, aliased

from boroughs.core import audit
from boroughs.core.db import analyze, utcnow
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.support.linkage import evidence as linkage_evidence
from boroughs.support.linkage import model as linkage_model
from boroughs.support.linkage import service as linkage
from boroughs.support.records.models import (
    LinkPair,
    LinkRun,
    RecordEvent,
    Resident,
    ResidentRecord,
    ReviewDecision,
    SourceRecord,
)
from boroughs.support.records.schemas import SCHEMAS

log = logging.getLogger(__name__)

DECISIONS = ("accept", "reject")


def _ordered(a: int, b: int) -> tuple[int, int]:
    if a == b:
        raise ValidationFailed("a record cannot be paired with itself")
    return (a, b) if a < b else (b, a)


def _records_frame(session: Session, organisation_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(SourceRecord.id, SourceRecord.dataset, SourceRecord.first_name, SourceRecord.last_name,
               SourceRecord.dob, SourceRecord.address_line_1, SourceRecord.address_line_2, SourceRecord.postcode,
               SourceRecord.uprn, SourceRecord.national_id, SourceRecord.phone, SourceRecord.email,
               SourceRecord.sex)
        .where(SourceRecord.organisation_id == organisation_id)
        .order_by(SourceRecord.id)
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "dataset", "first_name", "last_name", "dob", "address_line_1",
                                        "address_line_2", "postcode", "uprn", "national_id", "phone", "email",
                                        "sex"])
    frame["source"] = frame["dataset"]
    frame["record_id"] = frame["id"].astype(str)  # unique across the council's datasets
    frame["dob"] = frame["dob"].map(lambda d: d.isoformat() if d else "")
    return frame.fillna("")


def _decisions(session: Session, organisation_id: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    rows = session.execute(
        select(ReviewDecision.record_a_id, ReviewDecision.record_b_id, ReviewDecision.decision)
        .where(ReviewDecision.organisation_id == organisation_id)
    ).all()
    acc = [(a, b) for a, b, d in rows if d == "accept"]
    rej = [(a, b) for a, b, d in rows if d == "reject"]
    return acc, rej


def link_council(
    session: Session,
    organisation_id: int,
    *,
    threshold: float | None = None,
    backend: str = "duckdb",
    retrain: bool = False,
    seed: int = 42,
    user: Any = None,
) -> LinkRun:
    """Link the council's records into residents (see the module docstring). ``threshold`` defaults to the
    ``linkage_threshold`` setting."""
    from boroughs.support.linkage.settings import effective

    eff = effective(session, organisation_id)
    if threshold is None:
        threshold = eff.threshold
    frame = _records_frame(session, organisation_id)
    if frame.empty:
        raise ValidationFailed("this council has no imported records to link: import a dataset first")
    started = utcnow()
    previous = session.execute(
        select(LinkRun).where(LinkRun.organisation_id == organisation_id).order_by(LinkRun.id.desc()).limit(1)
    ).scalar()
    dialect = "spark" if backend == "spark" else "duckdb"
    # the last run's model is reused unless asked to retrain, or it was trained on another backend or is of an
    # older model version (it would lack the newer levels and rules)
    reuse = (previous is not None and not retrain and previous.model.get("sql_dialect", dialect) == dialect
             and previous.model.get("boroughs_model_version") == linkage_model.MODEL_VERSION)
    model = previous.model if (reuse and previous is not None) else None
    acc, rej = _decisions(session, organisation_id)
    key = {int(i): ("", str(i)) for i in frame["id"]}
    for i, ds in zip(frame["id"], frame["source"], strict=True):
        key[int(i)] = (ds, str(i))
    result = linkage.link_records(
        frame, backend=backend, threshold=threshold, seed=seed, model=model,
        accepted=[(key[a], key[b]) for a, b in acc if a in key and b in key],
        rejected=[(key[a], key[b]) for a, b in rej if a in key and b in key],
        pairs_floor=min(eff.review_low, linkage_model.REVIEW_BAND[0]), retain_explanations=True,
        adults_only=sorted(k for k in set(frame["source"]) if k in SCHEMAS and SCHEMAS[k].adults_only),
    )
    run = LinkRun(organisation_id=organisation_id, model_version=linkage_model.MODEL_VERSION, model=result.model,
                  evaluation=result.evaluation, threshold=threshold, records=len(frame), residents=0,
                  started_at=started, run_by_id=getattr(user, "id", None))
    session.add(run)
    session.flush()

    record_ids = [int(x) for x in frame["id"]]
    uid_to_record = dict(zip(result.records["unique_id"].astype(int), record_ids, strict=True))
    clusters = result.clusters.assign(record=[uid_to_record[int(u)] for u in result.clusters["unique_id"]])
    pairs = result.pairs
    best: dict[int, float] = {}
    pair_rows = []
    gamma_cols = [c for c in pairs.columns if c.startswith("gamma_")]
    names = [c[len("gamma_"):] for c in gamma_cols]
    weights = linkage_evidence.pairs_weights(pairs, names).round(6)
    prior_w = round(linkage_evidence.prior_weight(float(result.model["probability_two_random_records_match"])), 6)
    for row, w in zip(pairs.itertuples(index=False), weights.itertuples(index=False), strict=True):
        a, b = uid_to_record[int(row.unique_id_l)], uid_to_record[int(row.unique_id_r)]
        p = float(row.match_probability)
        explanation: dict[str, Any] = {c[len("gamma_"):]: int(getattr(row, c)) for c in gamma_cols}
        # Splink's own weights as it scored the pair, and the prior: they sum to the match weight
        explanation[linkage_evidence.WEIGHTS] = dict(zip(names, (float(x) for x in w), strict=True))
        explanation[linkage_evidence.PRIOR] = prior_w
        pair_rows.append({
            "link_run_id": run.id, "organisation_id": organisation_id, "record_a_id": min(a, b),
            "record_b_id": max(a, b), "match_probability": p, "match_weight": float(row.match_weight),
            "explanation": explanation,
        })
    cluster_of = dict(zip(clusters["record"], clusters["resident_id"], strict=True))
    for pr in pair_rows:
        if cluster_of[pr["record_a_id"]] == cluster_of[pr["record_b_id"]]:
            for r in (pr["record_a_id"], pr["record_b_id"]):
                best[r] = max(best.get(r, 0.0), pr["match_probability"])
    session.execute(delete(LinkPair).where(LinkPair.organisation_id == organisation_id))
    if pair_rows:
        session.execute(insert(LinkPair), pair_rows)

    _assign_residents(session, organisation_id, run.id, clusters.groupby("resident_id")["record"].apply(list),
                      best)
    run.residents = int(clusters["resident_id"].nunique())
    run.finished_at = utcnow()
    audit.record(session, "support.link_run", actor=user, organisation_id=organisation_id,
                 object_type="support_link_run", object_id=run.id,
                 detail={"records": run.records, "residents": run.residents, "threshold": threshold,
                         "retrained": model is None, "accepted": len(acc), "rejected": len(rej)})
    analyze(session, LinkPair.__tablename__, ResidentRecord.__tablename__, Resident.__tablename__)
    return run


def _assign_residents(session: Session, organisation_id: int, run_id: int | None, groups: Any,
                      best: dict[int, float]) -> None:
    """Give each group of record ids a resident: the existing resident holding most of its records when
    that resident is not already taken by a bigger group, else a new one."""
    current = dict(session.execute(
        select(ResidentRecord.source_record_id, ResidentRecord.resident_id)
        .join(Resident, Resident.id == ResidentRecord.resident_id)
        .where(Resident.organisation_id == organisation_id)
    ).all())
    ordered = sorted(groups, key=len, reverse=True)
    taken: set[int] = set()
    assignment: list[tuple[list[int], int | None]] = []
    for members in ordered:
        votes = Counter(current[m] for m in members if m in current)
        chosen = next((rid for rid, _ in votes.most_common() if rid not in taken), None)
        if chosen is not None:
            taken.add(chosen)
        assignment.append((list(members), chosen))
    all_records = [m for members, _ in assignment for m in members]
    facts = _facts(session, all_records)
    session.execute(delete(ResidentRecord).where(ResidentRecord.source_record_id.in_(list(current))
                                                 if len(current) < 30000 else
                                                 ResidentRecord.resident_id.in_(
                                                     select(Resident.id).where(
                                                         Resident.organisation_id == organisation_id))))
    now = utcnow()
    links: list[dict[str, Any]] = []
    for members, rid in assignment:
        values = _best_values([facts[m] for m in members])
        if rid is None:
            resident = Resident(organisation_id=organisation_id, link_run_id=run_id, created_at=now,
                                updated_at=now, active=True, **values)
            session.add(resident)
            session.flush()
            rid = resident.id
        else:
            session.execute(update(Resident).where(Resident.id == rid)
                            .values(active=True, link_run_id=run_id, updated_at=now, **values))
        links.extend({"source_record_id": m, "resident_id": rid, "match_probability": best.get(m),
                      "link_run_id": run_id} for m in members)
    if links:
        session.execute(insert(ResidentRecord), links)
    orphaned = set(current.values()) - taken
    if orphaned:
        session.execute(update(Resident).where(Resident.id.in_(list(orphaned)))
                        .values(active=False, updated_at=now))


def _facts(session: Session, record_ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    latest: dict[int, dt.date] = {}
    for chunk_start in range(0, len(record_ids), 5000):
        chunk = record_ids[chunk_start:chunk_start + 5000]
        for r in session.execute(select(SourceRecord).where(SourceRecord.id.in_(chunk))).scalars():
            out[r.id] = {"first_name": r.first_name, "last_name": r.last_name, "dob": r.dob, "sex": r.sex,
                         "ethnicity": r.ethnicity, "disability": r.disability, "postcode": r.postcode,
                         "uprn": r.uprn, "lsoa21_code": r.lsoa21_code, "synthetic": r.synthetic}
        for rid, day in session.execute(
            select(RecordEvent.source_record_id, RecordEvent.event_date).where(RecordEvent.source_record_id.in_(chunk))
        ):
            if rid not in latest or day > latest[rid]:
                latest[rid] = day
    for rid, f in out.items():
        f["_latest"] = latest.get(rid, dt.date.min)
    return out


def _mode(values: list[Any]) -> Any:
    values = [v for v in values if v not in (None, "", "Not stated", "not known")]
    if not values:
        return None
    return Counter(values).most_common(1)[0][0]


def _best_values(facts: list[dict[str, Any]]) -> dict[str, Any]:
    latest = max(facts, key=lambda f: f["_latest"])
    disability = [f["disability"] for f in facts if f["disability"] is not None]
    return {
        "first_name": _mode([f["first_name"].title() for f in facts]) or "",
        "last_name": _mode([f["last_name"].title() for f in facts]) or "",
        "dob": _mode([f["dob"] for f in facts]),
        "sex": _mode([f["sex"] for f in facts]),
        "ethnicity": _mode([f["ethnicity"] for f in facts]),
        "disability": any(disability) if disability else None,
        "postcode": latest["postcode"] or _mode([f["postcode"] for f in facts]),
        "uprn": latest["uprn"] or _mode([f["uprn"] for f in facts]),
        "lsoa21_code": latest["lsoa21_code"] or _mode([f["lsoa21_code"] for f in facts]),
        "synthetic": all(f["synthetic"] for f in facts),
    }


# --------------------------------------------------------------------------------------------------------
# clerical review


@dataclass
class ReviewItem:
    pair: LinkPair
    left: SourceRecord
    right: SourceRecord
    explanation: list[dict[str, Any]]
    kept_apart: bool = False  # scored as a match, but in two residents: a rule keeps them apart


def _record(session: Session, organisation_id: int, record_id: int) -> SourceRecord:
    rec = session.get(SourceRecord, record_id)
    if rec is None or rec.organisation_id != organisation_id:
        raise NotFound(f"no record {record_id} in this council's data")
    return rec


def explain_pair(session: Session, pair: LinkPair) -> list[dict[str, Any]]:
    run = session.get(LinkRun, pair.link_run_id)
    left = session.get(SourceRecord, pair.record_a_id)
    right = session.get(SourceRecord, pair.record_b_id)
    if run is None or left is None or right is None:
        return []
    gammas: dict[str, Any] = pair.explanation if isinstance(pair.explanation, dict) else {}
    values: dict[str, Any] = {f"gamma_{k}": v for k, v in gammas.items() if not k.startswith("_")}
    for key in (linkage_evidence.WEIGHTS, linkage_evidence.PRIOR):
        if key in gammas:
            values[key] = gammas[key]
    shown = {
        "first_name": ("first_name",), "last_name": ("last_name",), "dob": ("dob",),
        "address": ("address_line_1", "postcode", "uprn"), "national_id": ("national_id",),
        "phone": ("phone",), "email": ("email",), "sex": ("sex",),
    }
    for comp, cols in shown.items():
        values[f"{comp}_l"] = ", ".join(str(getattr(left, c)) for c in cols if getattr(left, c))
        values[f"{comp}_r"] = ", ".join(str(getattr(right, c)) for c in cols if getattr(right, c))
    return linkage.explain(run.model, values)


def review_queue(session: Session, organisation_id: int, *, limit: int = 50) -> list[ReviewItem]:
    from boroughs.support.linkage.settings import effective

    eff = effective(session, organisation_id)
    low, high = eff.review_low, eff.review_high
    decided = {(a, b) for a, b in session.execute(
        select(ReviewDecision.record_a_id, ReviewDecision.record_b_id)
        .where(ReviewDecision.organisation_id == organisation_id))}
    ra, rb = aliased(ResidentRecord), aliased(ResidentRecord)
    # first, pairs the model scored as a match that a rule kept in two residents (a record that fits two
    # people who cannot be one: the father's or the son's?); then the uncertain band
    kept_apart = session.execute(
        select(LinkPair).join(ra, ra.source_record_id == LinkPair.record_a_id)
        .join(rb, rb.source_record_id == LinkPair.record_b_id)
        .where(LinkPair.organisation_id == organisation_id, LinkPair.match_probability >= high,
               ra.resident_id != rb.resident_id)
        .order_by(LinkPair.match_probability.desc(), LinkPair.id)
    ).scalars()
    band = session.execute(
        select(LinkPair).where(LinkPair.organisation_id == organisation_id, LinkPair.match_probability >= low,
                               LinkPair.match_probability < high)
        .order_by(LinkPair.match_probability.desc(), LinkPair.id)
    ).scalars()
    items = []
    for p in chain(kept_apart, band):
        if (p.record_a_id, p.record_b_id) in decided:
            continue
        items.append(ReviewItem(p, _record(session, organisation_id, p.record_a_id),
                                _record(session, organisation_id, p.record_b_id), explain_pair(session, p),
                                kept_apart=p.match_probability >= high))
        if len(items) >= limit:
            break
    return items


def decide(session: Session, organisation_id: int, record_a_id: int, record_b_id: int, decision: str, *,
           user: Any = None, reason: str | None = None) -> ReviewDecision:
    """Store a decision (replacing any earlier one on the pair) and apply it to the residents now."""
    if decision not in DECISIONS:
        raise ValidationFailed(f"decision must be one of {', '.join(DECISIONS)}")
    a, b = _ordered(record_a_id, record_b_id)
    _record(session, organisation_id, a)
    _record(session, organisation_id, b)
    row = session.execute(select(ReviewDecision).where(
        ReviewDecision.organisation_id == organisation_id, ReviewDecision.record_a_id == a,
        ReviewDecision.record_b_id == b)).scalar()
    if row is None:
        row = ReviewDecision(organisation_id=organisation_id, record_a_id=a, record_b_id=b)
        session.add(row)
    row.decision, row.reason, row.decided_at = decision, reason, utcnow()
    row.decided_by_id = getattr(user, "id", None)
    session.flush()
    audit.record(session, f"support.review_{decision}", actor=user, organisation_id=organisation_id,
                 object_type="support_record_pair", object_id=f"{a}-{b}", purpose="clerical review of linkage",
                 detail={"reason": reason})
    _apply_locally(session, organisation_id, {a, b})
    return row


def split_resident(session: Session, organisation_id: int, resident_id: int, record_ids: list[int], *,
                   user: Any = None, reason: str | None = None) -> Resident:
    """Move ``record_ids`` out of the resident into a new one; reject decisions keep them apart on reruns."""
    resident = session.get(Resident, resident_id)
    if resident is None or resident.organisation_id != organisation_id:
        raise NotFound(f"no resident {resident_id} in this council")
    members = set(session.execute(select(ResidentRecord.source_record_id)
                                  .where(ResidentRecord.resident_id == resident_id)).scalars())
    moving = set(record_ids)
    if not moving or not moving <= members:
        raise ValidationFailed("choose records that belong to this resident")
    if moving == members:
        raise ValidationFailed("leave at least one record with the resident")
    staying = members - moving
    for m in moving:
        for s in staying:
            a, b = _ordered(m, s)
            row = session.execute(select(ReviewDecision).where(
                ReviewDecision.organisation_id == organisation_id, ReviewDecision.record_a_id == a,
                ReviewDecision.record_b_id == b)).scalar()
            if row is None:
                row = ReviewDecision(organisation_id=organisation_id, record_a_id=a, record_b_id=b)
                session.add(row)
            row.decision, row.reason, row.decided_at = "reject", reason or "split", utcnow()
            row.decided_by_id = getattr(user, "id", None)
    session.flush()
    # the moved records stay together (accept among them) unless a reviewer said otherwise
    groups = [sorted(staying), sorted(moving)]
    _assign_subset(session, organisation_id, groups)
    audit.record(session, "support.resident_split", actor=user, organisation_id=organisation_id,
                 object_type="support_resident", object_id=resident_id, purpose="clerical review of linkage",
                 detail={"moved_records": sorted(moving), "reason": reason})
    new_id = session.execute(select(ResidentRecord.resident_id)
                             .where(ResidentRecord.source_record_id == min(moving))).scalar_one()
    new = session.get(Resident, new_id)
    assert new is not None
    return new


def _assign_subset(session: Session, organisation_id: int, groups: list[list[int]]) -> None:
    """Re-assign only these records (already belonging to some residents) to the given groups."""
    current = dict(session.execute(
        select(ResidentRecord.source_record_id, ResidentRecord.resident_id)
        .where(ResidentRecord.source_record_id.in_([m for g in groups for m in g]))).all())
    affected = set(current.values())
    taken: set[int] = set()
    facts = _facts(session, [m for g in groups for m in g])
    now = utcnow()
    best = dict(session.execute(select(ResidentRecord.source_record_id, ResidentRecord.match_probability)
                                .where(ResidentRecord.source_record_id.in_(list(current)))).all())
    session.execute(delete(ResidentRecord).where(ResidentRecord.source_record_id.in_(list(current))))
    for members in sorted(groups, key=len, reverse=True):
        votes = Counter(current[m] for m in members if m in current)
        rid = next((r for r, _ in votes.most_common() if r not in taken), None)
        values = _best_values([facts[m] for m in members])
        if rid is None:
            res = Resident(organisation_id=organisation_id, created_at=now, updated_at=now, active=True, **values)
            session.add(res)
            session.flush()
            rid = res.id
        else:
            session.execute(update(Resident).where(Resident.id == rid).values(active=True, updated_at=now,
                                                                               **values))
        taken.add(rid)
        session.execute(insert(ResidentRecord), [
            {"source_record_id": m, "resident_id": rid, "match_probability": best.get(m)} for m in members])
    for rid in affected - taken:
        session.execute(update(Resident).where(Resident.id == rid).values(active=False, updated_at=now))
    session.flush()


def _apply_locally(session: Session, organisation_id: int, touched: set[int]) -> None:
    """After a decision, recluster just the records of the residents involved with the latest run's pairs."""
    resident_ids = set(session.execute(select(ResidentRecord.resident_id)
                                       .where(ResidentRecord.source_record_id.in_(list(touched)))).scalars())
    members = sorted(set(session.execute(select(ResidentRecord.source_record_id)
                                         .where(ResidentRecord.resident_id.in_(list(resident_ids)))).scalars())
                     | touched)
    if not members:
        return
    run = session.execute(select(LinkRun).where(LinkRun.organisation_id == organisation_id)
                          .order_by(LinkRun.id.desc()).limit(1)).scalar()
    threshold = run.threshold if run else linkage_model.DEFAULT_THRESHOLD
    index = {m: i for i, m in enumerate(members)}
    rows = session.execute(select(LinkPair.record_a_id, LinkPair.record_b_id, LinkPair.match_probability)
                           .where(LinkPair.organisation_id == organisation_id,
                                  LinkPair.record_a_id.in_(members), LinkPair.record_b_id.in_(members))).all()
    pairs = pd.DataFrame([(index[a], index[b], p) for a, b, p in rows if a in index and b in index],
                         columns=["unique_id_l", "unique_id_r", "match_probability"])
    # records already in one resident stay linked unless a decision separates them
    current = dict(session.execute(select(ResidentRecord.source_record_id, ResidentRecord.resident_id)
                                   .where(ResidentRecord.source_record_id.in_(members))).all())
    acc_all, rej_all = _decisions(session, organisation_id)
    accepted = [(index[a], index[b]) for a, b in acc_all if a in index and b in index]
    rejected = [(index[a], index[b]) for a, b in rej_all if a in index and b in index]
    by_resident: dict[int, list[int]] = {}
    for m, r in current.items():
        by_resident.setdefault(r, []).append(index[m])
    together = [(g[0], x) for g in by_resident.values() for x in g[1:]]
    extra = pd.DataFrame([(a, b, 0.999) for a, b in together if (a, b) not in set(rejected)],
                         columns=["unique_id_l", "unique_id_r", "match_probability"])
    both = pd.concat([pairs, extra], ignore_index=True) if len(extra) else pairs.reset_index(drop=True)
    labels = linkage.cluster(len(members), both, threshold,
                             accepted=accepted, rejected=rejected)
    groups: dict[int, list[int]] = {}
    for m, lab in zip(members, labels, strict=True):
        groups.setdefault(int(lab), []).append(m)
    _assign_subset(session, organisation_id, list(groups.values()))


# --------------------------------------------------------------------------------------------------------
# reading a resident


def get_resident(session: Session, organisation_id: int, resident_id: int) -> Resident:
    r = session.get(Resident, resident_id)
    if r is None or r.organisation_id != organisation_id:
        raise NotFound(f"no resident {resident_id} in this council")
    return r


def resident_records(session: Session, resident_id: int) -> dict[str, list[SourceRecord]]:
    """The resident's source records grouped by dataset."""
    recs = session.execute(
        select(SourceRecord).join(ResidentRecord, ResidentRecord.source_record_id == SourceRecord.id)
        .where(ResidentRecord.resident_id == resident_id).order_by(SourceRecord.dataset, SourceRecord.id)
    ).scalars()
    out: dict[str, list[SourceRecord]] = {}
    for r in recs:
        out.setdefault(r.dataset, []).append(r)
    return out


def resident_timeline(session: Session, resident_id: int) -> list[Row[dt.date, str, int, str, float | None, str | None]]:
    """Every dated event of every record of the resident, oldest first: rows with ``event_date``, ``dataset``,
    ``source_record_id``, ``measure``, ``value_num`` and ``value_text`` (columns only, not ORM objects: a
    resident can have hundreds, and the page only shows them)."""
    return list(session.execute(
        select(RecordEvent.event_date, RecordEvent.dataset, RecordEvent.source_record_id, RecordEvent.measure,
               RecordEvent.value_num, RecordEvent.value_text)
        .join(ResidentRecord, ResidentRecord.source_record_id == RecordEvent.source_record_id)
        .where(ResidentRecord.resident_id == resident_id)
        .order_by(RecordEvent.event_date, RecordEvent.dataset, RecordEvent.measure)
    ).all())


def resident_link_evidence(session: Session, records: list[SourceRecord],
                           ) -> tuple[list[tuple[LinkPair, list[dict[str, Any]]]], int]:
    """The pairs that hold a resident's ``records`` (from :func:`resident_records`) together, each with its
    evidence, weakest first; and how many pairs of them the linker scored in all.

    The pairs shown are a maximum spanning tree of the scored pairs: each record's strongest links to the
    rest, one fewer than the records. If a record was joined by mistake, the link that joined it is in the
    tree (its strongest link to anyone else), so a reviewer sees it near the top, among the weakest. The
    other pairs add nothing a reviewer needs, and explaining every pair of a large resident made the page
    slow (issue 11)."""
    ids = [r.id for r in records]
    scored = session.execute(select(LinkPair.id, LinkPair.record_a_id, LinkPair.record_b_id)
                             .where(LinkPair.record_a_id.in_(ids), LinkPair.record_b_id.in_(ids))
                             .order_by(LinkPair.match_probability.desc(), LinkPair.id)).all()
    parent = {i: i for i in ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tree: list[int] = []
    for pair_id, a, b in scored:  # Kruskal's algorithm, strongest first
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
            tree.append(pair_id)
    pairs = list(session.scalars(select(LinkPair).where(LinkPair.id.in_(tree))
                                 .order_by(LinkPair.match_probability, LinkPair.id)))
    # load each run (its model is large) once, and hold it and the records so explain_pair finds them in
    # the session instead of loading them again for every pair
    held = [*session.scalars(select(LinkRun).where(LinkRun.id.in_({p.link_run_id for p in pairs}))), *records]
    out = [(p, explain_pair(session, p)) for p in pairs]
    del held
    return out, len(scored)
