"""`identity.password_reset`: the work behind forgot-password, off the request path so the answer
takes the same time whether or not the address has an account."""

from __future__ import annotations

from ecotrack.core.db import get_database
from ecotrack.core.jobs import task
from ecotrack.core.settings import get_settings
from ecotrack.identity.service import PASSWORD_RESET_JOB, identity_service


@task(PASSWORD_RESET_JOB, personal_args=True)  # the address typed in, known or not
def password_reset(email: str, ip: str | None = None) -> bool:
    with get_database().unit_of_work() as session:
        return identity_service.send_password_reset(
            session, email=email, ip=ip, settings=get_settings()
        )
