"""Validation against observed behaviour: the Census 2021 offline share of household returns.

Every figure says how many areas it covers: only areas with an observed share count, paper-first areas are
left out, and some boroughs' rows are withheld from the public copy for independent checking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

MIN_BOROUGH_AREAS = 10


def spearman(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan"), int(ok.sum())
    return float(spearmanr(a[ok], b[ok])[0]), int(ok.sum())


def top_decile_capture(score: np.ndarray, truth: np.ndarray) -> dict[str, float | int]:
    """Of the worst 10% of areas by observed offline share, how many are in the score's top 10%?"""
    ok = np.isfinite(score) & np.isfinite(truth)
    s, t = score[ok], truth[ok]
    n = len(s)
    k = max(1, round(n / 10))
    worst = set(np.argsort(-t, kind="stable")[:k])
    top = set(np.argsort(-s, kind="stable")[:k])
    hit = len(worst & top)
    return {"areas": n, "worst_decile": k, "captured": hit, "share": round(hit / k, 4)}


def decile_profile(score: np.ndarray, truth: np.ndarray) -> list[float]:
    """Mean observed offline share by score decile (1 = highest score)."""
    ok = np.isfinite(score) & np.isfinite(truth)
    s, t = score[ok], truth[ok]
    ranks = pd.Series(-s).rank(method="first").to_numpy()
    dec = np.minimum(10, np.ceil(ranks * 10 / len(s))).astype(int)
    return [round(float(t[dec == d].mean()), 5) for d in range(1, 11)]


def evaluate(score: np.ndarray, truth: np.ndarray, groups: np.ndarray) -> dict[str, Any]:
    rho, n = spearman(score, truth)
    per: dict[str, dict[str, float | int]] = {}
    for g in sorted(pd.unique(groups[np.isfinite(truth)])):
        m = groups == g
        r, k = spearman(score[m], truth[m])
        if k >= MIN_BOROUGH_AREAS:
            per[str(g)] = {"rho": round(r, 4), "areas": k}
    vals = [v["rho"] for v in per.values() if np.isfinite(v["rho"])]
    return {
        "spearman": round(rho, 4),
        "areas": n,
        "top_decile": top_decile_capture(score, truth),
        "per_group": per,
        "per_group_median": round(float(np.median(vals)), 4) if vals else None,
        "groups": len(per),
        "decile_profile": decile_profile(score, truth),
    }


@dataclass
class Validation:
    report: dict[str, Any]

    def write(self, out: Path, scatter: tuple[np.ndarray, np.ndarray], names: dict[str, str]) -> list[str]:
        out.mkdir(parents=True, exist_ok=True)
        (out / "validation.json").write_text(json.dumps(self.report, indent=2, default=_json_default))
        files = ["validation.json", *charts(self.report, scatter, out)]
        md = markdown(self.report, names)
        (out / "validation.md").write_text(md)
        (out / "validation.html").write_text(html(md))
        return [*files, "validation.md", "validation.html"]


def _json_default(o: object) -> object:
    if isinstance(o, np.integer | np.floating):
        return o.item()
    if isinstance(o, np.bool_):
        return bool(o)
    raise TypeError(type(o))


