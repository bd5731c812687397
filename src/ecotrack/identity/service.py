"""Identity: accounts, login sessions (refresh-token families), verification and reset.

Other domains use `identity_service.get_user`, `get_user_by_email` and `create_user`, and the
typed dependencies of `ecotrack.identity.auth`. Everything that can reveal whether an address has
an account (login, register, forgot-password) answers the same way, in the same time, for both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import EmailStr, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from ecotrack.audit.service import audit_service
from ecotrack.core import jobs
from ecotrack.core.db import utcnow
from ecotrack.core.errors import ConflictError, NotFoundError, ValidationFailed
from ecotrack.core.events import subscribe
from ecotrack.core.settings import Settings, get_settings
from ecotrack.email.service import email_service
from ecotrack.identity import passwords, repository, tokens
from ecotrack.identity.errors import (
    AccountDisabled,
    CsrfFailed,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidToken,
    LoginLocked,
    WrongPassword,
)
from ecotrack.identity.lockout import FailureCounter, failure_counter
from ecotrack.identity.models import AuthSession, RefreshToken, User, UserToken
from ecotrack.identity.schemas import SessionInfo, UserUpdate

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a token purpose, not a secret
REGISTRATION_MAIL_JOB = "identity.registration_mail"
REGISTERED, ALREADY_REGISTERED = "registered", "already-registered"
PASSWORD_RESET_JOB = "identity.password_reset"  # noqa: S105 - a job name
ROLES = ("user", "admin")


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from (kept with sessions and audit records)."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    session_id: int
    csrf_token: str


def normalise_email(email: str) -> str:
    """Addresses are compared and stored lower-cased, so uniqueness is case-insensitive."""
    return email.strip().lower()


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str | None) -> str | None:
    """A short human label ("Firefox on Linux") for the session list."""
    if not user_agent:
        return None
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    return re.split(r"[\s/]", user_agent.strip(), maxsplit=1)[0][:100] or None


_EMAIL = TypeAdapter(EmailStr)


def valid_email(email: str) -> str:
    """`email` normalised, after the same check the API's schemas make (422 otherwise): direct
    callers (CLI, other domains, scripts) cannot store an address the API would refuse."""
    email = normalise_email(email)
    if len(email) > 320:
        problem = "longer than 320 characters"
    else:
        try:
            _EMAIL.validate_python(email)
            return email
        except PydanticValidationError as exc:
            problem = exc.errors()[0]["msg"]
    raise ValidationFailed(
        f"Not a valid email address: {problem}",
        errors=[{"loc": ["body", "email"], "msg": problem, "type": "value_error"}],
    )


def _password_errors(password: str, *, email: str | None, field: str) -> None:
    problems = passwords.password_problems(password, email=email)
    if problems:
        raise ValidationFailed(
            f"The password {problems[0]}",
            code="weak-password",
            errors=[{"loc": ["body", field], "msg": p, "type": "weak_password"} for p in problems],
        )


class IdentityService:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        # The time every rule here reads (expiry, lifetimes): tests move it, nothing else does.
        self.clock = clock

    # --- lookups other domains use ----------------------------------------------------------

    def get_user(self, session: Session, *, user_id: int) -> User | None:
        return repository.get_user(session, user_id)

    def display_names(self, session: Session, *, user_ids: Sequence[int]) -> dict[int, str | None]:
        """Display names of many users in one query (leaderboards); unknown ids are absent."""
        return repository.display_names(session, list(user_ids))

    def get_user_by_email(self, session: Session, *, email: str) -> User | None:
        return repository.get_user_by_email(session, normalise_email(email))

    def require_user(self, session: Session, *, user_id: int) -> User:
        user = repository.get_user(session, user_id)
        if user is None or user.erased_at is not None:
            raise NotFoundError(f"No user {user_id}")
        return user

    def create_user(
        self,
        session: Session,
        *,
        email: str,
        password: str,
        display_name: str | None = None,
        is_admin: bool = False,
        is_verified: bool = False,
        settings: Settings | None = None,
    ) -> User:
        """Create an account directly (CLI, tests, other domains). 409 when the email is taken,
        422 when the password breaks the rules. Sends no email."""
        settings = settings or get_settings()
        email = valid_email(email)
        _password_errors(password, email=email, field="password")
        if repository.get_user_by_email(session, email) is not None:
            raise ConflictError(f"An account with {email} exists", code="email-taken")
        user_id = self._insert_user(
            session,
            email=email,
            password_hash=passwords.hash_password(password, settings),
            display_name=display_name,
            role="admin" if is_admin else "user",
            is_verified=is_verified,
        )
        user = repository.get_user(session, user_id) if user_id is not None else None
        if user is None:
            raise ConflictError(f"An account with {email} exists", code="email-taken")
        audit_service.record(
            session,
            actor_id=None,
            action="user.created",
            resource_type="user",
            resource_id=user.id,
            details={"role": user.role, "is_verified": is_verified},
        )
        return user

    def _insert_user(
        self,
        session: Session,
        *,
        email: str,
        password_hash: str,
        display_name: str | None,
        role: str = "user",
        is_verified: bool = False,
    ) -> int | None:
        """The new account's id, or None when the address has one (taken before, or by a
        concurrent request): one `INSERT … ON CONFLICT DO NOTHING`."""
        now = self.clock()
        return repository.insert_user_if_new(
            session,
            {
                "email": email,
                "password_hash": password_hash,
                "display_name": display_name,
                "role": role,
                "is_active": True,
                "is_verified": is_verified,
                "verified_at": now if is_verified else None,
                "password_changed_at": now,
                "units": {},
                "privacy": {},
            },
        )

    # --- registration and verification ------------------------------------------------------

    def register(
        self,
        session: Session,
        *,
        email: str,
        password: str,
        display_name: str | None,
        client: ClientInfo,
        settings: Settings,
    ) -> None:
        """Create an unverified account and email a verification link. For an address that
        already has an account, email its owner a notice instead. Same answer, same work: both
        paths hash the password, run one `INSERT … ON CONFLICT DO NOTHING` and queue one
        `identity.registration_mail` job; the lookup, the token, the message and the audit
        record are the job's (`send_registration_mail`)."""
        email = normalise_email(email)
        _password_errors(password, email=email, field="password")
        password_hash = passwords.hash_password(password, settings)  # on both paths: timing
        new_id = self._insert_user(
            session, email=email, password_hash=password_hash, display_name=display_name
        )
        kind = REGISTERED if new_id is not None else ALREADY_REGISTERED
        jobs.enqueue(session, REGISTRATION_MAIL_JOB, email, kind, client.ip)

    def send_registration_mail(
        self, session: Session, *, email: str, kind: str, ip: str | None, settings: Settings
    ) -> bool:
        """The `identity.registration_mail` job: the verification link for a new account
        (`kind` "registered", while it is still unverified), or the notice to the owner of an
        address someone tried to register again ("already-registered"). False if nothing was
        sent (the account was verified, disabled or erased meanwhile)."""
        user = repository.get_user_by_email(session, normalise_email(email))
        if user is None or user.erased_at is not None or not user.is_active:
            return False
        if kind == ALREADY_REGISTERED:
            self._notify_existing(session, user, client=ClientInfo(ip=ip), settings=settings)
            return True
        if user.is_verified:
            return False
        self._email_link(session, user, VERIFY_EMAIL, settings)
        audit_service.record(
            session,
            actor_id=user.id,
            action="auth.registered",
            resource_type="user",
            resource_id=user.id,
            ip=ip,
        )
        return True

    def _notify_existing(
        self, session: Session, user: User, *, client: ClientInfo, settings: Settings
    ) -> None:
        if user.erased_at is not None or not user.is_active:
            return
        extra = ""
        if not user.is_verified:
            link = self._one_time_link(session, user, VERIFY_EMAIL, settings)
            extra = f"Your address is not confirmed yet; confirm it here: {link}"
        email_service.send(
            session,
            to=user.email,
            template="existing_account",
            context={"reset_url": f"{settings.public_url}/forgot-password", "extra": extra},
        )
        audit_service.record(
            session,
            actor_id=user.id,
            action="auth.register_existing",
            resource_type="user",
            resource_id=user.id,
            ip=client.ip,
        )

    def _email_link(self, session: Session, user: User, purpose: str, settings: Settings) -> None:
        """Issue a one-time link for `purpose` and queue the message that carries it."""
        link = self._one_time_link(session, user, purpose, settings)
        if purpose == VERIFY_EMAIL:
            template = "verify_email"
            context = {"url": link, "ttl_hours": settings.email_verification_ttl_hours}
        else:
            template = "password_reset"
            context = {"url": link, "ttl_minutes": settings.password_reset_ttl_minutes}
        email_service.send(session, to=user.email, template=template, context=context)

    def _one_time_link(self, session: Session, user: User, purpose: str, settings: Settings) -> str:
        now = self.clock()
        if purpose == VERIFY_EMAIL:
            ttl = timedelta(hours=settings.email_verification_ttl_hours)
            page = "verify-email"
        else:
            ttl = timedelta(minutes=settings.password_reset_ttl_minutes)
            page = "reset-password"
        repository.expire_user_tokens(session, user.id, purpose, now=now)
        raw = tokens.new_opaque_token(tokens.ONE_TIME_PREFIX)
        repository.add_user_token(
            session,
            UserToken(
                user_id=user.id,
                purpose=purpose,
                token_hash=tokens.token_digest(raw),
                created_at=now,
                expires_at=now + ttl,
            ),
        )
        # The token travels in the fragment: browsers never send it to servers or in Referer.
        return f"{settings.public_url}/{page}#token={raw}"

    def _consume_token(self, session: Session, *, raw: str, purpose: str) -> User:
        now = self.clock()
        row = repository.get_user_token(session, tokens.token_digest(raw), purpose)
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise InvalidToken()
        user = repository.get_user(session, row.user_id)
        if user is None or user.erased_at is not None or not user.is_active:
            raise InvalidToken()
        row.used_at = now
        return user

    def verify_email(self, session: Session, *, token: str, client: ClientInfo) -> User:
        user = self._consume_token(session, raw=token, purpose=VERIFY_EMAIL)
        if not user.is_verified:
            user.is_verified = True
            user.verified_at = self.clock()
        session.flush()
        audit_service.record(
            session,
            actor_id=user.id,
            action="auth.email_verified",
            resource_type="user",
            resource_id=user.id,
            ip=client.ip,
        )
        return user

    # --- login, refresh, logout -------------------------------------------------------------

    @staticmethod
    def _counter(settings: Settings) -> FailureCounter:
        return failure_counter(settings.redis_url)

    @staticmethod
    def _account_key(settings: Settings, email: str) -> str:
        return "acct:" + tokens.email_digest(settings, email)

    def _check_lockout(
        self,
        session: Session,
        *,
        key: str,
        user_id: int | None,
        client: ClientInfo,
        settings: Settings,
    ) -> None:
        count, retry_after = self._counter(settings).failures(key)
        if count >= settings.login_max_failures_per_hour:
            audit_service.record(
                session,
                actor_id=user_id,
                action="auth.login_locked",
                resource_type="user",
                resource_id=user_id,
                ip=client.ip,
                details={"failures_last_hour": count},
            )
            raise LoginLocked(retry_after)

    def login(
        self,
        session: Session,
        *,
        email: str,
        password: str,
        client: ClientInfo,
        settings: Settings,
        replaces_session_id: int | None = None,
    ) -> IssuedTokens:
        """Check the password and start a session. Unknown address and wrong password give the
        same 401 after the same work (a dummy hash is verified for unknown addresses)."""
        email = normalise_email(email)
        key = self._account_key(settings, email)
        user = repository.get_user_by_email(session, email)
        if user is not None and user.erased_at is not None:
            user = None
        self._check_lockout(
            session, key=key, user_id=user.id if user else None, client=client, settings=settings
        )
        if user is None:
            passwords.verify_dummy(password, settings)
            ok = False
        else:
            ok = passwords.verify_password(user.password_hash, password, settings)
        if not ok:
            self._counter(settings).add(key)
            audit_service.record(
                session,
                actor_id=user.id if user else None,
                action="auth.login_failed",
                resource_type="user",
                resource_id=user.id if user else None,
                ip=client.ip,
                details={} if user else {"account": "unknown"},
            )
            raise InvalidCredentials()
        assert user is not None  # noqa: S101 - ok implies a user
        if not user.is_active:
            raise AccountDisabled()
        self._counter(settings).clear(key)
        if passwords.needs_rehash(user.password_hash, settings):
            user.password_hash = passwords.hash_password(password, settings)
        now = self.clock()
        user.last_login_at = now
        if replaces_session_id is not None:
            self._revoke_own_session(session, user.id, replaces_session_id, reason="re-login")
        issued = self._start_session(session, user, client=client, settings=settings, now=now)
        audit_service.record(
            session,
            actor_id=user.id,
            action="auth.login_succeeded",
            resource_type="session",
            resource_id=issued.session_id,
            ip=client.ip,
        )
        return issued

    def _start_session(
        self, session: Session, user: User, *, client: ClientInfo, settings: Settings, now: datetime
    ) -> IssuedTokens:
        auth_session = repository.add_session(
            session,
            AuthSession(
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(seconds=settings.refresh_token_ttl_s),
                last_used_at=now,
                ip=client.ip,
                user_agent=(client.user_agent or None) and client.user_agent[:400],
                device=device_label(client.user_agent),
            ),
        )
        return self._issue(session, user, auth_session, settings=settings, now=now)

    def _issue(
        self,
        session: Session,
        user: User,
        auth_session: AuthSession,
        *,
        settings: Settings,
        now: datetime,
    ) -> IssuedTokens:
        raw = tokens.new_opaque_token(tokens.REFRESH_PREFIX)
        repository.add_refresh_token(
            session,
            RefreshToken(
                session_id=auth_session.id, token_hash=tokens.token_digest(raw), created_at=now
            ),
        )
        access, ttl = tokens.issue_access_token(
            settings, user_id=user.id, session_id=auth_session.id, role=user.role, now=now
        )
        return IssuedTokens(
            access_token=access,
            expires_in=ttl,
            refresh_token=raw,
            session_id=auth_session.id,
            csrf_token=tokens.csrf_token(settings, auth_session.id),
        )

    def refresh(
        self,
        session: Session,
        *,
        refresh_token: str,
        client: ClientInfo,
        settings: Settings,
        csrf: tuple[str | None, str | None] | None = None,
    ) -> IssuedTokens:
        """Rotate: the presented token is spent and a new one issued in the same family.

        Presenting a spent token again means it was copied: the whole family is revoked (the
        newer token stops working too) and the reuse is audited. With
        `ECOTRACK_REFRESH_REUSE_GRACE_S` > 0, the immediately previous token is refused without
        revoking for that many seconds (two tabs refreshing at once). `csrf` = (cookie, header)
        when the token came from a cookie.
        """
        now = self.clock()
        row = repository.get_refresh_token(session, tokens.token_digest(refresh_token))
        if row is None:
            raise InvalidRefreshToken()
        auth_session = repository.get_session(session, row.session_id)
        if auth_session is None or auth_session.revoked_at is not None:
            raise InvalidRefreshToken()
        if csrf is not None:
            cookie, header = csrf
            if not cookie or not header or cookie != header:
                raise CsrfFailed()
            if not tokens.csrf_valid(settings, auth_session.id, header):
                raise CsrfFailed()
        if auth_session.expires_at <= now:
            auth_session.revoked_at = now
            auth_session.revoked_reason = "expired"
            raise InvalidRefreshToken()
        if row.used_at is not None:
            # Grace only for the immediate predecessor of the live token (by issue order, not by
            # timestamps, which can tie), and only while its successor is still unused.
            newest = repository.newest_refresh_tokens(session, auth_session.id, limit=2)
            in_grace = (
                settings.refresh_reuse_grace_s > 0
                and len(newest) == 2
                and newest[1].id == row.id
                and newest[0].used_at is None
                and now - row.used_at <= timedelta(seconds=settings.refresh_reuse_grace_s)
            )
            if in_grace:
                raise InvalidRefreshToken()
            auth_session.revoked_at = now
            auth_session.revoked_reason = "refresh-token-reuse"
            audit_service.record(
                session,
                actor_id=auth_session.user_id,
                action="auth.refresh_token_reused",
                resource_type="session",
                resource_id=auth_session.id,
                ip=client.ip,
                details={"family_revoked": True},
            )
            raise InvalidRefreshToken()
        user = repository.get_user(session, auth_session.user_id)
        if user is None or not user.is_active or user.erased_at is not None:
            auth_session.revoked_at = now
            auth_session.revoked_reason = "account-disabled"
            raise InvalidRefreshToken()
        row.used_at = now
        auth_session.last_used_at = now
        if client.ip:
            auth_session.ip = client.ip
        session.flush()
        return self._issue(session, user, auth_session, settings=settings, now=now)

    def _revoke_own_session(
        self, session: Session, user_id: int, session_id: int, *, reason: str
    ) -> bool:
        auth_session = repository.get_session(session, session_id)
        if auth_session is None or auth_session.user_id != user_id:
            return False
        if auth_session.revoked_at is not None:
            return False
        auth_session.revoked_at = self.clock()
        auth_session.revoked_reason = reason
        session.flush()
        return True

    def session_for_refresh_token(self, session: Session, *, refresh_token: str) -> int | None:
        row = repository.get_refresh_token(session, tokens.token_digest(refresh_token))
        return row.session_id if row is not None else None

    def logout(
        self, session: Session, *, user_id: int, session_id: int | None, client: ClientInfo
    ) -> None:
        if session_id is not None:
            self._revoke_own_session(session, user_id, session_id, reason="logout")
        audit_service.record(
            session,
            actor_id=user_id,
            action="auth.logout",
            resource_type="session",
            resource_id=session_id,
            ip=client.ip,
        )

    def logout_all(self, session: Session, *, user_id: int, client: ClientInfo) -> int:
        count = repository.revoke_sessions(session, user_id, now=self.clock(), reason="logout-all")
        audit_service.record(
            session,
            actor_id=user_id,
            action="auth.logout_all",
            resource_type="user",
            resource_id=user_id,
            ip=client.ip,
            details={"sessions_revoked": count},
        )
        return count

    def resolve_access(self, session: Session, *, claims: tokens.AccessClaims) -> User | None:
        """The user behind a valid access token, if the account and its session are still live."""
        user = repository.get_user(session, claims.user_id)
        if user is None or not user.is_active or user.erased_at is not None:
            return None
        auth_session = repository.get_session(session, claims.session_id)
        if (
            auth_session is None
            or auth_session.user_id != user.id
            or auth_session.revoked_at is not None
            or auth_session.expires_at <= self.clock()
        ):
            return None
        return user

    # --- passwords --------------------------------------------------------------------------

    def forgot_password(self, session: Session, *, email: str, client: ClientInfo) -> None:
        """Queue a reset for `email`. The request does the same work for every address (it writes
        one job): looking the account up, issuing the token and rendering the message happen in
        `send_password_reset`, so neither the answer nor its timing tells whether it exists."""
        jobs.enqueue(session, PASSWORD_RESET_JOB, normalise_email(email), client.ip)

    def send_password_reset(
        self, session: Session, *, email: str, ip: str | None, settings: Settings
    ) -> bool:
        """The `identity.password_reset` job: email a reset link when `email` has an active
        account (True), audit the request either way. A rerun sends a fresh link, which replaces
        the first (issuing a link expires the account's earlier ones)."""
        user = repository.get_user_by_email(session, normalise_email(email))
        sent = False
        if user is not None and user.is_active and user.erased_at is None:
            self._email_link(session, user, PASSWORD_RESET, settings)
            sent = True
        audit_service.record(
            session,
            actor_id=user.id if user else None,
            action="auth.password_reset_requested",
            resource_type="user",
            resource_id=user.id if user else None,
            ip=ip,
        )
        return sent

    def reset_password(
        self,
        session: Session,
        *,
        token: str,
        new_password: str,
        client: ClientInfo,
        settings: Settings,
    ) -> None:
        """Set a new password with a reset token: every session ends, the address counts as
        verified (the link reached it)."""
        now = self.clock()
        row = repository.get_user_token(session, tokens.token_digest(token), PASSWORD_RESET)
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise InvalidToken()
        user = repository.get_user(session, row.user_id)
        if user is None or user.erased_at is not None or not user.is_active:
            raise InvalidToken()
        _password_errors(new_password, email=user.email, field="new_password")
        row.used_at = now
        self._set_password(session, user, new_password, settings=settings, now=now)
        if not user.is_verified:
            user.is_verified = True
            user.verified_at = now
        repository.revoke_sessions(session, user.id, now=now, reason="password-reset")
        self._counter(settings).clear(self._account_key(settings, user.email))
        audit_service.record(
            session,
            actor_id=user.id,
            action="auth.password_reset",
            resource_type="user",
            resource_id=user.id,
            ip=client.ip,
        )
        self._password_changed_notice(session, user)

    def change_password(
        self,
        session: Session,
        *,
        user_id: int,
        session_id: int | None,
        current_password: str,
        new_password: str,
        client: ClientInfo,
        settings: Settings,
    ) -> None:
        """Needs the current password; ends every other session of the account."""
        user = self.require_user(session, user_id=user_id)
        self.check_password(
            session, user=user, password=current_password, client=client, settings=settings
        )
        _password_errors(new_password, email=user.email, field="new_password")
        now = self.clock()
        self._set_password(session, user, new_password, settings=settings, now=now)
        repository.revoke_sessions(
            session, user.id, now=now, reason="password-changed", except_id=session_id
        )
        audit_service.record(
            session,
            actor_id=user.id,
            action="auth.password_changed",
            resource_type="user",
            resource_id=user.id,
            ip=client.ip,
        )
        self._password_changed_notice(session, user)

    def check_password(
        self,
        session: Session,
        *,
        user: User,
        password: str,
        client: ClientInfo,
        settings: Settings,
    ) -> None:
        """Re-authentication (password change, account deletion): counts towards the lockout."""
        key = self._account_key(settings, user.email)
        self._check_lockout(session, key=key, user_id=user.id, client=client, settings=settings)
        if not passwords.verify_password(user.password_hash, password, settings):
            self._counter(settings).add(key)
            audit_service.record(
                session,
                actor_id=user.id,
                action="auth.reauthentication_failed",
                resource_type="user",
                resource_id=user.id,
                ip=client.ip,
            )
            raise WrongPassword()

    def _set_password(
        self, session: Session, user: User, password: str, *, settings: Settings, now: datetime
    ) -> None:
        user.password_hash = passwords.hash_password(password, settings)
        user.password_changed_at = now
        repository.expire_user_tokens(session, user.id, PASSWORD_RESET, now=now)
        session.flush()

    def _password_changed_notice(self, session: Session, user: User) -> None:
        email_service.send(
            session,
            to=user.email,
            template="notice",
            context={
                "title": "Your EcoTrack password was changed",
                "message": (
                    "The password of your EcoTrack account was just changed and your other "
                    "sessions were logged out. If this was not you, reset your password now."
                ),
            },
        )

    # --- the account itself -----------------------------------------------------------------

    def update_profile(self, session: Session, *, user_id: int, user_in: UserUpdate) -> User:
        user = self.require_user(session, user_id=user_id)
        changes = user_in.model_dump(exclude_unset=True)
        for field in ("display_name", "country", "household_size"):
            if field in changes:
                setattr(user, field, changes[field])
        if "units" in changes:
            user.units = changes["units"] or {}
        if "privacy" in changes:
            user.privacy = changes["privacy"] or {}
        session.flush()
        return user

    def list_sessions(
        self, session: Session, *, user_id: int, current_session_id: int | None
    ) -> list[SessionInfo]:
        rows = repository.active_sessions(session, user_id, now=self.clock())
        out = []
        for row in rows:
            info = SessionInfo.model_validate(row)
            info.current = row.id == current_session_id
            out.append(info)
        return out

    def revoke_session(
        self, session: Session, *, user_id: int, session_id: int, client: ClientInfo
    ) -> None:
        """End one of the user's own sessions; another user's session is a 404."""
        auth_session = repository.get_session(session, session_id)
        if (
            auth_session is None
            or auth_session.user_id != user_id
            or auth_session.revoked_at is not None
        ):
            raise NotFoundError(f"No active session {session_id}")
        auth_session.revoked_at = self.clock()
        auth_session.revoked_reason = "revoked-by-user"
        session.flush()
        audit_service.record(
            session,
            actor_id=user_id,
            action="auth.session_revoked",
            resource_type="session",
            resource_id=session_id,
            ip=client.ip,
        )

    # --- administration (through ecotrack.admin) --------------------------------------------

    def list_users(
        self,
        session: Session,
        *,
        q: str | None = None,
        role: str | None = None,
        is_active: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[User], int]:
        return repository.list_users(
            session, q=q, role=role, is_active=is_active, limit=limit, offset=offset
        )

    def set_active(
        self, session: Session, *, user_id: int, is_active: bool, actor_id: int, client: ClientInfo
    ) -> User:
        """Enable or disable an account; disabling ends its sessions at once."""
        user = self.require_user(session, user_id=user_id)
        if user.is_active == is_active:
            return user
        if not is_active and user.role == "admin" and repository.count_admins(session) <= 1:
            raise ConflictError("The last active admin cannot be disabled", code="last-admin")
        user.is_active = is_active
        if not is_active:
            repository.revoke_sessions(
                session, user.id, now=self.clock(), reason="account-disabled"
            )
        session.flush()
        audit_service.record(
            session,
            actor_id=actor_id,
            action="user.enabled" if is_active else "user.disabled",
            resource_type="user",
            resource_id=user.id,
            ip=client.ip,
        )
        return user

    def set_role(
        self, session: Session, *, user_id: int, role: str, actor_id: int, client: ClientInfo
    ) -> User:
        if role not in ROLES:
            raise ValidationFailed(f"Unknown role {role!r}")
        user = self.require_user(session, user_id=user_id)
        if user.role == role:
            return user
        if user.role == "admin" and repository.count_admins(session) <= 1:
            raise ConflictError("The last active admin cannot be demoted", code="last-admin")
        previous, user.role = user.role, role
        session.flush()
        audit_service.record(
            session,
            actor_id=actor_id,
            action="user.role_changed",
            resource_type="user",
            resource_id=user.id,
            ip=client.ip,
            details={"from": previous, "to": role},
        )
        return user

    # --- privacy ----------------------------------------------------------------------------

    def pseudonym(self, *, user_id: int, settings: Settings) -> str:
        return tokens.pseudonym(settings, user_id)

    def erase_user(self, session: Session, *, user_id: int, settings: Settings) -> str:
        """Remove every personal field of the account, its sessions and tokens. The row stays
        (other domains' history points at its id) under a pseudonymous address. Returns the
        pseudonym."""
        user = self.require_user(session, user_id=user_id)
        alias = tokens.pseudonym(settings, user.id)
        self._counter(settings).clear(self._account_key(settings, user.email))
        repository.delete_sessions(session, user.id)
        repository.delete_user_tokens(session, user.id)
        user.email = f"{alias}@erased.invalid"
        user.password_hash = "!erased"  # noqa: S105 - not a hash: no password can match it
        user.display_name = None
        user.country = None
        user.household_size = None
        user.units = {}
        user.privacy = {}
        user.is_active = False
        user.is_verified = False
        user.verified_at = None
        user.last_login_at = None
        user.erased_at = self.clock()
        session.flush()
        return alias

    def export_profile(self, session: Session, *, user_id: int) -> dict[str, Any]:
        user = self.require_user(session, user_id=user_id)
        return {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "country": user.country,
            "household_size": user.household_size,
            "units": user.units,
            "privacy": user.privacy,
            "role": user.role,
            "is_verified": user.is_verified,
            "created_at": user.created_at.isoformat(),
            "verified_at": user.verified_at.isoformat() if user.verified_at else None,
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
            "password_changed_at": (
                user.password_changed_at.isoformat() if user.password_changed_at else None
            ),
        }

    def export_sessions(self, session: Session, *, user_id: int) -> list[dict[str, Any]]:
        return [
            {
                "id": s.id,
                "device": s.device,
                "ip": s.ip,
                "user_agent": s.user_agent,
                "created_at": s.created_at.isoformat(),
                "last_used_at": s.last_used_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
                "revoked_at": s.revoked_at.isoformat() if s.revoked_at else None,
                "revoked_reason": s.revoked_reason,
            }
            for s in repository.all_sessions(session, user_id)
        ]


identity_service = IdentityService()


@subscribe("privacy.export_requested")
def _export(session: Session, *, user_id: int, add: Callable[[str, Any], None]) -> None:
    add("identity/profile.json", identity_service.export_profile(session, user_id=user_id))
    add("identity/sessions.json", identity_service.export_sessions(session, user_id=user_id))
