"""Build data exports; expire old download links."""

from __future__ import annotations

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.privacy.service import privacy_service


@task("privacy.build_export")
def build_export(export_id: int) -> bool:
    with get_database().unit_of_work() as session:
        return privacy_service.build_export(session, export_id=export_id, settings=get_settings())


@task("privacy.expire_exports", every_s=3600)
def expire_exports() -> int:
    with get_database().unit_of_work() as session:
        return privacy_service.expire_exports(session)
