"""Probabilistic record linkage with Splink 5: records in the canonical person schema → residents.

The pipeline, used by ``boroughs support link`` (files in, files out) and by ``boroughs support
link-council`` (the council's imported records in the database, residents out):

1. ``prepare``: standardise names (accents folded, nickname and transliteration groups, metaphone codes),
   dates of birth, postcodes, identifiers. Formats are *not* checked here: the link contract takes FEBRL's
   Australian data as it comes.
2. ``train``: a Fellegi–Sunter model (``MODEL_VERSION``) whose u probabilities come from random sampling
   and m probabilities from expectation maximisation, both on the records given (no labels needed).
3. ``predict``: score the pairs the blocking rules let through.
4. ``cluster_records``: connected components over pairs at or above the threshold, *after* clerical-review
   decisions: an accepted pair is always joined, a rejected pair never ends up in one cluster (the
   cluster is rebuilt strongest edge first, refusing any edge that would join a rejected pair); records
   that contradict each other (``linkage_constraints``) are kept apart the same way.

Issue 14 added the household-member level of the first-name comparison (a set weight), contact
comparisons that discount a phone or email shared in a household, generational suffixes, term-frequency
adjustment on postcodes, a prior re-estimated from the scores, training on a sample of large inputs, and
evidence that adds up (``explain`` reads Splink's retained weights; see ``linkage_evidence``).

DuckDB is the default backend; ``backend="spark"`` runs the same model on Spark (see ``spark.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jellyfish
import numpy as np
import pandas as pd
import splink.comparison_level_library as cll
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from splink import Linker, SettingsCreator, block_on
from splink.comparison_library import CustomComparison

from boroughs.core.errors import DataError
from boroughs.support.linkage.constraints import contradicting_pairs
from boroughs.support.linkage.evidence import expected_errors
from boroughs.support.records.names import first_name_key, fold
from boroughs.support.records.schemas import CANONICAL_COLUMNS, CANONICAL_OPTIONAL

MODEL_VERSION = "uk-person-1.0"
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


# Read when present (an extension of the contract's schema): sex as recorded, f/m/other.
EXTRA_OPTIONAL = ("sex",)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------------
# reading and preparing


def read_canonical(paths: Sequence[Path]) -> pd.DataFrame:
    """Read canonical-schema CSV files into one frame; errors name the file, row and field."""
    frames = []
    for path in paths:
        if not path.is_file():
            raise DataError(path, "file not found", hint="Check the --input path")
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except UnicodeDecodeError as exc:
            from boroughs.support.records.ingest import read_table

            read_table(path)  # raises naming the row and field that are not UTF-8
            raise DataError(path, f"is not UTF-8 text (byte {exc.start})",
                            hint="Save the file as UTF-8 CSV") from None
        except pd.errors.EmptyDataError:
            raise DataError(path, "the file is empty", hint="Export the records again with a header row") from None
        frame.columns = [c.strip().lower() for c in frame.columns]
        if "source" not in frame.columns:
            frame["source"] = path.stem  # one source per file when the column is absent
        missing = [c for c in CANONICAL_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(path, f"missing column(s) {', '.join(missing)}", column=missing[0],
                            hint=f"The canonical person schema needs: {', '.join(CANONICAL_COLUMNS)}")
        if frame.empty:
            raise DataError(path, "the file has a header but no records")
        empty_id = frame["record_id"].str.strip() == ""
        if empty_id.any():
            raise DataError(path, "record_id is empty", column="record_id",
                            rows=[int(i) + 1 for i in frame.index[empty_id][:20]])
        dup = frame.duplicated(["source", "record_id"], keep="first")
        if dup.any():
            raise DataError(path, f"duplicated record id {frame.loc[dup, 'record_id'].iloc[0]!r}",
                            column="record_id", rows=[int(i) + 1 for i in frame.index[dup][:20]],
                            hint="Each (source, record_id) must be unique")
        for col in (*CANONICAL_OPTIONAL, *EXTRA_OPTIONAL):
            if col not in frame.columns:
                frame[col] = ""
        frames.append(frame[[*CANONICAL_COLUMNS, *CANONICAL_OPTIONAL, *EXTRA_OPTIONAL]])
    combined = pd.concat(frames, ignore_index=True)
    dup = combined.duplicated(["source", "record_id"], keep="first")
    if dup.any():
        first = combined.loc[dup].iloc[0]
        raise DataError(", ".join(str(p) for p in paths),
                        f"record {first['source']}/{first['record_id']} appears in more than one file",
                        column="record_id")
    return combined


def _map_unique(series: pd.Series, fn: Callable[[str], Any]) -> pd.Series:
    """Apply ``fn`` once per distinct value (names repeat a lot)."""
    uniques = series.dropna().unique()
    mapping = {u: fn(u) for u in uniques}
    return series.map(mapping)


def _blank_to_none(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    return s.mask(s == "", None)


def _metaphone(s: str) -> str | None:
    return jellyfish.metaphone(s) or None if s else None


def _norm_dob(s: str) -> str | None:
    s = s.strip()
    m = re.match(r"^(\d{4})-?(\d{2})-?(\d{2})", s)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", s)
    if m:
        return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    return None


def _norm_postcode(s: str) -> str | None:
    pc = re.sub(r"[^A-Z0-9]", "", s.upper())
    if not pc:
        return None
    if re.match(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$", pc):
        return pc[:-3] + " " + pc[-3:]
    return pc


_SUFFIXES = {"jr": "junior", "jnr": "junior", "junior": "junior", "snr": "senior", "sr": "senior",
             "senior": "senior", "ii": "ii", "iii": "iii", "iv": "iv"}


def _split_suffix(s: str) -> tuple[str | None, str | None]:
    """``("David", "junior")`` from ``"David Jr."``: a generational suffix is evidence, not part of the name."""
    words = s.replace(",", " ").replace(".", " ").split()
    kept = [w for w in words if w.lower() not in _SUFFIXES]
    found = [_SUFFIXES[w.lower()] for w in words if w.lower() in _SUFFIXES]
    if not kept:  # a name that *is* a suffix word is a name
        return s, None
    return " ".join(kept), (found[0] if found else None)


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Standardise canonical records for Splink (one row per record, integer ``unique_id``)."""
    out = pd.DataFrame({"unique_id": np.arange(len(frame), dtype=np.int64)})
    out["source"] = frame["source"].astype(str).to_numpy()
    out["record_id"] = frame["record_id"].astype(str).to_numpy()
    first = _blank_to_none(frame["first_name"]).reset_index(drop=True)
    last = _blank_to_none(frame["last_name"]).reset_index(drop=True)
    # generational suffixes ("Jr", "Snr", "III") are taken out of the names into their own column
    first_split = _map_unique(first, _split_suffix)
    last_split = _map_unique(last, _split_suffix)
    first = first_split.map(lambda t: t[0] if isinstance(t, tuple) else None)
    last = last_split.map(lambda t: t[0] if isinstance(t, tuple) else None)
    out["suffix"] = [
        (a[1] if isinstance(a, tuple) and a[1] else None) or (b[1] if isinstance(b, tuple) and b[1] else None)
        for a, b in zip(first_split, last_split, strict=True)
    ]
    out["first_name"] = _map_unique(first, lambda s: fold(s) or None)
    out["last_name"] = _map_unique(last, lambda s: fold(s) or None)
    out["first_key"] = _map_unique(first, first_name_key)
    out["first_mp"] = _map_unique(out["first_name"], _metaphone)
    out["last_mp"] = _map_unique(out["last_name"], _metaphone)
    dob = _map_unique(_blank_to_none(frame["dob"]).reset_index(drop=True), _norm_dob)
    out["dob"] = dob
    out["dob_year"] = dob.str.slice(0, 4)
    pc = _map_unique(_blank_to_none(frame["postcode"]).reset_index(drop=True), _norm_postcode)
    out["postcode"] = pc
    addr = _blank_to_none(frame["address_line_1"]).reset_index(drop=True)
    out["address"] = _map_unique(addr, lambda s: re.sub(r"[^a-z0-9 ]", "", s.lower()).strip() or None)
    for col, fn in (
        ("uprn", lambda s: re.sub(r"\D", "", s).lstrip("0") or None),
        ("national_id", lambda s: re.sub(r"[^A-Z0-9]", "", s.upper()) or None),
        ("phone", lambda s: (re.sub(r"\D", "", s)[-10:] or None)),
        ("email", lambda s: s.strip().lower() or None),
    ):
        series = _blank_to_none(frame[col]).reset_index(drop=True) if col in frame else pd.Series([None] * len(frame))
        out[col] = _map_unique(series, fn)
    sex = _blank_to_none(frame["sex"]).reset_index(drop=True) if "sex" in frame else pd.Series([None] * len(frame))
    out["sex"] = _map_unique(sex, lambda s: {"f": "f", "m": "m"}.get(s.strip().lower()[:1]))
    for col in out.columns:
        if col != "unique_id":
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


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


