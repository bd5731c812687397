"""House rule: a domain reaches another domain only through that domain's `service`.

import-linter (`.importlinter`, run by `make test`) keeps `calc`, `factors` and `core` free of
domains. This test covers the rule import-linter can't express generically: no domain imports
another domain's `repository` or `models` module. New domains are covered automatically.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ecotrack
from ecotrack.core.discovery import domain_names

NOT_DOMAINS = {"core", "calc", "factors", "migrations"}
PRIVATE = ("repository", "models")


def _domains() -> list[str]:
    return domain_names()


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
            out.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def test_domains_do_not_reach_into_each_other() -> None:
    root = Path(ecotrack.__file__).parent
    violations = []
    for domain in _domains():
        for path in (root / domain).rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if len(parts) >= 3 and parts[0] == "ecotrack" and parts[1] != domain:
                    if parts[1] in _domains() and parts[2] in PRIVATE:
                        violations.append(f"{path.relative_to(root)} imports {name}")
    assert not violations, "\n".join(violations)


def test_the_rule_detects_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from ecotrack.system.repository import ping\n")
    assert "ecotrack.system.repository" in _imports(sample)
