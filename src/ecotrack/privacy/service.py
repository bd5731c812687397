"""Privacy: consents, personal-data export (GDPR art. 15/20) and account erasure (art. 17).

Export: every domain contributes by subscribing to the event `privacy.export_requested`, whose
handlers receive `user_id` and `add(name, data)`; `add("orgs/memberships.json", [...])` puts one
JSON file in the ZIP. The `privacy.build_export` job collects them, stores the ZIP and emails a
download link that expires (`ECOTRACK_EXPORT_LINK_TTL_HOURS`).

Erasure: after re-authentication, the event `user.erased` (payload `user_id`) lets every domain
delete or anonymise what it holds about the user; then identity anonymises the account itself and
ends its sessions. The audit log is not rewritten (it holds ids, never emails or names); the
erasure record carries the user's pseudonym.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.audit.service import audit_service
from ecotrack.core import events, jobs
from ecotrack.core.db import utcnow
from ecotrack.core.errors import NotFoundError
from ecotrack.core.events import subscribe
from ecotrack.core.settings import Settings
from ecotrack.email.service import email_service
from ecotrack.identity import tokens
from ecotrack.identity.service import ClientInfo, identity_service
from ecotrack.privacy import repository
from ecotrack.privacy.models import Consent as ConsentRow
from ecotrack.privacy.models import DataExport
from ecotrack.privacy.schemas import CONSENT_KINDS, Consent, ConsentIn

EXPORT_EVENT = "privacy.export_requested"
EXPORT_PREFIX = "etx_"
ZIP_README = """EcoTrack personal-data export

