"""Vectorised LLM-inference engine: `estimate_llm_batch(columns)` (numpy).

Rows are grouped by (provider, model) and by zone; each distinct model and zone is resolved
once (`llm_core.resolve_model` / `lookup_zone`), per-row constants are gathered with numpy and
`llm_core.chain` runs on whole columns. Because the chain performs the same IEEE-754 operations
on arrays as on floats, results equal `estimate_llm` exactly; errors are returned per row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ecotrack.calc.llm_core import (
    MAX_TOKENS,
    METHOD_ECOLOGITS,
    METHODOLOGIES,
    ChainOut,
    LLMError,
    chain,
    check_method,
    check_tokens,
    lookup_zone,
    resolve_model,
    resolve_zone,
)
from ecotrack.calc.llm_types import LLMBatchResult, RangeArray
from ecotrack.factors.llm import (
    ORIGIN_BUILTIN,
    ElectricityMix,
    ModelCatalogue,
    default_catalogue,
)

# Per-model constants, one row each in the (K, M) table gathered per call.
_SIDE_FIELDS: Final = (
    "prefill_ratio",
    "gpu_energy_per_token",
    "latency_per_token",
    "gpus",
    "gpus_per_server",
    "pue",
    "wue_onsite",
    "hw_embodied_gwp",
    "hw_embodied_adpe",
    "hw_embodied_pe",
)
_K_SIDE: Final = len(_SIDE_FIELDS)


def _as_list(values: Any, n: int | None, name: str) -> list[Any]:
    if isinstance(values, np.ndarray):
        out = values.tolist()
    elif isinstance(values, str) or values is None:
        if n is None:
            raise LLMError("invalid-value", f"column {name} must be a sequence", field=name)
        out = [values] * n
    else:
        out = list(values)
    if n is not None and len(out) != n:
        raise LLMError(
            "invalid-value", f"column {name} has {len(out)} rows, expected {n}", field=name
        )
    return out


def _token_column(values: Any, n: int, name: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Token counts as float64 (0 where invalid) and the invalid mask."""
    if values is None:
        return np.zeros(n), np.zeros(n, dtype=np.bool_)
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = np.full(n, arr.item())
    if arr.shape != (n,):
        raise LLMError(
            "invalid-value", f"column {name} has shape {arr.shape}, expected ({n},)", field=name
        )
    if arr.dtype.kind in "iu":
        f = arr.astype(np.float64)
        bad = (f < 0) | (f > MAX_TOKENS)
    elif arr.dtype.kind == "f":
        f = arr.astype(np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(f) | (f < 0) | (f > MAX_TOKENS) | (f != np.floor(f))
    else:  # objects (e.g. None), bools, strings: check one by one
        f = np.zeros(n)
        bad = np.zeros(n, dtype=np.bool_)
        for i, v in enumerate(arr.tolist()):
            try:
                f[i] = check_tokens(v, name)
            except LLMError:
                bad[i] = True
    if bad.any():
        f = np.where(bad, 0.0, f)
    return f, bad


def _latency_column(values: Any, n: int) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Latency caps (NaN/None -> +inf, no cap) and the invalid mask (<= 0, or not a number)."""
    if values is None:
        return np.full(n, np.inf), np.zeros(n, dtype=np.bool_)
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = np.full(n, arr.item())
    if arr.shape != (n,):
        raise LLMError(
            "invalid-value",
            f"column latency_s has shape {arr.shape}, expected ({n},)",
            field="latency_s",
        )
    bad = np.zeros(n, dtype=np.bool_)
    if arr.dtype.kind in "iuf":
        f = arr.astype(np.float64)
    else:
        f = np.empty(n)
        for i, v in enumerate(arr.tolist()):
            if v is None:
                f[i] = math.nan
            elif isinstance(v, bool) or not isinstance(v, int | float):
                f[i], bad[i] = 1.0, True
            else:
                f[i] = float(v)
    none = np.isnan(f)
    bad |= ~none & (f <= 0)
    return np.where(none | bad, np.inf, f), bad


def _factorise(keys: list[Any], name: str) -> tuple[dict[Any, int], NDArray[np.intp]]:
    """Distinct keys in first-seen order, and each row's index into them (C-level loops)."""
    try:
        index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    except TypeError:
        raise LLMError(
            "invalid-value", f"column {name} holds unhashable values", field=name
        ) from None
    codes = np.fromiter(map(index.__getitem__, keys), dtype=np.intp, count=len(keys))
    return index, codes


def estimate_llm_batch(
    columns: Mapping[str, Any],
    *,
    method: str = METHOD_ECOLOGITS,
    catalogue: ModelCatalogue | None = None,
) -> LLMBatchResult:
    """Footprints of many LLM calls, vectorised.

    `columns`: `provider`, `model` (sequences of str), `output_tokens` (ints), and optionally
    `input_tokens` (ints, default 0), `latency_s` (floats, NaN or None = no cap) and `zone`
    (str or None = provider default; a single value applies to all rows).

    Rows are grouped by (provider, model) and by zone: each distinct model and each distinct
    zone is resolved once, then the chain runs on whole columns. Results equal `estimate_llm`
    row by row (same float operations); errors come back per row in `error_code` /
    `error_field` (same codes and precedence as the exceptions of `estimate_llm`) instead of
    being raised. Raises `LLMError` only for malformed columns or an unknown `method`.
    """
    extended = check_method(method)
    cat = catalogue if catalogue is not None else default_catalogue()
    if "provider" not in columns or "model" not in columns or "output_tokens" not in columns:
        raise LLMError(
            "invalid-value",
            "columns provider, model and output_tokens are required",
            field="columns",
        )
    providers = _as_list(columns["provider"], None, "provider")
    n = len(providers)
    models = _as_list(columns["model"], n, "model")
    out_tok, out_bad = _token_column(columns["output_tokens"], n, "output_tokens")
    in_tok, in_bad = _token_column(columns.get("input_tokens"), n, "input_tokens")
    req, lat_bad = _latency_column(columns.get("latency_s"), n)

    m_index, m_codes = _factorise(list(zip(providers, models, strict=True)), "model")
    zone_values = columns.get("zone")
    if zone_values is None or isinstance(zone_values, str):
        z_index: dict[Any, int] = {zone_values: 0}
        z_codes = np.zeros(n, dtype=np.intp)
    else:
        z_index, z_codes = _factorise(_as_list(zone_values, n, "zone"), "zone")

    # Electricity mixes used, by position; column -1 of the mix table is all-NaN ("no mix").
    mixes: list[ElectricityMix] = []
    mix_pos: dict[str, int] = {}

    def mix_id(mix: ElectricityMix) -> int:
        pos = mix_pos.get(mix.zone)
        if pos is None:
            pos = mix_pos[mix.zone] = len(mixes)
            mixes.append(mix)
        return pos

    # -- one resolution per distinct (provider, model) ---------------------------------------
    n_models = len(m_index)
    m_table = np.full((2 * _K_SIDE + 1, n_models), np.nan)
    m_err = np.full(n_models, None, dtype=object)
    m_err_field = np.full(n_models, None, dtype=object)
    m_name = np.full(n_models, None, dtype=object)
    m_default_mix = np.full(n_models, -1, dtype=np.intp)
    m_default_err = np.full(n_models, None, dtype=object)
    m_warn: list[tuple[tuple[str, ...], bool]] = []
    for (provider, model_name), mi in m_index.items():
        try:
            part = resolve_model(cat, provider, model_name, None, method)
        except LLMError as exc:
            m_err[mi], m_err_field[mi] = exc.code, exc.field
            m_warn.append(((), False))
            continue
        lo, hi = part.lo, part.hi
        m_table[:, mi] = (
            [getattr(lo, f) for f in _SIDE_FIELDS]
            + [getattr(hi, f) for f in _SIDE_FIELDS]
            + [lo.ttft]
        )
        m_name[mi] = part.model.name
        m_warn.append((part.warnings, part.origin != ORIGIN_BUILTIN))
        try:
            m_default_mix[mi] = mix_id(resolve_zone(cat, None, part)[0])
        except LLMError as exc:
            m_default_err[mi] = exc.code

    # -- one resolution per distinct zone option ---------------------------------------------
    n_zones = len(z_index)
    z_mix = np.full(n_zones, -1, dtype=np.intp)
    z_none = np.zeros(n_zones, dtype=np.bool_)
    z_err = np.full(n_zones, None, dtype=object)
    for zone, zi in z_index.items():
        if zone is None:
            z_none[zi] = True
            continue
        try:
            z_mix[zi] = mix_id(lookup_zone(cat, zone))
        except LLMError as exc:
            z_err[zi] = exc.code

    x_table = np.full((4, len(mixes) + 1), np.nan)
    for xi, mix in enumerate(mixes):
        x_table[:, xi] = (mix.gwp, mix.adpe, mix.pe, mix.wue)

    # -- per row --------------------------------------------------------------------------------
    row_default = z_none[z_codes]
    mix_idx = np.where(row_default, m_default_mix[m_codes], z_mix[z_codes])
    m_rows = np.take(m_table, m_codes, axis=1)  # (K, n): each constant a contiguous row
    x_rows = np.take(x_table, mix_idx, axis=1)
    ttft = m_rows[2 * _K_SIDE]
    mix_gwp, mix_adpe, mix_pe, mix_wue = x_rows

    def side(c: NDArray[np.float64]) -> ChainOut:
        return chain(
            out_tok,
            in_tok,
            req,
            prefill_ratio=c[0],
            gpu_energy_per_token=c[1],
            latency_per_token=c[2],
            gpus=c[3],
            gpus_per_server=c[4],
            pue=c[5],
            wue_onsite=c[6],
            hw_embodied_gwp=c[7],
            hw_embodied_adpe=c[8],
            hw_embodied_pe=c[9],
            ttft=ttft,
            mix_gwp=mix_gwp,
            mix_adpe=mix_adpe,
            mix_pe=mix_pe,
            mix_wue=mix_wue,
            extended=extended,
        )

    with np.errstate(invalid="ignore"):
        lo_out, hi_out = side(m_rows[:_K_SIDE]), side(m_rows[_K_SIDE : 2 * _K_SIDE])

    # -- errors, in the precedence of estimate_llm: tokens, latency, model, zone ---------------
    m_bad = np.array([c is not None for c in m_err.tolist()], dtype=np.bool_)
    m_default_bad = np.array([c is not None for c in m_default_err.tolist()], dtype=np.bool_)
    z_bad = np.array([c is not None for c in z_err.tolist()], dtype=np.bool_)
    zone_bad = np.where(row_default, m_default_bad[m_codes], z_bad[z_codes])
    model_bad = m_bad[m_codes]
    row_bad = out_bad | in_bad | lat_bad
    ok: NDArray[np.bool_] = np.logical_not(row_bad | model_bad | zone_bad)
    all_ok = bool(ok.all())
    error_code = np.full(n, None, dtype=object)
    error_field = np.full(n, None, dtype=object)
    if not all_ok:
        if zone_bad.any():
            error_code[zone_bad] = np.where(row_default, m_default_err[m_codes], z_err[z_codes])[
                zone_bad
            ]
            error_field[zone_bad] = "options.zone"
        if model_bad.any():
            error_code[model_bad] = m_err[m_codes][model_bad]
            error_field[model_bad] = m_err_field[m_codes][model_bad]
        for bad, name in (
            (lat_bad, "latency_s"),
            (in_bad, "input_tokens"),
            (out_bad, "output_tokens"),
        ):
            if bad.any():
                error_code[bad] = "invalid-value"
                error_field[bad] = f"options.{name}"

    zone_names = np.array([m.zone for m in mixes] + [None], dtype=object)
    zone_col = zone_names[mix_idx]
    model_col = m_name[m_codes]
    if not all_ok:
        zone_col[~ok] = None
        model_col[~ok] = None

    def col(a: Any, b: Any) -> RangeArray:
        if not all_ok:
            a = np.where(ok, a, np.nan)
            b = np.where(ok, b, np.nan)
        return RangeArray(a, b)

    return LLMBatchResult(
        methodology=METHODOLOGIES[method],
        energy_kwh=col(lo_out.energy, hi_out.energy),
        gwp_kg=col(lo_out.gwp, hi_out.gwp),
        adpe_kgsbeq=col(lo_out.adpe, hi_out.adpe),
        pe_mj=col(lo_out.pe, hi_out.pe),
        water_l=col(lo_out.water, hi_out.water),
        usage_gwp_kg=col(lo_out.usage_gwp, hi_out.usage_gwp),
        usage_adpe_kgsbeq=col(lo_out.usage_adpe, hi_out.usage_adpe),
        usage_pe_mj=col(lo_out.usage_pe, hi_out.usage_pe),
        embodied_gwp_kg=col(lo_out.embodied_gwp, hi_out.embodied_gwp),
        embodied_adpe_kgsbeq=col(lo_out.embodied_adpe, hi_out.embodied_adpe),
        embodied_pe_mj=col(lo_out.embodied_pe, hi_out.embodied_pe),
        zone=zone_col,
        model=model_col,
        error_code=error_code,
        error_field=error_field,
        ok=ok,
        model_index=m_codes,
        mix_index=mix_idx,
        model_warnings=tuple(m_warn),
        mix_warnings=tuple(m.warnings for m in mixes),
        input_tokens=in_tok,
    )
