from __future__ import annotations

from pathlib import Path

import pytest

from ecotrack.core.settings import Settings, SettingsError


def test_production_refuses_missing_or_placeholder_secret(tmp_path: Path) -> None:
    strong = {"password_hash_profile": "strong"}  # the suite's environment asks for "test"
    for secret in (None, "change-me", "short"):
        with pytest.raises(SettingsError, match="ECOTRACK_SECRET_KEY"):
            Settings(env="production", data_dir=tmp_path, secret_key=secret, **strong)
    ok = Settings(env="production", data_dir=tmp_path, secret_key="k" * 40, **strong)
    assert ok.resolved_secret_key() == "k" * 40


def test_production_refuses_the_test_hashing_profile(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PASSWORD_HASH_PROFILE"):
        Settings(
            env="production", data_dir=tmp_path, secret_key="k" * 40, password_hash_profile="test"
        )


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).resolved_secret_key()
    second = Settings(data_dir=tmp_path).resolved_secret_key()
    assert first == second
    assert len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_defaults_are_the_embedded_mode(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'ecotrack.db'}"
    assert settings.is_sqlite
    assert not settings.distributed_jobs


def test_lists_come_from_comma_separated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ECOTRACK_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("ECOTRACK_TRUSTED_HOSTS", "a.example")
    settings = Settings(data_dir=tmp_path)
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.trusted_hosts == ["a.example"]


def test_invalid_env_value_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ECOTRACK_ENV", "staging")
    with pytest.raises(ValueError, match="env"):
        Settings(data_dir=tmp_path)
