"""Generic index: get, search, sources, providers, singleton, thread safety, units, files."""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Any

import pint
import pytest

from ecotrack.factors import (
    Factor,
    FactorNotFound,
    ReferenceNotFound,
    Source,
    define_units,
    get_registry,
)
from ecotrack.factors.registry import FactorRegistry

from ._util import DATA

# Attribution texts exactly as shared/data/PROVENANCE.md gives them.
ATTRIBUTION = {
    "desnz:2024": (
        "Contains public sector information licensed under the Open Government Licence v3.0."
    ),
    "ember:2025": (
        "Ember – Yearly Electricity Data (2025), "
        "https://ember-energy.org/data/yearly-electricity-data/, licensed under CC BY 4.0."
    ),
    "owid:2026-04": (
        "Our World in Data – Carbon intensity of electricity (downloaded about April 2026), "
        "with major processing by Our World in Data from Ember and the Energy Institute "
        "Statistical Review of World Energy. "
        "https://ourworldindata.org/grapher/carbon-intensity-electricity, CC BY 4.0."
    ),
    "ccf:2024": (
        "Cloud Carbon Footprint coefficients © Thoughtworks, Inc. and contributors, licensed "
        "under the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0)."
    ),
    "useeio:1.3.0": (
        "U.S. EPA, Office of Research and Development. Supply Chain Greenhouse Gas Emission "
        "Factors v1.3 by NAICS-6. DOI: 10.23719/1531143."
    ),
    "epa-hub:2025": "U.S. EPA, GHG Emission Factors Hub, 2025 edition (January 2025).",
}
LICENCE = {
    "desnz:2023": "OGL-UK-3.0", "desnz:2024": "OGL-UK-3.0", "desnz:2025": "OGL-UK-3.0",
    "epa-hub:2025": "Public-Domain-US-Gov", "egrid:2023": "Public-Domain-US-Gov",
    "ember:2025": "CC-BY-4.0", "useeio:1.3.0": "Public-Domain-US-Gov", "ccf:2024": "Apache-2.0",
    "ipcc:ar5": "CC0-1.0", "iso3166:2026-05-15": "ODC-PDDL-1.0",
}  # fmt: skip


def test_get_and_contains(reg: FactorRegistry) -> None:
    f = reg.get("ember:2025:FR:2024")
    assert f.region == "FR"
    assert f.year == 2024
    assert "ember:2025:FR:2024" in reg
    assert "ember:2025:FR:1900" not in reg
    with pytest.raises(KeyError):
        reg.get("ember:2025:FR:1900")
    with pytest.raises(FactorNotFound, match="known id prefixes"):
        reg.get("nope:1:2")
    with pytest.raises(FactorNotFound) as exc:
        reg.get("desnz:2024:7_400_4000_5_9")
    assert "desnz:2024:7_400_4000_5_1" in exc.value.candidates


def test_sources_licences_and_attribution(reg: FactorRegistry) -> None:
    sources = {s.id: s for s in reg.sources()}
    for sid, text in ATTRIBUTION.items():
        assert sources[sid].attribution == text, sid
    for sid, lic in LICENCE.items():
        assert sources[sid].licence == lic, sid
    for key in ("desnz", "epa", "egrid", "ember", "owid", "useeio", "ccf", "ipcc"):
        assert any(s.dataset == key for s in sources.values()), key
    assert reg.source("egrid:2023").dataset == "egrid"
    with pytest.raises(ReferenceNotFound):
        reg.source("nope:1")


def test_all_factors_are_consistent(reg: FactorRegistry) -> None:
    reg.load_all()
    factors, total = reg.search(limit=10**7)
    assert total == len(factors) > 30000
    ids = [f.id for f in factors]
    assert len(set(ids)) == len(ids)
    source_ids = {s.id for s in reg.sources()}
    ureg: Any = pint.UnitRegistry()
    define_units(ureg)
    per_units = {f.per_unit for f in factors}
    for pu in per_units:
        ureg.parse_units(pu)  # every per_unit is pint-parsable
    assert {"passenger_km", "passenger_mile", "room_night", "FTE_hour", "tonne_km"} <= per_units
    assert ureg.Quantity(1, "passenger_mile").to("passenger_km").magnitude == pytest.approx(
        1.609344
    )
    for f in factors:
        assert f.source_id in source_ids, f.id
        assert f.id.startswith(f.source_id + ":"), f.id
        assert f.region
        assert f.unit
        assert f.per_unit


