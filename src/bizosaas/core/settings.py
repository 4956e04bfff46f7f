"""Settings, read once from the environment.

Production points every component at a real server by URL; the local launcher
sets the same variables for the servers it starts, so the app has one code path.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

Environment = Literal["development", "test", "production"]

# Values that only ever belong on a developer's machine.
_DEV_ONLY_SECRETS = {"", "root", "dev", "changeme", "secret", "password", "bizosaas"}


class Settings(BaseSettings):
    """Platform-wide settings, shared by every service (prefix ``BIZOSAAS_``)."""

    model_config = SettingsConfigDict(env_prefix="BIZOSAAS_", extra="ignore")

    environment: Environment = "development"
    log_level: str = "INFO"
    log_json: bool = True

    database_url: str = Field(
        default="postgresql+asyncpg://bizosaas_app@127.0.0.1:55432/bizosaas",
        validation_alias=AliasChoices("DATABASE_URL", "BIZOSAAS_DATABASE_URL"),
        description="Application role (RLS applies to it): never a superuser or table owner.",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="Owner role that runs migrations; defaults to database_url.",
    )
    database_pool_size: int = 20
    gamification_processor_in_api: bool = Field(
        default=True,
        description="Run the event processor inside the gamification API's process (the local "
        "default); containers run `bizosaas serve gamification-worker` and set this false.",
    )
    gamification_database_url: str = Field(
        default="",
        validation_alias=AliasChoices(
            "GAMIFICATION_DATABASE_URL", "BIZOSAAS_GAMIFICATION_DATABASE_URL"
        ),
        description="The gamification service's own database, as its app role; by default "
        "the `gamification` database next to DATABASE_URL, as the same role.",
    )
    gamification_migration_database_url: str | None = Field(
        default=None,
        description="Owner role of the gamification database; defaults to its database_url.",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:56379/0",
        validation_alias=AliasChoices("REDIS_URL", "BIZOSAAS_REDIS_URL"),
    )
    redis_prefix: str = "bizosaas"
    vault_addr: str = Field(
        default="http://127.0.0.1:58200",
        validation_alias=AliasChoices("VAULT_ADDR", "BIZOSAAS_VAULT_ADDR"),
    )
    vault_token: str = Field(
        default="",
        validation_alias=AliasChoices("VAULT_TOKEN", "BIZOSAAS_VAULT_TOKEN"),
    )
    vault_mount: str = "secret"
    vault_path: str = "bizosaas"
    temporal_address: str = Field(
        default="127.0.0.1:57233",
        validation_alias=AliasChoices("TEMPORAL_ADDRESS", "BIZOSAAS_TEMPORAL_ADDRESS"),
        description="Temporal's frontend (host:port): reward holds, showcase generation and "
        "retraining run there.",
    )
    temporal_namespace: str = Field(
        default="default",
        validation_alias=AliasChoices("TEMPORAL_NAMESPACE", "BIZOSAAS_TEMPORAL_NAMESPACE"),
    )
    temporal_task_queue: str = Field(
        default="bizosaas-gamification",
        description="The task queue the gamification workflows and activities run on.",
    )

    public_url: str = Field(
        default="http://localhost:8002",
        description="Where browsers reach the platform (the gateway).",
    )
    gateway_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Where server-side pages reach the Brain Gateway, to call the APIs with "
        "the visitor's own credentials (never a service directly).",
    )
    login_url: str = Field(
        default="/login",
        description="The single login screen anonymous visitors are sent to (on the gateway).",
    )
    max_body_bytes: int = 1_048_576
    require_gateway: bool = Field(
        default=True,
        description="Services refuse requests without the gateway's signature (probes excepted).",
    )
    trusted_proxies: tuple[str, ...] = Field(
        default=("127.0.0.1/32", "::1/128"),
        description="Peers whose X-Forwarded-For is believed (the gateway, the login screen).",
    )

    # Tokens and sessions (the PRD: 30-minute access, 30-day refresh).
    jwt_issuer: str = "bizosaas-auth"
    jwt_audience: str = "bizosaas"
    access_token_ttl_seconds: int = 30 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    invitation_ttl_seconds: int = 7 * 24 * 3600

    # Login throttling (per account, per account+IP, per IP).
    login_free_attempts: int = 5
    login_max_lockout_seconds: int = 15 * 60
    login_account_limit: int = 20
    login_ip_limit: int = 100
    login_window_seconds: int = 15 * 60

    # A language model behind an OpenAI-compatible API writes showcases when both are set
    # (its API key, if it needs one, is the Vault secret `language-model`, key `api_key`);
    # otherwise the deterministic writer does.
    language_model_url: str = Field(
        default="", description="Base URL of an OpenAI-compatible API, e.g. http://host/v1"
    )
    language_model: str = Field(default="", description="The model's name at that API")
    language_model_timeout_seconds: float = 30.0

    # Where the payment gateway wizard checks credentials live (each provider's API).
    payment_api_urls: dict[str, str] = Field(
        default={
            "stripe": "https://api.stripe.com",
            "paypal-test": "https://api-m.sandbox.paypal.com",
            "paypal-live": "https://api-m.paypal.com",
            "razorpay": "https://api.razorpay.com",
        },
        description="Each payment provider's API, by provider (PayPal by mode too).",
    )

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "BizOSaaS <no-reply@bizosaas.local>"
    smtp_starttls: bool = True

    @property
    def owner_database_url(self) -> str:
        return self.migration_database_url or self.database_url

    @property
    def gamification_owner_database_url(self) -> str:
        return self.gamification_migration_database_url or self.gamification_database_url

    @property
    def secure_cookies(self) -> bool:
        """Plain-http localhost cannot keep Secure cookies; everything else must."""
        return not self.public_url.startswith("http://")

    @model_validator(mode="after")
    def _gamification_next_to_the_main_database(self) -> Settings:
        if not self.gamification_database_url:
            self.gamification_database_url = _with_database(self.database_url, "gamification")
            if self.migration_database_url and not self.gamification_migration_database_url:
                self.gamification_migration_database_url = _with_database(
                    self.migration_database_url, "gamification"
                )
        return self

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if self.vault_token.strip().lower() in _DEV_ONLY_SECRETS:
            problems.append("VAULT_TOKEN is missing or a development value")
        if "@" not in self.database_url.split("//", 1)[-1].split("/", 1)[0]:
            problems.append("DATABASE_URL has no credentials")
        for url_name in ("database_url", "gamification_database_url", "redis_url"):
            password = _password_of(getattr(self, url_name))
            if password is not None and password.lower() in _DEV_ONLY_SECRETS:
                problems.append(f"{url_name} uses a default password")
        if not self.public_url.startswith("https://"):
            problems.append("BIZOSAAS_PUBLIC_URL must be https in production")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _password_of(url: str) -> str | None:
    netloc = url.split("//", 1)[-1].split("/", 1)[0]
    if "@" not in netloc:
        return None
    credentials = netloc.rsplit("@", 1)[0]
    return credentials.split(":", 1)[1] if ":" in credentials else None


@lru_cache
def get_settings() -> Settings:
    return Settings()


def variables_of(field: str) -> tuple[str, ...]:
    """The environment variables that set a Settings field, the usual one first."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    return (f"BIZOSAAS_{field.upper()}",)


def variable_of(field: str) -> str:
    """The environment variable that sets a Settings field (its first alias, if it has)."""
    return variables_of(field)[0]


def unset(fields: tuple[str, ...], environment: Mapping[str, str]) -> list[str]:
    """The usual variable of each field that none of its variables sets (names are read
    in any case, as the settings read them)."""
    given = {name.upper() for name, value in environment.items() if value}
    return [
        variable_of(field)
        for field in fields
        if not any(name.upper() in given for name in variables_of(field))
    ]
