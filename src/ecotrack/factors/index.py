"""Generic factor index: lazily loaded datasets ("bundles"), O(1) `get`, filtered `search`.

`FactorRegistry` (registry.py) adds the dataset-specific lookups on top of this class. Each
bundle is loaded once, on first use, under its own lock; loaded factors are merged into one
dict, so `get` is a dict lookup. Other modules add datasets with `register_provider`.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from .errors import FactorNotFound, ReferenceNotFound
from .types import Factor, Source

T = TypeVar("T")
ProviderLoader = Callable[[], tuple[Iterable[Source], Iterable[Factor]]]


@dataclass(eq=False)
class _Bundle:
    """A unit of lazy loading: one dataset edition (or one registered provider)."""

    key: str
    datasets: tuple[str, ...]
    prefixes: tuple[str, ...]
    load: ProviderLoader
    lock: threading.Lock = field(default_factory=threading.Lock)
    loaded: bool = False
    factors: tuple[Factor, ...] = ()
    source_ids: frozenset[str] = frozenset()
    haystacks: tuple[str, ...] | None = None
    sorted_ids: tuple[str, ...] | None = None


@functools.lru_cache(maxsize=64)
def _norm_scope(scope: str) -> str:
    s = scope.strip().casefold().replace("_", " ")
    if s.isdigit():
        return f"scope {s}"
    if s.startswith("scope") and s[5:].strip().isdigit():
        return f"scope {s[5:].strip()}"
    return "outside of scopes" if s.startswith("outside") else s


class FactorIndex:
    """All loaded factors and sources, plus the lazy-loading machinery."""

    def __init__(self, sources: Iterable[Source] = ()) -> None:
        self._lock = threading.RLock()
        self._cache: dict[str, object] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._factors: dict[str, Factor] = {}
        self._sources: dict[str, Source] = {s.id: s for s in sources}
        self._bundles: list[_Bundle] = []

    # -- loading ---------------------------------------------------------------------------

    def _add_bundle(
        self, key: str, datasets: tuple[str, ...], prefixes: tuple[str, ...], load: ProviderLoader
    ) -> None:
        with self._lock:
            if any(b.key == key for b in self._bundles):
                raise ValueError(f"Dataset {key!r} is already registered")
            self._bundles.append(_Bundle(key, datasets, prefixes, load))

    def _once(self, name: str, fn: Callable[[], T]) -> T:
        """Build `name` once (thread-safe, one lock per table) and cache it."""
        if name in self._cache:
            return cast(T, self._cache[name])
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._cache:
                self._cache[name] = fn()
        return cast(T, self._cache[name])

    def _ensure(self, bundle: _Bundle) -> None:
        if bundle.loaded:
            return
        with bundle.lock:
            if bundle.loaded:
                return
            sources, factors = bundle.load()
            sources, factors = tuple(sources), tuple(factors)
            with self._lock:
                new: dict[str, Factor] = {}
                for f in factors:
                    if f.id in self._factors or f.id in new:
                        raise ValueError(f"Duplicate factor id {f.id!r} from {bundle.key}")
                    new[f.id] = f
                for s in sources:
                    self._sources.setdefault(s.id, s)
                self._factors.update(new)
                bundle.factors = factors
                bundle.source_ids = frozenset(s.id for s in sources) | {
                    f.source_id for f in factors
                }
            bundle.loaded = True

    def register_provider(
        self,
        dataset_key: str,
        loader: ProviderLoader,
        *,
        id_prefixes: Iterable[str] | None = None,
    ) -> None:
        """Add a dataset from another module; `loader()` -> (sources, factors), called lazily once.

        Its factors then appear in `get`, `search` and `sources`. Factor ids should start with
        one of `id_prefixes` (default `"<dataset_key>:"`) so `get` knows which loader to run.
        """
        prefixes = tuple(id_prefixes) if id_prefixes else (f"{dataset_key}:",)
        self._add_bundle(f"provider:{dataset_key}", (dataset_key,), prefixes, loader)

    def load_all(self) -> None:
        """Load every registered dataset now (e.g. at start-up) instead of on first use."""
        for b in list(self._bundles):
            self._ensure(b)

    # -- generic index ---------------------------------------------------------------------

    def get(self, factor_id: str) -> Factor:
        """The factor with this id (any dataset). Raises `FactorNotFound` (a `KeyError`)."""
        f = self._factors.get(factor_id)
        if f is not None:
            return f
        matching = [b for b in self._bundles if factor_id.startswith(b.prefixes)]
        for b in matching:
            self._ensure(b)
        f = self._factors.get(factor_id)
        if f is not None:
            return f
        close = self._nearby_ids(factor_id, matching)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        if not matching:
            known = sorted({p for b in self._bundles for p in b.prefixes})
            hint = f"; known id prefixes: {', '.join(known)}"
        raise FactorNotFound(f"No factor {factor_id!r}{hint}", close)

    def _nearby_ids(self, factor_id: str, bundles: list[_Bundle]) -> tuple[str, ...]:
        """Up to 5 ids that sort next to `factor_id`, best string match first (cheap)."""
        nearby: list[str] = []
        for b in bundles:
            if b.sorted_ids is None:
                b.sorted_ids = tuple(sorted(f.id for f in b.factors))
            i = bisect.bisect_left(b.sorted_ids, factor_id)
            nearby.extend(b.sorted_ids[max(0, i - 10) : i + 10])
        ranked = difflib.get_close_matches(factor_id, nearby, n=5, cutoff=0.6)
        return tuple(ranked)

    def __contains__(self, factor_id: object) -> bool:
        if not isinstance(factor_id, str):
            return False
        try:
            self.get(factor_id)
        except FactorNotFound:
            return False
        return True

    def sources(self) -> list[Source]:
        """Every dataset edition (built-in and registered), with licence and attribution."""
        for b in self._bundles:
            if b.key.startswith("provider:"):
                self._ensure(b)
        return list(self._sources.values())

    def source(self, source_id: str) -> Source:
        if source_id not in self._sources:
            self.sources()
        try:
            return self._sources[source_id]
        except KeyError:
            raise ReferenceNotFound(
                f"No source {source_id!r}; known: {sorted(self._sources)}"
            ) from None

    def matches(
        self,
        factor: Factor,
        text: str | None = None,
        *,
        source: str | None = None,
        year: int | None = None,
        region: str | None = None,
        scope: str | None = None,
        activity: str | None = None,
    ) -> bool:
        """The `search` predicate for one factor."""
        if source is not None:
            src = self._sources.get(factor.source_id)
            dataset = src.dataset if src else factor.source_id.split(":", 1)[0]
            if source not in (factor.source_id, dataset):
                return False
        if year is not None and factor.year != year:
            return False
        if region is not None and factor.region != self._norm_region(region):
            return False
        if scope is not None and (
            factor.scope is None or _norm_scope(factor.scope) != _norm_scope(scope)
        ):
            return False
        if activity is not None and activity.casefold() not in factor.tags:
            return False
        if text:
            hay = _haystack(factor)
            return all(tok in hay for tok in text.casefold().split())
        return True

    def _norm_region(self, region: str) -> str:
        """Region as stored in `Factor.region` (subclasses map alpha-3 codes)."""
        return region.strip().upper()

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
        """Filter all factors; returns (page, total matches).

        `text`: case-insensitive, every whitespace-separated token must occur (substring) in
        the factor's id, name or tags. `source`: dataset key (`desnz`, `epa`, `egrid`, ...) or
        source id (`desnz:2024`). `region`: exact (alpha-3 accepted for countries). `scope`:
        "Scope 1" / "1" / "outside". `activity`: a tag such as `electricity`, `flight`.
        Order is stable: dataset registration order, then file order.
        """
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must be >= 0")
        tokens = text.casefold().split() if text else []
        reg = self._norm_region(region) if region is not None else None
        act = activity.casefold() if activity is not None else None
        sc = _norm_scope(scope) if scope is not None else None
        out: list[Factor] = []
        for b in list(self._bundles):
            if source is not None and source not in b.datasets and source not in b.source_ids:
                if b.loaded or not any((source + ":").startswith(p) for p in b.prefixes):
                    continue
            self._ensure(b)
            if b.haystacks is None:
                b.haystacks = tuple(_haystack(f) for f in b.factors)
            for f, hay in zip(b.factors, b.haystacks, strict=True):
                if source is not None and not self.matches(f, source=source):
                    continue
                if year is not None and f.year != year:
                    continue
                if reg is not None and f.region != reg:
                    continue
                if act is not None and act not in f.tags:
                    continue
                if sc is not None and (f.scope is None or _norm_scope(f.scope) != sc):
                    continue
                if tokens and not all(t in hay for t in tokens):
                    continue
                out.append(f)
        return out[offset : offset + limit], len(out)

    def _bundle(self, key: str) -> _Bundle:
        for b in self._bundles:
            if b.key == key:
                return b
        raise KeyError(key)


def _haystack(f: Factor) -> str:
    """What text search matches: id, name, tags, the unit and the source reference (which holds
    the publisher's own unit label, e.g. DESNZ's "kWh (Gross CV)")."""
    return f"{f.id} {f.name} {' '.join(f.tags)} {f.per_unit} {f.reference}".casefold()
