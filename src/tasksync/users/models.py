from datetime import datetime
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tasksync.common.clock import utcnow
from tasksync.common.db import model_base
from tasksync.common.events.tables import add_event_tables
from tasksync.common.ids import uuid7

Base = model_base()

event_tables = add_event_tables(Base.metadata)


class User(Base):
    __tablename__ = "users"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    username: Mapped[str] = mapped_column(String(40))
    # Lower-cased copies carry the uniqueness, so "Ann" and "ann" cannot both exist.
    username_key: Mapped[str] = mapped_column(String(40), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    # Set when the owner proved the address with the e-mailed token; cleared when it changes.
    email_verified_at: Mapped[datetime | None]
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def email_verified(self) -> bool:
        return self.email is not None and self.email_verified_at is not None


class SigningKey(Base):
    """An Ed25519 key that signs access tokens. The newest unretired key signs; retired
    keys stay published until every token they signed has expired."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class RefreshToken(Base):
    """A refresh token, stored as its SHA-256. Tokens rotated from one login form a family;
    presenting a rotated token again revokes the family (it was stolen or replayed)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignInFailure(Base):
    """Wrong passwords given for an account within one minute, counted; announced as one
    `user.sign_in_failed` event once the minute is over (see service.announce_failures)."""

    __tablename__ = "sign_in_failures"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    minute: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    failures: Mapped[int]


class EmailToken(Base):
    """A single-use token sent by e-mail: to verify an address (24 hours) or to reset a
    password (30 minutes). Only its SHA-256 is stored; the token itself exists only in the
    event that carries it to the notifications service and in the message."""

    __tablename__ = "email_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # "verify" or "reset".
    purpose: Mapped[str] = mapped_column(String(10))
    # The address it was sent to (a verification proves this one, not a later one).
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
