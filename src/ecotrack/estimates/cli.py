"""`ecotrack estimate …` and `ecotrack factors search …`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ecotrack.core.errors import AppError

console = Console()
err = Console(stderr=True)

factors_app = typer.Typer(help="Browse the emission-factor library.", no_args_is_help=True)


def _option_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def parse_options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        options[key.strip()] = _option_value(value.strip())
    return options


def estimate_command(
    activity: Annotated[str, typer.Argument(help="electricity, natural_gas, car, flight, …")],
    amount: Annotated[float, typer.Argument(help="How much (non-negative)")],
    unit: Annotated[str, typer.Argument(help="kWh, km, passenger_km, L, …")],
    region: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2, e.g. GB, US-CAMX")] = None,
    year: Annotated[int | None, typer.Option(help="Factor year / edition")] = None,
    source: Annotated[str | None, typer.Option(help="desnz, epa, egrid, ember, owid, …")] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="KEY=VALUE (repeatable)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON")] = False,
) -> None:
    """Estimate one activity and explain the number."""
    from ecotrack.estimates.service import estimate_service

    request = {
        "activity": activity,
        "amount": amount,
        "unit": unit,
        "region": region,
        "year": year,
        "source": source,
        "options": parse_options(option or []),
    }
    try:
        result = estimate_service.estimate_one(request_in=request)
    except AppError as exc:
        err.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(1) from exc
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))  # noqa: T201
        return
    factor = result["factor"]
    console.print(f"[bold]{result['co2e_kg']:.6g} kg CO2e[/bold]  ({result['activity']})")
    console.print(f"range {result['range']['low']:.6g} – {result['range']['high']:.6g} kg CO2e")
    if result["gases"]:
        console.print("gases: " + ", ".join(f"{k} {v:.6g} kg" for k, v in result["gases"].items()))
    per = f"{factor['unit']}/{factor['per_unit']}"
    console.print(
        f"factor [cyan]{factor['id']}[/cyan] = {factor['value']} {per} — {factor['name']}"
    )
    console.print(f"source: {factor['dataset']} {factor['edition']} ({factor['licence']})")
    console.print("explanation:")
    for step in result["explanation"]:
        console.print(f"  • {step['text']}")
    for warning in result["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")


@factors_app.command("search")
def factors_search(
    text: Annotated[str, typer.Argument(help="Words to match, e.g. 'natural gas kWh'")],
    source: Annotated[
        str | None, typer.Option(help="Dataset or edition: desnz, desnz:2024")
    ] = None,
    year: Annotated[int | None, typer.Option()] = None,
    region: Annotated[str | None, typer.Option()] = None,
    activity: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search factors by text (and dataset, year, region, activity)."""
    from ecotrack.estimates.service import estimate_service

    items, total = estimate_service.search_factors(
        text=text, source=source, year=year, region=region, activity=activity, scope=None,
        limit=limit, offset=0,
    )  # fmt: skip
    if as_json:
        print(json.dumps({"total": total, "items": items}, indent=2, ensure_ascii=False))  # noqa: T201
        return
    table = Table(title=f"{total} factor(s) match; showing {len(items)}")
    for column in ("id", "value", "unit", "name"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(
            item["id"], f"{item['value']:.6g}", f"{item['unit']}/{item['per_unit']}", item["name"]
        )
    console.print(table)


@factors_app.command("show")
def factors_show(
    factor_id: Annotated[str, typer.Argument(help="e.g. desnz:2024:7_400_4000_5_1")],
) -> None:
    """Show one factor with its provenance."""
    from ecotrack.estimates.service import estimate_service

    try:
        factor = estimate_service.get_factor(factor_id=factor_id)
    except AppError as exc:
        err.print(f"[red]{exc.code}[/red]: {exc.detail}")
        raise typer.Exit(1) from exc
    print(json.dumps(factor, indent=2, ensure_ascii=False))  # noqa: T201


def register(app: typer.Typer) -> None:
    app.command("estimate")(estimate_command)
    app.add_typer(factors_app, name="factors")
