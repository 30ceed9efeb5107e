"""Issue 17, fund: a regression test for each defect found by trying the fund as each role would.

Services on real SQLite and PostgreSQL (``session``), pages through the in-process client (the fixtures of
``test_web``), catalogues through recorded responses (``tests/fund/recorded``), never the internet.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from boroughs.config import reset_settings
from boroughs.core.errors import PermissionDenied, ValidationFailed
from boroughs.core.models import AuditEvent
from boroughs.fund import assessment, call_edit, calls, decisions, panel, partnership, proposals, submission
from boroughs.fund.award_checks import share_problem
from boroughs.fund.blind import HIDDEN
from boroughs.fund.call_edit import FormErrors
from boroughs.fund.models import Award, Proposal, Strand
from boroughs.fund.opendata import giving360
from tests.fund import factories as f
from tests.fund.test_web import FUND, PANEL1, PANEL2, _loti, _s, as_user, post
from tests.fund.test_web import app_engine as app_engine

RECORDED = Path(__file__).resolve().parent / "recorded"


# --- call editing: services ------------------------------------------------------------------------

def test_a_strand_budget_can_change_but_not_below_what_is_awarded(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, amount=60_000)
    f.in_assessment(session, w, call, [p])
    calls.transition_call(session, w.manager, call, "start_decisions")
    decisions.decide(session, w.manager, call, [(p.id, 60_000)])
    strand = call.strands[0]
    form = {"title": "Data, renamed", "slug": strand.slug, "budget": "50000", "award_limit": "75000"}
    with pytest.raises(FormErrors) as exc:
        call_edit.update_strand(session, w.manager, strand, form)
    assert exc.value.errors == {
        f"strand-budget-{strand.id}": "The strand budget cannot be less than the £60,000 already awarded from it.",
        f"strand-limit-{strand.id}": "The largest single award (£75,000) cannot be more than the strand's budget "
                                     "(£50,000).",
    }
    call_edit.update_strand(session, w.manager, strand, {**form, "budget": "70000", "award_limit": "65000"})
    assert (strand.title, strand.budget, strand.award_limit) == ("Data, renamed", 70_000, 65_000)
    with pytest.raises(FormErrors, match="less than the £60,000 already awarded"):
        call_edit.update_strand(session, w.manager, strand, {**form, "budget": "70000", "award_limit": "50000"})


def test_a_strand_with_proposals_cannot_be_removed_or_renamed(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    f.draft(session, w, call, strand=0)
    chosen, free = call.strands
    with pytest.raises(ValidationFailed, match="1 proposal has chosen it"):
        call_edit.remove_strand(session, w.manager, chosen)
    with pytest.raises(FormErrors, match="proposals have already chosen this strand"):
        call_edit.update_strand(session, w.manager, chosen, {"title": "x", "slug": "renamed", "budget": "75000",
                                                             "award_limit": "75000"})
    call_edit.remove_strand(session, w.manager, free)
    session.refresh(call)
    assert [s.slug for s in call.strands] == ["data"]
    assert session.get(Strand, free.id) is None


def test_criteria_weights_are_fixed_once_proposals_are_submitted(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    crit = call.criteria[0]
    call_edit.update_criterion(session, w.manager, crit, {"title": "Impact", "weight": "4", "guidance": "g"})
    assert (crit.title, crit.weight) == ("Impact", 4)
    extra = call_edit.add_criterion(session, w.manager, call, {"title": "Value for money", "weight": "1"})
    call_edit.remove_criterion(session, w.manager, extra)
    assert [c.title for c in call.criteria] == ["Impact", "Replicability", "Deliverability"]
    f.submitted(session, w, call)
    with pytest.raises(FormErrors, match="proposals have been submitted against this rubric"):
        call_edit.update_criterion(session, w.manager, crit, {"title": "Impact", "weight": "5"})
    with pytest.raises(ValidationFailed, match="cannot be removed: proposals have been submitted"):
        call_edit.remove_criterion(session, w.manager, crit)
    call_edit.update_criterion(session, w.manager, crit, {"title": "Impact on residents", "weight": "4"})
    assert crit.title == "Impact on residents"


def test_only_the_fund_manager_changes_a_call(session: Session) -> None:
    from boroughs.core.models import OrgKind, Role

    w = f.world(session)
    call = f.open_call(session, w)
    other_body = f.org(session, OrgKind.FUND_BODY, "Another Fund")
    foreign_manager = f.person(session, "fm@other.test", "Other Manager", (other_body, Role.FUND_MANAGER))
    for who in (w.panel[0], w.officer["barnet"], w.head["barnet"], foreign_manager):
        with pytest.raises(PermissionDenied):
            call_edit.update_strand(session, who, call.strands[0], {"title": "x", "budget": "1", "award_limit": "1"})
        with pytest.raises(PermissionDenied):
            call_edit.remove_criterion(session, who, call.criteria[0])


def test_the_budget_message_never_asks_for_a_strand_of_0(session: Session) -> None:
    # Before: "lower this strand's budget to at most £0 or raise the total" (a strand needs more than £0)
    w = f.world(session)
    call = calls.create_call(session, w.manager, fund_body_id=w.fund.id, slug="full", title="Full",
                             total_budget=100_000)
    calls.add_strand(session, w.manager, call, slug="a", title="A", budget=100_000, award_limit=50_000)
    with pytest.raises(ValidationFailed) as exc:
        calls.add_strand(session, w.manager, call, slug="b", title="B", budget=20_000, award_limit=10_000)
    message = str(exc.value)
    assert "£0" not in message
    assert message == ("The call's total budget of £100,000 is already shared among its other strands (£100,000), "
                       "so there is nothing left for this strand. Raise the call's total budget to at least £120,000, "
                       "or lower another strand's budget first.")
    call2 = calls.create_call(session, w.manager, fund_body_id=w.fund.id, slug="room", title="Room",
                              total_budget=100_000)
    calls.add_strand(session, w.manager, call2, slug="a", title="A", budget=70_000, award_limit=50_000)
    with pytest.raises(ValidationFailed, match=r"lower this strand's budget to at most £30,000, or raise the call's "
                                               r"total budget to at least £110,000"):
        calls.add_strand(session, w.manager, call2, slug="b", title="B", budget=40_000, award_limit=10_000)


# --- call editing: pages -----------------------------------------------------------------------------

def _errors_summary(html: str) -> list[tuple[str, str]]:
    block = html.split('govuk-error-summary__list">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', block)


def test_the_new_call_form_lists_every_error_with_a_link_to_its_field(app_engine: Engine) -> None:
    # Before: only the first problem ("The call short name '' must use ...") was shown, in a paragraph
    fund = as_user(app_engine, FUND)
    r = post(fund, "/fund/calls", {"fund_body_id": _loti(app_engine), "title": "", "slug": "Not A Slug",
                                   "total_budget": "lots", "deadline": "31/01/2099"})
    assert r.status_code == 422
    listed = _errors_summary(r.text)
    assert [field for field, _ in listed] == ["title", "slug", "total_budget", "deadline"]
    for field, _ in listed:
        assert f'id="{field}"' in r.text and f'id="{field}-error"' in r.text  # each link lands on its field
    assert "The total budget must be a number of pounds" in r.text


def test_a_call_is_edited_on_its_edit_page(app_engine: Engine) -> None:
    fund = as_user(app_engine, FUND)
    assert post(fund, "/fund/calls", {"fund_body_id": _loti(app_engine), "title": "Edit me", "slug": "edit-me",
                                      "total_budget": "100000", "deadline": "2099-01-31"}).status_code == 303
    assert post(fund, "/fund/calls/edit-me/strands", {"title": "Data", "slug": "data", "budget": "60000",
                                                      "award_limit": "40000"}).status_code == 303
    assert post(fund, "/fund/calls/edit-me/criteria", {"title": "Outcomes", "weight": "2"}).status_code == 303
    page = fund.get("/fund/calls/edit-me/edit")
    assert page.status_code == 200 and "Change Edit me" in page.text
    # the total cannot go below the strands, and every problem is listed
    r = post(fund, "/fund/calls/edit-me/edit", {"title": "", "total_budget": "50000", "deadline": "2099-02-28",
                                                "min_partner_councils": "2"})
    assert r.status_code == 422
    assert [x for x, _ in _errors_summary(r.text)] == ["title", "total_budget"]
    assert "budgets together (£60,000)" in r.text
    r = post(fund, "/fund/calls/edit-me/edit", {"title": "Edited", "total_budget": "100000",
                                                "deadline": "2020-01-31", "min_partner_councils": "2"})
    assert [x for x, _ in _errors_summary(r.text)] == ["deadline"] and "Close submissions" in r.text
    r = post(fund, "/fund/calls/edit-me/edit", {"title": "Edited", "total_budget": "120000",
                                                "deadline": "2099-02-28", "min_partner_councils": "3",
                                                "blind_review": "yes"})
    assert r.status_code == 303
    with _s(app_engine) as db:
        call = calls.get_call(db, "edit-me")
        assert (call.title, call.total_budget, call.min_partner_councils, call.blind_review) == (
            "Edited", 120_000, 3, True)
        assert call.deadline == dt.datetime(2099, 2, 28, 23, 59, 59, tzinfo=dt.UTC)
        sid, cid = call.strands[0].id, call.criteria[0].id
    # a strand over what is left is refused with a message that says how much fits
    r = post(fund, f"/fund/calls/edit-me/strands/{sid}/edit", {"title": "Data", "slug": "data", "budget": "130000",
                                                               "award_limit": "140000"})
    assert r.status_code == 422
    assert [x for x, _ in _errors_summary(r.text)] == [f"strand-budget-{sid}", f"strand-limit-{sid}"]
    assert "at most £120,000" in r.text
    assert post(fund, f"/fund/calls/edit-me/strands/{sid}/edit", {"title": "Data and insight", "slug": "data",
                                                                  "budget": "80000", "award_limit": "40000"}
                ).status_code == 303
    assert post(fund, f"/fund/calls/edit-me/criteria/{cid}/edit", {"title": "Outcomes for residents",
                                                                   "weight": "3"}).status_code == 303
    assert post(fund, f"/fund/calls/edit-me/criteria/{cid}/remove", {}).status_code == 303
    assert post(fund, f"/fund/calls/edit-me/strands/{sid}/remove", {}).status_code == 303
    with _s(app_engine) as db:
        call = calls.get_call(db, "edit-me")
        assert call.strands == [] and call.criteria == []
        actions = [a for a in db.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
                   if a.startswith(("fund.strand", "fund.criterion", "fund.call.update"))]
    assert actions == ["fund.strand.create", "fund.criterion.create", "fund.call.update", "fund.strand.update",
                       "fund.criterion.update", "fund.criterion.remove", "fund.strand.remove"]


def test_others_cannot_open_or_post_the_edit_pages(app_engine: Engine) -> None:
    slug = "covid-innovation-fund-2021"
    for email in (PANEL1, "officer@newham.demo.boroughs.test"):
        c = as_user(app_engine, email)
        assert c.get(f"/fund/calls/{slug}/edit").status_code == 403
        assert post(c, f"/fund/calls/{slug}/edit", {"title": "Mine now", "total_budget": "1"}).status_code == 403
    with _s(app_engine) as db:
        sid = calls.get_call(db, slug).strands[0].id
    c = as_user(app_engine, PANEL1)
    assert post(c, f"/fund/calls/{slug}/strands/{sid}/remove", {}).status_code == 403


# --- blind review --------------------------------------------------------------------------------

def _blind_call_in_assessment(app_engine: Engine) -> tuple[str, int]:
    """A blind call (seeded on the demo's LOTI) with one proposal sent to the panel; returns (slug, proposal id)."""
    from tests.fund.test_web import NEWHAM_OFFICER

    fund = as_user(app_engine, FUND)
    assert post(fund, "/fund/calls", {"fund_body_id": _loti(app_engine), "title": "Blind fund", "slug": "blind",
                                      "total_budget": "100000", "deadline": "2099-01-31",
                                      "blind_review": "yes"}).status_code == 303
    assert post(fund, "/fund/calls/blind/strands", {"title": "Data", "slug": "data", "budget": "100000",
                                                    "award_limit": "50000"}).status_code == 303
    assert post(fund, "/fund/calls/blind/criteria", {"title": "Outcomes", "weight": "1"}).status_code == 303
    assert post(fund, "/fund/calls/blind/transition", {"name": "open"}).status_code == 303
    with _s(app_engine) as db:
        from boroughs.core.models import Organisation, User

        call = calls.get_call(db, "blind")
        user = db.execute(select(User).where(User.email == NEWHAM_OFFICER)).scalar_one()
        newham = db.execute(select(Organisation).where(Organisation.slug == "newham")).scalar_one()
        hackney = db.execute(select(Organisation).where(Organisation.slug == "hackney")).scalar_one()
        p = proposals.create_proposal(db, user, call, lead_org_id=newham.id, title="Secret partnership",
                                      strand_id=call.strands[0].id)
        proposals.save_draft(db, user, p, dict(f.FORM, amount_requested=40_000), base_version=p.version)
        partnership.update_partner(db, user, p, p.partners[0].id, budget=20_000)
        partnership.add_partner(db, user, p, organisation_id=hackney.id, kind="partner", role="Partner", budget=20_000)
        heads = {o: db.execute(select(User).where(User.email == f"manager@{o}.demo.boroughs.test")).scalar_one()
                 for o in ("newham", "hackney")}
        submission.sign_off(db, heads["newham"], p, newham.id)
        submission.sign_off(db, heads["hackney"], p, hackney.id)
        submission.submit(db, heads["newham"], p)
        db.commit()
        pid = p.id
    assert post(fund, "/fund/calls/blind/transition", {"name": "close_submissions"}).status_code == 303
    assert post(fund, f"/fund/proposals/{pid}/manage-transition", {"name": "start_assessment"}).status_code == 303
    return "blind", pid


def test_a_blind_calls_public_list_hides_the_partners_until_decisions_are_published(
        app_engine: Engine) -> None:
    # Before: the public list named "London Borough of Newham, London Borough of Hackney" once assessment began
    slug, pid = _blind_call_in_assessment(app_engine)
    for c in (as_user(app_engine, PANEL1), as_user(app_engine, "officer@brent.demo.boroughs.test")):
        page = c.get(f"/fund/calls/{slug}/proposals").text
        assert "Secret partnership" in page and HIDDEN in page
        assert "Hackney" not in page and "Newham" not in page
    own = as_user(app_engine, "officer@newham.demo.boroughs.test").get(f"/fund/calls/{slug}/proposals").text
    assert "London Borough of Hackney" in own  # partners see their own partnership
    fund = as_user(app_engine, FUND)
    with _s(app_engine) as db:
        from boroughs.core.models import User

        ids = [db.execute(select(User.id).where(User.email == e)).scalar_one() for e in (PANEL1, PANEL2)]
    assert post(fund, f"/fund/proposals/{pid}/assign", {"member_id": ids}).status_code == 303
    assert post(fund, f"/fund/calls/{slug}/transition", {"name": "start_decisions"}).status_code == 303
    assert post(fund, f"/fund/calls/{slug}/decisions", {f"decision_{pid}": "award",
                                                       f"amount_{pid}": "40000"}).status_code == 303
    panel1 = as_user(app_engine, PANEL1)
    projects_page = panel1.get("/fund/projects").text
    assert "Secret partnership" in projects_page and HIDDEN in projects_page
    with _s(app_engine) as db:
        assert not [g for g in giving360.export_package(db)["grants"] if "Secret partnership" in g["title"]]
    assert post(fund, f"/fund/calls/{slug}/transition", {"name": "start_delivery"}).status_code == 303
    page = panel1.get(f"/fund/calls/{slug}/proposals").text
    assert "London Borough of Hackney" in page and HIDDEN not in page  # decisions published: names shown
    with _s(app_engine) as db:
        assert [g for g in giving360.export_package(db)["grants"] if "Secret partnership" in g["title"]]


def test_panel_members_cannot_open_an_assess_page_before_being_assigned(app_engine: Engine) -> None:
    # Before: any panel member could read any proposal's assess page (and its partners) by its address
    _slug, pid = _blind_call_in_assessment(app_engine)
    panel1 = as_user(app_engine, PANEL1)
    r = panel1.get(f"/fund/proposals/{pid}/assess")
    assert r.status_code == 403 and "have not been assigned this proposal" in r.text
    assert "Secret partnership" not in r.text
    with _s(app_engine) as db:
        from boroughs.core.models import User

        uid = db.execute(select(User.id).where(User.email == PANEL1)).scalar_one()
    assert post(as_user(app_engine, FUND), f"/fund/proposals/{pid}/assign", {"member_id": [uid]}).status_code == 303
    page = panel1.get(f"/fund/proposals/{pid}/assess")
    assert page.status_code == 200 and "Secret partnership" in page.text and "Hidden for blind review" in page.text
    assert "Hackney" not in page.text


def test_decided_proposals_leave_the_panels_list(session: Session) -> None:
    # Before: awarded proposals stayed on "Proposals to assess" for ever
    w = f.world(session)
    call = f.open_call(session, w)
    p1 = f.submitted(session, w, call, title="One", lead="barnet", partners=("sutton",))
    p2 = f.submitted(session, w, call, title="Two", lead="newham", partners=("hackney",), strand=1)
    f.in_assessment(session, w, call, [p1, p2])
    assert [p.title for p in assessment.proposals_to_assess(session, w.panel[0])] == ["One", "Two"]
    calls.transition_call(session, w.manager, call, "start_decisions")
    decisions.decide(session, w.manager, call, [(p1.id, 75_000)], declines=[p2.id])
    assert assessment.proposals_to_assess(session, w.panel[0]) == []


# --- panel chosen per proposal -------------------------------------------------------------------

def test_the_fund_manager_chooses_the_panel_per_proposal(session: Session) -> None:
    # Before: one button assigned every eligible member at once
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, lead="barnet", partners=("brent",))
    calls.transition_call(session, w.manager, call, "close_submissions")
    submission.transition(session, w.manager, p, "start_assessment")
    added, removed, recused = panel.assign_chosen(session, w.manager, p, [w.panel[0].id])
    assert [m.name for m in added] == ["Panel Member 1"] and removed == []
    assert [m.name for m, _ in recused] == ["Bea Brent"]  # recusal is still automatic, and recorded
    assert {c.user.name for c in assessment.conflicts(session, p)} == {"Bea Brent"}
    assert [a.user.name for a in assessment.assignments(session, p)] == ["Panel Member 1"]
    with pytest.raises(ValidationFailed, match="Bea Brent cannot assess"):
        panel.assign_chosen(session, w.manager, p, [w.panel_brent.id])
    added, removed, _ = panel.assign_chosen(session, w.manager, p, [w.panel[1].id])
    assert [m.name for m in added] == ["Panel Member 2"] and [m.name for m in removed] == ["Panel Member 1"]
    crit = call.criteria[0]
    assessment.score(session, w.panel[1], p, crit.id, "4", "Good")
    with pytest.raises(ValidationFailed, match="Panel Member 2 has already scored"):
        panel.assign_chosen(session, w.manager, p, [w.panel[0].id])
    with pytest.raises(ValidationFailed, match="at least one panel member"):
        panel.assign_chosen(session, w.manager, p, [])
    with pytest.raises(PermissionDenied):
        panel.assign_chosen(session, w.panel[0], p, [w.panel[0].id])


