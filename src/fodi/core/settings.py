"""Settings: environment variables and `.env`, one root object with a section per service.

The root object is built at start-up (``load_settings()``), never at import, and handed to the
app factories; tests build their own.  Flat variable names from the seed documents
(``DATABASE_URL``, ``JWT_SECRET``, ``GO_BACKEND_URL``, ...) are honoured; everything else nests
with ``__`` (``BACKEND__PORT=3001``, ``NEXUS__DISPATCH_WORKERS=2``).
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Values that shipped as defaults in the original systems: never accepted in production.
KNOWN_INSECURE_SECRETS = frozenset(
    {
        "your-secret-key-change-this-in-production",
        "default-secret-change-in-production",
        "supersecret",
        "secret",
        "changeme",
    }
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class InsecureConfigurationError(RuntimeError):
    """Production was asked to start with a missing or well-known secret."""


class ServiceSection(BaseModel):
    """What every service section has: where it listens."""

    host: str = "127.0.0.1"
    port: int


class BackendSettings(ServiceSection):
    port: int = 3000
    # The user id the demo data's admin gets, so the README can print a login.
    demo_admin_email: str = "admin@fodifood.local"
    demo_admin_password: str = "admin12345"  # noqa: S105 (demo data only; seed-demo refuses production)
    max_order_items: int = 50
    max_item_quantity: int = 100


class GatewaySettings(ServiceSection):
    port: int = 8000


class NexusSettings(ServiceSection):
    port: int = 8100


class AnalyticsSettings(ServiceSection):
    port: int = 8200


class FranchiseSettings(ServiceSection):
    port: int = 8300


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
    )

    env: Environment = Field(default=Environment.DEVELOPMENT, alias="FODI_ENV")
    var_dir: Path = Field(default=Path("var"), alias="FODI_VAR_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")
    jwt_secret: SecretStr | None = Field(default=None, alias="JWT_SECRET")
    jwt_ttl_seconds: int = Field(default=24 * 3600, alias="JWT_TTL_SECONDS")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_json: bool | None = Field(default=None, alias="LOG_JSON")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=[
            "http://localhost:3000",
            "http://localhost:3001",
            "http://localhost:4000",
            "https://menu-fodifood.vercel.app",
        ],
        alias="CORS_ORIGINS",
    )

    backend: BackendSettings = BackendSettings()
    gateway: GatewaySettings = GatewaySettings()
    nexus: NexusSettings = NexusSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    franchise: FranchiseSettings = FranchiseSettings()

    _split_origins = field_validator("cors_origins", mode="before")(_split_csv)

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'fodi.db'}"

    @property
    def logs_as_json(self) -> bool:
        return self.is_production if self.log_json is None else self.log_json

    def secret(self, name: str, configured: SecretStr | None) -> str:
        """The value of a secret: the configured one, or (outside production) one kept under var/.

        Production refuses to start without a real secret; development generates one once and
        keeps it in ``var/secrets/NAME`` (mode 0600), so tokens survive a restart.
        """
        value = configured.get_secret_value() if configured is not None else ""
        if value and value not in KNOWN_INSECURE_SECRETS:
            return value
        if self.is_production:
            reason = "is not set" if not value else "is a well-known default"
            raise InsecureConfigurationError(f"{name} {reason}; production refuses to start")
        if value:
            return value
        return _kept_secret(self.var_dir / "secrets" / name.lower())

    @property
    def jwt_secret_value(self) -> str:
        return self.secret("JWT_SECRET", self.jwt_secret)


def _kept_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment and `.env` (call once, at start-up)."""
    return Settings(**overrides)  # type: ignore[arg-type]
