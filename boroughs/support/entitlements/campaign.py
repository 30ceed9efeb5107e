"""The take-up campaign: estimates kept per resident, worked as outreach cases, with outcomes recorded.

``refresh`` runs the estimator over the council's linked residents, keeps one ``EntitlementEstimate`` per
resident and benefit likely or possibly missing out (Pension Credit; Housing Benefit and Council Tax
Reduction below what the rules give), and opens one outreach case per resident (rule id
``benefit-take-up``), so managers assign and officers work them like every other outreach case.
``record_outcome`` closes the loop ("claim made", "awarded £…", "not eligible", …); ``accuracy`` measures
the estimator against those outcomes over time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.db import utcnow
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import Organisation, User
from boroughs.support.entitlements import estimator, service
from boroughs.support.entitlements.models import EntitlementEstimate, EntitlementOutcome
from boroughs.support.outreach import atrs
from boroughs.support.outreach import service as outreach

RULE_ID = "benefit-take-up"
BENEFITS = estimator.BENEFIT_NAMES
OUTCOMES = {
    "claim_made": "Claim made (waiting for the DWP's decision)",
    "awarded": "Awarded",
    "not_eligible": "Not eligible after all",
    "declined": "Resident did not want to claim",
    "could_not_contact": "Could not make contact",
}
CLOSING = {"claim_made": "supported", "awarded": "supported", "not_eligible": "no_needs", "declined": "declined",
           "could_not_contact": "could_not_contact"}
PAGE_SIZE = 25


@dataclass(frozen=True)
class RefreshResult:
    current: int  # households (residents) in the campaign now; the others count estimates
    new: int
    dropped: int
    cases_opened: int


def refresh(db: Session, organisation_id: int, user: User | None, as_of: dt.date | None = None) -> RefreshResult:
    frame = service.missing_out(db, organisation_id, as_of)
    wards = outreach._wards(db, organisation_id, [int(r) for r in frame["resident_id"]]) if len(frame) else {}
    existing = {(e.resident_id, e.benefit): e for e in db.scalars(
        select(EntitlementEstimate).where(EntitlementEstimate.organisation_id == organisation_id))}
    open_cases = outreach.open_cases_by_resident(db, organisation_id)
    seen: set[tuple[int, str]] = set()
    new = opened = 0
    now = utcnow()
    for r in frame.itertuples(index=False):
        key = (int(r.resident_id), str(r.benefit))
        seen.add(key)
        est = existing.get(key)
        if est is None:
            est = EntitlementEstimate(organisation_id=organisation_id, resident_id=key[0], benefit=key[1])
            db.add(est)
            new += 1
        est.rates_year, est.likelihood = str(r.rates_year), str(r.likelihood)
        est.weekly_amount, est.annual_amount = float(r.weekly_amount), float(r.annual_amount)
        est.explanation, est.ward_name, est.current, est.computed_at = str(r.explanation), wards.get(key[0]), True, now
        case = open_cases.get(key[0])
        if case is None and not _has_outcome(db, est):
            case = outreach.open_case(
                db, organisation_id, key[0], severity="medium",
                priority=outreach.priority_of("medium", 1) + min(999, int(r.annual_amount // 100)),
                rule_ids=[RULE_ID], ward_name=wards.get(key[0]))
            open_cases[key[0]] = case
            opened += 1
        elif case is not None and RULE_ID not in (case.rule_ids or []):
            case.rule_ids = sorted({*(case.rule_ids or []), RULE_ID})
        db.flush()
        if case is not None and est.case_id is None:
            est.case_id = case.id
    dropped = 0
    for key, est in existing.items():
        if key not in seen and est.current:
            est.current = False
            dropped += 1
    db.flush()
    audit.record(db, "support.entitlements.refresh", actor=user, organisation_id=organisation_id,
                 object_type="organisation", object_id=organisation_id, purpose="benefit take-up outreach",
                 detail={"current": len(seen), "new": new, "dropped": dropped, "cases_opened": opened})
    return RefreshResult(len({resident for resident, _ in seen}), new, dropped, opened)


def _has_outcome(db: Session, est: EntitlementEstimate) -> bool:
    if est.id is None:
        return False
    n = db.scalar(select(func.count()).select_from(EntitlementOutcome).where(EntitlementOutcome.estimate_id == est.id))
    return bool(n)


@dataclass(frozen=True)
class Row:
    estimate_id: int
    resident_id: int
    name: str
    benefit: str
    likelihood: str
    weekly: float
    annual: float
    ward: str | None
    case_id: int | None
    case_status: str | None
    officer: str | None
    synthetic: bool


def worklist(db: Session, organisation_id: int, *, ward: str | None = None, benefit: str | None = None,
             min_annual: float | None = None, page: int = 1) -> tuple[list[Row], int]:
    """The campaign's current estimates, largest estimated value first."""
    from boroughs.support.records.models import Resident

    conds: list[Any] = [EntitlementEstimate.organisation_id == organisation_id, EntitlementEstimate.current.is_(True)]
    if ward:
        conds.append(EntitlementEstimate.ward_name == ward)
    if benefit:
        conds.append(EntitlementEstimate.benefit == benefit)
    if min_annual is not None:
        conds.append(EntitlementEstimate.annual_amount >= min_annual)
    where = and_(*conds)
    total = db.scalar(select(func.count()).select_from(EntitlementEstimate).where(where)) or 0
    q = (select(EntitlementEstimate, Resident.first_name, Resident.last_name, Resident.synthetic)
         .join(Resident, Resident.id == EntitlementEstimate.resident_id)
         .where(where).order_by(EntitlementEstimate.annual_amount.desc(), EntitlementEstimate.id)
         .limit(PAGE_SIZE).offset(max(0, page - 1) * PAGE_SIZE))
    found = db.execute(q).all()
    states = outreach.case_states(db, {e.case_id for e, *_ in found if e.case_id is not None})
    rows = []
    for e, fn, ln, syn in found:
        status, officer = states.get(e.case_id or 0, (None, None))
        rows.append(Row(e.id, e.resident_id, f"{fn} {ln}", e.benefit, e.likelihood, e.weekly_amount,
                        e.annual_amount, e.ward_name, e.case_id, status, officer, bool(syn)))
    return rows, int(total)


