"""LLM-inference catalogue: EcoLogits 0.11.3 models, electricity mixes and provider profiles.

Data files live in `data/ecologits_0_11_3/` (MPL-2.0, see SOURCE.md there):

- `models.json`: 342 models + 9 aliases (provider, name, dense/MoE parameter counts in billions,
  OpenRouter tokens/s and time-to-first-token, warnings, sources);
- `electricity_mixes.json`: 215 zones (ISO 3166-1 alpha-3 plus `WOR` world and `EEE` Europe) with
  GWP (kg CO2e/kWh), ADPe (kg Sb eq/kWh), PE (MJ/kWh) and off-site WUE (L/kWh);
- `providers.json`: the provider data-centre profiles (default zone, PUE, on-site WUE) that
  EcoLogits 0.11.3 hard-codes in `ecologits/tracers/utils.py` (`PROVIDER_CONFIG_MAP`);
- `iso3166_alpha2_to_alpha3.json`: alpha-2 -> alpha-3 map (EcoTrack's, ODC-PDDL) so callers may
  name zones with either code.

Everything is loaded once, lazily and thread-safely (`ModelCatalogue.builtin()`). Values are
immutable. `ModelCatalogue.with_custom_models` layers an organisation's own models on top of the
built-in catalogue: they are consulted first.

This module imports nothing from `ecotrack` but `ecotrack.factors.types`.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from ecotrack.factors.types import Factor, Source

ECOLOGITS_VERSION: Final = "0.11.3"
SOURCE_ID: Final = f"ecologits:{ECOLOGITS_VERSION}"
DATA_DIR: Final = (
    Path(__file__).resolve().parent / "data" / f"ecologits_{ECOLOGITS_VERSION.replace('.', '_')}"
)
ATTRIBUTION: Final = "Data from EcoLogits 0.11.3 (GenAI Impact), MPL-2.0, https://ecologits.ai"
# EcoLogits does not state the year of its mix data; 2025 is the year its OWID-based mixes
# were introduced (methodology update of November 2025).
MIX_DATA_YEAR: Final = 2025

WORLD_ZONE: Final = "WOR"
EUROPE_ZONE: Final = "EEE"

ORIGIN_BUILTIN: Final = SOURCE_ID
ORIGIN_CUSTOM: Final = "custom"

#: Convenience spellings accepted for EcoLogits' provider keys (EcoLogits itself is exact).
PROVIDER_ALIASES: Final[Mapping[str, str]] = {
    "google": "google_genai",
    "gemini": "google_genai",
    "mistral": "mistralai",
    "huggingface": "huggingface_hub",
    "hf": "huggingface_hub",
    "azure_openai": "openai",
    "azure-openai": "openai",
}

#: Readable names of EcoLogits' warning codes (texts as in `ecologits/status_messages.py`).
WARNING_MESSAGES: Final[Mapping[str, str]] = {
    "model-arch-not-released": (
        "The model architecture has not been released, expect lower precision."
    ),
    "model-arch-multimodal": "The model architecture is multimodal, expect lower precision.",
    "electricity-mix-adpe-world": (
        "The electricity mix ADPe factor is using the world default value, expect lower precision."
    ),
    "electricity-mix-pe-world": (
        "The electricity mix PE factor is using the world default value, expect lower precision."
    ),
    "electricity-mix-wue-world": (
        "The electricity mix WUE factor is using the world default value, expect lower precision."
    ),
    # EcoTrack's own codes
    "input-tokens-not-counted": (
        "Input tokens are not counted by the EcoLogits 0.11.3 method; use method 'extended' to "
        "add a prefill estimate."
    ),
    "custom-model-parameters": (
        "Model parameters come from a custom model or explicit parameters, not from EcoLogits."
    ),
}


# --------------------------------------------------------------------------------------------
# Value types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MinMax:
    """A closed interval [min, max] of a parameter (min == max for a point value)."""

    min: float
    max: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.min) and math.isfinite(self.max)):
            raise ValueError(f"bounds must be finite numbers, got {self.min!r}, {self.max!r}")
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")

    @property
    def is_range(self) -> bool:
        return self.min != self.max

    @classmethod
    def of(cls, value: Any) -> MinMax:
        """Build from a number, a `(min, max)` pair, a `{"min", "max"}` mapping or a MinMax."""
        if isinstance(value, MinMax):
            return value
        if isinstance(value, bool):
            raise ValueError("a boolean is not a number")
        if isinstance(value, int | float):
            v = float(value)
            return cls(v, v)
        if isinstance(value, Mapping):
            if set(value) != {"min", "max"}:
                raise ValueError("a range mapping needs exactly the keys 'min' and 'max'")
            return cls(_num(value["min"]), _num(value["max"]))
        if isinstance(value, tuple | list) and len(value) == 2:
            return cls(_num(value[0]), _num(value[1]))
        raise ValueError(f"expected a number, (min, max) or {{min, max}}, got {value!r}")


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class LLMModel:
    """One model of the catalogue, parameters in billions.

    `params_total_b` / `params_active_b` are intervals (dense models: total == active).
    `tps` (tokens/s) and `ttft_s` (time to first token, s) are OpenRouter statistics or None.
    `pue`, `wue_onsite` and `zone` are None for built-in models (the provider profile applies);
    custom models may set them.
    """

    provider: str
    name: str
    architecture: str  # "dense" | "moe"
    params_total_b: MinMax
    params_active_b: MinMax
    tps: float | None = None
    ttft_s: float | None = None
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    origin: str = ORIGIN_BUILTIN
    pue: MinMax | None = None
    wue_onsite: MinMax | None = None
    zone: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.name)


@dataclass(frozen=True, slots=True)
class ElectricityMix:
    """Impact factors of one kWh of electricity in one zone (EcoLogits units)."""

    zone: str  # ISO 3166-1 alpha-3, or WOR / EEE
    gwp: float  # kg CO2e / kWh
    adpe: float  # kg Sb eq / kWh
    pe: float  # MJ / kWh
    wue: float  # off-site water, L / kWh
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """Where a provider runs inference, as EcoLogits 0.11.3 assumes it."""

    provider: str
    zone: str  # default electricity-mix zone
    pue: MinMax
    wue_onsite: MinMax  # L / kWh of IT energy


@dataclass(frozen=True, slots=True)
class CustomModel:
    """An organisation's own model (or an override of a built-in one).

    Parameter counts in billions, each a number or `(min, max)`; `params_active_b` defaults to
    `params_total_b` (dense). `pue`, `wue_onsite`, `zone` override the provider profile; they are
    required when the provider is not one EcoLogits knows.
    """

    provider: str
    name: str
    params_total_b: float | tuple[float, float]
    params_active_b: float | tuple[float, float] | None = None
    tps: float | None = None
    ttft_s: float | None = None
    pue: float | tuple[float, float] | None = None
    wue_onsite: float | tuple[float, float] | None = None
    zone: str | None = None
    aliases: tuple[str, ...] = ()

    def to_model(self) -> LLMModel:
        if not self.provider or not self.name:
            raise ValueError("a custom model needs a provider and a name")
        total = MinMax.of(self.params_total_b)
        active = MinMax.of(self.params_active_b) if self.params_active_b is not None else total
        if total.min <= 0 or active.min <= 0:
            raise ValueError("parameter counts must be > 0 (billions)")
        if active.min > total.min or active.max > total.max:
            raise ValueError("active parameters cannot exceed total parameters")
        if self.tps is not None and not (math.isfinite(self.tps) and self.tps > 0):
            raise ValueError("tps must be a positive number")
        if self.ttft_s is not None and not (math.isfinite(self.ttft_s) and self.ttft_s >= 0):
            raise ValueError("ttft_s must be a number >= 0")
        pue = MinMax.of(self.pue) if self.pue is not None else None
        if pue is not None and pue.min < 1:
            raise ValueError("pue must be >= 1")
        wue = MinMax.of(self.wue_onsite) if self.wue_onsite is not None else None
        if wue is not None and wue.min < 0:
            raise ValueError("wue_onsite must be >= 0")
        return LLMModel(
            provider=self.provider,
            name=self.name,
            architecture="dense" if active == total else "moe",
            params_total_b=total,
            params_active_b=active,
            tps=None if self.tps is None else float(self.tps),
            ttft_s=None if self.ttft_s is None else float(self.ttft_s),
            aliases=tuple(self.aliases),
            origin=ORIGIN_CUSTOM,
            pue=pue,
            wue_onsite=wue,
            zone=self.zone,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CustomModel:
        """Build from a JSON-like mapping; ranges as `{"min", "max"}` or `[min, max]`."""
        known = {
            "provider",
            "name",
            "params_total_b",
            "params_active_b",
            "tps",
            "ttft_s",
            "pue",
            "wue_onsite",
            "zone",
            "aliases",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown custom-model fields: {sorted(unknown)}")

        def rng(v: Any) -> float | tuple[float, float] | None:
            if v is None:
                return None
            mm = MinMax.of(v)
            return mm.min if not mm.is_range else (mm.min, mm.max)

        total = rng(data.get("params_total_b"))
        active = rng(data.get("params_active_b"))
        if total is None:
            if active is None:
                raise ValueError("a custom model needs params_total_b or params_active_b")
            total = active
        return cls(
            provider=str(data["provider"]),
            name=str(data["name"]),
            params_total_b=total,
            params_active_b=active,
            tps=None if data.get("tps") is None else _num(data["tps"]),
            ttft_s=None if data.get("ttft_s") is None else _num(data["ttft_s"]),
            pue=rng(data.get("pue")),
            wue_onsite=rng(data.get("wue_onsite")),
            zone=None if data.get("zone") is None else str(data["zone"]),
            aliases=tuple(str(a) for a in data.get("aliases") or ()),
        )


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _read_json(name: str) -> Any:
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return json.load(fh)


def _parse_params(arch: Mapping[str, Any]) -> tuple[MinMax, MinMax]:
    """EcoLogits' `architecture.parameters`: number, {min,max}, or {total, active} of those."""
    params = arch["parameters"]
    if isinstance(params, Mapping) and "total" in params:
        return MinMax.of(params["total"]), MinMax.of(params["active"])
    both = MinMax.of(params)
    return both, both


