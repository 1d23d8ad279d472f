import os

from pydantic import Field

from tasksync.common.settings import ServiceSettings


def _cores() -> int:
    """The cores this process may run on (its CPU affinity, which taskset and some
    container runtimes narrow), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class UsersSettings(ServiceSettings):
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # Argon2id cost: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane); the reasons are
    # in docs/operations.md. Hashes made with other parameters are replaced at sign-in.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19_456
    argon2_parallelism: int = 1
    # Hashes at a time (each holds argon2_memory_kib), and how long a request waits for a
    # turn before it is answered 503 with Retry-After.
    password_hash_concurrency: int = Field(default_factory=_cores, ge=1)
    password_hash_wait: float = Field(default=2.0, ge=0)
    # Sign-in and registration limits: the policy is in users/guards.py.
    login_failures_per_user: int = 10
    login_failures_per_address: int = 50
    login_address_ceiling: int = 1000
    login_address_delay: float = 0.25
    login_address_delay_max: float = 5.0
    login_window_seconds: int = 900
    registrations_per_address: int = 10
    registration_window_seconds: int = 3600
    # Account e-mails (users/account_mail.py): token lifetimes and the reset limits. A
    # refused reset request is answered exactly like an accepted one.
    email_verification_hours: int = 24
    password_reset_minutes: int = 30
    password_resets_per_account: int = 3
    password_resets_per_address: int = 20
    password_reset_window_seconds: int = 3600
