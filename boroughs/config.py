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
    # issue 17: where the fund manager may publish the fund's open data from the web (/fund/publish)
    publish_folder: Path | None = None
    ckan_url: str = ""
    ckan_api_key: str = ""
    ckan_organisation: str = ""
    datapress_url: str = ""
    datapress_api_key: str = ""
    datapress_dataset_id: str = ""
    # Issue 15: single sign-on (OpenID Connect). The public address the providers send browsers back to
    # (redirect URI = <public_url>/sign-in/sso/callback); empty: taken from each request.
    public_url: str = ""
    sso_request_minutes: int = 10  # how long a sign-in may stay at the provider before its state expires
    sso_starts_per_address: int = 30  # single sign-ons one network address may have waiting at once
    sso_http_timeout: float = 10.0  # seconds to wait for the provider's discovery, keys and token endpoints
    # Issue 12: where `boroughs inclusion build` caches parsed inputs (unset: ~/.cache/boroughs/inclusion).
    inclusion_cache_dir: Path | None = None
    # Issue 11: look for changed templates on every page (for template work; off, a restart picks them up)
    template_reload: bool = False

    # Notifications (issue 15): the outbox, its worker and the backends (docs/notifications.md).
    notify_backend: str = "local"  # local | smtp | govuk_notify
    notify_public_url: str = "http://127.0.0.1:8000"
    notify_outbox: Path = Path("out") / "notifications"
    notify_email_from: str = "Boroughs <no-reply@boroughs.invalid>"
    notify_worker_in_serve: bool = False
    notify_poll_seconds: float = 10.0
    notify_batch_size: int = 20
    notify_max_attempts: int = 6
    notify_retry_seconds: float = 60.0
    notify_retry_max_seconds: float = 3600.0
    notify_lease_seconds: float = 300.0
    notify_api_key: str = ""
    notify_url: str = "https://api.notifications.service.gov.uk"
    notify_email_template_id: str = ""
    notify_sms_template_id: str = ""
    notify_template_ids: dict[str, str] = Field(default_factory=dict)
    notify_template_outreach_intro: str = ""
    notify_template_outreach_missed: str = ""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 30.0
    smtp_ca_file: Path | None = None
    report_due_days: int = 14
    # issue 11: capacity, the audit trail's key and checkpoints, trusted proxies
    db_pool_size: int = 20
    db_max_overflow: int = 15
    db_pool_timeout: float = 5.0
    db_ping_idle_seconds: float = 10.0  # PostgreSQL: a pooled connection idle this long is checked before use
    thread_pool_size: int = 40
    workers: int = Field(default=1, ge=1)  # boroughs serve's processes: one per CPU core
    max_concurrent_requests: int = 1  # per process: more threads only contend for the interpreter lock
    request_queue_seconds: float = 10.0
    request_slot_seconds: float = 0.5  # a slower request lets the next one start
    audit_key: str = ""
    audit_key_file: Path | None = None
    audit_checkpoint_file: Path = Path("audit-checkpoints.jsonl")
    audit_checkpoint_every: int = 20
    audit_checkpoint_minutes: int = 5
    trusted_proxies: str = ""
    # issue 17: the public concern form's spam defences (no CAPTCHA)
    concern_public_limit_per_hour: int = 5
    concern_min_seconds: int = 3
    concern_max_form_age_hours: int = 4
    # issue 14: record linkage threshold and clerical review band (match probabilities), chosen from the
    # measured error rates in docs/support/linkage.md; a council's analyst can choose its own on the web
    linkage_threshold: float = Field(default=0.9, gt=0, lt=1)
    linkage_review_low: float = Field(default=0.3, gt=0, lt=1)
    linkage_review_high: float = Field(default=0.9, gt=0, le=1)

    # Issue 13: provision beside need (docs/inclusion/provision.md) and the map's start-up.
    provision_walk_minutes: float = 15.0
    provision_walk_speed_kmh: float = 4.8
    provision_detour_factor: float = 1.3
    map_preload: bool = True

    # Programs and specifications on the server: Chromium prints briefing PDFs; the Open Referral UK schemas
    # validate directory imports and exports (unset: <data dir>/../specs/oruk).
    chromium: str = "/usr/bin/chromium"
    oruk_spec_dir: Path | None = None
    # Linkage with --backend spark (docs/support/linkage.md).
    spark_master: str = "local[*]"
    spark_driver_memory: str = "4g"
    spark_partitions: int = Field(default=2, ge=1)
    spark_break_lineage: str = "persist"

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
