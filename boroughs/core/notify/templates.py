"""Message templates in plain English, with GOV.UK Notify's ``((placeholder))`` syntax.

Each area registers the messages it sends (``register``); core registers the invitation. A template names
the placeholders it takes, and ``render`` refuses any other value, so what a message may carry is written
down next to its wording (see docs/notifications.md for what personal data is and is not sent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\(\(([a-z_]+)\)\)")


@dataclass(frozen=True)
class Template:
    key: str
    subject: str
    body: str
    description: str = ""
    # the message carries a credential (a one-time link): its text is wiped from the outbox once sent
    secret: bool = False

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(PLACEHOLDER.findall(self.subject + self.body))


TEMPLATES: dict[str, Template] = {}


def register(key: str, subject: str, body: str, description: str = "", *, secret: bool = False) -> Template:
    template = Template(key, subject, body.strip(), description, secret)
    if key in TEMPLATES and TEMPLATES[key] != template:
        raise ValueError(f"message template {key!r} registered twice with different text")
    TEMPLATES[key] = template
    return template


def _fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def render(key: str, values: dict[str, str]) -> tuple[str, str]:
    """The subject and body of template ``key``; every placeholder must be given, and nothing else."""
    try:
        template = TEMPLATES[key]
    except KeyError:
        raise KeyError(f"unknown message template {key!r}: register it first") from None
    given = set(values)
    if given != template.fields:
        missing, extra = sorted(template.fields - given), sorted(given - template.fields)
        raise ValueError(f"message template {key!r}: missing {missing}, not allowed {extra}")
    clean = {k: str(v).replace("\r", " ").replace("\n", " ") if k != "link" else str(v) for k, v in values.items()}
    return _fill(template.subject, clean), _fill(template.body, clean)


register(
    "core.invitation",
    "You have been invited to Boroughs",
    """
Hello ((name)),

((inviter)) has invited you to join ((organisation)) on Boroughs as ((role)).

Use this link to set your password and sign in. It works once and expires on ((expires)):

((link))

If you were not expecting this invitation, you can ignore this email.
""",
    "an invitation to join an organisation, with the one-time link",
    secret=True,
)
