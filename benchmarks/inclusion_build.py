"""Speed and memory of the inclusion build (issue 3). Prints figures; asserts nothing.

    python benchmarks/inclusion_build.py [--data-dir DIR] [--skip-england]

Targets (2-core machine): London build without Monte Carlo ≤ 3 s (issue 12; with the parsed inputs cached,
see boroughs/inclusion/build/cache.py, and also printed cold, from an empty cache); England ≤ 60 s; 1,000 Monte
Carlo draws for London ≤ 30 s; peak memory ≤ 2 GB. Each step runs in a fresh process so peak memory is its
own. Wall-clock and CPU time are both printed, with the load average before and after: on a shared, busy
machine wall-clock time includes waiting.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout, not an installed copy


def _london_build(data_dir: str | None, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    from boroughs.inclusion.build.index import BuildParams, build

    out = Path(tempfile.mkdtemp()) / "london"
    t, c = time.perf_counter(), time.process_time()
    result = build(Path(data_dir) if data_dir else None, out, BuildParams(mc_draws=0))
    queue.put({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "rho": result.validation["methods"]["calibrated"]["spearman"], "steps": result.timings})


def _england_build(data_dir: str | None, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    from boroughs.inclusion.build.index import BuildParams, build

    out = Path(tempfile.mkdtemp()) / "england"
    t, c = time.perf_counter(), time.process_time()
    result = build(Path(data_dir) if data_dir else None, out, BuildParams(area="england", mc_draws=0))
    queue.put({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "rho": result.validation["methods"]["calibrated"]["spearman"], "steps": result.timings})


def _monte_carlo(data_dir: str | None, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    import numpy as np

    from boroughs.inclusion.build import scoring, uncertainty
    from boroughs.inclusion.build.indicators import load_inputs

    inputs = load_inputs(Path(data_dir) if data_dir else None)
    x = scoring.oriented(inputs.values, inputs.catalogue)
    z, r = scoring.model_inputs(x)
    mask = np.array(inputs.catalogue.in_model(), dtype=bool)
    model = scoring.fit_calibrated(x, inputs.truth["offline_share"].to_numpy(dtype=float), mask)
    t, c = time.perf_counter(), time.process_time()
    mc = uncertainty.run(x, inputs.catalogue, model.predict(z, r), method="calibrated", weights=scoring.Weights(),
                         model=model, draws=1000)
    queue.put({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "unstable": int(np.sum(mc.unstable))})


def _run(target, data_dir: str | None) -> dict:  # type: ignore[no-untyped-def, type-arg]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    import os

    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    proc = ctx.Process(target=target, args=(data_dir, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return dict(result)


def _load() -> str:
    import os

    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--skip-england", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    load_before = _load()
    os.environ["BOROUGHS_INCLUSION_CACHE_DIR"] = tempfile.mkdtemp(prefix="boroughs-bench-cache-")
    cold = _run(_london_build, args.data_dir)
    rows.append(("London build, cold (empty cache)", cold, 10))
    london = _run(_london_build, args.data_dir)
    rows.append(("London build (no Monte Carlo)", london, 3))
    mc = _run(_monte_carlo, args.data_dir)
    rows.append(("1,000 Monte Carlo draws (London)", mc, 30))
    if not args.skip_england:
        england = _run(_england_build, args.data_dir)
        rows.append(("England build (no Monte Carlo)", england, 60))
    load_after = _load()
    if args.json:
        print(json.dumps({"load_average_before": load_before, "load_average_after": load_after,
                          **{name: r for name, r, _ in rows}}, indent=2))
        return
    print(f"Load average (1, 5, 15 min) before: {load_before}; after: {load_after}; CPUs: {os.cpu_count()}")
    print(f"{'step':<36}{'wall s':>9}{'cpu s':>9}{'target s':>10}{'peak MB':>10}")
    for name, r, target in rows:
        print(f"{name:<36}{r['wall']:>9.2f}{r['cpu']:>9.2f}{target:>10}{r['rss_mb']:>10.0f}")
    print(f"London out-of-fold Spearman rho: {london['rho']:.3f}; steps (s): "
          + ", ".join(f"{k} {v:.2f}" for k, v in london["steps"].items()))
    if not args.skip_england:
        print(f"England out-of-fold Spearman rho (outside London): {rows[-1][1]['rho']:.3f}")
    print(f"Peak memory target: 2048 MB; highest seen {max(r['rss_mb'] for _, r, _ in rows):.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
