"""``boroughs data fetch`` from the publishers (issue 15): the plan, checksums, shape checks, resumed downloads,
atomic installs and ArcGIS paging. The publishers are beyond this machine, so their answers are recorded: real
file excerpts (``fixtures/fetch``), the publisher's own workbook, or the real data rebuilt in the publisher's
layout, served by ``httpx.MockTransport``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from boroughs.app import AREAS
from boroughs.app import cli as app
from boroughs.core import datasets, fetching
from boroughs.core.area import register_datasets
from boroughs.core.datasets import FetchFailed, sha256

FIXTURES = Path(__file__).parent / "fixtures" / "fetch"
runner = CliRunner()

DIRECT = re.compile(r"^https://[^ ]+(\.(csv|zip|xlsx|geojson)$|/FeatureServer/0/query\?|/content/items/[0-9a-f]{32}/data$)")
SIMD = "SIMD_2020_Datazone_lookup_tool.xlsx"


@pytest.fixture(autouse=True)
def _sources():
    register_datasets(AREAS)


def serve(routes: dict[str, bytes | dict], seen: list[httpx.Request] | None = None) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        body = routes.get(str(request.url).split("?")[0])
        if body is None:
            return httpx.Response(404)
        if isinstance(body, dict):
            return httpx.Response(200, json=body)
        return httpx.Response(200, content=body)
    return httpx.Client(transport=httpx.MockTransport(handler))


def leftovers(root: Path) -> list[Path]:
    return [p for p in (root / ".staging").rglob("*") if p.is_file()] if (root / ".staging").exists() else []


def test_plan_lists_a_direct_file_address_for_every_dataset_check_lists(data_dir):
    check = runner.invoke(app, ["data", "check", "--data-dir", str(data_dir)])
    assert check.exit_code == 0, check.output
    listed = set(re.findall(r"^(?:ok|not present \(optional: [^)]*\))\s+(\S+)\s", check.output, flags=re.M))
    assert len(listed) == len(datasets.REGISTRY) > 40
    r = runner.invoke(app, ["data", "fetch", "--plan"])
    assert r.exit_code == 0, r.output
    lines = [line.split("\t") for line in r.output.strip().splitlines()]
    assert all(len(parts) == 2 for parts in lines)
    plan = dict(lines[::-1])  # the first line of a key is its main file
    assert set(plan) == listed
    assert [(k, url) for k, url in lines if not DIRECT.match(url)] == []
    # Registrations of one file share one address
    assert plan["boundaries.lsoa21"] == plan["inclusion.boundaries_lsoa21"]
    assert plan["inclusion.census_tenure"] == "https://www.nomisweb.co.uk/output/census/2021/census2021-ts054.zip"


def test_plan_only_and_the_stable_format():
    r = runner.invoke(app, ["data", "fetch", "--plan", "--only", "inclusion.iod2025_scores"])
    assert r.output == ("inclusion.iod2025_scores\thttps://assets.publishing.service.gov.uk/media/691ded56d140bbbaa59a2a7d/"
                        "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv\n")


def _nomis_ts038(data_dir: Path, rows: int | None = None) -> bytes:
    """TS038 in Nomis's bulk layout (column headers as Nomis writes them), from the real London values."""
    ours = pd.read_csv(data_dir / "census2021/ts038_disability_london_lsoa21.csv")
    names = pd.read_csv(data_dir / "lookups/lookup_lsoa21_ward24_ltla24_ew.csv.gz", usecols=["lsoa21_code", "lsoa21_name"])
    ours = ours.merge(names, on="lsoa21_code")
    if rows:
        ours = ours.head(rows)
    nomis = pd.DataFrame({
        "date": 2021, "geography": ours["lsoa21_name"], "geography code": ours["lsoa21_code"],
        "Disability: Total: All usual residents": ours["total_residents"],
        "Disability: Disabled under the Equality Act": ours["Disabled under the Equality Act"],
        "Disability: Not disabled under the Equality Act": ours["Not disabled under the Equality Act"],
    })
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("census2021-ts038-ctry.csv", "date,geography,geography code\n")
        z.writestr("census2021-ts038-lsoa.csv", nomis.to_csv(index=False))
    return buf.getvalue()


