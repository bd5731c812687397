"""The mail behind register and forgot-password, off the request path so that each answer takes
the same time whether or not the address has an account."""

from __future__ import annotations

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.identity.service import (
    PASSWORD_RESET_JOB,
    REGISTRATION_MAIL_JOB,
    identity_service,
)


@task(PASSWORD_RESET_JOB, personal_args=True)  # the address typed in, known or not
def password_reset(email: str, ip: str | None = None) -> bool:
    with get_database().unit_of_work() as session:
        return identity_service.send_password_reset(
            session, email=email, ip=ip, settings=get_settings()
        )


@task(REGISTRATION_MAIL_JOB, personal_args=True)  # the address registered, account or not
def registration_mail(email: str, kind: str, ip: str | None = None) -> bool:
    with get_database().unit_of_work() as session:
        return identity_service.send_registration_mail(
            session, email=email, kind=kind, ip=ip, settings=get_settings()
        )