def charts(report: dict[str, Any], scatter: tuple[np.ndarray, np.ndarray], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    score, truth = scatter
    ok = np.isfinite(score) & np.isfinite(truth)
    fig, ax = plt.subplots(figsize=(6.5, 5), dpi=110)
    ax.scatter(pd.Series(score[ok]).rank(pct=True) * 100, np.maximum(truth[ok] * 100, 0.1), s=4, alpha=0.35,
               color="#1d70b8", rasterized=True)
    zero = int((truth[ok] <= 0).sum())
    ax.set_xlabel("Index score (percentile, out of fold)"
                  + (f"\n{zero} area{'s' if zero > 1 else ''} where every return was online drawn at 0.1%" if zero else ""))
    ax.set_ylabel("Household returns not made online (%)")
    main = report["methods"][report["default_method"]]
    ax.set_title(f"Index against observed behaviour: ρ = {main['spearman']:.2f} ({main['areas']:,} areas)")
    ax.set_yscale("log")
    fig.subplots_adjust(left=0.12, right=0.97, top=0.92, bottom=0.15)
    fig.savefig(out / "validation_scatter.svg", metadata={"Date": None})
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), dpi=110)
    series = [("This index (out of fold)", report["methods"][report["default_method"]])] + [
        (c["label"], c) for c in report["comparators"].values()
    ]
    labels = [s[0] for s in series]
    shares = [s[1]["top_decile"]["share"] * 100 for s in series]
    colours = ["#1d70b8", "#f47738", "#505a5f", "#85994b"][: len(series)]
    axes[0].barh(labels[::-1], shares[::-1], color=colours[::-1])
    axes[0].set_xlabel("Worst-decile areas caught in the top decile (%)")
    axes[0].set_xlim(0, 100)
    for name, res in series:
        axes[1].plot(range(1, 11), [v * 100 for v in res["decile_profile"]], marker="o", label=name)
    axes[1].set_xlabel("Decile of the score (1 = highest risk)")
    axes[1].set_ylabel("Mean share of returns not online (%)")
    axes[1].legend(fontsize=8)
    fig.suptitle("Decile capture")
    fig.subplots_adjust(left=0.2, right=0.98, top=0.9, bottom=0.12, wspace=0.3)
    fig.savefig(out / "validation_deciles.svg", metadata={"Date": None})
    plt.close(fig)
    files = ["validation_scatter.svg", "validation_deciles.svg"]
    sv = report.get("second_validation")
    if sv:
        rows = sv["sub_regions"]
        fig, ax = plt.subplots(figsize=(6.5, 4.8), dpi=110)
        rate = np.array([r["ons_rate"] for r in rows]) * 100
        lo = np.array([r["ons_lower"] / r["adults"] for r in rows]) * 100
        hi = np.array([r["ons_upper"] / r["adults"] for r in rows]) * 100
        idx = np.array([r["index_mean_score"] for r in rows])
        ax.errorbar(idx, rate, yerr=[rate - lo, hi - rate], fmt="o", color="#1d70b8", ecolor="#b1b4b6", capsize=2)
        ax.set_xlabel("Index: adult-weighted mean score of the sub-region's areas")
        ax.set_ylabel("ONS 2020: adults not online in 3 months (%)")
        rho = sv["methods"]["this_index"]["spearman"]
        ax.set_title(f"Index against ONS sub-region estimates (95% intervals): ρ = {rho:.2f}, {len(rows)} areas",
                     fontsize=10)
        fig.subplots_adjust(left=0.12, right=0.97, top=0.9, bottom=0.13)
        fig.savefig(out / "validation_ons.svg", metadata={"Date": None})
        plt.close(fig)
        files.append("validation_ons.svg")
    return files


def markdown(report: dict[str, Any], names: dict[str, str]) -> str:
    d = report["default_method"]
    main = report["methods"][d]
    lines = [
        "# Validation against observed behaviour",
        "",
        f"Observed behaviour: the share of Census 2021 household returns **not** made online (ONS; not official "
        f"statistics), on {report['coverage']['areas_with_truth']:,} of {report['coverage']['areas']:,} areas. "
        f"{report['coverage']['paper_first']:,} paper-first areas are left out; "
        f"{report['coverage']['areas_without_truth']:,} areas have no observed value (withheld or missing).",
        "",
        f"Default score: **{d}** (the method with the highest out-of-fold Spearman ρ).",
        "",
        "| method | Spearman ρ | areas | worst-decile areas caught | median ρ within "
        + report["group_label"]
        + " |",
        "|---|---|---|---|---|",
    ]
    for m, r in report["methods"].items():
        td = r["top_decile"]
        lines.append(
            f"| {m}{' (default)' if m == d else ''} | {r['spearman']:.3f} | {r['areas']:,} | "
            f"{td['captured']}/{td['worst_decile']} ({td['share']:.0%}) | {r['per_group_median']} |"
        )
    for r in report["comparators"].values():
        td = r["top_decile"]
        lines.append(
            f"| {r['label']} | {r['spearman']:.3f} | {r['areas']:,} | {td['captured']}/{td['worst_decile']} "
            f"({td['share']:.0%}) | {r['per_group_median']} |"
        )
    if report.get("on_2011_areas"):
        o = report["on_2011_areas"]
        lines += [
            "",
            f"On the {o['areas']:,} 2011 areas that DERI and IMD 2019 were published for (their scores unconverted; "
            f"ours averaged over each area's 2021 parts): this index ρ = {o['this_index']:.3f}, DERI v1.6 "
            f"ρ = {o['deri']:.3f}, IMD 2019 ρ = {o['imd2019']:.3f}.",
        ]
    lines += [
        "",
        f"The calibrated score is out of fold: each {report['group_label']}'s areas are scored by weights learned "
        f"without that {report['group_label']}. Fixed-weight methods learn nothing from the observed values.",
        "",
        "![Scatter](validation_scatter.svg)",
        "",
        "![Decile capture](validation_deciles.svg)",
        "",
        f"## By {report['group_label']} (default method, out of fold)",
        "",
        f"| {report['group_label']} | ρ | areas | DERI v1.6 ρ | IMD 2019 ρ |",
        "|---|---|---|---|---|",
    ]
    for g, r in main["per_group"].items():
        dr = report["comparators"]["deri"]["per_group"].get(g, {}).get("rho", "")
        ir = report["comparators"]["imd2019"]["per_group"].get(g, {}).get("rho", "")
        lines.append(f"| {names.get(g, g)} | {r['rho']:.3f} | {r['areas']} | {dr} | {ir} |")
    lines += second_markdown(report)
    if report.get("learned_weights"):
        lines += ["", "## Learned weights (all areas with an observed value)", "",
                  "Sign-constrained: no weight is negative; the sign says which way the raw measure moves risk. "
                  "A weight is how much the score rises per standard deviation of the indicator, from an area at "
                  "its 10th percentile to one at its 90th, every other indicator at the London median.", "",
                  "| indicator | need type | weight | sign | evidence |", "|---|---|---|---|---|"]
        for w in sorted(report["learned_weights"], key=lambda w: -abs(float(w["weight"]))):
            lines.append(f"| {w['name']} | {w['need_type']} | {float(w['weight']):.4f} | {w.get('sign', '')} | "
                         f"{w.get('evidence', '')} |")
    lines += ["", report.get("disclaimer", "")]
    return "\n".join(lines) + "\n"