def _name_comparisons(with_national_id: bool = True) -> list[CustomComparison]:
    first = CustomComparison(
        [
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("first_key").configure(label_for_charts="Same name group (nickname or spelling)"),
            cll.JaroWinklerLevel("first_name", 0.92),
            cll.ColumnsReversedLevel("first_name", "last_name").configure(label_for_charts="First and last swapped"),
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
            cll.ColumnsReversedLevel("last_name", "first_name").configure(label_for_charts="First and last swapped"),
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
    block_on("uprn", "first_key"),
    block_on("postcode", "last_mp"),
    block_on("postcode", "first_key"),
    block_on("first_key", "last_mp", "dob_year"),
    block_on("email"),
    block_on("phone"),
    block_on("postcode", "dob"),
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


# --------------------------------------------------------------------------------------------------------
# running


@dataclass
class LinkResult:
    records: pd.DataFrame  # unique_id, source, record_id (+ prepared fields)
    pairs: pd.DataFrame  # unique_id_l, unique_id_r, match_probability, match_weight (+ gamma_ columns)
    clusters: pd.DataFrame  # unique_id, source, record_id, resident_id
    model: dict[str, Any]
    evaluation: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def _db_api(backend: str) -> Any:
    if backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if backend == "spark":
        from boroughs.support.linkage.spark import spark_api

        return spark_api()
    raise ValueError(f"unknown backend {backend!r}: use duckdb or spark")


def _register(db_api: Any, backend: str, prepared: pd.DataFrame) -> Any:
    if backend == "spark":
        spark = db_api.spark
        return db_api.register(spark.createDataFrame(prepared), dataset_display_name="records")
    return db_api.register(prepared, dataset_display_name="records")


def train(linker: Linker, n_records: int, seed: int, *, num_chunks: int = 10) -> list[dict[str, Any]]:
    """u by random sampling, m by EM on two blocking passes; returns a log of the training steps."""
    steps: list[dict[str, Any]] = []
    t = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("national_id", "dob"), block_on("first_name", "last_name", "dob", "postcode"),
         block_on("first_key", "last_mp", "dob")], recall=0.7
    )
    steps.append({"step": "probability_two_random_records_match", "seconds": round(time.perf_counter() - t, 2)})
    t = time.perf_counter()
    max_pairs = float(min(5e6, max(1e5, n_records * 20)))
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed, num_chunks=num_chunks)
    steps.append({"step": "u_random_sampling", "max_pairs": max_pairs, "seconds": round(time.perf_counter() - t, 2)})
    em_pairs = float(min(2e6, max(2e5, n_records * 2)))
    # Blocking on date of birth estimates the name and address levels; blocking on the first-name group and
    # the surname sound estimates the date of birth and identifiers. Neither pass is dominated by members of
    # one household (who share a surname and an address but not a first name), which a postcode + surname
    # pass is, teaching the model that a different first name is no evidence against a match.
    for rule in (block_on("dob"), block_on("first_key", "last_mp")):
        t = time.perf_counter()
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=em_pairs
        )
        steps.append({"step": "em", "blocking_rule": rule.get_blocking_rule("duckdb").blocking_rule_sql,
                      "seconds": round(time.perf_counter() - t, 2)})
    return steps


