"""Organisation override layer: an organisation's own factors, consulted before the library.

Pure data, no DB. An `Override` either **replaces** one library factor id (`replaces=`) or
applies to an **activity** tag (`activity="electricity"`, optionally narrowed by region/year).
Override factors get the id `org:<org>:<override id>` and `source_id="org:<org>"`, so every
result says where it came from; resolvers on a `FactorView` also add a warning.

    view = registry.with_overrides(OverrideSet("acme", [
        Override(id="grid-ppa-2024", value=0.05, per_unit="kWh", activity="electricity",
                 region="GB", year=2024, name="Acme PPA supplier mix"),
        Override(id="gas", value=0.18, per_unit="kWh", replaces="desnz:2024:1_100_1004_6_1"),
    ]))
    view.grid_intensity("GB", 2024)       # -> Resolved(org:acme:grid-ppa-2024, warnings=(...))
    view.get("desnz:2024:1_100_1004_6_1")  # -> the override factor (source_id "org:acme")
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import FactorNotFound
from .types import Factor, Resolved, Source
from .units import KG_CO2E

if TYPE_CHECKING:
    from .registry import FactorRegistry

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, slots=True)
class Override:
    """One organisation factor: `value` `unit` per `per_unit`."""

    id: str
    value: float
    per_unit: str
    unit: str = KG_CO2E
    replaces: str | None = None  # library factor id this supersedes
    activity: str | None = None  # activity tag it applies to (electricity, natural_gas, ...)
    region: str | None = None  # None = any region
    year: int | None = None  # None = any year (the override Factor then has year 0)
    name: str = ""
    scope: str | None = None
    gwp_set: str | None = None
    notes: str = ""


class OverrideSet:
    """An organisation's overrides, indexed by replaced factor id and by activity."""

    def __init__(self, org: str, overrides: Iterable[Override] = ()) -> None:
        if not _ID_RE.match(org):
            raise ValueError(f"Invalid organisation key {org!r}")
        self.org = org
        self.source = Source(
            id=f"org:{org}",
            dataset="org",
            name=f"Organisation factors ({org})",
            publisher=org,
            edition="",
            year=None,
            licence="LicenseRef-Organisation",
            attribution="",
            url="",
            notes="Organisation-supplied factors; they take precedence over library factors.",
        )
        self.overrides: tuple[Override, ...] = tuple(overrides)
        self.factors: dict[str, Factor] = {}
        self.by_replaced: dict[str, Factor] = {}
        self._by_activity: dict[str, list[tuple[Override, Factor]]] = {}
        for ov in self.overrides:
            f = self._factor(ov)
            if f.id in self.factors:
                raise ValueError(f"Duplicate override id {ov.id!r}")
            self.factors[f.id] = f
            if ov.replaces:
                if ov.replaces in self.by_replaced:
                    raise ValueError(f"Two overrides replace {ov.replaces!r}")
                self.by_replaced[ov.replaces] = f
            if ov.activity:
                self._by_activity.setdefault(ov.activity.lower(), []).append((ov, f))

    def _factor(self, ov: Override) -> Factor:
        if not _ID_RE.match(ov.id):
            raise ValueError(f"Invalid override id {ov.id!r}")
        if not math.isfinite(ov.value) or ov.value < 0:
            raise ValueError(f"Override {ov.id!r}: value must be finite and >= 0")
        if not ov.per_unit.strip():
            raise ValueError(f"Override {ov.id!r}: per_unit is required")
        if not (ov.replaces or ov.activity):
            raise ValueError(f"Override {ov.id!r}: set replaces= or activity=")
        tags = {"override", "org"}
        if ov.activity:
            tags.add(ov.activity.lower())
        return Factor(
            id=f"{self.source.id}:{ov.id}",
            source_id=self.source.id,
            name=ov.name or f"{self.org} override {ov.id}",
            value=ov.value,
            unit=ov.unit,
            per_unit=ov.per_unit,
            region=(ov.region or "WORLD").upper(),
            year=ov.year or 0,
            gwp_set=ov.gwp_set,
            scope=ov.scope,
            reference=f"organisation override{f'; replaces {ov.replaces}' if ov.replaces else ''}"
            + (f"; {ov.notes}" if ov.notes else ""),
            tags=tuple(sorted(tags)),
        )

    def for_activity(
        self, activity: str, region: str | None, year: int | None, *, regional_only: bool = False
    ) -> Factor | None:
        """Most specific override for an activity: region+year > region > year > neither.

        `regional_only` skips overrides without a region (used to try a sub-national region,
        then its country, before the organisation-wide overrides).
        """
        best: tuple[int, Factor] | None = None
        reg = region.upper() if region else None
        for ov, f in self._by_activity.get(activity.lower(), []):
            if ov.region is None and regional_only:
                continue
            if ov.region is not None and ov.region.upper() != reg:
                continue
            if ov.year is not None and ov.year != year:
                continue
            rank = (2 if ov.region is not None else 0) + (1 if ov.year is not None else 0)
            if best is None or rank > best[0]:
                best = (rank, f)
        return best[1] if best else None


