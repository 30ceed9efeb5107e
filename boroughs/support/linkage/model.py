"""The linkage model (``MODEL_VERSION``): Splink comparisons, blocking rules and settings, and the thresholds a
council can set (``BOROUGHS_LINKAGE_*``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import splink.comparison_level_library as cll
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.comparison_library import CustomComparison
from splink.internals.column_expression import ColumnExpression
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

MODEL_VERSION = "uk-person-1.1"  # raise it when the comparisons or blocking rules change
DEFAULT_THRESHOLD = 0.9  # pairs at or above this match probability join a cluster
REVIEW_BAND = (0.3, 0.9)  # pairs in [low, high) are shown to clerical reviewers
PAIRS_FLOOR = 0.05  # pairs below this are not written out
TRAIN_SAMPLE_RECORDS = 100_000  # larger inputs train on a seeded sample of this many records


def configured_threshold() -> float:
    """``BOROUGHS_LINKAGE_THRESHOLD`` (default ``DEFAULT_THRESHOLD``)."""
    from boroughs.config import get_settings

    return float(get_settings().linkage_threshold)


def configured_review_band() -> tuple[float, float]:
    """``BOROUGHS_LINKAGE_REVIEW_LOW`` and ``_HIGH`` (default ``REVIEW_BAND``)."""
    from boroughs.config import get_settings

    s = get_settings()
    low, high = float(s.linkage_review_low), float(s.linkage_review_high)
    if not low < high:
        raise ValueError(f"BOROUGHS_LINKAGE_REVIEW_LOW ({low}) must be below BOROUGHS_LINKAGE_REVIEW_HIGH ({high})")
    return low, high


# --------------------------------------------------------------------------------------------------------
# the model


# Two different first names with one surname at one address are two members of a household. Records of one
# household break the model's assumption that comparisons are independent given non-match (they share the
# surname, the address, often the phone and the email), so this level's weight is set, not estimated: about
# -40 bits, enough to outweigh every other agreement a household can show (twins share even the birth date).
HOUSEHOLD_M, HOUSEHOLD_U = 1e-14, 0.01


def _household_member_level(with_national_id: bool) -> Any:
    conditions: list[Any] = [
        cll.Or(cll.ExactMatchLevel("last_mp"), cll.JaroWinklerLevel("last_name", 0.88)),
        cll.Or(cll.ExactMatchLevel("uprn"), cll.ExactMatchLevel("postcode"), cll.ExactMatchLevel("address")),
    ]
    if with_national_id:  # unless the identity numbers agree
        conditions.append(cll.Or(cll.NullLevel("national_id"),
                                 cll.Not(cll.DamerauLevenshteinLevel("national_id", 1))))
    return cll.And(*conditions).configure(label_for_charts="Different first names in one household (two people)",
                m_probability=HOUSEHOLD_M, u_probability=HOUSEHOLD_U, fix_m_probability=True,
                fix_u_probability=True)


class _SwappedLevel(ComparisonLevelCreator):
    """First and last name the wrong way round in one record, either way round (so the pair's order does not
    matter). ``both``: this name is the other record's other name, and the other name is the same or close
    (Kraig Morgan and "Morgan Craig"). Otherwise only the one name is in the other's field; Splink's
    ``ColumnsReversedLevel`` checks this much, one way round, and put "Hassan Hassan" and "Elif Hassan" at
    the swapped level, ahead of the household level."""

    def __init__(self, this: str, other: str, *, both: bool = True) -> None:
        self.this, self.other, self.both = this, other, both

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        jw = sql_dialect.jaro_winkler_function_name
        this, other = ColumnExpression(self.this, sql_dialect), ColumnExpression(self.other, sql_dialect)
        sides = {"l": (this.name_l, other.name_l), "r": (this.name_r, other.name_r)}
        if not self.both:
            return f"{sides['l'][0]} = {sides['r'][1]} OR {sides['r'][0]} = {sides['l'][1]}"
        return " OR ".join(
            f"({sides[a][0]} = {sides[b][1]} AND ({sides[b][0]} IS NULL OR {sides[a][1]} IS NULL OR "
            f"{jw}({sides[b][0]}, {sides[a][1]}) >= 0.8))"
            for a, b in (("l", "r"), ("r", "l")))

    def create_label_for_charts(self) -> str:
        return "First and last swapped" if self.both else "One name written in the other field"


def _name_comparisons(with_national_id: bool = True) -> list[CustomComparison]:
    first = CustomComparison(
        [
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("first_key").configure(label_for_charts="Same name group (nickname or spelling)"),
            cll.JaroWinklerLevel("first_name", 0.92),
            cll.CustomLevel(
                "(length(first_name_l) >= 4 AND length(first_name_r) >= 4) AND "
                "damerau_levenshtein(first_name_l, first_name_r) <= 1",
                label_for_charts="One typing error", base_dialect_str="duckdb"),
            _SwappedLevel("first_name", "last_name"),
            cll.And(cll.ExactMatchLevel("first_mp"), cll.JaroWinklerLevel("first_name", 0.8)).configure(
                label_for_charts="Sounds the same and spelt alike"),
            cll.CustomLevel(
                "(length(first_name_l) >= 3 AND length(first_name_r) >= 3) AND "
                "(strpos(first_name_l, first_name_r) > 0 OR strpos(first_name_r, first_name_l) > 0)",
                label_for_charts="One name inside the other (short form or middle name)", base_dialect_str="duckdb"),
            _household_member_level(with_national_id),
            cll.JaroWinklerLevel("first_name", 0.8),
            cll.ElseLevel(),
        ],
        output_column_name="first_name",
        comparison_description="First name: exact, nickname/transliteration group, fuzzy, swapped",
    )
    last = CustomComparison(
        [
            cll.NullLevel("last_name"),
            cll.ExactMatchLevel("last_name", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("last_name", 0.92),
            cll.ExactMatchLevel("last_mp").configure(label_for_charts="Sounds the same (metaphone)"),
            _SwappedLevel("last_name", "first_name"),
            cll.CustomLevel(
                "(length(last_name_l) >= 3 AND length(last_name_r) >= 3) AND "
                "(strpos(last_name_l, last_name_r) > 0 OR strpos(last_name_r, last_name_l) > 0)",
                label_for_charts="One surname inside the other (one part of a double-barrelled name)",
                base_dialect_str="duckdb"),
            _SwappedLevel("last_name", "first_name", both=False),
            cll.JaroWinklerLevel("last_name", 0.8),
            cll.ElseLevel(),
        ],
        output_column_name="last_name",
        comparison_description="Last name: exact, fuzzy, phonetic",
    )
    return [first, last]


def _dob_comparison() -> CustomComparison:
    swapped = ("substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
               "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)")
    return CustomComparison(
        [
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(swapped, label_for_charts="Day and month swapped"),
            cll.DamerauLevenshteinLevel("dob", 1).configure(label_for_charts="One digit different"),
            cll.CustomLevel("substr(dob_l, 1, 7) = substr(dob_r, 1, 7)", label_for_charts="Same year and month"),
            cll.CustomLevel("substr(dob_l, 6, 5) = substr(dob_r, 6, 5)", label_for_charts="Same day and month"),
            cll.ElseLevel(),
        ],
        output_column_name="dob",
        comparison_description="Date of birth: exact, swapped day/month, typo, partial",
    )


def _address_comparison() -> CustomComparison:
    return CustomComparison(
        [
            cll.And(cll.NullLevel("uprn"), cll.NullLevel("postcode"), cll.NullLevel("address")),
            cll.ExactMatchLevel("uprn").configure(label_for_charts="Same UPRN"),
            cll.And(cll.ExactMatchLevel("postcode"), cll.JaroWinklerLevel("address", 0.9)).configure(
                label_for_charts="Same postcode and address line"),
            cll.ExactMatchLevel("postcode", term_frequency_adjustments=True).configure(
                label_for_charts="Same postcode"),
            cll.JaroWinklerLevel("address", 0.9).configure(label_for_charts="Same address line"),
            cll.LevenshteinLevel("postcode", 1).configure(label_for_charts="Postcode one character different"),
            cll.CustomLevel(
                "substr(postcode_l, 1, length(postcode_l) - 2) = substr(postcode_r, 1, length(postcode_r) - 2)",
                label_for_charts="Same postcode sector",
            ),
            cll.ElseLevel(),
        ],
        output_column_name="address",
        comparison_description="Address: UPRN, postcode with address line, postcode, sector",
    )


def _first_names_compatible() -> Any:
    """First names that could be one person's: either missing, the same name group, or close spellings."""
    return cll.Or(cll.NullLevel("first_name"), cll.ExactMatchLevel("first_key"),
                  cll.JaroWinklerLevel("first_name", 0.8))


