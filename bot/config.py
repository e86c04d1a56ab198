"""Settings, read from environment variables and an optional `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROMPTS_DIR = PROJECT_ROOT / "prompts"
DEFAULT_ARTICLE = PROMPTS_DIR / "articles" / "hanoi-summit.txt"
DEFAULT_PACK = PROMPTS_DIR / "packs" / "hanoi-summit.yaml"


ROLES = ("all", "web", "gateway", "scheduler")


class Settings(BaseSettings):
    """Every setting maps to an upper-case environment variable of the same name."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default="", description="SQLAlchemy URL; empty means an SQLite file in data_dir")
    data_dir: Path = Field(default=Path("data"), description="where the default SQLite file lives")
    log_level: str = "INFO"
    time_scale: float = Field(default=1.0, gt=0, description="run every timer this many times faster")
    default_article: Path = DEFAULT_ARTICLE
    default_pack: Path = DEFAULT_PACK

    engine_processes: int = Field(default=0, ge=0, le=64, description="worker processes for the engine's "
                                  "share of rounds (speeches, scores, results); 0: one thread in this process")
    role: str = Field(default="all", description="process role: all, web (Slack HTTP worker), gateway "
                      "(Discord, no timers unless it wins the lock), scheduler (the round timers only)")
    ops_port: int = Field(default=9100, description="port of /healthz, /readyz and /metrics (0: none); "
                          "a Slack web worker serves them on its own port too")

    discord_token: SecretStr | None = None
    discord_shard_ids: str = Field(default="", description="comma-separated shard ids this process runs")
    discord_shard_count: int | None = Field(default=None, description="total shards (AutoShardedBot)")
    discord_guild_ids: str = Field(default="", description="comma-separated guild ids for fast command sync")
    discord_api_base: str = Field(default="", description="REST base, e.g. http://127.0.0.1:8080/api/v10")
    discord_gateway_url: str = Field(default="", description="gateway URL, e.g. ws://127.0.0.1:8080/gateway")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_base: str = Field(default="", description="Web API base, e.g. http://127.0.0.1:8081/api/")
    slack_port: int = 3000
    slack_admin_ids: str = Field(default="", description="comma-separated Slack user ids treated as admins")

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'debate-bot.sqlite3').as_posix()}"

    def ensure_data_dir(self) -> None:
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        value = value.strip().lower() or "all"
        if value not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        return value

    @property
    def shard_ids(self) -> list[int] | None:
        ids = [int(x) for x in self.discord_shard_ids.replace(" ", "").split(",") if x]
        return ids or None

    @property
    def guild_ids(self) -> list[int]:
        return [int(x) for x in self.discord_guild_ids.replace(" ", "").split(",") if x]


@lru_cache
def get_settings() -> Settings:
    return Settings()


class MissingSetting(SystemExit):
    """Raised when a platform is started without its token: one clear line, exit code 2."""

    def __init__(self, *names: str) -> None:
        self.names = names
        super().__init__(2)

    def __str__(self) -> str:
        return f"missing setting: {', '.join(names_upper(self.names))} (set it in the environment or .env)"


def names_upper(names: tuple[str, ...]) -> list[str]:
    return [n.upper() for n in names]


def require(settings: Settings, *names: str) -> None:
    """Exit with code 2 naming every missing variable."""
    missing = tuple(n for n in names if not getattr(settings, n))
    if missing:
        raise MissingSetting(*missing)
