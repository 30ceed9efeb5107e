"""The synthetic borough (issue 5): deterministic, marked synthetic, placed in real LSOAs, with real-world errors."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pandas as pd
import pytest

from boroughs.support.records.schemas import SCHEMAS, UK_POSTCODE
from boroughs.support.synth.population import synthesise


@pytest.fixture(scope="module")
def borough(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("synth")
    synthesise(600, 11, out, data_dir=data_dir)
    return out


def test_same_seed_same_bytes(borough: Path, data_dir: Path, tmp_path: Path) -> None:
    synthesise(600, 11, tmp_path, data_dir=data_dir)
    for f in sorted(borough.glob("SYNTHETIC_*.csv")):
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name


def test_every_file_and_row_says_synthetic(borough: Path) -> None:
    files = sorted(borough.glob("*"))
    assert files and all(f.name.startswith("SYNTHETIC_") for f in files)
    for key in SCHEMAS:
        frame = pd.read_csv(borough / f"SYNTHETIC_{key}.csv", dtype=str, keep_default_na=False)
        assert len(frame) > 0, key
        assert (frame["synthetic"] == "SYNTHETIC").all()
    truth = pd.read_csv(borough / "SYNTHETIC_ground_truth.csv", dtype=str)
    assert {"source", "record_id", "person_id"} <= set(truth.columns)
    persons = pd.read_csv(borough / "SYNTHETIC_persons.csv", dtype=str)
    assert "person_id" not in persons.columns  # the truth is kept apart from what linkage reads
    assert len(truth) == len(persons)


def test_homes_are_in_real_lsoas_with_wellformed_postcodes(borough: Path, data_dir: Path) -> None:
    with gzip.open(data_dir / "lookups" / "lookup_lsoa21_ward24_ltla24_ew.csv.gz", "rt") as f:
        lookup = pd.read_csv(f, dtype=str)
    newham = set(lookup.loc[lookup["ltla24_code"] == "E09000025", "lsoa21_code"])
    ct = pd.read_csv(borough / "SYNTHETIC_council_tax.csv", dtype=str, keep_default_na=False)
    assert set(ct["lsoa21_code"]) <= newham
    postcodes = ct["postcode"][ct["postcode"] != ""]
    assert postcodes.str.match(UK_POSTCODE).mean() > 0.98
    assert ct["uprn"].str.fullmatch(r"99\d{10}").all()


def test_people_are_diverse_and_records_carry_errors(borough: Path) -> None:
    people = pd.read_csv(borough / "SYNTHETIC_people.csv", dtype=str)
    assert people["community"].nunique() >= 6
    assert set(people["ethnicity"]) >= {"Asian", "Black", "White"}
    persons = pd.read_csv(borough / "SYNTHETIC_persons.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(borough / "SYNTHETIC_ground_truth.csv", dtype=str)
    merged = persons.merge(truth, on=["source", "record_id"]).merge(
        people[["person_id", "first_name", "dob"]], on="person_id", suffixes=("", "_true"))
    differs = merged["first_name"].str.lower() != merged["first_name_true"].str.lower()
    assert 0.02 < differs.mean() < 0.4  # nicknames, transliterations, typos
    assert (merged["dob"] == "").mean() > 0.05  # missing dates of birth
    wrong_dob = (merged["dob"] != "") & (merged["dob"] != merged["dob_true"])
    assert wrong_dob.sum() > 0


def test_some_households_drift_into_arrears(borough: Path) -> None:
    hist = pd.read_csv(borough / "SYNTHETIC_council_tax_history.csv")
    assert hist.groupby("record_id").size().max() == 12
    by_record = hist.sort_values("event_date").groupby("record_id")["arrears"]
    rising = (by_record.last() - by_record.first()) >= 200
    assert 0.02 < rising.mean() < 0.5
    assert all(re.match(r"\d{4}-\d{2}-\d{2}$", d) for d in hist["event_date"].head(20))
