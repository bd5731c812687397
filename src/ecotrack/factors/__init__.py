"""EcoTrack factor library: published emission-factor datasets as typed, cited `Factor`s.

Entry point: `get_registry()` (process-wide, lazily loaded, thread-safe). See `registry.py`
for the lookup API and `docs/factors.md` for datasets, licences, id schemes and fallbacks.
"""

from __future__ import annotations

from .errors import FactorNotFound, ReferenceNotFound
from .overrides import FactorView, Override, OverrideSet
from .reference import Airport, Country
from .registry import FactorRegistry, get_registry
from .types import Factor, Resolved, Source, Uncertainty
from .units import PINT_DEFINITIONS, define_units

__all__ = [
    "PINT_DEFINITIONS",
    "Airport",
    "Country",
    "Factor",
    "FactorNotFound",
    "FactorRegistry",
    "FactorView",
    "Override",
    "OverrideSet",
    "ReferenceNotFound",
    "Resolved",
    "Source",
    "Uncertainty",
    "define_units",
    "get_registry",
]
