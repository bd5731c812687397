"""API keys: create (secret shown once), list, revoke, and authenticate a request.

How a request presents a key (`auth.py` reads the headers):

* unsigned key: the secret, as `Authorization: Bearer eco_…` or `X-API-Key: eco_…`;
* signed key: the same headers, carrying either the secret or only its public prefix
  `eco_<key id>` (recommended: then the secret never travels), plus `X-EcoTrack-Timestamp` and
  `X-EcoTrack-Signature` (see `signing.py`). Without a valid signature a signed key gets 401.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from ecotrack.core.db import in_sqlite_read_phase, utcnow
from ecotrack.core.errors import AppError, NotFoundError
from ecotrack.core.pagination import Page, PageParams
from ecotrack.core.settings import Settings
from ecotrack.orgs import audit_log, repository
from ecotrack.orgs.context import Actor, ApiKeyPrincipal, ApiScope, OrgContext, OrgRole
from ecotrack.orgs.models import ApiKey
from ecotrack.orgs.repository import ApiKeyCredential
from ecotrack.orgs.schemas import ApiKey as ApiKeyOut
from ecotrack.orgs.schemas import ApiKeyCreate, ApiKeyCreated
from ecotrack.orgs.signing import (
    KEY_ID_LENGTH,
    KEY_PREFIX,
    ApiKeyInvalid,
    ReplayCache,
    decrypt_signing_secret,
    encrypt_signing_secret,
    hash_secret,
    new_secret,
    parse_secret,
    secret_matches,
    verify_signature,
)

_PREFIX_RE = re.compile(rf"^{KEY_PREFIX}([0-9a-z]{{{KEY_ID_LENGTH}}})$")


class ApiKeyNotFound(NotFoundError):
    code = "api-key-not-found"


class TooManyApiKeys(AppError):
    status_code = 409
    code = "api-key-limit-reached"


def parse_credential(value: str) -> tuple[str, str | None] | None:
    """`(key id, secret)` for a whole secret, `(key id, None)` for a bare prefix, else None."""
    value = value.strip()
    key_id = parse_secret(value)
    if key_id is not None:
        return key_id, value
    match = _PREFIX_RE.match(value)
    return (match.group(1), None) if match else None


class ApiKeyService:
    def create(
        self,
        session: Session,
        *,
        actor: Actor,
        org_id: int,
        key_in: ApiKeyCreate,
        settings: Settings,
    ) -> ApiKeyCreated:
        """A new key of `org_id`; the returned `secret` is never shown again."""
        _, active = repository.api_keys(session, org_id, limit=1, offset=0, include_revoked=False)
        if active >= settings.api_keys_max_per_org:
            raise TooManyApiKeys(
                f"This organisation has {active} active API keys, the limit: revoke one first"
            )
        fresh = new_secret()
        while repository.key_id_exists(session, fresh.key_id):  # 62 bits: practically never
            fresh = new_secret()
        key = repository.add(
            session,
            ApiKey(
                org_id=org_id,
                key_id=fresh.key_id,
                name=key_in.name,
                scopes=[s.value for s in key_in.scopes],
                secret_hash=hash_secret(fresh.secret),
                signed=key_in.signed,
                signing_secret_enc=(
                    encrypt_signing_secret(
                        fresh.secret,
                        key_id=fresh.key_id,
                        server_secret=settings.resolved_secret_key(),
                    )
                    if key_in.signed
                    else None
                ),
                created_by_id=actor.user_id,
            ),
        )
        audit_log.record(
            session,
            actor=actor,
            org_id=org_id,
            action="api_key.created",
            resource_type="api_key",
            resource_id=key.id,
            details={
                "prefix": key.prefix,
                "name": key.name,
                "scopes": key.scopes,
                "signed": key.signed,
            },
        )
        out = ApiKeyOut.model_validate(key)
        return ApiKeyCreated(**out.model_dump(), secret=fresh.secret)

    def list(
        self, session: Session, *, ctx: OrgContext, page: PageParams, include_revoked: bool = True
    ) -> Page[ApiKeyOut]:
        ctx.require(OrgRole.ADMIN, "see API keys")
        rows, total = repository.api_keys(
            session,
            ctx.org_id,
            limit=page.limit,
            offset=page.offset,
            include_revoked=include_revoked,
        )
        return Page(
            items=[ApiKeyOut.model_validate(r) for r in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    def get(self, session: Session, *, ctx: OrgContext, api_key_id: int) -> ApiKey:
        ctx.require(OrgRole.ADMIN, "see API keys")
        key = repository.get_scoped(session, ApiKey, org_id=ctx.org_id, id=api_key_id)
        if key is None:
            raise ApiKeyNotFound(f"No API key {api_key_id} in this organisation")
        return key

    def revoke(self, session: Session, *, ctx: OrgContext, api_key_id: int) -> ApiKey:
        """Revoke a key (idempotent); it stops working on the next request."""
        key = self.get(session, ctx=ctx, api_key_id=api_key_id)
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            session.flush()
            audit_log.record(
                session,
                actor=ctx.actor,
                org_id=ctx.org_id,
                action="api_key.revoked",
                resource_type="api_key",
                resource_id=key.id,
                details={"prefix": key.prefix, "name": key.name},
            )
        return key

    def authenticate(
        self,
        session: Session,
        *,
        secret: str,
        timestamp: str | None,
        signature: str | None,
        body: bytes,
        settings: Settings,
        cache: ReplayCache,
    ) -> ApiKeyPrincipal:
        """Check a presented key (and signature); raise `ApiKeyInvalid` (401) otherwise."""
        parsed = parse_credential(secret)
        unknown = ApiKeyInvalid("The API key is malformed, unknown or wrong")
        if parsed is None:
            audit_log.denied("malformed api key")
            raise unknown
        key_id, presented = parsed
        key = repository.api_key_credential(session, key_id)
        if key is None or (
            presented is not None and not secret_matches(presented, key.secret_hash)
        ):
            audit_log.denied("unknown api key", key_id=key_id)
            raise unknown
        if key.revoked_at is not None:
            audit_log.denied("revoked api key", key_id=key_id)
            raise ApiKeyInvalid("This API key was revoked", code="api-key-revoked")
        if key.signed:
            signing_secret = presented or self._signing_secret(key, settings)
            try:
                verify_signature(
                    secret=signing_secret,
                    key_id=key.key_id,
                    timestamp=timestamp,
                    signature=signature,
                    body=body,
                    window_s=settings.api_key_signature_window_s,
                    cache=cache,
                )
            except ApiKeyInvalid as exc:
                audit_log.denied(exc.code, key_id=key_id)
                raise
        elif presented is None:
            raise ApiKeyInvalid(
                "Send the whole API key: only signed keys may be identified by their prefix",
                code="api-key-invalid",
            )
        now = utcnow()
        interval = timedelta(seconds=settings.api_key_touch_interval_s)
        touch_due = key.last_used_at is None or key.last_used_at < now - interval
        if touch_due and not in_sqlite_read_phase():
            repository.touch_api_key(session, api_key_id=key.id, now=now, before=now - interval)
            touch_due = False
        return ApiKeyPrincipal(
            api_key_id=key.id,
            key_id=key.key_id,
            org_id=key.org_id,
            name=key.name,
            scopes=frozenset(ApiScope(s) for s in key.scopes),
            signed=key.signed,
            created_by_id=key.created_by_id,
            org_slug=key.org_slug,
            touch_due=touch_due,
        )

    def touch(self, session: Session, *, principal: ApiKeyPrincipal, settings: Settings) -> None:
        """The `last_used_at` write a check in a SQLite read phase left due (at most one a
        minute, as in `authenticate`)."""
        if principal.touch_due:
            now = utcnow()
            before = now - timedelta(seconds=settings.api_key_touch_interval_s)
            repository.touch_api_key(
                session, api_key_id=principal.api_key_id, now=now, before=before
            )

    @staticmethod
    def _signing_secret(key: ApiKeyCredential, settings: Settings) -> str:
        plain = (
            decrypt_signing_secret(
                key.signing_secret_enc,
                key_id=key.key_id,
                server_secret=settings.resolved_secret_key(),
            )
            if key.signing_secret_enc
            else None
        )
        if plain is None:
            raise ApiKeyInvalid(
                "This signed key cannot be verified by prefix (the server secret changed?): "
                "send the whole key or create a new one",
                code="signature-unverifiable",
            )
        return plain


api_key_service = ApiKeyService()
