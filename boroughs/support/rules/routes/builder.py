"""The rule builder pages (issue 17): ``/support/<council>/rules/<version>/builder`` (a form that writes one
rule, with its YAML beside it), its live check (``.../builder/check``, JSON, used by the small self-hosted
``/static/js/rule-builder.js``; the page works without it), and ``/support/rules-reference``, the rule
language reference generated from the rule language's own tables."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.core import permissions
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import Organisation, OrgKind, User
from boroughs.support.rules import builder as rb
from boroughs.support.rules import language as rules_language
from boroughs.support.rules import permissions as rule_permissions
from boroughs.support.rules import service as rules_service
from boroughs.support.rules import vocabulary as rules_vocabulary
from boroughs.support.rules.models import RuleStatus
from boroughs.web.deps import form_data, get_db, require_user
from boroughs.web.templating import render

assert rule_permissions  # registers the actions

router = APIRouter(include_in_schema=False)


def _draft(db: Session, slug: str, vid: int, user: User) -> tuple[Organisation, Any]:
    org = db.scalar(select(Organisation).where(Organisation.slug == slug, Organisation.kind == OrgKind.COUNCIL.value))
    if org is None:
        raise NotFound("There is no such council.")
    permissions.require(user, "support.rules.edit", org.id)
    v = rules_service.get_version(db, vid)
    if v.organisation_id != org.id:
        raise NotFound("There is no such rule set version.")
    if v.status not in (RuleStatus.DRAFT, RuleStatus.REJECTED):
        raise ValidationFailed("Only a draft can be changed. Start a new draft from the rules page.")
    return org, v


def _existing_ids(body: str) -> set[str]:
    import yaml

    try:
        raw = yaml.safe_load(body) or {}
    except yaml.YAMLError:
        return set()
    return {str(r.get("id")) for r in (raw.get("rules") or []) if isinstance(r, dict)} if isinstance(raw, dict) else set()


def _build(form: Any, body: str) -> rb.Built:
    built = rb.build(form)
    rid = str(form.get("rule_id") or "").strip()
    if rid and rid in _existing_ids(body):
        built.errors.setdefault("rule_id", f"The draft already has a rule {rid!r}: choose another id")
        built.rule = None
    return built


def _page(request: Request, org: Organisation, v: Any, form: Any = None, built: rb.Built | None = None,
          status_code: int = 200) -> Response:
    values = {k: str(form.get(k) or "") for k in form} if form is not None else {}
    return render(request, "support/rules/builder.html", {
        "org": org, "v": v, "base": f"/support/{org.slug}", "values": values,
        "built": built, "errors": built.errors if built else {}, "signals": rb.signals(),
        "comparisons": rb.COMPARISONS, "rows": range(rb.MAX_ROWS), "severities": rules_vocabulary.SEVERITIES,
        "max_days": rules_vocabulary.MAX_DAYS}, status_code)


@router.get("/support/{slug}/rules/{vid}/builder")
def builder(request: Request, slug: str, vid: int, db: Session = Depends(get_db),
            user: User = Depends(require_user)) -> Response:
    """The rule builder: write rules from a form instead of YAML."""
    org, v = _draft(db, slug, vid, user)
    return _page(request, org, v)


@router.post("/support/{slug}/rules/{vid}/builder")
def builder_submit(request: Request, slug: str, vid: int, db: Session = Depends(get_db),
                   user: User = Depends(require_user), form: FormData = Depends(form_data)) -> Response:
    """Save the rules made with the rule builder."""
    org, v = _draft(db, slug, vid, user)
    built = _build(form, v.body)
    if form.get("action") != "add" or built.rule is None:
        return _page(request, org, v, form, built, 422 if built.errors else 200)
    body = rb.add_to_body(v.body, built.rule)
    try:
        rules_language.parse_rules(body, council=org.ons_code)  # the whole draft, checked by the rule language itself
    except rules_language.RuleError as exc:
        built.errors.setdefault("rule_id", " ".join(exc.problems))
        return _page(request, org, v, form, built, 422)
    rules_service.update_draft(db, v, user, body, f"Added rule {built.rule['id']} with the rule builder")
    return RedirectResponse(f"/support/{org.slug}/rules/{v.id}", status_code=303)


@router.post("/support/{slug}/rules/{vid}/builder/check")
def builder_check(slug: str, vid: int, db: Session = Depends(get_db), user: User = Depends(require_user),
                  form: FormData = Depends(form_data)) -> Response:
    """Check the rule builder's form and return the YAML it makes (JSON)."""
    _org, v = _draft(db, slug, vid, user)
    built = _build(form, v.body)
    return JSONResponse({"yaml": built.yaml, "errors": built.errors, "protected": built.protected,
                         "ok": built.rule is not None})


@router.get("/support/rules-reference")
def reference(request: Request) -> Response:
    """The reference of the early-warning rules' language."""
    kinds = [("latest", "the latest value of a measure on the evaluation date"),
             ("change", "how a measure moved over the last days"),
             ("stopped", "a measure above zero some days ago and zero now (an award that ended)"),
             ("record", "the resident has a record in a dataset, optionally with given field values"),
             ("count", "at least so many dated records (contacts, approaches, concerns) in the last days"),
             ("resident", "an attribute of the resident: age, sex, ethnicity or disability")]
    return render(request, "support/rules/reference.html", {
        "kinds": kinds, "measures": sorted(rules_vocabulary.MEASURES.values(), key=lambda m: (m.source, m.name)),
        "sources": rules_vocabulary.SOURCE_LABELS, "events": rules_vocabulary.event_sources(), "protected": rules_language.PROTECTED_CHARACTERISTICS,
        "proxy_sources": rules_language.PROXY_SOURCES, "proxy_where": rules_language.PROXY_WHERE, "ops": rules_vocabulary.OP_WORDS,
        "max_days": rules_vocabulary.MAX_DAYS, "min_justification": rules_language.MIN_JUSTIFICATION, "comparisons": rb.COMPARISONS})
