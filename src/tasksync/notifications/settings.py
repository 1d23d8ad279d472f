from typing import Literal

from pydantic import SecretStr

from tasksync.common.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """The shared settings, and how notifications are written, mailed and reminded."""

    # The address of the web app, for links in e-mails.
    public_url: str = "http://127.0.0.1:8000"
    product_name: str = "TaskSync"
    # SMTP: without `smtp_host`, each message is written as an .eml file under
    # `<data_dir>/mail` instead (the embedded mode's default).
    smtp_host: str | None = None
    smtp_port: int = 587
    # "starttls" (upgrade a plain connection), "tls" (implicit TLS, port 465) or "none".
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    # The server's certificate is always verified (for "starttls" and "tls"), against the
    # system's authorities, or against the ones in this PEM file (a private CA).
    smtp_ca_file: str | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "TaskSync <tasksync@localhost>"
    smtp_timeout: float = 10.0
    # The dispatcher looks for due mails this often (and at once after a commit that wrote one).
    mail_poll_interval: float = 2.0
    # Retries wait mail_retry_base * 2**attempt seconds (capped), up to mail_max_attempts.
    mail_retry_base: float = 30.0
    mail_retry_cap: float = 3600.0
    mail_max_attempts: int = 12
    # How long a dispatcher holds a mail it took before another may take it over.
    mail_claim_seconds: float = 120.0
    # Deadline reminders: this many hours before the deadline, and when it passes.
    reminder_hours_before: float = 24.0
    # A comment event that arrives before its task's creation waits this long for it.
    parked_seconds: float = 60.0
    # The scheduler (reminders, digests) looks for due work this often.
    scheduler_interval: float = 30.0
    # Webhooks (issue 17): networks a webhook may reach although they are not public
    # (comma-separated CIDRs, e.g. "10.1.0.0/16"); nothing else inward is ever reached.
    webhook_allow_networks: str = ""
    webhooks_per_room: int = 10
    webhook_timeout: float = 10.0
    webhook_concurrency_per_endpoint: int = 4
    # The webhook dispatcher looks for due deliveries this often, and at once after a commit
    # that wrote one (an event consumed, a ping, a redelivery, a webhook re-enabled).
    webhook_poll_interval: float = 2.0
    # Retries: about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h... up to about three days.
    webhook_max_age_hours: float = 72.0
    # A webhook failing without a success for this long is disabled (its owner is told).
    webhook_disable_after_hours: float = 24.0