# --- awards whose shares no longer add up --------------------------------------------------------

def test_an_award_whose_shares_do_not_add_up_is_flagged(session: Session) -> None:
    w = f.world(session)
    call = f.open_call(session, w)
    p = f.submitted(session, w, call, amount=60_000)  # shares: £30,000 + £30,000
    f.in_assessment(session, w, call, [p])
    calls.transition_call(session, w.manager, call, "start_decisions")
    (award,) = decisions.decide(session, w.manager, call, [(p.id, 50_000)])
    message = share_problem(award)
    assert message is not None
    assert message.startswith("The partners' shares add up to £60,000, £10,000 more than the £50,000 awarded")
    for partner in p.partners:
        partner.budget = 25_000
    session.flush()
    assert share_problem(award) is None


def test_the_decisions_page_flags_the_award(app_engine: Engine) -> None:
    with _s(app_engine) as db:
        award = db.execute(select(Award).order_by(Award.id)).scalars().first()
        assert award is not None
        award.amount -= 1000  # the partners' shares (which matched) no longer add up
        slug = award.proposal.call.slug
        db.commit()
    page = as_user(app_engine, FUND).get(f"/fund/calls/{slug}/decisions").text
    assert "Shares do not add up" in page and "£1,000 more than the" in page


# --- publishing from the web ---------------------------------------------------------------------

