"""Configuration from `TASKSYNC_*` environment variables, the same names in every mode.

Every service has one `Settings` class built from the shared parts below, so a variable means
the same thing wherever it is read.
"""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tasksync.common import registry

# Default ports of the services in distributed mode (the registry's).
SERVICE_PORTS = {spec.name: spec.port for spec in registry.ALL}


class CoreSettings(BaseSettings):
    """What every TaskSync process needs: where its data lives and how it logs."""

    model_config = SettingsConfigDict(env_prefix="TASKSYNC_", extra="ignore", frozen=True)

    mode: Literal["embedded", "distributed"] = "embedded"
    data_dir: Path = Path("data")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # "auto": readable lines on a terminal, JSON lines otherwise.
    log_format: Literal["auto", "json", "console"] = "auto"


class HttpServerSettings(CoreSettings):
    """Limits of every TaskSync HTTP server, the gateway's and each service's, so that idle,
    slow or oversized clients cannot hold its connections, memory or file descriptors
    (docs/operations.md, Security)."""

    # An idle kept-alive connection is closed after this. The gateway reuses its own
    # connections to a service for one second less.
    http_keep_alive_timeout: float = 5.0
    # The request line and headers must arrive within this, counted from the connection's
    # start or, on a kept-alive connection, from the request's first byte.
    http_header_timeout: float = 10.0
    # A request body must keep coming: each 64 KiB of it (or its end) within this.
    http_body_timeout: float = 10.0
    http_max_header_bytes: int = 32 * 1024
    # Connections beyond this, per process, are answered 503 and closed at once.
    http_max_connections: int = 4096
    # The soft RLIMIT_NOFILE a server (and the supervisor) raises itself to, within the hard
    # limit: each connection is a file descriptor.
    open_files_limit: int = 65536


class MetricsSettings(CoreSettings):
    """Who may read a server's `/metrics`: callers from `metrics_allow` (comma-separated
    networks; empty for none), or with `Authorization: Bearer <metrics_token>`."""

    metrics_allow: str = "127.0.0.1/32,::1/128"
    metrics_token: SecretStr | None = None


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
    # How long a consumer's read of the stream waits for new events; a stop waits up to this.
    event_read_block: float = 0.25


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


class ServiceSettings(
    DatabaseSettings, EventSettings, ServiceLinkSettings, HttpServerSettings, MetricsSettings
):
    """The shared base of every data-owning service."""

    # The service's own Swagger UI and ReDoc pages; the gateway's /api/docs shows every
    # service. Its /openapi.json stays: the gateway builds /api/openapi.json from it.
    service_docs: bool = False
    jwks_refresh_cooldown: float = 1.0
    # "errors": the service logs failed (5xx) and slow requests; the gateway logs them all.
    access_log: Literal["errors", "all"] = "errors"
    housekeeping_interval: float = 3600.0
