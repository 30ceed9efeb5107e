"""Build the digital exclusion index: ``build(data_dir, out_dir, params) -> BuildResult``.

The public Python API (also used by the map):

* :func:`build` runs everything and writes the outputs atomically;
* :func:`load` reads a built output folder back as a :class:`BuiltIndex`;
* :func:`boroughs.inclusion.build.explain.explain_area` / ``explain_text`` give an area's explanation.
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from boroughs.inclusion.build import correlations, outputs, scoring, typology, uncertainty
from boroughs.inclusion.build.catalogue import Catalogue, load_catalogue
from boroughs.inclusion.build.indicators import Inputs
from boroughs.inclusion.build.validate import Validation, evaluate
from boroughs.inclusion.sources import online_share, ons_internet

Progress = Callable[[str], None]


@dataclass
class BuildParams:
    """Build options; every one is documented in ``docs/inclusion/method.md``."""

    area: str = "london"  # london | england
    method: str = "auto"  # auto (best out of fold) | calibrated | rank | zscore | minmax
    indicator_weights: dict[str, float] = field(default_factory=dict)  # fixed-weight methods; default 1
    need_type_weights: dict[str, float] = field(default_factory=dict)  # fixed-weight methods; default 1
    alpha: float = scoring.DEFAULT_ALPHA  # ridge penalty of the calibrated method
    mc_draws: int = 1000  # Monte Carlo draws; 0 skips the uncertainty step
    mc_seed: int = 20210321
    area_types: int = 6
    types_seed: int = 0
    estimates: bool = True
    cache: bool = True  # reuse parsed inputs when the data and code are unchanged (boroughs.inclusion.build.cache)

    def check(self) -> None:
        if self.area not in ("london", "england"):
            raise ValueError(f"area must be london or england, not {self.area!r}")
        if self.method != "auto" and self.method not in scoring.METHODS:
            raise ValueError(f"method must be auto or one of {', '.join(scoring.METHODS)}")
        if self.mc_draws < 0:
            raise ValueError("mc_draws must be 0 or more")
        if not 5 <= self.area_types <= 8:
            raise ValueError("area_types must be between 5 and 8")


@dataclass
class BuildResult:
    out_dir: Path
    lsoa: pd.DataFrame
    manifest: dict[str, Any]
    validation: dict[str, Any]
    timings: dict[str, float]


def _version() -> str:
    try:
        return metadata.version("boroughs")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


@dataclass
class Scored:
    method: str
    raw: np.ndarray  # final score (higher = more risk) on all areas
    oof: np.ndarray  # out-of-fold score (same as raw for fixed methods)
    type_scores: np.ndarray  # areas × need types
    model: scoring.Calibrated | None = None
    contributions: np.ndarray | None = None  # areas × indicators


def score_all(inputs: Inputs, params: BuildParams, groups: np.ndarray, truth: np.ndarray) -> dict[str, Scored]:
    cat = inputs.catalogue
    x = scoring.oriented(inputs.values, cat)
    weights = scoring.Weights(params.indicator_weights, params.need_type_weights)
    out: dict[str, Scored] = {}
    iw = weights.indicator_vector(cat)
    tw = weights.type_vector(cat)
    for norm in scoring.NORMALISATIONS:
        nrm = scoring.normalise(x, norm)
        t = scoring.type_scores(nrm, cat, iw)
        s = scoring.composite(t, tw)
        member = scoring.membership(cat)
        eff = iw * (((tw / tw.sum()) / (iw @ member)) @ member.T)
        centre = np.median(nrm, axis=0)
        out[norm] = Scored(norm, s, s, t, contributions=(nrm - centre) * eff)
    z, r = scoring.model_inputs(x)
    mask = np.array(cat.in_model(), dtype=bool)
    model = scoring.fit_calibrated(x, truth, mask, alpha=params.alpha)
    oof = scoring.out_of_fold(x, truth, groups, mask, alpha=params.alpha)
    contrib = model.indicator_contributions(z, r)
    out["calibrated"] = Scored(
        "calibrated", model.predict(z, r), oof, contrib @ scoring.membership(cat), model, contributions=contrib
    )
    return out


def build(
    data_dir: Path | None,
    out_dir: Path,
    params: BuildParams | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the index from the data directory into ``out_dir`` (written whole, or not at all)."""
    params = params or BuildParams()
    params.check()
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    outputs.check_replaceable(Path(out_dir))
    tmp = outputs.atomic_dir(out_dir)
    try:
        say("Reading and checking the open data")
        from boroughs.inclusion.build.cache import load_inputs_cached

        inputs = load_inputs_cached(data_dir, params.area, load_catalogue(), params.cache)
        timings["read"] = time.perf_counter() - t0
        result = _build(inputs, params, tmp, data_dir, say, timings)
        outputs.move_into_place(tmp, Path(out_dir))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.out_dir = Path(out_dir)
    timings["total"] = time.perf_counter() - t0
    return result


