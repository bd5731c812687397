"""Exceptions raised by the factor library."""

from __future__ import annotations


class FactorNotFound(KeyError):
    """No factor (or dataset row) matches the request.

    A `KeyError` so that `registry.get(...)` behaves like a mapping; `str()` gives the plain,
    human-readable message (with close candidates where the lookup can suggest some).
    """

    def __init__(self, message: str, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.candidates = candidates

    def __str__(self) -> str:
        return self.message


class ReferenceNotFound(KeyError):
    """No airport, country, GWP or cloud constant matches the request."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
