"""Typed FastAPI dependencies shared by every domain: the unit of work, settings, rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ecotrack.core.db import Database
from ecotrack.core.settings import Settings


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back on error."""
    with get_db(request).unit_of_work() as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limit_by_ip(request: Request) -> None:
    """The API-wide per-IP limit (`ECOTRACK_RATE_LIMIT_PER_MINUTE`)."""
    settings = get_app_settings(request)
    request.app.state.rate_limiter.hit(
        f"ip:{client_ip(request)}", limit=settings.rate_limit_per_minute, window_s=60
    )


DbSession = Annotated[Session, Depends(get_session, scope="function")]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
