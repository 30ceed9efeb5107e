"""The housing area's service: plain Python that the pages and the commands share (no web, no CLI)."""

from boroughs.core.errors import ValidationFailed


def priority(days_open: int) -> str:
    """A repair's priority from the days it has been open."""
    if days_open < 0:
        raise ValidationFailed("A repair cannot have been open for less than 0 days.")
    if days_open < 28:
        return "routine"
    return "overdue" if days_open < 90 else "escalate"
