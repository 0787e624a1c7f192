"""The name-and-defaults lookup that surfaces, optimizers and schedules share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def resolve(
    registry: Mapping[str, Mapping[str, Any]], kind: str, name: str, given: Mapping[str, Any]
) -> tuple[str, dict]:
    """``(key, defaults overridden by given)``; ValueError naming the valid choices otherwise."""
    key = name.lower() if isinstance(name, str) else name
    if key not in registry:
        raise ValueError(f"unknown {kind} {name!r}; choose one of {list(registry)}")
    unknown = sorted(set(given) - set(registry[key]))
    if unknown:
        raise ValueError(f"{kind} {key!r} has no parameter(s) {unknown}; it takes {sorted(registry[key])}")
    return key, {**registry[key], **given}
