"""EcoLogits 0.11.3 catalogue: data files, lookups, zones, provider profiles, custom models."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import threading
from pathlib import Path

import pytest

from ecotrack.factors import llm as cat_mod
from ecotrack.factors.llm import (
    ATTRIBUTION,
    DATA_DIR,
    SOURCE_ID,
    CustomModel,
    LLMModel,
    MinMax,
    ModelCatalogue,
    default_catalogue,
    llm_factors,
    llm_sources,
)

SHARED = Path(__file__).resolve().parents[2] / "src" / "ecotrack" / "factors" / "data"


@pytest.fixture(scope="module")
def cat() -> ModelCatalogue:
    return default_catalogue()


# -- data files -------------------------------------------------------------------------------


def test_source_md_hashes_match_files() -> None:
    """SOURCE.md lists the SHA-256 of every shipped file; they must match the bytes."""
    text = (DATA_DIR / "SOURCE.md").read_text(encoding="utf-8")
    listed = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`[0-9a-f]{64}`", cells[2]):
            listed[cells[0].strip("`")] = cells[2].strip("`")
    shipped = {p.name for p in DATA_DIR.iterdir() if p.name != "SOURCE.md"}
    assert shipped <= set(listed), shipped - set(listed)
    for name in shipped:
        digest = hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest()
        assert digest == listed[name], name
    assert ATTRIBUTION in text
    assert "MPL-2.0" in text


def test_data_files_identical_to_ecologits_wheel() -> None:
    import ecologits

    wheel_data = Path(ecologits.__file__).parent / "data"
    for name in ("models.json", "electricity_mixes.json", "video_models.json"):
        assert (DATA_DIR / name).read_bytes() == (wheel_data / name).read_bytes(), name


def test_counts(cat: ModelCatalogue) -> None:
    models = cat.models()
    assert len(models) == 342
    by_provider: dict[str, int] = {}
    for m in models:
        by_provider[m.provider] = by_provider.get(m.provider, 0) + 1
    assert by_provider == {
        "huggingface_hub": 176,
        "openai": 86,
        "mistralai": 34,
        "google_genai": 21,
        "anthropic": 14,
        "cohere": 11,
    }
    assert sum(m.architecture == "dense" for m in models) == 234
    assert sum(m.architecture == "moe" for m in models) == 108
    assert sum("model-arch-not-released" in m.warnings for m in models) == 122
    assert sum(len(m.aliases) for m in models) == 9
    assert len(cat.mixes()) == 215
    mixes = {m.zone: m for m in cat.mixes()}
    assert sum("electricity-mix-wue-world" in m.warnings for m in mixes.values()) == 165
    assert sum("electricity-mix-adpe-world" in m.warnings for m in mixes.values()) == 77


def test_models_match_flat_csv(cat: ModelCatalogue) -> None:
    """Cross-check the JSON parser against the shared flat CSV (independent derivation)."""
    path = SHARED / "ecologits_0_11_3" / "models_flat.csv"
    if not path.exists():
        pytest.skip("shared data not present")
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 342
    for row in rows:
        m = cat.find_model(row["provider"], row["name"])
        assert m is not None
        assert m.architecture == row["architecture_type"]
        assert m.params_total_b == MinMax(
            float(row["total_params_billion_min"]), float(row["total_params_billion_max"])
        )
        assert m.params_active_b == MinMax(
            float(row["active_params_billion_min"]), float(row["active_params_billion_max"])
        )
        tps = row["deployment_tokens_per_second"]
        assert m.tps == (float(tps) if tps else None)
        ttft = row["deployment_ttft_seconds"]
        assert m.ttft_s == (float(ttft) if ttft else None)


def test_mixes_match_flat_csv(cat: ModelCatalogue) -> None:
    path = SHARED / "ecologits_0_11_3" / "electricity_mixes_flat.csv"
    if not path.exists():
        pytest.skip("shared data not present")
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            mix = cat.mix(row["zone"])
            assert mix is not None
            assert mix.gwp == float(row["gwp_kgco2eq_per_kwh"])
            assert mix.adpe == float(row["adpe_kgsbeq_per_kwh"])
            assert mix.pe == float(row["pe_mj_per_kwh"])
            assert mix.wue == float(row["wue_l_per_kwh"])


def test_reference_values(cat: ModelCatalogue) -> None:
    """Figures quoted in the research note (§1.7)."""
    wor, usa, swe = cat.mix("WOR"), cat.mix("USA"), cat.mix("SWE")
    assert wor is not None
    assert usa is not None
    assert swe is not None
    assert (wor.gwp, wor.wue, wor.pe, wor.adpe) == (0.45829, 3.908, 2.5871, 1.349e-8)
    assert (usa.gwp, usa.wue) == (0.3844, 3.1321)
    assert (swe.gwp, swe.wue) == (0.03526, 6.0315)
    mini = cat.find_model("openai", "gpt-4o-mini")
    assert mini is not None
    assert mini.params_total_b == MinMax(8, 28)
    assert set(mini.warnings) == {"model-arch-not-released", "model-arch-multimodal"}


# -- provider profiles ------------------------------------------------------------------------


def test_provider_profiles(cat: ModelCatalogue) -> None:
    p = {x.provider: x for x in cat.providers()}
    assert set(p) == {
        "anthropic",
        "cohere",
        "google_genai",
        "huggingface_hub",
        "mistralai",
        "openai",
    }
    assert (p["openai"].zone, p["openai"].pue, p["openai"].wue_onsite) == (
        "USA",
        MinMax(1.2, 1.2),
        MinMax(0.569, 0.569),
    )
    assert p["anthropic"].pue == MinMax(1.09, 1.14)
    assert p["anthropic"].wue_onsite == MinMax(0.13, 0.999)
    assert p["huggingface_hub"].wue_onsite == MinMax(0.13, 0.99)
    assert (p["mistralai"].zone, p["mistralai"].pue.min, p["mistralai"].wue_onsite.min) == (
        "SWE",
        1.16,
        0.09,
    )


def test_provider_profiles_match_ecologits_source(cat: ModelCatalogue) -> None:
    """providers.json transcribes PROVIDER_CONFIG_MAP of ecologits/tracers/utils.py exactly."""
    utils = pytest.importorskip("ecologits.tracers.utils")
    from ecologits.utils.range_value import RangeValue

    def mm(v: object) -> MinMax:
        if isinstance(v, RangeValue):
            return MinMax(v.min, v.max)
        assert isinstance(v, int | float)
        return MinMax(v, v)

    upstream = utils.PROVIDER_CONFIG_MAP
    assert set(upstream) == {p.provider for p in cat.providers()}
    for name, conf in upstream.items():
        prof = cat.provider_profile(name)
        assert prof is not None
        assert prof.zone == conf.datacenter_location
        assert prof.pue == mm(conf.datacenter_pue)
        assert prof.wue_onsite == mm(conf.datacenter_wue)


def test_provider_aliases(cat: ModelCatalogue) -> None:
    assert cat.normalise_provider("google") == "google_genai"
    assert cat.normalise_provider("Mistral") == "mistralai"
    assert cat.find_model("azure_openai", "gpt-4o-mini") is cat.find_model("openai", "gpt-4o-mini")


# -- lookups ----------------------------------------------------------------------------------


def test_aliases_resolve_to_canonical(cat: ModelCatalogue) -> None:
    data = json.loads((DATA_DIR / "models.json").read_text(encoding="utf-8"))
    for a in data["aliases"]:
        via_alias = cat.find_model(a["provider"], a["name"])
        target = cat.find_model(a["provider"], a["alias"])
        assert via_alias is not None
        assert via_alias is target
        assert a["name"] in target.aliases
    assert cat.find_model("openai", "gpt-35-turbo") is cat.find_model("openai", "gpt-3.5-turbo")


def test_lookup_is_exact(cat: ModelCatalogue) -> None:
    assert cat.find_model("openai", "GPT-4o-mini") is None
    assert cat.find_model("anthropic", "claude-3-5-sonnet-20240620") is None  # dropped by 0.11.3
    assert cat.find_model("nobody", "gpt-4o-mini") is None


def test_zones_alpha2_alpha3_case(cat: ModelCatalogue) -> None:
    assert cat.mix("FR") is cat.mix("FRA")
    assert cat.mix("fr") is cat.mix("FRA")
    assert cat.mix(" gb ") is cat.mix("GBR")
    assert cat.mix("wor") is cat.mix("WOR")
    assert cat.mix("EEE") is not None
    assert cat.mix("XX") is None
    assert cat.mix("ZZZ") is None
    assert cat.normalise_zone("us") == "USA"


def test_alpha2_map_matches_iso_csv() -> None:
    path = SHARED / "iso3166" / "iso3166_countries.csv"
    with open(path, encoding="utf-8") as fh:
        expected = {r["alpha2"]: r["alpha3"] for r in csv.DictReader(fh)}
    shipped = json.loads((DATA_DIR / "iso3166_alpha2_to_alpha3.json").read_text())
    assert shipped["alpha2_to_alpha3"] == expected


def test_every_mix_zone_is_iso_or_special(cat: ModelCatalogue) -> None:
    a3 = set(cat.alpha3_to_alpha2())
    for mix in cat.mixes():
        assert mix.zone in a3 or mix.zone in ("WOR", "EEE"), mix.zone


def test_builtin_loads_once_thread_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cat_mod, "_BUILTIN", None)
    calls = []
    real = cat_mod._load_models

    def counting() -> object:
        calls.append(1)
        return real()

    monkeypatch.setattr(cat_mod, "_load_models", counting)
    seen: list[ModelCatalogue] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        seen.append(ModelCatalogue.builtin())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(c is seen[0] for c in seen)


# -- factor-library view ----------------------------------------------------------------------


def test_llm_sources() -> None:
    (src,) = llm_sources()
    assert src.id == SOURCE_ID == "ecologits:0.11.3"
    assert src.dataset == "ecologits"
    assert src.licence == "MPL-2.0"
    assert src.attribution == ATTRIBUTION


def test_llm_factors(cat: ModelCatalogue) -> None:
    factors = {f.id: f for f in llm_factors()}
    assert len(factors) == 215
    usa = factors["ecologits:0.11.3:mix:USA"]
    assert (usa.value, usa.unit, usa.per_unit, usa.region) == (0.3844, "kg CO2e", "kWh", "US")
    assert usa.source_id == SOURCE_ID
    assert factors["ecologits:0.11.3:mix:WOR"].region == "WORLD"
    assert factors["ecologits:0.11.3:mix:FRA"].region == "FR"
    assert "electricity-mix-wue-world" in factors["ecologits:0.11.3:mix:AGO"].tags


# -- custom models ----------------------------------------------------------------------------


def test_custom_models_consulted_first(cat: ModelCatalogue) -> None:
    custom = cat.with_custom_models(
        [
            CustomModel("openai", "gpt-4o-mini", params_total_b=7),
            {
                "provider": "acme",
                "name": "acme-1",
                "params_total_b": [30, 40],
                "pue": 1.3,
                "wue_onsite": 0.5,
                "zone": "fr",
                "params_active_b": {"min": 3, "max": 4},
            },
        ]
    )
    over = custom.find_model("openai", "gpt-4o-mini")
    assert over is not None
    assert over.origin == "custom"
    assert over.params_total_b == MinMax(7, 7)
    # the built-in catalogue is untouched
    base = cat.find_model("openai", "gpt-4o-mini")
    assert base is not None
    assert base.origin == SOURCE_ID
    acme = custom.find_model("acme", "acme-1")
    assert acme is not None
    assert acme.architecture == "moe"
    assert acme.params_active_b == MinMax(3, 4)
    assert acme.zone == "FRA"  # normalised on registration
    assert {m.key for m in custom.custom_models} == {("openai", "gpt-4o-mini"), ("acme", "acme-1")}
    assert len(custom.models()) == 343  # one override + one new model
    # layering: a later layer wins
    again = custom.with_custom_models([CustomModel("openai", "gpt-4o-mini", params_total_b=9)])
    m = again.find_model("openai", "gpt-4o-mini")
    assert m is not None
    assert m.params_total_b.min == 9


@pytest.mark.parametrize(
    "kwargs",
    [
        {"params_total_b": 0},
        {"params_total_b": -1},
        {"params_total_b": (5, 3)},
        {"params_total_b": 10, "params_active_b": 20},
        {"params_total_b": 10, "pue": 0.9},
        {"params_total_b": 10, "tps": 0},
        {"params_total_b": float("nan")},
    ],
)
def test_custom_model_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        CustomModel("acme", "x", **kwargs).to_model()  # type: ignore[arg-type]


def test_custom_model_bad_zone_and_fields(cat: ModelCatalogue) -> None:
    with pytest.raises(ValueError, match="unknown zone"):
        cat.with_custom_models([CustomModel("acme", "x", params_total_b=1, zone="ZZZ")])
    with pytest.raises(ValueError, match="unknown custom-model fields"):
        cat.with_custom_models([{"provider": "acme", "name": "x", "params": 1}])
    with pytest.raises(ValueError, match="needs params_total_b"):
        cat.with_custom_models([{"provider": "acme", "name": "x"}])


def test_minmax() -> None:
    assert MinMax.of(3) == MinMax(3.0, 3.0)
    assert MinMax.of((1, 2)).is_range
    assert MinMax.of({"min": 1, "max": 1}) == MinMax(1, 1)
    with pytest.raises(ValueError):  # noqa: PT011
        MinMax.of(True)
    with pytest.raises(ValueError):  # noqa: PT011
        MinMax.of("3")
    assert isinstance(LLMModel("p", "n", "dense", MinMax(1, 1), MinMax(1, 1)).key, tuple)
