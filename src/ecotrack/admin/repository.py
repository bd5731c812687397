from __future__ import annotations

from sqlalchemy.orm import Session

from ecotrack.admin.models import CONFIG_ID, SystemConfig


def get_config(session: Session) -> SystemConfig:
    """The configuration row (seeded by the migration; recreated if someone deleted it)."""
    config = session.get(SystemConfig, CONFIG_ID)
    if config is None:
        config = SystemConfig(
            id=CONFIG_ID,
            feature_flags={},
            maintenance_enabled=False,
            maintenance_message="",
            maintenance_retry_after_s=300,
        )
        session.add(config)
        session.flush()
    return config
