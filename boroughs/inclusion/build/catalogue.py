"""The indicator catalogue (``data/indicators.yaml``), loaded and checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from boroughs.core.errors import DataError

REQUIRED = ("id", "name", "description", "source", "year", "formula", "need_type", "direction", "licence", "evidence")
STRENGTHS = ("direct", "indirect")


@dataclass(frozen=True)
class NeedType:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    description: str
    source: tuple[str, ...]
    year: int
    formula: dict[str, str]
    need_type: str
    direction: int
    licence: str
    england: bool = False
    #: the evidence for ``direction``: a table in the data folder or a published study named with its year
    evidence: str = ""
    evidence_strength: str = "direct"  # direct (a table of internet use) | indirect (a related measure)
    #: None when the indicator is in the learned model; else why it is left out (and what replaces it)
    model_exclusion: str | None = None
    replaced_by: str | None = None


@dataclass(frozen=True)
class Catalogue:
    need_types: dict[str, NeedType]
    indicators: tuple[Indicator, ...]
    justifications: dict[frozenset[str], str] = field(default_factory=dict)
    path: str = ""

    @property
    def ids(self) -> list[str]:
        return [i.id for i in self.indicators]

    def by_id(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def in_model(self) -> list[bool]:
        """Which indicators the learned model uses: all but those left out as collinear or replaced
        (an indicator replaced by one missing from this catalogue, e.g. in England mode, stays in)."""
        ids = set(self.ids)
        return [i.model_exclusion is None or (i.replaced_by is not None and i.replaced_by not in ids)
                for i in self.indicators]

    def of_type(self, need_type: str) -> list[Indicator]:
        return [i for i in self.indicators if i.need_type == need_type]

    def subset(self, ids: list[str]) -> Catalogue:
        keep = tuple(i for i in self.indicators if i.id in set(ids))
        types = {t: nt for t, nt in self.need_types.items() if any(i.need_type == t for i in keep)}
        return Catalogue(types, keep, self.justifications, self.path)

    def justification(self, a: str, b: str) -> str | None:
        return self.justifications.get(frozenset((a, b)))

    def as_records(self) -> list[dict[str, Any]]:
        return [
            {
                "id": i.id,
                "name": i.name,
                "description": i.description,
                "source": list(i.source),
                "year": i.year,
                "formula": i.formula,
                "need_type": i.need_type,
                "direction": i.direction,
                "licence": i.licence,
                "england": i.england,
                "evidence": i.evidence,
                "evidence_strength": i.evidence_strength,
                "in_model": used,
                "model_exclusion": None if used else i.model_exclusion,
            }
            for i, used in zip(self.indicators, self.in_model(), strict=True)
        ]


def default_path() -> Path:
    return Path(str(resources.files("boroughs.inclusion") / "data" / "indicators.yaml"))


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and check the catalogue: required fields, known need types, unique ids, ±1 directions."""
    path = path or default_path()
    try:
        # The C loader when PyYAML has it (ten times faster; the same safe subset of YAML).
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(path, f"the indicator catalogue cannot be read ({exc})") from exc
    if not isinstance(doc, dict) or "indicators" not in doc or "need_types" not in doc:
        raise DataError(path, "the catalogue needs 'need_types' and 'indicators'")
    types = {
        k: NeedType(k, str(v["name"]), str(v["description"])) for k, v in dict(doc["need_types"]).items()
    }
    seen: set[str] = set()
    indicators = []
    for n, raw in enumerate(doc["indicators"], start=1):
        missing = [f for f in REQUIRED if f not in raw]
        if missing:
            raise DataError(path, f"indicator {n} lacks {', '.join(missing)}", column=missing[0], rows=[n])
        if raw["id"] in seen:
            raise DataError(path, f"duplicated indicator id {raw['id']!r}", column="id", rows=[n])
        if raw["need_type"] not in types:
            raise DataError(path, f"unknown need type {raw['need_type']!r}", column="need_type", rows=[n])
        if raw["direction"] not in (1, -1):
            raise DataError(path, "direction must be 1 or -1", column="direction", rows=[n])
        if not str(raw["evidence"]).strip():
            raise DataError(path, f"indicator {raw['id']!r} gives no evidence for its direction", column="evidence",
                            rows=[n])
        strength = str(raw.get("evidence_strength", "direct"))
        if strength not in STRENGTHS:
            raise DataError(path, f"evidence_strength must be one of {', '.join(STRENGTHS)}",
                            column="evidence_strength", rows=[n])
        model = raw.get("model") or {}
        seen.add(raw["id"])
        indicators.append(
            Indicator(
                id=str(raw["id"]),
                name=str(raw["name"]),
                description=str(raw["description"]),
                source=tuple(raw["source"]),
                year=int(raw["year"]),
                formula={str(k): str(v) for k, v in dict(raw["formula"]).items()},
                need_type=str(raw["need_type"]),
                direction=int(raw["direction"]),
                licence=str(raw["licence"]),
                england=bool(raw.get("england", False)),
                evidence=str(raw["evidence"]),
                evidence_strength=strength,
                model_exclusion=str(model["reason"]) if model else None,
                replaced_by=str(model["replaced_by"]) if model and model.get("replaced_by") else None,
            )
        )
    just = {}
    for pair, text in dict(doc.get("justifications") or {}).items():
        a, _, b = str(pair).partition("|")
        if a not in seen or b not in seen:
            raise DataError(path, f"justification {pair!r} names an unknown indicator")
        just[frozenset((a, b))] = str(text)
    return Catalogue(types, tuple(indicators), just, str(path))
