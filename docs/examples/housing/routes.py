"""The housing area's pages: a front page (a template) and one JSON endpoint."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.core.models import Organisation, OrgKind
from boroughs.web.deps import get_db
from boroughs.web.templating import render
from housing.service import priority

router = APIRouter()
NAV = [{"text": "Housing", "href": "/housing"}]  # add "needs": "<action>" to show it only to some


@router.get("/housing", response_class=HTMLResponse)
def home(request: Request, db: Session = Depends(get_db)) -> HTMLResponse:
    """The housing area's front page."""
    councils = db.scalar(select(func.count()).select_from(Organisation)
                         .where(Organisation.kind == OrgKind.COUNCIL.value))
    return render(request, "housing/home.html", {"councils": councils})


class Priority(BaseModel):
    days_open: int
    priority: str


@router.get("/api/v1/housing/priority", response_model=Priority)
def repair_priority(days_open: int) -> Priority:
    """A repair's priority from the days it has been open."""
    return Priority(days_open=days_open, priority=priority(days_open))
