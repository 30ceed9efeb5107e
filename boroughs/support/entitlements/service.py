"""Who is likely missing out: the estimator run over a council's linked residents.

Benefit units come from the council's live Housing Benefit / Council Tax Reduction claims (``hb_ctr``
records, schema 1.1–1.3), whose means test already recorded income, savings, premiums, the eligible rent and
council tax and the awards in payment. One unit a claim (a single person or a couple); its resident is the
claimant's. A pension-age unit can be listed for up to three benefits: Pension Credit not claimed, and
Housing Benefit or Council Tax Reduction below what the rules give (often because guarantee credit, once
claimed, gives the maximum of both). A working-age unit on Universal Credit can be listed for Council Tax
Reduction below what the council's own scheme gives (:mod:`.working_age`), where the project holds the
scheme. Residents who objected to profiling are left out before anything is estimated.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import audit
from boroughs.core.csv_safety import safe_cell
from boroughs.core.models import Organisation
from boroughs.support.entitlements import estimator, working_age
from boroughs.support.entitlements.estimator import NOT_LISTED
from boroughs.support.entitlements.rates import PensionCreditRates, for_date, state_pension_age_date
from boroughs.support.entitlements.schemes import working_age_scheme
from boroughs.support.records.models import ResidentRecord, SourceRecord
from boroughs.support.rules.service import opted_out_ids

BENEFIT = "pension_credit"
BENEFITS = (BENEFIT, estimator.HOUSING_BENEFIT, estimator.COUNCIL_TAX_REDUCTION)
ASSESSMENT_FIELDS = ("claim_ref", "couple", "pension_credit", "state_pension_weekly", "other_income_weekly",
                     "earnings_weekly", "capital", "severe_disability_premium", "carer_premium",
                     "eligible_rent_weekly", "eligible_council_tax_weekly", "hb_in_payment_weekly",
                     "ctr_in_payment_weekly", "uc_maximum_monthly", "uc_income_monthly", "uc_award_monthly",
                     "household_size", "children")
CSV_COLUMNS = ("resident_id", "benefit", "likelihood", "weekly_amount", "annual_amount", "explanation", "rates_year")
PC_RECEIPT = {"none": False, "guarantee credit": True, "savings credit": True, "both": True}
GC_RECEIPT = {"none": False, "guarantee credit": True, "savings credit": False, "both": True}


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")  # blank (not recorded) becomes NaN


def units_from_claims(claims: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Benefit units from hb_ctr rows (``claim_ref``, ``dob``, ``resident_id`` and the assessment fields;
    a field the records lack counts as not recorded).

    Rows of one claim (claimant and partner) become one unit; a claim with anyone under State Pension age
    is not a pension-age unit and is dropped.
    """
    if claims.empty:
        return pd.DataFrame(columns=["resident_id", "couple", "income_weekly"])
    df = claims.copy()
    for col in ASSESSMENT_FIELDS:
        if col not in df:
            df[col] = ""
    df["dob"] = pd.to_datetime(df["dob"], errors="coerce")
    df = df[df["dob"].notna()]
    spa = df["dob"].dt.date.map(state_pension_age_date)
    rates = for_date(as_of)  # the dates that matter are the rates file's, not the code's
    df["over_spa"] = spa <= as_of
    df["spa_before_2016"] = spa < (rates.sc_spa_before or dt.date.min)
    df["spa_before_2021"] = spa < (rates.housing.cutoff if rates.housing else dt.date.min)
    grouped = df.groupby("claim_ref", sort=False)
    units = grouped.agg(resident_id=("resident_id", "first"), members=("resident_id", "size"),
                        all_over_spa=("over_spa", "all"), sc_age_all=("spa_before_2016", "all"),
                        couple=("couple", "first"), pension_credit=("pension_credit", "first"),
                        state_pension=("state_pension_weekly", "first"), other=("other_income_weekly", "first"),
                        earnings=("earnings_weekly", "first"), capital=("capital", "first"),
                        sdp=("severe_disability_premium", "first"), carer=("carer_premium", "first"),
                        allowance_before=("spa_before_2021", "any"),
                        rent=("eligible_rent_weekly", "first"), ct=("eligible_council_tax_weekly", "first"),
                        hb_now=("hb_in_payment_weekly", "first"), ctr_now=("ctr_in_payment_weekly", "first"))
    units = units[units["all_over_spa"]].copy()
    units["couple"] = units["couple"].astype(str).str.lower().isin(("yes", "true", "1"))
    units["income_weekly"] = _num(units["state_pension"]) + _num(units["other"]).fillna(0.0)
    units["earnings_weekly"] = _num(units["earnings"]).fillna(0.0)
    units["capital"] = _num(units["capital"])
    units["severe_disability"] = _num(units["sdp"]).fillna(0).clip(0, 2)
    units["carers"] = _num(units["carer"]).fillna(0).clip(0, 2)
    units["savings_credit_age"] = units["sc_age_all"]
    units["receives_pension_credit"] = units["pension_credit"].map(PC_RECEIPT)
    units["receives_guarantee_credit"] = units["pension_credit"].map(GC_RECEIPT).eq(True)
    for short, name in (("rent", "eligible_rent_weekly"), ("ct", "eligible_council_tax_weekly"),
                        ("hb_now", "hb_award_weekly"), ("ctr_now", "ctr_award_weekly")):
        units[name] = _num(units[short])
    return units.reset_index()