def _load_models() -> tuple[dict[tuple[str, str], LLMModel], dict[tuple[str, str], LLMModel]]:
    """Return (canonical models, lookup including aliases)."""
    data = _read_json("models.json")
    aliases: dict[tuple[str, str], list[str]] = {}
    for a in data.get("aliases") or ():
        aliases.setdefault((a["provider"], a["alias"]), []).append(a["name"])
    canonical: dict[tuple[str, str], LLMModel] = {}
    for m in data["models"]:
        total, active = _parse_params(m["architecture"])
        dep = m.get("deployment") or {}
        key = (m["provider"], m["name"])
        if key in canonical:
            raise ValueError(f"duplicated model in models.json: {key}")
        canonical[key] = LLMModel(
            provider=m["provider"],
            name=m["name"],
            architecture=m["architecture"]["type"],
            params_total_b=total,
            params_active_b=active,
            tps=None if dep.get("tps") is None else float(dep["tps"]),
            ttft_s=None if dep.get("ttft") is None else float(dep["ttft"]),
            warnings=tuple(m.get("warnings") or ()),
            sources=tuple(m.get("sources") or ()),
            aliases=tuple(aliases.get(key, ())),
        )
    lookup = dict(canonical)
    for key, names in aliases.items():
        if key not in canonical:
            raise ValueError(f"alias target not found in models.json: {key}")
        for alias in names:
            lookup[(key[0], alias)] = canonical[key]
    return canonical, lookup