def test_a_nomis_bulk_table_is_prepared_checked_and_installed(data_dir, tmp_path):
    ds = datasets.get("inclusion.census_disability")
    seen: list[httpx.Request] = []
    client = serve({"https://www.nomisweb.co.uk/output/census/2021/census2021-ts038.zip": _nomis_ts038(data_dir)}, seen)
    target = fetching.fetch(ds, tmp_path, client)
    got = pd.read_csv(target).sort_values("lsoa21_code").reset_index(drop=True)
    want = pd.read_csv(data_dir / ds.path).sort_values("lsoa21_code").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert [str(r.url) for r in seen] == ["https://www.nomisweb.co.uk/output/census/2021/census2021-ts038.zip"]
    assert not leftovers(tmp_path) and not list((tmp_path / ".downloads").iterdir())


def test_a_file_of_the_wrong_shape_is_refused_and_nothing_is_installed(data_dir, tmp_path):
    ds = datasets.get("inclusion.census_disability")
    target = ds.full_path(tmp_path)
    target.parent.mkdir(parents=True)
    target.write_text("the previous copy\n")
    client = serve({fetching.SOURCES[ds.key].url: _nomis_ts038(data_dir, rows=3)})
    with pytest.raises(FetchFailed, match="expected 4,994 rows but found 3.*Nothing was installed"):
        fetching.fetch(ds, tmp_path, client)
    assert target.read_text() == "the previous copy\n"  # the old file stays whole
    assert not leftovers(tmp_path)


def test_a_file_not_in_the_expected_form_is_refused(tmp_path):
    ds = datasets.get("inclusion.census_disability")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("census2021-ts038-oa.csv", "date,geography\n")
    with pytest.raises(FetchFailed, match="not in the expected form.*-lsoa.csv"):
        fetching.fetch(ds, tmp_path, serve({fetching.SOURCES[ds.key].url: buf.getvalue()}))
    assert not ds.full_path(tmp_path).exists()


def test_the_publishers_workbook_is_checked_by_its_checksum(data_dir, tmp_path):
    ds = datasets.get("inclusion.ons_internet_users_2020")
    real = (data_dir / ds.path).read_bytes()
    url = fetching.SOURCES[ds.key].url
    damaged = real[:1000] + bytes([real[1000] ^ 1]) + real[1001:]
    with pytest.raises(FetchFailed, match="SHA-256 .* not the expected 5269e8c2"):
        fetching.fetch(ds, tmp_path, serve({url.split("?")[0]: damaged}))
    assert not ds.full_path(tmp_path).exists() and not list((tmp_path / ".downloads").iterdir())
    fetching.fetch(ds, tmp_path, serve({url.split("?")[0]: real}))
    assert sha256(ds.full_path(tmp_path)) == sha256(data_dir / ds.path)


class _Interrupted(httpx.SyncByteStream):
    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self):
        yield self.data
        raise httpx.ReadError("connection reset by peer")