def estimate_units(units: pd.DataFrame, rates: PensionCreditRates) -> pd.DataFrame:
    """One row per unit and benefit: the estimator's columns joined to the units, with an explanation for
    each row listed (missing out, or worth checking)."""
    est = estimator.estimate(units, rates)
    pc = pd.concat([units, est], axis=1)
    listed = pc["missing_out"] | pc["worth_checking"]
    pc["explanation"] = ""
    pc.loc[listed, "explanation"] = [estimator.explain(units.loc[i], est.loc[i], rates) for i in pc.index[listed]]
    pc["benefit"] = BENEFIT
    parts = [pc]
    if rates.housing is not None:
        hs = estimator.housing_support(units, est, rates)
        for benefit, short in ((estimator.HOUSING_BENEFIT, "hb"), (estimator.COUNCIL_TAX_REDUCTION, "ctr")):
            part = units.copy()
            part["benefit"] = benefit
            part["missing_out"] = hs[f"{short}_missing_out"]
            part["worth_checking"] = hs[f"{short}_worth_checking"]
            listed_here = part["missing_out"] | part["worth_checking"]
            part["likelihood"] = np.where(listed_here, hs[f"{short}_likelihood"], NOT_LISTED)
            part["weekly_amount"] = hs[f"{short}_gain"].fillna(0.0)
            part["annual_amount"] = estimator.round_pennies(part["weekly_amount"].to_numpy(float) * 52)
            part["explanation"] = ""
            chosen = part.index[listed_here]
            part.loc[chosen, "explanation"] = [estimator.explain_housing(benefit, units.loc[i], hs.loc[i], rates)
                                               for i in chosen]
            parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["rates_year"] = rates.year
    return out


def estimate_working_age(units: pd.DataFrame, council: str | None, as_of: dt.date, rates_year: str) -> pd.DataFrame:
    """Working-age Council Tax Reduction rows (benefit ``council_tax_reduction``) under the council's scheme;
    none where the project holds no scheme for the council."""
    scheme = working_age_scheme(council, as_of)
    if scheme is None or units.empty:
        return pd.DataFrame()
    est = working_age.estimate(units, scheme)
    part = pd.concat([units, est.drop(columns=["likelihood"])], axis=1)
    listed = part["missing_out"] | part["worth_checking"]
    part["benefit"] = estimator.COUNCIL_TAX_REDUCTION
    part["likelihood"] = np.where(listed, est["likelihood"], NOT_LISTED)
    part["weekly_amount"] = est["ctr_gain"].fillna(0.0)
    part["annual_amount"] = estimator.round_pennies(part["weekly_amount"].to_numpy(float) * 52)
    part["explanation"] = ""
    part.loc[listed, "explanation"] = [working_age.explain(units.loc[i], est.loc[i], scheme)
                                       for i in part.index[listed]]
    part["rates_year"] = rates_year
    return part


