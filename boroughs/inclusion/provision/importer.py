"""Provision in: a CSV of sites (the documented columns) or an Open Referral UK feed or export.

Every row is checked before anything is written. A bad row (an unknown kind, no way to place it, hours
that cannot be read, a site outside London) is reported by row and field, and then nothing is imported:
an import lands whole or not at all. Re-importing a source (the same file name, or ``--source``) replaces
the rows this council imported from it before, so a directory exported again and re-imported stays in step.

CSV columns (``docs/inclusion/provision.md``): ``name`` and ``kind`` are required; the place is
``latitude`` + ``longitude``, or ``easting`` + ``northing`` (British National Grid), or a ``postcode``
found in the postcode file (the ONSPD extract); optional ``address``, ``opening_hours``, ``open_evenings``,
``open_weekends`` (yes/no, overriding what the hours say), ``serves``, ``website`` and ``id``.

ORUK: a 3.0 ``service_list`` page (what ``boroughs support directory export-oruk`` writes), a list of 3.0
services, or a 1.0 feed page (``content``). One site per service *at a location* with a place (coordinates,
or a postcode in the postcode file). Services that are not digital support (no digital keyword in their
name, description or taxonomy terms), not active, or have no physical location are skipped and listed,
not faults; ``--kind`` gives every service one kind when a feed is all digital support.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from boroughs.core import permissions
from boroughs.core.errors import BoroughsError, DataError
from boroughs.core.models import Organisation, User
from boroughs.core.postcodes import coordinates, normalise
from boroughs.inclusion.provision import hours
from boroughs.inclusion.provision.models import KINDS, Provision

# Greater London with a margin (WGS84): a site outside this is almost certainly a mistyped coordinate.
LONDON_BOX = (-0.56, 51.26, 0.36, 51.72)
CSV_COLUMNS = ("id", "name", "kind", "address", "postcode", "latitude", "longitude", "easting", "northing",
               "opening_hours", "open_evenings", "open_weekends", "serves", "website")
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$")

_KIND_WORDS: dict[str, str] = {
    **{k: k for k in KINDS},
    **{label.lower(): k for k, label in KINDS.items()},
    "digital hub": "digital_hub", "hub": "digital_hub", "device lending": "device_lending",
    "device bank": "device_lending", "data bank": "data_bank", "sim bank": "data_bank",
    "data/sim bank": "data_bank", "data or sim bank": "data_bank", "free wifi": "free_wifi", "wifi": "free_wifi",
    "free wi-fi": "free_wifi", "skills course": "skills_course", "digital skills": "skills_course",
    "assisted digital": "assisted_digital", "assisted digital help": "assisted_digital",
}

# ORUK services: the first pattern that matches the name, description and taxonomy terms gives the kind.
_ORUK_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("library", re.compile(r"\blibrar(y|ies)\b", re.I)),
    ("data_bank", re.compile(r"\bsim\b|\bsims\b|data bank|data-bank|mobile data|free data", re.I)),
    ("device_lending", re.compile(r"\bdevices?\b|laptop|tablet|chromebook|lend", re.I)),
    ("free_wifi", re.compile(r"wi-?fi", re.I)),
    ("skills_course", re.compile(r"course|class|skills|training|learn", re.I)),
    ("digital_hub", re.compile(r"\bhub\b", re.I)),
    ("assisted_digital", re.compile(r".", re.I)),
]
_DIGITAL = re.compile(r"digital|online|internet|computer|\bdevices?\b|laptop|tablet|wi-?fi|\bsims?\b|mobile data"
                      r"|librar|\bIT\b|e-?mail|smartphone|get online", re.I)
_ORUK_WEEKDAYS = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR",
                  "saturday": "SA", "sunday": "SU"}


@dataclass
class Fault:
    row: str  # CSV: the spreadsheet row number (the header is row 1); ORUK: the service's position and id
    field: str
    value: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        return {"row": self.row, "field": self.field, "value": self.value, "problem": self.problem}


@dataclass
class Site:
    name: str
    kind: str
    latitude: float
    longitude: float
    address: str = ""
    postcode: str | None = None
    opening_hours: str = ""
    open_evenings: bool | None = None
    open_weekends: bool | None = None
    serves: str = ""
    website: str | None = None
    external_id: str | None = None


@dataclass
class Parsed:
    source_kind: str  # csv | oruk
    sites: list[Site] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (row, name, why)
    read: int = 0


class ImportFailed(BoroughsError):
    """The file has faults; nothing was imported. ``faults`` lists every one (row, field, value, problem)."""

    def __init__(self, path: Path | str, faults: list[Fault]) -> None:
        self.path = Path(path)
        self.faults = faults
        shown = "; ".join(f"row {f.row}, {f.field}: {f.problem}" + (f" ({f.value!r})" if f.value else "")
                          for f in faults[:5])
        more = f" and {len(faults) - 5} more" if len(faults) > 5 else ""
        super().__init__(f"{self.path}: nothing was imported: {len(faults)} fault(s): {shown}{more}")


@dataclass
class ImportResult:
    source: str
    source_kind: str
    read: int
    imported: int
    replaced: int
    skipped: list[tuple[str, str, str]]


# ---- reading ------------------------------------------------------------------------------------


def _in_london(lat: float, lon: float) -> bool:
    return LONDON_BOX[1] <= lat <= LONDON_BOX[3] and LONDON_BOX[0] <= lon <= LONDON_BOX[2]


def _yes_no(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("yes", "y", "true", "1"):
        return True
    if v in ("no", "n", "false", "0"):
        return False
    if v in ("", "unknown"):
        return None
    raise ValueError("expected yes or no")


def _bng_to_wgs84(easting: float, northing: float) -> tuple[float, float]:

    lon, lat = _transformer().transform(easting, northing)
    return float(lat), float(lon)


_TRANSFORMERS: dict[str, Any] = {}


def _transformer() -> Any:
    if "bng" not in _TRANSFORMERS:
        from pyproj import Transformer

        _TRANSFORMERS["bng"] = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    return _TRANSFORMERS["bng"]


def _place(row: str, values: dict[str, str], lookup: dict[str, tuple[float, float]], faults: list[Fault]
           ) -> tuple[float, float] | None:
    lat_s, lon_s = values.get("latitude", "").strip(), values.get("longitude", "").strip()
    e_s, n_s = values.get("easting", "").strip(), values.get("northing", "").strip()
    pc = normalise(values.get("postcode", ""))
    if lat_s or lon_s:
        try:
            lat, lon = float(lat_s), float(lon_s)
        except ValueError:
            bad = "latitude" if not _is_number(lat_s) else "longitude"
            faults.append(Fault(row, bad, values.get(bad, ""), "not a number (decimal degrees, e.g. 51.5416)"))
            return None
    elif e_s or n_s:
        try:
            lat, lon = _bng_to_wgs84(float(e_s), float(n_s))
        except ValueError:
            bad = "easting" if not _is_number(e_s) else "northing"
            faults.append(Fault(row, bad, values.get(bad, ""), "not a number (metres, British National Grid)"))
            return None
    elif pc:
        if not lookup:
            faults.append(Fault(row, "postcode", values.get("postcode", ""),
                                "no postcode file to place it with: give latitude and longitude, or run "
                                "`boroughs data fetch --only lookups.onspd`"))
            return None
        found = lookup.get(pc)
        if found is None:
            faults.append(Fault(row, "postcode", values.get("postcode", ""),
                                "not a live London postcode in the postcode file"))
            return None
        lat, lon = found
    else:
        faults.append(Fault(row, "postcode", "", "no place: give latitude and longitude, easting and northing, "
                                                 "or a postcode"))
        return None
    if not _in_london(lat, lon):
        faults.append(Fault(row, "latitude", f"{lat}, {lon}", "the place is outside London (latitude, longitude "
                                                              "in decimal degrees, WGS84)"))
        return None
    return lat, lon


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_csv(path: Path, text: str, lookup: dict[str, tuple[float, float]], kind: str | None = None) -> Parsed:
    out = Parsed("csv")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("name", "kind") if c not in header and not (c == "kind" and kind)]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)}; the columns are {', '.join(CSV_COLUMNS)}",
                        column=missing[0])
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    if unknown:
        raise DataError(path, f"unknown column {unknown[0]!r}; the columns are {', '.join(CSV_COLUMNS)}",
                        column=unknown[0])
    reader.fieldnames = header
    for n, raw in enumerate(reader, start=2):
        out.read += 1
        row = str(n)
        values = {k: (v or "").strip() for k, v in raw.items() if k}
        before = len(out.faults)
        name = values.get("name", "")
        if not name:
            out.faults.append(Fault(row, "name", "", "required"))
        kind_text = (values.get("kind") or kind or "").strip()
        kind_id = _KIND_WORDS.get(kind_text.lower())
        if kind_id is None:
            out.faults.append(Fault(row, "kind", kind_text, "not one of: " + ", ".join(KINDS)))
        place = _place(row, values, lookup, out.faults)
        try:
            h = hours.parse(values.get("opening_hours"))
        except hours.HoursError as exc:
            out.faults.append(Fault(row, "opening_hours", values.get("opening_hours", ""), str(exc)))
            h = hours.Hours("", None, None)
        flags: dict[str, bool | None] = {}
        for col, derived in (("open_evenings", h.evenings), ("open_weekends", h.weekends)):
            try:
                given = _yes_no(values.get(col, ""))
            except ValueError as exc:
                out.faults.append(Fault(row, col, values.get(col, ""), str(exc)))
                given = None
            flags[col] = given if given is not None else derived
        website = values.get("website") or None
        if website and not re.match(r"^https?://", website):
            out.faults.append(Fault(row, "website", website, "a web address starts with https:// (or http://)"))
        pc = normalise(values.get("postcode", ""))
        if pc and not POSTCODE.match(pc):
            out.faults.append(Fault(row, "postcode", values.get("postcode", ""), "not a UK postcode"))
        if len(out.faults) > before or place is None or kind_id is None:
            continue
        out.sites.append(Site(
            name=name, kind=kind_id, latitude=place[0], longitude=place[1], address=values.get("address", ""),
            postcode=_pretty_postcode(pc) if pc else None, opening_hours=h.text,
            open_evenings=flags["open_evenings"], open_weekends=flags["open_weekends"],
            serves=values.get("serves", ""), website=website, external_id=values.get("id") or None,
        ))
    return out


def _pretty_postcode(pc: str) -> str:
    return f"{pc[:-3]} {pc[-3:]}"


def _items(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("contents", "content", "items"):
            if isinstance(data.get(key), list):
                return list(data[key])
        if "name" in data and "id" in data:
            return [data]
    raise ValueError("not an Open Referral UK document (expected a service_list page, a 1.0 feed page or a list "
                     "of services)")


def _terms(svc: dict[str, Any]) -> list[str]:
    out = []
    for a in svc.get("attributes") or []:
        t = (a or {}).get("taxonomy_term") or {}
        out.append(str(t.get("name") or ""))
    for st in svc.get("service_taxonomys") or []:
        t = (st or {}).get("taxonomy") or {}
        out.append(str(t.get("name") or ""))
    return out


def oruk_kind(svc: dict[str, Any]) -> str | None:
    """The kind of an ORUK service from its name, description and taxonomy terms; ``None`` if not digital."""
    text = " ".join([str(svc.get("name") or ""), str(svc.get("description") or ""), *_terms(svc)])
    if not _DIGITAL.search(text):
        return None
    for kind, pattern in _ORUK_KINDS:
        if pattern.search(text):
            return kind
    return "assisted_digital"


def _schedules(svc: dict[str, Any], sal: dict[str, Any]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for s in [*(svc.get("schedules") or []), *(sal.get("schedules") or []), *(svc.get("regular_schedules") or []),
              *(sal.get("regular_schedules") or [])]:
        if not isinstance(s, dict):
            continue
        s = dict(s)
        weekday = s.get("weekday")
        if weekday and not s.get("byday"):
            code = _ORUK_WEEKDAYS.get(str(weekday).strip().lower())
            if code:
                s["byday"] = code
        out.append(s)
    return out


def parse_oruk(data: Any, lookup: dict[str, tuple[float, float]], kind: str | None = None) -> Parsed:
    out = Parsed("oruk")
    for n, svc in enumerate(_items(data), start=1):
        out.read += 1
        if not isinstance(svc, dict):
            out.faults.append(Fault(str(n), "service", "", "not a JSON object"))
            continue
        sid = str(svc.get("id") or "")
        row = f"{n} (service {sid})" if sid else str(n)
        name = str(svc.get("name") or "").strip()
        if not name:
            out.faults.append(Fault(row, "name", "", "required"))
            continue
        status = str(svc.get("status") or "active").lower()
        if status != "active":
            out.skipped.append((row, name, f"status {status}"))
            continue
        kind_id = kind or oruk_kind(svc)
        if kind_id is None:
            out.skipped.append((row, name, "not digital support (no digital keyword)"))
            continue
        sals = [s for s in (svc.get("service_at_locations") or []) if isinstance(s, dict)]
        placed = False
        for m, sal in enumerate(sals, start=1):
            loc = sal.get("location") or {}
            if not isinstance(loc, dict) or loc.get("location_type") in ("virtual", "postal"):
                continue
            addresses = loc.get("addresses") or loc.get("physical_addresses") or []
            addr = addresses[0] if addresses and isinstance(addresses[0], dict) else {}
            postcode = str(addr.get("postal_code") or "")
            values = {"postcode": postcode}
            if loc.get("latitude") not in (None, "") and loc.get("longitude") not in (None, ""):
                values.update(latitude=str(loc["latitude"]), longitude=str(loc["longitude"]))
            sub = f"{row}, location {m}"
            place = _place(sub, values, lookup, out.faults)
            placed = True
            if place is None:
                continue
            h = hours.from_schedules(_schedules(svc, sal))
            address = ", ".join(str(addr.get(k)) for k in ("address_1", "address_2", "city") if addr.get(k))
            pc = normalise(postcode)
            out.sites.append(Site(
                name=str(loc.get("name") or name) if len(sals) > 1 else name, kind=kind_id,
                latitude=place[0], longitude=place[1], address=address,
                postcode=_pretty_postcode(pc) if POSTCODE.match(pc) else None, opening_hours=h.text,
                open_evenings=h.evenings, open_weekends=h.weekends,
                serves=_serves(svc), website=str(svc.get("url")) if svc.get("url") else None,
                external_id=f"{sid}:{loc.get('id') or m}",
            ))
        if not placed:
            out.skipped.append((row, name, "no physical location (online or phone only)"))
    return out


def _serves(svc: dict[str, Any]) -> str:
    parts = []
    lo, hi = svc.get("minimum_age"), svc.get("maximum_age")
    if lo or hi:
        parts.append(f"ages {lo or 0}–{hi or 'any'}")
    for e in svc.get("eligibilitys") or []:
        if isinstance(e, dict) and e.get("eligibility"):
            parts.append(str(e["eligibility"]))
    desc = str(svc.get("description") or "").strip()
    if desc:
        parts.append(re.sub(r"<[^>]+>", "", desc)[:300])
    return "; ".join(parts)


def read_file(path: Path, *, kind: str | None = None, data_dir: Path | None = None) -> Parsed:
    """Parse a provision file (CSV or ORUK JSON, told apart by content) without touching the database."""
    if kind is not None and kind not in KINDS:
        raise BoroughsError(f"--kind must be one of: {', '.join(KINDS)}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(path, f"cannot be read ({exc.strerror})") from exc
    return parse_bytes(path, raw, kind=kind, data_dir=data_dir)


def parse_bytes(path: Path, raw: bytes, *, kind: str | None = None, data_dir: Path | None = None) -> Parsed:
    """Parse a provision file's bytes (``path`` names it in messages), without touching the database."""
    if kind is not None and kind not in KINDS:
        raise BoroughsError(f"--kind must be one of: {', '.join(KINDS)}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(path, "is not UTF-8 text", hint="Save the file as UTF-8 (CSV UTF-8 in Excel)") from exc
    lookup = coordinates(data_dir)
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
        try:
            return parse_oruk(data, lookup, kind)
        except ValueError as exc:
            raise DataError(path, str(exc)) from exc
    return parse_csv(path, text, lookup, kind)


# ---- writing ------------------------------------------------------------------------------------


def council(db: Session, slug_or_code: str) -> Organisation:
    org = db.scalar(select(Organisation).where(
        (Organisation.slug == slug_or_code) | (Organisation.ons_code == slug_or_code.upper())))
    if org is None or org.kind != "council":
        raise BoroughsError(f"{slug_or_code!r} is not a council organisation here (use its slug, e.g. 'newham', "
                            "or its ONS code, e.g. E09000025)")
    return org


def import_file(db: Session, path: Path, organisation: Organisation, *, source: str | None = None,
                kind: str | None = None, actor: User | None = None, example: bool = False,
                data_dir: Path | None = None) -> ImportResult:
    """Check every row, then replace this council's rows from ``source`` with the file's sites, in the
    caller's transaction. Raises :class:`ImportFailed` (nothing written) when any row has a fault."""
    if actor is not None:
        permissions.require(actor, "inclusion.provision.import", organisation.id)
    parsed = read_file(path, kind=kind, data_dir=data_dir)
    if parsed.faults:
        raise ImportFailed(path, parsed.faults)
    return store(db, parsed, organisation, source or path.name, example=example)


def import_bytes(db: Session, name: str, raw: bytes, organisation: Organisation, *, actor: User,
                 source: str | None = None, kind: str | None = None) -> ImportResult:
    """An uploaded file (the web page): the same checks and the same replace-by-source as :func:`import_file`."""
    permissions.require(actor, "inclusion.provision.import", organisation.id)
    parsed = parse_bytes(Path(name), raw, kind=kind)
    if parsed.faults:
        raise ImportFailed(name, parsed.faults)
    return store(db, parsed, organisation, source or name)


def store(db: Session, parsed: Parsed, organisation: Organisation, source: str, *, example: bool = False
          ) -> ImportResult:
    if parsed.faults:
        raise ImportFailed(source, parsed.faults)
    replaced = db.scalar(select(func.count()).select_from(Provision).where(
        Provision.organisation_id == organisation.id, Provision.source == source)) or 0
    db.execute(delete(Provision).where(Provision.organisation_id == organisation.id, Provision.source == source))
    for s in parsed.sites:
        db.add(Provision(
            organisation_id=organisation.id, source_kind=parsed.source_kind, source=source,
            external_id=s.external_id, name=s.name, kind=s.kind, address=s.address, postcode=s.postcode,
            latitude=s.latitude, longitude=s.longitude, opening_hours=s.opening_hours,
            open_evenings=s.open_evenings, open_weekends=s.open_weekends, serves=s.serves, website=s.website,
            is_example=example,
        ))
    db.flush()
    from boroughs.inclusion.provision import reach

    reach.forget()
    return ImportResult(source, parsed.source_kind, parsed.read, len(parsed.sites), int(replaced), parsed.skipped)


def clear(db: Session, organisation: Organisation, *, source: str | None = None, actor: User | None = None) -> int:
    if actor is not None:
        permissions.require(actor, "inclusion.provision.clear", organisation.id)
    query = delete(Provision).where(Provision.organisation_id == organisation.id)
    if source:
        query = query.where(Provision.source == source)
    n = db.execute(query).rowcount or 0  # type: ignore[attr-defined]
    from boroughs.inclusion.provision import reach

    reach.forget()
    return int(n)