def test_an_interrupted_download_resumes_with_a_range_request(data_dir, tmp_path):
    real = (data_dir / "ons_internet_users/internetusers2020.xlsx").read_bytes()
    cut = len(real) // 3
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if len(requests) == 1:
            return httpx.Response(200, headers={"content-length": str(len(real))}, stream=_Interrupted(real[:cut]))
        start = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
        return httpx.Response(206, content=real[start:],
                              headers={"content-range": f"bytes {start}-{len(real) - 1}/{len(real)}"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    dest = tmp_path / "internetusers2020.xlsx"
    with pytest.raises(FetchFailed, match="run the same command again to resume"):
        fetching.download(client, "https://www.ons.gov.uk/file", dest)
    assert not dest.exists() and dest.with_name(dest.name + ".partial").stat().st_size == cut
    fetching.download(client, "https://www.ons.gov.uk/file", dest)
    assert requests[1].headers["range"] == f"bytes={cut}-"
    assert dest.read_bytes() == real and not dest.with_name(dest.name + ".partial").exists()


def test_a_server_that_ignores_range_sends_the_whole_file_again(tmp_path):
    body = b"LSOA code (2011),x\nE01000001,1\n"
    dest = tmp_path / "f.csv"
    dest.with_name("f.csv.partial").write_bytes(body[:7])
    seen: list[httpx.Request] = []
    fetching.download(serve({"https://x.gov.uk/f.csv": body}, seen), "https://x.gov.uk/f.csv", dest)
    assert seen[0].headers["range"] == "bytes=7-" and dest.read_bytes() == body


def test_gmca_rm121_is_read_from_its_real_first_rows(data_dir, tmp_path, monkeypatch):
    ds = replace(datasets.get("inclusion.census_age_ew"), key="test.rm121", expected_rows=8)
    monkeypatch.setitem(fetching.SOURCES, "test.rm121", fetching.SOURCES["inclusion.census_age_ew"])
    client = serve({fetching.SOURCES["test.rm121"].url: (FIXTURES / "rm121_gmca_first_rows.csv").read_bytes()})
    got = pd.read_csv(fetching.fetch(ds, tmp_path, client))
    ours = pd.read_csv(data_dir / "census2021/rm121_age65plus_lsoa21_ew.csv.gz")
    want = ours[ours["lsoa21_code"].isin(got["lsoa21_code"])]
    pd.testing.assert_frame_equal(got.sort_values("lsoa21_code").reset_index(drop=True),
                                  want.sort_values("lsoa21_code").reset_index(drop=True))


def test_an_arcgis_layer_is_read_page_by_page_and_kept_to_london(data_dir, tmp_path):
    ds = datasets.get("boundaries.wards22")
    ours = json.loads((data_dir / ds.path).read_text())
    feats = [{"type": "Feature", "geometry": f["geometry"],
              "properties": {"WD22CD": f["properties"]["ward22_code"], "WD22NM": f["properties"]["ward22_name"],
                             "LAD22CD": "E09000001"}} for f in ours["features"]]
    src = fetching.SOURCES[ds.key]
    offsets: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["where"] == "LAD22CD LIKE 'E09%'" and request.url.params["f"] == "geojson"
        offset = int(request.url.params["resultOffset"])
        offsets.append(offset)
        page = feats[offset:offset + 500]  # the server's page is smaller than asked for
        return httpx.Response(200, json={"type": "FeatureCollection", "features": page,
                                         "properties": {"exceededTransferLimit": offset + 500 < len(feats)}})

    assert src.kind == "arcgis"
    fetching.fetch(ds, tmp_path, httpx.Client(transport=httpx.MockTransport(handler)))
    assert offsets == [0, 500]
    got = json.loads(ds.full_path(tmp_path).read_text())
    assert [f["properties"] for f in got["features"]] == [
        {"ward22_code": f["properties"]["ward22_code"], "ward22_name": f["properties"]["ward22_name"]}
        for f in ours["features"]]


def test_iod2025_file7_headers_map_to_boroughs_names():
    headers = ["LSOA code (2021)", "LSOA name (2021)", "Index of Multiple Deprivation (IMD) Score",
               "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
               "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
               "Income Score (rate)", "Barriers to Housing and Services Score", "Living Environment Decile (where 1 is most deprived 10% of LSOAs)"]
    from boroughs.inclusion.sources.publishers import file7_2025_names

    assert file7_2025_names(headers) == {
        "LSOA code (2021)": "lsoa21_code", headers[2]: "IMD_score", headers[3]: "IMD_rank", headers[4]: "IMD_decile",
        "Income Score (rate)": "Income_score", "Barriers to Housing and Services Score": "Housing_and_Services_score",
        headers[7]: "Environment_decile"}


@pytest.mark.parametrize("key", ["inclusion.imd2019_london", "inclusion.imd2025_london", "inclusion.census_age_london"])
def test_london_tables_are_rebuilt_exactly_from_the_national_files(data_dir, tmp_path, key):
    """The London tables are joined from the national files fetched before them; rebuilt from the national
    files in the data directory they equal the data directory's own London tables, cell for cell."""
    ds = datasets.get(key)
    src = fetching.SOURCES[key]
    assert src.after  # fetched after the files it reads
    target = tmp_path / "london.csv"
    src.prepare(tmp_path / "unused", target, data_dir)
    got = pd.read_csv(target)
    want = pd.read_csv(data_dir / ds.path)
    first = got.columns[0]
    pd.testing.assert_frame_equal(got.sort_values(first).reset_index(drop=True),
                                  want.sort_values(first).reset_index(drop=True), check_dtype=False)


def test_dependencies_are_fetched_first():
    chosen = [datasets.get("inclusion.imd2019_london"), datasets.get("boundaries.lsoa11")]
    keys = [d.key for d in fetching.order(chosen)]
    assert keys.index("inclusion.iod2019_subdomains") < keys.index("inclusion.imd2019_london")
    assert keys.index("boundaries.boroughs") < keys.index("boundaries.lsoa11")


def test_a_dataset_from_two_publishers_lists_and_uses_both_files(data_dir, tmp_path, monkeypatch):
    """LSOA 2011 → MSOA 2011 for Great Britain: England and Wales from the ONS OA lookup, Scotland's data zones
    from the Scottish Government's SIMD 2020 lookup; both rebuilt here from the real rows, in each publisher's
    layout."""
    r = runner.invoke(app, ["data", "fetch", "--plan", "--only", "inclusion.lookup_lsoa11_msoa11"])
    urls = [line.split("\t")[1] for line in r.output.strip().splitlines()]
    assert len(urls) == 2 and urls[0].endswith("fe6c55f0924b4734adf1cf7104a0173e_0.csv") and urls[1].endswith(SIMD)
    oa = pd.read_csv(data_dir / "lookups/london_oa11_lsoa11_msoa11_lad17_oac11.csv.gz", dtype=str)
    oa.insert(0, "FID", [str(i + 1) for i in range(len(oa))])
    gb = pd.read_csv(data_dir / "lookups/lookup_lsoa11_msoa11_gb.csv.gz", dtype=str)
    scot = gb[gb["lsoa11_code"].str.startswith("S")]
    simd = pd.DataFrame({"DZ": scot["lsoa11_code"], "DZname": scot["lsoa11_name"], "IZcode": scot["msoa11_code"],
                         "IZname": scot["msoa11_name"]})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as xw:
        pd.DataFrame({"Notes": ["SIMD 2020v2 lookup"]}).to_excel(xw, sheet_name="Notes", index=False)
        simd.to_excel(xw, sheet_name="SIMD 2020v2 DZ lookup data", index=False)
    ds = replace(datasets.get("inclusion.lookup_lsoa11_msoa11"), key="test.lsoa11_msoa11",
                 expected_rows=4835 + len(scot))
    monkeypatch.setitem(fetching.SOURCES, ds.key, fetching.SOURCES["inclusion.lookup_lsoa11_msoa11"])
    client = serve({urls[0]: oa.to_csv(index=False).encode(), urls[1]: buf.getvalue()})
    got = pd.read_csv(fetching.fetch(ds, tmp_path, client), dtype=str)
    want = gb[gb["lsoa11_code"].isin(set(oa["LSOA11CD"]) | set(scot["lsoa11_code"]))]
    pd.testing.assert_frame_equal(got.sort_values("lsoa11_code").reset_index(drop=True),
                                  want.sort_values("lsoa11_code").reset_index(drop=True))
    assert not list((tmp_path / ".downloads").iterdir())


def _frames_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    key = want.columns[0]
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True)[list(want.columns)],
                                  want.sort_values(key).reset_index(drop=True), check_dtype=False)


