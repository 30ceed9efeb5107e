"""360Giving open grants data: export the fund's awards as a validated package, and import other funders'.

The export follows the 360Giving Data Standard 1.4.3 and validates against its JSON Schema (Draft
2020-12, with format checking on, so that dates and web addresses are checked too):

- each grant's recipient is the lead council, identified in the ``GB-LAE`` scheme (``GB-LAE-NWM``);
- partner councils are the grant's beneficiary locations, each with its ONS code (``geoCodeType``
  ``LONB``, London Boroughs);
- the strand is the grant programme.

Imports are checked against the same schema and land whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from boroughs.core.db import utcnow
from boroughs.core.errors import DataError
from boroughs.core.models import Organisation
from boroughs.fund._london import BY_ONS, lae_identifier
from boroughs.fund.blind import DECISIONS_PUBLISHED
from boroughs.fund.models import Award, Call, ExternalGrant, Project, Proposal, Strand
from boroughs.fund.projects import REPORT_INTERVAL_MONTHS, REPORTS_PER_PROJECT

SCHEMA_DIR = Path(__file__).resolve().parent / "schema360"
PACKAGE_SCHEMA = "360-giving-package-schema.json"
GRANT_SCHEMA = "360-giving-schema.json"
GRANT_SCHEMA_URLS = (
    "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json",
    "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.3/schema/360-giving-schema.json",
)
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
MAX_IMPORT_BYTES = 200 * 1024 * 1024


@lru_cache
def validator(schema_dir: Path = SCHEMA_DIR) -> Draft202012Validator:
    """A Draft 2020-12 validator for a 360Giving package, with the grant schema registered locally."""
    pkg = json.loads((schema_dir / PACKAGE_SCHEMA).read_text(encoding="utf-8"))
    grant = json.loads((schema_dir / GRANT_SCHEMA).read_text(encoding="utf-8"))
    resource = DRAFT202012.create_resource(grant)
    urls = {*GRANT_SCHEMA_URLS, grant["$id"], pkg["properties"]["grants"]["items"]["$ref"]}
    registry: Registry[Any] = Registry().with_resources([(u, resource) for u in urls])
    return Draft202012Validator(pkg, registry=registry, format_checker=FormatChecker())


def validate(data: Any, schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Every schema error in a package, as 'grant 3 (360G-X-1): awardDate: ...' lines; empty if valid."""
    errors = []
    grants = data.get("grants") if isinstance(data, dict) else None
    for err in sorted(validator(schema_dir).iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = list(err.absolute_path)
        where = "package"
        if len(path) >= 2 and path[0] == "grants" and isinstance(path[1], int):
            gid = grants[path[1]].get("id") if isinstance(grants, list) and isinstance(grants[path[1]], dict) else None
            where = f"grant {path[1] + 1}" + (f" ({gid})" if gid else "")
            path = path[2:]
        field = "/".join(str(p) for p in path) or "(whole record)"
        errors.append(f"{where}: {field}: {err.message}")
    return errors


# --- export --------------------------------------------------------------------------------------

def org_identifier(org: Organisation, fallback_prefix: str) -> str:
    """An org-id.guide identifier: GB-LAE for London councils, GB-CHC / GB-COH for registered bodies."""
    if org.ons_code:
        lae = lae_identifier(org.ons_code)
        if lae:
            return lae
    if org.charity_number:
        return f"GB-CHC-{org.charity_number}"
    if org.company_number:
        return f"GB-COH-{org.company_number}"
    return f"{fallback_prefix}-{org.slug}"


def _location(org: Organisation) -> dict[str, Any] | None:
    if not org.ons_code:
        return None
    b = BY_ONS.get(org.ons_code)
    loc: dict[str, Any] = {"name": b.name if b else org.name, "geoCode": org.ons_code, "countryCode": "GB"}
    if org.ons_code.startswith("E09"):
        loc["geoCodeType"] = "LONB"
    return loc


def grant_record(award: Award, *, base_url: str | None = None) -> dict[str, Any]:
    p: Proposal = award.proposal
    call: Call = p.call
    strand: Strand = award.strand
    lead = p.lead_org
    partners = [x.organisation for x in p.partners if x.kind in ("lead", "partner")]
    others = [o.name for o in partners if o.id != lead.id]
    vcs = [x.organisation.name for x in p.partners if x.kind == "vcs"]
    desc = p.summary.strip() or p.title
    desc += f" Led by {lead.name}" + (f" with {', '.join(others)}" if others else "") + "."
    if vcs:
        desc += f" Voluntary sector partners: {', '.join(vcs)}."
    record: dict[str, Any] = {
        "id": award.grant_id,
        "title": p.title[:140],
        "description": desc,
        "currency": call.currency,
        "amountAppliedFor": p.amount_requested,
        "amountAwarded": award.amount,
        "awardDate": award.award_date.isoformat(),
        "plannedDates": [{"startDate": award.award_date.isoformat(),
                          "duration": REPORTS_PER_PROJECT * REPORT_INTERVAL_MONTHS}],
        "recipientOrganization": [{"id": org_identifier(lead, call.grant_prefix), "name": lead.name}],
        "fundingOrganization": [{"id": org_identifier(call.fund_body, call.grant_prefix),
                                 "name": call.fund_body.name}],
        "grantProgramme": [{"code": f"{call.slug}/{strand.slug}", "title": f"{call.title}: {strand.title}"}],
        "dateModified": award.created_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
    }
    locations = [loc for loc in (_location(o) for o in partners) if loc]
    if locations:
        record["beneficiaryLocation"] = locations
    if base_url:
        record["url"] = f"{base_url.rstrip('/')}/fund/calls/{call.slug}"
    return record


def export_package(
    session: Session, *, call_slug: str | None = None, base_url: str | None = None, include_demo: bool = True
) -> dict[str, Any]:
    q = select(Award).join(Strand).join(Call).order_by(Call.id, Award.id)
    if call_slug:
        q = q.where(Call.slug == call_slug)
    if not include_demo:
        q = q.where(Call.is_demo.is_(False))
    # a blind call's grants (which name the partners) wait until its decisions are published (issue 17)
    q = q.where(or_(Call.blind_review.is_(False), Call.phase.in_(DECISIONS_PUBLISHED)))
    awards = list(session.execute(q).scalars())
    grants = [grant_record(a, base_url=base_url) for a in awards]
    now = utcnow().isoformat(timespec="seconds")
    pkg: dict[str, Any] = {
        "version": "1.4",
        "title": "Collaborative innovation fund grants",
        "description": "Grants awarded to partnerships of councils through Boroughs, as 360Giving open data.",
        "issued": now,
        "modified": now,
        "license": LICENSE,
        "grants": grants,
    }
    if awards:
        body = awards[0].proposal.call.fund_body
        pkg["publisher"] = {"name": body.name,
                            "identifier": org_identifier(body, awards[0].proposal.call.grant_prefix)}
        pkg["identifier"] = f"{awards[0].proposal.call.grant_prefix}-grants"
    return pkg


@dataclass
class ExportResult:
    path: Path
    grants: int


def write_export(session: Session, out: Path, **kw: Any) -> ExportResult:
    """Write a validated package to ``out``. Refuses (writing nothing) if it does not validate or is empty."""
    pkg = export_package(session, **kw)
    if not pkg["grants"]:
        raise DataError(out, "there are no awards to export yet",
                        hint="Make an award on the decision screen first (360Giving packages need one grant).")
    errors = validate(pkg)
    if errors:
        raise DataError(out, "the export does not validate against the 360Giving schema: " + "; ".join(errors[:5]))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(pkg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out)
    return ExportResult(out, len(pkg["grants"]))


# --- import --------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    source: str
    grants: int
    replaced: int
    funders: list[str]


def read_package(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(path, "file not found")
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise DataError(path, f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB",
                        hint="Split it into smaller packages.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(path, f"the file is not UTF-8 text (byte {e.start})",
                        hint="Save it as UTF-8 JSON; convert spreadsheets with 360Giving's tools first.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(path, f"not valid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    if not isinstance(data, dict) or "grants" not in data:
        raise DataError(path, "not a 360Giving package: it has no 'grants' list")
    return data


def import_package(session: Session, path: Path, *, source: str | None = None) -> ImportResult:
    """Import a published 360Giving JSON package, replacing any earlier import from the same source."""
    data = read_package(path)
    errors = validate(data)
    if errors:
        raise DataError(path, f"{len(errors)} problems against the 360Giving schema, first: "
                        + "; ".join(errors[:5]), hint="Nothing was imported.")
    source = (source or path.stem)[:120]
    seen: dict[str, int] = {}
    dupes = []
    for i, g in enumerate(data["grants"], start=1):
        if g["id"] in seen:
            dupes.append(i)
        seen.setdefault(g["id"], i)
    if dupes:
        raise DataError(path, "grant identifiers repeat", column="id", rows=dupes, hint="Nothing was imported.")
    old = session.execute(delete(ExternalGrant).where(ExternalGrant.source == source))
    replaced = getattr(old, "rowcount", 0) or 0
    funders: set[str] = set()
    for g in data["grants"]:
        funder = g["fundingOrganization"][0]
        recipient = (g.get("recipientOrganization") or [{}])[0]
        funders.add(funder["name"])
        session.add(ExternalGrant(
            source=source, grant_id=g["id"][:200], title=g["title"][:500], description=g.get("description", ""),
            currency=g["currency"], amount_awarded=float(g["amountAwarded"]), award_date=g["awardDate"][:40],
            funder_id=funder["id"][:200], funder_name=funder["name"][:300],
            recipient_id=(recipient.get("id") or None), recipient_name=(recipient.get("name") or None),
            raw=g,
        ))
    session.flush()
    return ImportResult(source, len(data["grants"]), replaced, sorted(funders))


def external_grants(session: Session, *, source: str | None = None, limit: int = 200) -> list[ExternalGrant]:
    q = select(ExternalGrant).order_by(ExternalGrant.award_date.desc(), ExternalGrant.id).limit(limit)
    if source:
        q = q.where(ExternalGrant.source == source)
    return list(session.execute(q).scalars())


def project_for_award(session: Session, award: Award) -> Project | None:
    return session.execute(select(Project).where(Project.award_id == award.id)).scalar_one_or_none()