def _load_mixes() -> dict[str, ElectricityMix]:
    out: dict[str, ElectricityMix] = {}
    for e in _read_json("electricity_mixes.json")["electricity_mixes"]:
        zone = e["name"]
        if zone in out:
            raise ValueError(f"duplicated electricity mix: {zone}")
        out[zone] = ElectricityMix(
            zone=zone,
            gwp=float(e["gwp"]),
            adpe=float(e["adpe"]),
            pe=float(e["pe"]),
            wue=float(e["wue"]),
            warnings=tuple(e.get("warnings") or ()),
        )
    return out


def _load_providers() -> dict[str, ProviderProfile]:
    return {
        name: ProviderProfile(
            provider=name,
            zone=p["zone"],
            pue=MinMax.of(p["pue"]),
            wue_onsite=MinMax.of(p["wue_onsite"]),
        )
        for name, p in _read_json("providers.json")["providers"].items()
    }


def _load_alpha2() -> dict[str, str]:
    return dict(_read_json("iso3166_alpha2_to_alpha3.json")["alpha2_to_alpha3"])


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


class ModelCatalogue:
    """Models, electricity mixes and provider profiles, with an optional custom-model layer.

    Lookups are exact on `(provider, name)` (aliases included), as in EcoLogits; the provider
    may also be given by one of `PROVIDER_ALIASES`. Custom models are consulted first.
    """

    __slots__ = ("_builtin", "_lookup", "_custom", "_mixes", "_providers", "_alpha2")

    def __init__(
        self,
        *,
        builtin: Mapping[tuple[str, str], LLMModel],
        lookup: Mapping[tuple[str, str], LLMModel],
        mixes: Mapping[str, ElectricityMix],
        providers: Mapping[str, ProviderProfile],
        alpha2: Mapping[str, str],
        custom: Mapping[tuple[str, str], LLMModel] | None = None,
    ) -> None:
        self._builtin = builtin
        self._lookup = lookup
        self._mixes = mixes
        self._providers = providers
        self._alpha2 = alpha2
        self._custom: Mapping[tuple[str, str], LLMModel] = custom or {}

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def builtin(cls) -> ModelCatalogue:
        """The EcoLogits 0.11.3 catalogue, loaded once (thread-safe)."""
        global _BUILTIN
        cat = _BUILTIN
        if cat is None:
            with _LOCK:
                cat = _BUILTIN
                if cat is None:
                    canonical, lookup = _load_models()
                    cat = cls(
                        builtin=canonical,
                        lookup=lookup,
                        mixes=_load_mixes(),
                        providers=_load_providers(),
                        alpha2=_load_alpha2(),
                    )
                    _BUILTIN = cat
        return cat

    def with_custom_models(
        self, models: Iterable[CustomModel | LLMModel | Mapping[str, Any]]
    ) -> ModelCatalogue:
        """A new catalogue whose custom models (later ones win) are consulted before this one's."""
        custom: dict[tuple[str, str], LLMModel] = dict(self._custom)
        for item in models:
            if isinstance(item, LLMModel):
                model = item
            elif isinstance(item, CustomModel):
                model = item.to_model()
            else:
                model = CustomModel.from_mapping(item).to_model()
            if model.zone is not None:
                mix = self.mix(model.zone)
                if mix is None:
                    raise ValueError(f"custom model {model.name!r}: unknown zone {model.zone!r}")
                model = replace(model, zone=mix.zone)
            provider = self.normalise_provider(model.provider)
            for name in (model.name, *model.aliases):
                custom[(provider, name)] = model
        return ModelCatalogue(
            builtin=self._builtin,
            lookup=self._lookup,
            mixes=self._mixes,
            providers=self._providers,
            alpha2=self._alpha2,
            custom=custom,
        )

    # -- models ------------------------------------------------------------------------------

    @staticmethod
    def normalise_provider(provider: str) -> str:
        p = provider.strip()
        return PROVIDER_ALIASES.get(p.lower(), p)

    def find_model(self, provider: str, name: str) -> LLMModel | None:
        """The model called `name` (or an alias) at `provider`; custom models first."""
        key = (self.normalise_provider(provider), name.strip())
        found = self._custom.get(key)
        if found is None:
            found = self._lookup.get(key)
        return found

    def models(self, provider: str | None = None) -> list[LLMModel]:
        """Canonical models (custom first, then built-in not shadowed), optionally one provider."""
        seen: set[tuple[str, str]] = set()
        out: list[LLMModel] = []
        for model in self._custom.values():
            if model.key not in seen:
                seen.add(model.key)
                out.append(model)
        for key, model in self._builtin.items():
            if key not in self._custom and key not in seen:
                out.append(model)
        if provider is not None:
            p = self.normalise_provider(provider)
            out = [m for m in out if self.normalise_provider(m.provider) == p]
        return out

    @property
    def custom_models(self) -> list[LLMModel]:
        return list(dict.fromkeys(self._custom.values()))

    # -- providers ---------------------------------------------------------------------------

    def provider_profile(self, provider: str) -> ProviderProfile | None:
        return self._providers.get(self.normalise_provider(provider))

    def providers(self) -> list[ProviderProfile]:
        return list(self._providers.values())

    # -- zones -------------------------------------------------------------------------------

    def normalise_zone(self, zone: str) -> str:
        """Upper-cased alpha-3 / WOR / EEE code for `zone`; alpha-2 codes are mapped to alpha-3.

        The result may still be an unknown zone; `mix()` tells.
        """
        z = zone.strip().upper()
        if len(z) == 2:
            return self._alpha2.get(z, z)
        return z

    def mix(self, zone: str) -> ElectricityMix | None:
        """The electricity mix of `zone` (alpha-3, alpha-2, WOR or EEE; case-insensitive)."""
        found = self._mixes.get(zone)
        if found is None:
            found = self._mixes.get(self.normalise_zone(zone))
        return found

    def mixes(self) -> list[ElectricityMix]:
        return list(self._mixes.values())

    def alpha3_to_alpha2(self) -> dict[str, str]:
        return {a3: a2 for a2, a3 in self._alpha2.items()}


