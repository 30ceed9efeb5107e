"""The synthetic borough's people and places: households in real London LSOAs (2021) with each LSOA's
Census 2021 ethnic mix, made-up streets and UPRNs, and people drawn from illustrative name lists. All
SYNTHETIC."""

from __future__ import annotations

import datetime as dt
import gzip
import random
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from boroughs.config import get_settings
from boroughs.core.errors import DataError
from boroughs.support.records import names as nm

SYNTHETIC = "SYNTHETIC"
DEFAULT_BOROUGH = "E09000025"  # Newham
DEFAULT_AS_OF = dt.date(2026, 9, 30)
MONTHS = 12

# Real postcode districts (outward codes) in each London borough. Inward codes are random.
DISTRICTS: dict[str, tuple[str, ...]] = {
    "E09000001": ("EC1A", "EC2V", "EC3M", "EC4M"),
    "E09000002": ("IG11", "RM8", "RM9", "RM10"),
    "E09000003": ("N2", "N3", "N11", "N12", "N20", "NW4", "NW7", "NW9", "EN4", "EN5", "HA8"),
    "E09000004": ("DA5", "DA6", "DA7", "DA14", "DA15", "DA16", "SE2"),
    "E09000005": ("NW2", "NW6", "NW10", "HA0", "HA9", "HA3"),
    "E09000006": ("BR1", "BR2", "BR3", "BR4", "BR5", "BR6", "SE20"),
    "E09000007": ("NW1", "NW3", "NW5", "WC1H", "N6", "N19"),
    "E09000008": ("CR0", "CR2", "CR7", "CR8", "SE25", "SE19"),
    "E09000009": ("W5", "W7", "W13", "W3", "UB1", "UB2", "UB6"),
    "E09000010": ("EN1", "EN2", "EN3", "N9", "N13", "N18", "N21"),
    "E09000011": ("SE3", "SE7", "SE9", "SE10", "SE18", "SE28"),
    "E09000012": ("E5", "E8", "E9", "N1", "N16", "E2"),
    "E09000013": ("W6", "W12", "W14", "SW6"),
    "E09000014": ("N4", "N8", "N10", "N15", "N17", "N22"),
    "E09000015": ("HA1", "HA2", "HA3", "HA5", "HA7"),
    "E09000016": ("RM1", "RM2", "RM3", "RM7", "RM11", "RM12", "RM13", "RM14"),
    "E09000017": ("UB3", "UB4", "UB7", "UB8", "UB10", "HA4", "HA6"),
    "E09000018": ("TW3", "TW4", "TW5", "TW7", "TW13", "TW14", "W4"),
    "E09000019": ("N1", "N5", "N7", "N19", "EC1V"),
    "E09000020": ("W8", "W10", "W11", "SW3", "SW5", "SW7", "SW10"),
    "E09000021": ("KT1", "KT2", "KT3", "KT5", "KT6", "KT9"),
    "E09000022": ("SW2", "SW4", "SW8", "SW9", "SW16", "SE11", "SE27"),
    "E09000023": ("SE4", "SE6", "SE8", "SE12", "SE13", "SE14", "SE23", "SE26"),
    "E09000024": ("SW19", "SW20", "CR4", "SM4"),
    "E09000025": ("E6", "E7", "E12", "E13", "E15", "E16"),
    "E09000026": ("IG1", "IG2", "IG3", "IG4", "IG5", "IG6", "IG8", "E18"),
    "E09000027": ("TW1", "TW2", "TW9", "TW10", "TW11", "TW12", "SW13", "SW14"),
    "E09000028": ("SE1", "SE5", "SE15", "SE16", "SE17", "SE22", "SE21"),
    "E09000029": ("SM1", "SM2", "SM3", "SM5", "SM6"),
    "E09000030": ("E1", "E2", "E3", "E14", "E1W"),
    "E09000031": ("E4", "E10", "E11", "E17"),
    "E09000032": ("SW11", "SW12", "SW15", "SW17", "SW18"),
    "E09000033": ("W1", "W2", "W9", "SW1V", "NW8"),
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
STREET_WORDS = (
    "Albert", "Victoria", "Station", "Church", "Park", "High", "Mill", "Queens", "Kings", "Manor", "Grove",
    "Windsor", "Elm", "Oak", "Cedar", "Beech", "Chestnut", "Lime", "Ash", "Maple", "Willow", "Holly",
    "Nelson", "Wellington", "Clarence", "Cromwell", "Stanley", "Gladstone", "Tennyson", "Shakespeare",
    "Brunel", "Seacole", "Equiano", "Pankhurst", "Dickens", "Keats", "Milton", "Chaucer", "Orwell",
    "Tagore", "Jinnah", "Windrush", "Kossoff", "Lansbury", "Attlee", "Bevan", "Morrison", "Barking",
    "Romford", "Plaistow", "Forest", "Carlton", "Durham", "Sussex", "Norfolk", "Suffolk", "Devon", "Surrey",
)
STREET_KINDS = ("Road", "Street", "Avenue", "Close", "Gardens", "Way", "Lane", "Grove", "Terrace", "Crescent")
BLOCK_NAMES = ("House", "Court", "Tower", "Point", "Lodge", "Mansions")
SCHOOLS = ("Rainbow Primary", "St Mary's CE Primary", "Riverside Academy", "Oakfield Primary",
           "Northway School", "Eastgate Primary", "Greenleaf Academy", "Harbour Primary")
VCS_PARTNERS = ("Community Food Hub", "Money Advice Centre", "Good Neighbours Befriending",
                "Digital Buddies", "Warm Homes Project", "Mind the Borough")


@dataclass
class Address:
    line_1: str
    line_2: str
    postcode: str
    uprn: str
    lsoa21_code: str


@dataclass
class Person:
    person_id: str
    household_id: str
    first_name: str
    last_name: str
    sex: str
    dob: dt.date
    ethnicity: str
    community: str
    disabled: bool
    ni: str
    phone: str
    email: str
    former_last_name: str | None = None  # changed name (usually on marriage); older records use this


@dataclass
class Household:
    household_id: str
    address: Address
    previous_address: Address | None
    tenure: str  # council, private_rent, owner
    members: list[Person] = field(default_factory=list)
    on_benefit: bool = False
    drift_month: int | None = None  # month index (0..11) from which the household drifts into arrears
    ctr_ends: bool = False
    band: str = "C"


@dataclass
class SynthResult:
    out_dir: Path
    residents: int
    households: int
    records: dict[str, int]
    files: list[Path]

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def weighted(rng: random.Random, items: tuple[tuple[str, float], ...]) -> str:
    r = rng.random() * sum(w for _, w in items)
    for name, w in items:
        r -= w
        if r <= 0:
            return name
    return items[-1][0]


def load_lsoas(borough: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Real LSOA 2021 codes of ``borough`` with their population and Census 2021 ethnic mix."""
    root = data_dir or get_settings().data_dir
    lookup = root / "lookups" / "lookup_lsoa21_ward24_ltla24_ew.csv.gz"
    if not lookup.is_file():
        raise DataError(lookup, "the LSOA 2021 to ward lookup is missing",
                        hint="Set BOROUGHS_DATA_DIR to the open data folder (it holds lookups/)")
    with gzip.open(lookup, "rt", encoding="utf-8") as f:
        frame = pd.read_csv(f, dtype=str)
    frame = frame[frame["ltla24_code"] == borough][["lsoa21_code", "ward24_code", "ltla24_code"]]
    if frame.empty:
        raise DataError(lookup, f"no LSOAs found for borough {borough!r}", column="ltla24_code",
                        hint="Use a London borough code such as E09000025 (Newham)")
    eth_path = root / "census2021" / "ts021_ethnic_group_london_lsoa21.csv"
    if eth_path.is_file():
        eth = pd.read_csv(eth_path, dtype={"lsoa21_code": str})
        eth = eth.rename(columns={
            "Asian, Asian British or Asian Welsh": "Asian",
            "Black, Black British, Black Welsh, Caribbean or African": "Black",
            "Mixed or Multiple ethnic groups": "Mixed", "Other ethnic group": "Other",
        })
        frame = frame.merge(eth, on="lsoa21_code", how="left")
    for g in nm.CENSUS_GROUPS:
        if g not in frame.columns:
            frame[g] = 1.0
    if "total_residents" not in frame.columns:
        frame["total_residents"] = 1500
    frame["total_residents"] = frame["total_residents"].fillna(1500)
    dis_path = root / "census2021" / "ts038_disability_london_lsoa21.csv"
    if dis_path.is_file():
        dis = pd.read_csv(dis_path, dtype={"lsoa21_code": str})
        dis["disabled_rate"] = dis["Disabled under the Equality Act"] / dis["total_residents"]
        frame = frame.merge(dis[["lsoa21_code", "disabled_rate"]], on="lsoa21_code", how="left")
    if "disabled_rate" not in frame.columns:
        frame["disabled_rate"] = 0.17
    frame["disabled_rate"] = frame["disabled_rate"].fillna(0.17)
    return frame.sort_values("lsoa21_code").reset_index(drop=True)


class Places:
    """Streets, postcodes and UPRNs for the LSOAs of one borough."""

    def __init__(self, rng: random.Random, lsoas: pd.DataFrame, borough: str) -> None:
        self.rng = rng
        self.codes: list[str] = list(lsoas["lsoa21_code"])
        self.weights: list[float] = [float(x) for x in lsoas["total_residents"]]
        districts = DISTRICTS.get(borough, ("ZZ1",))
        self.streets: dict[str, list[str]] = {}
        self.postcodes: dict[str, list[str]] = {}
        for code in self.codes:
            district = districts[rng.randrange(len(districts))]
            sector = rng.randrange(1, 10)
            self.streets[code] = [
                f"{rng.choice(STREET_WORDS)} {rng.choice(STREET_KINDS)}" for _ in range(rng.randint(3, 6))
            ]
            self.postcodes[code] = [
                f"{district} {sector}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
                for _ in range(rng.randint(8, 16))
            ]
        self._uprn = 0
        self._cum: list[float] = []
        total = 0.0
        for w in self.weights:
            total += w
            self._cum.append(total)

    def pick_lsoa(self) -> str:
        import bisect

        return self.codes[bisect.bisect_left(self._cum, self.rng.random() * self._cum[-1])]

    def address(self, lsoa: str | None = None) -> Address:
        rng = self.rng
        lsoa = lsoa or self.pick_lsoa()
        self._uprn += 1
        uprn = f"99{rng.randrange(10**9):09d}{self._uprn % 10}"
        street = rng.choice(self.streets[lsoa])
        if rng.random() < 0.45:
            block = f"{rng.choice(STREET_WORDS)} {rng.choice(BLOCK_NAMES)}"
            line_1 = f"Flat {rng.randint(1, 80)}, {block}"
            line_2 = street
        else:
            line_1 = f"{rng.randint(1, 240)} {street}"
            line_2 = ""
        return Address(line_1, line_2, rng.choice(self.postcodes[lsoa]), uprn, lsoa)


_NI_LETTERS = "ABCD"


class PeopleMaker:
    def __init__(self, rng: random.Random, as_of: dt.date) -> None:
        self.rng = rng
        self.as_of = as_of
        self.count = 0

    def dob_for_age(self, lo: int, hi: int) -> dt.date:
        age_days = self.rng.randint(lo * 365 + 1, hi * 365 + 364)
        return self.as_of - dt.timedelta(days=age_days)

    def person(self, household_id: str, community: nm.Community, surname: str, sex: str, dob: dt.date,
               ethnicity: str, disabled_rate: float, first_from: nm.Community | None = None,
               taken: tuple[str, ...] = ()) -> Person:
        rng = self.rng
        self.count += 1
        pid = f"P{self.count:08d}"
        pool = (first_from or community).female if sex == "female" else (first_from or community).male
        first = rng.choice(pool)
        for _ in range(10):  # people in one home rarely share a first name
            if first not in taken:
                break
            first = rng.choice(pool)
        age = (self.as_of - dob).days / 365.25
        disabled = rng.random() < disabled_rate * (2.2 if age >= 65 else 0.7)
        ni = f"SZ{rng.randrange(10**6):06d}{rng.choice(_NI_LETTERS)}" if age >= 16 else ""
        phone = f"07{rng.randrange(10**3):03d} {rng.randrange(10**6):06d}" if age >= 14 else ""
        domain = rng.choice(("example.org", "example.com", "example.net"))
        email = f"{nm.fold(first)}.{nm.fold(surname)}{rng.randint(1, 9999)}@{domain}" if age >= 16 else ""
        return Person(pid, household_id, first, surname, sex, dob, ethnicity, community.key, disabled, ni,
                      phone, email)