class FactorView:
    """A registry seen through an `OverrideSet`: overrides are consulted first."""

    def __init__(self, registry: FactorRegistry, overrides: OverrideSet) -> None:
        self.registry = registry
        self.overrides = overrides

    def _swap(self, factor: Factor, warnings: tuple[str, ...] = ()) -> Resolved:
        o = self.overrides.by_replaced.get(factor.id)
        if o is None:
            return Resolved(factor=factor, warnings=warnings)
        msg = f"Organisation override {o.id} replaces library factor {factor.id}."
        return Resolved(factor=o, warnings=(*warnings, msg))

    def resolve(self, factor_id: str) -> Resolved:
        """Like `get`, with a warning when an override replaced the library factor."""
        if factor_id in self.overrides.factors:
            return Resolved(factor=self.overrides.factors[factor_id])
        o = self.overrides.by_replaced.get(factor_id)
        if o is not None:
            msg = f"Organisation override {o.id} replaces library factor {factor_id}."
            return Resolved(factor=o, warnings=(msg,))
        return Resolved(factor=self.registry.get(factor_id))

    def get(self, factor_id: str) -> Factor:
        return self.resolve(factor_id).factor

    def grid_intensity(
        self, region: str, year: int | None = None, source: str = "ember"
    ) -> Resolved:
        """`activity="electricity"` overrides for the region (sub-national, then country) first."""
        raw = region.strip().upper()
        country = self.registry.to_alpha2(raw.split("-")[0]) if raw else None
        for reg in dict.fromkeys(r for r in (raw, country) if r):
            o = self.overrides.for_activity("electricity", reg, year, regional_only=True)
            if o is not None:
                msg = f"Using organisation override {o.id} for electricity in {raw} (not {source})."
                return Resolved(factor=o, warnings=(msg,))
        o = self.overrides.for_activity("electricity", None, year)
        if o is not None:
            msg = f"Using organisation override {o.id} for electricity, all regions (not {source})."
            return Resolved(factor=o, warnings=(msg,))
        base = self.registry.grid_intensity(region, year, source=source)
        return self._swap(base.factor, base.warnings)

    def desnz_lookup(
        self,
        year: int,
        *,
        level1: str,
        level2: str | None = None,
        level3: str | None = None,
        level4: str | None = None,
        column_text: str | None = None,
        uom: str,
        ghg: str = "kg CO2e",
    ) -> Resolved:
        f = self.registry.desnz_lookup(
            year,
            level1=level1,
            level2=level2,
            level3=level3,
            level4=level4,
            column_text=column_text,
            uom=uom,
            ghg=ghg,
        )
        return self._swap(f)

    def epa(self, table: int | str, key: str, variant: str | None = None) -> Resolved:
        return self._swap(self.registry.epa(table, key, variant))

    def egrid(self, subregion: str = "US", *, non_baseload: bool = False) -> Resolved:
        return self._swap(self.registry.egrid(subregion, non_baseload=non_baseload))

    def useeio(self, naics_code: str | int, margins: bool = True) -> Resolved:
        return self._swap(self.registry.useeio(naics_code, margins=margins))

    def search(
        self,
        text: str | None = None,
        *,
        source: str | None = None,
        year: int | None = None,
        region: str | None = None,
        scope: str | None = None,
        activity: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Factor], int]:
        """Matching override factors first, then the library's (replaced factors dropped)."""
        kw = {"source": source, "region": region, "scope": scope, "activity": activity}
        extra = [
            f
            for f in self.overrides.factors.values()
            if self.registry.matches(f, text, year=year, **kw)
        ]
        base, _ = self.registry.search(text, year=year, limit=sys.maxsize, offset=0, **kw)
        merged = extra + [f for f in base if f.id not in self.overrides.by_replaced]
        return merged[offset : offset + limit], len(merged)

    def sources(self) -> list[Source]:
        return [self.overrides.source, *self.registry.sources()]

    def source(self, source_id: str) -> Source:
        if source_id == self.overrides.source.id:
            return self.overrides.source
        return self.registry.source(source_id)

    def __contains__(self, factor_id: object) -> bool:
        if not isinstance(factor_id, str):
            return False
        try:
            self.resolve(factor_id)
        except FactorNotFound:
            return False
        return True