def link_records(
    frame: pd.DataFrame,
    *,
    backend: str = "duckdb",
    threshold: float = DEFAULT_THRESHOLD,
    pairs_floor: float = PAIRS_FLOOR,
    seed: int = 42,
    model: dict[str, Any] | Path | None = None,
    accepted: Iterable[tuple[tuple[str, str], tuple[str, str]]] = (),
    rejected: Iterable[tuple[tuple[str, str], tuple[str, str]]] = (),
    retain_explanations: bool = True,
    on_step: Callable[[str], None] | None = None,
) -> LinkResult:
    """Link canonical records (columns of ``schemas.CANONICAL_COLUMNS``). Decisions name records by
    ``(source, record_id)``. A given ``model`` is used as it is; otherwise one is trained on ``frame``."""
    timings: dict[str, float] = {}

    def step(name: str) -> None:
        if on_step:
            on_step(name)

    t0 = time.perf_counter()
    step("Preparing records")
    prepared = prepare(frame)
    timings["prepare"] = time.perf_counter() - t0
    db_api = _db_api(backend)
    table = _register(db_api, backend, prepared)
    training_log: list[dict[str, Any]] = []
    if model is not None:
        spec = json.loads(Path(model).read_text()) if isinstance(model, Path) else model
        spec = {k: v for k, v in spec.items() if k != "boroughs_model_version"}
        dialect = spec.get("sql_dialect")
        if dialect and dialect != ("spark" if backend == "spark" else "duckdb"):
            raise ValueError(f"the saved model was trained with the {dialect} backend: use --backend {dialect}, "
                             "or train a new model on this backend (leave out --model)")
        spec["retain_matching_columns"] = retain_explanations
        spec["retain_intermediate_calculation_columns"] = retain_explanations
        spec["additional_columns_to_retain"] = ["source", "record_id"] if retain_explanations else []
        linker = Linker(table, spec, log_level=logging.ERROR)
    else:
        present = [c for c in OPTIONAL_COMPARISONS if prepared[c].notna().mean() >= 0.01]
        spec_settings = settings(retain_explanations=retain_explanations, present=present)
        t = time.perf_counter()
        step("Training the model (u by sampling, m by EM)")
        # Large inputs train on a seeded sample of records (the parameters are proportions, which a sample
        # estimates as well; the prior is re-estimated on all the records' scores below), then score all.
        sampled = len(prepared) > TRAIN_SAMPLE_RECORDS
        if sampled:
            sample = prepared.sample(n=TRAIN_SAMPLE_RECORDS, random_state=seed).reset_index(drop=True)
            sample_api = _db_api(backend)
            trainer = Linker(_register(sample_api, backend, sample), spec_settings, log_level=logging.ERROR)
        else:
            trainer = Linker(table, spec_settings, log_level=logging.ERROR)
        # Spark pays per job: one u-sampling chunk instead of ten
        training_log = train(trainer, TRAIN_SAMPLE_RECORDS if sampled else len(prepared), seed,
                             num_chunks=1 if backend == "spark" else 10)
        if sampled:
            trained = trainer.misc.save_model_to_json()
            # matches per record stay the same; pairs grow with the square of the records
            trained["probability_two_random_records_match"] = float(
                trained["probability_two_random_records_match"]) * (TRAIN_SAMPLE_RECORDS - 1) / (len(prepared) - 1)
            training_log.append({"step": "trained_on_sample", "records": TRAIN_SAMPLE_RECORDS})
            linker = Linker(table, trained, log_level=logging.ERROR)
        else:
            linker = trainer
        timings["train"] = time.perf_counter() - t
    t = time.perf_counter()
    step("Scoring candidate pairs")
    prior = float(linker._settings_obj._probability_two_random_records_match)
    if model is None:
        # score with some room below the floor, then re-estimate the prior from the scores themselves
        floor_weight = _logit2(pairs_floor) - PRIOR_ROOM_BITS
        predictions = linker.inference.predict(threshold_match_weight=floor_weight, warning_mode="never")
        pairs = predictions.as_pandas_dataframe()
        new_prior = reestimate_prior(pairs, len(prepared), prior)
        pairs = with_prior(pairs, prior, new_prior)
        pairs = pairs[pairs["match_probability"] >= pairs_floor].reset_index(drop=True)
        training_log.append({"step": "prior_from_scores", "before": prior, "after": new_prior})
        prior = new_prior
    else:
        predictions = linker.inference.predict(threshold_match_probability=pairs_floor, warning_mode="never")
        pairs = predictions.as_pandas_dataframe()
    timings["predict"] = time.perf_counter() - t
    t = time.perf_counter()
    step("Clustering into residents")
    key_to_uid = {(s, r): int(u) for u, s, r in zip(prepared["unique_id"], prepared["source"],
                                                     prepared["record_id"], strict=True)}
    acc = [(key_to_uid[a], key_to_uid[b]) for a, b in accepted if a in key_to_uid and b in key_to_uid]
    rej = [(key_to_uid[a], key_to_uid[b]) for a, b in rejected if a in key_to_uid and b in key_to_uid]
    labels, contradictions = cluster_records(prepared, pairs, threshold, accepted=acc, rejected=rej)
    timings["cluster"] = time.perf_counter() - t
    clusters = pd.DataFrame({
        "unique_id": prepared["unique_id"], "source": prepared["source"], "record_id": prepared["record_id"],
        "cluster": labels,
    })
    clusters["resident_id"] = _resident_ids(clusters)
    model_dict = linker.misc.save_model_to_json()
    model_dict["probability_two_random_records_match"] = prior
    model_dict["boroughs_model_version"] = MODEL_VERSION
    evaluation = evaluate_unlabelled(prepared, pairs, clusters, threshold)
    evaluation["contradicting_pairs_kept_apart"] = contradictions
    evaluation["expected"] = expected_errors(pairs["match_probability"].to_numpy(dtype=float) if len(pairs)
                                             else np.zeros(0), threshold, configured_review_band())
    evaluation["expected"]["note"] = ("the model's own estimate from the scored pairs (probability at least "
                                      f"{pairs_floor}); measured error rates are in docs/support/linkage.md")
    evaluation["training"] = training_log
    evaluation["timings_seconds"] = {k: round(v, 2) for k, v in timings.items()}
    evaluation["backend"] = backend
    return LinkResult(prepared, pairs, clusters.drop(columns=["cluster"]), model_dict, evaluation, timings)


