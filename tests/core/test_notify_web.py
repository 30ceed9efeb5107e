"""The admin page of sent messages (issue 15): who sees which messages, and never their text."""

from __future__ import annotations

from sqlalchemy import select

from boroughs.core import notify
from boroughs.core.models import Organisation
from boroughs.core.notify import FileBackend, OutboxMessage, Policy
from tests.core.test_web import client, csrf, sign_in  # noqa: F401  (fixture)


def test_messages_page_shows_status_not_text(client, session, engine, tmp_path):  # noqa: F811
    newham = session.scalar(select(Organisation).where(Organisation.slug == "newham"))
    hackney = session.scalar(select(Organisation).where(Organisation.slug == "hackney"))
    sign_in(client, "admin@newham.demo.boroughs.test")
    r = client.post(f"/admin/organisations/{newham.id}/invite",
                    data={"csrf_token": csrf(client, "/admin"), "email": "new.person@newham.example",
                          "name": "New Person", "role": "council_officer"})
    assert r.status_code == 200 and "We have emailed the person a link" in r.text
    values = {"name": "Hackney Person", "inviter": "Someone", "organisation": "Hackney", "role": "officer",
              "expires": "soon", "link": "https://example.invalid/secret-hackney-link"}
    notify.enqueue(session, "core.invitation", "someone@hackney.example", values, organisation_id=hackney.id)
    session.commit()
    notify.run_once(engine, FileBackend(tmp_path), Policy(batch_size=1, max_attempts=1))  # deliver one of two

    page = client.get("/admin/notifications")
    assert page.status_code == 200
    assert "new.person@newham.example" in page.text and "You have been invited to Boroughs" in page.text
    assert page.text.count("govuk-tag--green") == 1  # one delivered ...
    assert page.text.count("Waiting to send</strong>") == 0  # ... and Hackney's still queued is not shown
    assert "someone@hackney.example" not in page.text  # another council's people
    assert "/invitations/" not in page.text and "Use this link" not in page.text  # no message text
    assert "govuk-tag--green" not in client.get("/admin/notifications?status=queued").text

    with type(client)(client.app) as platform:
        sign_in(platform, "admin@demo.boroughs.test")
        everything = platform.get("/admin/notifications").text
        assert "someone@hackney.example" in everything and "new.person@newham.example" in everything
        assert "secret-hackney-link" not in everything and "Hackney Person" not in everything

    with type(client)(client.app) as caseworker:
        sign_in(caseworker, "caseworker@eastside-food.demo.boroughs.test")
        assert caseworker.get("/admin/notifications").status_code == 403
    with type(client)(client.app) as manager:
        sign_in(manager, "manager@eastside-food.demo.boroughs.test")  # an admin with no messages of its own
        page = manager.get("/admin/notifications")
        assert page.status_code == 200 and "No messages" in page.text
    assert session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "new.person@newham.example"))
