"""Configuration from `TASKSYNC_*` environment variables, the same names in every mode.

Every service has one `Settings` class built from the shared parts below, so a variable means
the same thing wherever it is read.
"""

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

# Default ports of the services in distributed mode: the gateway listens on 8000.
SERVICE_PORTS = {
    "gateway": 8000,
    "users": 8001,
    "rooms": 8002,
    "tasks": 8003,
    "comments": 8004,
    "files": 8005,
}


class CoreSettings(BaseSettings):
    """What every TaskSync process needs: where its data lives and how it logs."""

    model_config = SettingsConfigDict(env_prefix="TASKSYNC_", extra="ignore", frozen=True)

    mode: Literal["embedded", "distributed"] = "embedded"
    data_dir: Path = Path("data")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # "auto": readable lines on a terminal, JSON lines otherwise.
    log_format: Literal["auto", "json", "console"] = "auto"


class DatabaseSettings(CoreSettings):
    """Each service owns one database: a SQLite file under `data_dir`, or, when
    `postgres_url` is set, the PostgreSQL database `<db_prefix>_<service>` on that server."""

    postgres_url: str | None = None
    db_prefix: str = "tasksync"
    db_pool_size: int = 10
    migrate_on_start: bool = True

    def database_url(self, service: str) -> str:
        if self.postgres_url:
            server = self.postgres_url.rsplit("/", 1)[0]
            server = server.replace("postgresql://", "postgresql+asyncpg://", 1)
            return f"{server}/{self.db_prefix}_{service}"
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / f'{service}.db'}"


class RedisSettings(CoreSettings):
    """Redis backs rate limits, caches and (later) the event bus. Without it, in-memory
    equivalents serve a single process."""

    redis_url: str | None = None
    redis_prefix: str = "tasksync"


class EventSettings(RedisSettings):
    """The event backbone: Redis Streams when `redis_url` is set, in-process otherwise."""

    event_poll_interval: float = 1.0
    event_batch_size: int = 500
    event_max_attempts: int = 5
    # How long an entry may stay unacknowledged before another consumer takes it over; each
    # further attempt waits twice as long.
    event_visibility_timeout: float = 30.0
    event_retry_backoff: float = 0.5
    event_retention_days: int = 7
    event_flush_timeout: float = 5.0


class UploadSettings(CoreSettings):
    """The largest attachment, enforced while streaming by the gateway and by files."""

    files_max_bytes: int = 25 * 1024 * 1024


class ServiceLinkSettings(CoreSettings):
    """How a process reaches the other services in distributed mode."""

    # Service name -> base URL, or several comma-separated URLs for replicas.
    service_urls: dict[str, str] = {}
    service_host: str = "127.0.0.1"
    http_timeout: float = 10.0
    # Addresses whose X-Forwarded-For a service believes: where the gateway runs.
    forwarded_allow_ips: str = "127.0.0.1,::1"

    def service_replicas(self, service: str) -> list[str]:
        if service in self.service_urls:
            return [url.strip().rstrip("/") for url in self.service_urls[service].split(",")]
        return [f"http://{self.service_host}:{SERVICE_PORTS[service]}"]


class ServiceSettings(DatabaseSettings, EventSettings, ServiceLinkSettings):
    """The shared base of every data-owning service."""

    jwks_refresh_cooldown: float = 1.0
    # "errors": the service logs failed (5xx) and slow requests; the gateway logs them all.
    access_log: Literal["errors", "all"] = "errors"
    housekeeping_interval: float = 3600.0
