"""Import of ORUK 3.0 JSON and ORUK 1.0 feeds into the directory.

Import keeps every valid service and reports each faulty record and field: a faulty optional value is
dropped (or repaired, when the repair is unambiguous: a web address without ``https://``), and a record
without the fields a service cannot exist without (an id and a name) is skipped. Either the whole import
lands or none of it does (the caller's transaction).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core.errors import DataError
from boroughs.support.directory.models import (
    DirContact,
    DirImport,
    DirLocation,
    DirOrganisation,
    DirSchedule,
    DirService,
    DirTaxonomy,
    DirTerm,
)
from boroughs.support.directory.oruk.schema import STATUSES, UUID_NS, spec_dir, v1_item_validator, validator

# ---------------------------------------------------------------------------------------------- import

@dataclass
class Fault:
    record: str
    name: str
    field: str
    value: str
    problem: str
    action: str

    def as_dict(self) -> dict[str, str]:
        return self.__dict__.copy()


@dataclass
class ImportReport:
    source: str
    version: str
    read: int = 0
    kept: int = 0
    created: int = 0
    updated: int = 0
    faults: list[Fault] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.read - self.kept

    def faulty_records(self) -> int:
        return len({f.record for f in self.faults})

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.faults:
            key = f"{f.field}: {f.action}"
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


_TAG = re.compile(r"<[^>]+>")


def plain_text(value: str | None) -> str:
    """HTML descriptions (common in ORUK feeds) as plain text with paragraphs kept."""
    if not value:
        return ""
    text = re.sub(r"(?i)</p>|<br\s*/?>", "\n", value)
    text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ")
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
        return len(str(value)) == 36
    except ValueError:
        return False


def _set_service_fields(svc: Any, item: dict[str, Any], clean: Any) -> None:
    """The service fields ORUK 1.0 and 3.0 share, cleaned the same way (faults recorded by ``clean``)."""
    svc.name = str(item["name"]).strip()
    svc.description = plain_text(item.get("description"))
    svc.url = clean.url("url", item.get("url"))
    svc.email = clean.email("email", item.get("email"))
    svc.status = clean.choice("status", item.get("status"), STATUSES, "active") or "active"
    svc.fees = clean.text(item.get("fees"))
    svc.accreditations = clean.text(item.get("accreditations"))


def _stable_uuid(source: str, kind: str, value: Any) -> str:
    return value if _is_uuid(value) else str(uuid.uuid5(UUID_NS, f"{source}:{kind}:{value}"))


_fc = FormatChecker()


def _valid_uri(v: str) -> bool:
    return bool(re.match(r"^(https?)://", v)) and _fc.conforms(v, "uri")


def _valid_email(v: str) -> bool:
    return bool(re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", v))


class _Cleaner:
    """Checks one record's values, reporting and dropping or repairing the faulty ones."""

    def __init__(self, report: ImportReport, record: str, name: str) -> None:
        self.report, self.record, self.name = report, record, name

    def fault(self, fld: str, value: Any, problem: str, action: str) -> None:
        self.report.faults.append(Fault(self.record, self.name, fld, str(value)[:200], problem, action))

    def text(self, value: Any) -> str | None:
        if value is None:
            return None
        s = str(value).strip()
        return s or None

    def blank(self, fld: str, value: Any, expected: str) -> bool:
        """An empty string where the standard wants a value or nothing: reported, treated as not given."""
        if isinstance(value, str) and not value.strip():
            self.fault(fld, value, f"empty text where the standard expects {expected} or null",
                       "treated as not given")
            return True
        return False

    def url(self, fld: str, value: Any) -> str | None:
        if self.blank(fld, value, "a web address"):
            return None
        s = self.text(value)
        if s is None:
            return None
        if _valid_uri(s):
            return s
        if re.match(r"^[\w.-]+\.[a-z]{2,}(/\S*)?$", s, re.I) and _valid_uri("https://" + s):
            self.fault(fld, s, "web address without http:// or https://", "repaired: added https://")
            return "https://" + s
        self.fault(fld, s, "not a valid web address", "dropped")
        return None

    def email(self, fld: str, value: Any) -> str | None:
        if self.blank(fld, value, "an email address"):
            return None
        s = self.text(value)
        if s is None:
            return None
        if _valid_email(s) and _fc.conforms(s, "email"):
            return s
        self.fault(fld, s, "not a valid email address", "dropped")
        return None

    def choice(self, fld: str, value: Any, allowed: Iterable[str], default: str | None) -> str | None:
        if value is None:
            return default
        s = str(value).strip()
        if s in allowed:
            return s
        for a in allowed:
            if s.lower() == a.lower():
                self.fault(fld, s, f"wrong capitals (the standard says {a!r})", f"repaired: {a}")
                return a
        if s == "":
            self.fault(fld, s, "empty text where the standard expects one of its values or null",
                       "treated as not given")
        else:
            self.fault(fld, s, f"not one of {', '.join(allowed)}", "dropped" if default is None else f"set to {default}")
        return default

    def integer(self, fld: str, value: Any, lo: int = 0, hi: int = 130) -> int | None:
        if value in (None, ""):
            return None
        try:
            n = int(float(value))
        except (TypeError, ValueError):
            self.fault(fld, value, "not a number", "dropped")
            return None
        if not lo <= n <= hi:
            self.fault(fld, value, f"outside {lo}–{hi}", "dropped")
            return None
        return n

    def date(self, fld: str, value: Any) -> str | None:
        s = self.text(value)
        if s is None:
            return None
        try:
            return dt.date.fromisoformat(s[:10]).isoformat()
        except ValueError:
            self.fault(fld, s, "not a date (YYYY-MM-DD)", "dropped")
            return None


