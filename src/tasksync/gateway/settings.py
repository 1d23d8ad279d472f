from pathlib import Path

from tasksync.common.settings import (
    HttpServerSettings,
    MetricsSettings,
    RedisSettings,
    ServiceLinkSettings,
    UploadSettings,
)


class GatewaySettings(
    ServiceLinkSettings, RedisSettings, HttpServerSettings, MetricsSettings, UploadSettings
):
    cors_origins: list[str] = []
    # How long the gateway waits for a service before answering 504.
    proxy_timeout: float = 30.0
    health_timeout: float = 2.0
    jwks_refresh_cooldown: float = 1.0
    overview_cache_seconds: float = 5.0
    # The built web app served at / (`make web`); default: web/dist of the source checkout.
    web_dist: Path | None = None
