"""Errors of the calculation engine.

Every failure is a `CalcError` with a stable kebab-case `code`, a human `detail` and
field-level `errors` (`{"loc": [...], "msg": ..., "type": ...}`, the shape FastAPI uses for
validation errors) so the HTTP layer can map it to a 422 problem+json response unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

UNKNOWN_ACTIVITY: Final = "unknown-activity"
UNIT_NOT_ACCEPTED: Final = "unit-not-accepted"
INVALID_AMOUNT: Final = "invalid-amount"
INVALID_OPTION: Final = "invalid-option"
REGION_NOT_SUPPORTED: Final = "region-not-supported"
SOURCE_NOT_AVAILABLE: Final = "source-not-available"
FACTOR_NOT_FOUND: Final = "factor-not-found"
MODEL_NOT_REGISTERED: Final = "model-not-registered"
ZONE_NOT_REGISTERED: Final = "zone-not-registered"

CODES: Final = (
    UNKNOWN_ACTIVITY,
    UNIT_NOT_ACCEPTED,
    INVALID_AMOUNT,
    INVALID_OPTION,
    REGION_NOT_SUPPORTED,
    SOURCE_NOT_AVAILABLE,
    FACTOR_NOT_FOUND,
    MODEL_NOT_REGISTERED,
    ZONE_NOT_REGISTERED,
)


class CalcError(Exception):
    """A request the engine cannot answer.

    `code` is stable (clients may switch on it); `detail` is for humans; `errors` lists the
    offending fields: `loc` is the path inside the request (`["unit"]`, `["options", "cabin"]`),
    `msg` says what is wrong and what would be accepted, `type` repeats the code.
    """

    code: str
    detail: str
    errors: list[dict[str, Any]]

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        loc: Sequence[str | int] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        if errors is None:
            errors = [{"loc": list(loc) if loc is not None else [], "msg": detail, "type": code}]
        self.errors = errors

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, "errors": [dict(e) for e in self.errors]}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CalcError):
            return NotImplemented
        return (self.code, self.detail, self.errors) == (other.code, other.detail, other.errors)

    def __hash__(self) -> int:
        return hash((self.code, self.detail))

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes (celery, xdist)
        return (_rebuild, (self.code, self.detail, self.errors))


def _rebuild(code: str, detail: str, errors: list[dict[str, Any]]) -> CalcError:
    return CalcError(code, detail, errors=errors)
