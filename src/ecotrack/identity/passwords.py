"""Password rules and hashing (ASVS 5.0 V6 and Appendix C).

* Length 8–128 characters, counted in Unicode code points after NFC normalisation; no
  composition rules; never truncated (argon2 hashes the whole UTF-8 string).
* Refused when among the common passwords in `data/common_passwords.txt` (zxcvbn's list,
  compared case-insensitively), or when it is the account's own email address.
* Hashed with argon2id. The strong profile (the default) uses m = 19456 KiB (19 MiB), t = 3, p = 1:
  at or above both ASVS floors "t = 2, m ≥ 19 MiB" and "t ≥ 3, m ≥ 12 MiB". Operators may raise
  `ECOTRACK_ARGON2_MEMORY_KIB` / `ECOTRACK_ARGON2_TIME_COST`; existing hashes are upgraded at the
  next successful login. The "test" profile (t = 1, m = 1 MiB) exists only to keep test suites
  fast and is refused when `ECOTRACK_ENV=production`.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ecotrack.core.settings import Settings, SettingsError

MIN_LENGTH = 8
MAX_LENGTH = 128
PARALLELISM = 1
HASH_LENGTH = 32
SALT_LENGTH = 16
TEST_PROFILE = (1, 1024)  # (time cost, memory KiB): fast, for test suites only


@dataclass(frozen=True)
class HashParams:
    time_cost: int
    memory_kib: int
    parallelism: int = PARALLELISM


def hash_params(settings: Settings) -> HashParams:
    if settings.password_hash_profile == "test":  # noqa: S105 - a profile name
        if settings.env == "production":
            raise SettingsError("ECOTRACK_PASSWORD_HASH_PROFILE=test is refused in production")
        return HashParams(*TEST_PROFILE)
    return HashParams(settings.argon2_time_cost, settings.argon2_memory_kib)


@cache
def _hasher(params: HashParams) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=HASH_LENGTH,
        salt_len=SALT_LENGTH,
        type=Type.ID,
    )


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(hash_params(settings))


def hash_password(password: str, settings: Settings) -> str:
    return hasher(settings).hash(normalise(password))


def verify_password(password_hash: str, password: str, settings: Settings) -> bool:
    """Constant work for a given hash; never raises for a wrong or malformed hash."""
    try:
        return hasher(settings).verify(password_hash, normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, settings: Settings) -> bool:
    try:
        return hasher(settings).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash(params: HashParams) -> str:
    return _hasher(params).hash(secrets.token_urlsafe(24))


def verify_dummy(password: str, settings: Settings) -> None:
    """Spend the same time as a real verification (unknown accounts: no timing oracle)."""
    params = hash_params(settings)
    try:
        _hasher(params).verify(_dummy_hash(params), normalise(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def normalise(password: str) -> str:
    """NFC, so one password typed on different systems hashes the same (ASVS 6.2.8 allows it)."""
    return unicodedata.normalize("NFC", password)


@cache
def common_passwords() -> frozenset[str]:
    text = (
        resources.files("ecotrack.identity")
        .joinpath("data/common_passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why `password` is refused (empty when it is acceptable)."""
    value = normalise(password)
    problems = []
    if len(value) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    elif len(value) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters")
    elif value.lower() in common_passwords():
        problems.append("is too common (it appears in lists of leaked passwords)")
    elif email and value.lower() in {email.lower(), email.split("@", 1)[0].lower()}:
        problems.append("must not be your email address")
    return problems