def second_markdown(report: dict[str, Any]) -> list[str]:
    """The second validation (ONS sub-regions), the agreement with the residents-offline estimate, and the
    known biases of each target, as Markdown lines (empty when the build has none, e.g. England)."""
    sv = report.get("second_validation")
    lines: list[str] = []
    if sv:
        loo = sv["leave_one_out"]
        lines += [
            "", "## Second validation: ONS estimates of adults offline by London sub-region", "",
            f"Target: {sv['target']}; {sv['areas']} sub-regions.", "", sv["independence"], "",
            "![Index against ONS sub-region estimates](validation_ons.svg)", "",
            "| score | Spearman ρ with the ONS offline rate | highest-third sub-regions caught |", "|---|---|---|",
        ]
        for r in sv["methods"].values():
            rho = "" if r["spearman"] is None else f"{r['spearman']:.3f}"
            lines.append(f"| {r['label']} | {rho} | {r['captured']}/{r['top']} |")
        lines += [
            "", sv.get("reading", ""),
            "", f"Residents offline, calibrated leaving each sub-region out: {loo['inside_interval']} of "
            f"{loo['areas']} sub-regions fall inside ONS's 95% interval; median error {loo['median_abs_error_pct']}%.",
            "", "| sub-region | boroughs | ONS estimate (95% interval) | leave-one-out estimate | index mean score |",
            "|---|---|---|---|---|",
        ]
        for r in sv["sub_regions"]:
            lines.append(f"| {r['nuts3_name']} | {r['boroughs']} | {r['ons_estimate']:,} ({r['ons_lower']:,}–"
                         f"{r['ons_upper']:,}) | {r['estimate_leave_one_out']:,} | {r['index_mean_score']:.1f} |")
    ag = report.get("agreement")
    if ag:
        lines += ["", "## The index and the residents-offline estimate", "", ag["explanation"], "",
                  "| borough | areas | in the top decile by the index | by the estimate | ρ |", "|---|---|---|---|---|"]
        for r in sorted(ag["per_borough"], key=lambda r: r["borough"]):
            lines.append(f"| {r['borough']} | {r['areas']} | {r['top_decile_index']} | {r['top_decile_estimate']} | "
                         f"{'' if r['rho'] is None else r['rho']} |")
    if report.get("target_biases"):
        names = {"census_returns": "Census 2021 return behaviour", "ons_nuts3": "ONS sub-region estimates",
                 "deri": "DERI", "imd": "IMD"}
        lines += ["", "## Known biases of each target and comparator", ""]
        lines += [f"- **{names.get(k, k)}**: {v}" for k, v in report["target_biases"].items()]
    return lines


def html(md: str) -> str:
    """A self-contained HTML version of the Markdown report (tables, images, headings)."""
    import html as h

    out = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Validation</title>",
           "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}table{border-collapse:collapse}"
           "td,th{border:1px solid #b1b4b6;padding:.3rem .5rem}</style></head><body>"]
    in_table = False
    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            if not in_table:
                out.append("<table>")
                in_table = True
                out.append("<tr>" + "".join(f"<th scope='col'>{h.escape(c)}</th>" for c in cells) + "</tr>")
            else:
                out.append("<tr>" + "".join(f"<td>{h.escape(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("# "):
            out.append(f"<h1>{h.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            out.append(f"<h2>{h.escape(line[3:])}</h2>")
        elif line.startswith("!["):
            alt, src = line[2:].split("](")
            out.append(f"<img src='{h.escape(src.rstrip(')'))}' alt='{h.escape(alt)}'>")
        elif line.strip():
            out.append(f"<p>{h.escape(line).replace('**', '')}</p>")
    if in_table:
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)