_BUILTIN: ModelCatalogue | None = None
_LOCK = threading.Lock()


def default_catalogue() -> ModelCatalogue:
    """The built-in EcoLogits 0.11.3 catalogue (shared, immutable)."""
    return ModelCatalogue.builtin()


# --------------------------------------------------------------------------------------------
# Factor-library view
# --------------------------------------------------------------------------------------------


def llm_sources() -> list[Source]:
    """The dataset editions this module serves (for the factor registry)."""
    return [
        Source(
            id=SOURCE_ID,
            dataset="ecologits",
            name="EcoLogits LLM inference data: model parameters and electricity mixes",
            publisher="GenAI Impact (EcoLogits project)",
            edition=ECOLOGITS_VERSION,
            year=None,
            licence="MPL-2.0",
            attribution=ATTRIBUTION,
            url="https://ecologits.ai",
            notes=(
                "From the PyPI wheel ecologits-0.11.3-py3-none-any.whl; source form at "
                "https://github.com/genai-impact/ecologits. GWP of mixes from Our World in Data, "
                "ADPe and PE from ADEME Base Empreinte, off-site WUE per the WRI method. "
                "Closed-model parameter counts are estimates (warning model-arch-not-released)."
            ),
        )
    ]


def _mix_region(zone: str, a3_to_a2: Mapping[str, str]) -> str:
    if zone == WORLD_ZONE:
        return "WORLD"
    if zone == EUROPE_ZONE:
        return "EUROPE"
    return a3_to_a2.get(zone, zone)


