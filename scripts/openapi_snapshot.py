"""Write tests/openapi_operation_ids.json from the live app (run after adding routes on purpose)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ecotrack.app import create_app
from ecotrack.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    app = create_app(Settings(data_dir=Path(tempfile.mkdtemp())), run_jobs=False)
    doc = app.openapi()
    ids = {
        f"{method.upper()} {path}": op["operationId"]
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }
    target = ROOT / "tests" / "openapi_operation_ids.json"
    target.write_text(json.dumps(ids, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(ids)} operations written to {target}")  # noqa: T201


if __name__ == "__main__":
    main()