def get_estimate(db: Session, organisation_id: int, estimate_id: int) -> EntitlementEstimate:
    est = db.get(EntitlementEstimate, estimate_id)
    if est is None or est.organisation_id != organisation_id:
        raise NotFound("There is no such take-up case.")
    return est


def outcomes_of(db: Session, estimate_id: int) -> list[EntitlementOutcome]:
    return list(db.scalars(select(EntitlementOutcome).where(EntitlementOutcome.estimate_id == estimate_id)
                           .order_by(EntitlementOutcome.recorded_at)))


def record_outcome(db: Session, est: EntitlementEstimate, user: User | None, *, outcome: str,
                   awarded_weekly: str | float | None = None, note: str | None = None) -> EntitlementOutcome:
    if outcome not in OUTCOMES:
        raise ValidationFailed(f"Choose what happened: {', '.join(OUTCOMES.values())}.")
    amount: float | None = None
    if outcome == "awarded":
        try:
            amount = round(float(str(awarded_weekly or "").replace("£", "").replace(",", "")), 2)
        except ValueError:
            amount = None
        if amount is None or not 0 < amount < 10_000:
            raise ValidationFailed("Enter the weekly amount awarded, in pounds, for example 42.50.")
    case = outreach.find_case(db, est.case_id)
    if case is not None and case.status != "closed" and outcome != "claim_made" and not _others_open(db, est):
        outreach.close_case(db, case, user, CLOSING[outcome])
    row = EntitlementOutcome(organisation_id=est.organisation_id, estimate_id=est.id, resident_id=est.resident_id,
                             outcome=outcome, estimated_weekly=est.weekly_amount, awarded_weekly=amount,
                             note=(note or "").strip()[:2000] or None, recorded_by_id=user.id if user else None)
    db.add(row)
    db.flush()
    audit.record(db, "support.entitlements.outcome", actor=user, organisation_id=est.organisation_id,
                 object_type="resident", object_id=est.resident_id, purpose="benefit take-up outreach",
                 detail={"estimate": est.id, "outcome": outcome, "awarded_weekly": amount})
    return row


def _others_open(db: Session, est: EntitlementEstimate) -> bool:
    """Whether the case has another current estimate (another benefit) with no outcome yet."""
    others = db.scalars(select(EntitlementEstimate).where(
        EntitlementEstimate.case_id == est.case_id, EntitlementEstimate.id != est.id,
        EntitlementEstimate.current.is_(True)))
    return any(not _has_outcome(db, o) for o in others)


