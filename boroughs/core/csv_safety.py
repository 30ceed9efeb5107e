"""CSV cells that a spreadsheet would run as a formula are neutralised (issue 11; OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so
Excel, LibreOffice and Google Sheets show it as text instead of evaluating it. Numbers are left alone (a
negative number is a number, not a formula). Every CSV the app writes for people to download goes through
``safe_cell``, ``safe_row`` or ``safe_frame``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: safe_cell(v) for k, v in row.items()}


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and text column name) neutralised."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    out.columns = [safe_cell(c) for c in out.columns]
    return out
