"""Linkage quality and speed on the two SYNTHETIC populations.

Measurements, each printed with the load average:

* ``quality``: the synthetic borough (``synth.py``) and the independent hard population (``synth_hard.py``,
  which shares no tables with the linker), each linked by the contract command's code path; pairwise
  precision and recall against the ground truth at several thresholds, the model's own expected precision
  at each, and which hard cases the errors fall in (targets at the default threshold: precision >= 0.995,
  recall >= 0.985).
* ``scale``: about 1,000,000 input records linked end to end (read, prepare, train, score, cluster, write);
  wall time, peak memory (peak resident set size of this process, which includes the synthesis of
  the input, plus its finished children) and records per second (targets: 90 s, 4 GB).

Run: ``python benchmarks/support_linkage.py quality`` / ``scale`` / ``all`` (default ``all``).
Options: ``--residents N`` for quality, ``--records N`` for scale, ``--backend spark``,
``--generator borough|hard|both`` for quality; ``--no-one-per-person`` links the hard population without
declaring its electoral register as listing each person once (``boroughs support link --one-per-person``)
or its sources of adults (``--adults-only``).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from boroughs.support.linkage.evidence import expected_errors
from boroughs.support.linkage.model import DEFAULT_THRESHOLD
from boroughs.support.linkage.prepare import read_canonical
from boroughs.support.linkage.service import cluster_records, link_records, pairwise_scores, write_outputs
from boroughs.support.synth.hard import synthesise_hard
from boroughs.support.synth.population import synthesise

THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)
# the hard population's sources of adults: the register, council tax's liable people, tenants, claimants, adult social care
ADULT_SOURCES = ("electoral", "council_tax", "housing", "benefits", "social_care")


def load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def peak_memory_bytes() -> int:
    """Peak resident memory of this process plus its finished children (e.g. a stopped Spark JVM)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return own + children


def quality(residents: int, seed: int, backend: str, generator: str = "both", one_per_person: bool = True) -> bool:
    ok = True
    for gen in (("borough", "hard") if generator == "both" else (generator,)):
        ok = _quality_one(gen, residents, seed, backend, one_per_person) and ok
    return ok


def _quality_one(generator: str, residents: int, seed: int, backend: str, one_per_person: bool) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        if generator == "hard":
            hard = synthesise_hard(residents, seed, d)
            made = f"{hard.residents:,} residents, {hard.records:,} records"
        else:
            res = synthesise(residents, seed, d, history=False)
            made = f"{res.residents:,} residents, {res.total_records:,} records"
        print(f"[{generator}] synthesised {made} in {time.perf_counter() - t:.1f} s")
        frame = read_canonical([d / "SYNTHETIC_persons.csv"])
        t = time.perf_counter()
        # the hard population's electoral register lists each person once, as a council would declare it
        # (``boroughs support link --one-per-person electoral``); the borough generator has no such source
        declared = ("electoral",) if generator == "hard" and one_per_person else ()
        # and its register, council tax, housing, benefits and social care hold adults only (``--adults-only``)
        adults = ADULT_SOURCES if generator == "hard" and one_per_person else ()
        result = link_records(frame, backend=backend, retain_explanations=False, one_per_person=declared,
                              adults_only=adults)
        seconds = time.perf_counter() - t
        truth = pd.read_csv(d / "SYNTHETIC_ground_truth.csv", dtype=str, keep_default_na=False)
    merged = result.clusters.merge(truth, on=["source", "record_id"], how="left", validate="one_to_one")
    s = pairwise_scores(merged, merged["person_id"])
    ok = s["precision"] >= 0.995 and s["recall"] >= 0.985
    print(f"quality [{generator}]: {residents:,} residents, {len(frame):,} records, default threshold "
          f"{DEFAULT_THRESHOLD}, backend {backend}; one entry per person: {', '.join(declared) or 'no source'}; "
          f"adults only: {', '.join(adults) or 'no source'}; "
          f"{load()}")
    print(f"  pairwise precision {s['precision']:.4f} (target >= 0.995)")
    print(f"  pairwise recall    {s['recall']:.4f} (target >= 0.985)")
    print(f"  F1 {s['f1']:.4f}; true pairs {s['true_pairs']:,}; predicted pairs {s['predicted_pairs']:,}")
    print(f"  residents found {result.clusters['resident_id'].nunique():,} (true {merged['person_id'].nunique():,})")
    print(f"  linkage time {seconds:.1f} s {result.evaluation['timings_seconds']}")
    print(f"  {'threshold':>9} {'precision':>10} {'recall':>8} {'expected precision':>19} "
          f"{'expected false':>15} {'expected missed':>16}")
    probs = result.pairs["match_probability"].to_numpy(dtype=float)
    for th in THRESHOLDS:
        labels, _ = cluster_records(result.records, result.pairs, th, one_per_person=declared, adults_only=adults)
        c = pd.DataFrame({"source": result.records["source"], "record_id": result.records["record_id"],
                          "resident_id": labels})
        m = c.merge(truth, on=["source", "record_id"], validate="one_to_one")
        sc = pairwise_scores(m, m["person_id"])
        ex = expected_errors(probs, th, (0.3, th))
        print(f"  {th:>9} {sc['precision']:>10.4f} {sc['recall']:>8.4f} {ex['expected_precision']:>19.4f} "
              f"{ex['expected_false_matches']:>15,.0f} {ex['expected_missed_matches']:>16,.0f}")
    if "hard_case" in merged.columns:
        wrong = merged.groupby("resident_id")["person_id"].transform("nunique") > 1
        split = merged.groupby("person_id")["resident_id"].transform("nunique") > 1
        cases = merged["hard_case"].replace("", "none")
        print("  records in a resident mixing people, by hard case:",
              {k: int(v) for k, v in cases[wrong].value_counts().head(8).items()})
        print("  records of a person split over residents, by hard case:",
              {k: int(v) for k, v in cases[split].value_counts().head(8).items()})
    print(f"  targets {'met' if ok else 'NOT met'}")
    return ok


