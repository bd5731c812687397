"""The identity service called directly (CLI, other domains, scripts) applies the API's rules."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecotrack.core.errors import ValidationFailed
from ecotrack.core.settings import Settings
from ecotrack.identity.models import User
from ecotrack.identity.service import identity_service

PASSWORD = "a sturdy passphrase for tests 42"  # noqa: S105


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "two@@example.org",
        "space in@example.org",
        "a@localhost",
        "",
        "x@" + "a" * 320,
    ],
)
def test_create_user_refuses_what_the_api_would_refuse(
    session: Session, settings: Settings, email: str
) -> None:
    before = session.execute(select(func.count()).select_from(User)).scalar_one()
    with pytest.raises(ValidationFailed) as caught:
        identity_service.create_user(session, email=email, password=PASSWORD, settings=settings)
    assert caught.value.errors[0]["loc"] == ["body", "email"]
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == before


def test_create_user_stores_the_address_normalised(session: Session, settings: Settings) -> None:
    user = identity_service.create_user(
        session, email="  Ada.Lovelace@Example.ORG ", password=PASSWORD, settings=settings
    )
    assert user.email == "ada.lovelace@example.org"