PRIOR_ROOM_BITS = 6.0  # pairs are scored down to 2^6 times below the floor's odds, for re-estimating the prior


def _logit2(p: float) -> float:
    return float(np.log2(p / (1 - p)))


def reestimate_prior(pairs: pd.DataFrame, n_records: int, prior: float, *, iterations: int = 50) -> float:
    """The probability that two random records match, as the expected number of matching pairs (the sum of
    match probabilities of the scored pairs) over all pairs, iterated to a fixed point. Splink's deterministic
    estimate assumes a recall for its rules that sources without dates of birth do not reach."""
    if not len(pairs) or n_records < 2:
        return prior
    weights = pairs["match_weight"].to_numpy(dtype=float) - _logit2(prior)  # evidence without the prior
    total = n_records * (n_records - 1) / 2
    lam = prior
    for _ in range(iterations):
        expected = float((1.0 / (1.0 + np.exp2(-(weights + _logit2(lam))))).sum())
        new = min(max(expected / total, 1e-12), 0.5)
        if abs(new - lam) <= 1e-3 * lam:
            lam = new
            break
        lam = new
    return lam


def with_prior(pairs: pd.DataFrame, old: float, new: float) -> pd.DataFrame:
    """Pairs re-scored under another prior (the Bayes factors do not change)."""
    out = pairs.copy()
    out["match_weight"] = out["match_weight"].astype(float) + (_logit2(new) - _logit2(old))
    out["match_probability"] = 1.0 / (1.0 + np.exp2(-out["match_weight"].to_numpy(dtype=float)))
    return out


