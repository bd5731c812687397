"""EcoTrack settings: one pydantic-settings class, every variable prefixed `ECOTRACK_`.

The defaults are the embedded mode: a SQLite file and an in-process job runner inside the user
data directory. Setting `ECOTRACK_DATABASE_URL`, `ECOTRACK_REDIS_URL` and `ECOTRACK_BROKER_URL`
moves the same code to PostgreSQL, Redis and Celery workers. See docs/configuration.md.
"""

from __future__ import annotations

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev", "development"})
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(RuntimeError):
    """Raised when the configuration cannot be used (for example production without a secret)."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ECOTRACK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("ecotrack", appauthor=False)))
    database_url: str | None = None
    redis_url: str | None = None
    broker_url: str | None = None
    secret_key: str | None = Field(default=None, repr=False)

    # HTTP
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    trusted_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    max_request_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    hsts_seconds: int = Field(default=31_536_000, ge=0)

    # Database (pool: PostgreSQL)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    # A pooled connection idle this long is pinged before use (not one in use a moment ago).
    db_ping_after_idle_s: float = Field(default=1.0, ge=0)
    db_echo: bool = False
    # SQLite: `serve` checkpoints the write-ahead log from a background thread this often
    # (0: SQLite's own automatic checkpoint in the committing connection); see WalCheckpointer
    sqlite_checkpoint_interval_s: float = Field(default=1.0, ge=0)

    # Jobs
    jobs_embedded: bool = True  # run jobs inside `serve` when no broker is configured
    jobs_poll_interval_s: float = Field(default=1.0, gt=0)
    jobs_start_delay_s: float = Field(default=0.0, ge=0)
    jobs_max_attempts: int = Field(default=5, ge=1)
    jobs_history_days: int = Field(default=14, ge=1)
    jobs_queue: str = Field(default="ecotrack", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")

    # Observability
    log_level: str = "INFO"
    log_json: bool = True
    metrics_enabled: bool = True
    otel_enabled: bool = False
    otel_endpoint: str | None = None  # OTLP/HTTP endpoint, e.g. http://127.0.0.1:4318
    otel_service_name: str = "ecotrack"

    # Factors: load every dataset at start-up (≈0.5 s) instead of on first use
    preload_factors: bool = True
    # Routes: build FastAPI's request context of every route at start-up instead of in the
    # first requests that reach them (≈ 0.2–0.6 s a process; the test suite turns it off)
    warm_routes: bool = True

    # LLM assistant (recommendations rewrite/re-rank; docs/recommendations.md). provider: none |
    # openai | anthropic | gemini | openai_compatible (or a registered plugin)
    llm_provider: str = Field(default="none", pattern=r"^[a-z0-9_]{1,40}$")
    llm_base_url: str | None = None  # default per provider; required for openai_compatible
    llm_api_key: str | None = Field(default=None, repr=False)
    llm_model: str | None = None  # default per provider
    llm_timeout_s: float = Field(default=20.0, gt=0, le=300)
    llm_rate_limit_per_hour: int = Field(default=10, ge=1)  # LLM passes per user
    llm_cache_ttl_s: int = Field(default=24 * 3600, ge=60)

    # Rate limits (per client IP, across the API)
    rate_limit_per_minute: int = Field(default=600, ge=1)
    # Anonymous questionnaire results (no personal data) are deleted after this many days.
    footprints_anonymous_retention_days: int = Field(default=90, ge=1)

    # Organisations
    org_max_created_per_user: int = Field(default=20, ge=1)
    invitation_ttl_hours: int = Field(default=168, ge=1, le=24 * 90)
    invitations_per_hour: int = Field(default=50, ge=1)  # per organisation
    invitation_require_verified_email: bool = True
    api_keys_max_per_org: int = Field(default=100, ge=1)
    api_key_signature_window_s: int = Field(default=300, ge=30, le=3600)
    api_key_touch_interval_s: int = Field(default=60, ge=0)  # last_used_at write at most this often
    api_key_rate_limit_per_minute: int = Field(default=1200, ge=1)  # per key

    # Identity
    public_url: str = "http://127.0.0.1:8000"  # base of links in emails
    access_token_ttl_s: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_s: int = Field(default=7 * 24 * 3600, ge=300, le=30 * 24 * 3600)
    refresh_reuse_grace_s: int = Field(default=0, ge=0, le=60)  # previous token tolerated this long
    jwt_issuer: str = "ecotrack"
    jwt_audience: str = "ecotrack-api"
    # "test" hashes fast for the test suite; production refuses it.
    password_hash_profile: Literal["strong", "test"] = "strong"  # noqa: S105 - a profile name
    argon2_memory_kib: int = Field(default=19456, ge=19456)  # ASVS 5.0 App. C floor is 19456
    argon2_time_cost: int = Field(default=3, ge=2)
    login_max_failures_per_hour: int = Field(default=100, ge=1)  # per account
    auth_rate_limit_per_minute: int = Field(default=30, ge=1)  # per IP, credential routes
    auth_cookie_secure: bool = True
    auth_cookie_domain: str | None = None
    email_verification_ttl_hours: int = Field(default=48, ge=1)
    password_reset_ttl_minutes: int = Field(default=30, ge=5, le=24 * 60)
    email_backend: str = "file"  # file | console | smtp (or a registered plugin)
    email_from: str = "EcoTrack <no-reply@ecotrack.invalid>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_starttls: bool = True
    smtp_ssl: bool = False  # implicit TLS (port 465)
    smtp_ca_file: str | None = None  # extra CA bundle to trust (private relays)
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    export_link_ttl_hours: int = Field(default=72, ge=1, le=30 * 24)
    maintenance_cache_s: float = Field(default=5.0, ge=0)

    # Notifications: the Server-Sent Events stream, limits per process (docs/goals-notifications.md)
    notifications_stream_heartbeat_s: float = Field(default=15.0, gt=0, le=300)
    notifications_stream_max_s: float = Field(default=900.0, gt=0)  # then the client reconnects
    notifications_stream_per_user: int = Field(default=5, ge=1)
    notifications_stream_max_total: int = Field(default=1000, ge=1)

    # Alerts and webhooks (docs/alerts-webhooks.md). Private/loopback/link-local webhook targets
    # are refused unless allowed (tests allow them for their local receiver).
    webhooks_allow_private: bool = False
    webhooks_timeout_s: float = Field(default=15.0, gt=0, le=60)
    webhooks_max_response_bytes: int = Field(default=65_536, ge=1024)  # read, then closed
    # Delays after each failed attempt (seconds): ≈ 27.6 h of retries by default.
    webhooks_retry_schedule_s: Annotated[list[Annotated[float, Field(ge=0)]], NoDecode] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        min_length=1,
    )
    webhooks_max_endpoints_per_org: int = Field(default=20, ge=1)
    # Finished deliveries (succeeded or failed) and their attempts are deleted after this long.
    webhooks_delivery_retention_days: int = Field(default=30, ge=1)
    alerts_max_per_org: int = Field(default=100, ge=1)
    _split_schedule = field_validator("webhooks_retry_schedule_s", mode="before")(_split_csv)

    # AI usage (docs/usage.md): ingest limits, per-organisation plans, enrichment, retention
    usage_max_events: int = Field(default=1000, ge=1, le=10_000)  # events per ingest batch
    usage_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)  # after gzip decoding
    usage_plans: dict[str, int] = Field(  # plan -> ingest requests per minute per organisation
        default_factory=lambda: {"free": 60, "standard": 600, "enterprise": 6000}
    )
    usage_default_plan: str = "standard"
    usage_org_plans: dict[str, str] = Field(default_factory=dict)  # organisation slug -> plan
    usage_method: Literal["ecologits", "extended"] = "ecologits"
    usage_retention_days: int = Field(default=400, ge=1)  # raw events; rollups are kept
    usage_future_skew_s: int = Field(default=86_400, ge=0)  # how far ahead an event `ts` may be
    usage_partitions_ahead: int = Field(default=2, ge=0, le=24)  # months (PostgreSQL)

    # Reports (docs/reports.md): files in <data_dir>/reports, deleted after the TTL
    report_ttl_hours: int = Field(default=168, ge=1, le=24 * 90)
    report_max_days: int = Field(default=1100, ge=1, le=1100)  # days one report may span
    report_max_active_per_org: int = Field(default=5, ge=1)  # pending + running at once

    _split_cors = field_validator("cors_origins", "trusted_hosts", mode="before")(_split_csv)

    @model_validator(mode="after")
    def _check_production(self) -> Settings:
        if self.env == "production":
            key = self.secret_key or ""
            if key.strip().lower() in PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_KEY_LENGTH:
                raise SettingsError(
                    "ECOTRACK_SECRET_KEY must be set to a random value of at least "
                    f"{MIN_SECRET_KEY_LENGTH} characters when ECOTRACK_ENV=production"
                )
            if self.password_hash_profile != "strong":  # noqa: S105 - a profile name
                raise SettingsError(
                    "ECOTRACK_PASSWORD_HASH_PROFILE=test is for the test suite only; "
                    "production hashes passwords with the strong profile"
                )
        return self

    # --- derived values -------------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'ecotrack.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def distributed_jobs(self) -> bool:
        return bool(self.broker_url)

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated on first run and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.ensure_data_dir() / SECRET_KEY_FILE
        key = secrets.token_urlsafe(48)
        try:  # O_EXCL: several processes starting at once agree on one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            for _ in range(50):
                existing = path.read_text(encoding="utf-8").strip()
                if existing:
                    return existing
                time.sleep(0.01)
            raise SettingsError(f"{path} exists but is empty") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(key)
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
