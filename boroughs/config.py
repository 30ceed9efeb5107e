"""Typed settings read from the environment (``BOROUGHS_*`` and ``DATABASE_URL``).

Every setting is documented in ``docs/configuration.md``; a test fails if one is not.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    """``./data`` if it exists, else ``../shared/data`` (where this repository's CI keeps it)."""
    for candidate in (Path("data"), Path("..") / "shared" / "data"):
        if candidate.is_dir():
            return candidate.resolve()
    return Path("data").resolve()


class Settings(BaseSettings):
    """Boroughs settings. Each field ``x`` is read from ``BOROUGHS_X`` unless an alias says otherwise."""

    model_config = SettingsConfigDict(env_prefix="BOROUGHS_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = Field(default="sqlite:///boroughs.db", validation_alias="DATABASE_URL")
    secret_key: str = "dev-only-secret-change-me"
    demo_mode: bool = False
    secure_cookies: bool = False
    session_hours: int = 8
    out_dir: Path = Path("out")
    basemap_url: str = ""
    basemap_attribution: str = ""
    postcode_lookup: Path | None = None
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    login_ip_limit_per_hour: int = 50

    # Issue 13: provision beside need (docs/inclusion/provision.md) and the map's start-up.
    provision_walk_minutes: float = 15.0
    provision_walk_speed_kmh: float = 4.8
    provision_detour_factor: float = 1.3
    map_preload: bool = True

    @field_validator("database_url")
    @classmethod
    def _normalise_pg(cls, v: str) -> str:
        # Heroku-style URLs and plain postgresql:// use psycopg 3.
        if v.startswith("postgres://"):
            v = "postgresql://" + v[len("postgres://") :]
        if v.startswith("postgresql://"):
            v = "postgresql+psycopg://" + v[len("postgresql://") :]
        return v


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
