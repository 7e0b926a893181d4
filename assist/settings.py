"""One settings object for the CLI and the service, read from the environment."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from assist.auth import MAX_CACHE_SECONDS
from assist.errors import AssistError
from assist.store import DEFAULT_POOL_SIZE, DEFAULT_POOL_TIMEOUT_S, is_postgres_url
from assist.tokens import DEFAULT_TTL, MAX_TTL, LiveKitCredentials

__all__ = ["MissingLiveKitCredentials", "Settings"]


class MissingLiveKitCredentials(AssistError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    assist_db: str = Field(
        default="assist.duckdb",
        description="the store of conversations, organizations and keys: a DuckDB file, or a postgresql:// URL",
    )
    assist_db_pool_size: int = Field(
        default=DEFAULT_POOL_SIZE,
        ge=1,
        le=1000,
        description="PostgreSQL: connections each service worker may hold; workers x replicas x this must stay "
        "within the server's max_connections",
    )
    assist_db_pool_timeout_seconds: float = Field(
        default=DEFAULT_POOL_TIMEOUT_S,
        gt=0,
        le=60,
        description="PostgreSQL: how long a request waits for a connection before the service answers 503",
    )
    assist_eval_db: str | None = Field(
        default=None,
        description="DuckDB file of eval runs and datasets (default: ASSIST_DB when it is a DuckDB file, else "
        "assist.duckdb)",
    )
    assist_auth_cache_seconds: float = Field(
        default=MAX_CACHE_SECONDS,
        ge=0,
        le=MAX_CACHE_SECONDS,
        description="how long a service worker remembers a found key or membership: a key revoked by another "
        "process stops working within this time",
    )
    livekit_url: str | None = None
    livekit_api_key: str | None = None
    livekit_api_secret: str | None = Field(default=None, repr=False)
    assist_token_ttl_seconds: int = Field(
        default=int(DEFAULT_TTL.total_seconds()), ge=1, le=int(MAX_TTL.total_seconds())
    )
    assist_lm: str | None = Field(default=None, description="provider/model for the dspy program")
    assist_lm_api_base: str | None = None
    assist_judge_lm: str | None = Field(
        default=None,
        description="provider/model of the judge `assist eval` grades briefs with (unset: no judge)",
    )
    assist_judge_api_base: str | None = Field(
        default=None,
        description="base URL of the judge's OpenAI-compatible server (not ASSIST_LM_API_BASE's)",
    )
    assist_lm_adapter: Literal["auto", "json", "chat"] = Field(
        default="auto",
        description="how the dspy program asks the model: json (JSON-schema output), chat, or auto (json when the "
        "model supports it)",
    )
    assist_lm_context_tokens: int | None = Field(
        default=None,
        ge=1024,
        le=10_000_000,
        description="the model's context window in tokens (default: LiteLLM's map for hosted models, else 8192)",
    )
    assist_program: str | None = Field(
        default=None,
        description="brief program of the service: rules, dspy or a saved .json (default: dspy if ASSIST_LM is set)",
    )
    assist_brief_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        le=120,
        description="the service's deadline for a model brief; rules answers when the model has none by then",
    )
    assist_breaker_cooldown_seconds: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="after the model failed, how long the service answers with rules before probing it again",
    )

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(seconds=self.assist_token_ttl_seconds)

    @property
    def eval_db(self) -> str:
        """Where eval runs are kept: always DuckDB (analytics), also when the store is on PostgreSQL."""
        if self.assist_eval_db:
            return self.assist_eval_db
        return "assist.duckdb" if is_postgres_url(self.assist_db) else self.assist_db

    @property
    def brief_program(self) -> str:
        return self.assist_program or ("dspy" if self.assist_lm else "rules")

    def livekit(self) -> LiveKitCredentials:
        """The LiveKit credentials, or a clear error naming the missing variables."""
        missing = [
            name.upper()
            for name in ("livekit_url", "livekit_api_key", "livekit_api_secret")
            if not getattr(self, name)
        ]
        if missing:
            raise MissingLiveKitCredentials(
                f"set {', '.join(missing)} (LiveKit server URL, API key and secret)"
            )
        return LiveKitCredentials(
            url=self.livekit_url or "",
            api_key=self.livekit_api_key or "",
            api_secret=self.livekit_api_secret or "",
        )
