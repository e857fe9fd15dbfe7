"""One Settings object, built by each entry point: config.toml defaults, REHAB_* environment overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmtpSettings(Strict):
    host: str = "127.0.0.1"
    port: int = 8025
    sender: str = "canh-bao@rehab.local"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 10.0
    enabled: bool = False


class WebhookSettings(Strict):
    url: str | None = None
    secret: str | None = None
    timeout_seconds: float = 5.0


class AgencyContact(Strict):
    email: str | None = None
    webhook_url: str | None = None


class RegimeBoundary(Strict):
    starts: str  # ISO date: the first violation date the regime applies to


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REHAB_", env_nested_delimiter="__", extra="forbid", toml_file=None)

    database_url: str = "sqlite:///var/rehab.db"
    # A streaming replica for reads that may lag (lists, search, inboxes, reports); unset: all reads on the primary.
    database_read_url: str | None = None
    # After a client's write, its reads stay on the primary this long (it sees its own writes).
    read_after_write_seconds: int = Field(default=30, ge=1, le=3600)
    # PostgreSQL: the tables' owner, for `rehab init` only; the role of database_url then gets rows only
    # (workflow.roles): it cannot disable the log's triggers, truncate or alter tables
    migrate_database_url: str | None = None
    # production | development; unset: development only on the demo's SQLite file (workflow.production)
    env: Literal["production", "development"] | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    base_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    sweep_interval_seconds: int = 60
    remind_before_working_days: int = 2
    escalate_after_working_days: int = 2
    late_grace_minutes: int = 5
    delivery_max_attempts: int = 6
    delivery_backoff_seconds: float = 30.0
    # How long a claimed delivery stays hidden from other workers (a dead worker's claim lapses after it);
    # unset: max(300 s, 10 × the slowest channel timeout). Must exceed every channel's timeout.
    delivery_lease_seconds: float | None = Field(default=None, gt=0)
    run_scheduler_in_server: bool = True
    regime_starts: dict[str, str] = Field(default_factory=dict)  # regime id -> ISO date it starts
    rules: dict[str, dict[str, int]] = Field(default_factory=dict)  # regime id -> rule id -> value
    unconfirmed: dict[str, dict[str, str]] = Field(default_factory=dict)  # regime id -> key -> value
    calendar: dict[str, Any] = Field(default_factory=dict)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    agencies: dict[str, AgencyContact] = Field(default_factory=dict)
    id_number_salt: str = "rehab-demo-salt"  # keys the hash matching ID numbers: REHAB_ID_NUMBER_SALT
    id_number_key: str = "rehab-demo-id-key"  # encrypts ID numbers at rest: REHAB_ID_NUMBER_KEY
    session_secret: str = "dev-only-change-me"  # signs the web session cookie; set REHAB_SESSION_SECRET
    # Ed25519 key signing the chain, anchors and checkpoints (base64 of 32 bytes, or PEM): REHAB_SIGNING_KEY;
    # unset: the committed development key (workflow.signing), refused in production mode
    signing_key: str | None = None
    # older public keys still trusted after a rotation (base64 or PEM), e.g. REHAB_TRUSTED_KEYS='["…"]'
    trusted_keys: list[str] = Field(default_factory=list)
    session_hours: int = 12  # a web session lasts this long after login (server-side, revoked at logout)
    # Client addresses come from X-Forwarded-For only when the connection comes from one of these proxies.
    forwarded_allow_ips: str = "127.0.0.1"
    metrics_allow_ips: str = "127.0.0.1,::1"  # who may read /metrics without an admin token ("*": anyone)
    log_json: bool | None = None  # JSON log lines; unset: JSON in production mode, console lines otherwise
    # refused step attempts per user (each is on a dossier's permanent chain): past either, 429 until the window ends
    refusals_per_minute: int = Field(default=10, ge=1)
    refusals_per_hour: int = Field(default=60, ge=1)
    max_body_bytes: int = Field(default=262_144, ge=1024)  # larger request bodies are refused with 413
    max_anchor_bytes: int = Field(default=33_554_432, ge=1024)  # an uploaded anchor file (~80 bytes a dossier)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = Path(os.environ.get("REHAB_CONFIG", ROOT / "config.toml"))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=path if path.exists() else None)
        return (init_settings, env_settings, toml)

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        slowest = max(self.smtp.timeout_seconds, self.webhook.timeout_seconds)
        if self.delivery_lease_seconds is not None and self.delivery_lease_seconds <= slowest:
            raise ValueError(
                f"delivery_lease_seconds ({self.delivery_lease_seconds:g}) must exceed the slowest channel timeout "
                f"({slowest:g} s), or a slow send would be taken over and sent twice"
            )
        return self

    def masked(self) -> dict[str, Any]:
        data = self.model_dump()
        if data["smtp"].get("password"):
            data["smtp"]["password"] = "***"
        if data["webhook"].get("secret"):
            data["webhook"]["secret"] = "***"
        data["id_number_salt"] = "***"
        data["id_number_key"] = "***"
        data["session_secret"] = "***"
        for name in ("database_url", "migrate_database_url"):
            if data[name]:
                data[name] = make_url(data[name]).render_as_string(hide_password=True)
        if data.get("signing_key"):
            data["signing_key"] = "***"
        return data
