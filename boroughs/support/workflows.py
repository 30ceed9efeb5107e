"""Support's three workflows, for the generated docs and tests: referrals, rule-set approval, outreach cases.

Each is declared in its sub-package's ``workflow`` module. Edit it there, then run
``boroughs support workflow-docs`` to regenerate ``docs/support/workflows.md`` (a test fails if the page is
out of date).
"""

from __future__ import annotations

from boroughs.core.workflow import Workflow
from boroughs.support.outreach.workflow import OUTREACH_CASE
from boroughs.support.referrals.workflow import REFERRAL
from boroughs.support.rules.workflow import RULE_SET

WORKFLOWS: tuple[Workflow, ...] = (REFERRAL, RULE_SET, OUTREACH_CASE)
SOURCES = ("boroughs/support/referrals/workflow.py, boroughs/support/rules/workflow.py and "
           "boroughs/support/outreach/workflow.py")