def _resident_ids(clusters: pd.DataFrame) -> pd.Series:
    """Stable, readable ids: R + the cluster's rank by its first record (order of the input)."""
    first = clusters.groupby("cluster")["unique_id"].transform("min")
    rank = first.rank(method="dense").astype(np.int64)
    width = max(6, len(str(int(rank.max())))) if len(rank) else 6
    return "R" + rank.astype(str).str.zfill(width)


def cluster_records(prepared: pd.DataFrame, pairs: pd.DataFrame, threshold: float, *,
                    accepted: Sequence[tuple[int, int]] = (), rejected: Sequence[tuple[int, int]] = (),
                    ) -> tuple[np.ndarray, int]:
    """Cluster labels honouring review decisions *and* keeping contradicting records apart
    (``linkage_constraints``): clusters holding such a pair are rebuilt strongest link first, refusing every
    link that would join them. Returns the labels and how many contradicting pairs were kept apart."""
    labels = cluster(len(prepared), pairs, threshold, accepted=accepted, rejected=rejected)
    strong = pairs[pairs["match_probability"] >= threshold] if len(pairs) else pairs
    direct = (strong["unique_id_l"].to_numpy(dtype=np.int64), strong["unique_id_r"].to_numpy(dtype=np.int64)) \
        if len(strong) else None
    contradictions = contradicting_pairs(prepared, labels, accepted, direct=direct)
    if contradictions:
        labels = cluster(len(prepared), pairs, threshold, accepted=accepted,
                         rejected=[*rejected, *contradictions])
    return labels, len(contradictions)