Every file is JSON (UTF-8). manifest.json lists the files and when the export was made; each
other file holds what one part of EcoTrack keeps about you (identity/profile.json, ...).
"""


class ExportNotFound(NotFoundError):
    code = "export-not-found"


class PrivacyService:
    # --- consents ---------------------------------------------------------------------------

    def get_consents(self, session: Session, *, user_id: int) -> list[Consent]:
        rows = {row.kind: row for row in repository.consents(session, user_id)}
        out = []
        for kind in CONSENT_KINDS:
            row = rows.get(kind)
            out.append(
                Consent(
                    kind=kind,
                    granted=bool(row and row.granted),
                    version=row.version if row else None,
                    updated_at=row.updated_at if row else None,
                )
            )
        return out

    def update_consents(
        self, session: Session, *, user_id: int, consents_in: list[ConsentIn], client: ClientInfo
    ) -> list[Consent]:
        """Record each answer; every change is an audit record (proof of consent, art. 7(1))."""
        rows = {row.kind: row for row in repository.consents(session, user_id)}
        for consent_in in consents_in:
            row = rows.get(consent_in.kind)
            if row is None:
                row = repository.add_consent(
                    session,
                    ConsentRow(
                        user_id=user_id,
                        kind=consent_in.kind,
                        granted=consent_in.granted,
                        version=consent_in.version,
                    ),
                )
            elif row.granted == consent_in.granted and row.version == consent_in.version:
                continue
            else:
                row.granted = consent_in.granted
                row.version = consent_in.version
                row.updated_at = utcnow()
            audit_service.record(
                session,
                actor_id=user_id,
                action="privacy.consent_changed",
                resource_type="consent",
                resource_id=consent_in.kind,
                ip=client.ip,
                details={"granted": consent_in.granted, "version": consent_in.version},
            )
            session.flush()
            # Domains that mirror a consent (leaderboards) follow it in the same transaction.
            events.publish(
                session,
                "privacy.consent_changed",
                user_id=user_id,
                kind=consent_in.kind,
                granted=consent_in.granted,
            )
        session.flush()
        return self.get_consents(session, user_id=user_id)

    def has_consent(self, session: Session, *, user_id: int, kind: str) -> bool:
        """For other domains (e.g. leaderboards show only users who agreed)."""
        return any(r.kind == kind and r.granted for r in repository.consents(session, user_id))

    # --- export -----------------------------------------------------------------------------

    def request_export(self, session: Session, *, user_id: int, client: ClientInfo) -> DataExport:
        export = repository.add_export(session, DataExport(user_id=user_id, status="pending"))
        jobs.enqueue(session, "privacy.build_export", export.id)
        audit_service.record(
            session,
            actor_id=user_id,
            action="privacy.export_requested",
            resource_type="data_export",
            resource_id=export.id,
            ip=client.ip,
        )
        return export

    def get_export(self, session: Session, *, user_id: int, export_id: int) -> DataExport:
        export = repository.get_export(session, export_id)
        if export is None or export.user_id != user_id:
            raise ExportNotFound(f"No export {export_id}")
        return export

    def collect(self, session: Session, *, user_id: int) -> dict[str, Any]:
        """Ask every domain for what it holds about the user: {file name: JSON data}."""
        files: dict[str, Any] = {}

        def add(name: str, data: Any) -> None:
            files[name] = data

        events.publish(session, EXPORT_EVENT, user_id=user_id, add=add)
        return files

    def build_zip(self, files: dict[str, Any], *, user_id: int) -> bytes:
        buffer = io.BytesIO()
        manifest = {
            "format": "ecotrack-export/1",
            "user_id": user_id,
            "generated_at": utcnow().astimezone(UTC).isoformat(),
            "files": sorted(files),
        }
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", ZIP_README)
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
            for name in sorted(files):
                data = json.dumps(files[name], indent=2, ensure_ascii=False, default=str)
                archive.writestr(name, data)
        return buffer.getvalue()

    def build_export(self, session: Session, *, export_id: int, settings: Settings) -> bool:
        """Build the ZIP, store it, email the link. Idempotent: a ready export is left alone."""
        export = repository.get_export(session, export_id)
        if export is None or export.status != "pending":
            return False
        user = identity_service.get_user(session, user_id=export.user_id)
        if user is None or user.erased_at is not None:
            export.status = "failed"
            return False
        content = self.build_zip(self.collect(session, user_id=user.id), user_id=user.id)
        raw = tokens.new_opaque_token(EXPORT_PREFIX)
        now = utcnow()
        export.content = content
        export.size_bytes = len(content)
        export.token_hash = tokens.token_digest(raw)
        export.expires_at = now + timedelta(hours=settings.export_link_ttl_hours)
        export.completed_at = now
        export.status = "ready"
        session.flush()
        email_service.send(
            session,
            to=user.email,
            template="data_export_ready",
            context={
                "url": f"{settings.public_url}/api/v1/privacy/exports/download?token={raw}",
                "expires_at": export.expires_at.strftime("%Y-%m-%d %H:%M"),
            },
        )
        return True

    def download(self, session: Session, *, token: str) -> tuple[str, bytes]:
        """(file name, ZIP bytes) for a valid, unexpired link; one 404 for everything else."""
        export = repository.get_export_by_token(session, tokens.token_digest(token))
        if (
            export is None
            or export.status != "ready"
            or export.content is None
            or export.expires_at is None
            or export.expires_at <= utcnow()
        ):
            raise ExportNotFound("The download link is invalid or has expired")
        stamp = (export.completed_at or utcnow()).strftime("%Y%m%d")
        return f"ecotrack-export-{export.user_id}-{stamp}.zip", export.content

    def expire_exports(self, session: Session) -> int:
        return repository.expire_exports(session, now=utcnow())

    # --- erasure ----------------------------------------------------------------------------

    def erase_account(
        self,
        session: Session,
        *,
        user_id: int,
        password: str,
        client: ClientInfo,
        settings: Settings,
    ) -> str:
        """Delete the account after checking the password; returns the pseudonym it leaves in
        the audit log."""
        user = identity_service.require_user(session, user_id=user_id)
        identity_service.check_password(
            session, user=user, password=password, client=client, settings=settings
        )
        events.publish(session, "user.erased", user_id=user_id)
        alias = identity_service.erase_user(session, user_id=user_id, settings=settings)
        audit_service.record(
            session,
            actor_id=user_id,
            action="privacy.account_erased",
            resource_type="user",
            resource_id=user_id,
            details={"subject": alias},
        )
        return alias

    def export_own_data(self, session: Session, *, user_id: int) -> dict[str, Any]:
        return {
            "consents": [
                c.model_dump(mode="json") for c in self.get_consents(session, user_id=user_id)
            ],
            "exports": [
                {
                    "id": e.id,
                    "status": e.status,
                    "created_at": e.created_at.isoformat(),
                    "completed_at": e.completed_at.isoformat() if e.completed_at else None,
                }
                for e in repository.exports_of(session, user_id)
            ],
        }


privacy_service = PrivacyService()


@subscribe("user.erased")
def _erase(session: Session, *, user_id: int) -> None:
    repository.delete_user_data(session, user_id)


@subscribe(EXPORT_EVENT)
def _export(session: Session, *, user_id: int, add: Callable[[str, Any], None]) -> None:
    add(
        "privacy/consents_and_exports.json",
        privacy_service.export_own_data(session, user_id=user_id),
    )