def estimate_claims(claims: pd.DataFrame, as_of: dt.date, council: str | None) -> pd.DataFrame:
    """Every live claim's rows (pension-age and working-age), from hb_ctr rows with the resident's ``dob``."""
    rates = for_date(as_of)
    units = units_from_claims(claims, as_of)
    parts = [estimate_units(units, rates)] if not units.empty else []
    parts.append(estimate_working_age(working_age.units_from_claims(claims, as_of), council, as_of, rates.year))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=[*CSV_COLUMNS, "claim_ref", "missing_out", "worth_checking"])
    return pd.concat(parts, ignore_index=True)


def claims_from_db(db: Session, organisation_id: int) -> pd.DataFrame:
    """Live hb_ctr records of the council with their resident, as one row per claimant or partner."""
    rows = db.execute(
        select(ResidentRecord.resident_id, SourceRecord.dob, SourceRecord.attributes)
        .join(SourceRecord, SourceRecord.id == ResidentRecord.source_record_id)
        .where(SourceRecord.organisation_id == organisation_id, SourceRecord.dataset == "hb_ctr")
    ).all()
    records = []
    for resident_id, dob, attrs in rows:
        attrs = attrs or {}
        if attrs.get("claim_status") != "live":
            continue
        records.append({"resident_id": resident_id, "dob": dob, **{k: attrs.get(k) for k in ASSESSMENT_FIELDS}})
    frame = pd.DataFrame.from_records(records)
    for col in ("state_pension_weekly", "other_income_weekly", "earnings_weekly", "capital", "eligible_rent_weekly",
                "eligible_council_tax_weekly", "hb_in_payment_weekly", "ctr_in_payment_weekly",
                "uc_maximum_monthly", "uc_income_monthly", "uc_award_monthly"):
        if col in frame:
            frame[col] = frame[col].map(lambda v: "" if v is None else v)
    return frame


def missing_out(db: Session, organisation_id: int, as_of: dt.date | None = None) -> pd.DataFrame:
    """Every benefit unit of the council likely or possibly missing out, largest amount first (including those
    whose records do not say whether Pension Credit is already paid: "possible — check whether already
    claimed")."""
    when = as_of or dt.date.today()
    claims = claims_from_db(db, organisation_id)
    if not claims.empty:  # a claim is left out whole when anyone on it objected to profiling
        objected = claims.loc[claims["resident_id"].isin(opted_out_ids(db, organisation_id)), "claim_ref"]
        claims = claims[~claims["claim_ref"].isin(set(objected))]
    council = db.scalar(select(Organisation.ons_code).where(Organisation.id == organisation_id))
    out = estimate_claims(claims, when, council)
    listed = out[out["missing_out"] | out["worth_checking"]]
    return listed.sort_values("annual_amount", ascending=False, kind="stable")


def write_csv(frame: pd.DataFrame, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "entitlements.csv"
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for r in frame.itertuples(index=False):
            row = [int(r.resident_id), r.benefit, r.likelihood, f"{r.weekly_amount:.2f}", f"{r.annual_amount:.2f}",
                   r.explanation, r.rates_year]
            w.writerow([safe_cell(v) for v in row])
    partial.replace(path)
    return path


def entitlements_command(council: str, out: Path, *, as_of: dt.date | None = None) -> str:
    from boroughs.core.db import session_scope
    from boroughs.support.rules.cli import find_council

    with session_scope() as db:
        org = find_council(db, council)
        frame = missing_out(db, org.id, as_of)
        path = write_csv(frame, out)
        audit.record(db, "support.entitlements.export", organisation_id=org.id, object_type="organisation",
                     object_id=org.id, purpose="benefit take-up outreach",
                     detail={"units": len(frame), "file": str(path)})
        total = float(frame["annual_amount"].sum()) if len(frame) else 0.0
        name = org.name
    households = frame["resident_id"].nunique() if len(frame) else 0
    by = ", ".join(f"{n:,} {estimator.BENEFIT_NAMES[b]}" for b, n in frame["benefit"].value_counts().items()) \
        if len(frame) else "none"
    return (f"{name}: {households:,} households likely or possibly missing out ({by}), about "
            f"£{total:,.0f} a year in all. Wrote {path}")