def test_iod2025_file7_gives_both_the_scores_and_the_sub_domains(data_dir, tmp_path):
    """File 7 of 2025 carries the domains and the sub-domains; rebuilt in MHCLG's layout (headers as File 7
    writes them) from the real values, one download gives both datasets, equal to the data directory's."""
    from boroughs.inclusion.sources.publishers import DOMAIN_2025, SUBDOMAIN_2025

    scores = pd.read_csv(data_dir / "imd2025/iod2025_scores_ranks_deciles_england.csv.gz")
    subs = pd.read_csv(data_dir / "imd2025/iod2025_subdomains_england.csv.gz")
    ours = scores.merge(subs, on="lsoa21_code")
    file7 = pd.DataFrame({"LSOA code (2021)": ours["lsoa21_code"], "LSOA name (2021)": "",
                          "Local Authority District code (2024)": ""})
    rank, decile = "Rank (where 1 is most deprived)", "Decile (where 1 is most deprived 10% of LSOAs)"
    for label, short in DOMAIN_2025.items():
        score = f"{label} Score (rate)" if short in ("Income", "Employment") else f"{label} Score"
        file7[score], file7[f"{label} {rank}"] = ours[f"{short}_score"], ours[f"{short}_rank"]
        file7[f"{label} {decile}"] = ours[f"{short}_decile"]
    for label, short in SUBDOMAIN_2025.items():
        for measure in ("score", "rank", "decile"):
            header = {"score": "Score", "rank": rank, "decile": decile}[measure]
            file7[f"{label} {header}"] = ours[f"{short}_{measure}"]
    body = file7.to_csv(index=False).encode()
    url = fetching.SOURCES["inclusion.iod2025_subdomains"].url
    assert fetching.SOURCES["inclusion.iod2025_scores"].url == url
    for key, want in (("inclusion.iod2025_scores", scores), ("inclusion.iod2025_subdomains", subs)):
        got = pd.read_csv(fetching.fetch(datasets.get(key), tmp_path, serve({url: body})))
        _frames_equal(got, want)


