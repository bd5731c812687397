"""Organisations and everything they own. Every tenant-owned row carries `org_id`.

Unique keys lead with `org_id` (one tenant's names never collide with, or reveal, another's);
the only global unique keys are the organisation slug, the API key id and the invitation token
hash, all random or deliberately global. Rows reference users by id (`user.id`, owned by the
identity domain): a membership goes with its user, an author reference becomes NULL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecotrack.core.db import Base, TimestampMixin, UTCDateTime

USER_FK = "user.id"
ORG_FK = "organisation.id"
ROLES_SQL = "'owner', 'admin', 'member', 'viewer'"


class Organisation(TimestampMixin, Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    slug: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True
    )


class Membership(TimestampMixin, Base):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("org_id", "user_id"),
        CheckConstraint(f"role IN ({ROLES_SQL})", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(
        ForeignKey(USER_FK, ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(16), nullable=False)


class Team(TimestampMixin, Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")


class TeamMember(TimestampMixin, Base):
    """A member of the organisation in one of its teams (goes with the membership)."""

    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("team_id", "membership_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False, index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), nullable=False)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="CASCADE"), nullable=False, index=True
    )


class Invitation(TimestampMixin, Base):
    """An invitation by email. Only the SHA-256 of its token is stored; it is used once."""

    __tablename__ = "invitation"
    __table_args__ = (
        Index("ix_invitation_org_id_email", "org_id", "email"),
        CheckConstraint(f"role IN ({ROLES_SQL})", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    accepted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ApiKey(TimestampMixin, Base):
    """A machine credential of one organisation.

    `secret_hash` is the SHA-256 of the whole secret (never the secret). Signed keys also keep
    `signing_secret_enc`: the secret encrypted with AES-256-GCM under a key derived from the
    server secret, because verifying an HMAC keyed by the secret needs the secret itself.
    """

    __tablename__ = "api_key"
    __table_args__ = (Index("ix_api_key_org_id_created_at", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False)
    key_id: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    signed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    signing_secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True, index=True
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def prefix(self) -> str:
        """The public start of the secret, `eco_<key id>` (what lists and logs show)."""
        return f"eco_{self.key_id}"


class FactorOverride(TimestampMixin, Base):
    """An organisation's own emission factor (`value` `unit` per `per_unit`)."""

    __tablename__ = "factor_override"
    __table_args__ = (
        UniqueConstraint("org_id", "replaces"),
        Index("ix_factor_override_org_id_activity", "org_id", "activity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    activity: Mapped[str | None] = mapped_column(String(64), nullable=True)
    region: Mapped[str | None] = mapped_column(String(16), nullable=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(32), nullable=False)
    per_unit: Mapped[str] = mapped_column(String(32), nullable=False)
    replaces: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")

    org: Mapped[Organisation] = relationship(lazy="raise", innerjoin=True)

    @property
    def factor_id(self) -> str:
        """The id calculation results cite (`org:<slug>:<id>`, see `ecotrack.factors.overrides`)."""
        return f"org:{self.org.slug}:{self.id}"


class CustomModel(TimestampMixin, Base):
    """An organisation's own LLM (or its figures for a known one). Billions of parameters."""

    __tablename__ = "custom_model"
    __table_args__ = (UniqueConstraint("org_id", "provider", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey(ORG_FK, ondelete="CASCADE"), nullable=False)
    provider: Mapped[str] = mapped_column(String(100), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Ranges are stored as {"min": x, "max": y}; a point value has min == max.
    params_total_b: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    params_active_b: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tps: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttft_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    pue: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    wue_onsite: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    zone: Mapped[str | None] = mapped_column(String(8), nullable=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