def _contact_comparison(col: str, label: str) -> CustomComparison:
    """Phone and email are shared within households: the same one counts only when the first names agree."""
    return CustomComparison(
        [
            cll.NullLevel(col),
            cll.And(cll.ExactMatchLevel(col), _first_names_compatible()).configure(
                label_for_charts=f"Same {label.lower()} and first names agree"),
            cll.ExactMatchLevel(col).configure(label_for_charts=f"Same {label.lower()}, different first names "
                                                                 "(shared in a household)"),
            cll.ElseLevel(),
        ],
        output_column_name=col, comparison_description=label,
    )


def _id_comparison(col: str, label: str, fuzzy: bool = False) -> CustomComparison:
    levels: list[Any] = [cll.NullLevel(col), cll.ExactMatchLevel(col)]
    if fuzzy:
        levels.append(cll.DamerauLevenshteinLevel(col, 1).configure(label_for_charts="One character different"))
    levels.append(cll.ElseLevel())
    return CustomComparison(levels, output_column_name=col, comparison_description=label)


BLOCKING_RULES = (
    block_on("national_id"),
    block_on("first_key", "dob"),
    block_on("last_mp", "dob"),
    block_on("postcode", "last_mp"),
    block_on("postcode", "first_key"),
    block_on("first_key", "last_mp", "dob_year"),
    block_on("email"),
    block_on("phone"),
    block_on("postcode", "dob"),
    block_on("postcode", "first_mp"),
    block_on("uprn"),
    # first and last name written the wrong way round in one of the records, at one address
    CustomRule("l.postcode = r.postcode AND l.first_name = r.last_name AND l.last_name = r.first_name"),
)


OPTIONAL_COMPARISONS = ("national_id", "phone", "email", "sex")


def settings(*, retain_explanations: bool = True, present: Iterable[str] = OPTIONAL_COMPARISONS) -> SettingsCreator:
    """The model. Optional comparisons are included only for columns ``present`` in the data."""
    present = tuple(present)
    optional = {
        "national_id": _id_comparison("national_id", "National insurance (or other national identity) number",
                                      fuzzy=True),
        "phone": _contact_comparison("phone", "Telephone number"),
        "email": _contact_comparison("email", "Email address"),
        "sex": _id_comparison("sex", "Sex as recorded"),
    }
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            *_name_comparisons("national_id" in set(present)),
            _dob_comparison(),
            _address_comparison(),
            *(optional[c] for c in OPTIONAL_COMPARISONS if c in set(present)),
        ],
        blocking_rules_to_generate_predictions=list(BLOCKING_RULES),
        retain_matching_columns=retain_explanations,
        retain_intermediate_calculation_columns=retain_explanations,
        additional_columns_to_retain=["source", "record_id"] if retain_explanations else [],
        max_iterations=20,
        em_convergence=0.001,
    )
