"""Write the OpenAPI document of the app without starting a server (the web app's types come
from it: `python scripts/openapi_dump.py frontend/openapi.json`; `-` writes to stdout)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from ecotrack.app import create_app
from ecotrack.core.settings import Settings


def dump() -> str:
    """The document as stable JSON (sorted keys), independent of the machine it runs on."""
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(data_dir=Path(data_dir)), run_jobs=False)
        doc = app.openapi()
        app.state.db.engine.dispose()
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> None:
    target = argv[1] if len(argv) > 1 else "-"
    text = dump()
    if target == "-":
        sys.stdout.write(text)
    else:
        Path(target).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
