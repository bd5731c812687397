"""Footprints test helpers: the rows of the result table, read as the test sees them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.footprints.models import FootprintResult


def count_rows(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(FootprintResult)).scalar_one())


def newest_row(session: Session) -> FootprintResult:
    session.expire_all()
    row = session.execute(
        select(FootprintResult).order_by(FootprintResult.id.desc()).limit(1)
    ).scalar_one()
    return row
