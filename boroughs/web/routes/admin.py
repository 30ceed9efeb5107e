"""The admin area: organisations, members, invitations, roles and the audit trail."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from boroughs.core import audit, audit_view, permissions
from boroughs.core.errors import NotFound, PermissionDenied, ValidationFailed
from boroughs.core.models import (
    ROLE_LABELS,
    ROLES_BY_KIND,
    Membership,
    Organisation,
    OrgKind,
    User,
)
from boroughs.core.organisations import change_role, create_organisation, invite, remove_membership
from boroughs.web.deps import get_db, require, require_user
from boroughs.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)

KIND_LABELS = {"council": "Council", "vcs": "Voluntary and community sector organisation",
               "fund_body": "Fund body", "platform": "Platform operator"}


def _org_or_404(db: Session, org_id: int) -> Organisation:
    org = db.get(Organisation, org_id)
    if org is None:
        raise NotFound("There is no such organisation.")
    return org


@router.get("", response_class=HTMLResponse)
def admin_home(request: Request, db: Session = Depends(get_db), user: User = Depends(require("admin.view"))) -> HTMLResponse:
    """The administration page: the organisations an administrator looks after."""
    if permissions.can(user, "org.create"):
        orgs = list(db.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name)))
    else:
        visible = permissions.orgs_where(user, "org.view")
        orgs = list(db.scalars(select(Organisation).where(Organisation.id.in_(visible)).order_by(Organisation.name)))
    return render(request, "core/admin/index.html", {"orgs": orgs, "kind_labels": KIND_LABELS,
                                                     "can_create": permissions.can(user, "org.create"),
                                                     "can_audit": permissions.can(user, "audit.view")})


@router.get("/organisations/new", response_class=HTMLResponse)
def org_new(request: Request, user: User = Depends(require("org.create"))) -> HTMLResponse:
    """The form to create an organisation."""
    return render(request, "core/admin/org_new.html", {"errors": {}, "form": {}, "kind_labels": KIND_LABELS})


@router.post("/organisations/new")
def org_create(
    request: Request,
    name: str = Form(""),
    kind: str = Form(""),
    ons_code: str = Form(""),
    charity_number: str = Form(""),
    company_number: str = Form(""),
    db: Session = Depends(get_db),
    user: User = Depends(require("org.create")),
) -> Response:
    """Create an organisation."""
    form = {"name": name, "kind": kind, "ons_code": ons_code, "charity_number": charity_number,
            "company_number": company_number}
    try:
        if kind not in {k.value for k in OrgKind}:
            raise ValidationFailed("Choose the kind of organisation.")
        org = create_organisation(db, name, kind, ons_code=ons_code.strip().upper() or None,
                                  charity_number=charity_number.strip() or None,
                                  company_number=company_number.strip().upper() or None, actor=user)
    except ValidationFailed as exc:
        return render(request, "core/admin/org_new.html", {"errors": {"form": str(exc)}, "form": form,
                                                           "kind_labels": KIND_LABELS}, 400)
    return RedirectResponse(f"/admin/organisations/{org.id}", status_code=303)


@router.get("/organisations/{org_id}", response_class=HTMLResponse)
def org_detail(request: Request, org_id: int, db: Session = Depends(get_db), user: User = Depends(require_user)) -> HTMLResponse:
    """An organisation's page: its members, roles and invitations."""
    org = _org_or_404(db, org_id)
    permissions.require(user, "org.view", org.id)
    members = list(db.scalars(select(Membership).where(Membership.organisation_id == org.id).join(User)
                              .order_by(User.name)))
    return render(request, "core/admin/org.html", {
        "org": org, "members": members, "kind_labels": KIND_LABELS, "role_labels": ROLE_LABELS,
        "roles": ROLES_BY_KIND[OrgKind(org.kind)], "errors": {}, "invite_link": None,
        "can_invite": permissions.can(user, "member.invite", org.id),
        "can_change": permissions.can(user, "member.change_role", org.id),
    })


@router.post("/organisations/{org_id}/invite")
def org_invite(
    request: Request,
    org_id: int,
    email: str = Form(""),
    name: str = Form(""),
    role: str = Form(""),
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Invite someone to an organisation (they are emailed a one-time link)."""
    org = _org_or_404(db, org_id)
    permissions.require(user, "member.invite", org.id)
    errors: dict[str, str] = {}
    link = None
    try:
        if not name.strip():
            raise ValidationFailed("Enter the person's name.")
        _, token = invite(db, org, email, name, role, actor=user)
        link = str(request.base_url).rstrip("/") + f"/invitations/{token}"
    except ValidationFailed as exc:
        errors["invite"] = str(exc)
    members = list(db.scalars(select(Membership).where(Membership.organisation_id == org.id)))
    return render(request, "core/admin/org.html", {
        "org": org, "members": members, "kind_labels": KIND_LABELS, "role_labels": ROLE_LABELS,
        "roles": ROLES_BY_KIND[OrgKind(org.kind)], "errors": errors, "invite_link": link,
        "can_invite": True, "can_change": permissions.can(user, "member.change_role", org.id),
    }, 400 if errors else 200)


@router.post("/memberships/{membership_id}/role")
def membership_role(
    membership_id: int,
    role: str = Form(""),
    remove: str = Form(""),
    db: Session = Depends(get_db),
    user: User = Depends(require_user),
) -> Response:
    """Change a member's role in an organisation."""
    m = db.get(Membership, membership_id)
    if m is None:
        raise NotFound("There is no such membership.")
    permissions.require(user, "member.change_role", m.organisation_id)
    if m.user_id == user.id:
        raise PermissionDenied("You cannot change your own role; ask another administrator.")
    org_id = m.organisation_id
    if remove:
        remove_membership(db, m, actor=user)
    else:
        change_role(db, m, role, actor=user)
    return RedirectResponse(f"/admin/organisations/{org_id}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_trail(request: Request, page: str = "1", check: str = "", db: Session = Depends(get_db),
                user: User = Depends(require("audit.view"))) -> HTMLResponse:
    """The audit trail, filtered by person, organisation, action, object and dates, a page at a time (issue 17).

    The first page checks the chain from the latest signed checkpoint on (its cost does not grow with the
    trail); ``check=all`` checks the whole trail, as ``boroughs admin verify-audit`` does."""
    f, errors = audit_view.parse_filter(request.query_params)
    number = int(page) if page.isdigit() and len(page) < 9 else 1
    result = audit_view.search(db, f, number)
    audit.record(db, "audit.view", actor=user, purpose="audit review",
                 detail={"filter": f.query_string(), "page": result.page} if f.active or result.page > 1 else None)
    return render(request, "core/admin/audit.html", {
        "result": result, "f": f, "errors": errors, "choices": audit_view.choices(db),
        "verify": (audit.verify(db, since_checkpoint=check != "all").message()
                   if result.page == 1 and not f.active else None),
        "checked_all": check == "all",
    })  # 200 even when a filter is wrong: the view itself is audited, and a 4xx would roll that back