def _build(
    inputs: Inputs,
    params: BuildParams,
    out: Path,
    data_dir: Path | None,
    say: Progress,
    timings: dict[str, float],
) -> BuildResult:
    t = time.perf_counter()
    cat: Catalogue = inputs.catalogue
    geo = inputs.geo.set_index("lsoa21_code")
    codes = geo.index
    truth = inputs.truth["offline_share"].reindex(codes).to_numpy(dtype=float)
    if params.area == "england":
        group_col, group_label, group_names = "region_code", "region", geo.groupby("region_code")["region_name"].first()
        outside = ~inputs.truth["london"].reindex(codes).to_numpy(dtype=bool)
        truth_eval = np.where(outside, truth, np.nan)
    else:
        group_col, group_label, group_names = "ltla24_code", "borough", geo.groupby("ltla24_code")["ltla24_name"].first()
        truth_eval = truth
    groups = geo[group_col].astype(str).to_numpy()

    say("Scoring: fixed weights and the calibrated model (out of fold, one " + group_label + " left out at a time)")
    scored = score_all(inputs, params, groups, truth_eval)
    methods = {m: evaluate(s.oof, truth_eval, groups) for m, s in scored.items()}
    best = max(methods, key=lambda m: methods[m]["spearman"])
    chosen = best if params.method == "auto" else params.method
    main = scored[chosen]
    comps = inputs.comparators.reindex(codes)
    comparators = {
        "deri": {"label": "DERI v1.6", **evaluate(comps["deri_score"].to_numpy(float), truth_eval, groups)},
        "imd2019": {"label": "IMD 2019 score", **evaluate(comps["imd2019_score"].to_numpy(float), truth_eval, groups)},
        "imd2025": {"label": "IMD 2025 score", **evaluate(comps["imd2025_score"].to_numpy(float), truth_eval, groups)},
    }
    timings["score"] = time.perf_counter() - t

    types = list(cat.need_types)
    rank_types = scored["rank"].type_scores
    need_pct = pd.DataFrame(
        {f"need_{tt}": scoring.percentile(rank_types[:, j]) for j, tt in enumerate(types)}, index=codes
    )
    score_pct = scoring.percentile(main.raw)
    order = pd.Series(-main.raw).rank(method="first").to_numpy().astype(int)
    n = len(codes)
    lsoa = pd.DataFrame(index=codes)
    for col in ("lsoa21_name", "ward24_code", "ward24_name", "msoa21_code", "msoa21_name", "ltla24_code",
                "ltla24_name", "region_code", "region_name"):
        if col in geo.columns:
            lsoa[col] = geo[col]
    lsoa["score"] = np.round(score_pct, 2)
    lsoa["score_raw"] = np.round(main.raw, 5)
    lsoa["rank"] = order
    lsoa["decile"] = np.minimum(10, np.ceil(order * 10 / n)).astype(int)
    for c in need_pct.columns:
        lsoa[c] = need_pct[c].round(2)
    contrib_types = (
        main.type_scores if chosen == "calibrated" else (main.contributions @ scoring.membership(cat))  # type: ignore[operator]
    )
    for j, tt in enumerate(types):
        lsoa[f"contrib_{tt}"] = np.round(contrib_types[:, j], 5)
    # The main need is the type on which the area ranks highest in London (its largest need percentile).
    main_need = np.array(types)[np.argmax(need_pct.to_numpy(), axis=1)]
    lsoa["main_need"] = main_need
    lsoa["main_need_name"] = [cat.need_types[m].name for m in main_need]

    estimates = None
    if params.estimates and params.area == "london":
        say("Estimating residents offline (ONS rates, calibrated to London sub-regions)")
        t = time.perf_counter()
        from boroughs.inclusion.build import estimate as est_mod

        tables = inputs.internet or ons_internet.load_internet_use(data_dir, inputs.log)
        ons_internet.record_access_workbook(data_dir, inputs.log)
        estimates = est_mod.estimate(inputs.people, inputs.geo, tables)
        e = estimates.lsoa.reindex(codes)
        lsoa["adults"] = e["adults"].round(0)
        lsoa["offline_estimate"] = e["offline_estimate"].round(1)
        lsoa["offline_low"] = e["offline_low"].round(0)
        lsoa["offline_high"] = e["offline_high"].round(0)
        lsoa["offline_rate"] = e["offline_rate"].round(4)
        timings["estimates"] = time.perf_counter() - t

    say("Area types")
    t = time.perf_counter()
    typ = typology.build_typology(need_pct, score_pct, cat, k=params.area_types, seed=params.types_seed)
    lsoa["area_type"] = typ.labels
    lsoa["area_type_name"] = [typ.names[int(v)] for v in typ.labels]
    timings["types"] = time.perf_counter() - t

    mc = None
    if params.mc_draws:
        say(f"Monte Carlo: {params.mc_draws:,} draws of weights (±50%) and normalisation")
        t = time.perf_counter()
        x = scoring.oriented(inputs.values, cat)
        mc = uncertainty.run(
            x, cat, main.raw, method=chosen,
            weights=scoring.Weights(params.indicator_weights, params.need_type_weights),
            model=main.model, draws=params.mc_draws, seed=params.mc_seed,
        )
        lsoa = lsoa.join(uncertainty.as_frame(mc, codes))
        timings["monte_carlo"] = time.perf_counter() - t

    lsoa["observed_offline_share"] = inputs.truth["offline_share"].reindex(codes).round(4)
    lsoa["paper_first"] = inputs.truth["paper_first"].reindex(codes).fillna(False).astype(bool)
    lsoa["oof_score"] = np.round(main.oof, 5)
    for c in ("deri_score", "imd2019_score", "imd2025_score"):
        lsoa[c] = comps[c].round(4)
    lsoa = lsoa.reset_index()

    say("Writing outputs")
    t = time.perf_counter()
    files: list[str] = []
    lsoa.to_csv(out / "lsoa21.csv", index=False)
    files.append("lsoa21.csv")
    inputs.values.round(6).reset_index().to_csv(out / "indicators_lsoa21.csv", index=False)
    files.append("indicators_lsoa21.csv")
    pd.DataFrame(np.round(main.contributions, 6), index=codes, columns=cat.ids).reset_index().to_csv(  # type: ignore[arg-type]
        out / "contributions_lsoa21.csv", index=False
    )
    files.append("contributions_lsoa21.csv")
    files += outputs.rollups(lsoa, estimates, out, params.area)
    corr = correlations.correlation_matrix(inputs.values)
    corr.to_csv(out / "correlations.csv")
    pairs = correlations.strong_pairs(corr, cat)
    (out / "correlations.md").write_text(correlations.markdown(pairs, cat))
    files += ["correlations.csv", "correlations.md"]
    if estimates is not None:
        estimates.nuts3.reset_index().to_csv(out / "calibration_nuts3.csv", index=False)
        files.append("calibration_nuts3.csv")
    types_doc = {
        "k": params.area_types,
        "seed": params.types_seed,
        "types": [
            {"area_type": t_, "name": typ.names[t_], "description": typ.descriptions[t_],
             "areas": int((typ.labels == t_).sum()),
             "profile": {k: float(v) for k, v in typ.centroids.loc[t_].items()}}
            for t_ in sorted(typ.names)
        ],
    }
    (out / "area_types.json").write_text(json.dumps(types_doc, indent=2))
    files.append("area_types.json")
    if params.area == "london":
        files.append(outputs.write_geojson(lsoa, out, data_dir, inputs))

    learned = scoring.learned_weights_table(scored["calibrated"].model, cat)  # type: ignore[arg-type]
    coverage = {
        "areas": n,
        "areas_with_truth": int(np.isfinite(truth_eval).sum()),
        "areas_without_truth": int((~np.isfinite(truth_eval)).sum()),
        "paper_first": int(inputs.truth["paper_first"].sum()),
        "groups_with_truth": len(pd.unique(groups[np.isfinite(truth_eval)])),
        "groups": len(pd.unique(groups)),
    }
    report: dict[str, Any] = {
        "area": params.area,
        "truth": "1 − Census 2021 online share of household returns (ONS), paper-first areas excluded",
        "group_label": group_label,
        "coverage": dict(coverage),
        "default_method": chosen,
        "best_out_of_fold": best,
        "methods": methods,
        "comparators": comparators,
        "learned_weights": learned,
        "alpha": params.alpha,
        "disclaimer": "ONS: " + online_share.DISCLAIMER,
    }
    if inputs.lsoa11 is not None and inputs.bridge is not None:
        report["on_2011_areas"] = _on_2011_areas(inputs, codes, main.oof)
    if params.area == "england":
        report["excluded"] = "London LSOAs (validation is outside London)"
    if estimates is not None and inputs.internet is not None:
        from boroughs.inclusion.build import validate_ons

        report["second_validation"] = validate_ons.validate_nuts3(lsoa, estimates, inputs.internet.nuts3)
        report["agreement"] = validate_ons.agreement(lsoa, learned)
        report["target_biases"] = validate_ons.TARGET_BIASES
    val = Validation(report)
    files += val.write(out, (main.oof, truth_eval), {str(k): str(v) for k, v in group_names.items()})
    files += outputs.write_dictionary(out, lsoa, cat)
    timings["write"] = time.perf_counter() - t

    manifest = {
        "product": outputs.PRODUCT,
        "package_version": _version(),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "libraries": {m: _lib(m) for m in ("numpy", "pandas", "scikit-learn", "scipy", "geopandas")},
        "area": params.area,
        "parameters": asdict(params),
        "default_method": chosen,
        "default_method_reason": (
            f"'{best}' had the highest out-of-fold Spearman correlation with the observed offline share "
            f"({methods[best]['spearman']:.3f} on {methods[best]['areas']:,} areas)"
            + ("" if params.method == "auto" else f"; the build was asked for '{chosen}'")
        ),
        "validation": {
            m: {"spearman": r["spearman"], "areas": r["areas"], "top_decile_share": r["top_decile"]["share"]}
            for m, r in {**methods, **comparators}.items()
        },
        "second_validation": (
            {
                "target": report["second_validation"]["target"],
                "independence": report["second_validation"]["independence"],
                "areas": report["second_validation"]["areas"],
                "spearman": {k: v["spearman"] for k, v in report["second_validation"]["methods"].items()},
                "leave_one_out": report["second_validation"]["leave_one_out"],
            }
            if "second_validation" in report
            else None
        ),
        "target_biases": report.get("target_biases"),
        "learned_weights": learned,
        "learned_weights_note": (
            "Sign-constrained additive model (monotone shapes and pair interactions, non-negative ridge): every "
            "term rises with indicators oriented so that higher means more risk, in the direction the evidence "
            "gives. weight: the score's rise per standard deviation of the indicator from its 10th to its 90th "
            "percentile, every other indicator at the London median (never negative); sign is the direction of "
            "the raw measure."
        ),
        "excluded_from_model": scoring.excluded_from_model(cat),
        "need_types": {k: v.name for k, v in cat.need_types.items()},
        "indicators": cat.as_records(),
        "catalogue": {"path": "boroughs/inclusion/data/indicators.yaml", "indicators": len(cat.ids),
                      "need_types": len(cat.need_types)},
        "correlations": {
            "strong_pairs": len(pairs),
            "strong_pairs_same_type": sum(p["same_need_type"] for p in pairs),
            "unjustified_same_type": [f"{p['a']}|{p['b']}" for p in correlations.unjustified(pairs)],
        },
        "counts": {
            "lsoa21": n,
            "wards": int(lsoa["ward24_code"].nunique()),
            "msoa21": int(lsoa["msoa21_code"].nunique()) if "msoa21_code" in lsoa and lsoa["msoa21_code"].notna().any() else None,
            "local_authorities": int(lsoa["ltla24_code"].nunique()),
            "areas_with_truth": coverage["areas_with_truth"],
            "unstable_areas": int(mc.unstable.sum()) if mc is not None else None,
        },
        "estimates": (
            {
                "london_total": round(estimates.london_total),
                "ons_london_95ci": list(estimates.london_ons),
                "definition": "adults aged 16+ who had not used the internet in the last three months",
            }
            if estimates is not None
            else None
        ),
        "monte_carlo": {"draws": mc.draws, "seed": mc.seed, "unstable_threshold": uncertainty.UNSTABLE_SHARE}
        if mc is not None
        else None,
        "area_types": {str(k): v for k, v in typ.names.items()},
        "inputs": inputs.log.as_list(),
        "notes": inputs.notes,
        "files": sorted([*files, "manifest.json"]),
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "disclaimer": "ONS: " + online_share.DISCLAIMER,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return BuildResult(out, lsoa, manifest, report, timings)


def _on_2011_areas(inputs: Inputs, codes: pd.Index, oof: np.ndarray) -> dict[str, Any]:
    """Spearman ρ on the 2011 areas DERI and IMD 2019 were published for (no conversion of theirs).

    Our out-of-fold score moves to 2011 areas as the resident-weighted mean of each area's 2021 parts."""
    from scipy.stats import spearmanr

    assert inputs.lsoa11 is not None and inputs.bridge is not None
    ours = pd.Series(oof, index=codes, name="ours")
    res = inputs.people["residents"].rename("w")
    b = inputs.bridge.join(ours, on="lsoa21_code").join(res, on="lsoa21_code")
    b["wv"] = b["ours"] * b["w"]
    g = b.groupby("lsoa11_code")
    ours11 = (g["wv"].sum() / g["w"].sum()).rename("ours")
    frame = inputs.lsoa11.join(ours11, on="lsoa11_code").dropna(subset=["offline_share"])
    out: dict[str, Any] = {"areas": len(frame)}
    for key, col in (("this_index", "ours"), ("deri", "deri_score_national"), ("imd2019", "imd_score")):
        out[key] = round(float(spearmanr(frame[col], frame["offline_share"])[0]), 4)
    return out


def _lib(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class BuiltIndex:
    """A built output folder, read back."""

    out_dir: Path
    lsoa: pd.DataFrame  # index lsoa21_code
    indicators: pd.DataFrame  # index lsoa21_code
    contributions: pd.DataFrame  # index lsoa21_code
    manifest: dict[str, Any]
    area_types: dict[str, Any]

    @property
    def catalogue(self) -> Catalogue:
        cat = load_catalogue()
        return cat.subset(list(self.indicators.columns))


def load(out_dir: Path) -> BuiltIndex:
    """Read a folder written by :func:`build`."""
    out_dir = Path(out_dir)
    manifest_path = out_dir / "manifest.json"
    if not manifest_path.is_file():
        from boroughs.core.errors import DataError

        raise DataError(manifest_path, "no built index here", hint="Run `boroughs inclusion build` first")
    manifest = json.loads(manifest_path.read_text())
    read = lambda f: pd.read_csv(out_dir / f, dtype={"lsoa21_code": "string"}).set_index("lsoa21_code")  # noqa: E731
    return BuiltIndex(
        out_dir,
        read("lsoa21.csv"),
        read("indicators_lsoa21.csv"),
        read("contributions_lsoa21.csv"),
        manifest,
        json.loads((out_dir / "area_types.json").read_text()),
    )
