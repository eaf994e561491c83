"""Checking what the browser sends to callbacks. Anyone signed in can post any JSON to
/_dash-update-component, so ids, choices and grid clicks are validated here: a forged value reads as "nothing
chosen" (or as a value no row has), never as a server error or a wider query."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

T = TypeVar("T")

# Ids are positive 64-bit integers in both databases; larger numbers cannot even be bound as parameters.
MAX_ID = 2**63 - 1


def as_id(value: Any) -> int | None:
    """A row id from a store, a grid or a pattern-matching id; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    return None


def as_int(value: Any, default: int, low: int, high: int) -> int:
    """An integer control (a level, a number of days) within [low, high]; `default` otherwise."""
    if isinstance(value, bool):
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.isascii() and value.lstrip("-").isdigit() and len(value) <= 12:
        value = int(value)
    if isinstance(value, int) and low <= value <= high:
        return value
    return default


def as_choice(value: Any, allowed: Collection[T], default: T) -> T:
    """One of the allowed options of a dropdown; `default` otherwise (also for unhashable junk)."""
    if isinstance(value, str | int) and not isinstance(value, bool) and value in allowed:
        return value  # type: ignore[return-value]
    return default


def as_strings(values: Any, allowed: Collection[str] | None = None) -> list[str]:
    """The string values of a multi-select (only the allowed ones, when given); other entries are dropped."""
    if values is None:
        return []
    if not isinstance(values, list):
        values = [values]
    out = [v for v in values if isinstance(v, str)]
    return [v for v in out if v in allowed] if allowed is not None else out


def cell_row_id(cell: Any) -> int | None:
    """The row id of an AG Grid `cellClicked` event; None when there is none or it is not an id."""
    if not isinstance(cell, dict):
        return None
    return as_id(cell.get("rowId"))


def cell_row_key(cell: Any, limit: int = 200) -> str | None:
    """The row id of a grid whose rows are keyed by text (user names, dates)."""
    if not isinstance(cell, dict):
        return None
    key = cell.get("rowId")
    if isinstance(key, str) and 0 < len(key) <= limit and "\x00" not in key:
        return key
    return None
