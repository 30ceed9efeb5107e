"""Errors that tell the user what is wrong and what to do next."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class BoroughsError(Exception):
    """Base class: the message is shown to the user as it is, so write it in plain English."""


class DataError(BoroughsError):
    """A data file is missing, malformed or inconsistent.

    Names the file, and where known the column (field) and the first offending rows (1-based data rows,
    as a spreadsheet would number them after the header).
    """

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        column: str | None = None,
        rows: Sequence[int] | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.column = column
        self.rows = list(rows or [])
        self.hint = hint
        parts = [f"{self.path}: {problem}"]
        if column:
            parts.append(f"column {column!r}")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:5])
            more = f" and {len(self.rows) - 5} more" if len(self.rows) > 5 else ""
            parts.append(f"rows {shown}{more}")
        msg = "; ".join(parts)
        if hint:
            msg += f". {hint}"
        super().__init__(msg)


class PermissionDenied(BoroughsError):
    """The signed-in user may not take this action on this object."""


class NotFound(BoroughsError):
    """The object does not exist, or the user may not know that it does."""


class ValidationFailed(BoroughsError):
    """Input broke a business rule; the message says which and how to fix it."""
