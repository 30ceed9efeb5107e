"""Loaders read the real files with their checks, and every source is registered with its publisher's URL."""

from __future__ import annotations

import hashlib
from pathlib import Path

from boroughs.core.datasets import REGISTRY
from boroughs.inclusion import sources
from boroughs.inclusion.sources import census, deri, imd, lookups, online_share, ons_internet, population


def test_importing_sources_registers_every_dataset() -> None:
    keys = {k for k in REGISTRY if k.startswith("inclusion.")}
    assert len(keys) >= 25
    for key in keys:
        ds = REGISTRY[key]
        assert ds.url.startswith("https://"), key
        assert ds.licence and ds.publisher and ds.title, key
        assert ds.area == "inclusion"
    assert sources.InputLog is not None


def test_every_data_file_has_a_registered_loader(data_dir: Path) -> None:
    registered = {REGISTRY[k].path for k in REGISTRY if k.startswith("inclusion.")}
    files = {str(p.relative_to(data_dir)) for p in data_dir.rglob("*")
             if p.is_file() and not p.name.endswith(".md")}
    assert files <= registered, sorted(files - registered)


def test_the_other_loaders(data_dir: Path) -> None:
    from boroughs.inclusion.sources import boundaries

    for name, count in (("lsoa11", 4835), ("msoa11", 983), ("wards22", 684), ("boroughs21", 33), ("boroughs24", 33)):
        assert len(boundaries.load_layer(name, data_dir)) == count
    assert len(lookups.load_lsoa11_ltla21(data_dir)) == 34753
    assert len(lookups.load_lsoa11_msoa11(data_dir)) == 41729
    assert len(lookups.load_ruc21(data_dir)) == 35672
    assert lookups.load_oa11_oac(data_dir)["LSOA11CD"].nunique() == 4835
    assert len(imd.load_iod2019_domains(data_dir)) == 32844
    assert len(imd.load_iod2019_subdomains(data_dir)) == 32844
    assert len(imd.load_iod2019_indicators(data_dir)) == 32844
    assert len(deri.load_deri_sources("1.6", data_dir)) == 15
    assert len(deri.load_deri_sources("2.0", data_dir)) == 8


def test_loaders_check_rows_codes_and_record_checksums(data_dir: Path) -> None:
    log = sources.InputLog()
    geo = lookups.london_lsoa21(data_dir, log)
    assert len(geo) == 4994 and geo["ltla24_code"].nunique() == 33
    assert (geo["msoa21_name"] + "A").str[:-1].equals(geo["msoa21_name"])
    bridge = lookups.load_lsoa11_lsoa21(data_dir, log)
    known21 = set(geo["lsoa21_code"])
    known11 = set(bridge[bridge["lsoa21_code"].isin(known21)]["lsoa11_code"])
    assert len(known11) == 4835
    for name in census.LONDON_TABLES:
        frame = census.load_table(name, data_dir, log, known21=known21, known11=known11)
        assert len(frame) == 4994
    assert len(census.load_english(data_dir, log)) == 1002
    assert len(imd.load_imd2025_london(data_dir, log, known21=known21)) == 4994
    assert len(imd.load_imd2019_london(data_dir, log, known11=known11)) == 4835
    pop = population.load_population(data_dir, log, known11=known11)
    assert (pop[[c for c in pop.columns if c.startswith("pop_") and c != "pop_total_2020"]].sum(axis=1)
            <= pop["pop_total_2020"] + 1e-9).all()
    assert len(deri.load_deri(data_dir, log, known11=known11)) == 4835
    online = online_share.load_online_share(data_dir, log, known11=known11)
    assert 0 < len(online) <= 4835  # some boroughs are withheld
    assert online["online_share"].between(0, 1).all()
    tables = ons_internet.load_internet_use(data_dir, log)
    assert (tables.offline_pct["disabled"] >= tables.offline_pct["not_disabled"]).all()
    assert tables.offline_pct.loc["75_plus", "not_disabled"] > tables.offline_pct.loc["16_24", "not_disabled"]
    assert len(tables.nuts3) == 21
    assert ons_internet.nuts3_for_boroughs(tables.nuts3, geo)["ltla24_code"].nunique() == 33
    entry = log.entries["inclusion.census_disability"]
    path = data_dir / str(entry["path"])
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["rows"] == 4994


def test_england_inputs(data_dir: Path) -> None:
    iod = imd.load_iod2025_england(data_dir)
    assert len(iod) == 33755 and iod["lsoa21_code"].is_unique
    age = census.load_age_england(data_dir)
    assert len(age) == 33755
