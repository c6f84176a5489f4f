"""Rows ↔ :mod:`mission.model` dataclasses, by field name (the tables use the same names).

Enums become their string values and come back as enum members (read from the dataclass's type
hints); :class:`~mission.model.DispatchDecision`'s rejected options become a JSON list of objects.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

from mission.model import DispatchDecision, RejectedOption

T = TypeVar("T")


def to_row(obj: Any) -> dict[str, Any]:
    """The column values of a model object."""
    row: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, float) and not math.isfinite(value):
            # SQLite would store NaN as NULL and PostgreSQL as NaN: refuse it on both.
            raise ValueError(f"{type(obj).__name__}.{f.name} is {value}, not a finite number")
        elif isinstance(obj, DispatchDecision) and f.name == "rejected":
            value = [dataclasses.asdict(option) for option in value]
        row[f.name] = value
    return row


_ENUM_FIELDS: dict[type[Any], dict[str, type[Enum]]] = {}


def _enum_fields(cls: type[Any]) -> dict[str, type[Enum]]:
    """Fields of ``cls`` typed ``SomeEnum`` or ``SomeEnum | None`` (cached per class)."""
    if cls in _ENUM_FIELDS:
        return _ENUM_FIELDS[cls]
    found: dict[str, type[Enum]] = {}
    for name, hint in typing.get_type_hints(cls).items():
        candidates = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        for c in candidates:
            if isinstance(c, type) and issubclass(c, Enum):
                found[name] = c
    _ENUM_FIELDS[cls] = found
    return found


def from_row(cls: type[T], row: Mapping[Any, Any]) -> T:
    """A model object from a row (extra columns, such as surrogate keys, are ignored)."""
    enums = _enum_fields(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        value = row[f.name]
        if value is not None and f.name in enums:
            value = enums[f.name](value)
        values[f.name] = value
    if cls is DispatchDecision:
        values["rejected"] = tuple(RejectedOption(**option) for option in values["rejected"])
    return cls(**values)