def llm_factors(catalogue: ModelCatalogue | None = None) -> Iterator[Factor]:
    """Every electricity mix as a GWP factor `ecologits:0.11.3:mix:<ZONE>` (kg CO2e per kWh).

    ADPe, PE and off-site WUE of the mix are kept in `reference` for display; the calculation
    engine reads them from the catalogue directly.
    """
    cat = catalogue or default_catalogue()
    a3_to_a2 = cat.alpha3_to_alpha2()
    for mix in cat.mixes():
        region = _mix_region(mix.zone, a3_to_a2)
        tags = ("electricity", "grid", "llm", "ai-inference", mix.zone.lower(), *mix.warnings)
        yield Factor(
            id=f"{SOURCE_ID}:mix:{mix.zone}",
            source_id=SOURCE_ID,
            name=f"Electricity mix > {mix.zone} > GWP per kWh (EcoLogits)",
            value=mix.gwp,
            unit="kg CO2e",
            per_unit="kWh",
            region=region,
            year=MIX_DATA_YEAR,
            scope="Scope 2",
            reference=(
                f"electricity_mixes.json name={mix.zone}; adpe={mix.adpe} kgSbeq/kWh; "
                f"pe={mix.pe} MJ/kWh; wue={mix.wue} L/kWh"
                + (f"; warnings={','.join(mix.warnings)}" if mix.warnings else "")
            ),
            tags=tags,
        )
