"""Request and response bodies of the organisations API.

Inputs forbid unknown fields (a PATCH carrying `role` or `org_id` is a 422, not silently
ignored) and use strict scalars (JSON `true` is not the number 1).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    Strict,
    StrictBool,
    StringConstraints,
    computed_field,
    field_validator,
    model_validator,
)

from ecotrack.core.db import utcnow
from ecotrack.orgs.context import ApiScope, OrgRole

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"


def _json_integer(value: Any) -> Any:
    # JSON Schema's integer: 3 and 3.0, not true or "3" (which lax mode would coerce).
    if isinstance(value, bool | str):
        raise ValueError("Input should be a valid integer")
    return value


Int = Annotated[int, BeforeValidator(_json_integer)]
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
Id = Annotated[Int, Field(ge=1, le=MAX_ID)]
Number = Annotated[float, Strict(), AllowInfNan(False)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=64)]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        # NUL and other control characters, or lone surrogates, have no place in stored text
        # (PostgreSQL refuses NUL outright).
        if isinstance(value, str):
            if _CONTROL.search(value):
                raise ValueError("control characters are not allowed")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("not valid Unicode text") from None
        return value


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- organisations ----------------------------------------------------------------------------


class OrgCreate(_In):
    name: Name
    slug: Slug | None = Field(
        default=None,
        description="Permanent handle (lower-case letters, digits, dashes); derived from the "
        "name when omitted. It names the organisation's factors (`org:<slug>:<id>`).",
    )


class OrgUpdate(_In):
    name: Name | None = None


class Org(_Out):
    id: int
    name: str
    slug: str
    created_at: datetime
    updated_at: datetime


class OrgWithRole(Org):
    role: OrgRole = Field(description="The caller's role in this organisation")


# --- members and teams ----------------------------------------------------------------------


class Member(_Out):
    user_id: int
    email: str
    display_name: str | None = None
    role: OrgRole
    joined_at: datetime


class MemberUpdate(_In):
    role: OrgRole


class TeamCreate(_In):
    name: Name
    description: Annotated[str, StringConstraints(max_length=500)] = ""


class TeamUpdate(_In):
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class Team(_Out):
    id: int
    name: str
    description: str
    member_count: int = 0
    created_at: datetime
    updated_at: datetime


class TeamMemberAdd(_In):
    user_id: Id


class TeamMember(_Out):
    user_id: int
    email: str
    display_name: str | None = None
    role: OrgRole = Field(description="The member's organisation role")
    added_at: datetime


# --- invitations ----------------------------------------------------------------------------


class InvitationCreate(_In):
    email: EmailStr = Field(max_length=320)
    role: OrgRole = OrgRole.MEMBER

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


InvitationStatus = Literal["pending", "accepted", "revoked", "expired"]


class Invitation(_Out):
    id: int
    email: str
    role: OrgRole
    invited_by_id: int | None
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= utcnow():
            return "expired"
        return "pending"


class InvitationCreated(Invitation):
    token: str = Field(
        description="The invitation token, shown once (also emailed). Only the invitee, signed "
        "in with this email address, can accept it."
    )


class InvitationAccept(_In):
    token: Annotated[str, StringConstraints(min_length=16, max_length=200)]


# --- API keys -------------------------------------------------------------------------------


class ApiKeyCreate(_In):
    name: Name
    scopes: list[ApiScope] = Field(min_length=1, max_length=3)
    signed: StrictBool = Field(
        default=False,
        description="Require every request to carry an HMAC signature made with the secret",
    )

    @field_validator("scopes")
    @classmethod
    def _unique(cls, value: list[ApiScope]) -> list[ApiScope]:
        return sorted(set(value), key=list(ApiScope).index)


class ApiKey(_Out):
    id: int
    prefix: str = Field(description="`eco_<key id>`: the public start of the secret")
    name: str
    scopes: list[ApiScope]
    signed: bool
    created_by_id: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKey):
    secret: str = Field(description="The API key, shown once: only its hash is stored")


class ApiKeyIdentity(BaseModel):
    """What an API key authenticates as."""

    id: int
    prefix: str
    name: str
    org_id: int
    scopes: list[ApiScope]
    signed: bool


class ApiKeyPing(BaseModel):
    """The answer of the signing test endpoint."""

    ok: Literal[True] = True
    org_id: int
    prefix: str
    signed: bool
    received_bytes: int


# --- factor overrides -----------------------------------------------------------------------

Activity = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Region = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9-]{2,16}$")
]
UnitText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
FactorId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,199}$")]
Year = Annotated[Int, Field(ge=1990, le=2100)]
Text500 = Annotated[str, StringConstraints(max_length=500)]
Notes = Annotated[str, StringConstraints(max_length=4000)]
CO2E_UNITS = ("kg CO2e", "g CO2e", "t CO2e")


class _FactorOverrideFields(_In):
    @field_validator("unit", check_fields=False)
    @classmethod
    def _unit(cls, value: str | None) -> str | None:
        if value is not None and value not in CO2E_UNITS:
            raise ValueError(f"unit must be one of {', '.join(CO2E_UNITS)}")
        return value

    @field_validator("per_unit", check_fields=False)
    @classmethod
    def _per_unit(cls, value: str | None) -> str | None:
        from ecotrack.calc.units import is_unit

        if value is not None and not is_unit(value):
            raise ValueError(f"unknown unit {value!r} (examples: kWh, km, L, kg, passenger_km)")
        return value


class FactorOverrideCreate(_FactorOverrideFields):
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    activity: Activity | None = Field(
        default=None, description="Activity it applies to (electricity, natural_gas, …)"
    )
    region: Region | None = Field(default=None, description="ISO 3166 code; omitted = any")
    year: Year | None = Field(default=None, description="Omitted = any year")
    value: Number = Field(ge=0, description="`unit` per `per_unit`")
    unit: UnitText = "kg CO2e"
    per_unit: UnitText
    replaces: FactorId | None = Field(default=None, description="Library factor id it replaces")
    source: Text500 = ""
    notes: Notes = ""

    @model_validator(mode="after")
    def _target(self) -> FactorOverrideCreate:
        if self.activity is None and self.replaces is None:
            raise ValueError("set `activity`, `replaces`, or both")
        return self


class FactorOverrideUpdate(_FactorOverrideFields):
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    activity: Activity | None = None
    region: Region | None = None
    year: Year | None = None
    value: Number | None = Field(default=None, ge=0)
    unit: UnitText | None = None
    per_unit: UnitText | None = None
    replaces: FactorId | None = None
    source: Text500 | None = None
    notes: Notes | None = None


class FactorOverride(_Out):
    id: int
    factor_id: str = Field(description="The id results cite: `org:<slug>:<id>`")
    name: str
    activity: str | None
    region: str | None
    year: int | None
    value: float
    unit: str
    per_unit: str
    replaces: str | None
    source: str
    notes: str
    created_at: datetime
    updated_at: datetime


# --- custom models --------------------------------------------------------------------------


class MinMax(_In):
    min: Number
    max: Number

    @model_validator(mode="after")
    def _order(self) -> MinMax:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


Bounds = Number | MinMax
Provider = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,99}$")
]
ModelName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/@+\- ]{0,199}$"),
]
Zone = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2,3}$")
]


def _low(value: Bounds | None) -> float | None:
    if value is None:
        return None
    return value.min if isinstance(value, MinMax) else value


def _high(value: Bounds | None) -> float | None:
    if value is None:
        return None
    return value.max if isinstance(value, MinMax) else value


class _CustomModelFields(_In):
    @field_validator("params_total_b", "params_active_b", check_fields=False)
    @classmethod
    def _positive(cls, value: Bounds | None) -> Bounds | None:
        low = _low(value)
        if low is not None and low <= 0:
            raise ValueError("must be > 0 (billions of parameters)")
        return value

    @field_validator("pue", check_fields=False)
    @classmethod
    def _pue(cls, value: Bounds | None) -> Bounds | None:
        low = _low(value)
        if low is not None and low < 1:
            raise ValueError("must be >= 1")
        return value

    @field_validator("wue_onsite", check_fields=False)
    @classmethod
    def _wue(cls, value: Bounds | None) -> Bounds | None:
        low = _low(value)
        if low is not None and low < 0:
            raise ValueError("must be >= 0")
        return value

    def _check(self) -> None:
        total: Bounds | None = getattr(self, "params_total_b", None)
        active: Bounds | None = getattr(self, "params_active_b", None)
        if total is not None and active is not None:
            if (_low(active) or 0) > (_low(total) or 0) or (_high(active) or 0) > (
                _high(total) or 0
            ):
                raise ValueError("params_active_b cannot exceed params_total_b")


class CustomModelCreate(_CustomModelFields):
    provider: Provider
    name: ModelName
    params_total_b: Bounds = Field(description="Total parameters, billions: a number or {min,max}")
    params_active_b: Bounds | None = Field(
        default=None, description="Active parameters (MoE), billions; omitted = dense (= total)"
    )
    tps: Number | None = Field(default=None, gt=0, description="Output tokens per second")
    ttft_s: Number | None = Field(default=None, ge=0, description="Time to first token, s")
    pue: Bounds | None = Field(default=None, description="Data-centre PUE (>= 1)")
    wue_onsite: Bounds | None = Field(default=None, description="On-site water, L/kWh")
    zone: Zone | None = Field(default=None, description="Electricity-mix zone (alpha-3/alpha-2)")
    notes: Notes = ""

    @model_validator(mode="after")
    def _valid(self) -> CustomModelCreate:
        self._check()
        return self


class CustomModelUpdate(_CustomModelFields):
    provider: Provider | None = None
    name: ModelName | None = None
    params_total_b: Bounds | None = None
    params_active_b: Bounds | None = None
    tps: Number | None = Field(default=None, gt=0)
    ttft_s: Number | None = Field(default=None, ge=0)
    pue: Bounds | None = None
    wue_onsite: Bounds | None = None
    zone: Zone | None = None
    notes: Notes | None = None

    @model_validator(mode="after")
    def _valid(self) -> CustomModelUpdate:
        self._check()
        return self


class MinMaxOut(BaseModel):
    min: float
    max: float


def bounds_out(value: dict[str, Any] | None) -> float | MinMaxOut | None:
    """A stored `{min, max}` as the API shows it: a number when min == max."""
    if value is None:
        return None
    low, high = float(value["min"]), float(value["max"])
    return low if low == high else MinMaxOut(min=low, max=high)


class CustomModel(_Out):
    id: int
    provider: str
    name: str
    params_total_b: float | MinMaxOut
    params_active_b: float | MinMaxOut | None
    tps: float | None
    ttft_s: float | None
    pue: float | MinMaxOut | None
    wue_onsite: float | MinMaxOut | None
    zone: str | None
    notes: str
    created_at: datetime
    updated_at: datetime

    @field_validator("params_total_b", "params_active_b", "pue", "wue_onsite", mode="before")
    @classmethod
    def _bounds(cls, value: Any) -> Any:
        return bounds_out(value) if isinstance(value, dict) else value


# --- audit log ------------------------------------------------------------------------------


AuditAction = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{0,99}$")]