def scale(records: int, seed: int, backend: str) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        # the generator makes about 1.64 records per resident; aim a little over the target and trim
        residents = int(records / 1.6)
        t = time.perf_counter()
        synthesise(residents, seed, d, history=False)
        persons = pd.read_csv(d / "SYNTHETIC_persons.csv", dtype=str, keep_default_na=False)
        persons.head(records).to_csv(d / "input.csv", index=False)
        n_res = persons.head(records).merge(
            pd.read_csv(d / "SYNTHETIC_ground_truth.csv", dtype=str), on=["source", "record_id"]
        )["person_id"].nunique()
        del persons
        print(f"synthesised the input ({records:,} records of {n_res:,} residents) in "
              f"{time.perf_counter() - t:.1f} s (not counted)")
        t = time.perf_counter()
        frame = read_canonical([d / "input.csv"])
        result = link_records(frame, backend=backend, retain_explanations=False)
        write_outputs(result, d / "out", threshold=DEFAULT_THRESHOLD)
        seconds = time.perf_counter() - t
    if backend == "spark":
        from boroughs.support.linkage.spark import stop_spark

        stop_spark()
    gb = peak_memory_bytes() / 1e9
    ok = seconds <= 90 and gb <= 4
    print(f"scale: {len(frame):,} records linked end to end with backend {backend}; {load()}")
    print(f"  time {seconds:.1f} s (target <= 90 s); steps {result.evaluation['timings_seconds']}")
    print(f"  peak memory {gb:.2f} GB (target <= 4 GB)")
    print(f"  throughput {len(frame) / seconds:,.0f} records/s")
    print(f"  residents {result.evaluation['residents']:,}; pairs scored {result.evaluation['pairs_scored_above_floor']:,}")
    print(f"  targets {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", nargs="?", default="all", choices=["quality", "scale", "all"])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", default="duckdb")
    parser.add_argument("--generator", default="both", choices=["borough", "hard", "both"])
    parser.add_argument("--no-one-per-person", action="store_true",
                        help="do not declare the hard population's electoral register as one entry per person, "
                             "nor its sources of adults")
    args = parser.parse_args()
    ok = True
    if args.what in ("quality", "all"):
        ok = quality(args.residents, args.seed, args.backend, args.generator, not args.no_one_per_person) and ok
    if args.what in ("scale", "all"):
        ok = scale(args.records, args.seed, args.backend) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
