from tasksync.common.settings import ServiceSettings


class UsersSettings(ServiceSettings):
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # Argon2id cost; the defaults follow RFC 9106's second recommended option.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    argon2_parallelism: int = 4
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