def _recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


@pytest.fixture
def ckan_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOROUGHS_CKAN_URL", "https://catalogue.example.org")
    monkeypatch.setenv("BOROUGHS_CKAN_API_KEY", "recorded-key")
    reset_settings()
    yield
    reset_settings()


def test_the_fund_manager_publishes_to_ckan_from_the_web(app_engine: Engine, ckan_settings: None,
                                                         ) -> None:
    from boroughs.fund.routes import publishing as publish_routes

    seen: list[str] = []
    routes = {("GET", "/api/3/action/package_show"): (404, "ckan/package_show_not_found.json"),
              ("POST", "/api/3/action/package_create"): (200, "ckan/package_create.json"),
              ("POST", "/api/3/action/resource_create"): (200, "ckan/resource_create.json")}

    def replay(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        status, name = routes[(request.method, request.url.path)]
        return httpx.Response(status, json=_recorded(name))

    fund = as_user(app_engine, FUND)
    fund.app.dependency_overrides[publish_routes.publish_client] = lambda: httpx.Client(
        transport=httpx.MockTransport(replay))
    page = fund.get("/fund/publish").text
    assert "Not set up on this server: set BOROUGHS_PUBLISH_FOLDER" in page
    r = post(fund, "/fund/publish", {"dataset": "grants", "backend": "ckan", "slug": "fund-grants",
                                     "title": "Fund grants", "action": "check"})
    assert r.status_code == 200 and "Checked: nothing was changed" in r.text
    assert "create dataset: fund-grants" in r.text and seen == ["GET /api/3/action/package_show"]
    r = post(fund, "/fund/publish", {"dataset": "grants", "backend": "ckan", "slug": "fund-grants",
                                     "title": "Fund grants", "action": "publish"})
    assert r.status_code == 200 and "Published" in r.text
    assert "add file: grants-360giving.json" in r.text
    assert "https://catalogue.example.org/dataset/fund-grants" in r.text
    assert seen[-2:] == ["POST /api/3/action/package_create", "POST /api/3/action/resource_create"]
    with _s(app_engine) as db:
        ev = db.execute(select(AuditEvent).where(AuditEvent.action == "fund.publish")
                        .order_by(AuditEvent.id.desc())).scalars().first()
        assert ev is not None and ev.detail["dry_run"] is False and ev.detail["backend"] == "ckan"
        assert "recorded-key" not in json.dumps(ev.detail)


def test_a_catalogue_refusal_is_shown_and_audited(app_engine: Engine, ckan_settings: None) -> None:
    from boroughs.fund.routes import publishing as publish_routes

    def refuse(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(404, json=_recorded("ckan/package_show_not_found.json"))
        return httpx.Response(403, json=_recorded("ckan/authorization_error.json"))

    fund = as_user(app_engine, FUND)
    fund.app.dependency_overrides[publish_routes.publish_client] = lambda: httpx.Client(
        transport=httpx.MockTransport(refuse))
    r = post(fund, "/fund/publish", {"dataset": "grants", "backend": "ckan", "slug": "fund-grants",
                                     "title": "Fund grants", "action": "publish"})
    assert r.status_code == 422 and "CKAN refused package_create" in r.text
    with _s(app_engine) as db:
        assert db.execute(select(AuditEvent.id).where(AuditEvent.action == "fund.publish.failed")).first()


def test_publishing_to_a_local_folder_and_who_may(app_engine: Engine, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOROUGHS_PUBLISH_FOLDER", str(tmp_path))
    reset_settings()
    try:
        for email in (PANEL1, "manager@newham.demo.boroughs.test"):
            c = as_user(app_engine, email)
            assert c.get("/fund/publish").status_code == 403
            assert post(c, "/fund/publish", {"backend": "local", "action": "publish"}).status_code == 403
        fund = as_user(app_engine, FUND)
        r = post(fund, "/fund/publish", {"backend": "ckan", "action": "publish"})
        assert r.status_code == 422 and "CKAN is not set up on this server" in r.text
        r = post(fund, "/fund/publish", {"dataset": "grants", "backend": "local", "slug": "fund-grants",
                                         "title": "Fund grants", "action": "publish"})
        assert r.status_code == 200 and "Published" in r.text
        pkg = json.loads((tmp_path / "fund-grants" / "grants-360giving.json").read_text())
        assert giving360.validate(pkg) == [] and len(pkg["grants"]) == 2
        assert json.loads((tmp_path / "fund-grants" / "datapackage.json").read_text())["title"] == "Fund grants"
    finally:
        reset_settings()



ROUTES = [("get", "/fund/calls/{slug}/edit"), ("post", "/fund/calls/{slug}/edit"),
          ("get", "/fund/calls/{slug}/strands/{sid}/edit"), ("post", "/fund/calls/{slug}/strands/{sid}/remove"),
          ("post", "/fund/calls/{slug}/criteria/{cid}/remove"), ("post", "/fund/proposals/{pid}/assign"),
          ("get", "/fund/publish"), ("post", "/fund/publish")]


def test_the_new_pages_refuse_everyone_but_the_fund_manager(app_engine: Engine) -> None:
    """Every demo account (one of each role) against every new page: only the fund body's manager gets in."""
    from boroughs.core.demo import ACCOUNTS
    from boroughs.core.models import Role

    with _s(app_engine) as db:
        call = calls.get_call(db, "covid-innovation-fund-2021")
        ids = {"slug": call.slug, "sid": call.strands[0].id, "cid": call.criteria[0].id,
               "pid": db.execute(select(Proposal.id).where(Proposal.call_id == call.id)).scalars().first()}
    for account in ACCOUNTS:
        c = as_user(app_engine, account.email)
        for method, path in ROUTES:
            r = getattr(c, method)(path.format(**ids), **({"data": {}} if method == "post" else {}),
                                   follow_redirects=False)
            if account.role == Role.FUND_MANAGER:
                assert r.status_code != 403, (account.email, path)
            else:
                assert r.status_code == 403, (account.email, method, path, r.status_code)


def test_the_fund_manager_publishes_to_datapress_from_the_web(app_engine: Engine,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from boroughs.fund.routes import publishing as publish_routes
    from tests.fund.test_publishing import DATAPRESS, Replay

    for k, v in {"URL": "https://data.example.london", "API_KEY": "recorded-key", "DATASET_ID": "ab12x"}.items():
        monkeypatch.setenv(f"BOROUGHS_DATAPRESS_{k}", v)
    reset_settings()
    try:
        replay = Replay(DATAPRESS)
        fund = as_user(app_engine, FUND)
        fund.app.dependency_overrides[publish_routes.publish_client] = replay.client
        r = post(fund, "/fund/publish", {"dataset": "grants", "backend": "datapress", "slug": "fund-grants",
                                         "title": "Fund grants", "action": "publish"})
        assert r.status_code == 200 and "Published" in r.text, r.text[-2000:]
        assert "https://data.example.london/dataset/ab12x" in r.text
        assert replay.writes() == ["PATCH /api/v3/dataset/ab12x", "POST /api/v3/dataset/ab12x/upload",
                                   "POST /api/v3/upload/u7x1/chunk", "POST /api/v3/upload/u7x1/complete"]
        assert all(req.headers["Authorization"] == "recorded-key" for req in replay.requests)
    finally:
        reset_settings()
