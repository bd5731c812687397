"""In-process domain events: how one domain reacts to another without importing its internals.

A domain's service module subscribes at import time (`@subscribe("user.erased")`); the domain
that owns the fact publishes it inside its unit of work (`publish(session, "user.erased",
user_id=...)`). Handlers run synchronously in the same transaction, so the whole reaction commits
or rolls back together; slow work belongs in a job the handler enqueues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from ecotrack.core.discovery import domain_modules

Handler = Callable[..., None]
_HANDLERS: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str) -> Callable[[Handler], Handler]:
    """Register `fn(session, **payload)` for `event` (names are `<domain>.<fact>`)."""

    def decorator(fn: Handler) -> Handler:
        if fn not in _HANDLERS[event]:
            _HANDLERS[event].append(fn)
        return fn

    return decorator


_services_loaded = False


def _load_services() -> None:
    """Import every domain's service once per process (they subscribe when imported)."""
    global _services_loaded
    if not _services_loaded:
        domain_modules("service")
        _services_loaded = True


def publish(session: Session, event: str, **payload: Any) -> int:
    """Call every handler of `event` in this unit of work; returns how many ran."""
    _load_services()
    handlers = list(_HANDLERS.get(event, ()))
    for handler in handlers:
        handler(session, **payload)
    return len(handlers)


def handlers(event: str) -> list[Handler]:
    _load_services()
    return list(_HANDLERS.get(event, ()))
