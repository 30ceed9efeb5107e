"""Sign in, sign out and accepting an invitation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from boroughs.core import audit, auth, oidc
from boroughs.core.errors import NotFound, ValidationFailed
from boroughs.core.models import Invitation
from boroughs.core.organisations import accept_invitation, find_invitation
from boroughs.core.sso_models import SsoProvider
from boroughs.web.deps import clear_session_cookie, client_ip, get_db, set_session_cookie
from boroughs.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in page."""
    return render(request, "core/sign_in.html", {"next": _safe_next(next), "errors": {}, "email": ""})


@router.post("/sign-in")
def sign_in(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    db: Session = Depends(get_db),
) -> Response:
    """Sign in with an email address and password."""
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    if not errors:
        try:
            oidc.refuse_password_sign_in(db, email)  # issue 15: password sign-in switched off for SSO
            user = auth.authenticate(db, email, password, client_ip(request))
            oidc.refuse_password_sign_in(db, email, user)
        except auth.SignInRefused as exc:
            audit.record(db, "auth.sign_in_failed", detail={"email": email.strip().lower()})
            db.commit()  # keep the failed attempt, any lock and the audit entry despite the 400 response
            errors["email"] = str(exc)
        else:
            old = getattr(request.state, "session_token", None)
            if old:
                auth.end_session(db, old)
            token, _ = auth.start_session(db, user, client_ip(request))
            audit.record(db, "auth.sign_in", actor=user)
            response = RedirectResponse(_safe_next(next), status_code=303)
            set_session_cookie(response, token)
            return response
    return render(request, "core/sign_in.html", {"next": _safe_next(next), "errors": errors, "email": email}, 400)


@router.post("/sign-out")
def sign_out(request: Request, db: Session = Depends(get_db)) -> Response:
    """Sign out."""
    token = getattr(request.state, "session_token", None)
    if token:
        audit.record(db, "auth.sign_out", actor=request.state.user)
        auth.end_session(db, token)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/invitations/{token}", response_class=HTMLResponse)
def invitation_form(request: Request, token: str, db: Session = Depends(get_db)) -> HTMLResponse:
    """The page where an invited person sets their password (or, where their organisation signs in only
    through single sign-on, accepts and goes on to its identity provider)."""
    inv = find_invitation(db, token)
    return render(request, "core/invitation.html", {"invitation": inv, "token": token, "errors": {},
                                                    **_sso_context(db, inv)})


def _sso_context(db: Session, inv: Invitation) -> dict[str, object]:
    provider = oidc.sso_only(db, inv.organisation_id)
    if provider is None:
        return {"sso": None}
    domain = inv.email.rpartition("@")[2].lower()
    return {"sso": provider, "domain_allowed": not provider.allowed_domains or domain in provider.allowed_domains}


@router.post("/invitations/{token}")
def invitation_accept(
    request: Request,
    token: str,
    password: str = Form(""),
    confirm: str = Form(""),
    db: Session = Depends(get_db),
) -> Response:
    """Accept an invitation: set the password and sign in (or, single sign-on only: go to the provider)."""
    inv = find_invitation(db, token)
    errors: dict[str, str] = {}
    sso = _sso_context(db, inv)
    if sso["sso"] is not None:
        provider = sso["sso"]
        assert isinstance(provider, SsoProvider)
        if not sso["domain_allowed"]:
            return render(request, "core/invitation.html", {"invitation": inv, "token": token, "errors": {}, **sso},
                          400)
        accept_invitation(db, token, None)  # no password: this organisation signs in only with its provider
        audit.record(db, "user.invitation_accepted", object_type="organisation", object_id=inv.organisation_id,
                     detail={"email": inv.email, "method": "sso"})
        return RedirectResponse(f"/sign-in/sso/{provider.organisation.slug}", status_code=303)
    if password != confirm:
        errors["confirm"] = "The passwords do not match"
    else:
        try:
            user = accept_invitation(db, token, password)
        except ValidationFailed as exc:
            errors["password"] = str(exc)
        except NotFound:
            raise
        else:
            token_, _ = auth.start_session(db, user, client_ip(request))
            response = RedirectResponse("/", status_code=303)
            set_session_cookie(response, token_)
            return response
    return render(request, "core/invitation.html", {"invitation": inv, "token": token, "errors": errors, **sso}, 400)