def others_of(db: Session, est: EntitlementEstimate) -> list[EntitlementEstimate]:
    """The resident's other current estimates (other benefits), largest first."""
    return list(db.scalars(select(EntitlementEstimate).where(
        EntitlementEstimate.organisation_id == est.organisation_id, EntitlementEstimate.resident_id == est.resident_id,
        EntitlementEstimate.id != est.id, EntitlementEstimate.current.is_(True))
        .order_by(EntitlementEstimate.annual_amount.desc())))


@dataclass(frozen=True)
class Accuracy:
    decided: int  # outcomes that say whether the estimate was right: awarded or not eligible
    awarded: int
    not_eligible: int
    mean_abs_error_weekly: float | None

    @property
    def precision(self) -> float | None:
        return self.awarded / self.decided if self.decided else None


def accuracy(db: Session, organisation_id: int) -> Accuracy:
    """How often reaching out found a real entitlement, and how close the amount was (latest outcome each)."""
    latest = (select(EntitlementOutcome.estimate_id, func.max(EntitlementOutcome.id).label("last"))
              .where(EntitlementOutcome.organisation_id == organisation_id)
              .group_by(EntitlementOutcome.estimate_id).subquery())
    rows = db.execute(select(EntitlementOutcome.outcome, EntitlementOutcome.estimated_weekly,
                             EntitlementOutcome.awarded_weekly)
                      .join(latest, latest.c.last == EntitlementOutcome.id)).all()
    awarded = [r for r in rows if r.outcome == "awarded"]
    not_eligible = sum(1 for r in rows if r.outcome == "not_eligible")
    errors = [abs(r.estimated_weekly - (r.awarded_weekly or 0)) for r in awarded]
    return Accuracy(len(awarded) + not_eligible, len(awarded), not_eligible,
                    round(sum(errors) / len(errors), 2) if errors else None)


@dataclass(frozen=True)
class WardSummary:
    ward: str
    households: int
    annual: float


def summary(db: Session, organisation_id: int) -> tuple[int, float, list[WardSummary]]:
    """Households likely or possibly missing out (each counted once, whatever the benefits), their estimated
    annual value, and the same by ward."""
    q = (select(EntitlementEstimate.ward_name, func.count(func.distinct(EntitlementEstimate.resident_id)),
                func.sum(EntitlementEstimate.annual_amount))
         .where(EntitlementEstimate.organisation_id == organisation_id, EntitlementEstimate.current.is_(True))
         .group_by(EntitlementEstimate.ward_name))
    wards = [WardSummary(w or "Ward not known", int(n), float(total or 0)) for w, n, total in db.execute(q)]
    wards.sort(key=lambda w: (-w.annual, w.ward))
    return sum(w.households for w in wards), round(sum(w.annual for w in wards), 2), wards


def by_benefit(db: Session, organisation_id: int) -> list[tuple[str, int, float]]:
    """(benefit name, households, estimated annual value) for each benefit, in the order of BENEFITS."""
    q = (select(EntitlementEstimate.benefit, func.count(), func.sum(EntitlementEstimate.annual_amount))
         .where(EntitlementEstimate.organisation_id == organisation_id, EntitlementEstimate.current.is_(True))
         .group_by(EntitlementEstimate.benefit))
    found = {b: (int(n), round(float(t or 0), 2)) for b, n, t in db.execute(q)}
    return [(name, *found[key]) for key, name in BENEFITS.items() if key in found]


