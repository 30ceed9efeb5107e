"""Benchmark: the benefit take-up estimate over 300,000 SYNTHETIC residents, against the generator's truth.

The synthetic borough carries pension-age Housing Benefit / Council Tax Reduction claims whose means tests
were drawn with their true circumstances, and a separate truth file (``SYNTHETIC_entitlements_truth.csv``)
that says who is entitled, who claims, and what Housing Benefit and Council Tax Reduction each household
would get once it claims what it is owed. The estimator sees only what the council's records hold (savings
sometimes missing, income sometimes not uprated, Pension Credit status sometimes missing).

Targets (issue 18): precision and recall of "likely missing out" both ≥ 0.9; estimating over 300,000
residents ≤ 5 s on this machine.

    python benchmarks/support_entitlements.py [--residents 480000] [--seed 11] [--cache /tmp/boroughs-bench]

The borough is made once with ``boroughs support synth`` and cached (shared with support_rules.py).
"""

from __future__ import annotations

import os
import resource
import sys
import time

from _harness import synthetic_borough  # benchmarks/_harness.py

TARGET_SECONDS = 5.0
TARGET_QUALITY = 0.9


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    from boroughs.support.entitlements.estimator import BENEFIT_NAMES, LIKELY
    from boroughs.support.entitlements.rates import for_date
    from boroughs.support.entitlements.service import estimate_claims, units_from_claims
    from boroughs.support.entitlements.working_age import units_from_claims as working_age_units
    from boroughs.support.rules.data import frames_from_synth
    from boroughs.support.synth.people import DEFAULT_AS_OF

    args, folder = synthetic_borough(__doc__, argv, needs="SYNTHETIC_entitlements_truth.csv")
    frames = frames_from_synth(folder)
    hb = frames.records["hb_ctr"]
    live = hb[hb["claim_status"] == "live"].copy()
    live["dob"] = frames.residents["dob"].reindex(live["resident_id"].to_numpy()).to_numpy()
    rates = for_date(DEFAULT_AS_OF)
    times, out = [], None
    for _ in range(args.repeat):
        t = time.perf_counter()
        out = estimate_claims(live, DEFAULT_AS_OF, frames.council)
        times.append(time.perf_counter() - t)
    assert out is not None
    truth = pd.read_csv(folder / "SYNTHETIC_entitlements_truth.csv", dtype=str)
    print(f"residents with records: {len(frames.residents):,}; live claims: {live['claim_ref'].nunique():,}; "
          f"pension-age benefit units: {len(units_from_claims(live, DEFAULT_AS_OF)):,}; working-age units on "
          f"Universal Credit: {len(working_age_units(live, DEFAULT_AS_OF)):,} (council {frames.council})")
    ok = True
    working = set(working_age_units(live, DEFAULT_AS_OF)["claim_ref"])
    ctr = ("council_tax_reduction", "missing_out_ctr")
    for benefit, truth_col, part in (("pension_credit", "missing_out", ""), ("housing_benefit", "missing_out_hb", ""),
                                     (*ctr, ""), (*ctr, "pension age"), (*ctr, "working age")):
        rows = out[out["benefit"] == benefit]
        wanted = truth
        if part:  # Council Tax Reduction by age: the national pensioner scheme, or the council's own
            rows = rows[rows["claim_ref"].isin(working) == (part == "working age")]
            wanted = truth[truth["claim_ref"].isin(working) == (part == "working age")]
        missing = set(wanted.loc[wanted[truth_col] == "yes", "person_id"])
        print(f"{BENEFIT_NAMES[benefit]}{f' ({part})' if part else ''}: truly missing out {len(missing):,}")
        cases = [('"likely missing out" (the signal: likely, or possible but check capital)', rows[rows["missing_out"]])]
        if benefit == "pension_credit":
            cases.append(('"likely" alone', rows[rows["missing_out"] & (rows["likelihood"] == LIKELY)]))
        also = {"pension_credit": "not known whether already claimed"}.get(
            benefit, "savings not recorded" if part != "working age" else "savings not recorded, or other adults at home")
        cases.insert(1, (f"the whole worklist (also: {also})", rows[rows["missing_out"] | rows["worth_checking"]]))
        for label, chosen in cases:
            listed = set(chosen["resident_id"])
            tp = len(listed & missing)
            precision = tp / len(listed) if listed else 0.0
            recall = tp / len(missing) if missing else 0.0
            print(f"  {label}: listed {len(listed):,}; precision {precision:.3f}; recall {recall:.3f}")
            if label.startswith('"likely missing out"'):
                ok &= precision >= TARGET_QUALITY and recall >= TARGET_QUALITY
        value = float(rows.loc[rows["missing_out"], "annual_amount"].sum())
        print(f"  estimated unclaimed: £{value:,.0f} a year ({rates.year} rates)")
    worst = max(times)
    print(f"estimate over {len(frames.residents):,} residents: best {min(times):.2f} s, worst {worst:.2f} s "
          f"(target ≤ {TARGET_SECONDS:.0f} s) -> {'PASS' if worst <= TARGET_SECONDS else 'FAIL'}")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; "
          f"load average {os.getloadavg()[0]:.2f}")
    return 0 if ok and worst <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
