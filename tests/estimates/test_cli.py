from __future__ import annotations

import json

from typer.testing import CliRunner

from ecotrack.cli import app

runner = CliRunner()


def test_estimate_command_prints_the_desnz_result_with_factor_and_explanation() -> None:
    result = runner.invoke(
        app,
        ["estimate", "electricity", "3000", "kWh", "--region", "GB", "--year", "2024",
         "--source", "desnz"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "621.15 kg CO2e" in result.output
    assert "desnz:2024:7_400_4000_5_1" in result.output
    assert "3000 kWh × 0.20705" in result.output


def test_estimate_command_json_and_options() -> None:
    result = runner.invoke(
        app,
        ["estimate", "flight", "1", "trip", "-o", "from=LHR", "-o", "to=JFK",
         "-o", "radiative_forcing=false", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["activity"] == "flight"
    assert "Without RF" in body["factor"]["name"]


def test_estimate_command_reports_errors() -> None:
    result = runner.invoke(app, ["estimate", "electricity", "1", "km"])
    assert result.exit_code == 1
    assert "unit-not-accepted" in result.output


def test_factors_search_and_show() -> None:
    search = runner.invoke(app, ["factors", "search", "natural gas", "--year", "2024", "--json"])
    assert search.exit_code == 0, search.output
    found = json.loads(search.output)
    assert found["total"] > 0
    show = runner.invoke(app, ["factors", "show", found["items"][0]["id"]])
    assert json.loads(show.output)["id"] == found["items"][0]["id"]
