"""Run Schemathesis' engine in process over an ASGI app with Web Fuzzing Commons identities.

The engine is what `schemathesis run` drives: its phases (examples, coverage, fuzzing, stateful)
feed values from earlier responses into later requests (the resource pool and stateful links),
which the per-operation `as_strategy()` path never does. The `object_level_authorization`
check needs exactly that: it replays an identity's successful read of an object that identity
created or listed as every other `peer`, so it only ever fires inside the engine.

* `write_wfc(path, identities)` writes a WFC auth document of fixed `Authorization` headers.
* `engine_config(...)` builds the configuration (seeded, one worker, no on-disk cache).
* `load_asgi(app, config)` loads the app's OpenAPI document the way `from_asgi` does, after adding
  the create -> read links (`with_create_read_links`) the document does not declare.
* `run(schema)` executes the engine and returns every call it made and every failure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import StopReason, events, from_schema

OPENAPI_PATH = "/api/openapi.json"
_ITEM_PATH = re.compile(r"^(?P<collection>.+)/\{(?P<param>[^}/]+)\}$")


def write_wfc(path: Path, identities: dict[str, dict[str, str]]) -> Path:
    """A WFC auth document: one entry per identity, each with its fixed headers."""
    document = {
        "auth": [
            {
                "name": name,
                "fixedHeaders": [{"name": key, "value": value} for key, value in headers.items()],
            }
            for name, headers in identities.items()
        ]
    }
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def engine_config(
    wfc_path: Path,
    *,
    user: str,
    peers: list[str],
    max_examples: int,
    seed: int = 20261130,
    excluded_checks: tuple[str, ...] = (),
) -> SchemathesisConfig:
    """Every operation as `user`; the other `peers` are loaded for object-level probes only.

    No `max-time`: with one, the engine keeps cycling its fuzzing and stateful phases until the
    time is up; without, each phase runs once per operation with `max_examples`.
    """
    checks: dict[str, Any] = {name: {"enabled": False} for name in excluded_checks}
    checks["ignored_auth"] = {"enabled": True}
    checks["object_level_authorization"] = {"enabled": True}
    return SchemathesisConfig.from_dict(
        {
            "seed": seed,
            "workers": 1,
            "cache": {"enabled": False},
            "auth": {"wfc": {"path": str(wfc_path), "user": user, "peers": peers}},
            "checks": checks,
            # Valid inputs only, as the anonymous per-operation run (`as_strategy()` default).
            "generation": {"max-examples": max_examples, "mode": "positive"},
        }
    )


def with_create_read_links(document: dict[str, Any]) -> dict[str, Any]:
    """Link each `POST <collection>` (its 201 has an `id`) to `GET <collection>/{x}`.

    The document declares no links, and Schemathesis' inference of which path parameter names
    which resource is thrown by nested paths (`/orgs/{org_id}/teams/{team_id}`: the rows carry no
    `org_id`). With these links the stateful phase reads what it just created, passing the
    parent's path values on, so those reads reach `object_level_authorization` with the creator
    known. The rule is structural, so routes added later get links too.
    """
    paths = document.get("paths", {})
    for path, item in paths.items():
        match = _ITEM_PATH.match(path)
        read = item.get("get")
        create = paths.get(match["collection"], {}).get("post") if match else None
        if match is None or read is None or create is None or "operationId" not in read:
            continue
        created = create.get("responses", {}).get("201")
        if created is None:
            continue
        parameters = {
            name: f"$request.path.{name}"
            for name in re.findall(r"\{([^}/]+)\}", match["collection"])
        }
        parameters[match["param"]] = "$response.body#/id"
        created.setdefault("links", {})[f"Read{read['operationId']}"] = {
            "operationId": read["operationId"],
            "parameters": parameters,
        }
    return document


def load_asgi(app: Any, config: SchemathesisConfig) -> Any:
    """`schemathesis.openapi.from_asgi`, with `with_create_read_links` applied to the document."""
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        response = client.get(OPENAPI_PATH)
    response.raise_for_status()
    schema = schemathesis.openapi.from_dict(with_create_read_links(response.json()), config=config)
    schema.app = app
    schema.location = OPENAPI_PATH
    return schema


@dataclass(frozen=True)
class Call:
    label: str  # "METHOD /template"
    method: str
    path: str  # as sent
    identity: str | None  # WFC entry name; None when sent without credentials
    status: int | None


@dataclass(frozen=True)
class Found:
    phase: str
    check: str
    kind: str  # the Failure class, e.g. ObjectLevelAuthorizationViolation
    label: str
    message: str

    def __str__(self) -> str:
        return f"[{self.phase}] {self.check} on {self.label}: {self.message}"


@dataclass
class Outcome:
    calls: list[Call] = field(default_factory=list)
    failures: list[Found] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop_reason: StopReason | None = None

    def of_kind(self, kind: str) -> list[Found]:
        return [f for f in self.failures if f.kind == kind]


def run(schema: Any) -> Outcome:
    """Execute the engine; collect each scenario's calls (probes included) and failures."""
    outcome = Outcome()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, node in recorder.cases.items():
                case = node.value
                interaction = recorder.interactions.get(case_id)
                response = interaction.response if interaction is not None else None
                outcome.calls.append(
                    Call(
                        label=case.operation.label,
                        method=case.method.upper(),
                        path=case.formatted_path,
                        identity=case.auth_identity,
                        status=response.status_code if response is not None else None,
                    )
                )
            for checks in recorder.checks.values():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    outcome.failures.append(
                        Found(
                            phase=str(event.phase.value),
                            check=check.name,
                            kind=type(failure).__name__,
                            label=getattr(failure, "operation", "") or "",
                            message=f"{failure.title}: {failure.message}".strip(),
                        )
                    )
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            outcome.stop_reason = event.stop_reason
    return outcome
