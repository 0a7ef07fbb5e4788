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

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from fodi.analytics.config import AnalyticsSettings
from fodi.backend.config import BackendSettings
from fodi.franchise.config import FranchiseSettings
from fodi.gateway.config import GatewaySettings
from fodi.nexus.config import NexusSettings

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

    # The seed's orchestrator variables (seed 001), read flat as the original documents them.
    orchestrator_enabled: bool = Field(default=True, alias="ORCHESTRATOR_ENABLED")
    orchestrator_managed: bool | None = Field(default=None, alias="ORCHESTRATOR_MANAGED")
    go_backend_binary: str | None = Field(
        default=None, validation_alias=AliasChoices("GO_BACKEND_BINARY", "GO_BACKEND_BIN")
    )
    go_backend_url: str | None = Field(default=None, alias="GO_BACKEND_URL")
    health_check_interval: float | None = Field(default=None, alias="HEALTH_CHECK_INTERVAL")
    health_check_timeout: float | None = Field(default=None, alias="HEALTH_CHECK_TIMEOUT")
    auto_restart: bool | None = Field(default=None, alias="AUTO_RESTART")
    max_restart_attempts: int | None = Field(default=None, alias="MAX_RESTART_ATTEMPTS")
    backend_working_dir: str | None = Field(default=None, alias="BACKEND_WORKING_DIR")
    admin_token: SecretStr | None = Field(default=None, alias="ADMIN_TOKEN")

    # Language models (optional everywhere; every engine works offline without them).
    llm_provider: str | None = Field(default=None, alias="LLM_PROVIDER")
    llm_base_url: str | None = Field(default=None, alias="LLM_BASE_URL")
    llm_api_key: SecretStr | None = Field(default=None, alias="LLM_API_KEY")
    llm_model: str | None = Field(default=None, alias="LLM_MODEL")
    llm_timeout: float = Field(default=20.0, alias="LLM_TIMEOUT")
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    groq_api_key: SecretStr | None = Field(default=None, alias="GROQ_API_KEY")
    groq_model: str = Field(default="llama-3.1-8b-instant", alias="GROQ_MODEL")
    gemini_api_key: SecretStr | None = Field(default=None, alias="GEMINI_API_KEY")
    gemini_model: str = Field(default="gemini-2.0-flash", alias="GEMINI_MODEL")

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
        if self.is_production:
            problem = _weakness(value)
            if problem:
                raise InsecureConfigurationError(f"{name} {problem}; production refuses to start")
            return value
        if value and value not in KNOWN_INSECURE_SECRETS:
            return value
        if value:
            return value
        return _kept_secret(self.var_dir / "secrets" / name.lower())

    @property
    def jwt_secret_value(self) -> str:
        return self.secret("JWT_SECRET", self.jwt_secret)


MIN_PRODUCTION_SECRET_LENGTH = 32


def _weakness(value: str) -> str | None:
    """Why ``value`` cannot protect production, or None when it can."""
    if not value:
        return "is not set"
    if value in KNOWN_INSECURE_SECRETS:
        return "is a well-known default"
    if len(value) < MIN_PRODUCTION_SECRET_LENGTH:
        return f"is shorter than {MIN_PRODUCTION_SECRET_LENGTH} characters"
    return None


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
