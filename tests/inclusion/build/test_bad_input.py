"""Bad input: a clear error naming the file, column and rows, and no partial output left behind."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from boroughs.core.errors import DataError
from boroughs.inclusion.build.index import BuildParams, build
from tests.inclusion.conftest import mirror_data

DISABILITY = "census2021/ts038_disability_london_lsoa21.csv"
PARAMS = BuildParams(mc_draws=0)


def _rewrite(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as f:  # type: ignore[operator]
        rows = list(csv.reader(f))
    edit(rows)
    with opener(path, "wt", newline="") as f:  # type: ignore[operator]
        csv.writer(f).writerows(rows)


def _build_fails(data: Path, out: Path) -> DataError:
    with pytest.raises(DataError) as info:
        build(data, out, PARAMS)
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if ".tmp-" in p.name]
    return info.value


def test_missing_file(data_dir: Path, tmp_path: Path) -> None:
    data = mirror_data(data_dir, tmp_path / "data")
    (data / DISABILITY).unlink()
    err = _build_fails(data, tmp_path / "out")
    assert DISABILITY in str(err) and "missing" in str(err)
    assert "https://" in str(err)


def test_renamed_column(data_dir: Path, tmp_path: Path) -> None:
    data = mirror_data(data_dir, tmp_path / "data", except_files=(DISABILITY,))
    _rewrite(data / DISABILITY, lambda rows: rows[0].__setitem__(2, "Disabled"))
    err = _build_fails(data, tmp_path / "out")
    assert err.column == "Disabled under the Equality Act"
    assert DISABILITY in str(err)


def test_non_numeric_value(data_dir: Path, tmp_path: Path) -> None:
    data = mirror_data(data_dir, tmp_path / "data", except_files=(DISABILITY,))
    _rewrite(data / DISABILITY, lambda rows: rows[7].__setitem__(2, "n/a"))
    err = _build_fails(data, tmp_path / "out")
    assert err.column == "Disabled under the Equality Act"
    assert err.rows[0] == 7
    assert "'n/a'" in str(err)


def test_duplicated_code(data_dir: Path, tmp_path: Path) -> None:
    data = mirror_data(data_dir, tmp_path / "data", except_files=(DISABILITY,))
    _rewrite(data / DISABILITY, lambda rows: rows[12].__setitem__(0, rows[11][0]))
    err = _build_fails(data, tmp_path / "out")
    assert err.column == "lsoa21_code" and err.rows == [12]
    assert "duplicated" in str(err)


def test_unknown_code(data_dir: Path, tmp_path: Path) -> None:
    data = mirror_data(data_dir, tmp_path / "data", except_files=(DISABILITY,))
    _rewrite(data / DISABILITY, lambda rows: rows[3].__setitem__(0, "E01999999"))
    err = _build_fails(data, tmp_path / "out")
    assert "unknown LSOA 2021 code 'E01999999'" in str(err)
    assert err.column == "lsoa21_code" and err.rows == [3]


def test_2011_code_where_2021_expected(data_dir: Path, tmp_path: Path) -> None:
    import pandas as pd

    lk = pd.read_csv(data_dir / "lookups/lookup_lsoa11_lsoa21_ltla22_ew.csv.gz")
    london = lk[lk["ltla22_code"].str.startswith("E09")]
    old = london[london["change_code"] == "S"]["lsoa11_code"].iloc[0]
    assert old not in set(london["lsoa21_code"])
    data = mirror_data(data_dir, tmp_path / "data", except_files=(DISABILITY,))
    _rewrite(data / DISABILITY, lambda rows: rows[5].__setitem__(0, old))
    err = _build_fails(data, tmp_path / "out")
    assert "LSOA 2011 code" in str(err) and old in str(err)
    assert err.rows == [5]


def test_truncated_gzip(data_dir: Path, tmp_path: Path) -> None:
    name = "imd2025/iod2025_subdomains_england.csv.gz"
    data = mirror_data(data_dir, tmp_path / "data", except_files=(name,))
    raw = (data / name).read_bytes()
    (data / name).write_bytes(raw[: len(raw) // 2])
    err = _build_fails(data, tmp_path / "out")
    assert name in str(err)


def test_refuses_to_replace_a_folder_that_is_not_an_index(data_dir: Path, tmp_path: Path) -> None:
    from boroughs.core.errors import ValidationFailed

    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("someone's work\n")
    with pytest.raises(ValidationFailed, match="not a built index"):
        build(data_dir, out, PARAMS)
    assert (out / "notes.txt").read_text() == "someone's work\n"


def test_failed_rebuild_keeps_previous_output(data_dir: Path, tmp_path: Path) -> None:
    data = mirror_data(data_dir, tmp_path / "data", except_files=(DISABILITY,))
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"product": "Boroughs digital exclusion index"}')
    (out / "lsoa21.csv").write_text("previous build\n")
    _rewrite(data / DISABILITY, lambda rows: rows[7].__setitem__(3, "lots"))
    with pytest.raises(DataError):
        build(data, out, PARAMS)
    assert (out / "lsoa21.csv").read_text() == "previous build\n"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_cli_reports_a_missing_data_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from boroughs.app import cli as app

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["inclusion", "build", "--data-dir", str(tmp_path / "nowhere"), "--out", str(out)])
    assert res.exit_code == 1
    assert "data directory does not exist" in res.output
    assert not out.exists()


def test_cli_rejects_unknown_weight_names(data_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from boroughs.app import cli as app

    res = CliRunner().invoke(app, ["inclusion", "build", "--data-dir", str(data_dir), "--out", str(tmp_path / "o"),
                                   "--method", "rank", "--weights", "broadband=2"])
    assert res.exit_code == 1 and "unknown weight name 'broadband'" in res.output