def cluster(
    n: int,
    pairs: pd.DataFrame,
    threshold: float,
    *,
    accepted: Sequence[tuple[int, int]] = (),
    rejected: Sequence[tuple[int, int]] = (),
) -> np.ndarray:
    """Cluster labels for ``n`` records from scored pairs, honouring review decisions.

    Edges are the pairs at or above ``threshold`` plus every accepted pair, minus every rejected pair.
    Components that still contain a rejected pair are rebuilt strongest edge first (accepted edges
    count as certain), refusing any edge that would put a rejected pair in one cluster.
    """
    reject_set = {(min(a, b), max(a, b)) for a, b in rejected}
    if len(pairs):
        keep = pairs["match_probability"].to_numpy() >= threshold
        left = pairs["unique_id_l"].to_numpy(dtype=np.int64)[keep]
        right = pairs["unique_id_r"].to_numpy(dtype=np.int64)[keep]
        prob = pairs["match_probability"].to_numpy(dtype=float)[keep]
    else:
        left = right = np.zeros(0, dtype=np.int64)
        prob = np.zeros(0)
    if accepted:
        acc = np.array(accepted, dtype=np.int64)
        left = np.concatenate([left, acc[:, 0]])
        right = np.concatenate([right, acc[:, 1]])
        prob = np.concatenate([prob, np.full(len(acc), 2.0)])  # above any probability: always kept
    if reject_set:
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        drop = np.array([(int(a), int(b)) in reject_set for a, b in zip(lo, hi, strict=True)], dtype=bool)
        left, right, prob = left[~drop], right[~drop], prob[~drop]
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)
    if not reject_set:
        return labels
    conflicted = {int(labels[a]) for a, b in reject_set if labels[a] == labels[b]}
    if not conflicted:
        return labels
    next_label = int(labels.max()) + 1
    in_conflict = np.isin(labels[left], list(conflicted))
    order = np.argsort(-prob[in_conflict], kind="stable")
    e_left, e_right = left[in_conflict][order], right[in_conflict][order]
    members = np.flatnonzero(np.isin(labels, list(conflicted)))
    parent = {int(m): int(m) for m in members}
    groups: dict[int, set[int]] = {int(m): {int(m)} for m in members}
    cannot: dict[int, set[int]] = {}
    for a, b in reject_set:
        cannot.setdefault(a, set()).add(b)
        cannot.setdefault(b, set()).add(a)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(e_left.tolist(), e_right.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        small, big = (groups[ra], groups[rb]) if len(groups[ra]) < len(groups[rb]) else (groups[rb], groups[ra])
        if any(cannot.get(x, set()) & big for x in small):
            continue
        parent[rb] = ra
        groups[ra] = groups[ra] | groups.pop(rb)
    for root, group in groups.items():
        for m in group:
            labels[m] = next_label
        next_label += 1
        assert root >= 0
    return labels


def evaluate_unlabelled(prepared: pd.DataFrame, pairs: pd.DataFrame, clusters: pd.DataFrame,
                        threshold: float) -> dict[str, Any]:
    """What can be said without labels: pair counts by band, cluster sizes, records linked across sources."""
    prob = pairs["match_probability"] if len(pairs) else pd.Series(dtype=float)
    sizes = clusters.groupby("cluster").size()
    multi_source = clusters.groupby("cluster")["source"].nunique()
    return {
        "records": len(prepared),
        "sources": sorted(prepared["source"].unique().tolist()),
        "threshold": threshold,
        "review_band": list(REVIEW_BAND),
        "pairs_scored_above_floor": len(pairs),
        "pairs_at_or_above_threshold": int((prob >= threshold).sum()),
        "pairs_in_review_band": int(((prob >= REVIEW_BAND[0]) & (prob < REVIEW_BAND[1])).sum()),
        "residents": len(sizes),
        "records_per_resident_mean": round(float(sizes.mean()), 3) if len(sizes) else 0,
        "largest_cluster": int(sizes.max()) if len(sizes) else 0,
        "cluster_size_counts": {str(k): int(v) for k, v in sizes.value_counts().sort_index().head(20).items()},
        "residents_in_more_than_one_source": int((multi_source > 1).sum()),
    }


def pairwise_scores(clusters: pd.DataFrame, truth: pd.Series) -> dict[str, float]:
    """Pairwise precision, recall and F1 of predicted clusters against true entity ids (same index)."""
    pred = clusters["resident_id"].to_numpy()
    true = truth.to_numpy()
    frame = pd.DataFrame({"p": pred, "t": true})

    def n_pairs(counts: pd.Series) -> int:
        c = counts.to_numpy(dtype=np.int64)
        return int((c * (c - 1) // 2).sum())

    tp = n_pairs(frame.groupby(["p", "t"]).size())
    pred_pairs = n_pairs(frame.groupby("p").size())
    true_pairs = n_pairs(frame.groupby("t").size())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": true_pairs,
            "predicted_pairs": pred_pairs, "true_positive_pairs": tp}


# --------------------------------------------------------------------------------------------------------
# explanations


def explain(model: dict[str, Any], pair: pd.Series | dict[str, Any]) -> list[dict[str, Any]]:
    """Per comparison: the level the pair fell in and its weight of evidence (bits), then the prior.

    The weights are Splink's own, as it scored the pair: the retained ``mw_<comparison>`` and
    ``mw_tf_adj_<comparison>`` columns (term-frequency adjustments included), or the same numbers stored
    with the pair (``linkage_evidence.WEIGHTS``). The last row is the prior (``linkage_evidence.PRIOR``), so
    the rows sum to the pair's match weight. Pairs stored before weights were kept fall back to the level's
    m and u probabilities (without term-frequency adjustments) and have no prior row.
    """
    import math

    from boroughs.support.linkage import evidence as ev

    stored = pair.get(ev.WEIGHTS)
    names = [c["output_column_name"] for c in model["comparisons"]]
    if isinstance(stored, dict):
        weights: dict[str, float] | None = {k: float(v) for k, v in stored.items()}
    elif any(f"mw_{n}" in pair for n in names):
        weights = ev.comparison_weights(pair, names)
    else:
        weights = None
    rows = []
    for comp in model["comparisons"]:
        name = comp["output_column_name"]
        gamma = pair.get(f"gamma_{name}")
        if gamma is None or (isinstance(gamma, float) and math.isnan(gamma)):
            continue
        gamma = int(gamma)
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        # levels are listed most similar first; gamma counts down to 0 (else); -1 is null
        label, weight = "missing on one side", 0.0
        if gamma >= 0:
            idx = len(levels) - 1 - gamma
            lv = levels[idx] if 0 <= idx < len(levels) else None
            if lv is not None:
                label = lv.get("label_for_charts") or lv.get("sql_condition", "")
                m, u = lv.get("m_probability"), lv.get("u_probability")
                weight = math.log2(m / u) if m and u else 0.0
        if weights is not None:
            weight = weights.get(name, 0.0)
        rows.append({"comparison": name, "description": comp.get("comparison_description", name),
                     "level": label, "match_weight": weight,
                     "left": pair.get(f"{name}_l"), "right": pair.get(f"{name}_r")})
    if weights is not None:
        prior = pair.get(ev.PRIOR)
        prior_w = float(prior) if prior is not None else ev.prior_weight(
            float(model["probability_two_random_records_match"]))
        rows.append({"comparison": ev.PRIOR, "description": "Before comparing: how likely two records picked "
                     "at random are one person", "level": "Starting point (prior)", "match_weight": prior_w,
                     "left": None, "right": None})
    return rows


def data_checksum(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def write_outputs(result: LinkResult, out: Path, *, threshold: float) -> dict[str, Path]:
    """``clusters.csv``, ``pairs.csv``, ``model.json`` and ``evaluation.json`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "clusters": out / "clusters.csv", "pairs": out / "pairs.csv",
        "model": out / "model.json", "evaluation": out / "evaluation.json",
    }
    result.clusters[["source", "record_id", "resident_id"]].to_csv(paths["clusters"], index=False)
    recs = result.records[["unique_id", "source", "record_id"]].set_index("unique_id")
    pairs = result.pairs
    if len(pairs):
        left = recs.loc[pairs["unique_id_l"].to_numpy()].reset_index(drop=True)
        right = recs.loc[pairs["unique_id_r"].to_numpy()].reset_index(drop=True)
        pairs_out = pd.DataFrame({
            "source_l": left["source"], "record_id_l": left["record_id"],
            "source_r": right["source"], "record_id_r": right["record_id"],
            "match_probability": pairs["match_probability"].round(6).to_numpy(),
            "match_weight": pairs["match_weight"].round(3).to_numpy(),
        })
        pairs_out["linked"] = pairs_out["match_probability"] >= threshold
    else:
        pairs_out = pd.DataFrame(columns=["source_l", "record_id_l", "source_r", "record_id_r",
                                          "match_probability", "match_weight", "linked"])
    pairs_out.to_csv(paths["pairs"], index=False)
    paths["model"].write_text(json.dumps(result.model, indent=2, default=str))
    paths["evaluation"].write_text(json.dumps(result.evaluation, indent=2, default=str))
    return paths
