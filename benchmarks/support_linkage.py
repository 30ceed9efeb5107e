"""Linkage quality and speed on the synthetic borough.

Two measurements, each printed:

* ``quality``: a synthetic borough of 100,000 residents, linked by the contract command's code path at the
  default threshold; pairwise precision and recall against the ground truth (targets 0.995 and 0.98).
* ``scale``: about 1,000,000 input records linked end to end (read, prepare, train, score, cluster, write);
  wall time, peak memory (peak resident set size of this process, which includes the synthesis of
  the input, plus its finished children) and records per second
  (targets: 5 minutes, 8 GB).

Run: ``python benchmarks/support_linkage.py quality`` / ``scale`` / ``all`` (default ``all``).
Options: ``--residents N`` for quality, ``--records N`` for scale, ``--backend spark``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from boroughs.support.linkage import (
    DEFAULT_THRESHOLD,
    link_records,
    pairwise_scores,
    read_canonical,
    write_outputs,
)
from boroughs.support.synth import synthesise


def peak_memory_bytes() -> int:
    """Peak resident memory of this process plus its finished children (e.g. a stopped Spark JVM)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return own + children


def quality(residents: int, seed: int, backend: str) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        res = synthesise(residents, seed, d, history=False)
        print(f"synthesised {res.residents:,} residents, {res.total_records:,} records "
              f"in {time.perf_counter() - t:.1f} s")
        frame = read_canonical([d / "SYNTHETIC_persons.csv"])
        t = time.perf_counter()
        result = link_records(frame, backend=backend, retain_explanations=False)
        seconds = time.perf_counter() - t
        truth = pd.read_csv(d / "SYNTHETIC_ground_truth.csv", dtype=str)
    merged = result.clusters.merge(truth, on=["source", "record_id"], how="left", validate="one_to_one")
    s = pairwise_scores(merged, merged["person_id"])
    ok = s["precision"] >= 0.995 and s["recall"] >= 0.98
    print(f"quality: {residents:,} residents, {len(frame):,} records, threshold {DEFAULT_THRESHOLD}, "
          f"backend {backend}")
    print(f"  pairwise precision {s['precision']:.4f} (target >= 0.995)")
    print(f"  pairwise recall    {s['recall']:.4f} (target >= 0.98)")
    print(f"  F1 {s['f1']:.4f}; true pairs {s['true_pairs']:,}; predicted pairs {s['predicted_pairs']:,}")
    print(f"  residents found {result.clusters['resident_id'].nunique():,} (true {merged['person_id'].nunique():,})")
    print(f"  linkage time {seconds:.1f} s {result.evaluation['timings_seconds']}")
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
        from boroughs.support.spark import stop_spark

        stop_spark()
    gb = peak_memory_bytes() / 1e9
    ok = seconds <= 300 and gb <= 8
    print(f"scale: {len(frame):,} records linked end to end with backend {backend}")
    print(f"  time {seconds:.1f} s (target <= 300 s); steps {result.evaluation['timings_seconds']}")
    print(f"  peak memory {gb:.2f} GB (target <= 8 GB)")
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
    args = parser.parse_args()
    ok = True
    if args.what in ("quality", "all"):
        ok = quality(args.residents, args.seed, args.backend) and ok
    if args.what in ("scale", "all"):
        ok = scale(args.records, args.seed, args.backend) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
