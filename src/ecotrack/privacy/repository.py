from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, undefer

from ecotrack.privacy.models import Consent, DataExport


def consents(session: Session, user_id: int) -> list[Consent]:
    stmt = select(Consent).where(Consent.user_id == user_id).order_by(Consent.kind)
    return list(session.execute(stmt).scalars().all())


def add_consent(session: Session, consent: Consent) -> Consent:
    session.add(consent)
    session.flush()
    return consent


def add_export(session: Session, export: DataExport) -> DataExport:
    session.add(export)
    session.flush()
    return export


def get_export(session: Session, export_id: int) -> DataExport | None:
    return session.get(DataExport, export_id)


def get_export_by_token(session: Session, token_hash: str) -> DataExport | None:
    stmt = (
        select(DataExport)
        .where(DataExport.token_hash == token_hash)
        .options(undefer(DataExport.content))
    )
    return session.execute(stmt).scalar_one_or_none()


def expire_exports(session: Session, *, now: datetime) -> int:
    result = session.execute(
        update(DataExport)
        .where(DataExport.status == "ready", DataExport.expires_at <= now)
        .values(status="expired", content=None, token_hash=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_user_data(session: Session, user_id: int) -> None:
    session.execute(delete(Consent).where(Consent.user_id == user_id))
    session.execute(delete(DataExport).where(DataExport.user_id == user_id))


def exports_of(session: Session, user_id: int) -> list[DataExport]:
    stmt = select(DataExport).where(DataExport.user_id == user_id).order_by(DataExport.id)
    return list(session.execute(stmt).scalars().all())