class _Upserter:
    def __init__(self, db: Session, source: str) -> None:
        self.db, self.source = db, source
        self._orgs: dict[str, DirOrganisation] = {}
        self._taxonomies: dict[str, DirTaxonomy] = {}
        self._terms: dict[str, DirTerm] = {}

    def organisation(self, uid: str, **values: Any) -> DirOrganisation:
        org = self._orgs.get(uid) or self.db.scalar(select(DirOrganisation).where(DirOrganisation.uuid == uid))
        if org is None:
            org = DirOrganisation(uuid=uid, source=self.source, **values)
            self.db.add(org)
        else:
            for k, v in values.items():
                setattr(org, k, v)
        self._orgs[uid] = org
        return org

    def taxonomy(self, uid: str, name: str, description: str = "", uri: str | None = None) -> DirTaxonomy:
        tax = self._taxonomies.get(uid) or self.db.scalar(select(DirTaxonomy).where(DirTaxonomy.uuid == uid))
        if tax is None:
            tax = DirTaxonomy(uuid=uid, name=name, description=description or name, uri=uri)
            self.db.add(tax)
            self.db.flush()
        self._taxonomies[uid] = tax
        return tax

    def term(self, tax: DirTaxonomy, uid: str, code: str, name: str, description: str = "",
             kind: str = "category") -> DirTerm:
        term = self._terms.get(uid) or self.db.scalar(select(DirTerm).where(DirTerm.uuid == uid))
        if term is None:
            term = self.db.scalar(select(DirTerm).where(DirTerm.taxonomy_id == tax.id, DirTerm.code == code))
        if term is None:
            term = DirTerm(uuid=uid, taxonomy_id=tax.id, code=code, name=name, description=description or name,
                           kind=kind)
            term.taxonomy = tax
            self.db.add(term)
        self._terms[uid] = term
        return term

    def service(self, uid: str, org: DirOrganisation) -> tuple[DirService, bool]:
        svc = self.db.scalar(select(DirService).where(DirService.uuid == uid))
        if svc is None:
            svc = DirService(uuid=uid, organisation=org, name="", source=self.source, areas=[])
            self.db.add(svc)
            return svc, True
        svc.organisation = org
        return svc, False


