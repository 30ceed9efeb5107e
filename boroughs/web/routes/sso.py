"""Single sign-on pages (issue 15): start a sign-in at an organisation's identity provider, come back from it,
and the admin page that shows the configuration and the first sign-ins waiting for approval.

Plain ``def`` routes (they call the database and the provider synchronously, in FastAPI's thread pool).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from boroughs.config import get_settings
from boroughs.core import audit, auth, oidc, permissions
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import ROLE_LABELS, ROLES_BY_KIND, Organisation, OrgKind, User
from boroughs.core.sso_models import SsoApproval
from boroughs.web.deps import client_ip, form_data, get_db, require_user, set_session_cookie
from boroughs.web.templating import render

router = APIRouter(include_in_schema=False)

STATE_COOKIE = "boroughs_sso_state"


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _refused(request: Request, db: Session, message: str, status: int = 400) -> Response:
    db.commit()  # keep the used state's deletion and the audit entry despite the error response
    response = render(request, "core/sso_result.html", {"title": "You have not been signed in",
                                                         "message": message, "pending": False}, status)
    response.delete_cookie(STATE_COOKIE, path="/sign-in/sso")
    return response


@router.get("/sign-in/sso", response_class=HTMLResponse)
def sso_choose(request: Request, next: str = "/", db: Session = Depends(get_db)) -> HTMLResponse:
    """Choose the organisation to sign in with through single sign-on."""
    return render(request, "core/sso_choose.html", {"providers": oidc.enabled_providers(db), "next": _safe_next(next)})


@router.get("/sign-in/sso/callback")
def sso_callback(request: Request, state: str = "", code: str | None = None, error: str | None = None,
                 db: Session = Depends(get_db)) -> Response:
    """Where the identity provider sends the browser back: finishes a single sign-on."""
    callback = oidc.redirect_uri(str(request.base_url))
    try:
        user, next_path = oidc.complete(db, state=state, cookie_state=request.cookies.get(STATE_COOKIE), code=code,
                                        error=error, callback=callback)
    except oidc.SsoPending as exc:
        db.commit()
        waiting = render(request, "core/sso_result.html", {"title": "Waiting for approval", "message": str(exc),
                                                            "pending": True})
        waiting.delete_cookie(STATE_COOKIE, path="/sign-in/sso")
        return waiting
    except oidc.SsoFailed as exc:
        audit.record(db, "sso.sign_in_failed", detail={"reason": str(exc)[:300]})
        return _refused(request, db, str(exc))
    old = getattr(request.state, "session_token", None)
    if old:
        auth.end_session(db, old)
    token, _ = auth.start_session(db, user, client_ip(request))
    audit.record(db, "auth.sign_in", actor=user, detail={"method": "sso"})
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    set_session_cookie(response, token)
    response.delete_cookie(STATE_COOKIE, path="/sign-in/sso")
    return response


@router.get("/sign-in/sso/{slug}")
def sso_start(request: Request, slug: str, next: str = "/", db: Session = Depends(get_db)) -> Response:
    """Start signing in through an organisation's identity provider."""
    org = db.scalar(select(Organisation).where(Organisation.slug == slug))
    provider = oidc.provider_for(db, org) if org is not None else None
    if provider is None or not provider.enabled:
        raise NotFound("This organisation does not sign in with single sign-on. Sign in with your email and password.")
    try:
        url, state = oidc.begin(db, provider, oidc.redirect_uri(str(request.base_url)), _safe_next(next),
                                ip=client_ip(request))
    except oidc.SsoThrottled as exc:
        audit.record(db, "sso.sign_in_throttled", detail={"organisation": org.slug if org else slug})
        return _refused(request, db, str(exc), 429)
    except oidc.SsoFailed as exc:
        return _refused(request, db, str(exc), 502)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(STATE_COOKIE, state, max_age=get_settings().sso_request_minutes * 60, httponly=True,
                        samesite="lax", secure=get_settings().secure_cookies, path="/sign-in/sso")
    return response


# ---------------------------------------------------------------- admin


@router.get("/admin/organisations/{org_id}/sso", response_class=HTMLResponse)
def sso_admin(request: Request, org_id: int, db: Session = Depends(get_db),
              user: User = Depends(require_user)) -> HTMLResponse:
    """An organisation's single sign-on settings and the first sign-ins waiting for approval."""
    org = db.get(Organisation, org_id)
    if org is None:
        raise NotFound("There is no such organisation.")
    permissions.require(user, "org.view", org.id)
    provider = oidc.provider_for(db, org)
    base = get_settings().public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return render(request, "core/admin/sso.html", {
        "org": org, "provider": provider,
        "secret_status": oidc.secret_status(provider.client_secret_ref) if provider else None,
        "redirect_uri": base + "/sign-in/sso/callback",
        "approvals": oidc.pending(db, org.id) if provider else [],
        "can_approve": permissions.can(user, "org.sso.approve", org.id),
        "role_items": [{"value": r.value, "text": ROLE_LABELS[r]} for r in ROLES_BY_KIND[OrgKind(org.kind)]],
        "role_labels": ROLE_LABELS,
    })


@router.post("/admin/sso/approvals/{approval_id}")
def sso_decide(request: Request, approval_id: int, form: FormData = Depends(form_data),
               db: Session = Depends(get_db), user: User = Depends(require_user)) -> Response:
    """Approve (with a role) or refuse a first sign-in through single sign-on."""
    approval = db.get(SsoApproval, approval_id)
    if approval is None:
        raise NotFound("There is no such sign-in waiting for approval.")
    org_id = approval.provider.organisation_id
    permissions.require(user, "org.sso.approve", org_id)
    decision = str(form.get("decision", ""))
    role = str(form.get("role", "")) or None
    try:
        oidc.decide(db, approval_id, approve=decision == "approve", role=role, actor=user)
    except ValidationFailed as exc:
        db.rollback()
        return render(request, "core/sso_result.html", {"title": "Not approved", "message": str(exc),
                                                         "pending": False}, 400)
    return RedirectResponse(f"/admin/organisations/{org_id}/sso", status_code=303)
