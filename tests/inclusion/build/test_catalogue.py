"""The indicator catalogue: one declarative file, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from boroughs.core.errors import DataError
from boroughs.inclusion.build import correlations
from boroughs.inclusion.build.catalogue import default_path, load_catalogue
from boroughs.inclusion.build.indicators import Inputs


def test_catalogue_has_enough_indicators_and_need_types() -> None:
    cat = load_catalogue()
    assert len(cat.indicators) >= 12
    assert len(cat.need_types) >= 4
    assert all(len(cat.of_type(t)) >= 2 for t in cat.need_types)
    for ind in cat.indicators:
        assert ind.name and ind.description and ind.source and ind.formula and ind.licence
    england = [i for i in cat.indicators if i.england]
    assert len(england) >= 12 and len({i.need_type for i in england}) >= 4


def test_every_indicator_is_computed(london_inputs: Inputs) -> None:
    assert list(london_inputs.values.columns) == london_inputs.catalogue.ids
    assert len(london_inputs.values) == 4994
    # Only suppressed counts may be missing, and only for a few areas.
    assert london_inputs.values.isna().mean().max() < 0.05


def test_strong_pairs_within_a_need_type_are_justified(london_inputs: Inputs) -> None:
    corr = correlations.correlation_matrix(london_inputs.values)
    pairs = correlations.strong_pairs(corr, london_inputs.catalogue)
    assert any(p["same_need_type"] for p in pairs)  # there are some, e.g. 65+ and 75+
    assert correlations.unjustified(pairs) == []


def test_bad_catalogue_is_rejected(tmp_path: Path) -> None:
    text = default_path().read_text().replace("need_type: access", "need_type: broadband", 1)
    bad = tmp_path / "indicators.yaml"
    bad.write_text(text)
    with pytest.raises(DataError, match="unknown need type 'broadband'"):
        load_catalogue(bad)
