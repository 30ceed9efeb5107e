"""Versioned, documented schemas of the council datasets the support area links.

Each source dataset has two parts:

* a **records file**: one row per record (an account, a claim, a contact), carrying the person fields
  linkage reads (the canonical person schema: ``record_id``, names, ``dob``, address, ``postcode``, and
  optionally ``uprn``, ``national_id``, ``phone``, ``email``) plus the dataset's own fields;
* an optional **history file** (``record_id``, ``event_date`` and the dataset's measures): the balance,
  arrears and award changes over time that early-warning rules read.

Schemas are data: ``docs/support/linkage.md`` is checked against them by a test, and the importer
(``ingest.py``) and the synthetic population (``synth.py``) both read them. Change a schema by adding
fields (a minor version) or by a new major version; never by editing a released field's meaning.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

FieldType = Literal["string", "date", "decimal", "integer", "boolean", "choice"]

# Formats checked only where a council dataset's schema says so (the link contract checks none of these).
UK_POSTCODE = r"(?i)^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$"
NI_NUMBER = r"(?i)^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]$"
UPRN = r"^\d{1,12}$"
LSOA21 = r"^E01\d{6}$"
UK_PHONE = r"^(\+44|0)[\d ]{9,13}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

OLDEST_AGE = 115  # a date of birth implying an older person is impossible

# Field length limits (issue 17), documented in docs/support/linkage.md: a value longer than its field's
# ``max_length`` is a row problem; a cell longer than MAX_CELL_CHARS, a header wider than MAX_COLUMNS or a
# row with more cells than the header stops the whole file at once (before anything is held in memory twice).
NAME_MAX = 100
DETAIL_MAX = 2000
MAX_CELL_CHARS = 10_000
MAX_COLUMNS = 500


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    description: str
    required: bool = False
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    is_dob: bool = False
    # The longest value accepted, in characters (issue 17): longer values are quarantined, not stored.
    max_length: int = 200


@dataclass(frozen=True)
class Measure:
    """A value tracked over time in a history file (one column there), or taken from a dated record."""

    name: str
    type: Literal["decimal", "integer", "string"]
    description: str


@dataclass(frozen=True)
class SourceSchema:
    key: str
    title: str
    version: str
    description: str
    fields: tuple[Field, ...]
    measures: tuple[Measure, ...] = ()
    # For datasets where each record is itself an event (a contact, an approach, a concern): the record's
    # date field and the measures taken from the record's own fields.
    record_event_date: str | None = None
    record_event_measures: tuple[str, ...] = ()
    # Whose records these are: adults only (a liable person, a tenant, a claimant, a parent, an applicant), so
    # linkage never puts one with a record whose date of birth is a child's (``link_records(adults_only=...)``).
    adults_only: bool = False

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def history_fields(self) -> tuple[Field, ...]:
        if not self.measures:
            return ()
        return (
            Field("record_id", "string", "The record this value belongs to.", required=True),
            Field("event_date", "date", "The date the value applies from (ISO 8601).", required=True),
            *(Field(m.name, "decimal" if m.type != "string" else "string", m.description) for m in self.measures),
        )


SEXES = ("female", "male", "other", "not known")
ETHNIC_GROUPS = ("Asian", "Black", "Mixed", "Other", "White", "Not stated")


def _person(*, dob_required: bool, ni_required: bool = False, uprn_required: bool = False) -> tuple[Field, ...]:
    return (
        Field("record_id", "string", "The source system's identifier for this record; unique in the file.",
              required=True),
        Field("first_name", "string", "First (given) name as recorded.", required=True, max_length=NAME_MAX),
        Field("last_name", "string", "Last (family) name as recorded.", required=True, max_length=NAME_MAX),
        Field("dob", "date", "Date of birth (ISO 8601, YYYY-MM-DD).", required=dob_required, is_dob=True),
        Field("address_line_1", "string", "First line of the address (number and street).", required=True),
        Field("address_line_2", "string", "Second line of the address (locality or flat)."),
        Field("postcode", "string", "UK postcode.", pattern=UK_POSTCODE),
        Field("uprn", "string", "Unique Property Reference Number from the council's gazetteer.",
              required=uprn_required, pattern=UPRN),
        Field("national_id", "string", "National Insurance number.", required=ni_required, pattern=NI_NUMBER),
        Field("phone", "string", "Telephone number.", pattern=UK_PHONE),
        Field("email", "string", "Email address.", pattern=EMAIL),
        Field("sex", "choice", "Sex as recorded (for fairness monitoring).", choices=SEXES),
        Field("ethnicity", "choice", "Census 2021 high-level ethnic group (for fairness monitoring).",
              choices=ETHNIC_GROUPS),
        Field("disability", "boolean", "Disabled under the Equality Act, where recorded."),
        Field("lsoa21_code", "string", "The address's LSOA 2021, from the council's address gazetteer.",
              pattern=LSOA21),
        Field("synthetic", "string", "SYNTHETIC when the row was made by `boroughs support synth`."),
    )


SCHEMAS: dict[str, SourceSchema] = {}


def _add(schema: SourceSchema) -> None:
    SCHEMAS[schema.key] = schema


_add(SourceSchema(
    "council_tax", "Council tax accounts", "1.0",
    "One row per liable person on a council tax account; history gives the monthly balance, arrears and "
    "council tax reduction (CTR) award.",
    (*_person(dob_required=False, uprn_required=True),
     Field("account_ref", "string", "Council tax account reference.", required=True),
     Field("band", "choice", "Valuation band.", choices=tuple("ABCDEFGH")),
     Field("liable_from", "date", "Date liability started."),
     Field("ctr_status", "choice", "Council tax reduction status now.", choices=("none", "awarded", "ended")),
     Field("single_person_discount", "boolean", "Single person discount applies.")),
    measures=(Measure("balance", "decimal", "Balance owed for the year (£)."),
              Measure("arrears", "decimal", "Arrears from missed instalments (£)."),
              Measure("ctr_award_weekly", "decimal", "Council tax reduction award (£ a week; 0 when none).")),
    adults_only=True,
))
_add(SourceSchema(
    "rent", "Housing rent accounts", "1.0",
    "One row per tenant of a council tenancy; history gives the monthly arrears and weekly rent.",
    (*_person(dob_required=True, uprn_required=True),
     Field("tenancy_ref", "string", "Tenancy reference.", required=True),
     Field("tenancy_start", "date", "Start of the tenancy."),
     Field("bedrooms", "integer", "Bedrooms in the home.")),
    measures=(Measure("arrears", "decimal", "Rent arrears (£)."),
              Measure("weekly_rent", "decimal", "Weekly rent charge (£).")),
    adults_only=True,
))
_add(SourceSchema(
    "hb_ctr", "Housing benefit and council tax reduction claims", "1.3",
    "One row per claimant or partner on a claim; history gives award changes and household income. The "
    "assessment fields (1.1–1.3) are what the claim's means test recorded; the entitlements estimate reads them.",
    (*_person(dob_required=True, ni_required=True),
     Field("claim_ref", "string", "Claim reference.", required=True),
     Field("claim_status", "choice", "Status now.", choices=("live", "suspended", "ended"), required=True),
     Field("household_size", "integer", "People in the household."),
     Field("children", "integer", "Children in the household."),
     Field("couple", "boolean", "The claim is for a couple (1.1)."),
     Field("pension_credit", "choice", "Pension Credit in payment, as the DWP told the council (1.1).",
           choices=("none", "guarantee credit", "savings credit", "both")),
     Field("state_pension_weekly", "decimal", "State Pension of the claimant and partner (£ a week) (1.1)."),
     Field("other_income_weekly", "decimal", "Other counted income: occupational and personal pensions and "
           "counted benefits, not disability benefits (£ a week) (1.1)."),
     Field("earnings_weekly", "decimal", "Earnings of the claimant and partner (£ a week) (1.1)."),
     Field("capital", "decimal", "Savings and investments declared on the claim (£) (1.1)."),
     Field("severe_disability_premium", "integer", "How many on the claim get the severe disability premium "
           "(0, 1 or 2) (1.1)."),
     Field("carer_premium", "integer", "How many on the claim get the carer premium (0, 1 or 2) (1.1)."),
     Field("eligible_rent_weekly", "decimal", "Eligible rent on the claim (£ a week; blank when none) (1.2)."),
     Field("eligible_council_tax_weekly", "decimal", "Eligible council tax on the claim (£ a week) (1.2)."),
     Field("hb_in_payment_weekly", "decimal", "Housing Benefit awarded now (£ a week; 0 when none) (1.2)."),
     Field("ctr_in_payment_weekly", "decimal", "Council Tax Reduction awarded now (£ a week; 0 when none) (1.2)."),
     Field("uc_maximum_monthly", "decimal", "Universal Credit maximum amount of a working-age claim, from the "
           "DWP's latest Universal Credit data (£ a month; blank when not on Universal Credit) (1.3)."),
     Field("uc_income_monthly", "decimal", "Earned and unearned income Universal Credit counted, before the "
           "work allowance (£ a month) (1.3)."),
     Field("uc_award_monthly", "decimal", "Universal Credit award (£ a month) (1.3).")),
    measures=(Measure("hb_award_weekly", "decimal", "Housing benefit award (£ a week; 0 when none)."),
              Measure("ctr_award_weekly", "decimal", "Council tax reduction award (£ a week; 0 when none)."),
              Measure("household_income_weekly", "decimal", "Assessed household income (£ a week).")),
    adults_only=True,
))
_add(SourceSchema(
    "fsm", "Free school meals", "1.0",
    "One row per parent or carer whose child is eligible for free school meals; history gives eligibility "
    "checks (1 eligible, 0 not).",
    (*_person(dob_required=False),
     Field("child_first_name", "string", "The eligible child's first name."),
     Field("child_dob", "date", "The eligible child's date of birth."),
     Field("school", "string", "The child's school."),
     Field("eligible_from", "date", "Date eligibility started.")),
    measures=(Measure("eligible", "integer", "1 when the child was eligible at the check, else 0."),),
    adults_only=True,
))
_add(SourceSchema(
    "asc_contact", "Adult social care contacts", "1.0",
    "One row per contact with adult social care (each contact is typed in separately).",
    (*_person(dob_required=False),
     Field("contact_date", "date", "Date of the contact.", required=True),
     Field("reason", "choice", "Reason for contact.", required=True,
           choices=("falls", "carer breakdown", "self-neglect", "safeguarding", "hospital discharge",
                    "mental health", "information and advice")),
     Field("outcome", "choice", "Outcome.", choices=("no further action", "signposted", "assessment",
                                                     "services provided"))),
    record_event_date="contact_date", record_event_measures=("reason", "outcome"),
    adults_only=True,
))
_add(SourceSchema(
    "homelessness", "Homelessness approaches", "1.0",
    "One row per approach to the housing options service.",
    (*_person(dob_required=False),
     Field("approach_date", "date", "Date of the approach.", required=True),
     Field("reason", "choice", "Main reason for the threat of homelessness.", required=True,
           choices=("end of private tenancy", "family or friends no longer able to accommodate",
                    "domestic abuse", "rent arrears", "relationship breakdown", "other")),
     Field("duty", "choice", "Duty owed.", choices=("prevention", "relief", "main duty", "none"))),
    record_event_date="approach_date", record_event_measures=("reason", "duty"),
    adults_only=True,
))
_add(SourceSchema(
    "vcs_concern", "Concerns raised by VCS partners", "1.0",
    "One row per concern a voluntary or community sector partner raised about a resident.",
    (*_person(dob_required=False),
     Field("raised_on", "date", "Date the concern was raised.", required=True),
     Field("raised_by", "string", "The partner organisation that raised it.", required=True),
     Field("category", "choice", "What the concern is about.", required=True,
           choices=("food insecurity", "fuel poverty", "debt", "isolation", "housing", "mental health",
                    "digital exclusion")),
     Field("detail", "string", "Free text from the partner.", max_length=DETAIL_MAX)),
    record_event_date="raised_on", record_event_measures=("category",),
))

# The canonical person schema of the link contract (`boroughs support link`): formats are not checked.
CANONICAL_COLUMNS = ("source", "record_id", "first_name", "last_name", "dob", "address_line_1",
                     "address_line_2", "postcode")
CANONICAL_OPTIONAL = ("uprn", "national_id", "phone", "email")
PERSON_FIELDS = ("first_name", "last_name", "dob", "address_line_1", "address_line_2", "postcode", "uprn",
                 "national_id", "phone", "email")


def get_schema(key: str) -> SourceSchema:
    try:
        return SCHEMAS[key]
    except KeyError:
        raise KeyError(
            f"unknown dataset {key!r}: choose one of {', '.join(SCHEMAS)}"
        ) from None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


_DAY_FIRST = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$")


def parse_date(value: str) -> dt.date | None:
    """ISO dates only (2024-03-01, or an ISO date and time). ``01/02/1975`` is refused, never reinterpreted:
    day-first and month-first exports look the same, so guessing would silently swap days and months."""
    value = value.strip()
    if not value:
        return None
    try:
        if _DATE.match(value):
            return dt.date.fromisoformat(value)
        if ("T" in value or " " in value) and _DATE.match(value[:10]):
            return dt.datetime.fromisoformat(value).date()
    except ValueError:
        return None
    return None


def check_value(f: Field, raw: str, *, today: dt.date) -> tuple[object, str | None]:
    """Convert ``raw`` for field ``f``: returns (value, problem). ``problem`` is plain English or None."""
    raw = raw.strip()
    if not raw:
        if f.required:
            return None, "is required but empty"
        return None, None
    if len(raw) > f.max_length:
        return None, f"is {len(raw):,} characters long; the limit for this field is {f.max_length:,}"
    if f.type == "date":
        d = parse_date(raw)
        if d is None:
            if _DAY_FIRST.match(raw):
                return None, (f"{raw!r} is not in the form YYYY-MM-DD (dates like 01/02/1975 could mean "
                              "1 February or 2 January, so they are not guessed: convert them first)")
            return None, f"{raw!r} is not a date (use YYYY-MM-DD)"
        if f.is_dob:
            if d > today:
                return None, f"date of birth {raw} is in the future"
            if d.year < today.year - OLDEST_AGE:
                return None, f"date of birth {raw} would make the person older than {OLDEST_AGE}"
        return d, None
    if f.type in ("decimal", "integer"):
        try:
            num = float(raw.replace(",", "").replace("£", ""))
        except ValueError:
            return None, f"{raw!r} is not a number"
        if f.type == "integer":
            if not num.is_integer():
                return None, f"{raw!r} is not a whole number"
            return int(num), None
        return num, None
    if f.type == "boolean":
        low = raw.lower()
        if low in ("true", "yes", "y", "1"):
            return True, None
        if low in ("false", "no", "n", "0"):
            return False, None
        return None, f"{raw!r} is not yes or no"
    if f.type == "choice":
        for c in f.choices:
            if c.lower() == raw.lower():
                return c, None
        return None, f"{raw!r} is not one of: {', '.join(f.choices)}"
    if f.pattern and not re.match(f.pattern, raw):
        return None, f"{raw!r} is not a valid {f.description.rstrip('.').lower()}"
    return raw, None
