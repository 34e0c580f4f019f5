"""Shared helpers for the config dataclasses of every learnable part."""

from __future__ import annotations

from dataclasses import fields
from typing import TypeVar

T = TypeVar("T")


def strict_from_dict(cls: type[T], data: dict) -> T:
    """Build a dataclass from a dict; unknown keys are an error that lists the valid ones
    (a typo in a YAML file should fail loudly, not be ignored)."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields {unknown}; valid fields: {sorted(known)}")
    return cls(**data)
