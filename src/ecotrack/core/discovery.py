"""Find each domain's modules by convention: `ecotrack.<domain>.<module>`."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import ecotrack

NOT_DOMAINS = frozenset({"core", "calc", "factors", "migrations"})


def domain_names() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.iter_modules(ecotrack.__path__)
        if m.ispkg and m.name not in NOT_DOMAINS
    )


def domain_modules(module: str) -> list[ModuleType]:
    """Import `ecotrack.<domain>.<module>` for every domain that has one, in name order."""
    found = []
    for name in domain_names():
        qualified = f"ecotrack.{name}.{module}"
        try:
            found.append(importlib.import_module(qualified))
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                raise
    return found