def fairness(db: Session, organisation_id: int, as_of: dt.date | None = None) -> dict[str, Any]:
    """Who the estimate counts as likely missing out, by group, among the council's pension-age claimants.

    The same disparity table as the early-warning fairness monitor: a group listed at 1.5 times (or 1/1.5)
    the rate of all claimants estimated is highlighted; groups under ten people get no ratio.
    """
    import pandas as pd

    from boroughs.support.outreach.fairness import MIN_GROUP, disparity_table
    from boroughs.support.records.models import Resident
    from boroughs.support.rules import engine as rl
    from boroughs.support.rules.service import opted_out_ids

    when = as_of or dt.date.today()
    claims = service.claims_from_db(db, organisation_id)
    if claims.empty:
        return {"residents": 0, "listed": 0, "tables": {}, "min_group": MIN_GROUP, "threshold": 1.5}
    objected = claims.loc[claims["resident_id"].isin(opted_out_ids(db, organisation_id)), "claim_ref"]
    claims = claims[~claims["claim_ref"].isin(set(objected))]
    council = db.scalar(select(Organisation.ons_code).where(Organisation.id == organisation_id))
    est = service.estimate_claims(claims, when, council)
    if est.empty:
        return {"residents": 0, "listed": 0, "tables": {}, "min_group": MIN_GROUP, "threshold": 1.5}
    ids = [int(x) for x in est["resident_id"]]
    people = db.execute(select(Resident.id, Resident.dob, Resident.sex, Resident.ethnicity, Resident.disability)
                        .where(Resident.id.in_(ids))).all()
    wards = outreach._wards(db, organisation_id, ids)
    frame = pd.DataFrame(people, columns=["id", "dob", "sex", "ethnicity", "disability"]).set_index("id")
    groups = pd.DataFrame({
        "age_band": rl.age_band(pd.to_datetime(frame["dob"]), when),
        "sex": frame["sex"].astype("string").fillna("not known").str.capitalize(),
        "ethnicity": frame["ethnicity"].astype("string").fillna("Not stated"),
        "disability": frame["disability"].map({True: "Disabled", False: "Not disabled"}).astype("string")
        .fillna("Not known"),
        "ward": pd.Series([wards.get(int(i)) for i in frame.index], index=frame.index, dtype="string").fillna("Not known"),
    }, index=frame.index)
    listed = {int(r) for r in est.loc[est["missing_out"], "resident_id"]}
    return {"residents": len(groups), "listed": len(listed & set(groups.index)), "min_group": MIN_GROUP,
            "threshold": 1.5, "labels": rl.GROUP_LABELS, "tables": disparity_table(groups, listed, 1.5)}


def atrs_entries(db: Session, organisation_id: int) -> dict[str, Any]:
    """What the ATRS record says about the take-up estimate, from the council's own state (issue 18)."""
    from boroughs.support.entitlements.rates import for_date

    rates = for_date(dt.date.today())
    households, annual, _ = summary(db, organisation_id)
    acc = accuracy(db, organisation_id)
    fair = fairness(db, organisation_id)
    highlighted = [f"{fair['labels'][col]} {it['group']}: listed {it['ratio']:.2f} times the rate of all claimants "
                   f"estimated ({it['flagged']} of {it['residents']})"
                   for col, items in fair.get("tables", {}).items() for it in items if it["highlight"]]
    return {
        "model": {
            "id": RULE_ID, "title": "Likely missing out on Pension Credit, Housing Benefit or "
                                                     "Council Tax Reduction",
            "logic": ("Guarantee credit = the appropriate amount (standard minimum guarantee and additions) less "
                      "income counted (earnings above the disregard, £1 a week per £500 of savings over "
                      "£10,000); savings credit for those who reached State Pension age before 6 April 2016. "
                      "Pension-age Housing Benefit and Council Tax Reduction = the eligible rent or council tax "
                      "less 65% or 20% of income above the applicable amount (nothing over £16,000 of savings), "
                      "or the maximum where guarantee credit is paid or estimated due. Working-age Council Tax "
                      "Reduction on Universal Credit = the council's own scheme: its maximum share of the council "
                      "tax less its taper of Universal Credit income and award above the maximum amount, less the "
                      "scheme's highest non-dependant deduction for each other adult at home. Listed where the "
                      f"award in payment is £1 a week or more lower. Rates {rates.year} and the council's scheme "
                      "from versioned files naming their sources."),
            "purpose": "Benefit take-up outreach: a reason to contact a resident, never a claim decision.",
        },
        "inputs": ("Live Housing Benefit / Council Tax Reduction claims (hb_ctr): couple, State Pension, other "
                   "counted income, earnings, savings, severe disability and carer premiums, whether Pension "
                   "Credit is paid, eligible rent and council tax, the awards in payment, the household's size "
                   "and children, and for working-age claims the DWP's Universal Credit figures (maximum amount, "
                   "income counted, award); the resident's date of birth."),
        "state": (f"{households:,} households currently estimated as likely or possibly missing out "
                  f"(about £{annual:,.0f} a year); {acc.decided:,} decided outcomes recorded"
                  + (f", {acc.precision:.0%} of which found a real entitlement." if acc.precision is not None else ".")),
        "fairness": highlighted or [f"No group of claimants estimated passed the disparity threshold "
                                    f"({fair.get('listed', 0):,} of {fair.get('residents', 0):,} listed)."],
        "sharing": ("Nothing is shared outside the council unless a resident is referred for help to claim: then "
                    "only what the data sharing agreement's purpose lists, for the needs it names (the demo's "
                    "help-to-claim purpose: contact details, the reason and the estimate's benefits and weekly "
                    "amounts), never the means-test figures."),
    }


atrs.COMPANIONS["benefit_take_up"] = atrs_entries  # described in the council's ATRS record
