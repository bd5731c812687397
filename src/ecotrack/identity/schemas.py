from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictBool

from ecotrack.identity.passwords import MAX_LENGTH, MIN_LENGTH

NewPassword = Field(
    min_length=MIN_LENGTH,
    max_length=MAX_LENGTH,
    description=f"{MIN_LENGTH}–{MAX_LENGTH} characters; common passwords are refused",
)
# Existing passwords are checked, not judged: accept whatever was once valid.
AnyPassword = Field(min_length=1, max_length=1024)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnitPreferences(Strict):
    system: Literal["metric", "imperial"] = "metric"
    energy: Literal["kWh", "MJ", "therm"] = "kWh"
    distance: Literal["km", "mi"] = "km"


class PrivacyPreferences(Strict):
    profile_visibility: Literal["private", "organisation", "public"] = "private"
    share_anonymous_statistics: StrictBool = False


class UserCreate(Strict):
    email: EmailStr = Field(max_length=320)
    password: str = NewPassword
    display_name: str | None = Field(default=None, min_length=1, max_length=100)


class UserUpdate(Strict):
    """Every field optional; anything else (role, email, is_verified, ...) is refused with 422."""

    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    country: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2"
    )
    household_size: int | None = Field(default=None, ge=1, le=50)
    units: UnitPreferences | None = None
    privacy: PrivacyPreferences | None = None


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str | None
    country: str | None
    household_size: int | None
    units: UnitPreferences
    privacy: PrivacyPreferences
    role: Literal["user", "admin"]
    is_verified: bool
    created_at: datetime


class Accepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    detail: str


class Verified(BaseModel):
    status: Literal["verified"] = "verified"


class VerifyEmail(Strict):
    token: str = Field(min_length=10, max_length=200)


class Login(Strict):
    email: EmailStr = Field(max_length=320)
    password: str = AnyPassword
    use_cookies: StrictBool = Field(
        default=False,
        description="Set the tokens as httpOnly cookies (web app) instead of returning them",
    )


class Refresh(Strict):
    refresh_token: str | None = Field(
        default=None,
        min_length=10,
        max_length=200,
        description="Omit to use the refresh cookie (then send X-CSRF-Token)",
    )


class TokenPair(BaseModel):
    access_token: str | None = Field(description="JWT; null when the tokens went into cookies")
    refresh_token: str | None = Field(description="Opaque; null when it went into a cookie")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type
    expires_in: int = Field(description="Seconds until the access token expires")
    csrf_token: str | None = Field(
        default=None, description="Cookie mode: send it back as X-CSRF-Token on unsafe requests"
    )


class ForgotPassword(Strict):
    email: EmailStr = Field(max_length=320)


class ResetPassword(Strict):
    token: str = Field(min_length=10, max_length=200)
    new_password: str = NewPassword


class ChangePassword(Strict):
    current_password: str = AnyPassword
    new_password: str = NewPassword


class SessionInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    device: str | None
    ip: str | None
    user_agent: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool = False
