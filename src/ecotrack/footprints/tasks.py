"""`footprints.prune_anonymous`: delete anonymous questionnaire results past their retention."""

from __future__ import annotations

from ecotrack.core.db import get_database, utcnow
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.footprints.service import footprints_service


@task("footprints.prune_anonymous", every_s=24 * 3600)
def prune_anonymous() -> int:
    """Daily; returns how many results were deleted."""
    with get_database().unit_of_work() as session:
        return footprints_service.prune_anonymous(session, now=utcnow(), settings=get_settings())
