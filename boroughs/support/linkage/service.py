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

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from splink import Linker, block_on

from boroughs.support.linkage.constraints import contradicting_pairs
from boroughs.support.linkage.evidence import expected_errors
from boroughs.support.linkage.model import (
    DEFAULT_THRESHOLD,
    MODEL_VERSION,
    OPTIONAL_COMPARISONS,
    PAIRS_FLOOR,
    REVIEW_BAND,
    TRAIN_SAMPLE_RECORDS,
    configured_review_band,
    settings,
)
from boroughs.support.linkage.prepare import prepare

log = logging.getLogger(__name__)



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
    one_per_person: Collection[str] = (),
    adults_only: Collection[str] = (),
) -> LinkResult:
    """Link canonical records (columns of ``schemas.CANONICAL_COLUMNS``). Decisions name records by
    ``(source, record_id)``. A given ``model`` is used as it is; otherwise one is trained on ``frame``.
    ``one_per_person`` names sources that list each person once (an electoral register): two of their
    entries are never put in one resident. ``adults_only`` names sources that hold adults only (an electoral
    register, council tax): their records are never put with a record whose date of birth is a child's."""
    timings: dict[str, float] = {}

    def step(name: str) -> None:
        if on_step:
            on_step(name)

    t0 = time.perf_counter()
    step("Preparing records")
    prepared = prepare(frame)
    for declared, what in ((one_per_person, "list each person once"), (adults_only, "hold adults only")):
        unknown = sorted(set(declared) - set(prepared["source"]))
        if unknown:
            raise ValueError(f"no source named {', '.join(unknown)} in the input, so it cannot {what}; "
                             f"the input's sources are {', '.join(sorted(set(prepared['source'])))}")
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
    labels, contradictions = cluster_records(prepared, pairs, threshold, accepted=acc, rejected=rej,
                                             one_per_person=one_per_person, adults_only=adults_only)
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
    evaluation["one_per_person"] = sorted(one_per_person)
    evaluation["adults_only"] = sorted(adults_only)
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
                    one_per_person: Collection[str] = (), adults_only: Collection[str] = (),
                    as_of: dt.date | None = None) -> tuple[np.ndarray, int]:
    """Cluster labels honouring review decisions *and* keeping contradicting records apart
    (``linkage_constraints``): clusters holding such a pair are rebuilt strongest link first, refusing every
    link that would join them. Returns the labels and how many contradicting pairs were kept apart. Ages for
    ``adults_only`` are taken on ``as_of`` (today unless given)."""
    labels = cluster(len(prepared), pairs, threshold, accepted=accepted, rejected=rejected)
    strong = pairs[pairs["match_probability"] >= threshold] if len(pairs) else pairs
    direct = (strong["unique_id_l"].to_numpy(dtype=np.int64), strong["unique_id_r"].to_numpy(dtype=np.int64)) \
        if len(strong) else None
    contradictions = contradicting_pairs(prepared, labels, accepted, direct=direct, one_per_person=one_per_person,
                                         adults_only=adults_only, as_of=as_of)
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