def test_deri_is_rebuilt_from_gmcas_nation_level_file(data_dir, tmp_path):
    """GMCA's nation-level v1.6 file in its own layout (headers as humaniverse's DEPAHRI script reads them,
    other columns beside them, Welsh rows with no England scores): England's four scores, and London's."""
    from boroughs.inclusion.sources.deri import COLS

    england = pd.read_csv(data_dir / "deri/deri_v1_6_depahri_national_england_lsoa11.csv.gz")[list(COLS)]
    wales = pd.read_csv(data_dir / "census2021_online_response/census2021_online_share_lsoa11_ew.csv.gz",
                        usecols=["LSOA Code"])["LSOA Code"].loc[lambda c: c.str.startswith("W01")].head(50)
    blank = [""] * len(wales)
    gmca_file = pd.DataFrame({"LSOA code": [*england["lsoa11_code"], *wales], "LSOA name": "",
                              "Broadband component (local)": ""})
    for header, col in (("Broadband component (national)", "broadband_comp_national"),
                        ("Demography component (national)", "demography_comp_national"),
                        ("Deprivation component (national, England IMD)", "deprivation_comp_national"),
                        ("DERI score (national, England IMD)", "deri_score_national")):
        gmca_file[header] = [*england[col].astype(str), *blank]
    (tmp_path / "boundaries").mkdir()
    (tmp_path / "boundaries/london_lsoa11.geojson").symlink_to(data_dir / "boundaries/london_lsoa11.geojson")
    client = serve({fetching.SOURCES["inclusion.deri_england"].url: gmca_file.to_csv(index=False).encode()})
    _frames_equal(pd.read_csv(fetching.fetch(datasets.get("inclusion.deri_england"), tmp_path, client)), england)
    london = pd.read_csv(data_dir / "deri/deri_v1_6_depahri_national_london_lsoa11.csv")[list(COLS)]
    _frames_equal(pd.read_csv(fetching.fetch(datasets.get("inclusion.deri_london"), tmp_path, client)), london)


def test_deri_without_a_score_column_is_refused(tmp_path):
    body = b"LSOA code,Broadband component (national),Demography component (national)\nE01000001,1,2\n"
    client = serve({fetching.SOURCES["inclusion.deri_england"].url: body})
    with pytest.raises(FetchFailed, match="not in the expected form.*deprivation_comp_national.*deri_score_national"):
        fetching.fetch(datasets.get("inclusion.deri_england"), tmp_path, client)


def test_the_online_share_workbook_is_read_below_its_notes(data_dir, tmp_path):
    """ONS's workbook in its own layout (the disclaimer above the table, an empty column, a notes sheet):
    the England and Wales table and London's rows (local authority code E09), equal to the data directory's."""
    from boroughs.inclusion.sources.online_share import DISCLAIMER

    ew = pd.read_csv(data_dir / "census2021_online_response/census2021_online_share_lsoa11_ew.csv.gz")
    ew = pd.concat([ew[ew["Local Authority Code"].str.startswith("E09")],
                    ew[~ew["Local Authority Code"].str.startswith("E09")].head(800)])
    table = ew.copy()
    table.insert(5, "", None)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf) as xw:
        pd.DataFrame({"Notes": [DISCLAIMER]}).to_excel(xw, sheet_name="Notes", index=False)
        pd.DataFrame([[DISCLAIMER], [None]]).to_excel(xw, sheet_name="Online_Share_England&Wales",
                                                      index=False, header=False)
        table.to_excel(xw, sheet_name="Online_Share_England&Wales", index=False, startrow=3)
    client = serve({fetching.SOURCES["inclusion.online_share_ew"].url: buf.getvalue()})
    _frames_equal(pd.read_csv(fetching.fetch(datasets.get("inclusion.online_share_ew"), tmp_path, client)), ew)
    london = pd.read_csv(data_dir / "census2021_online_response/census2021_online_share_london_lsoa11.csv")
    _frames_equal(pd.read_csv(fetching.fetch(datasets.get("inclusion.online_share_london"), tmp_path, client)),
                  london)
