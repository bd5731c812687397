"""Housekeeping of the organisations domain."""

from __future__ import annotations

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.orgs.invitations import invitation_service


@task("orgs.prune_invitations", every_s=86_400)
def prune_invitations() -> int:
    """Delete invitations that expired or were revoked more than 30 days ago."""
    with get_database().unit_of_work() as session:
        return invitation_service.prune(session, older_than_days=30)