def _items_of(data: Any, keys: tuple[str, ...]) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for k in keys:
            if isinstance(data.get(k), list):
                return list(data[k])
        if "id" in data and "name" in data:
            return [data]
    raise DataError("(input)", "not an ORUK document: expected a list of services or a page with "
                    f"{' or '.join(repr(k) for k in keys)}")


def read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(path, f"cannot be read ({exc.strerror})") from exc
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DataError(path, "is not UTF-8 text", hint="Save the feed as UTF-8 and try again.") from exc
    except json.JSONDecodeError as exc:
        raise DataError(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc


def detect_version(data: Any) -> str:
    items = _items_of(data, ("contents", "content"))
    if isinstance(data, dict) and "content" in data and "contents" not in data:
        return "1.0"
    sample = items[0] if items else {}
    if isinstance(sample, dict) and any(k in sample for k in (
            "deliverable_type", "attending_type", "service_taxonomys", "eligibilitys", "regular_schedules")):
        return "1.0"
    return "3.0"


def import_oruk(db: Session, data: Any, source: str, version: str | None = None) -> ImportReport:
    """Import ORUK 3.0 or 1.0 (detected unless given) into the directory; returns the fault report.

    The changes are flushed in the caller's transaction: commit to keep them, roll back to lose them all.
    """
    version = version or detect_version(data)
    if version == "1.0":
        report = _import_v1(db, data, source)
    elif version == "3.0":
        report = _import_v3(db, data, source)
    else:
        raise ValueError(f"unknown ORUK version {version!r}: use 1.0 or 3.0")
    db.add(DirImport(source=source[:300], version=version, services_read=report.read, services_kept=report.kept,
                     faults=[f.as_dict() for f in report.faults]))
    db.flush()
    return report


def _usable(report: ImportReport, item: Any, n: int) -> _Cleaner | None:
    """The record's cleaner, or None (with the fault reported) when it is not a service at all: not a JSON
    object, or without the id and name a service cannot exist without."""
    rec, name = _record_key(item, n)
    clean = _Cleaner(report, rec, name)
    if not isinstance(item, dict):
        clean.fault("(record)", "…", "not a JSON object", "record skipped")
        return None
    if not clean.text(item.get("id")) or not clean.text(item.get("name")):
        clean.fault("id" if not clean.text(item.get("id")) else "name", item.get("id") or "",
                    "a service needs an id and a name", "record skipped")
        return None
    return clean


def _record_key(item: Any, n: int) -> tuple[str, str]:
    if isinstance(item, dict):
        return str(item.get("id") or f"item {n}"), str(item.get("name") or "")[:120]
    return f"item {n}", ""


def _schema_faults(errors: Iterator[Any], clean: _Cleaner, handled: set[str]) -> None:
    """Report schema errors that the field-by-field cleaning does not already handle."""
    for e in errors:
        where = "/".join(str(p) for p in e.absolute_path) or "(record)"
        top = str(e.absolute_path[0]) if e.absolute_path else "(record)"
        if top in handled or where in handled:
            continue
        clean.fault(where, e.instance if not isinstance(e.instance, (dict, list)) else "…", e.message[:200],
                    "ignored (field not used by Boroughs)")


def _import_v1(db: Session, data: Any, source: str) -> ImportReport:
    items = _items_of(data, ("content", "contents"))
    report = ImportReport(source, "1.0", read=len(items))
    check = v1_item_validator(str(spec_dir()))
    up = _Upserter(db, source)
    audience_tax = None
    for n, item in enumerate(items, 1):
        clean = _usable(report, item, n)
        if clean is None:
            continue
        handled = {"id", "name", "url", "email", "status", "deliverable_type", "attending_type",
                   "attending_access", "assured_date", "organization", "fees", "accreditations", "description"}
        _schema_faults(check.iter_errors(item), clean, handled)
        org_in: dict[str, Any] = item["organization"] if isinstance(item.get("organization"), dict) else {}
        if not org_in.get("id") or not org_in.get("name"):
            clean.fault("organization", "…", "a service needs an organisation with an id and a name",
                        "record skipped")
            continue
        org_uid = _stable_uuid(source, "organization", org_in["id"])
        org = up.organisation(
            org_uid, name=str(org_in["name"]).strip(), description=plain_text(org_in.get("description")),
            website=clean.url("organization/url", org_in.get("url")),
            email=clean.email("organization/email", org_in.get("email")),
        )
        clean.blank("organization/uri", org_in.get("uri"), "a web address")
        for key, allowed in (("deliverable_type", ("Advice", "Assessment", "Counselling", "Equipment",
                                                   "Financial Support", "Information", "Permission", "Training")),
                             ("attending_type", ("phone", "online", "venue", "home visit")),
                             ("attending_access", ("referral", "appointment", "membership", "drop-in"))):
            if key in item:
                clean.choice(key, item[key], allowed, None)
        uid = _stable_uuid(source, "service", item["id"])
        if uid != item["id"]:
            clean.fault("id", item["id"], "not a UUID (ORUK 3.0 needs one)", "given a stable UUID")
        svc, created = up.service(uid, org)
        _set_service_fields(svc, item, clean)
        svc.assured_date = clean.date("assured_date", item.get("assured_date"))
        svc.source = source[:100]
        terms: list[DirTerm] = []
        for ent in item.get("pc_targetAudience") or []:
            label = str(ent.get("audienceType") or "").strip() if isinstance(ent, dict) else ""
            if not label:
                clean.fault("pc_targetAudience", ent, "an audience with no name", "dropped")
                continue
            if audience_tax is None:
                audience_tax = up.taxonomy(_stable_uuid(source, "taxonomy", "pc_targetAudience"),
                                           "Target audience", f"Who services are for, from {source}")
            code = label.replace(">", " > ")
            code = re.sub(r"\s+", " ", code).strip()
            terms.append(up.term(audience_tax, _stable_uuid(source, "audience", code), code, code,
                                 kind="eligibility"))
        for tx in item.get("service_taxonomys") or []:
            t = tx.get("taxonomy") if isinstance(tx, dict) else None
            if not isinstance(t, dict) or not t.get("id") or not t.get("name"):
                clean.fault("service_taxonomys", "…", "a taxonomy term needs an id and a name", "dropped")
                continue
            vocab = str(t.get("vocabulary") or "ORUK 1.0 taxonomy")
            tax = up.taxonomy(_stable_uuid(source, "taxonomy", vocab), vocab)
            terms.append(up.term(tax, _stable_uuid(source, "term", f"{vocab}:{t['id']}"), str(t["id"]),
                                 str(t["name"])))
        ages = [e for e in (item.get("eligibilitys") or []) if isinstance(e, dict)]
        for e in ages:
            svc.minimum_age = clean.integer("eligibilitys/minimum_age", e.get("minimum_age"))
            svc.maximum_age = clean.integer("eligibilitys/maximum_age", e.get("maximum_age"))
        svc.terms = list(dict.fromkeys(terms))
        if created:
            report.created += 1
        else:
            report.updated += 1
        report.kept += 1
    db.flush()
    return report


def _import_v3(db: Session, data: Any, source: str) -> ImportReport:
    items = _items_of(data, ("contents",))
    report = ImportReport(source, "3.0", read=len(items))
    check = validator("service")
    up = _Upserter(db, source)
    for n, item in enumerate(items, 1):
        clean = _usable(report, item, n)
        if clean is None:
            continue
        handled = {"url", "email", "status", "assured_date", "minimum_age", "maximum_age", "organization",
                   "assurer_email"}
        _schema_faults(check.iter_errors(item), clean, handled)
        org_in = item.get("organization") if isinstance(item.get("organization"), dict) else None
        org_id = (org_in or {}).get("id") or item.get("organization_id")
        if not org_id:
            clean.fault("organization", "…", "a service needs its organisation", "record skipped")
            continue
        org_uid = _stable_uuid(source, "organization", org_id)
        existing = db.scalar(select(DirOrganisation).where(DirOrganisation.uuid == org_uid))
        if org_in is None and existing is None:
            clean.fault("organization_id", org_id, "an organisation not in this document or the directory",
                        "record skipped")
            continue
        if org_in is not None:
            org = up.organisation(org_uid, name=str(org_in.get("name") or "Unnamed organisation"),
                                  description=plain_text(org_in.get("description")),
                                  website=clean.url("organization/website", org_in.get("website")),
                                  email=clean.email("organization/email", org_in.get("email")))
        else:
            assert existing is not None
            org = existing
        uid = _stable_uuid(source, "service", item["id"])
        if uid != item["id"]:
            clean.fault("id", item["id"], "not a UUID", "given a stable UUID")
        svc, created = up.service(uid, org)
        _set_service_fields(svc, item, clean)
        svc.minimum_age = clean.integer("minimum_age", item.get("minimum_age"))
        svc.maximum_age = clean.integer("maximum_age", item.get("maximum_age"))
        svc.assured_date = clean.date("assured_date", item.get("assured_date"))
        svc.source = source[:100]
        svc.locations = []
        svc.schedules = []
        svc.contacts = []
        db.flush()
        for sal in item.get("service_at_locations") or []:
            loc = (sal or {}).get("location") if isinstance(sal, dict) else None
            if not isinstance(loc, dict) or not loc.get("id"):
                clean.fault("service_at_locations", "…", "a location without an id", "dropped")
                continue
            addr = next((a for a in loc.get("addresses") or [] if isinstance(a, dict)), {})
            svc.locations.append(DirLocation(
                uuid=_stable_uuid(source, "location", f"{loc['id']}:{uid}"),
                sal_uuid=_stable_uuid(source, "sal", sal.get("id") or f"{uid}:{loc['id']}"),
                location_type=clean.choice("location/location_type", loc.get("location_type"),
                                           ("physical", "postal", "virtual"), "physical") or "physical",
                name=clean.text(loc.get("name")), description=clean.text(loc.get("description")),
                latitude=loc.get("latitude") if isinstance(loc.get("latitude"), (int, float)) else None,
                longitude=loc.get("longitude") if isinstance(loc.get("longitude"), (int, float)) else None,
                address_1=clean.text(addr.get("address_1")), city=clean.text(addr.get("city")),
                postcode=clean.text(addr.get("postal_code")),
            ))
        for s in item.get("schedules") or []:
            if not isinstance(s, dict):
                continue
            svc.schedules.append(DirSchedule(
                uuid=_stable_uuid(source, "schedule", f"{s.get('id') or len(svc.schedules)}:{uid}"),
                freq=clean.choice("schedules/freq", s.get("freq"), ("WEEKLY", "MONTHLY"), None),
                byday=clean.text(s.get("byday")), opens_at=clean.text(s.get("opens_at")),
                closes_at=clean.text(s.get("closes_at")), description=clean.text(s.get("description"))))
        for c in item.get("contacts") or []:
            if not isinstance(c, dict):
                continue
            phones = [p for p in c.get("phones") or [] if isinstance(p, dict) and p.get("number")]
            svc.contacts.append(DirContact(
                uuid=_stable_uuid(source, "contact", f"{c.get('id') or len(svc.contacts)}:{uid}"),
                name=clean.text(c.get("name")), title=clean.text(c.get("title")),
                phone=str(phones[0]["number"]) if phones else None, email=clean.email("contacts/email", c.get("email"))))
        terms: list[DirTerm] = []
        for a in item.get("attributes") or []:
            t = a.get("taxonomy_term") if isinstance(a, dict) else None
            if not isinstance(t, dict) or not t.get("id") or not t.get("name"):
                continue
            tax_key = t.get("taxonomy_id") or t.get("taxonomy") or "ORUK 3.0 taxonomy"
            tax = up.taxonomy(_stable_uuid(source, "taxonomy", tax_key), str(t.get("taxonomy") or tax_key))
            terms.append(up.term(tax, _stable_uuid(source, "term", t["id"]), str(t.get("term") or t["id"]),
                                 str(t["name"]), str(t.get("description") or "")))
        svc.terms = list(dict.fromkeys(terms))
        if created:
            report.created += 1
        else:
            report.updated += 1
        report.kept += 1
    db.flush()
    return report
