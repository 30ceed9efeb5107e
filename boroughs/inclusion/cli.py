"""``boroughs inclusion``: build, validate and explain the digital exclusion index."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from boroughs.core.errors import BoroughsError

app = typer.Typer(help="Digital exclusion index: build, validate and explain.", no_args_is_help=True)
console = Console(stderr=True)

DATA_DIR = typer.Option(None, "--data-dir", help="Folder with the open data (default: BOROUGHS_DATA_DIR).")
OUT = typer.Option(
    None, "--out", help="Output folder, written whole or not at all (default: BOROUGHS_OUT_DIR, where the map reads it)."
)


def _out(out: Path | None) -> Path:
    from boroughs.config import get_settings

    return Path(out) if out is not None else Path(get_settings().out_dir)


def _fail(exc: Exception) -> None:
    console.print(f"[red]Error:[/red] {exc}", highlight=False)
    raise typer.Exit(1) from exc


def _run_build(data_dir: Path | None, out: Path, params: object) -> object:
    from boroughs.config import get_settings
    from boroughs.inclusion.build.index import BuildParams, build

    assert isinstance(params, BuildParams)
    steps = 3 + (params.area == "london" and params.estimates) + bool(params.mc_draws) + 1
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("Starting", total=steps)
        started = [False]

        def say(msg: str) -> None:
            if started[0]:
                progress.advance(task)
            started[0] = True
            progress.update(task, description=msg)

        result = build(data_dir or get_settings().data_dir, out, params, say)
        progress.update(task, completed=steps, description="Done")
        return result


@app.command("build")
def build_cmd(
    data_dir: Path | None = DATA_DIR,
    out: Path | None = OUT,
    area: str = typer.Option("london", help="london (4,994 LSOAs) or england (33,755 LSOAs, national indicators)."),
    method: str = typer.Option("auto", help="auto (best out of fold), calibrated, rank, zscore or minmax."),
    weights: str = typer.Option("", help="Indicator weights for fixed-weight methods, e.g. 'aged_75_plus=2,no_english=1.5'."),
    need_weights: str = typer.Option("", help="Need-type weights for fixed-weight methods, e.g. 'age=2'."),
    alpha: float = typer.Option(10.0, help="Ridge penalty of the calibrated method."),
    draws: int = typer.Option(1000, help="Monte Carlo draws (0 to skip)."),
    seed: int = typer.Option(20210321, help="Monte Carlo seed."),
    types: int = typer.Option(6, help="Number of area types (5–8)."),
    cache: bool = typer.Option(True, "--cache/--no-cache",
                               help="Reuse the parsed open data when no data file or code has changed."),
) -> None:
    """Build the index and write lsoa21.csv, roll-ups, a GeoJSON layer, the validation report and a manifest."""
    out = _out(out)
    from boroughs.inclusion.build.catalogue import load_catalogue
    from boroughs.inclusion.build.index import BuildParams
    from boroughs.inclusion.build.scoring import parse_weights

    try:
        cat = load_catalogue()
        params = BuildParams(
            area=area, method=method, alpha=alpha, mc_draws=draws, mc_seed=seed, area_types=types, cache=cache,
            indicator_weights=parse_weights(weights, {i: 1 for i in cat.ids}),
            need_type_weights=parse_weights(need_weights, cat.need_types),
        )
        params.check()
        result = _run_build(data_dir, out, params)
    except (BoroughsError, ValueError) as exc:
        _fail(exc)
        return
    m = result.manifest  # type: ignore[attr-defined]
    v = m["validation"]
    d = m["default_method"]
    console.print(f"Built {m['counts']['lsoa21']:,} areas into {out}")
    console.print(
        f"Default score: {d}; out-of-fold Spearman ρ {v[d]['spearman']:.3f} on {v[d]['areas']:,} areas "
        f"(DERI v1.6 {v['deri']['spearman']:.3f}, IMD 2019 {v['imd2019']['spearman']:.3f})."
    )


@app.command("validate")
def validate_cmd(
    data_dir: Path | None = DATA_DIR,
    out: Path | None = OUT,
    area: str = typer.Option("london", help="london or england (validated outside London)."),
    as_json: bool = typer.Option(False, "--json", help="Print the validation figures as JSON."),
) -> None:
    """Compare the index with observed behaviour (1 − Census 2021 online share) beside DERI v1.6 and IMD.

    Reads OUT if it already holds a build for this area; otherwise builds it (without Monte Carlo)."""
    from boroughs.inclusion.build.index import BuildParams

    out = _out(out)
    try:
        manifest = out / "manifest.json"
        if manifest.is_file() and json.loads(manifest.read_text()).get("area") == area:
            report = json.loads((out / "validation.json").read_text())
        else:
            result = _run_build(data_dir, out, BuildParams(area=area, mc_draws=0))
            report = result.validation  # type: ignore[attr-defined]
    except (BoroughsError, ValueError) as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    cov = report["coverage"]
    typer.echo(
        f"Observed behaviour on {cov['areas_with_truth']:,} of {cov['areas']:,} areas "
        f"({cov['paper_first']} paper-first left out; {cov['areas_without_truth']:,} without a value)."
    )
    rows = [(f"{m}{' (default)' if m == report['default_method'] else ''}", r) for m, r in report["methods"].items()]
    rows += [(r["label"], r) for r in report["comparators"].values()]
    typer.echo(f"{'method':<28}{'rho':>8}{'areas':>8}{'top decile':>14}{'median ' + report['group_label'] + ' rho':>24}")
    for name, r in rows:
        td = r["top_decile"]
        typer.echo(
            f"{name:<28}{r['spearman']:>8.3f}{r['areas']:>8,}{td['captured']:>7}/{td['worst_decile']:<6}"
            f"{r['per_group_median']!s:>24}"
        )
    typer.echo(f"Report: {out / 'validation.md'} (and .html, .json, PNG charts)")


@app.command("explain")
def explain_cmd(
    code: str = typer.Argument(..., help="An LSOA 2021 code, e.g. E01000001."),
    out: Path | None = OUT,
    data_dir: Path | None = DATA_DIR,
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Explain one area in plain English: rank, type, estimated residents offline and the top reasons."""
    from boroughs.inclusion.build.explain import explain_area, explain_text
    from boroughs.inclusion.build.index import BuildParams, load

    out = _out(out)
    try:
        if not (out / "manifest.json").is_file():
            console.print(f"No index in {out}; building it first.")
            _run_build(data_dir, out, BuildParams())
        info = explain_area(load(out), code.strip().upper())
    except BoroughsError as exc:
        _fail(exc)
        return
    typer.echo(json.dumps(info, indent=2, default=str) if as_json else explain_text(info))


@app.command("catalogue")
def catalogue_cmd() -> None:
    """List the indicators, by need type."""
    from boroughs.inclusion.build.catalogue import load_catalogue

    cat = load_catalogue()
    for t, nt in cat.need_types.items():
        typer.echo(f"{nt.name}")
        for ind in cat.of_type(t):
            typer.echo(f"  {ind.id:<28} {ind.name} ({ind.year}){'' if ind.england else '  [London only]'}")


# Issue 13: provision beside need (boroughs/inclusion/provision/).
from boroughs.inclusion.provision.cli import app as _provision_app  # noqa: E402
from boroughs.inclusion.provision.cli import gaps_cmd as _gaps_cmd  # noqa: E402

app.add_typer(_provision_app, name="provision")
app.command("gaps")(_gaps_cmd)