def test_search_text_filters_and_paging(reg: FactorRegistry) -> None:
    page1, total = reg.search("electricity generated", source="desnz", limit=3)
    assert total > 3
    assert len(page1) == 3
    everything, total2 = reg.search("electricity generated", source="desnz", limit=1000)
    assert total2 == total == len(everything)
    page2, _ = reg.search("electricity generated", source="desnz", limit=3, offset=3)
    assert page1 + page2 == everything[:6]
    assert reg.search("ELECTRICITY Generated", source="desnz", limit=0)[1] == total
    assert reg.search("electricity generated", source="desnz", offset=total)[0] == []
    for f in everything:
        hay = f"{f.id} {f.name} {' '.join(f.tags)}".lower()
        assert "electricity" in hay
        assert "generated" in hay
        assert f.source_id.startswith("desnz:")
    y, _ = reg.search(source="desnz:2025", year=2025, scope="2", limit=10**6)
    assert y
    assert all(f.scope == "Scope 2" and f.source_id == "desnz:2025" for f in y)
    us, _ = reg.search(region="USA", source="ember", limit=10**6)
    assert us
    assert all(f.region == "US" for f in us)
    flights, _ = reg.search(activity="flight", source="epa", limit=100)
    assert flights
    assert all("flight" in f.tags for f in flights)
    outside, _ = reg.search(scope="outside", limit=5)
    assert outside
    assert all(f.scope == "Outside of Scopes" for f in outside)
    with pytest.raises(ValueError, match="limit"):
        reg.search(limit=-1)


def test_register_provider_hook() -> None:
    r = FactorRegistry()
    calls = []
    src = Source(id="demo:1", dataset="demo", name="Demo", publisher="p", edition="1", year=None,
                 licence="MPL-2.0", attribution="a", url="u")  # fmt: skip

    def loader() -> tuple[list[Source], list[Factor]]:
        calls.append(1)
        f = Factor(id="demo:1:mix:FRA", source_id="demo:1", name="Demo mix FRA", value=0.05,
                   unit="kg CO2e", per_unit="kWh", region="FR", year=2024)  # fmt: skip
        return [src], [f]

    r.register_provider("demo", loader)
    assert calls == []
    assert r.get("demo:1:mix:FRA").value == 0.05
    assert calls == [1]
    assert r.search("mix fra", source="demo")[1] == 1
    assert r.source("demo:1") == src
    assert src in r.sources()
    assert calls == [1]
    with pytest.raises(ValueError, match="already registered"):
        r.register_provider("demo", loader)


def test_singleton_registers_ecologits_if_present() -> None:
    reg = get_registry()
    assert get_registry() is reg
    try:
        import ecotrack.factors.llm  # noqa: F401
    except ModuleNotFoundError:
        pytest.skip("ecotrack.factors.llm not present")
    assert any(s.dataset == "ecologits" for s in reg.sources())


def test_concurrent_first_use_loads_each_dataset_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecotrack.factors import desnz

    calls: list[int] = []
    real = desnz.load

    def counting(year: int) -> desnz.DesnzTable:
        calls.append(year)
        return real(year)

    monkeypatch.setattr(desnz, "load", counting)
    r = FactorRegistry()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            assert r.get("desnz:2025:7_400_4000_5_1").value == 0.177
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert calls == [2025]


def test_lazy_loading_touches_only_what_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecotrack.factors import desnz

    calls: list[int] = []
    real = desnz.load

    def counting(year: int) -> desnz.DesnzTable:
        calls.append(year)
        return real(year)

    monkeypatch.setattr(desnz, "load", counting)
    r = FactorRegistry()
    r.get("ember:2025:GB:2024")
    assert calls == []
    r.get("desnz:2024:7_400_4000_5_1")
    assert calls == [2024]


def test_shipped_files_match_source_md_checksums() -> None:
    row = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", re.MULTILINE)
    checked = 0
    for source_md in DATA.glob("*/SOURCE.md"):
        if source_md.parent.name.startswith("ecologits"):
            continue
        listed = dict(row.findall(source_md.read_text(encoding="utf-8")))
        data_files = {p.name for p in source_md.parent.iterdir() if p.suffix in (".csv", ".json")}
        assert data_files == set(listed), source_md
        for name, digest in listed.items():
            assert hashlib.sha256((source_md.parent / name).read_bytes()).hexdigest() == digest
            checked += 1
    assert checked == 34  # 3 DESNZ, 13 EPA Hub, 2 USEEIO, 11 CCF, 5 single-file datasets


def test_useeio_files_match_provenance_sha256() -> None:
    expected = {  # PROVENANCE §5
        "CO2e": "c7f508646ee091cb2218be65dec0e2bdb6143ba8511773d486c9e87f6df84177",
        "byGHG": "963952e5911dd5c5a4408172192b327c1583b5491a5b80c2d7cb03260411ee16",
    }
    for name, digest in expected.items():
        path = (
            DATA
            / "useeio_v1_3_0"
            / f"SupplyChainGHGEmissionFactors_v1.3.0_NAICS_{name}_USD2022.csv"
        )
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
