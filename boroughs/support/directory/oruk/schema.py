"""Open Referral UK's official schemas: where they are read from (``BOROUGHS_ORUK_SPEC_DIR``, default
``<data dir>/../specs/oruk``, never copied into the repository), and validation with JSON Schema Draft
2020-12 (3.0) or Draft 7 (1.0), cross-file ``$ref`` URLs mapped to the local files through a
``referencing.Registry``."""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from boroughs.core.errors import DataError

SCHEMA_BASE = "https://openreferraluk.org/specifications/3.0/schema/"
PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
UUID_NS = uuid.UUID("6f1d3a52-6a0e-4c59-9f39-6a3f0c1b7e01")  # for stable UUIDs of non-UUID source ids


def spec_dir() -> Path:
    """The official ORUK schemas: ``BOROUGHS_ORUK_SPEC_DIR``, else ``<data dir>/../specs/oruk``."""
    from boroughs.config import get_settings

    settings = get_settings()
    folder = settings.oruk_spec_dir or settings.data_dir.parent / "specs" / "oruk"
    if not (folder / "3.0" / "schema").is_dir():
        raise DataError(folder, "the Open Referral UK specification folder was not found",
                        hint="Set BOROUGHS_ORUK_SPEC_DIR to the folder holding 3.0/schema and 1.0/schema.")
    return folder


@lru_cache
def _registry(root: str) -> Registry:
    folder = Path(root) / "3.0" / "schema"
    resources: list[tuple[str, Resource[Any]]] = []
    for p in sorted(folder.glob("*.json")):
        if p.name == "open_api.json":
            continue
        resources.append((SCHEMA_BASE + p.name, DRAFT202012.create_resource(json.loads(p.read_text()))))
    return Registry().with_resources(resources)


@lru_cache
def _schema(root: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(root) / "3.0" / "schema" / f"{name}.json").read_text())
    return data


def validator(name: str) -> Draft202012Validator:
    """A format-checking validator for the ORUK 3.0 schema ``name`` (``service``, ``service_list`` ...)."""
    root = str(spec_dir())
    return Draft202012Validator(_schema(root, name), registry=_registry(root), format_checker=FormatChecker())


def validation_errors(doc: Any, name: str, limit: int = 50) -> list[str]:
    """Plain-English problems of ``doc`` against the ORUK 3.0 schema ``name`` (empty when valid)."""
    out = []
    for e in validator(name).iter_errors(doc):
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        out.append(f"{where}: {e.message}")
        if len(out) >= limit:
            break
    return out


@lru_cache
def v1_item_validator(root: str) -> Draft7Validator:
    schema = json.loads((Path(root) / "1.0" / "schema" / "service_list.json").read_text())
    return Draft7Validator(schema["properties"]["content"]["items"], format_checker=FormatChecker())



def api_details(openapi_url: str) -> dict[str, str]:
    return {"version": "HSDS-UK-3.0", "profile": PROFILE_URL, "openapi_url": openapi_url}
